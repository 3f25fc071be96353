"""Module extension: buildifier, pinned, and the lists of files the lint tests check.

@buildifier: the npm registry's @bazel/buildifier tarball ships the prebuilt
binaries for every platform itself (package/buildifier-<os>_<arch>, no
install-time download), so one pinned, checksummed tarball serves every Linux
host. The binary for the host is exposed as the executable @buildifier.

@lint_sources: the workspace's Python and Starlark files (and pyproject.toml) as
symlinks under ws/, the way new_local_repository links a directory, so that
//tests/lint can declare them all as test data: a glob never crosses a package
boundary, and a file that no rule of its own package mentions has no label that
another package could use. The repository watches the directory trees, so adding,
removing or renaming a file regenerates it; edits to a file re-run the tests
through the data dependency.
"""

load("//toolchains/debian:debian.bzl", "write_closure_manifest")
load("//toolchains/platforms:host.bzl", "host_key")

# Regenerate: `npm view @bazel/buildifier@VERSION dist` (tarball, sha512
# integrity), then `npm pack @bazel/buildifier@VERSION && sha256sum *.tgz`.
BUILDIFIER_VERSION = "8.2.1"
BUILDIFIER_URL = "https://registry.npmjs.org/@bazel/buildifier/-/buildifier-%s.tgz" % BUILDIFIER_VERSION

#
# npm's integrity for the same tarball (equal to the SHA256 above, checked when it
# was pinned): sha512-eZ/Aq+2r4PcJa6LbPCT6ffgIJfTU/gYilqIzoX2OLM4nNkbQC6tTMPZNn7aHHjhGPxbNLv41zm4Xqt1olCLgXw==
# (shasum d8fa00e55a1a08744ec62221811c06f3ea1c06d7).
BUILDIFIER_SHA256 = "b96ea9b13003036c801f52bee6f9b0314738f8432e5cb9d814c89f59292604ee"

# host_key() -> the binary's name in the tarball.
_BINARIES = {
    "linux-aarch64": "buildifier-linux_arm64",
    "linux-x86_64": "buildifier-linux_amd64",
}

def _buildifier_repo_impl(rctx):
    binary = _BINARIES.get(host_key(rctx))
    if not binary:
        fail("buildifier: only %s hosts are supported, not %s" % (" and ".join(sorted(_BINARIES)), host_key(rctx)))
    rctx.download(
        url = BUILDIFIER_URL,
        output = "buildifier.tgz",
        sha256 = BUILDIFIER_SHA256,
    )

    # Only the host's binary: the tarball holds seven (~47 MB unpacked).
    result = rctx.execute(["tar", "-xzf", "buildifier.tgz", "--strip-components=1", "package/" + binary, "package/LICENSE"])
    if result.return_code != 0:
        fail("buildifier: cannot unpack %s from %s: %s" % (binary, BUILDIFIER_URL, result.stderr.strip()))
    rctx.delete("buildifier.tgz")
    result = rctx.execute(["./" + binary, "--version"])
    if result.return_code != 0 or BUILDIFIER_VERSION not in result.stdout:
        fail("buildifier: %s does not run or is not version %s: %s" % (
            binary,
            BUILDIFIER_VERSION,
            (result.stdout + result.stderr).strip(),
        ))
    rctx.file("VERSION", BUILDIFIER_VERSION + "\n")

    # A static Go binary: the closure test checks it needs no library at all.
    write_closure_manifest(rctx, {"@bazel/buildifier": (BUILDIFIER_VERSION, BUILDIFIER_URL, BUILDIFIER_SHA256)}, [binary], library_dirs = [])
    rctx.file("BUILD.bazel", """\
load("@bazel_skylib//rules:native_binary.bzl", "native_binary")

package(default_visibility = ["//visibility:public"])

exports_files([
    "LICENSE",
    "VERSION",
    "closure.json",
])

native_binary(
    name = "buildifier",
    src = "{binary}",
    out = "buildifier",
)
""".format(binary = binary))

buildifier_repo = repository_rule(
    implementation = _buildifier_repo_impl,
    doc = "buildifier %s for the host, from the pinned npm tarball of @bazel/buildifier." % BUILDIFIER_VERSION,
)

