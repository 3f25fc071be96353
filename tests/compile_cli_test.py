"""The compiler CLI rejects bad input with one line and exit status 2, before any work;
a model that cannot compile fails with exit 1 naming the operator and why, and writes nothing.
User models (a .py file, package.module:attr, a .pt2, an opted-in pickle) compile, and their
report says where they came from."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import subprocess
import textwrap
from typing import Any

import torch
from absl.testing import absltest

_COMPILE = os.path.join(os.path.dirname(__file__), "..", "backend", "compile")

# A model file in aot_arm_compiler's convention.
_MODEL_FILE = """
import torch


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x))


torch.manual_seed(0)
ModelUnderTest = Net()
ModelInputs = (torch.randn(1, 3, 8, 8),)
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_COMPILE, *args], capture_output=True, text=True, check=False, env=env)


class Linear(torch.nn.Module):
    """A module the test pickles and exports (defined here so unpickling finds the class)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.linear(x)
        return result


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

    def write(self, name: str, text: str) -> pathlib.Path:
        path = pathlib.Path(self.create_tempdir().full_path, name)
        path.write_text(textwrap.dedent(text))
        return path

    def assert_compiled(self, result: subprocess.CompletedProcess[str], output: pathlib.Path) -> dict[str, Any]:
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(output.stat().st_size, 0)
        report: dict[str, Any] = json.loads(output.with_suffix(".json").read_text())
        return report

    def test_model_file_compiles_for_ethos_u65_and_the_report_names_its_source(self) -> None:
        model = self.write("net.py", _MODEL_FILE)
        out = pathlib.Path(self.create_tempdir().full_path)
        output = out / "net.pte"
        result = run(
            f"--model={model}",
            "--target=ethos-u65-256",
            f"--output={output}",
            f"--report={out}/net.json",
            f"--intermediates={out}/intermediates",
        )
        report = self.assert_compiled(result, output)
        self.assertEqual(
            report["model_source"],
            {
                "kind": "python_file",
                "reference": str(model),
                "file": str(model),
                "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
            },
        )
        self.assertEqual(report["calibration"], "example inputs")
        self.assertEqual(report["evaluation"], "in-sample: example inputs only")
        self.assertEqual(report["delegated_operators"].get("aten::convolution"), 1)
        self.assertEqual(report["vela"]["accelerator"], "Ethos_U65_256")
        numerics = json.loads((out / "intermediates" / "numerics" / "numerics.json").read_text())
        self.assertEqual(numerics["evaluation"], "in-sample: example inputs only")
        self.assertEqual(numerics["delegate_calls_per_sample"], [1])

    def test_model_spec_in_a_file_is_calibrated_and_evaluated_out_of_sample_with_its_weights(self) -> None:
        helpers = pathlib.Path(self.create_tempdir().full_path)
        (helpers / "shapes.py").write_text("FEATURES = 4\n")
        model = self.write(
            "spec_model.py",
            """
            import torch
            from shapes import FEATURES

            from backend.model_spec import ModelSpec, randn, seeded

            MODEL = ModelSpec("a linear layer", seeded(lambda: torch.nn.Linear(FEATURES, 2)), randn((1, FEATURES)))
            """,
        )
        weights = helpers / "weights.pt"
        torch.save({"weight": torch.full((2, 4), 0.5), "bias": torch.zeros(2)}, weights)
        out = pathlib.Path(self.create_tempdir().full_path)
        args = ["--target=TOSA-1.0+INT", f"--output={out}/s.pte", f"--model_path={helpers}"]
        self.assert_usage_error(run(f"--model={model}:NO_SUCH", *args), f"{model} has no attribute NO_SUCH")
        result = run(
            f"--model={model}:MODEL",
            *args,
            "--model_name=spec_model",
            f"--weights={weights}",
            f"--report={out}/s.json",
            f"--intermediates={out}/intermediates",
        )
        report = self.assert_compiled(result, out / "s.pte")
        self.assertIn("compiled spec_model for TOSA-1.0+INT", result.stderr)
        self.assertEqual(report["model"], "spec_model")
        self.assertEqual(report["model_source"]["reference"], f"{model}:MODEL")
        self.assertEqual(report["weights"], "sha256:" + hashlib.sha256(weights.read_bytes()).hexdigest())
        self.assertNotIn("evaluation", report)
        numerics = json.loads((out / "intermediates" / "numerics" / "numerics.json").read_text())
        self.assertEqual(numerics["evaluation_seeds"], [1, 201, 202])
        self.assertNotIn("evaluation", numerics)

    def test_import_reference_to_a_factory_compiles(self) -> None:
        package = pathlib.Path(self.create_tempdir().full_path)
        (package / "user_models.py").write_text(
            "import torch\n\ndef make():\n    return torch.nn.Linear(4, 2), (torch.ones(1, 4),)\n"
        )
        output = pathlib.Path(self.create_tempdir().full_path, "linear.pte")
        env = {**os.environ, "PYTHONPATH": str(package)}
        result = run("--model=user_models:make", "--target=TOSA-1.0+FP", f"--output={output}", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(output.stat().st_size, 0)

    def test_import_reference_to_a_module_instance_takes_model_inputs(self) -> None:
        package = pathlib.Path(self.create_tempdir().full_path)
        (package / "user_models.py").write_text("import torch\n\nnet = torch.nn.Linear(4, 2)\n")
        inputs = package / "inputs.pt"
        torch.save((torch.ones(3, 4),), inputs)
        out = pathlib.Path(self.create_tempdir().full_path)
        env = {**os.environ, "PYTHONPATH": str(package)}
        args = ["--model=user_models:net", "--target=TOSA-1.0+FP", f"--output={out}/net.pte"]
        self.assert_usage_error(run(*args, env=env), "user_models:net comes without example inputs")
        result = run(*args, f"--model_inputs={inputs}", f"--report={out}/net.json", env=env)
        report = self.assert_compiled(result, out / "net.pte")
        self.assertEqual(report["model_source"]["kind"], "import")
        self.assertEqual(
            report["model_source"]["sha256"],
            hashlib.sha256((package / "user_models.py").read_bytes()).hexdigest(),
        )

    def test_exported_program_compiles_with_its_example_inputs(self) -> None:
        program = pathlib.Path(self.create_tempdir().full_path, "linear.pt2")
        torch.export.save(torch.export.export(Linear(), (torch.ones(2, 4),)), program)
        out = pathlib.Path(self.create_tempdir().full_path)
        result = run(f"--model={program}", "--target=TOSA-1.0+FP", f"--output={out}/l.pte", f"--report={out}/l.json")
        report = self.assert_compiled(result, out / "l.pte")
        self.assertEqual(report["model_source"]["kind"], "exported_program")

    def test_pickled_module_is_refused_unless_allowed(self) -> None:
        pickled = pathlib.Path(self.create_tempdir().full_path, "linear.pt")
        torch.save(torch.nn.Linear(4, 2), pickled)
        inputs = pickled.with_name("inputs.pt")
        torch.save((torch.ones(1, 4),), inputs)
        out = pathlib.Path(self.create_tempdir().full_path)
        args = [f"--model={pickled}", "--target=TOSA-1.0+FP", f"--output={out}/l.pte", f"--model_inputs={inputs}"]
        self.assert_usage_error(run(*args), "would be unpickled, which runs arbitrary code; pass a Python file")
        self.assertFalse((out / "l.pte").exists())
        result = run(*args, "--allow_pickled_model")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_bad_user_models_are_one_line_usage_errors_and_write_nothing(self) -> None:
        not_a_tuple = pathlib.Path(self.create_tempdir().full_path, "inputs.pt")
        torch.save({"x": torch.ones(1, 4)}, not_a_tuple)
        linear = "import torch\nModelUnderTest = torch.nn.Linear(4, 2)\n"
        cases = [
            ("missing.py", None, [], "model file {path} not found"),
            ("syntax.py", "import torch\nModelUnderTest = torch.nn.ReLU(\n", [], "{path}:2: syntax error: "),
            ("no_inputs.py", linear, [], "{path} defines no ModelInputs"),
            (
                "list_inputs.py",
                linear + "ModelInputs = [torch.ones(1, 4)]\n",
                [],
                "the example inputs of {path} must be a tuple of tensors, not a list of Tensor",
            ),
            (
                "inputs_file.py",
                linear + "ModelInputs = (torch.ones(1, 4),)\n",
                [f"--model_inputs={not_a_tuple}"],
                f"--model_inputs {not_a_tuple} must be a tuple of tensors, not a dict",
            ),
            (
                "forward_fails.py",
                linear + "ModelInputs = (torch.ones(1, 3),)\n",
                [],
                "the model's forward fails on the example inputs of {path}: RuntimeError: mat1 and mat2 shapes",
            ),
        ]
        for name, text, extra, message in cases:
            with self.subTest(name=name):
                folder = pathlib.Path(self.create_tempdir().full_path)
                path = folder / name
                if text is not None:
                    path.write_text(text)
                result = run(f"--model={path}", "--target=TOSA-1.0+FP", f"--output={folder}/x.pte", *extra)
                self.assert_usage_error(result, message.format(path=path))
                self.assertFalse((folder / "x.pte").exists())

    def test_export_failure_names_the_source_line_and_exits_1(self) -> None:
        model = self.write(
            "branchy.py",
            """
            import torch


            class Branchy(torch.nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.sum() > 0:
                        return x + 1
                    return x - 1


            ModelUnderTest = Branchy()
            ModelInputs = (torch.ones(1, 4),)
            """,
        )
        out = pathlib.Path(self.create_tempdir().full_path)
        result = run(f"--model={model}", "--target=TOSA-1.0+FP", f"--output={out}/x.pte", f"--report={out}/x.json")
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertRegex(
            lines[0],
            rf"^error: cannot compile {re.escape(str(model))} for TOSA-1\.0\+FP: torch\.export failed: "
            rf".+ \(at {re.escape(str(model))}:7: if x\.sum\(\) > 0:\)$",
        )
        self.assertEqual(os.listdir(out), [])

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
