"""cppcheck over runtime/: no warning, performance or portability findings.

Findings print as file:line: severity id; deliberate ones (the UBSan test's
undefined behaviour) are suppressed inline where they stand.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from absl import app, flags

_CPPCHECK = flags.DEFINE_string("cppcheck", None, "The cppcheck executable.", required=True)


def main(argv: Sequence[str]) -> None:
    sources = [path for path in argv[1:] if path.endswith((".c", ".cc"))]
    if not sources:
        sys.exit("FAIL: no sources given")
    includes = sorted({path.rsplit("/", 1)[0] for path in argv[1:] if path.endswith(".h")})
    result = subprocess.run(
        [_CPPCHECK.value, "--enable=warning,performance,portability", "--inline-suppr", "--quiet",
         "--error-exitcode=1", "--template={file}:{line}: {severity} {id}: {message}",
         *(f"-I{include}" for include in includes), *sources],
        capture_output=True, text=True, check=False,
    )
    findings = [line for line in result.stderr.splitlines() if ": " in line and line[0] != " "]
    print(f"cppcheck: {len(sources)} files, {len(findings)} findings")
    print("\n".join(findings))
    if result.returncode != 0 or findings:
        sys.exit(1)


if __name__ == "__main__":
    app.run(main)
