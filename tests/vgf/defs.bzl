"""vgf_model_test: compile a model for VGF and run it on lavapipe through Arm's ML emulation layer."""

load("@rules_python//python:defs.bzl", "py_test")
load("//backend:defs.bzl", "arm_program")

def vgf_model_test(name, model, quantize = True, **kwargs):
    """Declares <name>_program (the compile), its intermediates and the test <name>.

    Args:
      name: the test's name.
      model: model name in backend/models.py.
      quantize: int8 (TOSA-1.0+INT) VGF, else float (TOSA-1.0+FP).
      **kwargs: passed to py_test (tags, size, ...).
    """
    program = name + "_program"
    arm_program(name = program, model = model, target = "vgf", quantize = quantize, tags = kwargs.get("tags", []))
    py_test(
        name = name,
        srcs = ["vgf_test.py"],
        main = "vgf_test.py",
        args = [
            "--intermediates=$(rootpath :%s_intermediates)" % program,
            "--run_with_lavapipe=$(rootpath //toolchains/vulkan:run_with_lavapipe)",
        ],
        data = [
            ":%s_intermediates" % program,
            "//toolchains/vulkan:run_with_lavapipe",
        ],
        deps = ["//backend:numerics_lib"],
        size = kwargs.pop("size", "medium"),
        **kwargs
    )
