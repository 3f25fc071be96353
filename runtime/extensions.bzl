"""Module extension: ExecuTorch's prebuilt C++ runtime, unpacked from the pinned wheels.

The executorch wheels ship the public headers and shared libraries of the C++
runtime (core, optimized and quantized kernels, ETDump, threadpool) for Linux
x86_64 and aarch64, and the bundled-program flatbuffer schema; one repository
per CPU unpacks the wheel of the same version the Python side compiles with, so
program and runtime come from the same revision.
"""

# The executorch version is pinned once, in toolchains/python/requirements.in
# (and so in the lock): the repositories read it from the lock and take that
# version's wheels from this table (an unpinned version fails naming the known
# ones). The x86_64 wheel is the very file the venv installs: its SHA256 must be
# the lock's.
# version -> cpu -> (wheel URL, sha256)
EXECUTORCH_WHEELS = {
    "1.5.1": {
        "x86_64": (
            "https://files.pythonhosted.org/packages/d3/da/e9b47ab590550d4ecc2b2a447d13e755ade3fa96399d3fa83d9833084c5d/executorch-1.5.1-cp311-cp311-manylinux_2_28_x86_64.whl",
            "274c28c2fe2b76acb03f9fa381537425c40e0098dcf886baf6d97a1a55ffe300",
        ),
        "aarch64": (
            "https://files.pythonhosted.org/packages/c9/e4/02f092de72be310cfdea4400adc53489322f008b8e60003a77e934b682ce/executorch-1.5.1-cp311-cp311-manylinux_2_28_aarch64.whl",
            "8ee02348a3ea80ddf770822911ebf78da616b73afce0fbaaa79f23311c88c66a",
        ),
    },
}

_CPUS = ["aarch64", "x86_64"]

def locked_version(lock_text, package):
    """The version and hashes of package in a requirements lock (`name==version \\ --hash=...`).

    Args:
      lock_text: the lock file's content.
      package: the package name, as the lock spells it.

    Returns:
      (version, list of sha256), or (None, []) if the lock has no such package.
    """
    lines = lock_text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(package + "=="):
            version = line[len(package) + 2:].rstrip(" \\")
            hashes = []
            for follow in lines[index + 1:]:
                follow = follow.strip()
                if not follow.startswith("--hash=sha256:"):
                    break
                hashes.append(follow[len("--hash=sha256:"):].rstrip(" \\"))
            return version, hashes
    return None, []

_BUILD = """\
load("@rules_cc//cc:defs.bzl", "cc_import", "cc_library")

package(default_visibility = ["//visibility:public"])

# ExecuTorch {version} for Linux {cpu}, from the executorch wheel.
cc_library(
    name = "headers",
    hdrs = glob(["executorch/include/**/*.h"]),
    defines = ["C10_USING_CUSTOM_GENERATED_MACROS"],
    includes = [
        "executorch/include",
        "executorch/include/executorch/runtime/core/portable_type/c10",
    ],
)

[
    cc_import(
        name = lib,
        shared_library = "executorch/lib/lib%s.so" % lib,
    )
    for lib in [
        "executorch",
        "executorch_kernels_optimized",
        "executorch_kernels_quantized",
        "executorch_etdump",
        "executorch_threadpool",
    ]
]

# The BundledProgram flatbuffer schema (.bpte files); //runtime generates its
# C++ reader with flatc.
filegroup(
    name = "bundled_program_schema",
    srcs = [
        "executorch/devtools/bundled_program/schema/bundled_program_schema.fbs",
        "executorch/devtools/bundled_program/schema/scalar_type.fbs",
    ],
)

# The Program flatbuffer schema (.pte files), for the runner's own checks.
filegroup(
    name = "program_schema",
    srcs = [
        "executorch/schema/program.fbs",
        "executorch/schema/scalar_type.fbs",
    ],
)

# The kernel libraries register operators from static initializers and export
# nothing a program references: under --as-needed a link drops them.
# //runtime:executor_runner_lib names them after -Wl,--no-as-needed.
cc_library(
    name = "runtime",
    deps = [
        ":executorch",
        ":executorch_etdump",
        ":executorch_kernels_optimized",
        ":executorch_kernels_quantized",
        ":executorch_threadpool",
        ":headers",
    ],
)
"""

def _executorch_runtime_repo_impl(rctx):
    version, hashes = locked_version(rctx.read(rctx.attr.lock), "executorch")
    if not version:
        fail("%s: %s pins no executorch" % (rctx.name, rctx.attr.lock))
    if version not in EXECUTORCH_WHEELS:
        fail("%s: the lock pins executorch %s, whose C++ runtime wheels runtime/extensions.bzl does not pin; known: %s" % (
            rctx.name,
            version,
            ", ".join(sorted(EXECUTORCH_WHEELS)),
        ))
    url, sha256 = EXECUTORCH_WHEELS[version][rctx.attr.cpu]
    if rctx.attr.cpu == "x86_64" and sha256 not in hashes:
        fail("%s: the x86_64 executorch %s wheel pinned here (%s) is not the one the lock installs" % (rctx.name, version, sha256))
    rctx.download_and_extract(url = url, sha256 = sha256, type = "zip")
    rctx.file("BUILD.bazel", _BUILD.format(version = version, cpu = rctx.attr.cpu))

executorch_runtime_repo = repository_rule(
    implementation = _executorch_runtime_repo_impl,
    attrs = {
        "cpu": attr.string(mandatory = True, values = _CPUS),
        "lock": attr.label(default = "//toolchains/python:requirements_lock.txt", allow_single_file = True),
    },
    doc = "ExecuTorch's C++ headers and shared libraries from the pinned wheel for one CPU.",
)

def _executorch_runtime_impl(module_ctx):
    for cpu in _CPUS:
        executorch_runtime_repo(name = "executorch_runtime_" + cpu, cpu = cpu)

    # Reproducible: pinned downloads only.
    return module_ctx.extension_metadata(reproducible = True)

executorch_runtime = module_extension(implementation = _executorch_runtime_impl)
