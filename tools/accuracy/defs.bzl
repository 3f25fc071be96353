"""arm_accuracy: a compiled program's accuracy on a labelled dataset, per executor, as a cached
action; arm_accuracy_test: its top-1 within a bound of float PyTorch's."""

load("@rules_python//python:defs.bzl", "py_test")
load("//backend:defs.bzl", "ArmModelInfo", "ArmProgramInfo")
load("//backend:environment.bzl", "CPU_INDEPENDENT_ENV")

# Targets whose whole program the host executor_runner runs (tools/accuracy/accuracy.py).
_HOST_RUNNABLE_PREFIXES = ("cpu", "ethos-u55", "ethos-u85")

def _arm_accuracy_impl(ctx):
    program = ctx.attr.program[ArmProgramInfo]
    model = ctx.attr.model[ArmModelInfo]
    json_out = ctx.actions.declare_file(ctx.label.name + ".json")
    text_out = ctx.actions.declare_file(ctx.label.name + ".txt")
    args = ctx.actions.args()

    # The compile's flags (arm_compile's), so the tool lowers the same program again.
    args.add("--model", model.reference)
    args.add("--model_name", model.name)
    args.add_all(model.model_path, before_each = "--model_path")
    args.add("--target", program.target)
    args.add("--output", program.program)
    inputs = [program.program, ctx.file.dataset]
    if model.weights:
        args.add("--weights", model.weights)
        inputs.append(model.weights)
    if model.inputs:
        args.add("--model_inputs", model.inputs)
        inputs.append(model.inputs)
    if ctx.file.calibration_data:
        args.add("--calibration_data", ctx.file.calibration_data)
        inputs.append(ctx.file.calibration_data)
    args.add("--dataset", ctx.file.dataset)
    args.add("--json", json_out)
    args.add("--text", text_out)
    tools = []
    if program.target.startswith(_HOST_RUNNABLE_PREFIXES):
        args.add("--runner", ctx.executable._runner)
        tools.append(ctx.attr._runner[DefaultInfo].files_to_run)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = depset(inputs, transitive = [model.files]),
        outputs = [json_out, text_out],
        tools = tools,
        mnemonic = "ArmAccuracy",
        env = CPU_INDEPENDENT_ENV,
        progress_message = "Evaluating %s for %s on %s (%%{label})" % (
            model.name,
            program.target,
            ctx.file.dataset.short_path,
        ),
    )
    return [
        DefaultInfo(files = depset([text_out, json_out])),
        OutputGroupInfo(json = depset([json_out]), text = depset([text_out])),
    ]

arm_accuracy = rule(
    implementation = _arm_accuracy_impl,
    doc = """<name>.txt and <name>.json: top-1 and top-5 accuracy of a compiled program on a dataset.

Executors: float PyTorch, quantized PyTorch, the lowered program with its
delegated parts on the TOSA reference model and, for CPU and Ethos-U55
programs, //runtime:executor_runner on the host. `model` and
`calibration_data` must be those the program was compiled with: the tool
lowers the model again and checks that it gives the same program.""",
    attrs = {
        "model": attr.label(mandatory = True, providers = [ArmModelInfo], doc = "The arm_model compiled."),
        "program": attr.label(mandatory = True, providers = [ArmProgramInfo], doc = "Its arm_compile target."),
        "calibration_data": attr.label(allow_single_file = [".pt"], doc = "The compile's calibration_data."),
        "dataset": attr.label(
            mandatory = True,
            allow_single_file = [".pt"],
            doc = "A torch.save'd (list of input tuples, int64 labels tensor).",
        ),
        "_tool": attr.label(default = "//tools/accuracy", executable = True, cfg = "exec"),
        "_runner": attr.label(default = "//runtime:executor_runner", executable = True, cfg = "exec"),
    },
)

def arm_accuracy_test(name, accuracy, max_top1_drop_points = 1.0, executors = [], **kwargs):
    """A test that every executor of an arm_accuracy table keeps top-1 within a bound of float's.

    Args:
      name: the test's name; also declares <name>_json, the table's JSON.
      accuracy: an arm_accuracy target.
      max_top1_drop_points: largest top-1 loss against float PyTorch, in percentage points.
      executors: prefixes of executor names that must be in the table.
      **kwargs: passed to py_test.
    """
    native.filegroup(name = name + "_json", srcs = [accuracy], output_group = "json")
    py_test(
        name = name,
        srcs = [Label("//tools/accuracy:check_accuracy.py")],
        main = Label("//tools/accuracy:check_accuracy.py"),
        args = [
            "--accuracy=$(rootpath :%s_json)" % name,
            "--max_top1_drop_points=%s" % max_top1_drop_points,
        ] + ["--executor=" + executor for executor in executors],
        data = [":%s_json" % name],
        size = "small",
        **kwargs
    )
