"""Repository rule: nginx from pinned Debian 12 packages, the CI's remote cache server.

tools/ci/remote_cache.sh builds `@nginx//:nginx` and runs it: the server comes
from the same checked, pinned packages as every toolchain, and
//tests:closure_test proves it loads no library from the host but glibc.
"""

load("//toolchains/debian:debian.bzl", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "nginx": ("1.22.1-9+deb12u11", "debian-security/pool/updates/main/n/nginx/nginx_1.22.1-9+deb12u11_amd64.deb", "4e2778e675c07d0f2d8d3b6f5ff84f6483ade1d82c21c910eb9a2787e1cf1b1a"),
    "libcrypt1": ("1:4.4.33-2", "debian/pool/main/libx/libxcrypt/libcrypt1_4.4.33-2_amd64.deb", "f5f60a5cdfd4e4eaa9438ade5078a57741a7a78d659fcb0c701204f523e8bd29"),
    "libpcre2-8-0": ("10.42-1+deb12u2", "debian-security/pool/updates/main/p/pcre2/libpcre2-8-0_10.42-1+deb12u2_amd64.deb", "d2f7edfcc7689b9e0761c2742cc824ac86a20768bc5e8057818dc6875291fe76"),
    "libssl3": ("3.0.22-1~deb12u2", "debian-security/pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb", "cb4784740daa9b3b0eaea2b444bbefa686794afbbf3d678d238c1fd9875f2efd"),
    "zlib1g": ("1:1.2.13.dfsg-1+deb12u1", "debian-security/pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb", "ad9f1ea0537a32c9eaecc619563a9db596a5dee33afce8393b1083f22d301e1d"),
}

_BUILD = """\
package(default_visibility = ["//visibility:public"])

exports_files(["closure.json"])

filegroup(
    name = "nginx",
    srcs = ["bin/nginx"],
    data = glob(["root/**"]),
)
"""

def _nginx_repo_impl(rctx):
    require_host(rctx, "nginx (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    rctx.file("bin/nginx", """#!/bin/sh
here="$(cd "${0%/*}" && pwd)"
LD_LIBRARY_PATH="{library_path}" exec "$here/../root/usr/sbin/nginx" "$@"
""".replace("{library_path}", library_path("$here/..")), executable = True)
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/sbin/nginx"])
    rctx.file("BUILD.bazel", _BUILD)

nginx_repo = repository_rule(
    implementation = _nginx_repo_impl,
    doc = "nginx with its libraries from pinned Debian packages, with a run wrapper.",
)
