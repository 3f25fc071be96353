"""Rules that run the ahead-of-time compiler (//backend:compile) as build actions.

arm_model declares a model (a built-in one in //models, or a user's in their
own BUILD file); arm_compile compiles one for a target. A compile action's
inputs are the compiler and the model's own files only, so editing one model
re-executes only that model's compiles.
"""

load("@rules_python//python:defs.bzl", "PyInfo", "py_binary", "py_test")
load(":environment.bzl", "CPU_INDEPENDENT_ENV")

ArmModelInfo = provider(
    doc = "A model for arm_compile: its file, what to take from it, and the files it imports.",
    fields = {
        "name": "The model's name in reports and messages.",
        "reference": "--model: the file's exec path, with ':entry' when an entry is named.",
        "files": "depset of Files: the model's source and the sources of its deps.",
        "model_path": "list of directories (exec paths) the model's own imports resolve from.",
        "weights": "File: a state_dict to load into the model, or None.",
        "inputs": "File: a torch.save'd tuple of tensors replacing the example inputs, or None.",
    },
)

def _import_roots(ctx, files):
    """Exec-path directories that make each file importable by its path in its repository."""
    roots = {}
    for file in files:
        root = "/".join([part for part in [file.root.path, file.owner.workspace_root] if part])
        roots[root or "."] = None
    for dep in ctx.attr.deps:
        for entry in dep[PyInfo].imports.to_list():
            repository, _, directory = entry.partition("/")
            base = "" if repository == ctx.workspace_name else "external/" + repository
            roots["/".join([part for part in [base, directory] if part]) or "."] = None
    return roots.keys()

def _arm_model_impl(ctx):
    files = depset([ctx.file.src], transitive = [dep[PyInfo].transitive_sources for dep in ctx.attr.deps])
    reference = ctx.file.src.path + (":" + ctx.attr.entry if ctx.attr.entry else "")
    return [
        DefaultInfo(files = depset([ctx.file.src])),
        ArmModelInfo(
            name = ctx.label.name,
            reference = reference,
            files = files,
            model_path = _import_roots(ctx, files.to_list()),
            weights = ctx.file.weights,
            inputs = ctx.file.inputs,
        ),
    ]

arm_model = rule(
    implementation = _arm_model_impl,
    doc = """A PyTorch model for arm_compile and arm_model_test: a Python file and what to take from it.

Without `entry`, the file defines ModelUnderTest (an nn.Module instance) and
ModelInputs (a tuple of tensors), as ExecuTorch's aot_arm_compiler expects.
With it, `entry` names an nn.Module instance, a zero-argument callable
returning (module, example_inputs), or a ModelSpec (backend/model_spec.py).
""",
    attrs = {
        "src": attr.label(mandatory = True, allow_single_file = [".py"], doc = "The model's Python file."),
        "deps": attr.label_list(providers = [PyInfo], doc = "py_library targets the file imports."),
        "entry": attr.string(doc = "The attribute of src to compile; empty: ModelUnderTest and ModelInputs."),
        "weights": attr.label(allow_single_file = True, doc = "A state_dict file to load into the model."),
        "inputs": attr.label(
            allow_single_file = [".pt"],
            doc = "A torch.save'd tuple of tensors replacing the example inputs.",
        ),
    },
)

ArmProgramInfo = provider(
    doc = "A program compiled for an Arm target, with its report and TOSA intermediates.",
    fields = {
        "model": "The model's name (a built-in one, or the arm_model target's).",
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

    model = ctx.attr.model[ArmModelInfo]
    args = ctx.actions.args()
    args.add("--model", model.reference)
    args.add("--model_name", model.name)
    args.add_all(model.model_path, before_each = "--model_path")
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
    if model.inputs:
        args.add("--model_inputs", model.inputs)
        inputs.append(model.inputs)
    if ctx.file.vela_config:
        args.add("--vela_config", ctx.file.vela_config)
        inputs.append(ctx.file.vela_config)
    if len(ctx.files.weights) > 1:
        fail("%s: weights must be one state_dict file, got %s" % (ctx.label, ctx.files.weights))
    if ctx.files.weights and model.weights:
        fail("%s: weights given both here and by the model %s" % (ctx.label, ctx.attr.model.label))
    weights = ctx.files.weights[0] if ctx.files.weights else model.weights
    if weights:
        args.add("--weights", weights)
        inputs.append(weights)
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
        inputs = depset(inputs, transitive = [model.files]),
        outputs = outputs,
        mnemonic = "ArmCompile",
        env = CPU_INDEPENDENT_ENV,
        progress_message = "Compiling %s for %s (%%{label})" % (model.name, ctx.attr.target),
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
            model = model.name,
            target = ctx.attr.target,
            program = program,
            report = report,
            intermediates = intermediates,
            timing = timing,
            etrecord = etrecord,
        ),
    ]

