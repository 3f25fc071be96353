"""Module extension: a Python 3.11 venv built from the hash-locked requirements.

The venv lives in a per-user cache directory named after the lock's SHA256, so
it is re-created only when the lock changes, survives `bazel clean --expunge`,
and has the same path in every clone (the interpreter path is part of action
keys, so a stable path keeps remote-cache hits across clones).
"""

load("//toolchains/platforms:host.bzl", "require_host")

_REQUIRED_PYTHON = "3.11"

# Locked packages that PyPI has as sdists only: install_venv.py builds them without
# build isolation from the venv's hash-locked setuptools; everything else must
# come as a wheel. lock.py names any new sdist.
BUILD_FROM_SOURCE = ["antlr4-python3-runtime"]

# install_venv.py --verify: the venv changed since it was built.
_VENV_CHANGED = 4

def _fail_lines(result):
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else "no output"

def _host_python(rctx):
    for name in ["python" + _REQUIRED_PYTHON, "python3"]:
        path = rctx.which(name)
        if not path:
            continue
        result = rctx.execute([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        if result.return_code == 0 and result.stdout.strip() == _REQUIRED_PYTHON:
            return path
    fail("python_venv: a host CPython %s is required (python%s or python3 on PATH); " % (
        _REQUIRED_PYTHON,
        _REQUIRED_PYTHON,
    ) + "ethos-u-vela, tosa-tools and ml_dtypes ship no wheels for other versions")

def _sha256(rctx, python, path):
    result = rctx.execute([
        python,
        "-c",
        "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
        str(path),
    ])
    if result.return_code != 0:
        fail("python_venv: cannot hash %s: %s" % (path, _fail_lines(result)))
    return result.stdout.strip()

def _venv_root(rctx):
    root = rctx.os.environ.get("EXECUTORCH_ARM_VENV_ROOT")
    if root:
        return root
    cache = rctx.os.environ.get("XDG_CACHE_HOME", "")
    if not cache.startswith("/"):
        home = rctx.os.environ.get("HOME", "")
        if not home.startswith("/"):
            # An empty HOME would put the venv under /.cache, shared by every user.
            fail("python_venv: HOME is not an absolute path; set HOME, XDG_CACHE_HOME or EXECUTORCH_ARM_VENV_ROOT")
        cache = home + "/.cache"
    return cache + "/executorch-arm-bazel/venvs"

def _python_venv_repo_impl(rctx):
    require_host(rctx, "python_venv's lock")
    python = _host_python(rctx)
    lock = rctx.path(rctx.attr.lock)
    digest = _sha256(rctx, python, lock)
    venv = "%s/%s" % (_venv_root(rctx), digest[:16])
    done = rctx.path(venv + "/.complete")
    installer = str(rctx.path(rctx.attr._installer))
    build = not done.exists
    if done.exists:
        # Built before: re-check it (a file swapped since makes it rebuilt).
        result = rctx.execute([python, installer, "--verify", "--venv", venv], timeout = 600)
        build = result.return_code == _VENV_CHANGED
        if build:
            rctx.report_progress(result.stderr.strip())
        elif result.return_code != 0:
            fail("python_venv: cannot check %s: %s" % (venv, _fail_lines(result)))
    if build:
        # Built in place (venv scripts embed their path); .complete marks success.
        rctx.report_progress("creating Python venv from %s (minutes, once per lock)" % rctx.attr.lock.name)
        result = rctx.execute(
            [python, installer, "--python", python, "--lock", str(lock), "--venv", venv] +
            ["--build_from_source=" + name for name in BUILD_FROM_SOURCE],
            timeout = 3600,
            quiet = True,
        )
        if result.return_code != 0:
            fail("python_venv: installing %s failed: %s" % (rctx.attr.lock, _fail_lines(result)))
        result = rctx.execute([python, "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])", str(done), digest])
        if result.return_code != 0:
            fail("python_venv: cannot mark %s complete: %s" % (venv, _fail_lines(result)))

    interpreter = venv + "/bin/python3"
    rctx.file("lock_digest.txt", digest + "\n")
    rctx.file("BUILD.bazel", """\
load("@rules_python//python:defs.bzl", "py_runtime")

package(default_visibility = ["//visibility:public"])

# The interpreter is referenced by path: the venv holds ~6 GB in ~60k files,
# far too many to stage as action inputs.
py_runtime(
    name = "runtime",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
    stub_shebang = "#!{interpreter}",
)

exports_files(["lock_digest.txt"])

# Path of the venv, for tools that run its console scripts (ruff, mypy, vela).
filegroup(
    name = "venv_path",
    srcs = ["lock_digest.txt"],
)
""".format(interpreter = interpreter))
    rctx.file("venv.bzl", "VENV = \"%s\"\nINTERPRETER = \"%s\"\n" % (venv, interpreter))

python_venv_repo = repository_rule(
    implementation = _python_venv_repo_impl,
    attrs = {
        "lock": attr.label(mandatory = True, allow_single_file = True),
        "_installer": attr.label(default = "//toolchains/python:install_venv.py"),
    },
    environ = ["EXECUTORCH_ARM_VENV_ROOT", "XDG_CACHE_HOME", "HOME"],
    doc = "A venv of the host's CPython 3.11 with exactly the locked wheels.",
)

_venv_tag = tag_class(attrs = {
    "name": attr.string(mandatory = True),
    "lock": attr.label(mandatory = True),
})

def _python_venv_impl(module_ctx):
    for mod in module_ctx.modules:
        for venv in mod.tags.venv:
            python_venv_repo(name = venv.name, lock = venv.lock)

    # Not reproducible: the venv is built from the host's CPython in a
    # directory under HOME, outside Bazel's control. An extension (not
    # use_repo_rule) because the repository's canonical name is part of every
    # compile action's inputs (@python_venv//:lock_digest.txt).
    return module_ctx.extension_metadata(reproducible = False)

python_venv = module_extension(
    implementation = _python_venv_impl,
    tag_classes = {"venv": _venv_tag},
)
