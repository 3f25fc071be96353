"""coverage_report: one HTML page and chart over many compiled programs, checked in a browser."""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")
load("//backend:defs.bzl", "ArmProgramInfo")

_TITLE = "ExecuTorch Arm compile report"

def _coverage_report_files_impl(ctx):
    reports = []
    timings = []
    expected = []
    npu_steps = []
    steps_by_label = {target.label: steps for target, steps in ctx.attr.npu_max_steps.items()}
    unknown = [label for label in steps_by_label if label not in [p.label for p in ctx.attr.programs]]
    if unknown:
        fail("npu_max_steps names programs that are not in programs: %s" % unknown)
    for program in ctx.attr.programs:
        info = program[ArmProgramInfo]
        reports.append(info.report)
        steps = steps_by_label.get(program.label)
        name = info.report.basename[:-len(".report.json")]  # the generator's name of the program
        expected.append({
            "label": str(program.label),
            "model": info.model,
            "name": name,
            "npu_max_steps": int(steps) if steps != None else None,
            "target": info.target,
        })
        if steps != None:
            npu_steps.append("%s=%s" % (name, steps))

        # Compile times are a separate, optional output group: they are not
        # reproducible, and older arm_compile rules do not write them.
        if OutputGroupInfo in program and hasattr(program[OutputGroupInfo], "timing"):
            timings.extend(program[OutputGroupInfo].timing.to_list())

    accuracy = []
    for table in ctx.attr.accuracy:
        accuracy.extend(table[OutputGroupInfo].json.to_list())

    args = ctx.actions.args()
    args.add_all(reports, format_each = "--report=%s")
    args.add_all(accuracy, format_each = "--accuracy=%s")
    args.add_all(timings, format_each = "--timing=%s")
    args.add_all(npu_steps, format_each = "--npu_steps=%s")
    args.add("--html", ctx.outputs.html)
    args.add("--png", ctx.outputs.png)
    args.add("--title", ctx.attr.title)
    ctx.actions.run(
        executable = ctx.executable._generator,
        arguments = [args],
        inputs = reports + timings + accuracy,
        outputs = [ctx.outputs.html, ctx.outputs.png],
        mnemonic = "CoverageReport",
        progress_message = "Writing the report of %d programs (%%{label})" % len(reports),
    )

    # What the page must show, straight from the providers, for the render test.
    ctx.actions.write(ctx.outputs.expected, json.encode_indent(expected) + "\n")
    ctx.actions.write(ctx.outputs.expected_accuracy, json.encode_indent([f.short_path for f in accuracy]) + "\n")
    return [DefaultInfo(files = depset([ctx.outputs.html, ctx.outputs.png]))]

coverage_report_files = rule(
    implementation = _coverage_report_files_impl,
    doc = "Writes <name>/report.html and <name>/report.png from arm_compile reports (and timing files).",
    attrs = {
        "programs": attr.label_list(
            mandatory = True,
            allow_empty = False,
            providers = [ArmProgramInfo],
            doc = "arm_compile targets.",
        ),
        "npu_max_steps": attr.label_keyed_string_dict(
            doc = "Program → its recorded largest difference on the functional Ethos-U55 model, in " +
                  "quantization steps (tests/ethos_u/npu_expectations.bzl); other programs are 'not run'.",
        ),
        "accuracy": attr.label_list(
            doc = "arm_accuracy targets (tools/accuracy:defs.bzl) whose tables the page shows.",
        ),
        "title": attr.string(default = _TITLE),
        "_generator": attr.label(
            default = "//tests/report:generate",
            executable = True,
            cfg = "exec",
        ),
    },
    outputs = {
        "expected": "%{name}/expected.json",
        "expected_accuracy": "%{name}/expected_accuracy.json",
        "html": "%{name}/report.html",
        "png": "%{name}/report.png",
    },
)

def coverage_report(name, programs, npu_max_steps = {}, accuracy = [], title = _TITLE, **kwargs):
    """The report of `programs`: `bazel run :<name>` writes it, `<name>_render_test` checks it.

    Declares:
      <name>_files: builds <name>_files/report.html (self-contained) and report.png.
      <name> (alias of <name>_install): `bazel run` copies both into
        $BUILD_WORKSPACE_DIRECTORY/bazel-report/ (or `-- --out=DIR`) and prints their paths.
      <name>_render_test: opens the page in the pinned headless Chromium; checks a
        row per program, the chart loaded, no console errors and no request that
        leaves the page; saves a screenshot in the test's undeclared outputs.

    Args:
      name: name of the runnable target.
      programs: arm_compile (or arm_program) labels.
      npu_max_steps: {program label: "N"}, the recorded largest difference of
        programs run on the functional Ethos-U model (0: bit-exact).
      accuracy: arm_accuracy labels whose tables (top-1/top-5/SQNR per
        executor) the page shows.
      title: page title.
      **kwargs: common attributes (tags, visibility, ...) for all the targets.
    """
    files = name + "_files"
    coverage_report_files(
        name = files,
        programs = programs,
        npu_max_steps = npu_max_steps,
        accuracy = accuracy,
        title = title,
        **kwargs
    )
    html = ":%s/report.html" % files
    png = ":%s/report.png" % files

    # `name` is an alias: a py_binary called `report` in //tests would put its
    # own launcher at tests/report in its runfiles, where this package's
    # install.py has to be.
    native.alias(
        name = name,
        actual = ":%s_install" % name,
        **kwargs
    )
    py_binary(
        name = name + "_install",
        srcs = ["//tests/report:install.py"],
        main = "//tests/report:install.py",
        args = [
            "--html=$(rootpath %s)" % html,
            "--png=$(rootpath %s)" % png,
        ],
        data = [html, png],
        **kwargs
    )
    py_test(
        name = name + "_render_test",
        size = "small",
        srcs = ["//tests/report:render_test.py"],
        main = "//tests/report:render_test.py",
        args = [
            "--chromium=$(rootpath //toolchains/chromium)",
            "--html=$(rootpath %s)" % html,
            "--png=$(rootpath %s)" % png,
            "--expected=$(rootpath :%s/expected.json)" % files,
            "--expected_accuracy=$(rootpath :%s/expected_accuracy.json)" % files,
        ],
        data = [
            html,
            png,
            ":%s/expected.json" % files,
            ":%s/expected_accuracy.json" % files,
            "//toolchains/chromium",
        ] + accuracy,
        deps = ["//toolchains/chromium:headless"],
        **kwargs
    )
