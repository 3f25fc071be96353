"""The built-in models by name: every file of models/ (models) and models/operators/ (single
operators and small patterns), each setting `MODEL = ModelSpec(...)` (backend/model_spec.py).

This registry serves `bazel run //backend:compile -- --model=NAME` and the
tools that rebuild a built-in model in Python. Build actions do not use it:
arm_compile passes each model's own file (its //models:NAME target), so
editing one model recompiles only that model's programs.
"""

from __future__ import annotations

import importlib
import pkgutil

import models as models_package
import models.operators as operators_package
from backend.model_spec import ModelSpec


class UnknownModelError(ValueError):
    """Raised for a model name that is not in MODELS."""


def _specs(package_name: str, path: list[str]) -> dict[str, ModelSpec]:
    found = {}
    for info in pkgutil.iter_modules(path):
        if not info.ispkg:
            spec = importlib.import_module(f"{package_name}.{info.name}").MODEL
            if not isinstance(spec, ModelSpec):
                raise TypeError(f"{package_name}.{info.name}.MODEL is a {type(spec).__name__}, not a ModelSpec")
            found[info.name] = spec
    return found


MODELS: dict[str, ModelSpec] = _specs("models", list(models_package.__path__)) | _specs(
    "models.operators", list(operators_package.__path__)
)


def spec(name: str) -> ModelSpec:
    """The registry entry; UnknownModelError lists the valid names."""
    if name not in MODELS:
        raise UnknownModelError(f"unknown model '{name}'; valid: {', '.join(sorted(MODELS))}")
    return MODELS[name]
