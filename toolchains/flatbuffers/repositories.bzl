"""Repository rule: flatc and the FlatBuffers C++ headers from pinned Debian 12 packages.

executor_runner reads bundled programs (.bpte): flatc generates the C++ reader
from the schema in the executorch wheel in a build action, and the runner
checks every buffer with the header-only flatbuffers::Verifier. The headers and
the generated code must come from the same FlatBuffers version (the generated
header static_asserts it), hence one repository for both.
"""

load("//toolchains/debian:debian.bzl", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "require_host")

# Regenerate with toolchains/debian/pin.py. flatc links libflatbuffers
# statically and the reading API is header-only, so libflatbuffers2 (the shared
# library both packages depend on) is not needed.
DEBIAN_PACKAGES = {
    "flatbuffers-compiler": ("2.0.8+dfsg1-2", "debian/pool/main/f/flatbuffers/flatbuffers-compiler_2.0.8+dfsg1-2_amd64.deb", "73d5888d585cea67512938d541cfd811ee2fb0bcd95690737763edfcc0bcbff9"),
    "libflatbuffers-dev": ("2.0.8+dfsg1-2", "debian/pool/main/f/flatbuffers/libflatbuffers-dev_2.0.8+dfsg1-2_amd64.deb", "3676a46547781991fa1b1ca9636e1b0c8704ec47828d680fc940851f3030c4ab"),
    "libgcc-s1": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb", "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    "libstdc++6": ("12.2.0-14+deb12u1", "debian/pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb", "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"),
}

_BUILD = """\
load("@rules_cc//cc:defs.bzl", "cc_library")

package(default_visibility = ["//visibility:public"])

# FlatBuffers {version}: the compiler (runs on the exec host, linux x86_64),
# through a wrapper that gives it the repository's libstdc++; an action that
# runs bin/flatc needs flatc_files as inputs.
exports_files([
    "bin/flatc",
    "closure.json",
])

filegroup(
    name = "flatc_files",
    srcs = [
        "bin/flatc",
        "root/usr/bin/flatc",
    ] + glob(["root/usr/lib/x86_64-linux-gnu/*.so*", "root/lib/x86_64-linux-gnu/*.so*"]),
)

# The headers are target-independent (used for x86_64 and aarch64 builds);
# `includes` makes them -isystem, so -Werror applies to our code only.
cc_library(
    name = "headers",
    hdrs = glob(["root/usr/include/flatbuffers/**/*.h"]),
    includes = ["root/usr/include"],
)
"""

def _flatbuffers_repo_impl(rctx):
    require_host(rctx, "flatc (Debian packages)")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    rctx.file("bin/flatc", """#!/bin/sh
here="${0%/*}"
LD_LIBRARY_PATH="{library_path}" exec "$here/../root/usr/bin/flatc" "$@"
""".replace("{library_path}", library_path("$here/..")), executable = True)
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/bin/flatc"])
    rctx.file("BUILD.bazel", _BUILD.format(version = DEBIAN_PACKAGES["flatbuffers-compiler"][0]))

flatbuffers_repo = repository_rule(
    implementation = _flatbuffers_repo_impl,
    doc = "flatc and the FlatBuffers C++ headers from pinned Debian packages.",
)
