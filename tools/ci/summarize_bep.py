"""Summarizes a Bazel test run for CI from its build event protocol (JSON) file.

Writes a one-page markdown summary (per suite: passed / flaky / failed / skipped
with the reason; the remote cache hit ratio), gathers each test's JUnit XML from
the test logs into one directory plus a merged file, and prints one line per
test, the flaky count, and a closing `N passed, N failed, N skipped` line (flaky
tests among the passed, as Bazel counts them; the shape CI's log readers parse)
so that logs state plainly how many tests ran.

Every test Bazel configured ends in exactly one column:
- passed;
- flaky: failed, then passed on a retry (`flaky = True`); Bazel passes the
  build, so it does not fail the run, but it is listed apart to be seen;
- failed: failed or timed out, failed to build, or never ran because the build
  stopped first (without --keep_going one build error stops every test not yet
  run; Bazel then sends no test result for them at all);
- skipped: Bazel found it incompatible with this machine (for example no FVP
  installed) and never ran it; never counted as passed.
A test that a --suite lists but the build event file never mentions counts as
failed too, and a suite that lists no test at all fails the summary: an empty
suite must not read as an all-green one.

Exit codes: 0 nothing failed; 1 a test failed or never ran, a suite lists no
tests, or the build event file ends before Bazel's `buildFinished` event;
2 bad input (a file that cannot be read, a line that is not JSON).
"""

from __future__ import annotations

import enum
import json
import pathlib
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from absl import app, flags

_BEP = flags.DEFINE_string("bep", None, "Build event JSON file of the test run.")
_TESTLOGS = flags.DEFINE_string("testlogs", None, "`bazel info bazel-testlogs` of the run.")
_OUT = flags.DEFINE_string("out", None, "Directory for summary.md and junit/.")
_SUITES = flags.DEFINE_multi_string("suite", [], "NAME=FILE: a suite and a file listing its test labels, one per line.")

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class Kind(enum.Enum):
    PASSED = "passed"
    FLAKY = "flaky"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    status: str  # Bazel's overall status, or why the test never ran


@dataclass
class RunSummary:
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # label -> outcome
    runners: dict[str, int] = field(default_factory=dict)
    finished: bool = False  # the file holds Bazel's buildFinished event

    def count(self, kind: Kind) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.kind is kind)


class BadInput(Exception):
    """A build event or suite file that cannot be read."""


_SKIP_REASON_TAG = "skip-reason:"
NOT_IN_BEP = "NOT_RUN: not in the build event file"


def label_of(event_id: dict[str, Any]) -> str | None:
    return next((v["label"] for v in event_id.values() if isinstance(v, dict) and "label" in v), None)


def _test_summary_outcome(summary: dict[str, Any]) -> Outcome:
    status = str(summary.get("overallStatus", "NO_STATUS"))
    if status == "PASSED":
        return Outcome(Kind.PASSED, status)
    if status == "FLAKY":
        attempts = summary.get("attemptCount", summary.get("totalRunCount", 0))
        return Outcome(Kind.FLAKY, f"FLAKY: failed {len(summary.get('failed', []))} of {attempts} attempts")
    return Outcome(Kind.FAILED, status)


def parse_bep(lines: Iterable[str]) -> RunSummary:
    """Raises BadInput for a line that is not a JSON object."""
    summary = RunSummary()
    tests: list[str] = []  # in the order Bazel configured them
    skip_reasons: dict[str, str] = {}
    test_summaries: dict[str, dict[str, Any]] = {}
    built: dict[str, bool] = {}  # label -> targetCompleted's success
    aborted: dict[str, dict[str, Any]] = {}  # label -> the abort of its build or test
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadInput(f"line {number} is not JSON: {error.msg}") from None
        event_id = event.get("id") if isinstance(event, dict) else None
        if not isinstance(event_id, dict):
            raise BadInput(f"line {number} is not a build event (a JSON object with an id)")
        label = label_of(event_id)
        if "targetConfigured" in event_id and label:
            configured = event.get("configured", {})
            if "testSize" in configured:
                tests.append(label)
            for tag in configured.get("tag", []):
                if tag.startswith(_SKIP_REASON_TAG):
                    skip_reasons[label] = tag.removeprefix(_SKIP_REASON_TAG)
        if "testSummary" in event_id and label and "testSummary" in event:
            test_summaries[label] = event["testSummary"]
        if "targetCompleted" in event_id and label and "completed" in event:
            built[label] = bool(event["completed"].get("success", False))
        if "aborted" in event and label:
            aborted.setdefault(label, event["aborted"])
        if "buildFinished" in event_id:
            summary.finished = True
        metrics = event.get("buildMetrics", {}).get("actionSummary", {})
        for runner in metrics.get("runnerCount", []):
            summary.runners[runner["name"]] = int(runner.get("count", 0))
    # Only tests count: incompatible libraries and binaries are skipped too.
    for label in dict.fromkeys(tests + list(test_summaries)):
        abort = aborted.get(label, {})
        if label in test_summaries:
            summary.outcomes[label] = _test_summary_outcome(test_summaries[label])
        elif abort.get("reason") == "SKIPPED":
            reason = skip_reasons.get(label, "incompatible with this machine")
            summary.outcomes[label] = Outcome(Kind.SKIPPED, reason)
        elif built.get(label) is False:
            summary.outcomes[label] = Outcome(Kind.FAILED, "FAILED_TO_BUILD")
        elif label in aborted:
            why = abort.get("description") or abort.get("reason") or "the build stopped before it ran"
            summary.outcomes[label] = Outcome(Kind.FAILED, f"NOT_RUN: {why}")
        else:
            summary.outcomes[label] = Outcome(Kind.FAILED, "NOT_RUN: built, but no test result")
    return summary


