"""debian.bzl's clear_setid_bits, run by the repository @debian_setid_tree on a
tree it built (tests/debian_setid.bzl): the set-uid/set-gid bits planted there
are gone afterwards, other modes are kept, a symlink is not followed."""

from __future__ import annotations

import pathlib

from absl import flags
from absl.testing import absltest

_BEFORE = flags.DEFINE_string("before", "", "Set-id paths before clearing.")
_TREE_MODES = flags.DEFINE_string("tree_modes", "", "Modes in the tree afterwards.")
_OUTSIDE_MODES = flags.DEFINE_string("outside_modes", "", "Modes outside the tree afterwards.")


def modes(path: str) -> dict[str, str]:
    """'<octal mode> <path>' lines as {path: mode}."""
    lines = pathlib.Path(path).read_text().splitlines()
    return {name: mode for mode, _, name in (line.partition(" ") for line in lines)}


class ClearSetidBitsTest(absltest.TestCase):
    def test_planted_bits_were_there(self) -> None:
        before = sorted(pathlib.Path(_BEFORE.value).read_text().split())
        self.assertEqual(
            before,
            [
                "outside/su",
                "tree/usr/bin/su",
                "tree/usr/lib/helper",
                "tree/usr/sbin/unix_chkpwd",
                "tree/var/mail",
            ],
        )

    def test_bits_are_cleared_and_other_modes_kept(self) -> None:
        tree = modes(_TREE_MODES.value)
        for path, mode in (
            ("usr/bin/su", "755"),
            ("usr/sbin/unix_chkpwd", "755"),
            ("usr/lib/helper", "711"),
            ("var/mail", "775"),
            ("usr/bin/env", "755"),
        ):
            self.assertEqual(tree[path], mode, msg=path)
        self.assertEqual([p for p, m in tree.items() if int(m, 8) & 0o6000], [])

    def test_symlink_target_outside_is_untouched(self) -> None:
        self.assertEqual(modes(_OUTSIDE_MODES.value)["su"], "4755")


if __name__ == "__main__":
    absltest.main()
