"""The compiler CLI rejects bad input with one line and exit status 2, before any work;
a model that cannot compile fails with exit 1 naming the operator and why, and writes nothing."""

from __future__ import annotations

import os
import subprocess

from absl.testing import absltest

_COMPILE = os.path.join(os.path.dirname(__file__), "..", "backend", "compile")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_COMPILE, *args], capture_output=True, text=True, check=False)


class CompileCliTest(absltest.TestCase):
    def assert_usage_error(self, result: subprocess.CompletedProcess[str], message: str) -> None:
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(message, lines[0])

    def test_unknown_model_lists_valid_models(self) -> None:
        result = run("--model=resnet9000", "--target=ethos-u55-128", "--output=/tmp/x.pte")
        self.assert_usage_error(result, "unknown model 'resnet9000'; valid: abs, adaptive_avg_pool2d, add")

    def test_unknown_target_lists_valid_targets(self) -> None:
        result = run("--model=add", "--target=ethos-u99-1", "--output=/tmp/x.pte")
        self.assert_usage_error(result, "unknown target 'ethos-u99-1'; valid: ethos-u55-32")

    def test_quantizing_a_float_target_is_refused(self) -> None:
        result = run("--model=add", "--target=TOSA-1.0+FP", "--quantize", "--output=/tmp/x.pte")
        self.assert_usage_error(result, "target TOSA-1.0+FP is floating point")

    def test_bundleio_needs_a_bpte(self) -> None:
        result = run("--model=add", "--target=ethos-u55-128", "--bundleio", "--output=/tmp/x.pte")
        self.assert_usage_error(result, "--output must end in .bpte")

    def test_missing_weights_file_is_clear(self) -> None:
        tmp = self.create_tempdir().full_path
        result = run(
            "--model=conv_net", "--target=ethos-u55-128", f"--output={tmp}/x.pte", "--weights=/nonexistent/conv_net.pt"
        )
        self.assert_usage_error(result, "weights file /nonexistent/conv_net.pt not found")
        self.assertFalse(os.path.exists(f"{tmp}/x.pte"))

    def test_option_errors_are_usage_errors(self) -> None:
        cases = [
            (["--model=add", "--target=ethos-u55-128", "--direct_drive"], "--direct_drive is an Ethos-U85 feature"),
            (["--model=add", "--target=TOSA-1.0+FP", "--activations=int16"], "--activations=int16 needs a quantized"),
            (["--model=add", "--target=ethos-u55-128", "--calibration_data=/nonexistent.pt"], "does not exist"),
            (["--model=add", "--target=ethos-u85-256", "--memory_mode=Sram_Everywhere"], "unknown memory_mode"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.assert_usage_error(run(*args, "--output=/tmp/x.pte"), message)

    def test_an_operator_without_npu_support_or_cpu_kernel_fails_naming_it(self) -> None:
        tmp = self.create_tempdir().full_path
        result = run("--model=median", "--target=ethos-u55-128", f"--output={tmp}/x.pte", f"--report={tmp}/x.json")
        self.assertEqual(result.returncode, 1, result.stderr)
        last = result.stderr.strip().splitlines()[-1]
        self.assertRegex(
            last,
            r"^error: cannot compile median for ethos-u55-128: aten::median\S* stays on the CPU \(.+\) and "
            r"ExecuTorch's CPU runtime has no kernel for it$",
        )
        self.assertFalse(os.path.exists(f"{tmp}/x.pte"))
        self.assertFalse(os.path.exists(f"{tmp}/x.json"))


if __name__ == "__main__":
    absltest.main()
