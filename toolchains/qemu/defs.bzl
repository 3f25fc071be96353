"""The QEMU toolchain type's provider and rule."""

load("//toolchains/platforms:defs.bzl", "to_platform")
load("//toolchains/simulator:defs.bzl", "RUNNER_ATTRS", "simulator_test_info")

QemuInfo = provider(
    doc = "QEMU executables for test runners.",
    fields = {
        "system_arm": "File: qemu-system-arm (wrapper).",
        "user_aarch64": "File: qemu-aarch64 (static, user mode).",
        "files": "depset of everything the executables need at run time.",
        "version": "Debian version of the packages.",
    },
)

def _qemu_toolchain_impl(ctx):
    files = depset(
        [ctx.file.system_arm, ctx.file.user_aarch64],
        transitive = [ctx.attr.system_arm_files[DefaultInfo].files],
    )
    info = QemuInfo(
        system_arm = ctx.file.system_arm,
        user_aarch64 = ctx.file.user_aarch64,
        files = files,
        version = ctx.attr.version,
    )
    return [platform_common.ToolchainInfo(qemu = info), info]

qemu_toolchain = rule(
    implementation = _qemu_toolchain_impl,
    attrs = {
        "system_arm": attr.label(allow_single_file = True, mandatory = True),
        "system_arm_files": attr.label(mandatory = True),
        "user_aarch64": attr.label(allow_single_file = True, mandatory = True),
        "version": attr.string(),
    },
)

def _qemu_system_test_impl(ctx):
    qemu = ctx.toolchains["//toolchains/qemu:toolchain_type"].qemu
    program = ctx.files.program[0]

    # The semihosting command line: the program's name, then its arguments.
    semihosting = ",".join(
        ["enable=on", "target=native", "arg=" + program.basename] +
        ["arg=" + a for a in ctx.attr.program_args],
    )
    args = [
        "--simulator",
        qemu.system_arm.short_path,
        "--expect_exit",
        str(ctx.attr.expect_exit),
        "--timeout",
        str(ctx.attr.timeout_seconds),
    ]
    for text in ctx.attr.expect:
        args += ["--expect", text]
    args += [
        "--",
        "-M",
        ctx.attr.machine,
        "-nographic",
        "-no-reboot",
        "-semihosting-config",
        semihosting,
        "-kernel",
        program.short_path,
    ]
    return [simulator_test_info(ctx, args, ctx.runfiles(files = [program], transitive_files = qemu.files))]

qemu_system_test = rule(
    implementation = _qemu_system_test_impl,
    test = True,
    toolchains = ["//toolchains/qemu:toolchain_type"],
    doc = """Runs a bare-metal program, built for `platform`, on qemu-system-arm with semihosting.

Passes only if QEMU's exit status (the program's, through semihosting) is
expect_exit and every `expect` text was printed (//toolchains/simulator).""",
    attrs = {
        "program": attr.label(mandatory = True, cfg = to_platform, allow_files = True),
        "platform": attr.label(mandatory = True, doc = "Platform the program is built for."),
        "machine": attr.string(default = "mps3-an547"),
        "expect_exit": attr.int(default = 0, doc = "The program's expected exit status."),
        "expect": attr.string_list(doc = "Lines that must appear in the output."),
        "program_args": attr.string_list(
            doc = "Semihosting command-line arguments; {TEST_TMPDIR} becomes the test's scratch directory.",
        ),
        "timeout_seconds": attr.int(default = 60),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    } | RUNNER_ATTRS,
)

# qemu_aarch64_binary: qemu_aarch64_binary: an aarch64 Linux cc_binary wrapped to run under qemu-aarch64.
#
# The binary is built for a target platform (default Corstone-1000's aarch64
# Linux) through a transition; the result is a host-executable script that runs
# it with the qemu-aarch64 of //toolchains/qemu:toolchain_type and the aarch64
# sysroot (-L), so tests and `bazel run` can use it like a host program. Its
# runfiles hold the transitioned binary with its shared libraries (the ExecuTorch
# .so files, found through the binary's $ORIGIN RUNPATH), qemu and the sysroot.

