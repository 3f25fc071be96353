"""cc_toolchain_config for arm-none-eabi GCC (bare-metal Cortex-M)."""

load(
    "@rules_cc//cc:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)
load("@rules_cc//cc:action_names.bzl", "ACTION_NAMES")

_COMPILE = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
]
_CXX = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing, ACTION_NAMES.cpp_module_compile]
_LINK = [ACTION_NAMES.cpp_link_executable]

def _flags(actions, flags, with_features = None):
    return flag_set(
        actions = actions,
        flag_groups = [flag_group(flags = flags)],
        with_features = with_features or [],
    )

def _impl(ctx):
    core = ctx.attr.core_flags
    repo = ctx.label.workspace_root
    sysroot_compile = [flag.replace("%{repo}", repo) for flag in ctx.attr.sysroot_compile_flags]

    # libstdc++'s directories (they shadow C headers such as stdlib.h) only for C++.
    sysroot_cxx = []
    sysroot_c = []
    for i in range(0, len(sysroot_compile), 2):
        pair = sysroot_compile[i:i + 2]
        if "/c++/" in pair[1]:
            sysroot_cxx.extend(pair)
        else:
            sysroot_c.extend(pair)
    sysroot_link = [flag.replace("%{repo}", repo) for flag in ctx.attr.sysroot_link_flags]
    features = [
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(
            name = "default_flags",
            enabled = True,
            flag_sets = [
                _flags(_COMPILE + _LINK, ["-mthumb"] + core),
                _flags(_COMPILE, [
                    "-no-canonical-prefixes",
                    "-fno-canonical-system-headers",
                    "-ffunction-sections",
                    "-fdata-sections",
                    "-fno-common",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    # Builds must not depend on when or where they ran.
                    "-Wno-builtin-macro-redefined",
                    "-D__DATE__=\"redacted\"",
                    "-D__TIMESTAMP__=\"redacted\"",
                    "-D__TIME__=\"redacted\"",
                ]),
                _flags(_CXX, ["-std=c++17", "-fno-exceptions", "-fno-rtti"]),
                _flags(_CXX, sysroot_cxx),
                _flags(_COMPILE, sysroot_c),
                _flags(_LINK, sysroot_link),
                _flags(_COMPILE, ["-Os", "-g"], [with_feature_set(features = ["opt"])]),
                _flags(_COMPILE, ["-O0", "-g3"], [with_feature_set(features = ["dbg"])]),
                # Our startup code provides the vector table and reset handler;
                # rdimon is newlib's semihosting port (stdio, files, exit status).
                _flags(_LINK, [
                    "-no-canonical-prefixes",
                    "-nostartfiles",
                    "--specs=rdimon.specs",
                    "-Wl,--gc-sections",
                ]),
            ],
        ),
        feature(
            name = "ubsan",
            flag_sets = [
                _flags(_COMPILE, ["-fsanitize=undefined", "-fno-sanitize-recover=all"]),
            ],
        ),
    ]
    tools = {
        "gcc": "bin/gcc",
        "cpp": "bin/gcc",
        "ar": "bin/ar",
        "ld": "bin/ld",
        "nm": "bin/nm",
        "objcopy": "bin/objcopy",
        "objdump": "bin/objdump",
        "strip": "bin/strip",
        "gcov": "bin/gcc",
        "llvm-cov": "bin/gcc",
    }
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories,
        toolchain_identifier = "arm-none-eabi-" + ctx.attr.version,
        host_system_name = "local",
        target_system_name = "arm-none-eabi",
        target_cpu = "armv8-m",
        target_libc = "newlib",
        compiler = "gcc",
        abi_version = "eabi",
        abi_libc_version = "newlib",
        tool_paths = [tool_path(name = name, path = path) for name, path in tools.items()],
    )

arm_none_eabi_cc_config = rule(
    implementation = _impl,
    attrs = {
        "builtin_include_directories": attr.string_list(),
        "core_flags": attr.string_list(doc = "-mcpu/-march and float ABI for the target core."),
        "sysroot_compile_flags": attr.string_list(doc = "Include flags for newlib; %{repo} is the repository."),
        "sysroot_link_flags": attr.string_list(doc = "Library flags for newlib; %{repo} is the repository."),
        "version": attr.string(),
    },
    provides = [CcToolchainConfigInfo],
)
