"""cc_toolchain_config for the bare-metal Arm GNU toolchain (arm-none-eabi).

The repository puts wrapper scripts named gcc, ar, ld, ... in its bin/; what
depends on the core is given as attributes (core flags per platform, sysroot
paths, link flags). The Linux GCC toolchains use rules_cc's rule-based API
(//toolchains/linux_gcc).
"""

load("@rules_cc//cc:action_names.bzl", "ACTION_NAMES")
load(
    "@rules_cc//cc:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)
load("@rules_cc//cc/common:cc_common.bzl", "cc_common")

_COMPILE = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
]
_CXX = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing, ACTION_NAMES.cpp_module_compile]
_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

_TOOLS = ["ar", "ld", "nm", "objcopy", "objdump", "strip"]

def _flags(actions, flags, with_features = None):
    return flag_set(
        actions = actions,
        flag_groups = [flag_group(flags = flags)] if flags else [],
        with_features = with_features or [],
    )

def _with(name):
    return [with_feature_set(features = [name])]

def _impl(ctx):
    repo = ctx.label.workspace_root
    sysroot_compile = [flag.replace("%{repo}", repo) for flag in ctx.attr.sysroot_compile_flags]
    sysroot_link = [flag.replace("%{repo}", repo) for flag in ctx.attr.sysroot_link_flags]

    # libstdc++'s directories (they shadow C headers such as stdlib.h) only for C++.
    sysroot_cxx = []
    sysroot_c = []
    for i in range(0, len(sysroot_compile), 2):
        pair = sysroot_compile[i:i + 2]
        if len(pair) == 2 and "/c++/" in pair[1]:
            sysroot_cxx.extend(pair)
        else:
            sysroot_c.extend(pair)

    features = [
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(
            name = "default_flags",
            enabled = True,
            flag_sets = [
                _flags(_COMPILE + _LINK, ctx.attr.core_flags),
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
                _flags(_CXX, ctx.attr.cxx_flags),
                _flags(_CXX, sysroot_cxx),
                _flags(_COMPILE, sysroot_c),
                _flags(_COMPILE, ["-Os", "-g"], _with("opt")),
                _flags(_COMPILE, ["-O0", "-g3"], _with("dbg")),
                _flags(_LINK, ["-no-canonical-prefixes"] + sysroot_link + ctx.attr.link_flags),
            ],
        ),
        feature(
            name = "ubsan",
            flag_sets = [
                _flags(_COMPILE, ["-fsanitize=undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]),
            ],
        ),
    ]
    tool_paths = [tool_path(name = name, path = "bin/" + name) for name in _TOOLS]
    tool_paths += [tool_path(name = name, path = "bin/gcc") for name in ["gcc", "cpp", "gcov", "llvm-cov"]]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories,
        toolchain_identifier = "%s-%s" % (ctx.attr.target_system_name, ctx.attr.version),
        host_system_name = "local",
        target_system_name = ctx.attr.target_system_name,
        target_cpu = ctx.attr.target_cpu,
        target_libc = ctx.attr.target_libc,
        compiler = "gcc",
        abi_version = ctx.attr.target_libc,
        abi_libc_version = ctx.attr.target_libc,
        tool_paths = tool_paths,
    )

gcc_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "builtin_include_directories": attr.string_list(),
        "core_flags": attr.string_list(doc = "-mcpu/-march and ABI flags of the target core."),
        "cxx_flags": attr.string_list(default = ["-std=c++17"]),
        "link_flags": attr.string_list(doc = "Flags for every link."),
        "sysroot_compile_flags": attr.string_list(doc = "-isystem pairs; %{repo} is the repository."),
        "sysroot_link_flags": attr.string_list(doc = "Library flags; %{repo} is the repository."),
        "target_cpu": attr.string(mandatory = True),
        "target_libc": attr.string(mandatory = True),
        "target_system_name": attr.string(mandatory = True),
        "version": attr.string(),
    },
    provides = [CcToolchainConfigInfo],
)