_SANITIZER_PREFIXES = ("-fsanitize", "-fno-sanitize")

def _strip_sanitizers(flags):
    return [f for f in flags if not f.startswith(_SANITIZER_PREFIXES)]

def _aarch64_transition_impl(settings, attr):
    # Host sanitizer configs (--config=asan/ubsan) would otherwise reach the
    # cross build; ASan does not run under qemu user mode.
    return {
        "//command_line_option:platforms": str(attr.platform),
        "//command_line_option:copt": _strip_sanitizers(settings["//command_line_option:copt"]),
        "//command_line_option:linkopt": _strip_sanitizers(settings["//command_line_option:linkopt"]),
    }

_aarch64_transition = transition(
    implementation = _aarch64_transition_impl,
    inputs = [
        "//command_line_option:copt",
        "//command_line_option:linkopt",
    ],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
    ],
)

_AARCH64_SCRIPT = """#!/bin/bash
# Generated by qemu_aarch64_binary({label}): runs {binary} under qemu-aarch64.
set -euo pipefail
if [[ -d "$0.runfiles" ]]; then
  runfiles="$0.runfiles"
elif [[ -n "${{RUNFILES_DIR:-}}" ]]; then
  runfiles="$RUNFILES_DIR"
elif [[ -n "${{TEST_SRCDIR:-}}" ]]; then
  runfiles="$TEST_SRCDIR"
else
  echo "{name}: cannot find the runfiles directory" >&2
  exit 127
fi
exec "$runfiles/{qemu}" -L "$runfiles/{sysroot}" "$runfiles/{binary}" "$@"
"""

def _runfiles_path(ctx, file):
    path = file.short_path
    if path.startswith("../"):
        return path[len("../"):]
    return ctx.workspace_name + "/" + path

def _qemu_aarch64_binary_impl(ctx):
    binary_target = ctx.attr.binary[0]
    binary = binary_target[DefaultInfo].files_to_run.executable
    qemu = ctx.toolchains["//toolchains/qemu:toolchain_type"].qemu

    # The sysroot: the directory whose lib/ holds ld-linux-aarch64.so.1.
    sysroot = None
    for f in ctx.files.sysroot:
        if f.basename == "ld-linux-aarch64.so.1" and f.dirname.endswith("/lib"):
            sysroot = _runfiles_path(ctx, f)[:-len("/lib/ld-linux-aarch64.so.1")]
    if sysroot == None:
        fail("no lib/ld-linux-aarch64.so.1 in %s" % ctx.attr.sysroot.label)

    script = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(
        output = script,
        content = _AARCH64_SCRIPT.format(
            label = str(ctx.label),
            name = ctx.label.name,
            binary = _runfiles_path(ctx, binary),
            qemu = _runfiles_path(ctx, qemu.user_aarch64),
            sysroot = sysroot,
        ),
        is_executable = True,
    )
    runfiles = ctx.runfiles(
        files = [binary, qemu.user_aarch64] + ctx.files.sysroot,
        transitive_files = qemu.files,
    ).merge(binary_target[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

qemu_aarch64_binary = rule(
    implementation = _qemu_aarch64_binary_impl,
    doc = "Builds `binary` for `platform` (aarch64 Linux) and runs it under qemu-aarch64.",
    executable = True,
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = _aarch64_transition,
            doc = "The cc_binary to build for the target platform.",
        ),
        "platform": attr.label(
            default = "//toolchains/platforms:corstone1000",
            doc = "An aarch64 Linux platform.",
        ),
        "sysroot": attr.label(
            default = "@aarch64_linux_gnu//:sysroot_libs",
            allow_files = True,
            doc = "Files of the aarch64 sysroot's lib/ (the dynamic loader, libc, libstdc++).",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    toolchains = ["//toolchains/qemu:toolchain_type"],
)