_arm_compile = rule(
    implementation = _arm_compile_impl,
    doc = "Compiles an arm_model for an Arm target with ExecuTorch.",
    attrs = {
        "model": attr.label(mandatory = True, providers = [ArmModelInfo], doc = "An arm_model target."),
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

def model_label(model):
    """The arm_model target of a built-in model's name (e.g. "resnet8"); a label as it is.

    Args:
      model: a built-in model's name (a file of models/ or models/operators/) or an arm_model label.

    Returns:
      A label of an arm_model target.
    """
    if type(model) == "Label" or ":" in model or "/" in model:
        return model
    return Label("//models:" + model)

def arm_compile(name, model, **kwargs):
    """Compiles a model for an Arm target with ExecuTorch.

    Declares <name>.pte (or .bpte), <name>.report.json, <name>.intermediates
    and <name>.timing.json (and <name>.etrecord).

    Args:
      name: the target's name.
      model: a built-in model's name (e.g. "resnet8", "add") or an arm_model label (":my_model").
      **kwargs: target, quantize, bundleio, system_config, memory_mode, vela_config, direct_drive,
        activations, calibration_data, etrecord, weights and the common attributes.
    """
    _arm_compile(name = name, model = model_label(model), **kwargs)

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

def arm_model_test(
        name,
        model,
        target,
        expectations = {},
        npu_cycles = None,
        sram_bytes = None,
        flash_bytes = None,
        cpu_operators = None,
        numerics_args = [],
        recorder = None,
        **kwargs):
    """Declares <name>_program, <name>_numerics and <name>_budget.

    The numerics test compares the lowered program (its NPU part ran on the
    TOSA reference model in the compile) with PyTorch. The budget test checks
    which operators stay on the CPU (cpu_operators) and, for Ethos-U targets,
    Vela's estimates against the recorded ones, within 2% either way; with
    neither declared there is no budget test. `expectations[name]`, as arm_record_expectations writes
    it, supplies those not given here.

    Args:
      name: prefix of the generated targets.
      model: a built-in model's name or an arm_model label.
      target: compile target, e.g. ethos-u55-128.
      expectations: {name: (cpu_operators, npu_cycles, sram_bytes, flash_bytes)}.
      npu_cycles: recorded Vela total cycle estimate (held to a band).
      sram_bytes: recorded Vela SRAM usage.
      flash_bytes: recorded Vela flash/DRAM usage.
      cpu_operators: operators expected to fall back to the CPU besides the
        quantize/dequantize casts ([]: fully delegated; None: not checked).
      numerics_args: extra flags of the numerics check (declared tolerances).
      recorder: the arm_record_expectations target that records `expectations`,
        named by the budget test when an estimate improved (default: this
        package's :record_expectations).
      **kwargs: passed to arm_compile (system_config, memory_mode, ...).
    """
    if name in expectations:
        recorded_cpu, recorded_cycles, recorded_sram, recorded_flash = expectations[name]
        cpu_operators = recorded_cpu if cpu_operators == None else cpu_operators
        npu_cycles = recorded_cycles if npu_cycles == None else npu_cycles
        sram_bytes = recorded_sram if sram_bytes == None else sram_bytes
        flash_bytes = recorded_flash if flash_bytes == None else flash_bytes
    program = name + "_program"
    arm_program(
        name = program,
        model = model,
        target = target,
        **kwargs
    )
    py_test(
        name = name + "_numerics",
        srcs = [Label("//backend:numerics.py")],
        main = Label("//backend:numerics.py"),
        args = [
            "--target=" + target,
            "--intermediates=$(rootpath :%s_intermediates)" % program,
        ] + numerics_args,
        data = [":" + program + "_intermediates"],
        deps = [Label("//backend:numerics_lib")],
        # numpy only: the lowered program ran in the compile action.
        size = "small",
    )
    budgets = []
    if npu_cycles == None and sram_bytes == None and flash_bytes == None and cpu_operators == None:
        return
    if cpu_operators != None:
        budgets.append("--cpu_operators=" + ",".join(cpu_operators))
    if npu_cycles != None:
        budgets.append("--npu_cycles=%d" % npu_cycles)
    if sram_bytes != None:
        budgets.append("--sram_bytes=%d" % sram_bytes)
    if flash_bytes != None:
        budgets.append("--flash_bytes=%d" % flash_bytes)
    py_test(
        name = name + "_budget",
        srcs = [Label("//backend:budget.py")],
        main = Label("//backend:budget.py"),
        args = [
            "--report=$(rootpath :%s_report)" % program,
            "--expectations_recorder=" + (recorder or "//%s:record_expectations" % native.package_name()),
        ] + budgets,
        # The report names its vela.ini, which says where the constants live.
        data = [":%s_report" % program] + ([kwargs["vela_config"]] if kwargs.get("vela_config") else []),
        deps = [Label("//backend:budget_lib")],
        size = "small",
    )

def arm_record_expectations(name, tests = [], reports = [], output = "expectations.bzl", **kwargs):
    """`bazel run :<name>` writes <package>/<output> from the arm_model_tests' compiles.

    It records, per test, the operators left on the CPU and Vela's estimates
    as measured (held to 2% by the budget tests), as `EXPECTATIONS`, which arm_model_test's
    `expectations` reads. Review the diff after an intended change.

    Args:
      name: the py_binary's name.
      tests: arm_model_test names in this package.
      reports: more <test>_program_report labels (or filegroups of them).
      output: the .bzl file to write: a file name in this package, or "//package:file.bzl".
      **kwargs: passed to py_binary.
    """
    reports = [":%s_program_report" % test for test in tests] + reports
    if output.startswith("//"):
        output = output[2:].replace(":", "/")
    else:
        output = "/".join([part for part in [native.package_name(), output] if part])
    py_binary(
        name = name,
        srcs = [Label("//tools/coverage:record_expectations.py")],
        main = Label("//tools/coverage:record_expectations.py"),
        args = [
            "--output=" + output,
            "--recorder=//%s:%s" % (native.package_name(), name),
        ] + ["$(rootpaths %s)" % report for report in reports],
        data = reports,
        deps = [Label("//backend:budget_lib")],
        **kwargs
    )

def _arm_run_impl(ctx):
    program = ctx.attr.program[ArmProgramInfo].program
    runner = ctx.executable._runner
    launcher = ctx.actions.declare_file(ctx.label.name + ".sh")

    # `bazel run` starts in the main repository's runfiles directory, where
    # short paths (../<repository>/... for other modules' files) resolve.
    ctx.actions.write(
        launcher,
        "#!/bin/sh\nexec %s --model_path=%s %s \"$@\"\n" % (
            runner.short_path,
            program.short_path,
            " ".join(ctx.attr.runner_args),
        ),
        is_executable = True,
    )
    runfiles = ctx.runfiles([runner, program]).merge(ctx.attr._runner[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles)]

arm_run = rule(
    implementation = _arm_run_impl,
    executable = True,
    doc = """`bazel run` runs a CPU program (arm_compile target = "cpu") on the host's executor_runner.

A .bpte (bundleio = True) is checked against its bundled reference outputs;
more runner flags (runtime/executor_runner/README.md) go after `--`.
""",
    attrs = {
        "program": attr.label(mandatory = True, providers = [ArmProgramInfo], doc = "An arm_compile target."),
        "runner_args": attr.string_list(doc = "Flags of the runner before the command line's."),
        "_runner": attr.label(
            default = "//runtime:executor_runner",
            executable = True,
            cfg = "target",
        ),
    },
)
