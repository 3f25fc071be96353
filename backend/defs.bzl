"""Rules that run the ahead-of-time compiler (//backend:compile) as build actions."""

ArmProgramInfo = provider(
    doc = "A program compiled for an Arm target, with its report and TOSA intermediates.",
    fields = {
        "model": "Model name in backend/models.py.",
        "target": "Compile target, e.g. ethos-u55-128.",
        "program": "File: the .pte (or .bpte with bundled I/O).",
        "report": "File: report.json (delegation, Vela estimates, versions).",
        "intermediates": "Directory: TOSA flatbuffers handed to Vela and friends.",
    },
)

def _arm_compile_impl(ctx):
    extension = ".bpte" if ctx.attr.bundleio else ".pte"
    program = ctx.actions.declare_file(ctx.label.name + extension)
    report = ctx.actions.declare_file(ctx.label.name + ".report.json")
    intermediates = ctx.actions.declare_directory(ctx.label.name + ".intermediates")

    args = ctx.actions.args()
    args.add("--model", ctx.attr.model)
    args.add("--target", ctx.attr.target)
    args.add("--quantize" if ctx.attr.quantize else "--noquantize")
    args.add("--bundleio" if ctx.attr.bundleio else "--nobundleio")
    args.add("--output", program)
    args.add("--report", report)
    args.add("--intermediates", intermediates.path)
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

    ctx.actions.run(
        executable = ctx.executable._compiler,
        arguments = [args],
        inputs = inputs,
        outputs = [program, report, intermediates],
        mnemonic = "ArmCompile",
        progress_message = "Compiling %s for %s (%%{label})" % (ctx.attr.model, ctx.attr.target),
    )
    return [
        DefaultInfo(files = depset([program, report])),
        OutputGroupInfo(
            program = depset([program]),
            report = depset([report]),
            intermediates = depset([intermediates]),
        ),
        ArmProgramInfo(
            model = ctx.attr.model,
            target = ctx.attr.target,
            program = program,
            report = report,
            intermediates = intermediates,
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
        "weights": attr.label(
            allow_files = True,
            doc = "A local state_dict for the model (none: seeded weights), e.g. a label_flag.",
        ),
        "_compiler": attr.label(
            default = "//backend:compile",
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
    """arm_compile with a filegroup per output: `<name>_{program,report,intermediates}`.

    The filegroups name each output for $(rootpath) and data attributes.

    Args:
      name: name of the arm_compile target.
      **kwargs: arm_compile's attributes.
    """
    arm_compile(name = name, **kwargs)
    for group in ["program", "report", "intermediates"]:
        native.filegroup(
            name = "%s_%s" % (name, group),
            srcs = [":" + name],
            output_group = group,
            tags = kwargs.get("tags", []),
            visibility = kwargs.get("visibility"),
        )
