"""A repository that tests debian.bzl's clear_setid_bits on a tree it builds.

The tree has what Debian packages unpacked as root bring: a set-uid binary, a
set-gid binary, a set-gid directory, a plain executable and a symlink to a
set-uid file outside the tree. The repository records the set-id paths before
and every mode after clear_setid_bits; //tests:debian_setid_test checks them.
"""

load("//tests:repository_steps.bzl", "run")
load("//toolchains/debian:debian.bzl", "clear_setid_bits")

_PLANTED = {
    "tree/usr/bin/su": "4755",
    "tree/usr/sbin/unix_chkpwd": "2755",
    "tree/usr/lib/helper": "6711",
    "tree/var/mail": "2775",
    "tree/usr/bin/env": "755",
    "outside/su": "4755",
}

# find arguments printing "<octal mode> <path>" per file and directory.
_MODES = ["!", "-type", "l", "-printf", "%m %P\\n"]

def _debian_setid_tree_impl(rctx):
    for path in _PLANTED:
        if path == "tree/var/mail":
            rctx.file(path + "/.keep", "")
        else:
            rctx.file(path, "binary", executable = True)
        run(rctx, ["chmod", _PLANTED[path], str(rctx.path(path))])
    run(rctx, ["ln", "-s", str(rctx.path("outside/su")), str(rctx.path("tree/usr/bin/link"))])
    rctx.file("before.txt", run(rctx, ["find", "tree", "outside", "-perm", "/6000", "!", "-type", "l"]))
    clear_setid_bits(rctx, "tree")
    for tree in ["tree", "outside"]:
        rctx.file(tree + "_modes.txt", run(rctx, ["find", str(rctx.path(tree))] + _MODES))
    rctx.file("BUILD.bazel", 'exports_files(["before.txt", "tree_modes.txt", "outside_modes.txt"])\n')

debian_setid_tree = repository_rule(
    implementation = _debian_setid_tree_impl,
    doc = "A planted tree before and after clear_setid_bits, for //tests:debian_setid_test.",
)
