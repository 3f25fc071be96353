"""Writes closure_<arch>.txt: the pinned Bazel packages and their whole dependency closure.

Resolves PINNED_PACKAGES with apt under a private configuration (its own
sources, lists, cache and an empty dpkg status in a temporary directory; the
host's apt state is neither used nor changed) against Debian sid, and writes one
"package version sha256 pool-path" line per .deb, in the order apt gives them
(provision.py unpacks in that order). Review the diff before committing it: from
then on provisioning trusts exactly these files.

Usage: python3 -m toolchains.bazel.pin_closure [ARCH]   (from the workspace; amd64 by default)
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
from urllib.parse import unquote, urlsplit

from toolchains.debian import debs

HERE = pathlib.Path(__file__).resolve().parent

# The Bazel that .bazelversion names (pinned there only), as Debian sid packages
# it in the frozen snapshot this project is pinned to.
BAZEL_VERSION = (HERE.parents[1] / ".bazelversion").read_text().strip()

# Versions present in the frozen sid snapshot this project is pinned to.
PINNED_PACKAGES = {
    "bazel-bootstrap": f"{BAZEL_VERSION}+ds-8+b1",
    "bazel-rules-python": "0.22.1-3",
    "bazel-rules-cc": "0.0.11-3",
    "bazel-platforms": "0.0.10-4",
    "bazel-skylib": "1.9.1-2",
    "patchelf": "0.18.0-1.4",
}


def closure(root: pathlib.Path, arch: str) -> list[str]:
    # The sid snapshot reachable here is frozen and its Release file has
    # expired (PrivateApt accepts that); what is pinned is reviewed before it
    # is committed.
    apt = debs.PrivateApt(root, debs.sources({"debian": ["sid"]}), arch=arch)
    apt.run("apt-get", "update")
    specs = [f"{name}={version}" for name, version in PINNED_PACKAGES.items()]
    uris = apt.run("apt-get", "install", "--print-uris", *specs)
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
    records = apt.run("apt-cache", "show", "--no-all-versions", *specs)
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
        try:
            lines = closure(pathlib.Path(scratch), arch)
        except debs.FetchError as error:
            raise SystemExit(f"pin_closure: {error}") from error
    (HERE / f"closure_{arch}.txt").write_text("".join(lines))
    print(f"pin_closure: {len(lines)} packages in closure_{arch}.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
