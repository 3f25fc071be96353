"""The Cortex-M cores the bare-metal toolchain builds for: data only.

Core name (a constraint value in //toolchains/platforms) -> the GCC flags that
select its instruction set and floating-point ABI. Both pinned compilers
(Debian's GCC 12, Arm's 14.2) must accept them: GCC 12 knows no cortex-m85, so
the M85 is given as its architecture (Armv8.1-M with MVE and double-precision
FP), which is what code generation depends on.
"""

CORTEX_M_CORES = {
    "cortex_m55": [
        "-mthumb",
        "-mcpu=cortex-m55",
        "-mfloat-abi=hard",
    ],
    "cortex_m85": [
        "-mthumb",
        "-march=armv8.1-m.main+mve.fp+fp.dp",
        "-mfloat-abi=hard",
    ],
}
