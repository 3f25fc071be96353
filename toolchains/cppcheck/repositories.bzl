"""Repository rule: cppcheck from pinned Debian 12 packages, for //tests/lint:cppcheck_test."""

load("//toolchains/debian:debian.bzl", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "cppcheck": ("2.10-2", "debian/pool/main/c/cppcheck/cppcheck_2.10-2_amd64.deb", "9bb8da72b7ffbf4221b68cc290be2f8a23a1454b68aa12cc085e815c3bc6bef2"),
    "libpcre3": ("2:8.39-15", "debian/pool/main/p/pcre3/libpcre3_8.39-15_amd64.deb", "993ea623ce5b42d67f653f2faaa7ef15e7c9d72bfcb93e22a1eaff7aa3532303"),
    "libtinyxml2-9": ("9.0.0+dfsg-3.1", "debian/pool/main/t/tinyxml2/libtinyxml2-9_9.0.0+dfsg-3.1_amd64.deb", "be0847074c825f8fc7ae3c72b66969c45e196893d1823af1ee8064e8ef9ef816"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "libstdc++6": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb", "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"),
}

def _cppcheck_repo_impl(rctx):
    require_host(rctx, "cppcheck (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)

    # cppcheck looks for its library configurations (std.cfg, ...) in a
    # compiled-in /usr path or in cfg/ beside its binary.
    rctx.symlink("root/usr/lib/x86_64-linux-gnu/cppcheck/cfg", "root/usr/bin/cfg")
    rctx.file("bin/cppcheck", """#!/bin/sh
here="$(cd "${0%/*}" && pwd)"
LD_LIBRARY_PATH="{library_path}" \\
  exec "$here/../root/usr/bin/cppcheck" "$@"
""".replace("{library_path}", library_path("$here/..")), executable = True)
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/bin/cppcheck"])
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

exports_files(["closure.json"])

filegroup(
    name = "cppcheck",
    srcs = ["bin/cppcheck"],
    data = glob(["root/**"]),
)
""")

cppcheck_repo = repository_rule(
    implementation = _cppcheck_repo_impl,
    doc = "cppcheck and the libraries it needs from pinned Debian packages.",
)
