"""Writes closure_<arch>.txt: the pinned Bazel packages and their whole dependency closure.

Resolves PINNED_PACKAGES with apt under a private configuration (its own
sources, lists, cache and an empty dpkg status in a temporary directory; the
host's apt state is neither used nor changed) against Debian sid, and writes one
"package version sha256 pool-path" line per .deb, in the order apt gives them
(provision.py unpacks in that order). Review the diff before committing it: from
then on provisioning trusts exactly these files.

Usage: python3 toolchains/bazel/pin_closure.py [ARCH]   (amd64 by default)
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile
from urllib.parse import unquote, urlsplit

HERE = pathlib.Path(__file__).resolve().parent

# Versions present in the frozen sid snapshot this project is pinned to.
PINNED_PACKAGES = {
    "bazel-bootstrap": "7.7.1+ds-8+b1",
    "bazel-rules-python": "0.22.1-3",
    "bazel-rules-cc": "0.0.11-3",
    "bazel-platforms": "0.0.10-4",
    "bazel-skylib": "1.9.1-2",
    "patchelf": "0.18.0-1.4",
}

SID_SOURCE = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def apt(root: pathlib.Path, arch: str, tool: str, *args: str) -> str:
    options = [
        "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::Etc::SourceParts={root / 'sources'}",
        "-o", "Dir::Etc::Preferences=/dev/null",
        "-o", f"Dir::Etc::PreferencesParts={root / 'preferences'}",
        "-o", f"Dir::State::Lists={root / 'lists'}",
        "-o", f"Dir::Cache={root / 'cache'}",
        "-o", f"Dir::State::status={root / 'status'}",
        "-o", f"APT::Architecture={arch}",
        "-o", f"APT::Architectures::={arch}",
        # The sid snapshot reachable here is frozen and its Release file has
        # expired; what is pinned is reviewed before it is committed.
        "-o", "Acquire::Check-Valid-Until=false",
        "-o", "APT::Install-Recommends=false",
        "-o", "Debug::NoLocking=1",
        "-qq",
    ]
    result = subprocess.run([tool, *options, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"pin_closure: {tool} {args[0]} failed: {detail}")
    return result.stdout


def closure(root: pathlib.Path, arch: str) -> list[str]:
    for sub in ("sources", "preferences", "lists/partial", "cache/archives/partial"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "sources/sid.sources").write_text(SID_SOURCE)
    (root / "status").write_text("")
    apt(root, arch, "apt-get", "update")
    specs = [f"{name}={version}" for name, version in PINNED_PACKAGES.items()]
    uris = apt(root, arch, "apt-get", "install", "--print-uris", *specs)
    # Each line: 'URI' LOCAL_FILENAME SIZE HASH; the local name keeps the epoch.
    downloads = []
    for line in uris.splitlines():
        if line.startswith("'"):
            uri, local = line.split()[:2]
            path = unquote(urlsplit(uri.strip("'")).path)
            downloads.append((path[path.index("/pool/") + 1:], local))
    specs = []
    for _, local in downloads:
        package, version = local.split("_")[:2]
        specs.append(f"{package}={unquote(version)}")
    records = apt(root, arch, "apt-cache", "show", "--no-all-versions", *specs)
    # In the order apt-cache lists them, which provision.py unpacks in.
    wanted = {pool_path for pool_path, _ in downloads}
    lines = []
    for record in records.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in record.splitlines()
                      if ": " in line and line[0] != " ")
        if fields.get("Filename") in wanted:
            wanted.remove(fields["Filename"])
            lines.append(f"{fields['Package']} {fields['Version']} {fields['SHA256']} "
                         f"{fields['Filename']}\n")
    if wanted:
        raise SystemExit(f"pin_closure: apt's index has no SHA256 for {', '.join(sorted(wanted))}")
    return lines


def main(argv: list[str]) -> int:
    arch = argv[1] if len(argv) > 1 else "amd64"
    with tempfile.TemporaryDirectory() as scratch:
        lines = closure(pathlib.Path(scratch), arch)
    (HERE / f"closure_{arch}.txt").write_text("".join(lines))
    print(f"pin_closure: {len(lines)} packages in closure_{arch}.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
