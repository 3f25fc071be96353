"""Repository rule: lavapipe (Mesa's CPU Vulkan driver) from pinned Debian 12 packages.

Runs Vulkan programs, e.g. the ML SDK scenario runner with Arm's ML emulation
layer, on the CPU of the exec host with no GPU and no host Vulkan packages.
The repository `@lavapipe` holds the unpacked packages (the Vulkan loader
libvulkan1, mesa-vulkan-drivers and the shared libraries lavapipe needs beyond
a base Debian 12), an ICD manifest that points at the repository's own
libvulkan_lvp.so by a relative path, and `bin/run_with_lavapipe`, a wrapper
that runs a command with that loader and driver selected.
"""

load("//toolchains/debian:debian.bzl", "HOST_LIBRARY_DIRS", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py. Only glibc comes from the host
# (//tests:closure_test checks it).
DEBIAN_PACKAGES = {
    "libvulkan1": ("1.3.239.0-1", "debian/pool/main/v/vulkan-loader/libvulkan1_1.3.239.0-1_amd64.deb", "622f28b807ba55a1f5ad1622ff83aa2c5b11fedbec074850e04c10a8f28b43d3"),
    "mesa-vulkan-drivers": ("22.3.6-1+deb12u2", "debian/pool/main/m/mesa/mesa-vulkan-drivers_22.3.6-1+deb12u2_amd64.deb", "21f9ecf52886c88247d8ef92b635b8f670ab01fd7813c98f8200220aa138f4da"),
    "libllvm15": ("1:15.0.6-4+b1", "debian/pool/main/l/llvm-toolchain-15/libllvm15_15.0.6-4+b1_amd64.deb", "9f0751109ba89e65b1313a4f3e34a29977a0db6fa30ed475e2c6bd555fa9e866"),
    "libdrm2": ("2.4.114-1+b1", "debian/pool/main/libd/libdrm/libdrm2_2.4.114-1+b1_amd64.deb", "be18fb670797ba32da9628cf3e8acd83160d8db8c8dd842501dd8e401c3b5371"),
    "libexpat1": ("2.5.0-1+deb12u5", "debian-security/pool/updates/main/e/expat/libexpat1_2.5.0-1+deb12u5_amd64.deb", "cae5ded666d8573dd33060bc66fbac21eea8b101a6b56e2af8bd590fcfa65d79"),
    "libwayland-client0": ("1.21.0-1", "debian/pool/main/w/wayland/libwayland-client0_1.21.0-1_amd64.deb", "1f002d028b8b79eec9847c636d8886d10dfe8c884cc2bebe18086b1391c5a28d"),
    "libx11-xcb1": ("2:1.8.4-2+deb12u2", "debian/pool/main/libx/libx11/libx11-xcb1_1.8.4-2+deb12u2_amd64.deb", "f5da45e1d881a793250a96613f28c471a248877f1a0f18a5c90e2a620a76c898"),
    "libxcb1": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb1_1.15-1_amd64.deb", "fdc61332a3892168f3cc9cfa1fe9cf11a91dc3e0acacbc47cbc50ebaa234cc71"),
    "libxcb-dri3-0": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb-dri3-0_1.15-1_amd64.deb", "02699b144b9467de8636d27a76984b8f4e7b66e2d25d96df2b9677be86ee9a29"),
    "libxcb-present0": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb-present0_1.15-1_amd64.deb", "89383e627a4d17b9390d609b2459481bfd2029566367b43068586769e418b6e5"),
    "libxcb-randr0": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb-randr0_1.15-1_amd64.deb", "f86e3d8ff8622871008833e9d064919b7a6237399c903c59fc330ff00f199ff5"),
    "libxcb-shm0": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb-shm0_1.15-1_amd64.deb", "c1afcef29dc78b95c475159b181b28b1dedaf1d5aa06efd2fa6d90c73bfbe0e5"),
    "libxcb-sync1": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb-sync1_1.15-1_amd64.deb", "3366ce715220d38dd0148b78a8e738137bade25ef7eec0698850c6f66800844f"),
    "libxcb-xfixes0": ("1.15-1", "debian/pool/main/libx/libxcb/libxcb-xfixes0_1.15-1_amd64.deb", "d744a7ebad2cbcf301c96cd6a1ab3ee856e436fc7be5cff5b7c28ac2ac181a64"),
    "libxshmfence1": ("1.3-1", "debian/pool/main/libx/libxshmfence/libxshmfence1_1.3-1_amd64.deb", "1a38142e40e3d32dc4f9a326bf5617363b7d9b4bb762fdcdd262f2192092024d"),
    "libffi8": ("3.4.4-1", "debian/pool/main/libf/libffi/libffi8_3.4.4-1_amd64.deb", "6d9f6c25c30efccce6d4bceaa48ea86c329a3432abb360a141f76ac223a4c34a"),
    "libedit2": ("3.1-20221030-2", "debian/pool/main/libe/libedit/libedit2_3.1-20221030-2_amd64.deb", "1cf14abf2716d3279db12d0657a5737cf70074a1e71d3bdf73206625e3c89ce6"),
    "libz3-4": ("4.8.12-3.1", "debian/pool/main/z/z3/libz3-4_4.8.12-3.1_amd64.deb", "6221ca25ad5abcfbe1965801029d85a88b4775320384b4b716de8fab7a4d2f7a"),
    "libxml2": ("2.9.14+dfsg-1.3~deb12u6", "debian/pool/main/libx/libxml2/libxml2_2.9.14+dfsg-1.3~deb12u6_amd64.deb", "4460e39dda10a815881374217cde08474747cfa018358cd8612c14b390eff53b"),
    "libxau6": ("1:1.0.9-1", "debian/pool/main/libx/libxau/libxau6_1.0.9-1_amd64.deb", "679db1c4579ec7c61079adeaae8528adeb2e4bf5465baa6c56233b995d714750"),
    "libxdmcp6": ("1:1.1.2-3", "debian/pool/main/libx/libxdmcp/libxdmcp6_1.1.2-3_amd64.deb", "ecb8536f5fb34543b55bb9dc5f5b14c9dbb4150a7bddb3f2287b7cab6e9d25ef"),
    "libbsd0": ("0.11.7-2", "debian/pool/main/libb/libbsd/libbsd0_0.11.7-2_amd64.deb", "bb31cc8b40f962a85b2cec970f7f79cc704a1ae4bad24257a822055404b2c60b"),
    "libmd0": ("1.0.4-2", "debian/pool/main/libm/libmd/libmd0_1.0.4-2_amd64.deb", "03539fd30c509e27101d13a56e52eda9062bdf1aefe337c07ab56def25a13eab"),
    "libicu72": ("72.1-3+deb12u1", "debian/pool/main/i/icu/libicu72_72.1-3+deb12u1_amd64.deb", "f7f6f99c6d7b025914df2447fc93e11d22c44c0c8bdd8b6f36691c9e7ddcef88"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "liblzma5": ("5.4.1-1+deb12u2", "debian-security/pool/updates/main/x/xz-utils/liblzma5_5.4.1-1+deb12u2_amd64.deb", "3d8c29c8c21ec6007635e1b2591edf98b771c9572a085968f47452b33040f384"),
    "libstdc++6": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb", "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"),
    "libtinfo6": ("6.4-4", "debian/pool/main/n/ncurses/libtinfo6_6.4-4_amd64.deb", "072d908f38f51090ca28ca5afa3b46b2957dc61fe35094c0b851426859a49a51"),
    "libzstd1": ("1.5.4+dfsg2-5+deb12u1", "debian-security/pool/updates/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5+deb12u1_amd64.deb", "67dc1ee693e5c22b1a2be2bb70d8244b040836ce3f5dd79e006f7806bc3d9f1c"),
    "zlib1g": ("1:1.2.13.dfsg-1+deb12u1", "debian-security/pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb", "ad9f1ea0537a32c9eaecc619563a9db596a5dee33afce8393b1083f22d301e1d"),
}

_LIBS = HOST_LIBRARY_DIRS[0]

# library_path relative to the manifest: the loader resolves it from the
# manifest's directory, so it works in any runfiles tree or output base.
_ICD = """\
{
    "file_format_version": "1.0.0",
    "ICD": {
        "library_path": "../%s/libvulkan_lvp.so",
        "api_version": "1.3.230"
    }
}
""" % _LIBS

# Host Vulkan state (other ICDs, implicit layers such as Mesa's device_select
# from /usr/share/vulkan) is masked, so only lavapipe is enumerated.
_RUN = """\
#!/usr/bin/env bash
# Runs a command with the pinned Vulkan loader and lavapipe as the only driver.
#   run_with_lavapipe COMMAND [ARGS...]
set -euo pipefail
# The repository's root: next to this script in runfiles (sh_binary at the
# root), else where the script itself lives (bin/ of the external repository).
repo="$(cd "${0%/*}" && pwd)"
if [[ ! -f "$repo/icd/lvp_icd.x86_64.json" ]]; then
  repo="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
fi
[[ -f "$repo/icd/lvp_icd.x86_64.json" ]] || { echo "run_with_lavapipe: no ICD manifest near $0" >&2; exit 1; }
export LD_LIBRARY_PATH="{library_path}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VK_DRIVER_FILES="$repo/icd/lvp_icd.x86_64.json"
export VK_ICD_FILENAMES="$VK_DRIVER_FILES"
export VK_LOADER_LAYERS_DISABLE="~implicit~"
exec "$@"
""".replace("{library_path}", library_path("$repo"))

_BUILD = """\
package(default_visibility = ["//visibility:public"])

exports_files([
    "VERSION",
    "closure.json",
])

filegroup(
    name = "files",
    srcs = glob(["{libs}/*.so*", "{more_libs}/*.so*"]) + ["icd/lvp_icd.x86_64.json"],
)

filegroup(
    name = "icd",
    srcs = ["icd/lvp_icd.x86_64.json"],
)

sh_binary(
    name = "run_with_lavapipe",
    srcs = ["bin/run_with_lavapipe"],
    data = [":files"],
)
"""

def _lavapipe_repo_impl(rctx):
    require_host(rctx, "lavapipe (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    lvp = rctx.path(_LIBS + "/libvulkan_lvp.so")
    if not lvp.exists:
        fail("mesa-vulkan-drivers did not provide %s" % lvp)

    # Only lavapipe is selected; the hardware drivers stay unused.
    rctx.file("icd/lvp_icd.x86_64.json", _ICD)
    rctx.file("bin/run_with_lavapipe", _RUN, executable = True)
    rctx.file("VERSION", "mesa %s, vulkan loader %s\n" % (
        DEBIAN_PACKAGES["mesa-vulkan-drivers"][0],
        DEBIAN_PACKAGES["libvulkan1"][0],
    ))
    write_closure_manifest(rctx, DEBIAN_PACKAGES, [_LIBS + "/libvulkan.so.1", _LIBS + "/libvulkan_lvp.so"])
    rctx.file("BUILD.bazel", _BUILD.format(libs = HOST_LIBRARY_DIRS[0], more_libs = HOST_LIBRARY_DIRS[1]))

lavapipe_repo = repository_rule(
    implementation = _lavapipe_repo_impl,
    doc = "The Vulkan loader and lavapipe from pinned Debian packages, with a run wrapper.",
)
