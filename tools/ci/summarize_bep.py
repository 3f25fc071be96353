"""Summarizes a Bazel test run for CI from its build event protocol (JSON) file.

Writes a one-page markdown summary (per suite: passed / failed / skipped with the
reason; the remote cache hit ratio), gathers each test's JUnit XML from the test
logs into one directory plus a merged file, and prints one line per test and a
closing `N passed, N failed, N skipped` line so that logs state plainly how many
tests ran. Skipped means Bazel found a test incompatible with this machine (for
example no FVP installed) and never ran it; it is never counted as passed.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field

from absl import app, flags

_BEP = flags.DEFINE_string("bep", None, "Build event JSON file of the test run.", required=True)
_TESTLOGS = flags.DEFINE_string("testlogs", None, "`bazel info bazel-testlogs` of the run.")
_OUT = flags.DEFINE_string("out", None, "Directory for summary.md and junit/.", required=True)
_SUITES = flags.DEFINE_multi_string(
    "suite", [], "NAME=FILE: a suite and a file listing its test labels, one per line."
)


@dataclass
class RunSummary:
    results: dict[str, str] = field(default_factory=dict)  # label -> PASSED/FAILED/...
    skipped: dict[str, str] = field(default_factory=dict)  # label -> reason
    runners: dict[str, int] = field(default_factory=dict)


_SKIP_REASON_TAG = "skip-reason:"


def parse_bep(lines: Sequence[str]) -> RunSummary:
    summary = RunSummary()
    reasons: dict[str, str] = {}
    tests: set[str] = set()
    for line in lines:
        event = json.loads(line)
        event_id = event.get("id", {})
        if "targetConfigured" in event_id:
            if "testSize" in event.get("configured", {}):
                tests.add(event_id["targetConfigured"]["label"])
            for tag in event.get("configured", {}).get("tag", []):
                if tag.startswith(_SKIP_REASON_TAG):
                    reasons[event_id["targetConfigured"]["label"]] = tag.removeprefix(_SKIP_REASON_TAG)
        if "testSummary" in event_id:
            label = event_id["testSummary"]["label"]
            summary.results[label] = event.get("testSummary", {}).get("overallStatus", "NO_STATUS")
        aborted = event.get("aborted", {})
        if aborted.get("reason") == "SKIPPED":
            label = next(
                (v["label"] for v in event_id.values() if isinstance(v, dict) and "label" in v), None
            )
            if label:
                summary.skipped[label] = "incompatible with this machine"
        metrics = event.get("buildMetrics", {}).get("actionSummary", {})
        for runner in metrics.get("runnerCount", []):
            summary.runners[runner["name"]] = int(runner.get("count", 0))
    # Incompatible libraries and binaries are skipped too; only tests count.
    summary.skipped = {
        label: reasons.get(label, reason) for label, reason in summary.skipped.items() if label in tests
    }
    return summary


def cache_hit_ratio(runners: dict[str, int]) -> tuple[int, int]:
    """Returns (remote hits, actions that were spawned or hit), ignoring internal ones."""
    hits = runners.get("remote cache hit", 0)
    spawned = sum(v for k, v in runners.items() if k not in ("internal", "total"))
    return hits, spawned


def suite_of(label: str, suites: dict[str, set[str]]) -> str:
    return next((name for name, labels in suites.items() if label in labels), "other")


def render_markdown(summary: RunSummary, suites: dict[str, set[str]]) -> str:
    rows: dict[str, list[list[str]]] = {}
    for label, status in summary.results.items():
        rows.setdefault(suite_of(label, suites), []).append([label, status])
    for label, reason in summary.skipped.items():
        rows.setdefault(suite_of(label, suites), []).append([label, f"SKIPPED: {reason}"])
    lines = ["# Test summary", "", "| suite | passed | failed | skipped |", "| --- | --- | --- | --- |"]
    for suite in sorted(rows):
        statuses = [status for _, status in rows[suite]]
        lines.append(
            f"| {suite} | {statuses.count('PASSED')} "
            f"| {sum(1 for s in statuses if s != 'PASSED' and not s.startswith('SKIPPED'))} "
            f"| {sum(1 for s in statuses if s.startswith('SKIPPED'))} |"
        )
    hits, spawned = cache_hit_ratio(summary.runners)
    ratio = f"{hits / spawned:.1%}" if spawned else "n/a (no actions)"
    lines += ["", f"Remote cache: {hits} hits of {spawned} actions ({ratio}).", ""]
    for suite in sorted(rows):
        lines += [f"## {suite}", ""]
        lines += [f"- `{label}`: {status}" for label, status in sorted(rows[suite])]
        lines.append("")
    return "\n".join(lines)


def collect_junit(summary: RunSummary, testlogs: pathlib.Path, out: pathlib.Path) -> int:
    """Copies each test's test.xml and writes junit.xml with all test suites merged."""
    junit_dir = out / "junit"
    junit_dir.mkdir(parents=True, exist_ok=True)
    merged = ElementTree.Element("testsuites")
    for label in sorted(summary.results):
        package, _, name = label.lstrip("@").removeprefix("//").partition(":")
        xml = testlogs / package / name / "test.xml"
        if not xml.is_file():
            continue
        shutil.copyfile(xml, junit_dir / f"{package.replace('/', '_')}_{name}.xml")
        # test.xml is written by Bazel and our own tests, not untrusted input.
        root = ElementTree.parse(xml).getroot()  # nosec B314
        merged.extend(root.findall("testsuite") if root.tag == "testsuites" else [root])
    ElementTree.ElementTree(merged).write(out / "junit.xml", encoding="utf-8", xml_declaration=True)
    return len(merged)


def main(argv: Sequence[str]) -> None:
    del argv
    summary = parse_bep(pathlib.Path(_BEP.value).read_text().splitlines())
    suites: dict[str, set[str]] = {}
    for spec in _SUITES.value:
        name, _, path = spec.partition("=")
        suites[name] = {line.strip() for line in pathlib.Path(path).read_text().splitlines() if line.strip()}
    out = pathlib.Path(_OUT.value)
    out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(summary, suites)
    (out / "summary.md").write_text(markdown)
    print(markdown)
    if _TESTLOGS.value:
        collected = collect_junit(summary, pathlib.Path(_TESTLOGS.value), out)
        print(f"JUnit XML: {collected} test suites in {out / 'junit.xml'}")
    for label, status in sorted(summary.results.items()):
        print(f"{label} {status}")
    for label, reason in sorted(summary.skipped.items()):
        print(f"{label} SKIPPED ({reason})")
    passed = sum(1 for s in summary.results.values() if s == "PASSED")
    failed = len(summary.results) - passed
    print(f"{passed} passed, {failed} failed, {len(summary.skipped)} skipped")


if __name__ == "__main__":
    app.run(main)
