"""Fails while any coverage table entry lacks recorded expectations (its names are the arguments)."""

from __future__ import annotations

import sys


def main(missing: list[str]) -> int:
    if missing:
        print(
            f"FAIL: {len(missing)} coverage entries have no recorded placement or budgets in "
            f"tests/coverage_expectations.bzl: {', '.join(missing)}; "
            "run `bazel run //tools/coverage:record_expectations` and review the diff"
        )
        return 1
    print("PASS: every coverage entry has recorded expectations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
