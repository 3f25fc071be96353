"""A VGF program from our compiler, run on lavapipe through Arm's ML emulation layer, against TOSA.

The delegated partition's VGF file (ExecuTorch's own dump in the compile's
intermediates, `output_<tag>.tosa.vgf`) runs in the ML SDK scenario runner:
`vgf_dump --scenario-template` gives the scenario, whose tensors are filled
with exactly what the lowered program fed that delegate when the compile
evaluated it (`numerics/call0_input<j>.npy`, in the TOSA graph's memory
order). The runner's Vulkan is the pinned loader and lavapipe
(@lavapipe//:run_with_lavapipe); VK_ARM_tensors and VK_ARM_data_graph come
from the emulation layer of the ai-ml-emulation-layer-for-vulkan wheel. Its
outputs must equal what the TOSA reference model computed from the same
graph (`numerics/call0_output<k>.npy`): integer outputs within one step,
float outputs within float32 reordering. The TOSA reference model's
agreement with PyTorch is the numerics test of the same compile.

Usage (see BUILD.bazel):
  vgf_test --intermediates=DIR --run_with_lavapipe=WRAPPER
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
from typing import Any

import numpy as np
import numpy.typing as npt
from absl import flags
from absl.testing import absltest

from backend import numerics

_RUN_WITH_LAVAPIPE = flags.DEFINE_string(
    "run_with_lavapipe", None, "Wrapper that runs a command on the pinned Vulkan loader and lavapipe."
)
# --intermediates is numerics' own flag (defined when it is imported).
FLAGS = flags.FLAGS

Array = npt.NDArray[Any]

# The Graph layer needs VK_ARM_tensors from the Tensor layer below it. The
# pinned loader (1.3.239) orders explicit layers by where their manifests are
# found, not by VK_INSTANCE_LAYERS, so each manifest gets its own directory,
# listed Graph first in VK_LAYER_PATH.
_LAYERS = (("VK_LAYER_ML_Graph_Emulation", "VkLayer_Graph"), ("VK_LAYER_ML_Tensor_Emulation", "VkLayer_Tensor"))

_NUMPY_DTYPES = {
    "VK_FORMAT_R8_SINT": np.int8,
    "VK_FORMAT_R16_SINT": np.int16,
    "VK_FORMAT_R32_SINT": np.int32,
    "VK_FORMAT_R32_SFLOAT": np.float32,
    "VK_FORMAT_R16_SFLOAT": np.float16,
}


def _package_dir(name: str) -> pathlib.Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        message = f"the venv has no {name} package (ML SDK wheel)"
        raise FileNotFoundError(message)
    return pathlib.Path(spec.origin).parent


# The scenario runner against the TOSA reference model on one graph.
_AGREEMENT = {
    "int": numerics.Tolerance(atol=1.0, rtol=0.0, why="one integer step"),
    "float": numerics.Tolerance(atol=1e-4, rtol=1e-3, why="float32: reordered sums"),
}


class VgfOnLavapipeTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.intermediates = pathlib.Path(str(FLAGS["intermediates"].value))
        self.workdir = pathlib.Path(self.create_tempdir().full_path)
        self.logs = pathlib.Path(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", self.workdir))

    def _layer_path(self) -> str:
        deploy = _package_dir("emulation_layer") / "deploy"
        directories = []
        for _, stem in _LAYERS:
            manifest = json.loads((deploy / "share/vulkan/explicit_layer.d" / f"{stem}.json").read_text())
            manifest["layer"]["library_path"] = str(deploy / "lib" / f"lib{stem}.so")
            directory = self.workdir / "layers" / stem
            directory.mkdir(parents=True)
            (directory / f"{stem}.json").write_text(json.dumps(manifest, indent=2))
            directories.append(str(directory))
        return os.pathsep.join(directories)

    def _scenario(self, vgf: pathlib.Path, feeds: list[Array]) -> tuple[pathlib.Path, list[str]]:
        """The scenario template of the VGF with its tensors bound to .npy files; returns it and the outputs."""
        template = self.workdir / "template.json"
        vgf_dump = _package_dir("vgf_lib") / "binaries/bin/vgf_dump"
        subprocess.run(
            [str(vgf_dump), "--input", str(vgf), "--output", str(template), "--scenario-template"], check=True
        )
        scenario = json.loads(template.read_text())
        outputs: list[str] = []
        for resource in scenario["resources"]:
            if "graph" in resource:
                resource["graph"]["src"] = str(vgf.absolute())
            tensor = resource.get("tensor")
            if tensor is None:
                continue
            dtype = _NUMPY_DTYPES[tensor["format"]]
            if "src" in tensor:
                index = int(tensor["src"].removeprefix("TEMPLATE_PATH_TENSOR_INPUT_"))
                array = feeds[index]
                self.assertEqual(list(array.shape), tensor["dims"], f"input {index}")
                self.assertEqual(array.dtype, dtype, f"input {index}: {tensor['format']}")
                tensor["src"] = str(self.workdir / f"input_{index}.npy")
                np.save(tensor["src"], array)
            if "dst" in tensor:
                index = int(tensor["dst"].removeprefix("TEMPLATE_PATH_TENSOR_OUTPUT_"))
                tensor["dst"] = str(self.workdir / f"output_{index}.npy")
                outputs.append(tensor["dst"])
        path = self.workdir / "scenario.json"
        path.write_text(json.dumps(scenario, indent=2))
        return path, outputs

    def _run(self, scenario: pathlib.Path) -> str:
        env = dict(os.environ)
        env.update(
            {
                "VK_LAYER_PATH": self._layer_path(),
                "VK_INSTANCE_LAYERS": ":".join(name for name, _ in _LAYERS),
            }
        )
        runner = _package_dir("scenario_runner") / "binaries/bin/scenario-runner"
        result = subprocess.run(
            [
                str(pathlib.Path(str(_RUN_WITH_LAVAPIPE.value)).absolute()),
                str(runner),
                "--scenario",
                str(scenario),
                "--output",
                str(self.workdir),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        log = f"{result.stdout}{result.stderr}"
        (self.logs / "scenario-runner.log").write_text(log)
        print(log)
        self.assertEqual(result.returncode, 0, f"scenario-runner failed:\n{log}")
        self.assertIn("Device: llvmpipe", log, "the scenario did not run on lavapipe")
        return log

    def test_outputs_match_the_tosa_reference_model(self) -> None:
        numerics_dir = self.intermediates / "numerics"
        calls = json.loads((numerics_dir / "numerics.json").read_text())["delegate_calls"]
        vgfs = sorted(self.intermediates.glob("output_*.tosa.vgf"))
        self.assertEqual(len(calls), 1, "one delegated partition (the whole model) expected")
        self.assertEqual(len(vgfs), 1, f"one VGF file expected in {self.intermediates}")
        call = calls[0]
        feeds = [np.load(numerics_dir / f"call0_input{j}.npy") for j in range(call["inputs"])]
        scenario, output_files = self._scenario(vgfs[0], feeds)
        self._run(scenario)

        self.assertEqual(len(output_files), call["outputs"])
        lines = []
        failed = False
        for index, path in enumerate(output_files):
            actual = np.load(path)
            expected = np.load(numerics_dir / f"call0_output{index}.npy")
            self.assertEqual(actual.dtype, expected.dtype, f"output {index}")
            kind = "int" if np.issubdtype(expected.dtype, np.integer) else "float"
            passed, line = numerics.compare(
                f"output {index} ({expected.dtype}) on lavapipe vs the TOSA reference model",
                actual,
                expected,
                _AGREEMENT[kind],
                0.0,
            )
            failed |= not passed
            lines.append(line)
        print("\n".join(lines))
        self.assertFalse(failed, "\n".join(lines))


if __name__ == "__main__":
    absltest.main()
