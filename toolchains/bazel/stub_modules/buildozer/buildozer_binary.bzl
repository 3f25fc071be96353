"""The extension bazel_tools' MODULE.bazel calls; creates an empty buildozer_binary repo."""

def _empty_repo_impl(rctx):
    rctx.file("BUILD.bazel", "")

_empty_repo = repository_rule(implementation = _empty_repo_impl)

def _buildozer_binary_impl(module_ctx):
    _empty_repo(name = "buildozer_binary")
    return module_ctx.extension_metadata(reproducible = True)

buildozer_binary = module_extension(
    implementation = _buildozer_binary_impl,
    tag_classes = {
        "buildozer": tag_class(attrs = {
            "sha256": attr.string_dict(),
            "version": attr.string(),
        }),
    },
)
