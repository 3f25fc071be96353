"""Downloads, verifies and installs an Arm Corstone FVP, or finds an existing one.

Run by the fvp repository rule with the host's python3 (standard library only:
it runs while Bazel fetches repositories, before any venv exists). Arm's FVPs
come with an EULA: nothing is downloaded unless the user opted in with
ARM_FVP_INSTALL_I_AGREE_TO_THE_CONTAINED_EULA=True.

Exit status 0 with one `BINARY PATH` line per installed binary on stdout; 1 with one sentence on
stderr; 3 when the FVP is simply not available (no opt-in and no install dir),
which the repository rule records instead of failing the build.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

EULA_VARIABLE = "ARM_FVP_INSTALL_I_AGREE_TO_THE_CONTAINED_EULA"
NOT_AVAILABLE = 3


class InstallError(Exception):
    pass


def find_binary(root: pathlib.Path, binary: str) -> pathlib.Path | None:
    """Returns the executable named binary under root (FVP installs nest it in models/<host>/)."""
    for path in sorted(root.rglob(binary)):
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def verify(archive: pathlib.Path, algorithm: str, expected: str) -> None:
    digest = hashlib.new(algorithm)
    with archive.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected.lower():
        raise InstallError(
            f"checksum mismatch for {archive.name}: expected {algorithm} {expected}, "
            f"downloaded {digest.hexdigest()}; refusing to install it"
        )


# Plain http only to this machine (a local mirror, or the tests' server): anywhere
# else an MD5-pinned archive must at least come over an authenticated channel.
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        return
    raise InstallError(
        f"refusing to download {url}: only https URLs are fetched (plain http only from "
        "127.0.0.1, ::1 or localhost); fix ARM_FVP_BASE_URL"
    )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL that check_url accepts (urllib would follow
    one from https to plain http)."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, destination: pathlib.Path, max_bytes: int) -> None:
    """Downloads url to destination, reading at most max_bytes (a longer body is an error)."""
    check_url(url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    try:
        # The scheme is checked above; the URL is Arm's pinned one or the user's mirror.
        with opener.open(url, timeout=120) as response, destination.open("wb") as out:  # nosec B310
            received = 0
            for block in iter(lambda: response.read(1 << 20), b""):
                received += len(block)
                if received > max_bytes:
                    raise InstallError(
                        f"{url} is larger than the {max_bytes} bytes pinned for it; refusing it"
                    )
                out.write(block)
    except (urllib.error.URLError, OSError) as error:
        raise InstallError(f"cannot download {url}: {error}") from error


def find_all(root: pathlib.Path, binaries: list[str], where: str) -> dict[str, pathlib.Path]:
    found = {binary: find_binary(root, binary) for binary in binaries}
    missing = sorted(binary for binary, path in found.items() if path is None)
    if missing:
        raise InstallError(f"{', '.join(missing)} not found under {where} {root}")
    return {binary: path for binary, path in found.items() if path is not None}


def install(args: argparse.Namespace) -> dict[str, pathlib.Path]:
    destination = pathlib.Path(args.destination)
    if args.install_dir:
        return find_all(pathlib.Path(args.install_dir), args.binary, "the install dir")
    if os.environ.get(EULA_VARIABLE) != "True":
        print(
            f"FVP {args.model} not installed: Arm's FVPs are under an EULA; set "
            f"{EULA_VARIABLE}=True (or --repo_env={EULA_VARIABLE}=True) to accept it and "
            f"download, or point ARM_FVP_{args.model.upper()}_DIR at an installed FVP",
            file=sys.stderr,
        )
        sys.exit(NOT_AVAILABLE)
    with tempfile.TemporaryDirectory() as scratch:
        archive = pathlib.Path(scratch) / "fvp.tgz"
        download(args.url, archive, args.max_bytes)
        verify(archive, args.checksum_algorithm, args.checksum)
        unpacked = pathlib.Path(scratch) / "unpacked"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
        installer = unpacked / args.installer
        if not installer.is_file():
            raise InstallError(f"the archive has no installer {args.installer}")
        destination.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["sh", str(installer), "--i-agree-to-the-contained-eula", "--force",
             "--destination", str(destination), "--quiet", "--no-interactive"],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise InstallError(f"the FVP installer exited {result.returncode}: {' '.join(tail)}")
    return find_all(destination, args.binary, "the installer's destination")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--binary", required=True, action="append",
                        help="Executable to find, e.g. FVP_Corstone_SSE-320; repeatable.")
    parser.add_argument("--installer", required=True, help="Installer script inside the archive.")
    parser.add_argument("--url", required=True)
    parser.add_argument("--checksum", required=True)
    parser.add_argument("--checksum_algorithm", choices=["md5", "sha256"], default="sha256")
    parser.add_argument("--max_bytes", type=int, required=True,
                        help="Largest archive accepted; the download stops past it.")
    parser.add_argument("--destination", required=True)
    parser.add_argument("--install_dir", default="", help="An existing FVP install to use instead.")
    args = parser.parse_args(argv[1:])
    try:
        for binary, path in sorted(install(args).items()):
            print(binary, path)
    except InstallError as error:
        print(f"FVP {args.model}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
