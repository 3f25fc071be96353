"""`bazel run` target of coverage_report: copies report.html and report.png to a directory.

  bazel run //tests:report [-- --out=DIR]

DIR defaults to bazel-report/ in the workspace; a relative DIR is taken from
where `bazel run` was called. Prints the paths written.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import sys

from absl import app, flags

_HTML = flags.DEFINE_string("html", None, "The built report.html.", required=True)
_PNG = flags.DEFINE_string("png", None, "The built report.png.", required=True)
_OUT = flags.DEFINE_string("out", None, "Directory to write into (default: <workspace>/bazel-report).")


def destination(out: str | None, environ: dict[str, str]) -> pathlib.Path:
    """Where to write; raises app.UsageError when there is no sensible default."""
    if out:
        base = environ.get("BUILD_WORKING_DIRECTORY", "")
        return pathlib.Path(base, out) if base and not os.path.isabs(out) else pathlib.Path(out)
    workspace = environ.get("BUILD_WORKSPACE_DIRECTORY")
    if not workspace:
        raise app.UsageError("not started by `bazel run`: give --out=DIR")
    return pathlib.Path(workspace, "bazel-report")


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    out = destination(_OUT.value, dict(os.environ))
    out.mkdir(parents=True, exist_ok=True)
    for source in (_HTML.value, _PNG.value):
        target = out / pathlib.Path(source).name
        # copyfile, not copy: the outputs in Bazel's tree are read-only, the
        # copies should not be.
        shutil.copyfile(source, target)
        print(target.resolve())
    print(f"open file://{(out / 'report.html').resolve()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
