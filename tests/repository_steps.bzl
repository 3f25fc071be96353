"""Steps the test repositories (tests/*_fetch.bzl, tests/debian_setid.bzl) share."""

def run(rctx, argv):
    """Runs a command in the repository, or fails the repository with its stderr.

    Args:
      rctx: the repository_ctx.
      argv: the command and its arguments.

    Returns:
      The command's stdout.
    """
    result = rctx.execute(argv)
    if result.return_code != 0:
        fail("%s: %s failed: %s" % (rctx.name, argv[0], result.stderr))
    return result.stdout

def python3(rctx):
    """The host's python3, which the test repositories' archive writers run on.

    Args:
      rctx: the repository_ctx.

    Returns:
      Its path.
    """
    python = rctx.which("python3")
    if not python:
        fail("%s: python3 not found" % rctx.name)
    return python
