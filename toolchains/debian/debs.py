"""Pinned Debian packages outside Bazel: the mirrors, a checked fetch and a private apt.

Bazel's repository rules fetch the toolchains' packages themselves
(toolchains/debian/debian.bzl, through Bazel's downloader and repository
cache). This module serves what runs without Bazel: provisioning Bazel itself
(toolchains/bazel/provision.py, before Bazel exists) and the pinning scripts
(toolchains/debian/pin.py, toolchains/bazel/pin_closure.py). Both sides read the
mirrors from mirrors.json, the one place that names them.

A pinned path is "<archive>/pool/...", the archive a key of mirrors.json
("debian", "debian-security"); its URL is that archive's mirror followed by the
pool path.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence

HERE = pathlib.Path(__file__).resolve().parent
MIRRORS_FILE = HERE / "mirrors.json"


class FetchError(Exception):
    """A download that failed or did not match its pinned SHA256 (one sentence)."""


def mirrors() -> dict[str, str]:
    """Archive name -> base URL, from mirrors.json."""
    data = json.loads(MIRRORS_FILE.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise FetchError(f"{MIRRORS_FILE} must map archive names to URLs")
    return {str(k): v.rstrip("/") for k, v in data.items()}


def check_http_url(url: str) -> None:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"{url} is not an http(s) URL")


def url_of(path: str, bases: Mapping[str, str] | None = None) -> str:
    """The URL of a pinned "<archive>/pool/..." path."""
    archive, _, pool = path.partition("/")
    bases = mirrors() if bases is None else bases
    if archive not in bases or not pool.startswith("pool/") or ".." in pool.split("/"):
        raise FetchError(f"{path}: expected <archive>/pool/... with an archive from "
                         f"{MIRRORS_FILE.name} ({', '.join(sorted(bases))})")
    return f"{bases[archive]}/{pool}"


def pinned_path(url: str, bases: Mapping[str, str] | None = None) -> str:
    """The pinned "<archive>/pool/..." path of a URL under one of the mirrors."""
    bases = mirrors() if bases is None else bases
    for archive, base in sorted(bases.items(), key=lambda item: -len(item[1])):
        if url.startswith(base + "/pool/"):
            return f"{archive}/{url[len(base) + 1:]}"
    raise FetchError(f"{url} is under none of the mirrors in {MIRRORS_FILE.name}")


def sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: pathlib.Path, sha256: str) -> None:
    """Raises FetchError (and removes the file) unless it has the pinned SHA256."""
    if not path.is_file():
        raise FetchError(f"{path.name} was not downloaded")
    actual = sha256_of(path)
    if actual != sha256:
        path.unlink()
        raise FetchError(f"checksum mismatch for {path.name}: pinned {sha256}, "
                         f"downloaded {actual}; refusing to unpack it")


def fetch(url: str, destination: pathlib.Path, sha256: str, timeout: float = 120) -> None:
    """Downloads url to destination and checks it against the pinned SHA256."""
    check_http_url(url)
    try:
        # An http(s) URL (checked above); the content is checked by SHA256 below.
        with urllib.request.urlopen(url, timeout=timeout) as response, destination.open("wb") as out:  # nosec B310
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as error:
        raise FetchError(f"cannot download {url}: {error}") from error
    check_sha256(destination, sha256)


def sources(suites: Mapping[str, Sequence[str]], bases: Mapping[str, str] | None = None) -> str:
    """An apt deb822 sources file: archive name -> suites, URIs from mirrors.json."""
    bases = mirrors() if bases is None else bases
    return "\n".join(
        f"Types: deb\nURIs: {bases[archive]}\nSuites: {' '.join(names)}\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        for archive, names in suites.items()
    )


class PrivateApt:
    """apt with its own sources, lists, cache and an empty dpkg status under root.

    The host's apt state is neither used nor changed. Indexes whose Release file
    has expired (a frozen snapshot) are accepted: what is pinned from them is
    reviewed before it is committed, and then checked by SHA256 on every fetch.
    """

    def __init__(self, root: pathlib.Path, sources_text: str, arch: str | None = None) -> None:
        self.root = root
        for sub in ("sources", "preferences", "lists/partial", "cache/archives/partial"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "sources/pinned.sources").write_text(sources_text)
        (root / "status").write_text("")
        self.options = [
            "-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={root / 'sources'}",
            "-o", "Dir::Etc::Preferences=/dev/null",
            "-o", f"Dir::Etc::PreferencesParts={root / 'preferences'}",
            "-o", f"Dir::State::Lists={root / 'lists'}",
            "-o", f"Dir::Cache={root / 'cache'}",
            "-o", f"Dir::State::status={root / 'status'}",
            "-o", "Acquire::Check-Valid-Until=false",
            "-o", "APT::Install-Recommends=false",
            "-o", "Debug::NoLocking=1",
            "-qq",
        ]
        if arch:
            self.options += ["-o", f"APT::Architecture={arch}", "-o", f"APT::Architectures::={arch}"]

    def run(self, tool: str, *args: str) -> str:
        result = subprocess.run([tool, *self.options, *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise FetchError(f"{tool} {args[0]} failed: {detail}")
        return result.stdout
