"""debian.bzl's fetch_debian_packages, run by @debian_fetch_tree on a .deb that
tests/make_deb.py builds and a file:// mirror serves: the unpacked tree is what
`dpkg-deb -x` gives (modes, symlink targets, hard links), without set-uid or
set-gid bits, and Bazel refuses a download whose pinned SHA256 is wrong."""

from __future__ import annotations

import pathlib

from absl import flags
from absl.testing import absltest

_TREE = flags.DEFINE_string("tree", None, "tree.txt of @debian_fetch_tree.", required=True)
_WRONG = flags.DEFINE_string("wrong_checksum", None, "wrong_checksum.txt of @debian_fetch_tree.", required=True)

# `dpkg-deb -x` of make_deb.py's package, set-uid/set-gid bits cleared:
# path ("" is the root) -> "type mode [link target]".
EXPECTED = {
    "": "d 755",
    "etc": "d 755",
    "usr": "d 755",
    "usr/bin": "d 755",
    "usr/lib": "d 755",
    "usr/lib/private": "d 700",
    "var": "d 755",
    "var/mail": "d 775",
    "usr/lib/private/data": "f 640",
    "usr/bin/su": "f 755",
    "usr/bin/tool": "f 755",
    "usr/bin/tool-hard": "f 755",
    "etc/tool": "l 777 /usr/bin/tool",
    "usr/bin/tool-link": "l 777 tool",
}


def entries(text: str) -> dict[str, str]:
    """path -> "type mode [target]" (the root directory is the empty path)."""
    result = {}
    for line in text.splitlines():
        kind, mode, path, target = (line.split(" ", 3) + [""])[:4]
        result[path] = f"{kind} {mode} {target}".strip()
    return result


class DebianFetchTest(absltest.TestCase):
    def test_the_tree_is_what_dpkg_deb_unpacks(self) -> None:
        self.assertEqual(entries(pathlib.Path(_TREE.value).read_text()), EXPECTED)

    def test_a_wrong_sha256_is_refused(self) -> None:
        self.assertEqual(pathlib.Path(_WRONG.value).read_text(), "refused\n")


if __name__ == "__main__":
    absltest.main()
