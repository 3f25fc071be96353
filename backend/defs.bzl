"""Rules that run the ahead-of-time compiler (//backend:compile) as build actions."""

load(":environment.bzl", "CPU_INDEPENDENT_ENV")

ArmProgramInfo = provider(
    doc = "A program compiled for an Arm target, with its report and TOSA intermediates.",
    fields = {
        "model": "Model name in backend/models.py.",
        "target": "Compile target, e.g. ethos-u55-128.",
        "program": "File: the .pte (or .bpte with bundled I/O).",
        "report": "File: report.json (delegation, Vela estimates, versions).",
        "intermediates": "Directory: TOSA flatbuffers handed to Vela and friends, numerics/.",
        "timing": "File: {\"compile_seconds\": ...} (not reproducible, so not in the report).",
        "etrecord": "File: the ETRecord, or None.",
    },
)

def _arm_compile_impl(ctx):
    extension = ".bpte" if ctx.attr.bundleio else ".pte"
    program = ctx.actions.declare_file(ctx.label.name + extension)
    report = ctx.actions.declare_file(ctx.label.name + ".report.json")
    intermediates = ctx.actions.declare_directory(ctx.label.name + ".intermediates")
    timing = ctx.actions.declare_file(ctx.label.name + ".timing.json")
    outputs = [program, report, intermediates, timing]
    etrecord = None
    if ctx.attr.etrecord:
        etrecord = ctx.actions.declare_file(ctx.label.name + ".etrecord")
        outputs.append(etrecord)

    args = ctx.actions.args()
    args.add("--model", ctx.attr.model)
    args.add("--target", ctx.attr.target)
    args.add("--quantize" if ctx.attr.quantize else "--noquantize")
    args.add("--bundleio" if ctx.attr.bundleio else "--nobundleio")
    args.add("--output", program)
    args.add("--report", report)
    args.add("--intermediates", intermediates.path)
    args.add("--timing", timing)
    if ctx.attr.activations:
        args.add("--activations", ctx.attr.activations)
    if ctx.attr.direct_drive:
        args.add("--direct_drive")
    if etrecord:
        args.add("--etrecord", etrecord)
    if ctx.attr.system_config:
        args.add("--system_config", ctx.attr.system_config)
    if ctx.attr.memory_mode:
        args.add("--memory_mode", ctx.attr.memory_mode)
    inputs = [ctx.file._lock_digest]
    if ctx.file.vela_config:
        args.add("--vela_config", ctx.file.vela_config)
        inputs.append(ctx.file.vela_config)
    if len(ctx.files.weights) > 1:
        fail("%s: weights must be one state_dict file, got %s" % (ctx.label, ctx.files.weights))
    if ctx.files.weights:
        args.add("--weights", ctx.files.weights[0])
        inputs.append(ctx.files.weights[0])
    if ctx.file.calibration_data:
        args.add("--calibration_data", ctx.file.calibration_data)
        inputs.append(ctx.file.calibration_data)

    # Arguments go through a params file, which is what lets Bazel run the
    # action in a persistent worker (backend/worker.py): the worker starts
    # once with --persistent_worker and each action's params become one
    # WorkRequest. Worker mode is the default; `--config=no_worker` (.bazelrc)
    # runs one process per action.
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    ctx.actions.run(
        executable = ctx.executable._compiler,
        arguments = [args],
        inputs = inputs,
        outputs = outputs,
        mnemonic = "ArmCompile",
        env = CPU_INDEPENDENT_ENV,
        progress_message = "Compiling %s for %s (%%{label})" % (ctx.attr.model, ctx.attr.target),
        execution_requirements = {
            "requires-worker-protocol": "json",
            "supports-workers": "1",
        },
    )
    return [
        DefaultInfo(files = depset([program, report])),
        OutputGroupInfo(
            program = depset([program]),
            report = depset([report]),
            intermediates = depset([intermediates]),
            timing = depset([timing]),
            etrecord = depset([etrecord] if etrecord else []),
        ),
        ArmProgramInfo(
            model = ctx.attr.model,
            target = ctx.attr.target,
            program = program,
            report = report,
            intermediates = intermediates,
            timing = timing,
            etrecord = etrecord,
        ),
    ]

arm_compile = rule(
    implementation = _arm_compile_impl,
    doc = "Compiles a model from backend/models.py for an Arm target with ExecuTorch.",
    attrs = {
        "model": attr.string(mandatory = True, doc = "Model name in backend/models.py."),
        "target": attr.string(mandatory = True, doc = "ethos-u55-*, ethos-u85-*, TOSA-1.0+INT/FP or vgf."),
        "quantize": attr.bool(default = True),
        "bundleio": attr.bool(default = False, doc = "Write a .bpte with reference inputs and outputs."),
        "system_config": attr.string(doc = "Vela system config; empty for the target's default."),
        "memory_mode": attr.string(doc = "Vela memory mode; empty for the target's default."),
        "vela_config": attr.label(allow_single_file = [".ini"], doc = "A vela.ini replacing ExecuTorch's."),
        "direct_drive": attr.bool(doc = "Ethos-U85 direct drive (Vela COP2, separate I/O regions)."),
        "activations": attr.string(
            values = ["", "int8", "int16"],
            doc = "Quantized activation type; int16 is 16A8W. Empty: int8.",
        ),
        "calibration_data": attr.label(
            allow_single_file = [".pt"],
            doc = "A torch.save'd list of input tuples to calibrate on (default: the example inputs).",
        ),
        "etrecord": attr.bool(doc = "Also write <name>.etrecord for ExecuTorch's Inspector."),
        "weights": attr.label(
            allow_files = True,
            doc = "A local state_dict for the model (none: seeded weights), e.g. a label_flag.",
        ),
        "_compiler": attr.label(
            default = "//backend:compile_worker",
            executable = True,
            cfg = "exec",
        ),
        "_lock_digest": attr.label(
            default = "@python_venv//:lock_digest.txt",
            allow_single_file = True,
        ),
    },
)

def arm_program(name, **kwargs):
    """arm_compile with a filegroup per output: `<name>_{program,report,intermediates,timing,etrecord}`.

    The filegroups name each output for $(rootpath) and data attributes.

    Args:
      name: name of the arm_compile target.
      **kwargs: arm_compile's attributes.
    """
    arm_compile(name = name, **kwargs)
    for group in ["program", "report", "intermediates", "timing", "etrecord"]:
        native.filegroup(
            name = "%s_%s" % (name, group),
            srcs = [":" + name],
            output_group = group,
            tags = kwargs.get("tags", []),
            visibility = kwargs.get("visibility"),
        )
