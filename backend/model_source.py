"""Where a model comes from, and the example inputs that go with it.

--model is one of:
  - a built-in name (backend/models.py), with its seeded weights and inputs;
  - a Python file defining `ModelUnderTest` (an nn.Module instance) and
    `ModelInputs` (a tuple of tensors): the convention of ExecuTorch's
    aot_arm_compiler, so its model files work unchanged;
  - `file.py:attr` or `package.module:attr` (importable from PYTHONPATH or
    --model_path), where attr is an nn.Module instance, a zero-argument
    callable returning (module, example_inputs), or a ModelSpec
    (backend/model_spec.py: seeded module and inputs, as every built-in
    model's file in models/ sets; calibrated and evaluated out of sample);
  - a .pt2 file written by torch.export.save (its example inputs are used);
  - a module pickled whole with torch.save(model) (.pt/.pth): loading it runs
    arbitrary code, so it is refused unless --allow_pickled_model.
--model_inputs replaces a user model's example inputs with a torch.save'd tuple
of tensors, loaded with weights_only=True.

--weights loads a state_dict into a built-in or Python model (not a .pt2 or a
pickle). parse() only looks at the flag and the file's existence; load() runs
the user's code. Every problem with the user's model or inputs is a UsageError
(one line, exit status 2).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pathlib
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from backend.errors import UsageError
from backend.model_spec import ModelSpec, load_weights

Kind = Literal["builtin", "python_file", "import", "exported_program", "pickled_module"]

_SUFFIX_KINDS: dict[str, Kind] = {
    ".py": "python_file",
    ".pt2": "exported_program",
    ".pt": "pickled_module",
    ".pth": "pickled_module",
}
_IMPORT_REFERENCE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_FILE_ATTRIBUTE = re.compile(r"^(.+\.py):([A-Za-z_]\w*)$")
_FORMS = (
    "a Python file defining ModelUnderTest and ModelInputs, file.py:attr, package.module:attr, "
    "or a .pt2 file from torch.export.save"
)


def builtin_models() -> dict[str, ModelSpec]:
    """The registry of built-in models by name; empty in the build actions' compiler, which
    carries none (arm_compile passes each model's own file, see backend/models.py)."""
    try:
        registry = importlib.import_module("backend.models")
    except ModuleNotFoundError as error:
        if error.name not in ("backend.models", "models"):
            raise
        return {}
    found: dict[str, ModelSpec] = registry.MODELS
    return found


@dataclass(frozen=True)
class ModelSource:
    """--model, classified; path is the model's file for the file forms."""

    kind: Kind
    reference: str  # --model as given
    path: pathlib.Path | None = None
    attribute: str | None = None  # file.py:attribute; None: ModelUnderTest and ModelInputs

    @property
    def builtin(self) -> bool:
        return self.kind == "builtin"


@dataclass
class LoadedModel:
    """The eval-mode module, the inputs to export it with and, for a model from a file or an
    import, where it came from."""

    module: Any  # torch.nn.Module (a GraphModule for a .pt2)
    inputs: tuple[Any, ...]
    provenance: dict[str, str] | None  # the report's model_source; None for a built-in name
    # Seeded samples to calibrate and evaluate on (out of sample); None: the example inputs only.
    spec: ModelSpec | None = None


def parse(reference: str, resolve: Callable[[str], pathlib.Path], allow_pickled: bool) -> ModelSource:
    """Classifies --model; raises UsageError for an unknown name, a missing file or a refused pickle."""
    builtin = builtin_models()
    if reference in builtin:
        return ModelSource("builtin", reference)
    file_attribute = _FILE_ATTRIBUTE.match(reference)
    file_name, attribute = file_attribute.groups() if file_attribute else (reference, None)
    kind = _SUFFIX_KINDS.get(pathlib.PurePath(file_name).suffix)
    if kind is None:
        if _IMPORT_REFERENCE.match(reference):
            return ModelSource("import", reference)
        names = f"valid: {', '.join(sorted(builtin))}; or " if builtin else "a built-in model's name, or "
        raise UsageError(f"unknown model '{reference}'; {names}{_FORMS}")
    path = resolve(file_name)
    if not path.is_file():
        raise UsageError(f"model file {file_name} not found")
    if kind == "pickled_module" and not allow_pickled:
        raise UsageError(
            f"{reference} would be unpickled, which runs arbitrary code; pass {_FORMS} "
            "instead (or --allow_pickled_model if you trust the file)"
        )
    return ModelSource(kind, reference, path, attribute)


def load(
    source: ModelSource,
    weights: pathlib.Path | None,
    model_inputs: pathlib.Path | None,
    model_path: Sequence[pathlib.Path] = (),
) -> LoadedModel:
    """The module and its example inputs (replaced by --model_inputs), checked to run together.

    model_path goes before sys.path, for the imports of the model's own
    modules (a persistent worker puts sys.path and sys.modules back after
    each compile).
    """
    if source.builtin:
        builtin = builtin_models()[source.reference]
        module = builtin.build()
        return LoadedModel(
            module if weights is None else load_weights(module, weights), builtin.example_inputs(), None, builtin
        )
    import torch

    sys.path[:0] = [str(path) for path in model_path]
    found: tuple[Any, Any, ModelSpec | None]
    origin = source.path
    if source.kind == "import":
        found, origin = _from_import(source.reference)
    elif origin is None:
        raise ValueError(f"{source.kind} model without a file: {source}")
    elif source.kind == "python_file":
        found = _from_python_file(source, origin)
    elif source.kind == "exported_program":
        found = _from_exported_program(source, origin)
    else:
        found = _from_pickle(source, origin)
    module, inputs, spec = found
    if weights is not None:
        try:
            module = load_weights(module, weights)
        except Exception as error:
            raise UsageError(f"--weights {weights} do not fit {source.reference}: {one_line(error)}") from error
    what = f"the example inputs of {source.reference}"
    if model_inputs is not None:
        inputs, what = _load_inputs(model_inputs), f"--model_inputs {model_inputs}"
    if inputs is None:
        raise UsageError(
            f"{source.reference} comes without example inputs; pass --model_inputs=FILE.pt "
            "(a torch.save'd tuple of tensors)"
        )
    if not isinstance(inputs, tuple) or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise UsageError(f"{what} must be a tuple of tensors, not {_describe(inputs)}")
    if source.kind != "exported_program":  # a .pt2's module is already in inference form
        module.eval()
    try:
        with torch.no_grad():
            module(*inputs)
    except Exception as error:
        raise UsageError(f"the model's forward fails on {what}: {one_line(error)}") from error
    provenance = {"kind": source.kind, "reference": source.reference}
    if origin is not None:
        provenance |= {"file": str(origin), "sha256": hashlib.sha256(origin.read_bytes()).hexdigest()}
    return LoadedModel(module, inputs, provenance, spec)


def one_line(error: BaseException) -> str:
    """'Type: first line of the message'."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _describe(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {', '.join(type(v).__name__ for v in value) or 'nothing'}"
    return f"a {type(value).__name__}"


def _check_module(value: Any, where: str) -> Any:
    import torch

    if isinstance(value, torch.nn.Module):
        return value
    if isinstance(value, type) and issubclass(value, torch.nn.Module):
        raise UsageError(f"{where} is the class {value.__name__}; give an instance, e.g. {value.__name__}()")
    raise UsageError(f"{where} is a {type(value).__name__}, not a torch.nn.Module")


def _from_python_file(source: ModelSource, path: pathlib.Path) -> tuple[Any, Any, ModelSpec | None]:
    """Runs the file as a module, as aot_arm_compiler does, and takes ModelUnderTest and ModelInputs,
    or the attribute named after the file."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    # A name per file content: the persistent worker loads many files in one process.
    name = f"_model_under_test_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{source.reference} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and torch.export look the module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        raise UsageError(f"{source.reference}:{error.lineno}: syntax error: {error.msg}") from error
    except Exception as error:
        sys.modules.pop(name, None)
        raise UsageError(f"running {source.reference} failed: {one_line(error)}") from error
    if source.attribute is not None:
        if not hasattr(module, source.attribute):
            raise UsageError(f"{path} has no attribute {source.attribute}")
        return _entry(getattr(module, source.attribute), source.reference)
    missing = [attr for attr in ("ModelUnderTest", "ModelInputs") if not hasattr(module, attr)]
    if missing:
        raise UsageError(
            f"{source.reference} defines no {' and no '.join(missing)}; a model file sets "
            "ModelUnderTest (an nn.Module instance) and ModelInputs (a tuple of tensors)"
        )
    return _check_module(module.ModelUnderTest, f"ModelUnderTest in {source.reference}"), module.ModelInputs, None


def _from_import(reference: str) -> tuple[tuple[Any, Any, ModelSpec | None], pathlib.Path | None]:
    """package.module:attr: see _entry."""
    module_name, attr = reference.split(":")
    try:
        imported = importlib.import_module(module_name)
    except SyntaxError as error:
        raise UsageError(f"{error.filename}:{error.lineno}: syntax error: {error.msg}") from error
    except Exception as error:
        raise UsageError(f"cannot import {module_name} (from --model {reference}): {one_line(error)}") from error
    file = getattr(imported, "__file__", None)
    origin = pathlib.Path(file) if isinstance(file, str) else None
    if not hasattr(imported, attr):
        raise UsageError(f"module {module_name} has no attribute {attr}")
    return _entry(getattr(imported, attr), reference), origin


def _entry(value: Any, reference: str) -> tuple[Any, Any, ModelSpec | None]:
    """(module, example inputs or None, spec) of an nn.Module instance, a ModelSpec, or a
    zero-argument callable returning (module, example_inputs)."""
    import torch

    if isinstance(value, ModelSpec):
        return value.build(), value.example_inputs(), value
    if isinstance(value, torch.nn.Module):
        return value, None, None
    if not callable(value):
        raise UsageError(
            f"{reference} is a {type(value).__name__}; expected an nn.Module, a ModelSpec or a zero-argument "
            "callable returning (module, example_inputs)"
        )
    try:
        result = value()
    except Exception as error:
        raise UsageError(f"calling {reference}() failed: {one_line(error)}") from error
    if not isinstance(result, tuple) or len(result) != 2:
        raise UsageError(f"{reference}() returned {_describe(result)}, not (module, example_inputs)")
    return _check_module(result[0], f"the module {reference}() returned"), result[1], None


def _from_exported_program(source: ModelSource, path: pathlib.Path) -> tuple[Any, Any, None]:
    """A torch.export.save archive: its program's module and example inputs."""
    import torch

    try:
        program = torch.export.load(path)
    except Exception as error:
        raise UsageError(f"{source.reference} is not a torch.export.save archive: {one_line(error)}") from error
    example = program.example_inputs
    if example is None:
        return program.module(), None, None
    args, kwargs = example
    if kwargs:
        raise UsageError(f"{source.reference}: keyword example inputs ({', '.join(kwargs)}) are not supported")
    return program.module(), args, None


def _from_pickle(source: ModelSource, path: pathlib.Path) -> tuple[Any, Any, None]:
    """A module pickled whole (--allow_pickled_model): it carries no example inputs."""
    import torch

    try:
        # Unsafe by nature; parse() refused it unless --allow_pickled_model.
        value = torch.load(path, map_location="cpu", weights_only=False)  # nosec B614
    except Exception as error:
        raise UsageError(f"cannot unpickle {source.reference}: {one_line(error)}") from error
    return _check_module(value, f"the object in {source.reference}"), None, None


def _load_inputs(path: pathlib.Path) -> Any:
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise UsageError(f"--model_inputs {path} cannot be loaded safely: {one_line(error)}") from error
