"""Repository rule: QEMU from pinned Debian 12 packages, for test runners.

qemu-system-arm (the mps3-an547 board: the SSE-300 subsystem of Corstone-300)
runs bare-metal Cortex-M55 programs; qemu-aarch64 (static, user mode) runs
Linux aarch64 programs for the Corstone-1000 CPU. Shared libraries that
qemu-system-arm needs beyond a base Debian system come from the same pinned set.
"""

load("//toolchains/debian:debian.bzl", "HOST_LIBRARY_DIRS", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "qemu-system-arm": ("1:7.2+dfsg-7+deb12u18+b3", "debian/pool/main/q/qemu/qemu-system-arm_7.2+dfsg-7+deb12u18+b3_amd64.deb", "78c4adf16152bb8ae1994784e966365128cae04d8ae37bc161bb0b6617c17d9c"),
    "qemu-user-static": ("1:7.2+dfsg-7+deb12u18+b3", "debian/pool/main/q/qemu/qemu-user-static_7.2+dfsg-7+deb12u18+b3_amd64.deb", "c3e3ba2bd87f8c5b9a5da5ef21b5a3b82d7c63b89dd448d9ddaa4eabc5b6e402"),
    "libaio1": ("0.3.113-4", "debian/pool/main/liba/libaio/libaio1_0.3.113-4_amd64.deb", "d1476e4beab3d85f8a7d31de94c27472711ed3ef399ce70708e24b259426125b"),
    "libcapstone4": ("4.0.2-5", "debian/pool/main/c/capstone/libcapstone4_4.0.2-5_amd64.deb", "41277f0388184f6e3b9fc02eda3184afbc999314b25b77ed75e8049428bdfe5e"),
    "libdaxctl1": ("76.1-1", "debian/pool/main/n/ndctl/libdaxctl1_76.1-1_amd64.deb", "af5f9ffe642ae25301eb88fdb2fa9e3c06dcfc5e131fbcee7575adf0adcc9abb"),
    "libfdt1": ("1.6.1-4+b1", "debian/pool/main/d/device-tree-compiler/libfdt1_1.6.1-4+b1_amd64.deb", "e7312b61267979a58ae1fa9e34746d077707560c955f6455d02a9ff0f8fa7995"),
    "libfuse3-3": ("3.14.0-4", "debian/pool/main/f/fuse3/libfuse3-3_3.14.0-4_amd64.deb", "bf535cec5e965823fd03199b4029f9e9f3952111eb12824b5d2b96c8cca1a918"),
    "libibverbs1": ("44.0-2", "debian/pool/main/r/rdma-core/libibverbs1_44.0-2_amd64.deb", "35054815259fee46173240254246d03b673a5cd5c528aaac96fd15ac428a8d59"),
    "libkmod2": ("30+20221128-1", "debian/pool/main/k/kmod/libkmod2_30+20221128-1_amd64.deb", "af63bbbfc15fbd1f254b15c393b3b95b18b18cc81348fc1b4f1c9c34b4d672d7"),
    "libndctl6": ("76.1-1", "debian/pool/main/n/ndctl/libndctl6_76.1-1_amd64.deb", "3654dd3a0a05fdc28af8bcd307109ec41a9ea92218bf29816ff467a8c5e7d57f"),
    "libnl-3-200": ("3.7.0-0.2+b1", "debian/pool/main/libn/libnl3/libnl-3-200_3.7.0-0.2+b1_amd64.deb", "d1fc3e9eb8e79b4c96b0a64c3d8c9e068ae2f665cab71bd19f417ffd0453a890"),
    "libnl-route-3-200": ("3.7.0-0.2+b1", "debian/pool/main/libn/libnl3/libnl-route-3-200_3.7.0-0.2+b1_amd64.deb", "0fdcc425ae2982788c085c76a7cb0eda3e3db99d41bd1ce56082ee18e9f1e21f"),
    "libpmem1": ("1.12.1-2", "debian/pool/main/p/pmdk/libpmem1_1.12.1-2_amd64.deb", "63ed00821aecdb5537b51b6f378cf571144d02ac3af2f95141bfa0e397359a76"),
    "librdmacm1": ("44.0-2", "debian/pool/main/r/rdma-core/librdmacm1_44.0-2_amd64.deb", "16b18625834371d023b81477823074ea0d34c478d58dbef3f01107984f47d034"),
    "libslirp0": ("4.7.0-1", "debian/pool/main/libs/libslirp/libslirp0_4.7.0-1_amd64.deb", "e21e19f0e99e57f254162f61416ea82f00cbc6ab9eb6bead4f5a5a8944ede27e"),
    "liburing2": ("2.3-3", "debian/pool/main/libu/liburing/liburing2_2.3-3_amd64.deb", "c23077e3640e6cb4b819c134b3f41d5cf21b3edac099654b1b4142c3069a39a3"),
    "libvdeplug2": ("4.0.1-4", "debian/pool/main/v/vdeplug4/libvdeplug2_4.0.1-4_amd64.deb", "1ace8e6571009bb4b8e3c5e093609f30f3ffca96578d35d61100f1e73fd2110d"),
    "libblkid1": ("2.38.1-5+deb12u3", "debian/pool/main/u/util-linux/libblkid1_2.38.1-5+deb12u3_amd64.deb", "5a083377f29191cafcdf0f91ec124349b4a7895b531556633a136e43c6d53943"),
    "libbpf1": ("1:1.1.2-0+deb12u1", "debian/pool/main/libb/libbpf/libbpf1_1.1.2-0+deb12u1_amd64.deb", "5e7505ef77ebc84ad0203411e4afdeb8a98f40fb7f78f013aa4dd8710e49f8ed"),
    "libelf1": ("0.188-2.1", "debian/pool/main/e/elfutils/libelf1_0.188-2.1_amd64.deb", "619add379c606b3ac6c1a175853b918e6939598a83d8ebadf3bdfd50d10b3c8c"),
    "libffi8": ("3.4.4-1", "debian/pool/main/libf/libffi/libffi8_3.4.4-1_amd64.deb", "6d9f6c25c30efccce6d4bceaa48ea86c329a3432abb360a141f76ac223a4c34a"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "libglib2.0-0": ("2.74.6-2+deb12u9", "debian/pool/main/g/glib2.0/libglib2.0-0_2.74.6-2+deb12u9_amd64.deb", "7ff85197685d89e150e342b29a59aab1beee400050ba7da73de81cd999ffee5a"),
    "libgmp10": ("2:6.2.1+dfsg1-1.1", "debian/pool/main/g/gmp/libgmp10_6.2.1+dfsg1-1.1_amd64.deb", "187aedef2ed763f425c1e523753b9719677633c7eede660401739e9c893482bd"),
    "libgnutls30": ("3.7.9-2+deb12u7", "debian/pool/main/g/gnutls28/libgnutls30_3.7.9-2+deb12u7_amd64.deb", "30abec8c824feb1d2d7e9000a34083cccd19d139625e1b21547e3ac53b922f8e"),
    "libhogweed6": ("3.8.1-2", "debian/pool/main/n/nettle/libhogweed6_3.8.1-2_amd64.deb", "ed8185c28b2cb519744a5a462dcd720d3b332c9b88a1d0002eac06dc8550cb94"),
    "libidn2-0": ("2.3.3-1+b1", "debian/pool/main/libi/libidn2/libidn2-0_2.3.3-1+b1_amd64.deb", "d50716d5824083d667427817d506b45d3f59dc77e1ca52de000f3f62d4918afa"),
    "libjpeg62-turbo": ("1:2.1.5-2", "debian/pool/main/libj/libjpeg-turbo/libjpeg62-turbo_2.1.5-2_amd64.deb", "95ec30140789a342add8f8371ed018924de51b539056522b66f207b25cba9cad"),
    "liblzma5": ("5.4.1-1+deb12u2", "debian-security/pool/updates/main/x/xz-utils/liblzma5_5.4.1-1+deb12u2_amd64.deb", "3d8c29c8c21ec6007635e1b2591edf98b771c9572a085968f47452b33040f384"),
    "libmount1": ("2.38.1-5+deb12u3", "debian/pool/main/u/util-linux/libmount1_2.38.1-5+deb12u3_amd64.deb", "f46e2d6b006951825adde9757790b6609d7c66c7700f9b68f3db913eaac323c3"),
    "libnettle8": ("3.8.1-2", "debian/pool/main/n/nettle/libnettle8_3.8.1-2_amd64.deb", "45922e6e289ffd92f0f92d2bb9159e84236ff202d552a461bf10e5335b3f0261"),
    "libnuma1": ("2.0.16-1", "debian/pool/main/n/numactl/libnuma1_2.0.16-1_amd64.deb", "639e1ab6bd66ead40db8a22c332d7199679fa22db261cac34444eb8eb4c17dda"),
    "libp11-kit0": ("0.24.1-2", "debian/pool/main/p/p11-kit/libp11-kit0_0.24.1-2_amd64.deb", "251330faddbf013f060fcdb41f4b0c037c8a6e89ba7c09b04bfcc4e3f0807b22"),
    "libpcre2-8-0": ("10.42-1+deb12u2", "debian-security/pool/updates/main/p/pcre2/libpcre2-8-0_10.42-1+deb12u2_amd64.deb", "d2f7edfcc7689b9e0761c2742cc824ac86a20768bc5e8057818dc6875291fe76"),
    "libpixman-1-0": ("0.42.2-1", "debian/pool/main/p/pixman/libpixman-1-0_0.42.2-1_amd64.deb", "9ed75ef81b6b1eba9e1357f8b0ce01d31112b0e07b2b685bee2cf627a8932892"),
    "libpng16-16": ("1.6.39-2+deb12u6", "debian-security/pool/updates/main/libp/libpng1.6/libpng16-16_1.6.39-2+deb12u6_amd64.deb", "940b91d40d51c825de7f7aa133aecff1ffa25a91f12cb6aa6926c9ad55cd640c"),
    "libsasl2-2": ("2.1.28+dfsg-10+deb12u1", "debian-security/pool/updates/main/c/cyrus-sasl2/libsasl2-2_2.1.28+dfsg-10+deb12u1_amd64.deb", "d6f20408e2be92ebd9f5e3b1c1935b075efb3f03abb5f48f7b991a0ad3e2d6a5"),
    "libseccomp2": ("2.5.4-1+deb12u1", "debian/pool/main/libs/libseccomp/libseccomp2_2.5.4-1+deb12u1_amd64.deb", "108fe67957ca7cf9ba51d801118a1b37d404bea7b6e365025cd00779e9eca38d"),
    "libselinux1": ("3.4-1+b6", "debian/pool/main/libs/libselinux/libselinux1_3.4-1+b6_amd64.deb", "2b07f5287b9105f40158b56e4d70cc1652dac56a408f3507b4ab3d061eed425f"),
    "libssl3": ("3.0.22-1~deb12u2", "debian-security/pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb", "cb4784740daa9b3b0eaea2b444bbefa686794afbbf3d678d238c1fd9875f2efd"),
    "libtasn1-6": ("4.19.0-2+deb12u1", "debian/pool/main/libt/libtasn1-6/libtasn1-6_4.19.0-2+deb12u1_amd64.deb", "2c27c613b69be248d09432839ea3d3382f6ee27fabaa65987aa2d884cd00afda"),
    "libudev1": ("252.39-1~deb12u2", "debian/pool/main/s/systemd/libudev1_252.39-1~deb12u2_amd64.deb", "6f7e08f11c4809d2e5998c775f7b423ab5ec2ce0309494b4a2615037052245e2"),
    "libunistring2": ("1.0-2", "debian/pool/main/libu/libunistring/libunistring2_1.0-2_amd64.deb", "d466bbfe011d764d793c1d9d777cad9c7cf65b938e11598f27408171ad95a951"),
    "libuuid1": ("2.38.1-5+deb12u3", "debian/pool/main/u/util-linux/libuuid1_2.38.1-5+deb12u3_amd64.deb", "5fff398321da62d28a842bcbabd193d72ae21724962c029dc32b1dc6b2deaeaf"),
    "libzstd1": ("1.5.4+dfsg2-5+deb12u1", "debian-security/pool/updates/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5+deb12u1_amd64.deb", "67dc1ee693e5c22b1a2be2bb70d8244b040836ce3f5dd79e006f7806bc3d9f1c"),
    "zlib1g": ("1:1.2.13.dfsg-1+deb12u1", "debian-security/pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb", "ad9f1ea0537a32c9eaecc619563a9db596a5dee33afce8393b1083f22d301e1d"),
}

def _qemu_repo_impl(rctx):
    require_host(rctx, "QEMU (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    rctx.file("bin/qemu-system-arm", """#!/bin/sh
here="$(cd "${0%/*}" && pwd)"
LD_LIBRARY_PATH="{library_path}" \\
  exec "$here/../root/usr/bin/qemu-system-arm" "$@"
""".replace("{library_path}", library_path("$here/..")), executable = True)
    rctx.symlink("root/usr/bin/qemu-aarch64-static", "bin/qemu-aarch64")
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/bin/qemu-system-arm", "root/usr/bin/qemu-aarch64-static", "root/usr/bin/qemu-x86_64-static"])
    rctx.file("VERSION", DEBIAN_PACKAGES["qemu-system-arm"][0] + "\n")
    rctx.file("BUILD.bazel", """\
load("{defs_bzl}", "qemu_toolchain")

package(default_visibility = ["//visibility:public"])

# qemu-x86_64 runs host programs as another x86_64 CPU would (//tests:cpu_independence_test).
exports_files([
    "closure.json",
    "root/usr/bin/qemu-x86_64-static",
])

filegroup(
    name = "system_arm_files",
    srcs = glob(["%s/**/*.so*" % d for d in {library_dirs}]) + ["root/usr/bin/qemu-system-arm"],
)

qemu_toolchain(
    name = "qemu",
    system_arm = "bin/qemu-system-arm",
    system_arm_files = ":system_arm_files",
    user_aarch64 = "bin/qemu-aarch64",
    version = "{version}",
)
""".format(
        defs_bzl = str(Label("//toolchains/qemu:defs.bzl")),
        version = DEBIAN_PACKAGES["qemu-system-arm"][0],
        library_dirs = repr(HOST_LIBRARY_DIRS),
    ))

qemu_repo = repository_rule(
    implementation = _qemu_repo_impl,
    doc = "qemu-system-arm and qemu-aarch64 (static) from pinned Debian packages.",
)
