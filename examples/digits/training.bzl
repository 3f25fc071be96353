"""digits_training: trains DigitsNet as one cached, deterministic build action."""

load("//backend:environment.bzl", "CPU_INDEPENDENT_ENV")

def _digits_training_impl(ctx):
    outputs = {
        kind: ctx.actions.declare_file("%s_%s.pt" % (ctx.label.name, kind))
        for kind in ("weights", "calibration_data", "example_inputs", "test_data")
    }
    args = ctx.actions.args()
    for kind, file in outputs.items():
        args.add("--output_%s=%s" % (kind, file.path))
    args.add("--epochs=%d" % ctx.attr.epochs)
    ctx.actions.run(
        executable = ctx.executable._trainer,
        arguments = [args],
        outputs = outputs.values(),
        mnemonic = "TrainDigits",
        # The compile's environment: PyTorch's float results (so the weights'
        # bytes) do not depend on the CPU or its core count.
        env = CPU_INDEPENDENT_ENV,
        progress_message = "Training %{label} on scikit-learn's digits",
    )
    return [
        DefaultInfo(files = depset(outputs.values())),
        OutputGroupInfo(**{kind: depset([file]) for kind, file in outputs.items()}),
    ]

digits_training = rule(
    implementation = _digits_training_impl,
    doc = """Trains DigitsNet; <name>_{weights,calibration_data,example_inputs,test_data}.pt.

The output groups name each file for filegroups.""",
    attrs = {
        "epochs": attr.int(default = 30, doc = "Passes over the training split."),
        "_trainer": attr.label(default = ":train", executable = True, cfg = "exec"),
    },
)
