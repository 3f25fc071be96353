"""A MobileNetV2 example run as `bazel run` runs it, with one inference: the delegated program
runs end to end (NPU part on the functional Ethos-U model) and prints what its docstring promises.

Arguments: the example binary, then its arguments (examples/BUILD.bazel's, shared with `bazel run`).
"""

from __future__ import annotations

import re
import subprocess
import sys
import unittest

LOWERED = "the lowered program (NPU part on the TOSA reference model)"


class MobileNetExampleTest(unittest.TestCase):
    output: str
    has_cpu_program: bool

    @classmethod
    def setUpClass(cls) -> None:
        example, args = sys.argv[1], sys.argv[2:]
        result = subprocess.run([example, *args, "--num_inferences=1"],
                                capture_output=True, text=True, check=False, timeout=1200)
        if result.returncode != 0:
            raise AssertionError(f"the example exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        cls.output = result.stdout
        cls.has_cpu_program = any(arg.startswith("--cpu_program=") for arg in args)

    def test_says_plainly_that_the_npu_part_ran_on_a_functional_model(self) -> None:
        self.assertRegex(self.output, r"NPU part \(ethos-u(55-128|85-256)\) on the functional Ethos-U model")
        self.assertIn("NOT cycle-accurate, not hardware, not an FVP", self.output)

    def test_top5_equal_to_the_lowered_program_bit_for_bit(self) -> None:
        # The functional model is bit-exact against the TOSA reference model for this program
        # (//tests/ethos_u:u55_mobilenet_v2_npu / u85_mobilenet_v2_npu) and the runner's CPU part is
        # the lowered program's (//tests/runtime:ethos_u*_delegate_*_test): the logits are equal.
        self.assertEqual(len(re.findall(r"^  [1-5]\. .* \(class \d+\): \d\.\d{4}$", self.output, re.M)), 5,
                         self.output)
        self.assertIn(f"agrees with {LOWERED}: top-5 identical, max |logit difference| 0.00e+00", self.output)
        self.assertRegex(self.output, r"agrees with quantized PyTorch: top-5 (identical|DIFFERENT)")
        self.assertRegex(self.output, r"agrees with PyTorch eager: top-5 (identical|DIFFERENT)")

    def test_time_split_between_cpu_and_npu_model(self) -> None:
        self.assertRegex(self.output, r"(?m)^inference 1/1: [0-9.]+ ms$")
        self.assertRegex(
            self.output,
            r"(?m)^of which Ethos-U functional model: [0-9.]+ ms per inference \(1\.0 delegate call\(s\)\); "
            r"the rest ran on the CPU$",
        )

    def test_memory_report_names_the_delegate(self) -> None:
        self.assertRegex(self.output, r"(?m)^memory: planned total: \d+ bytes")
        self.assertRegex(self.output, r"(?m)^memory: Ethos-U delegate 0: command stream [1-9]\d* bytes, "
                                      r"weights [1-9]\d* bytes, scratch [1-9]\d* bytes")

    def test_vela_estimate_of_the_npu_part(self) -> None:
        self.assertRegex(self.output, r"Vela's estimate for the NPU part \(ethos-u\d\d-\d+, .*\): [\d,]+ cycles")

    def test_the_cpu_only_program_is_compared_where_the_example_has_one(self) -> None:
        # Corstone-1000's float program on ExecuTorch's kernels against float PyTorch, same input.
        comparison = (r"comparison, the float CPU-only program on the Cortex-A320 \(qemu-aarch64\): "
                      r"[0-9.]+ ms per inference; against PyTorch eager: top-5 identical")
        if self.has_cpu_program:
            self.assertRegex(self.output, comparison)
        else:
            self.assertNotIn("CPU-only program", self.output)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
