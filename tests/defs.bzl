"""arm_model_test: compile a model for a target and check numerics, operator placement and budgets."""

load("@rules_python//python:defs.bzl", "py_test")
load("//backend:defs.bzl", "arm_program")

def arm_model_test(
        name,
        model,
        target,
        npu_cycles = None,
        sram_bytes = None,
        flash_bytes = None,
        cpu_operators = None,
        numerics_args = [],
        **kwargs):
    """Declares <name>_program, <name>_numerics and <name>_budget.

    The budget test checks which operators stay on the CPU (cpu_operators)
    and, for Ethos-U targets, Vela's estimates against the recorded ones;
    with neither declared there is no budget test.

    Args:
      name: prefix of the generated targets.
      model: model name in backend/models.py.
      target: compile target, e.g. ethos-u55-128.
      npu_cycles: recorded Vela total cycle estimate (held to a band).
      sram_bytes: recorded Vela SRAM usage.
      flash_bytes: recorded Vela flash/DRAM usage.
      cpu_operators: operators expected to fall back to the CPU besides the
        quantize/dequantize casts ([]: fully delegated; None: not checked).
      numerics_args: extra flags of the numerics check (declared tolerances).
      **kwargs: passed to arm_compile (system_config, memory_mode, ...).
    """
    program = name + "_program"
    arm_program(
        name = program,
        model = model,
        target = target,
        **kwargs
    )
    py_test(
        name = name + "_numerics",
        srcs = ["//backend:numerics.py"],
        main = "//backend:numerics.py",
        args = [
            "--target=" + target,
            "--intermediates=$(rootpath :%s_intermediates)" % program,
        ] + numerics_args,
        data = [":" + program + "_intermediates"],
        deps = ["//backend:numerics_lib"],
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
        srcs = ["//backend:budget.py"],
        main = "//backend:budget.py",
        args = ["--report=$(rootpath :%s_report)" % program] + budgets,
        # The report names its vela.ini, which says where the constants live.
        data = [":%s_report" % program] + ([kwargs["vela_config"]] if kwargs.get("vela_config") else []),
        deps = ["//backend:budget_lib"],
        size = "small",
    )