# Where the lint tests look for Python sources (workspace-relative).
_PYTHON_ROOTS = ["backend", "examples", "models", "runtime", "tests", "toolchains", "tools"]

# Starlark files buildifier checks. Those that would make a package inside
# @lint_sources get a suffix; the lint runner strips it again in its output.
_STARLARK_RENAMED = ["BUILD", "BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel"]
_STARLARK_NAMES = _STARLARK_RENAMED + ["MODULE.bazel"]
STARLARK_SUFFIX = ".lint"

# Configuration of the Python linters, at the workspace root.
_CONFIG_FILES = ["pyproject.toml"]

# Never walked: caches; dot-directories and the bazel-* output symlinks neither.
_SKIP_DIRS = ["__pycache__", "node_modules"]

def _ignored_paths(rctx, root):
    ignore = rctx.path("%s/.bazelignore" % root)
    if not ignore.exists:
        return []
    lines = rctx.read(ignore).splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.strip().startswith("#")]

def _skip(name, relative, ignored):
    if name.startswith(".") or name in _SKIP_DIRS:
        return True
    if "/" not in relative and name.startswith("bazel-"):
        return True
    return relative in ignored

def _lint_sources_repo_impl(rctx):
    root = rctx.path(rctx.attr.module_file).dirname
    ignored = _ignored_paths(rctx, root)

    # Starlark has no recursion: walk with an explicit queue of
    # (path, workspace-relative path).
    queue = [(root, "")]
    for index in range(1000000):
        if index >= len(queue):
            break
        directory, relative_dir = queue[index]

        # Adding, removing or renaming anything in a walked directory
        # regenerates the tree. Only walked ones: a tree watch would take in
        # ignored directories too, e.g. the bazel-* symlinks of the nested
        # module examples/consumer, which lead back here (a cycle). Bazel
        # before 9.3 cannot check the listing of a directory that is gone
        # (bazelbuild/bazel#30883): ./bazel forgets this repository's fetch
        # marker when a directory it lists is gone (README, "Troubleshooting").
        for entry in directory.readdir(watch = "yes"):
            name = entry.basename
            relative = relative_dir + "/" + name if relative_dir else name
            if _skip(name, relative, ignored):
                continue
            if entry.is_dir:
                queue.append((entry, relative))
            elif name in _STARLARK_RENAMED:
                rctx.symlink(entry, "ws/" + relative + STARLARK_SUFFIX)
            elif name.endswith(".bzl") or name in _STARLARK_NAMES:
                rctx.symlink(entry, "ws/" + relative)
            elif name.endswith(".py") and relative.split("/")[0] in _PYTHON_ROOTS:
                rctx.symlink(entry, "ws/" + relative)
            elif relative in _CONFIG_FILES:
                rctx.watch(entry)
                rctx.symlink(entry, "ws/" + relative)

    # The lint runner works in ws/, so that paths in findings are the workspace's.
    rctx.file("ws/LINT_ROOT", "")
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

exports_files(["ws/LINT_ROOT"])

filegroup(
    name = "python",
    srcs = glob(["ws/**/*.py"]),
)

filegroup(
    name = "starlark",
    srcs = glob(["ws/**/*.bzl", "ws/**/MODULE.bazel", "ws/**/*{suffix}"]),
)

filegroup(
    name = "config",
    srcs = glob({config}),
)
""".format(
        suffix = STARLARK_SUFFIX,
        config = repr(["ws/" + name for name in _CONFIG_FILES]),
    ))

lint_sources_repo = repository_rule(
    implementation = _lint_sources_repo_impl,
    attrs = {
        "module_file": attr.label(default = "@@//:MODULE.bazel", allow_single_file = True),
    },
    doc = "The workspace's Python and Starlark files and linter configuration, as symlinks under ws/.",
)

def _buildifier_impl(module_ctx):
    buildifier_repo(name = "buildifier")
    lint_sources_repo(name = "lint_sources")

    # Reproducible: both repositories follow from pinned data and the
    # workspace's own files.
    return module_ctx.extension_metadata(reproducible = True)

buildifier = module_extension(
    implementation = _buildifier_impl,
    doc = "@buildifier (the pinned binary) and @lint_sources (the files //tests/lint checks).",
)
