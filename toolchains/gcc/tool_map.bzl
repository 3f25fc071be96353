"""The cc_tool_map every pinned GCC repository exports (loaded by their BUILD.repo.tpl)."""

load("@rules_cc//cc/toolchains:actions.bzl", "cc_action_type_set")
load("@rules_cc//cc/toolchains:tool.bzl", "cc_tool")
load("@rules_cc//cc/toolchains:tool_map.bzl", "cc_tool_map")

# This file's canonical label, for the generated BUILD files that load it: a
# plain "@@//..." would name the root module, which is a user's in another module.
GCC_TOOL_MAP_BZL = str(Label("//toolchains/gcc:tool_map.bzl"))

def gcc_tool_map(name, data, allowlist_include_directories = []):
    """`name`: gcc for compiles and links, ar, objcopy and strip, from the repository's bin/ wrappers.

    Args:
      name: the cc_tool_map's name.
      data: what the tools run with (the compiler, binutils, their libraries).
      allowlist_include_directories: directories gcc searches by itself.
    """
    cc_tool(
        name = "gcc",
        src = "bin/gcc",
        allowlist_include_directories = allowlist_include_directories,
        data = data,
    )
    for tool in ["ar", "objcopy", "strip"]:
        cc_tool(
            name = tool,
            src = "bin/" + tool,
            data = data,
        )

    # A tool appears once in a cc_tool_map: one set of everything gcc runs.
    cc_action_type_set(
        name = "gcc_actions",
        actions = [
            "@rules_cc//cc/toolchains/actions:compile_actions",
            "@rules_cc//cc/toolchains/actions:link_actions",
        ],
    )
    cc_tool_map(
        name = name,
        tools = {
            ":gcc_actions": ":gcc",
            "@rules_cc//cc/toolchains/actions:ar_actions": ":ar",
            "@rules_cc//cc/toolchains/actions:objcopy_embed_data": ":objcopy",
            "@rules_cc//cc/toolchains/actions:strip": ":strip",
        },
    )
