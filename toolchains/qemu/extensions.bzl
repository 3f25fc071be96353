"""Module extension: QEMU from pinned Debian 12 packages, for test runners.

qemu-system-arm (the mps3-an547 board: the SSE-300 subsystem of Corstone-300)
runs bare-metal Cortex-M55 programs; qemu-aarch64 (static, user mode) runs
Linux aarch64 programs for the Corstone-1000 CPU. Shared libraries that
qemu-system-arm needs beyond a base Debian system come from the same pinned set.
"""

load("//toolchains/debian:debian.bzl", "fetch_debian_packages")

# Regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "qemu-system-arm": ("1:7.2+dfsg-7+deb12u18+b3", "qemu-system-arm_7.2+dfsg-7+deb12u18+b3_amd64.deb", "78c4adf16152bb8ae1994784e966365128cae04d8ae37bc161bb0b6617c17d9c"),
    "qemu-user-static": ("1:7.2+dfsg-7+deb12u18+b3", "qemu-user-static_7.2+dfsg-7+deb12u18+b3_amd64.deb", "c3e3ba2bd87f8c5b9a5da5ef21b5a3b82d7c63b89dd448d9ddaa4eabc5b6e402"),
    "libaio1": ("0.3.113-4", "libaio1_0.3.113-4_amd64.deb", "d1476e4beab3d85f8a7d31de94c27472711ed3ef399ce70708e24b259426125b"),
    "libcapstone4": ("4.0.2-5", "libcapstone4_4.0.2-5_amd64.deb", "41277f0388184f6e3b9fc02eda3184afbc999314b25b77ed75e8049428bdfe5e"),
    "libdaxctl1": ("76.1-1", "libdaxctl1_76.1-1_amd64.deb", "af5f9ffe642ae25301eb88fdb2fa9e3c06dcfc5e131fbcee7575adf0adcc9abb"),
    "libfdt1": ("1.6.1-4+b1", "libfdt1_1.6.1-4+b1_amd64.deb", "e7312b61267979a58ae1fa9e34746d077707560c955f6455d02a9ff0f8fa7995"),
    "libfuse3-3": ("3.14.0-4", "libfuse3-3_3.14.0-4_amd64.deb", "bf535cec5e965823fd03199b4029f9e9f3952111eb12824b5d2b96c8cca1a918"),
    "libibverbs1": ("44.0-2", "libibverbs1_44.0-2_amd64.deb", "35054815259fee46173240254246d03b673a5cd5c528aaac96fd15ac428a8d59"),
    "libkmod2": ("30+20221128-1", "libkmod2_30+20221128-1_amd64.deb", "af63bbbfc15fbd1f254b15c393b3b95b18b18cc81348fc1b4f1c9c34b4d672d7"),
    "libndctl6": ("76.1-1", "libndctl6_76.1-1_amd64.deb", "3654dd3a0a05fdc28af8bcd307109ec41a9ea92218bf29816ff467a8c5e7d57f"),
    "libnl-3-200": ("3.7.0-0.2+b1", "libnl-3-200_3.7.0-0.2+b1_amd64.deb", "d1fc3e9eb8e79b4c96b0a64c3d8c9e068ae2f665cab71bd19f417ffd0453a890"),
    "libnl-route-3-200": ("3.7.0-0.2+b1", "libnl-route-3-200_3.7.0-0.2+b1_amd64.deb", "0fdcc425ae2982788c085c76a7cb0eda3e3db99d41bd1ce56082ee18e9f1e21f"),
    "libpmem1": ("1.12.1-2", "libpmem1_1.12.1-2_amd64.deb", "63ed00821aecdb5537b51b6f378cf571144d02ac3af2f95141bfa0e397359a76"),
    "librdmacm1": ("44.0-2", "librdmacm1_44.0-2_amd64.deb", "16b18625834371d023b81477823074ea0d34c478d58dbef3f01107984f47d034"),
    "libslirp0": ("4.7.0-1", "libslirp0_4.7.0-1_amd64.deb", "e21e19f0e99e57f254162f61416ea82f00cbc6ab9eb6bead4f5a5a8944ede27e"),
    "liburing2": ("2.3-3", "liburing2_2.3-3_amd64.deb", "c23077e3640e6cb4b819c134b3f41d5cf21b3edac099654b1b4142c3069a39a3"),
    "libvdeplug2": ("4.0.1-4", "libvdeplug2_4.0.1-4_amd64.deb", "1ace8e6571009bb4b8e3c5e093609f30f3ffca96578d35d61100f1e73fd2110d"),
}

def _qemu_repo_impl(rctx):
    if rctx.os.name != "linux" or rctx.os.arch not in ["amd64", "x86_64"]:
        fail("QEMU is pinned as Debian packages for linux x86_64, not %s %s" % (rctx.os.name, rctx.os.arch))
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    rctx.file("bin/qemu-system-arm", """#!/bin/sh
here="$(cd "${0%/*}" && pwd)"
LD_LIBRARY_PATH="$here/../root/usr/lib/x86_64-linux-gnu:$here/../root/lib/x86_64-linux-gnu" \\
  exec "$here/../root/usr/bin/qemu-system-arm" "$@"
""", executable = True)
    rctx.symlink("root/usr/bin/qemu-aarch64-static", "bin/qemu-aarch64")
    rctx.file("VERSION", DEBIAN_PACKAGES["qemu-system-arm"][0] + "\n")
    rctx.file("BUILD.bazel", """\
load("@@//toolchains/qemu:defs.bzl", "qemu_toolchain")

package(default_visibility = ["//visibility:public"])

filegroup(
    name = "system_arm_files",
    srcs = glob(["root/usr/lib/**/*.so*"]) + ["root/usr/bin/qemu-system-arm"],
)

qemu_toolchain(
    name = "qemu",
    system_arm = "bin/qemu-system-arm",
    system_arm_files = ":system_arm_files",
    user_aarch64 = "bin/qemu-aarch64",
    version = "{version}",
)
""".format(version = DEBIAN_PACKAGES["qemu-system-arm"][0]))

qemu_repo = repository_rule(
    implementation = _qemu_repo_impl,
    doc = "qemu-system-arm and qemu-aarch64 (static) from pinned Debian packages.",
)

def _qemu_impl(module_ctx):
    qemu_repo(name = "qemu")
    return module_ctx.extension_metadata(reproducible = True)

qemu = module_extension(implementation = _qemu_impl)
