"""The compiler's command line: flags to an Options object, checked before anything slow happens.

Reading the flags has no side effects: nothing is written, imported from the
model or changed in the environment; a bad flag is a UsageError (exit status 2).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import sys
from dataclasses import dataclass

from absl import flags

from backend import model_source
from backend.errors import UsageError
from backend.targets import TARGETS
from backend.vela import DEFAULT_VELA_CONFIG, ini_sections, vela_config_argument, vela_config_path

_MODEL = flags.DEFINE_string(
    "model",
    None,
    "A model name from backend/models.py, a Python file defining ModelUnderTest and ModelInputs, "
    "file.py:attr, package.module:attr, or a .pt2 file from torch.export.save (see backend/model_source.py).",
)
_MODEL_NAME = flags.DEFINE_string("model_name", None, "The model's name in the report and messages (default: --model).")
_MODEL_PATH = flags.DEFINE_multi_string(
    "model_path", [], "A directory to import the model's own modules from (before PYTHONPATH); repeatable."
)
_MODEL_INPUTS = flags.DEFINE_string(
    "model_inputs", None, "A torch.save'd tuple of tensors replacing a user model's example inputs."
)
_ALLOW_PICKLED_MODEL = flags.DEFINE_boolean(
    "allow_pickled_model",
    False,
    "Accept a module pickled whole (.pt/.pth from torch.save(model)); unpickling runs arbitrary code.",
)
_TARGET = flags.DEFINE_string("target", None, f"One of: {', '.join(TARGETS)}.")
_QUANTIZE = flags.DEFINE_boolean("quantize", None, "Quantize to int8 (default: yes, except for TOSA-1.0+FP).")
_BUNDLEIO = flags.DEFINE_boolean("bundleio", False, "Write a .bpte bundling the example inputs and reference outputs.")
_OUTPUT = flags.DEFINE_string("output", None, "Path of the .pte (or .bpte with --bundleio).")
_REPORT = flags.DEFINE_string("report", None, "Path of the JSON report.")
_INTERMEDIATES = flags.DEFINE_string(
    "intermediates", None, "Directory for the TOSA flatbuffers, Vela's outputs and numerics data."
)
_SYSTEM_CONFIG = flags.DEFINE_string("system_config", None, "Vela system config (Ethos-U; default per target).")
_MEMORY_MODE = flags.DEFINE_string("memory_mode", None, "Vela memory mode (Ethos-U; default per target).")
_VELA_CONFIG = flags.DEFINE_string(
    "vela_config", None, "A vela.ini to use instead of ExecuTorch's (ethos-u-vela's Arm/vela.ini)."
)
_WEIGHTS = flags.DEFINE_string("weights", None, "A local state_dict file for the model.")
_ACTIVATIONS = flags.DEFINE_enum(
    "activations", "int8", ["int8", "int16"], "Quantized activation type (weights stay int8: int16 is 16A8W)."
)
_CALIBRATION_DATA = flags.DEFINE_string(
    "calibration_data",
    None,
    "A torch.save'd list of input tuples to calibrate the quantization on (default: the example inputs).",
)
_DIRECT_DRIVE = flags.DEFINE_boolean(
    "direct_drive", False, "Ethos-U85 direct drive: Vela's COP2 command format with separate I/O regions."
)
_ETRECORD = flags.DEFINE_string("etrecord", None, "Also write an ETRecord (for the Inspector) to this path.")
_TIMING = flags.DEFINE_string(
    "timing", None, 'Write {"compile_seconds": ...} here (kept out of the report, which is reproducible).'
)


@dataclass(frozen=True)
class Options:
    """One compile, fully resolved (defaults applied, paths checked)."""

    model: str  # --model_name, else --model as given
    source: model_source.ModelSource
    target: str
    quantize: bool
    output: pathlib.Path
    intermediates: pathlib.Path | None = None
    weights: pathlib.Path | None = None
    bundleio: bool = False
    system_config: str | None = None
    memory_mode: str | None = None
    vela_config: str = DEFAULT_VELA_CONFIG  # as passed to Vela
    activations: str = "int8"
    calibration_data: pathlib.Path | None = None
    direct_drive: bool = False
    etrecord: pathlib.Path | None = None
    report: pathlib.Path | None = None
    timing: pathlib.Path | None = None
    # MODEL_CONVERTER_PATH to give ExecuTorch's VGF backend; None: the environment finds it.
    model_converter: str | None = None
    model_inputs: pathlib.Path | None = None
    model_path: tuple[pathlib.Path, ...] = ()


def resolve(path: str) -> pathlib.Path:
    """Paths given to `bazel run` are relative to where the user ran it."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY", "")
    return pathlib.Path(base, path) if base and not os.path.isabs(path) else pathlib.Path(path)


def _optional_path(value: str | None) -> pathlib.Path | None:
    return resolve(value) if value else None


