"""fvp_availability (a flag tests select on) and fvp_test (a program run on an FVP)."""

load("//toolchains/platforms:defs.bzl", "to_platform")

def _fvp_availability_impl(ctx):
    return [config_common.FeatureFlagInfo(value = "true" if ctx.attr.available else "false")]

fvp_availability = rule(
    implementation = _fvp_availability_impl,
    attrs = {"available": attr.bool(mandatory = True)},
    doc = "Whether an FVP repository found or installed its simulator.",
)

# FVP parameters per platform (upstream ExecuTorch's run scripts): the MPS3
# board of Corstone-300, the MPS4 board of Corstone-320.
_BOARDS = {
    "corstone300": ("mps3_board.", "ethosu.num_macs", "cpu0."),
    "corstone320": ("mps4_board.", "mps4_board.subsystem.ethosu.num_macs", "mps4_board.subsystem.cpu0."),
}

def _fvp_test_impl(ctx):
    board, macs_param, cpu = _BOARDS[ctx.attr.board]
    matches = [f for f in ctx.files.fvp_binaries if f.basename == ctx.attr.fvp_binary]
    if not matches:
        fail("%s: %s is not among the installed FVP binaries %s" % (
            ctx.label,
            ctx.attr.fvp_binary,
            [f.basename for f in ctx.files.fvp_binaries],
        ))
    fvp = matches[0]
    program = ctx.files.program[0]
    args = [
        "--fvp",
        fvp.short_path,
        "--program",
        program.short_path,
        "--pass_line",
        ctx.attr.pass_line,
        "--timelimit",
        str(ctx.attr.timelimit),
        "--",
        "-C",
        board + "visualisation.disable-visualisation=1",
        "-C",
        board + "telnetterminal0.start_telnet=0",
        "-C",
        board + "uart0.out_file=-",
        "-C",
        board + "uart0.shutdown_on_eot=1",
        "-C",
        "%s=%d" % (macs_param, ctx.attr.num_macs),
        "-C",
        cpu + "semihosting-enable=1",
    ]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, "#!/bin/sh\nexec %s %s \"$@\"\n" % (
        ctx.executable._runner.short_path,
        " ".join(["'%s'" % a.replace("'", "'\\''") for a in args]),
    ), is_executable = True)
    runfiles = ctx.runfiles(files = [fvp, program, ctx.executable._runner])
    return [DefaultInfo(executable = script, runfiles = runfiles)]

fvp_test = rule(
    implementation = _fvp_test_impl,
    test = True,
    doc = """Runs a bare-metal program on a Corstone FVP.

Passes only when the FVP exits 0 AND the program printed pass_line; an FVP that
never starts, a hard fault or a timeout fails. Declare it with
target_compatible_with = select({"//toolchains/fvp:<model>_available": [],
"//conditions:default": ["@platforms//:incompatible"]}) so it is SKIPPED where
the FVP is not installed.""",
    attrs = {
        "program": attr.label(mandatory = True, cfg = to_platform, allow_files = True),
        "platform": attr.label(mandatory = True, doc = "Platform the program is built for."),
        "board": attr.string(mandatory = True, values = sorted(_BOARDS)),
        "fvp_binaries": attr.label(mandatory = True, allow_files = True, doc = "@fvp_<model>//:binaries."),
        "fvp_binary": attr.string(mandatory = True, doc = "Which one, e.g. FVP_Corstone_SSE-300_Ethos-U55."),
        "num_macs": attr.int(default = 128),
        "pass_line": attr.string(mandatory = True),
        "timelimit": attr.int(default = 600, doc = "FVP --timelimit in seconds."),
        "_runner": attr.label(default = "//toolchains/fvp:run_fvp", executable = True, cfg = "exec"),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
