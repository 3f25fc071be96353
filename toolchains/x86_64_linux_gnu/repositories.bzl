"""Repository rule: GCC 12 for x86_64 Linux hosts, from pinned Debian packages.

Host C++ (the runner, the fuzzers, the functional NPU model) compiles with this
compiler instead of whatever `gcc` the machine has, so action keys are the same
on every machine and a shared remote cache hits. Two trees: `root` holds the
compiler and binutils with the libraries they run with (the wrappers' LD_LIBRARY_PATH),
`sysroot` the target's glibc, kernel headers and libgcc_s to link against; glibc
stays out of `root`, so the host's dynamic loader never meets another libc.so.6.
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

# The compiler, binutils, libstdc++ and the sanitizer runtimes, and what they
# run with. Regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "binutils-x86-64-linux-gnu": ("2.40-2", "debian/pool/main/b/binutils/binutils-x86-64-linux-gnu_2.40-2_amd64.deb", "2d7ea8a570d768224d7f2424abbe6f373d2154865a1fa7f56c80d43ecf492521"),
    "cpp-12": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/cpp-12_12.2.0-14+deb12u1_amd64.deb", "fedbb98e877adde83c983c6071537ea25ac52b277ac6e4637d85025949ca1454"),
    "g++-12": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/g++-12_12.2.0-14+deb12u1_amd64.deb", "68b182badae4ace7d472f1393c559d3532a95a2d70817498b10bb481d2627251"),
    "gcc-12": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/gcc-12_12.2.0-14+deb12u1_amd64.deb", "b46f33cc2ec245e435e043807038cecf4b201ef004800e9dfc1455240360e49d"),
    "gcc-12-base": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/gcc-12-base_12.2.0-14+deb12u1_amd64.deb", "1896a2aacf4ad681ff5eacc24a5b0ca4d5d9c9b9c9e4b6de5197bc1e116ea619"),
    "libasan8": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libasan8_12.2.0-14+deb12u1_amd64.deb", "e7ac5d797d7d438a130674a8e463530f06aa02ecf919ca054d75eaa2f7849ec7"),
    "libatomic1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libatomic1_12.2.0-14+deb12u1_amd64.deb", "fbd4e154a6b444229ea002cc209df099209c0adc09102e5fd21239a3d2b55e2d"),
    "libbinutils": ("2.40-2", "debian/pool/main/b/binutils/libbinutils_2.40-2_amd64.deb", "fcf55b99e5f8a78f3c8ce9b6957f1024f394cf20c196b100d308a57e43547710"),
    "libcc1-0": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libcc1-0_12.2.0-14+deb12u1_amd64.deb", "4ee6009633003f47de98333ea7f7d8835ec563ae2ac4f30251dbfee04d75d46b"),
    "libctf-nobfd0": ("2.40-2", "debian/pool/main/b/binutils/libctf-nobfd0_2.40-2_amd64.deb", "ef1dfcf22de41ea90ebd3d505447ccccd999e96b85aa777a1d7d981dc3b347aa"),
    "libctf0": ("2.40-2", "debian/pool/main/b/binutils/libctf0_2.40-2_amd64.deb", "3fb7b6f326be3fae4a87a3d33b9269bd06c1e4346a24bd737f265067e3b7427f"),
    "libgcc-12-dev": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-12-dev_12.2.0-14+deb12u1_amd64.deb", "d720259380a84f2ffc6fe516eff5cbe9c8a005138e8d6a5748747ba4b3404a82"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "libgomp1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgomp1_12.2.0-14+deb12u1_amd64.deb", "48fec46bda7f5b1638b9e959889bfbc20491247d402d120bb152687eb48143d7"),
    "libgprofng0": ("2.40-2", "debian/pool/main/b/binutils/libgprofng0_2.40-2_amd64.deb", "a3c4092d84f19d13caf90f3c96eec53db8819f0e3a5247434944d71ed75fa53d"),
    "libitm1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libitm1_12.2.0-14+deb12u1_amd64.deb", "0ed5b35dfd1346cccbf065408ec789db6c44c1d0a16ae84533411dea09632979"),
    "libjansson4": ("2.14-2", "debian/pool/main/j/jansson/libjansson4_2.14-2_amd64.deb", "3fc9742f9f1a37bcb9931df6074b4d1483419ef832ad5349f47323e75fc27864"),
    "liblsan0": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/liblsan0_12.2.0-14+deb12u1_amd64.deb", "d234ab339c0ba31a4fb44e2334cf5a8d15b87f2c2f9e74fadfaa877f92dcf22a"),
    "libquadmath0": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libquadmath0_12.2.0-14+deb12u1_amd64.deb", "3f0c9a4c730da2fdab001cae596625438598fd2996d29d888feeb4c1cdc9011f"),
    "libstdc++-12-dev": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libstdc++-12-dev_12.2.0-14+deb12u1_amd64.deb", "d28def6c23630432b57cb38a4c2fd67a79d4e0484027386ca6e8d6005c3d7a73"),
    "libstdc++6": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb", "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"),
    "libtsan2": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libtsan2_12.2.0-14+deb12u1_amd64.deb", "06906663d644a75a1a836382ecd80b61461129c06f02935ce408b25809f6c958"),
    "libubsan1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libubsan1_12.2.0-14+deb12u1_amd64.deb", "744f52adf00ffd45d44806b1c7e802a36bd27e479c9bc8457128fde357faa530"),
} | GCC_HOST_LIBRARIES

# What programs link against (--sysroot). Regenerate with toolchains/debian/pin.py.
SYSROOT_PACKAGES = {
    "libc6": ("2.36-9+deb12u14", "debian/pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb", "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf"),
    "libc6-dev": ("2.36-9+deb12u14", "debian/pool/main/g/glibc/libc6-dev_2.36-9+deb12u14_amd64.deb", "0218fc2befcd784c1b0c6292c0a137ce89fad054efaa579ad083bee0f2c01aae"),
    "libcrypt-dev": ("1:4.4.33-2", "debian/pool/main/libx/libxcrypt/libcrypt-dev_4.4.33-2_amd64.deb", "81ccd29130f75a9e3adabc80e61921abff42f76761e1f792fa2d1bb69af7f52f"),
    "libcrypt1": ("1:4.4.33-2", "debian/pool/main/libx/libxcrypt/libcrypt1_4.4.33-2_amd64.deb", "f5f60a5cdfd4e4eaa9438ade5078a57741a7a78d659fcb0c701204f523e8bd29"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "linux-libc-dev": ("6.1.192-3", "debian-security/pool/updates/main/l/linux/linux-libc-dev_6.1.192-3_amd64.deb", "1b699a9cf27fd36f295b8f7615b73cea8d2d11d43c275c2aca1f4a7a7d14c4ea"),
}

# The tools of the cc_tool_map (BUILD.repo.tpl).
_TOOLS = {
    "ar": "x86_64-linux-gnu-ar",
    "gcc": "x86_64-linux-gnu-gcc-12",
    "objcopy": "x86_64-linux-gnu-objcopy",
    "strip": "x86_64-linux-gnu-strip",
}

# gcc runs `as`, and collect2 `ld`, from its own program directory before
# searching PATH, where the host's binutils would be.
_GCC_LIBEXEC = "root/usr/lib/gcc/x86_64-linux-gnu/12"
_GCC_PROGRAMS = {
    "as": "x86_64-linux-gnu-as",
    "ld": "x86_64-linux-gnu-ld",
}

def _repo_impl(rctx):
    require_host(rctx, "the x86_64 host toolchain (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    fetch_debian_packages(rctx, SYSROOT_PACKAGES, destination = "sysroot")
    sysroot_relative_ld_scripts(rctx, "sysroot/usr/lib/x86_64-linux-gnu", "/")
    for name, binary in _GCC_PROGRAMS.items():
        rctx.symlink("root/usr/bin/" + binary, "%s/%s" % (_GCC_LIBEXEC, name))
    write_tool_wrappers(rctx, _TOOLS)
    write_closure_manifest(
        rctx,
        DEBIAN_PACKAGES | SYSROOT_PACKAGES,
        # ld loads the LTO plugin with dlopen.
        ["root/usr/bin", _GCC_LIBEXEC, _GCC_LIBEXEC + "/liblto_plugin.so"],
    )
    version = DEBIAN_PACKAGES["gcc-12"][0]
    rctx.template("BUILD.bazel", rctx.attr._build_template, substitutions = {
        "{gcc_tool_map_bzl}": GCC_TOOL_MAP_BZL,
        "{version}": version,
    })

x86_64_linux_gnu_repo = repository_rule(
    implementation = _repo_impl,
    attrs = {"_build_template": attr.label(default = "//toolchains/x86_64_linux_gnu:BUILD.repo.tpl")},
    doc = "x86_64-linux-gnu GCC 12 with glibc and libstdc++ from pinned Debian packages.",
)