def _model_converter() -> str | None:
    """Where ExecuTorch's VGF backend will find the ML SDK model converter; raises UsageError
    when it will not.

    The ML SDK wheel installs model-converter beside this interpreter; build
    actions run with an empty environment, so no PATH finds it. The lookup is
    that of ExecuTorch's vgf/model_converter.py, without importing ExecuTorch
    (which logs warnings) just to say no.
    """
    beside = pathlib.Path(sys.executable).parent / "model-converter"
    if "MODEL_CONVERTER_PATH" not in os.environ and os.access(beside, os.X_OK):
        return str(beside)
    converter = os.environ.get("MODEL_CONVERTER_PATH", "")
    if os.access(converter, os.X_OK) or any(shutil.which(name) for name in ("model-converter", "model_converter")):
        return None
    raise UsageError(
        "target vgf needs the ML SDK model converter (model-converter on PATH or "
        "MODEL_CONVERTER_PATH), which is not installed here"
    )


def options_from_flags() -> Options:
    """The compile the flags ask for; raises UsageError."""
    model, target_name = _MODEL.value, _TARGET.value
    valid_models, valid_targets = ", ".join(sorted(model_source.builtin_models())), ", ".join(TARGETS)
    if not model:
        raise UsageError(f"--model is required; valid: {valid_models}")
    source = model_source.parse(model, resolve, _ALLOW_PICKLED_MODEL.value)
    if not target_name:
        raise UsageError(f"--target is required; valid: {valid_targets}")
    if target_name not in TARGETS:
        raise UsageError(f"unknown target '{target_name}'; valid: {valid_targets}")
    target = TARGETS[target_name]
    quantize = target.quantize_by_default if _QUANTIZE.value is None else bool(_QUANTIZE.value)
    if quantize and not target.can_quantize:
        raise UsageError(f"target {target_name} is floating point; drop --quantize")
    suffix = ".bpte" if _BUNDLEIO.value else ".pte"
    if not _OUTPUT.value:
        raise UsageError(f"--output is required (a {suffix} file)")
    if not _OUTPUT.value.endswith(suffix):
        raise UsageError(f"--output must end in {suffix}" + (" with --bundleio" if _BUNDLEIO.value else ""))
    weights = _optional_path(_WEIGHTS.value)
    if weights is not None and source.kind in ("exported_program", "pickled_module"):
        raise UsageError("--weights loads a state_dict into a Python model; a .pt2 or pickled module brings its own")
    model_inputs = _optional_path(_MODEL_INPUTS.value)
    if model_inputs is not None and source.builtin:
        raise UsageError("--model_inputs replaces a user model's example inputs; built-in models have their own")
    if model_inputs is not None and not model_inputs.is_file():
        raise UsageError(f"--model_inputs {_MODEL_INPUTS.value} does not exist")
    if weights is not None and not weights.is_file():
        raise UsageError(
            f"weights file {_WEIGHTS.value} not found; nothing is downloaded, "
            "save a state_dict locally and pass its path"
        )
    model_converter = _model_converter() if target.kind == "vgf" else None
    calibration_data = _optional_path(_CALIBRATION_DATA.value)
    if calibration_data is not None and not quantize:
        raise UsageError("--calibration_data calibrates the quantization; it needs a quantized target")
    if calibration_data is not None and not calibration_data.is_file():
        raise UsageError(f"--calibration_data {_CALIBRATION_DATA.value} does not exist")
    if _ACTIVATIONS.value == "int16" and not quantize:
        raise UsageError("--activations=int16 needs a quantized target")
    if _DIRECT_DRIVE.value and not target_name.startswith("ethos-u85"):
        raise UsageError("--direct_drive is an Ethos-U85 feature")
    system_config, memory_mode, vela_config = None, None, DEFAULT_VELA_CONFIG
    if target.kind != "ethos-u":
        if _SYSTEM_CONFIG.value or _MEMORY_MODE.value or _VELA_CONFIG.value:
            raise UsageError("--system_config, --memory_mode and --vela_config apply to Ethos-U targets only")
    else:
        if _VELA_CONFIG.value:
            vela_config = vela_config_argument(str(resolve(_VELA_CONFIG.value)))
            if not pathlib.Path(vela_config).is_file():
                raise UsageError(f"--vela_config {_VELA_CONFIG.value} does not exist")
        system_config = _SYSTEM_CONFIG.value or target.system_config
        memory_mode = _MEMORY_MODE.value or target.memory_mode
        sections = ini_sections(vela_config_path(vela_config))
        for kind, name in (("System_Config", system_config), ("Memory_Mode", memory_mode)):
            if f"{kind}.{name}" not in sections:
                valid = sorted(s.split(".", 1)[1] for s in sections if s.startswith(kind + "."))
                raise UsageError(f"unknown {kind.lower()} '{name}' in {vela_config}; valid: {', '.join(valid)}")
    return Options(
        model=_MODEL_NAME.value or model,
        source=source,
        target=target_name,
        quantize=quantize,
        output=resolve(_OUTPUT.value),
        intermediates=_optional_path(_INTERMEDIATES.value),
        weights=weights,
        bundleio=_BUNDLEIO.value,
        system_config=system_config,
        memory_mode=memory_mode,
        vela_config=vela_config,
        activations=_ACTIVATIONS.value,
        calibration_data=calibration_data,
        direct_drive=_DIRECT_DRIVE.value,
        etrecord=_optional_path(_ETRECORD.value),
        report=_optional_path(_REPORT.value),
        timing=_optional_path(_TIMING.value),
        model_converter=model_converter,
        model_inputs=model_inputs,
        model_path=tuple(resolve(path) for path in _MODEL_PATH.value),
    )
