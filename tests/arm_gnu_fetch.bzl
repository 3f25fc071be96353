"""A repository filled by toolchains/arm_gnu's Arm-archive path from a local mirror.

Arm's site is not reachable here: tests/make_arm_gnu_archive.py writes a
stand-in archive laid out like Arm's, a file:// mirror serves it at the path
Arm's release URLs have, and arm_gnu_toolchain() fetches it through Bazel's
downloader exactly as from developer.arm.com. The repository keeps what
//tests:arm_gnu_fetch_test checks: the generated BUILD, VERSION, what the
gcc wrapper ran, and whether a wrong SHA256 was refused.
"""

load("//tests:repository_steps.bzl", "python3", "run")
load("//toolchains/arm_gnu:repositories.bzl", "ARM_GNU_DEFAULT_VERSION", "arm_gnu_toolchain")
load("//toolchains/platforms:host.bzl", "host_key")

def _arm_gnu_fetch_tree_impl(rctx):
    python = python3(rctx)
    host = host_key(rctx)
    if host != "linux-x86_64":
        fail("%s: the stand-in archive is named for linux-x86_64, not %s" % (rctx.name, host))
    version = ARM_GNU_DEFAULT_VERSION

    # Arm's own naming, written out here rather than taken from the rule.
    top = "arm-gnu-toolchain-%s-x86_64-arm-none-eabi" % version
    archive = "mirror/%s/binrel/%s.tar.xz" % (version, top)
    rctx.file(archive + ".keep", "")
    sha256 = run(rctx, [python, str(rctx.path(rctx.attr._make_archive)), str(rctx.path(archive)), top]).strip()
    mirror = "file://%s" % rctx.path("mirror")

    arm_gnu_toolchain(rctx, "arm", version, releases = {version: {host: sha256}}, base_url = mirror)
    rctx.file("generated_BUILD", rctx.read("BUILD.bazel"))
    rctx.file("gcc_run.txt", run(rctx, [str(rctx.path("bin/gcc")), "--version"]))

    # Bazel's own check: a pinned SHA256 the archive does not have is refused.
    wrong = rctx.download(url = "%s/%s/binrel/%s.tar.xz" % (mirror, version, top), output = "wrong.tar.xz", sha256 = "0" * 64, allow_fail = True)
    rctx.file("wrong_checksum.txt", "refused\n" if not wrong.success else "accepted\n")
    rctx.delete("mirror")
    rctx.file("BUILD.bazel", rctx.read("BUILD.bazel") + """
exports_files([
    "VERSION",
    "gcc_run.txt",
    "generated_BUILD",
    "wrong_checksum.txt",
])
""")

arm_gnu_fetch_tree = repository_rule(
    implementation = _arm_gnu_fetch_tree_impl,
    attrs = {
        "_build_template": attr.label(default = "//toolchains/arm_gnu:BUILD.repo.tpl"),
        "_make_archive": attr.label(default = "//tests:make_arm_gnu_archive.py"),
    },
    doc = "The Arm GNU archive path of //toolchains/arm_gnu on a stand-in archive, for //tests:arm_gnu_fetch_test.",
)
