"""CI's summary on recorded build event files: nothing that failed or never ran reads as passed.

testdata/README.md says how the files were recorded (a throw-away package with a
passing, a failing, a flaky, an incompatible test and one whose build fails).
"""

from __future__ import annotations

import contextlib
import io
import json
import pathlib

from absl.testing import absltest

from tools.ci import summarize_bep
from tools.ci.summarize_bep import Kind, Outcome

_TESTDATA = pathlib.Path(__file__).parent / "testdata"
_PACKAGE = "//bep_fixture"


def recorded(name: str) -> list[str]:
    return (_TESTDATA / f"{name}.bep.json").read_text().splitlines()


def label(name: str) -> str:
    return f"{_PACKAGE}:{name}"


def events_of(lines: list[str], labels: set[str]) -> list[str]:
    """The lines of a recording that concern only `labels` (plus the run-wide events)."""
    kept = []
    for line in lines:
        event_label = summarize_bep.label_of(json.loads(line)["id"])
        if event_label is None or event_label in labels:
            kept.append(line)
    return kept


class SummarizeTest(absltest.TestCase):
    def summarize(self, lines: list[str], suites: dict[str, list[str]]) -> tuple[int, str, str]:
        """Runs the summary; returns (exit code, stdout, stderr)."""
        tmp = pathlib.Path(self.create_tempdir().full_path)
        bep = tmp / "bep.json"
        bep.write_text("\n".join(lines) + "\n")
        specs = []
        for name, labels in suites.items():
            (tmp / f"{name}.txt").write_text("".join(f"{item}\n" for item in labels))
            specs.append(f"{name}={tmp / f'{name}.txt'}")
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = summarize_bep.summarize(bep, specs, tmp / "out", testlogs=None)
        return code, stdout.getvalue(), stderr.getvalue()

    def test_keep_going_counts_the_test_that_failed_to_build(self) -> None:
        """With --keep_going, a test whose data failed to build has no testSummary
        event, only a targetCompleted without success."""
        summary = summarize_bep.parse_bep(recorded("keep_going"))
        self.assertEqual(
            summary.outcomes,
            {
                label("passes"): Outcome(Kind.PASSED, "PASSED"),
                label("fails"): Outcome(Kind.FAILED, "FAILED"),
                label("flaky"): Outcome(Kind.FLAKY, "FLAKY: failed 1 of 2 attempts"),
                label("broken_build"): Outcome(Kind.FAILED, "FAILED_TO_BUILD"),
                label("incompatible"): Outcome(Kind.SKIPPED, "needs hardware this machine lacks"),
            },
        )
        self.assertTrue(summary.finished)

    def test_a_stopped_build_counts_every_test_it_never_ran_as_failed(self) -> None:
        """Without --keep_going the genrule's error stopped the build after one
        test ran; Bazel's own summary calls the other four "skipped"."""
        code, stdout, _ = self.summarize(recorded("no_keep_going"), {})
        self.assertEqual(code, summarize_bep.EXIT_FAILED)
        for name in ("fails", "flaky", "broken_build", "incompatible"):
            self.assertIn(f"{label(name)} NOT_RUN: the build stopped before it ran\n", stdout)
        self.assertIn(f"{label('passes')} PASSED\n", stdout)
        self.assertTrue(stdout.endswith("flaky (passed on a retry): 0\n1 passed, 4 failed, 0 skipped\n"), stdout)

    def test_per_suite_table(self) -> None:
        suites = {
            "fixture": [label(name) for name in ("passes", "fails", "flaky", "broken_build", "incompatible")],
        }
        code, stdout, _ = self.summarize(recorded("keep_going"), suites)
        self.assertEqual(code, summarize_bep.EXIT_FAILED)
        self.assertIn("| fixture | 1 | 1 | 2 | 1 |\n", stdout)
        self.assertIn(f"- `{label('broken_build')}`: FAILED_TO_BUILD\n", stdout)
        self.assertIn(f"- `{label('incompatible')}`: SKIPPED: needs hardware this machine lacks\n", stdout)
        self.assertNotIn("| other |", stdout)

    def test_passed_flaky_and_skipped_tests_pass_the_run(self) -> None:
        lines = events_of(recorded("keep_going"), {label("passes"), label("flaky"), label("incompatible")})
        code, stdout, _ = self.summarize(lines, {"fixture": [label("passes"), label("incompatible")]})
        self.assertEqual(code, 0, stdout)
        self.assertTrue(stdout.endswith("flaky (passed on a retry): 1\n2 passed, 0 failed, 1 skipped\n"), stdout)
        self.assertIn("| fixture | 1 | 0 | 0 | 1 |\n", stdout)
        self.assertIn("| other | 0 | 1 | 0 | 0 |\n", stdout)

    def test_a_suite_test_missing_from_the_build_event_file_failed(self) -> None:
        lines = events_of(recorded("keep_going"), {label("passes")})
        code, stdout, _ = self.summarize(lines, {"fixture": [label("passes"), label("vanished")]})
        self.assertEqual(code, summarize_bep.EXIT_FAILED)
        self.assertIn(f"{label('vanished')} {summarize_bep.NOT_IN_BEP}\n", stdout)
        self.assertIn("| fixture | 1 | 0 | 1 | 0 |\n", stdout)

    def test_an_empty_suite_fails_the_run(self) -> None:
        """What `bazel query tests(...)` leaves when it fails."""
        lines = events_of(recorded("keep_going"), {label("passes")})
        code, stdout, _ = self.summarize(lines, {"fixture": [label("passes")], "emptied": []})
        self.assertEqual(code, summarize_bep.EXIT_FAILED)
        self.assertIn("FAILED: suite emptied lists no tests\n", stdout)
        self.assertIn("| emptied | 0 | 0 | 0 | 0 |\n", stdout)

    def test_a_file_cut_before_build_finished_fails_the_run(self) -> None:
        lines = events_of(recorded("keep_going"), {label("passes")})
        cut = [line for line in lines if "buildFinished" not in json.loads(line)["id"]]
        self.assertLess(len(cut), len(lines))
        code, stdout, _ = self.summarize(cut, {})
        self.assertEqual(code, summarize_bep.EXIT_FAILED)
        self.assertIn("FAILED: the build event file ends before buildFinished", stdout)

    def test_bad_input_is_one_line_and_exit_2(self) -> None:
        code, stdout, stderr = self.summarize(["{not json"], {})
        self.assertEqual(code, summarize_bep.EXIT_BAD_INPUT)
        self.assertRegex(stderr, r"^summarize_bep: error: \S+bep.json: line 1 is not JSON: [^\n]+\n$")
        self.assertEqual(stdout, "")
        code, _, stderr = self.summarize(['{"id": 3}'], {})
        self.assertEqual(code, summarize_bep.EXIT_BAD_INPUT)
        self.assertRegex(stderr, r"^summarize_bep: error: \S+bep.json: line 1 is not a build event [^\n]+\n$")
        with contextlib.redirect_stderr(io.StringIO()) as captured:
            code = summarize_bep.summarize(
                _TESTDATA / "keep_going.bep.json",
                ["fixture=/nonexistent/suite.txt"],
                pathlib.Path("/nonexistent"),
                None,
            )
        self.assertEqual(code, summarize_bep.EXIT_BAD_INPUT)
        self.assertRegex(captured.getvalue(), r"^summarize_bep: error: suite fixture: cannot read [^\n]+\n$")


if __name__ == "__main__":
    absltest.main()
