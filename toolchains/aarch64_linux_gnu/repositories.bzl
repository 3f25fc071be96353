"""Repository rule: GCC for aarch64 Linux (the Corstone-1000 Cortex-A320) with a sysroot.

Debian 12's cross compiler, binutils, glibc and libstdc++ for arm64, fetched with
apt's own client as pinned packages and unpacked into one sysroot directory.
"""

load(
    "//toolchains/debian:debian.bzl",
    "fetch_debian_packages",
    "sysroot_relative_ld_scripts",
    "write_closure_manifest",
    "write_tool_wrappers",
)
load("//toolchains/debian:gcc_host_libraries.bzl", "GCC_HOST_LIBRARIES")
load("//toolchains/gcc:tool_map.bzl", "GCC_TOOL_MAP_BZL")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "binutils-aarch64-linux-gnu": ("2.40-2", "debian/pool/main/b/binutils/binutils-aarch64-linux-gnu_2.40-2_amd64.deb", "3d6f64a7a4ed6d73719f8fa2e85fd896f58ff7f211a6683942ba93de690aaa66"),
    "cpp-12-aarch64-linux-gnu": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/cpp-12-aarch64-linux-gnu_12.2.0-14cross1_amd64.deb", "5921df4ad56e34e6257a1caf862474845aab6548ba7ae7852e8cdd7cb622394e"),
    "g++-12-aarch64-linux-gnu": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/g++-12-aarch64-linux-gnu_12.2.0-14cross1_amd64.deb", "3693e31fe2b42fcbdd92fef3e5578e91dd86af30e3d2c5fff3f9821e34a1cb91"),
    "gcc-12-aarch64-linux-gnu": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/gcc-12-aarch64-linux-gnu_12.2.0-14cross1_amd64.deb", "43747bbcd46a4062e66e855090b8ed9c2e06a93ae5a69fb304beebbc8c36d11f"),
    "gcc-12-cross-base": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/gcc-12-cross-base_12.2.0-14cross1_all.deb", "8dcb9dc293df9069f09dbe68d73f4a8ec2d4e3da4dcfbfe14a821d94e257e9d5"),
    "libasan8-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libasan8-arm64-cross_12.2.0-14cross1_all.deb", "bf00a5bb8de76c68bb5e710b3734808286e1e9ca86c0bd136ed3a5077c46d949"),
    "libatomic1-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libatomic1-arm64-cross_12.2.0-14cross1_all.deb", "15c1baededd89ad388f6ea527aa25140364b2867332e3e815d67cba09d179bf6"),
    "libbinutils": ("2.40-2", "debian/pool/main/b/binutils/libbinutils_2.40-2_amd64.deb", "fcf55b99e5f8a78f3c8ce9b6957f1024f394cf20c196b100d308a57e43547710"),
    "libc6-arm64-cross": ("2.36-8cross1", "debian/pool/main/c/cross-toolchain-base/libc6-arm64-cross_2.36-8cross1_all.deb", "91936cbbee75771c360ed16513f6e734a25ca5517fe7c3e13dfd7835d7553186"),
    "libc6-dev-arm64-cross": ("2.36-8cross1", "debian/pool/main/c/cross-toolchain-base/libc6-dev-arm64-cross_2.36-8cross1_all.deb", "5e4cf6abf0e89e89c4b3006bb8b7dc47aa831df25d94df9134929b8b968cacb4"),
    "libgcc-12-dev-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libgcc-12-dev-arm64-cross_12.2.0-14cross1_all.deb", "ff1324e262bae2c3aad685c2ed52bd531ab0a2a337a0fe35c3b720947d55b2ba"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "libgcc-s1-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libgcc-s1-arm64-cross_12.2.0-14cross1_all.deb", "af1e686fc6a416228222e7bfb68317dd2fa2685236301ae29141fc6108a66cac"),
    "libgomp1-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libgomp1-arm64-cross_12.2.0-14cross1_all.deb", "9abdd1a77691a1fa5de1d142236194d690a040c953ef032ce78a8c6bde7ffca5"),
    "libhwasan0-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libhwasan0-arm64-cross_12.2.0-14cross1_all.deb", "eda088253ed14ded10d8311131d97f500e257d4cb7bf36334367d781ba3eb939"),
    "libitm1-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libitm1-arm64-cross_12.2.0-14cross1_all.deb", "d1b41cfcbf835ad970717b022de79526fce3837d076c0f15c52a14930155edc6"),
    "libjansson4": ("2.14-2", "debian/pool/main/j/jansson/libjansson4_2.14-2_amd64.deb", "3fc9742f9f1a37bcb9931df6074b4d1483419ef832ad5349f47323e75fc27864"),
    "liblsan0-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/liblsan0-arm64-cross_12.2.0-14cross1_all.deb", "6711ed147338b929e45c9e3c1b3b0655c98c0d0e7877d8cd1ff57183dfc7dea7"),
    "libstdc++-12-dev-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libstdc++-12-dev-arm64-cross_12.2.0-14cross1_all.deb", "942b5710c6b9792578dfa64f7a4633bc0d3cb205b56ded11297e240ff824f5da"),
    "libstdc++6-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libstdc++6-arm64-cross_12.2.0-14cross1_all.deb", "9cba984b64d0cf11698978fc5e0fe93c7441d29b9f42f70f1c6c734cc9e2ea41"),
    "libtsan2-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libtsan2-arm64-cross_12.2.0-14cross1_all.deb", "5c21f8753b5c73ffeb8a505b083f9695bd72a0bce416f8910daf4a03e23ccc0b"),
    "libubsan1-arm64-cross": ("12.2.0-14cross1", "debian/pool/main/g/gcc-12-cross/libubsan1-arm64-cross_12.2.0-14cross1_all.deb", "f293ec2cb6d40acb1ab1715d8a248bd0aa64ca3104168bc095c973cde5e2e395"),
    "linux-libc-dev-arm64-cross": ("6.1.4-1cross1", "debian/pool/main/c/cross-toolchain-base/linux-libc-dev-arm64-cross_6.1.4-1cross1_all.deb", "66457f015d16b7d372db6591cff38db0da928362ff2ea1fa75491e28f6904d81"),
} | GCC_HOST_LIBRARIES

# The tools of the cc_tool_map (BUILD.repo.tpl).
_TOOLS = {
    "ar": "aarch64-linux-gnu-ar",
    "gcc": "aarch64-linux-gnu-gcc-12",
    "objcopy": "aarch64-linux-gnu-objcopy",
    "strip": "aarch64-linux-gnu-strip",
}

def _repo_impl(rctx):
    require_host(rctx, "the aarch64 cross toolchain (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    sysroot_relative_ld_scripts(rctx, "root/usr/aarch64-linux-gnu/lib", "/usr/aarch64-linux-gnu/")
    write_tool_wrappers(rctx, _TOOLS)
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/bin", "root/usr/lib/gcc-cross"])
    version = DEBIAN_PACKAGES["gcc-12-aarch64-linux-gnu"][0]
    rctx.template("BUILD.bazel", rctx.attr._build_template, substitutions = {
        "{gcc_tool_map_bzl}": GCC_TOOL_MAP_BZL,
        "{version}": version,
    })

aarch64_linux_gnu_repo = repository_rule(
    implementation = _repo_impl,
    attrs = {"_build_template": attr.label(default = "//toolchains/aarch64_linux_gnu:BUILD.repo.tpl")},
    doc = "aarch64-linux-gnu GCC 12 with glibc and libstdc++ from pinned Debian packages.",
)
