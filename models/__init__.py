"""The built-in models, one file each: `MODEL = ModelSpec(...)` (backend/model_spec.py)."""