def read_suites(specs: Sequence[str]) -> dict[str, set[str]]:
    """NAME=FILE specs -> suite name -> labels. Raises BadInput."""
    suites: dict[str, set[str]] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise BadInput(f"--suite={spec}: expected NAME=FILE")
        try:
            text = pathlib.Path(path).read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"suite {name}: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
        suites[name] = {line.strip() for line in text.splitlines() if line.strip()}
    return suites


def add_unseen_suite_tests(summary: RunSummary, suites: dict[str, set[str]]) -> None:
    """A suite's test that the build event file never mentions did not run: failed."""
    for labels in suites.values():
        for label in sorted(labels - summary.outcomes.keys()):
            summary.outcomes[label] = Outcome(Kind.FAILED, NOT_IN_BEP)


def problems(summary: RunSummary, suites: dict[str, set[str]]) -> list[str]:
    """What fails the run besides failed tests."""
    found = [f"suite {name} lists no tests" for name, labels in sorted(suites.items()) if not labels]
    if not summary.finished:
        found.append("the build event file ends before buildFinished (Bazel was killed or crashed)")
    return found


def cache_hit_ratio(runners: dict[str, int]) -> tuple[int, int]:
    """Returns (remote hits, actions that were spawned or hit), ignoring internal ones."""
    hits = runners.get("remote cache hit", 0)
    spawned = sum(v for k, v in runners.items() if k not in ("internal", "total"))
    return hits, spawned


def suite_of(label: str, suites: dict[str, set[str]]) -> str:
    return next((name for name, labels in suites.items() if label in labels), "other")


def render_markdown(summary: RunSummary, suites: dict[str, set[str]]) -> str:
    rows: dict[str, list[tuple[str, Outcome]]] = {name: [] for name in suites}
    for label, outcome in summary.outcomes.items():
        rows.setdefault(suite_of(label, suites), []).append((label, outcome))
    lines = ["# Test summary", ""]
    for problem in problems(summary, suites):
        lines += [f"**FAILED: {problem}.**", ""]
    lines += ["| suite | passed | flaky | failed | skipped |", "| --- | --- | --- | --- | --- |"]
    for suite in sorted(rows):
        counts = [sum(1 for _, outcome in rows[suite] if outcome.kind is kind) for kind in Kind]
        lines.append(f"| {suite} | " + " | ".join(str(n) for n in counts) + " |")
    hits, spawned = cache_hit_ratio(summary.runners)
    ratio = f"{hits / spawned:.1%}" if spawned else "n/a (no actions)"
    lines += ["", f"Remote cache: {hits} hits of {spawned} actions ({ratio}).", ""]
    for suite in sorted(rows):
        lines += [f"## {suite}", ""]
        lines += [f"- `{label}`: {describe(outcome)}" for label, outcome in sorted(rows[suite])]
        lines.append("")
    return "\n".join(lines)


def describe(outcome: Outcome) -> str:
    return f"SKIPPED: {outcome.status}" if outcome.kind is Kind.SKIPPED else outcome.status


def collect_junit(summary: RunSummary, testlogs: pathlib.Path, out: pathlib.Path) -> int:
    """Copies each test's test.xml and writes junit.xml with all test suites merged."""
    junit_dir = out / "junit"
    junit_dir.mkdir(parents=True, exist_ok=True)
    merged = ElementTree.Element("testsuites")
    for label in sorted(summary.outcomes):
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


def summarize(bep: pathlib.Path, suite_specs: Sequence[str], out: pathlib.Path, testlogs: pathlib.Path | None) -> int:
    """Writes the summary and returns the exit code."""
    try:
        try:
            text = bep.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"cannot read {bep}: {getattr(error, 'strerror', None) or error}") from None
        try:
            summary = parse_bep(text.splitlines())
        except BadInput as error:
            raise BadInput(f"{bep}: {error}") from None
        suites = read_suites(suite_specs)
    except BadInput as error:
        print(f"summarize_bep: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    add_unseen_suite_tests(summary, suites)
    out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(summary, suites)
    (out / "summary.md").write_text(markdown)
    print(markdown)
    if testlogs:
        collected = collect_junit(summary, testlogs, out)
        print(f"JUnit XML: {collected} test suites in {out / 'junit.xml'}")
    for label, outcome in sorted(summary.outcomes.items()):
        print(f"{label} {describe(outcome)}")
    found = problems(summary, suites)
    for problem in found:
        print(f"FAILED: {problem}")
    print(f"flaky (passed on a retry): {summary.count(Kind.FLAKY)}")
    passed = summary.count(Kind.PASSED) + summary.count(Kind.FLAKY)
    print(f"{passed} passed, {summary.count(Kind.FAILED)} failed, {summary.count(Kind.SKIPPED)} skipped")
    return EXIT_FAILED if found or summary.count(Kind.FAILED) else 0


def main(argv: Sequence[str]) -> int:
    del argv
    # Checked here, not by the flag definitions: tests import this module.
    if not _BEP.value or not _OUT.value:
        raise app.UsageError("--bep and --out are required", exitcode=EXIT_BAD_INPUT)
    testlogs = pathlib.Path(_TESTLOGS.value) if _TESTLOGS.value else None
    return summarize(pathlib.Path(_BEP.value), _SUITES.value, pathlib.Path(_OUT.value), testlogs)


if __name__ == "__main__":
    app.run(main)
