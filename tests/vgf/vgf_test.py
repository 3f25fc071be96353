"""A VGF program from our compiler, run on lavapipe through Arm's ML emulation layer, against PyTorch.

The delegated partition's VGF file (ExecuTorch's own dump in the compile's
intermediates, `output_<tag>.tosa.vgf`) runs in the ML SDK scenario runner:
`vgf_dump --scenario-template` gives the scenario, whose tensors are filled
with the program's inputs as its CPU part would hand them to the delegate
(quantized with the parameters of the program's own quantize ops, recorded in
`delegate_io.json`). The runner's Vulkan is the pinned loader and lavapipe
(@lavapipe//:run_with_lavapipe); VK_ARM_tensors and VK_ARM_data_graph come
from the emulation layer of the ai-ml-emulation-layer-for-vulkan wheel. The
outputs, dequantized as the program would, are compared with PyTorch eager
and, for quantized programs, with the quantized PyTorch model, with the
tolerances of backend/numerics.py.

Usage (see BUILD.bazel):
  vgf_test --model=add --intermediates=DIR --run_with_lavapipe=WRAPPER
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
import torch
from absl import flags
from absl.testing import absltest

from backend import models, numerics

_RUN_WITH_LAVAPIPE = flags.DEFINE_string(
    "run_with_lavapipe", None, "Wrapper that runs a command on the pinned Vulkan loader and lavapipe."
)
# --model and --intermediates are numerics' own flags (defined when it is imported).
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


def _to_memory_order(array: Array, dim_order: list[int] | None) -> Array:
    if dim_order is None or dim_order == list(range(array.ndim)):
        return array
    return np.ascontiguousarray(np.transpose(array, dim_order))


def _from_memory_order(array: Array, dim_order: list[int] | None) -> Array:
    if dim_order is None or dim_order == list(range(array.ndim)):
        return array
    return np.transpose(array, np.argsort(dim_order))


class VgfOnLavapipeTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.intermediates = pathlib.Path(str(FLAGS["intermediates"].value))
        self.model = str(FLAGS["model"].value)
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

    def _scenario(self, vgf: pathlib.Path, io: dict[str, Any], feeds: list[Array]) -> tuple[pathlib.Path, list[str]]:
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
                entry = io["inputs"][index]
                feed = feeds[index]
                array = numerics.quantize(feed, entry["quantize"]) if entry["quantize"] else feed.astype(np.float32)
                array = _to_memory_order(array, entry["dim_order"])
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

    def test_outputs_match_pytorch(self) -> None:
        partitions = json.loads((self.intermediates / "delegate_io.json").read_text())
        vgfs = sorted(self.intermediates.glob("output_*.tosa.vgf"))
        self.assertEqual(len(partitions), 1, "one delegated partition (the whole model) expected")
        self.assertEqual(len(vgfs), 1, f"one VGF file expected in {self.intermediates}")
        io = partitions[0]
        self.assertTrue(all(entry["user_input"] is not None for entry in io["inputs"]), io)
        self.assertTrue(all(entry["program_output"] is not None for entry in io["outputs"]), io)

        module, example_inputs = models.load_model(self.model)
        inputs = [t.numpy() for t in example_inputs]
        feeds = [inputs[entry["user_input"]] for entry in io["inputs"]]
        scenario, output_files = self._scenario(vgfs[0], io, feeds)
        self._run(scenario)

        with torch.no_grad():
            result = module(*example_inputs)
        eager = [t.numpy() for t in (result if isinstance(result, (tuple, list)) else [result])]
        quantized_path = self.intermediates / "reference_outputs.pt"
        quantized = [t.numpy() for t in torch.load(quantized_path, weights_only=True)]
        self.assertEqual(len(output_files), len(io["outputs"]))
        lines = []
        failed = False
        for path, entry in zip(output_files, io["outputs"], strict=True):
            raw = np.load(path)
            q = entry["dequantize"]
            actual = _from_memory_order(
                numerics.dequantize(raw, q) if q else raw.astype(np.float32), entry["dim_order"]
            )
            index = entry["program_output"]
            dtype, scale = (q["dtype"], float(q["scale"])) if q else ("float32", 0.0)
            references = [("eager", eager[index])] + ([("quantized", quantized[index])] if q else [])
            for reference, expected in references:
                passed, line = numerics.compare(
                    f"output {index} ({dtype}) on lavapipe vs {reference} PyTorch",
                    actual,
                    expected,
                    numerics.TOLERANCES[(dtype, reference)],
                    scale,
                )
                failed |= not passed
                lines.append(line)
        print("\n".join(lines))
        self.assertFalse(failed, "\n".join(lines))


if __name__ == "__main__":
    absltest.main()
