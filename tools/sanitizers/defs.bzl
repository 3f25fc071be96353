"""Sanitized builds of single targets: only the wrapped binary changes configuration.

`--config=asan` (or `ubsan`) changes the whole target configuration, so every
action in it, the model compiles included, runs again in another output
directory. The rules here put only `binary` through a transition that enables
the sanitizer's toolchain feature; everything else they hand to the program (`data`: compiled
programs, seeds) stays in the configuration of the command line, where the
normal tests already built it.

    sanitized_binary(name = "executor_runner_asan", binary = ":executor_runner", sanitizer = "asan")
    sanitized_test(
        name = "fuzz_asan_test",
        binary = ":fuzz",               # a cc_binary (or cc_test) without program data
        sanitizer = "asan",
        args = ["$(rootpath //tests:u55_add_program_program)"],
        data = ["//tests:u55_add_program_program"],
    )

A `sanitized_binary` is a host executable like any other: give it to a test
(e.g. a py_test's `--runner=$(rootpath ...)`) whose program data are its own.
"""

# The C++ toolchain feature of each sanitizer (the flags and the statically
# linked runtime are the host toolchain's, //toolchains/x86_64_linux_gnu), the
# one .bazelrc's `build:asan` / `build:ubsan` enable: under --config=asan the
# transition below changes nothing, so the sanitized targets share that
# configuration instead of making a second one.
SANITIZERS = {
    "asan": struct(
        feature = "asan",
        env = {"ASAN_OPTIONS": "detect_leaks=1"},
    ),
    "ubsan": struct(
        feature = "ubsan",
        env = {"UBSAN_OPTIONS": "print_stacktrace=1"},
    ),
}

# Programs a sanitized binary must not carry in its own runfiles: whatever
# builds them would run again in the sanitized configuration.
_PROGRAM_SUFFIXES = (".pte", ".bpte")

# The model compile's mnemonic (backend/defs.bzl's arm_compile).
_MODEL_COMPILE = "ArmCompile"

_ModelCompilesInfo = provider(
    doc = "Targets below this one (in its configuration) that run a model compile.",
    fields = {"labels": "depset of Labels"},
)

def _model_compiles_aspect_impl(target, ctx):
    transitive = []
    for name in dir(ctx.rule.attr):
        value = getattr(ctx.rule.attr, name)
        if type(value) == "list":
            values = value
        elif type(value) == "dict":
            values = list(value.keys()) + list(value.values())
        else:
            values = [value]
        for dep in values:
            if type(dep) == "Target" and _ModelCompilesInfo in dep:
                transitive.append(dep[_ModelCompilesInfo].labels)
    direct = [target.label] if [a for a in target.actions if a.mnemonic == _MODEL_COMPILE] else []
    return [_ModelCompilesInfo(labels = depset(direct, transitive = transitive))]

# Follows every attribute below `binary`, in the sanitized configuration: a
# model compile found there would run again, so the rule refuses it.
_model_compiles_aspect = aspect(
    implementation = _model_compiles_aspect_impl,
    attr_aspects = ["*"],
)

def _sanitizer_transition_impl(settings, attr):
    features = settings["//command_line_option:features"]
    feature = SANITIZERS[attr.sanitizer].feature
    return {
        "//command_line_option:features": features if feature in features else features + [feature],
        # Symbols and line numbers in the sanitizers' stack traces.
        "//command_line_option:strip": "never",
    }

_sanitizer_transition = transition(
    implementation = _sanitizer_transition_impl,
    inputs = ["//command_line_option:features"],
    outputs = [
        "//command_line_option:features",
        "//command_line_option:strip",
    ],
)

def _check_no_programs(ctx, runfiles):
    for f in runfiles.files.to_list():
        if f.basename.endswith(_PROGRAM_SUFFIXES):
            fail(("%s: %s carries the program %s in its runfiles, which would be rebuilt " +
                  "in the sanitized configuration; pass programs through `data`") % (
                ctx.label,
                ctx.attr.binary[0].label,
                f.short_path,
            ))

def _sanitized_impl(ctx):
    binary_target = ctx.attr.binary[0]
    binary = binary_target[DefaultInfo].files_to_run.executable
    binary_runfiles = binary_target[DefaultInfo].default_runfiles
    _check_no_programs(ctx, binary_runfiles)
    compiles = binary_target[_ModelCompilesInfo].labels.to_list()
    if compiles:
        fail("%s: %s depends on model compiles (%s), which would run again in the sanitized configuration; pass their outputs through `data`" % (
            ctx.label,
            binary_target.label,
            ", ".join([str(label) for label in compiles]),
        ))

    # A new name per rule (the transitioned binary keeps its own path and
    # name); a symlink, so the binary's $ORIGIN (the resolved path) still
    # finds its shared libraries.
    executable = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = executable, target_file = binary, is_executable = True)

    runfiles = ctx.runfiles(files = [executable, binary] + ctx.files.data)
    runfiles = runfiles.merge(binary_runfiles)
    for target in ctx.attr.data:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    env = dict(SANITIZERS[ctx.attr.sanitizer].env)
    env.update(ctx.attr.env)
    return [
        DefaultInfo(executable = executable, runfiles = runfiles),
        RunEnvironmentInfo(environment = env),
    ]

_ATTRS = {
    "binary": attr.label(
        mandatory = True,
        executable = True,
        cfg = _sanitizer_transition,
        aspects = [_model_compiles_aspect],
        doc = "The C/C++ program to sanitize (cc_binary or cc_test), without program data.",
    ),
    "sanitizer": attr.string(
        mandatory = True,
        values = sorted(SANITIZERS),
        doc = "`asan` or `ubsan`: the toolchain feature .bazelrc's config of that name enables.",
    ),
    "data": attr.label_list(
        allow_files = True,
        doc = "Runfiles built in the command line's configuration (programs, seeds).",
    ),
    "env": attr.string_dict(doc = "Environment when run as a test or with `bazel run`; added to the sanitizer's options."),
    "_allowlist_function_transition": attr.label(
        default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
    ),
}

sanitized_binary = rule(
    implementation = _sanitized_impl,
    executable = True,
    doc = "`binary` built with a sanitizer, as an executable of the command line's configuration.",
    attrs = _ATTRS,
)

sanitized_test = rule(
    implementation = _sanitized_impl,
    test = True,
    doc = "Runs `binary`, built with a sanitizer, as a test: `args` ($(rootpath) of `data`) and `data` stay unsanitized.",
    attrs = _ATTRS,
)
