"""Module extension: ExecuTorch's prebuilt C++ runtime, unpacked from the pinned wheels.

The executorch wheels ship the public headers and shared libraries of the C++
runtime (core, optimized and quantized kernels, ETDump, threadpool) for Linux
x86_64 and aarch64, and the bundled-program flatbuffer schema; one repository
per CPU unpacks the wheel of the same version the Python side compiles with, so
program and runtime come from the same revision.
"""

EXECUTORCH_VERSION = "1.5.1"

# cpu -> (wheel URL, sha256)
EXECUTORCH_WHEELS = {
    "x86_64": (
        "https://files.pythonhosted.org/packages/d3/da/e9b47ab590550d4ecc2b2a447d13e755ade3fa96399d3fa83d9833084c5d/executorch-1.5.1-cp311-cp311-manylinux_2_28_x86_64.whl",
        "274c28c2fe2b76acb03f9fa381537425c40e0098dcf886baf6d97a1a55ffe300",
    ),
    "aarch64": (
        "https://files.pythonhosted.org/packages/c9/e4/02f092de72be310cfdea4400adc53489322f008b8e60003a77e934b682ce/executorch-1.5.1-cp311-cp311-manylinux_2_28_aarch64.whl",
        "8ee02348a3ea80ddf770822911ebf78da616b73afce0fbaaa79f23311c88c66a",
    ),
}

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
# nothing a program references: under --as-needed a link drops them, and Bazel
# puts linkopts after the libraries. //runtime:executor_runner_lib names them
# again after -Wl,--no-as-needed.
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
    url, sha256 = EXECUTORCH_WHEELS[rctx.attr.cpu]
    rctx.download_and_extract(url = url, sha256 = sha256, type = "zip")
    rctx.file("BUILD.bazel", _BUILD.format(version = EXECUTORCH_VERSION, cpu = rctx.attr.cpu))

executorch_runtime_repo = repository_rule(
    implementation = _executorch_runtime_repo_impl,
    attrs = {"cpu": attr.string(mandatory = True, values = sorted(EXECUTORCH_WHEELS))},
    doc = "ExecuTorch's C++ headers and shared libraries from the pinned wheel for one CPU.",
)

def _executorch_runtime_impl(module_ctx):
    for cpu in sorted(EXECUTORCH_WHEELS):
        executorch_runtime_repo(name = "executorch_runtime_" + cpu, cpu = cpu)
    return module_ctx.extension_metadata(reproducible = True)

executorch_runtime = module_extension(implementation = _executorch_runtime_impl)
