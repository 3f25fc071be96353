"""The QEMU toolchain type's provider and rule."""

load("//toolchains/platforms:defs.bzl", "to_platform")

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

def _sh_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"

def _qemu_system_test_impl(ctx):
    qemu = ctx.toolchains["//toolchains/qemu:toolchain_type"].qemu
    program = ctx.files.program[0]
    args = [
        "--qemu",
        qemu.system_arm.short_path,
        "--machine",
        ctx.attr.machine,
        "--program",
        program.short_path,
        "--expect_exit",
        str(ctx.attr.expect_exit),
        "--timeout",
        str(ctx.attr.timeout_seconds),
    ]
    for text in ctx.attr.expect:
        args += ["--expect", text]
    args.append("--")
    args += ctx.attr.program_args
    runner = ctx.executable._runner
    script = ctx.actions.declare_file(ctx.label.name + ".sh")

    # Runfiles of external repositories live beside _main: ../<repo>/...
    ctx.actions.write(script, """#!/bin/sh
cd "${{RUNFILES_DIR:-$0.runfiles}}/_main" || exit 1
exec {runner} {args}
""".format(
        runner = _sh_quote(runner.short_path),
        args = " ".join([_sh_quote(a) for a in args]),
    ), is_executable = True)
    runfiles = ctx.runfiles(files = [program, runner], transitive_files = qemu.files)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

qemu_system_test = rule(
    implementation = _qemu_system_test_impl,
    test = True,
    toolchains = ["//toolchains/qemu:toolchain_type"],
    doc = "Runs a bare-metal program, built for `platform`, on qemu-system-arm with semihosting.",
    attrs = {
        "program": attr.label(mandatory = True, cfg = to_platform, allow_files = True),
        "platform": attr.label(mandatory = True, doc = "Platform the program is built for."),
        "machine": attr.string(default = "mps3-an547"),
        "expect_exit": attr.int(default = 0, doc = "The program's expected exit status."),
        "expect": attr.string_list(doc = "Lines that must appear in the output."),
        "program_args": attr.string_list(doc = "Semihosting command-line arguments."),
        "timeout_seconds": attr.int(default = 60),
        "_runner": attr.label(default = "//toolchains/qemu:run_qemu", executable = True, cfg = "exec"),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
