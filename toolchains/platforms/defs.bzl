"""Building a target for another platform than the command line's."""

def _to_platform_impl(settings, attr):  # buildifier: disable=unused-variable
    return {"//command_line_option:platforms": str(attr.platform)}

# An attribute transition: the attribute's targets are built for attr.platform.
to_platform = transition(
    implementation = _to_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _platform_artifact_impl(ctx):
    # A new name per rule: the same target built for two platforms would
    # otherwise have the same runfiles path.
    artifact = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = artifact, target_file = ctx.file.target)
    return [DefaultInfo(files = depset([artifact]), runfiles = ctx.runfiles(files = [artifact]))]

platform_artifact = rule(
    implementation = _platform_artifact_impl,
    doc = "The file of `target` built for `platform` (e.g. an ELF for Corstone-320 as test data).",
    attrs = {
        "target": attr.label(mandatory = True, cfg = to_platform, allow_single_file = True),
        "platform": attr.label(mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
