"""A repository that runs debian.bzl's fetch_debian_packages on a .deb it builds.

tests/make_deb.py writes the package (modes, a set-uid file, a set-gid
directory, symlinks, a hard link); it is served from a file:// mirror, so the
fetch goes through Bazel's downloader exactly as from Debian's mirror. The
repository records the unpacked tree and whether a download with a wrong SHA256
was refused; //tests:debian_fetch_test checks both.
"""

load("//tests:repository_steps.bzl", "python3", "run")
load("//toolchains/debian:debian.bzl", "fetch_debian_packages")

# find arguments printing "<type> <octal mode> <path> <link target>" per entry.
_TREE = ["-printf", "%y %m %P %l\\n"]

def _debian_fetch_tree_impl(rctx):
    python = python3(rctx)
    pool = "mirror/pool/main/f/fixture"
    rctx.file(pool + "/.keep", "")
    deb = "%s/fixture_1.0_all.deb" % pool
    sha256 = run(rctx, [python, str(rctx.path(rctx.attr._make_deb)), str(rctx.path(deb))]).strip()
    mirror = "file://%s" % rctx.path("mirror")
    fetch_debian_packages(
        rctx,
        {"fixture": ("1.0", "test/pool/main/f/fixture/fixture_1.0_all.deb", sha256)},
        mirrors = {"test": mirror},
    )
    lines = run(rctx, ["find", str(rctx.path("root"))] + _TREE).splitlines()
    rctx.file("tree.txt", "\n".join(sorted(lines)) + "\n")

    # Bazel's own check: a pinned SHA256 the file does not have is refused.
    wrong = rctx.download(
        url = "%s/pool/main/f/fixture/fixture_1.0_all.deb" % mirror,
        output = "wrong.deb",
        sha256 = "0" * 64,
        allow_fail = True,
    )
    rctx.file("wrong_checksum.txt", "refused\n" if not wrong.success else "accepted\n")
    rctx.delete("mirror")
    rctx.file("BUILD.bazel", 'exports_files(["tree.txt", "wrong_checksum.txt"])\n')

debian_fetch_tree = repository_rule(
    implementation = _debian_fetch_tree_impl,
    attrs = {"_make_deb": attr.label(default = "//tests:make_deb.py")},
    doc = "A locally built .deb fetched and unpacked by fetch_debian_packages, for //tests:debian_fetch_test.",
)
