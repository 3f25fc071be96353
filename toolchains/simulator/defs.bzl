"""The executable of a simulator test: the shared runner with the rule's arguments."""

# Attributes every simulator test rule has.
RUNNER_ATTRS = {
    "_runner": attr.label(
        default = "//toolchains/simulator:run_simulator",
        executable = True,
        cfg = "exec",
    ),
}

def _sh_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"

def simulator_test_info(ctx, args, runfiles):
    """The DefaultInfo of a test that runs run_simulator.py with args.

    Args:
      ctx: the rule's context; the rule has RUNNER_ATTRS.
      args: run_simulator's arguments, paths relative to the main repository's
        runfiles directory (the runner's working directory).
      runfiles: the runfiles of the simulator and the program.

    Returns:
      A DefaultInfo.
    """
    runner = ctx.attr._runner[DefaultInfo]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")

    # Runfiles of external repositories (the simulators) live beside the main
    # repository's: ../<repo>/... from its directory.
    ctx.actions.write(script, """#!/bin/sh
cd "${{RUNFILES_DIR:-$0.runfiles}}/{workspace}" || exit 1
exec {runner} {args}
""".format(
        workspace = ctx.workspace_name,
        runner = _sh_quote(runner.files_to_run.executable.short_path),
        args = " ".join([_sh_quote(a) for a in args]),
    ), is_executable = True)
    return DefaultInfo(executable = script, runfiles = runfiles.merge(runner.default_runfiles))
