"""The coverage table: which operators and models every target suite compiles and checks.

One declaration per suite and one list of items; tests/BUILD.bazel expands
them into arm_model_test targets (compile, numerics, placement and budgets).
Where each operator runs (CPU fallback) and the Vela budgets per item come
from tests/coverage_expectations.bzl, recorded from measured compiles by
`bazel run //tools/coverage:record_expectations`.
"""

# suite: (compile target, quantize)
COVERAGE_SUITES = {
    # Corstone-300.
    "u55": ("ethos-u55-128", True),
    # Corstone-320 and Corstone-1000.
    "u85": ("ethos-u85-256", True),
    "tosa_int": ("TOSA-1.0+INT", True),
    "tosa_fp": ("TOSA-1.0+FP", False),
    "vgf": ("vgf", True),
}

# Single operators and patterns (backend/operators.py).
OPERATORS = [
    "add",
    "sub",
    "mul",
    "div",
    "maximum",
    "minimum",
    "abs",
    "neg",
    "exp",
    "log",
    "rsqrt",
    "square",
    "clamp",
    "gt",
    "lt",
    "ge",
    "eq",
    "where",
    "conv1d",
    "conv2d",
    "conv2d_relu",
    "depthwise_conv2d",
    "conv_transpose2d",
    "linear",
    "bmm",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "upsample_nearest2d",
    "softmax",
    "log_softmax",
    "layer_norm",
    "batch_norm2d",
    "mean",
    "sum",
    "cat",
    "split",
    "slice",
    "permute",
    "view",
    "relu",
    "leaky_relu",
    "hardswish",
    "sigmoid",
    "tanh",
    "gelu",
    "silu",
    "sdpa",
]

# Whole models (backend/models.py).
MODELS = [
    "conv_net",
    "ds_cnn",
    "resnet8",
    "lstm",
    "transformer_block",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "resnet18",
    "vit_tiny",
]

# int16 activations (16A8W) on the targets that run them, for a few operators
# whose int8 error matters most.
INT16_OPERATORS = [
    "conv2d",
    "linear",
    "softmax",
    "sigmoid",
    "layer_norm",
]

INT16_SUITES = [
    "u55",
    "u85",
    "tosa_int",
]

# Entries whose numerics need other bounds than backend/numerics.py derives,
# each with the reason (the property of the operator or model that the
# derivation leaves out), never a measured number alone. entry: numerics flags.
NUMERICS_EXCEPTIONS = {
    # TOSA's int16 LayerNorm takes 1/sqrt(variance) from an interpolated
    # 16-bit table, whose error is relative to the value: normalized outputs
    # far from zero land a few int16 steps off the quantized model's float
    # rsqrt, on many elements. 8 int16 steps are 1/32 of an int8 step, still
    # 64 times tighter than the int8 bound.
    "layer_norm_int16": {
        "lowering_beyond_one_step_fraction": 0.25,
        "lowering_max_steps": 8,
    },
}

def numerics_args(entry):
    """The numerics check's flags for a coverage entry's declared exception.

    Args:
      entry: the entry without its suite, e.g. "resnet18" or "conv2d_int16".

    Returns:
      The flags declared in NUMERICS_EXCEPTIONS, e.g. ["--lowering_max_steps=3"].
    """
    return ["--%s=%s" % (flag, value) for flag, value in sorted(NUMERICS_EXCEPTIONS.get(entry, {}).items())]

def coverage_items():
    """Every coverage entry as (suite, test name prefix, model, activations).

    Returns:
      A list of tuples, suite by suite: operators, then models, then the
      int16 variants where the suite runs them.
    """
    items = []
    for suite in COVERAGE_SUITES:
        for model in OPERATORS + MODELS:
            items.append((suite, "%s_%s" % (suite, model), model, ""))
        if suite in INT16_SUITES:
            for operator in INT16_OPERATORS:
                items.append((suite, "%s_%s_int16" % (suite, operator), operator, "int16"))
    return items
