"""The FVP toolchain type's rule, fvp_availability (a flag its toolchains select on) and fvp_test."""

load("//toolchains/platforms:defs.bzl", "to_platform")
load("//toolchains/simulator:defs.bzl", "RUNNER_ATTRS", "simulator_test_info")
load(":boards.bzl", "FVP_BOARDS")

def _fvp_availability_impl(ctx):
    return [config_common.FeatureFlagInfo(value = "true" if ctx.attr.available else "false")]

fvp_availability = rule(
    implementation = _fvp_availability_impl,
    attrs = {"available": attr.bool(mandatory = True)},
    doc = "Whether an FVP repository found or installed its simulator.",
)

FvpInfo = provider(
    doc = "A board's FVP and how to run it (a row of boards.bzl).",
    fields = {
        "executable": "File: the FVP binary.",
        "parameters": "list of -C parameters.",
        "semihosting_cwd": "The -C parameter naming semihosting's working directory.",
        "timeout": "Seconds the FVP may run.",
    },
)

def _fvp_toolchain_impl(ctx):
    facts = FVP_BOARDS[ctx.attr.board]
    matches = [f for f in ctx.files.binaries if f.basename == facts["executable"]]
    if not matches:
        fail("%s: %s is not among the installed FVP binaries %s" % (
            ctx.label,
            facts["executable"],
            [f.basename for f in ctx.files.binaries],
        ))
    info = FvpInfo(
        executable = matches[0],
        parameters = facts["parameters"],
        semihosting_cwd = facts["semihosting_cwd"],
        timeout = facts["timeout"],
    )
    return [platform_common.ToolchainInfo(fvp = info), info]

fvp_toolchain = rule(
    implementation = _fvp_toolchain_impl,
    doc = """A board's FVP. Declare it incompatible where the FVP is not installed:
the tests that resolve it are then incompatible too, so SKIPPED.""",
    attrs = {
        "board": attr.string(mandatory = True, values = sorted(FVP_BOARDS)),
        "binaries": attr.label(mandatory = True, allow_files = True, doc = "@fvp_<model>//:binaries."),
    },
)

# The wall-clock guard on top of the FVP's own --timelimit.
_GRACE_SECONDS = 60

def _fvp_test_impl(ctx):
    fvp = ctx.toolchains["//toolchains/fvp:toolchain_type"].fvp
    program = ctx.files.program[0]
    args = [
        "--simulator",
        fvp.executable.short_path,
        "--timeout",
        str(fvp.timeout + _GRACE_SECONDS),
        # A hard fault can end in a clean shutdown (the UART's EOT), exit 0.
        "--fail_on",
        "(?i)hard ?fault",
    ]
    for text in ctx.attr.expect:
        args += ["--expect", text]
    args.append("--")
    for parameter in fvp.parameters:
        args += ["-C", parameter]
    args += [
        "--timelimit",
        str(fvp.timeout),
        "-C",
        fvp.semihosting_cwd + "={CWD}",
        "-a",
        program.short_path,
    ]
    return [simulator_test_info(ctx, args, ctx.runfiles(files = [fvp.executable, program]))]

fvp_test = rule(
    implementation = _fvp_test_impl,
    test = True,
    # The whole test is configured for `platform`, so that the FVP toolchain is
    # the one of the platform's board constraint.
    cfg = to_platform,
    toolchains = ["//toolchains/fvp:toolchain_type"],
    doc = """Runs a bare-metal program, built for `platform`, on the FVP of its board.

Passes only if the FVP exits 0, the program printed every `expect` text and no
hard fault (//toolchains/simulator). Where the board's FVP is not installed its
toolchain is incompatible, and so is the test: SKIPPED.""",
    attrs = {
        "program": attr.label(mandatory = True, allow_files = True),
        "platform": attr.label(mandatory = True, doc = "A platform with a board of boards.bzl."),
        "expect": attr.string_list(mandatory = True, doc = "Lines that must appear in the output."),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    } | RUNNER_ATTRS,
)
