"""The environment every compile runs in: PyTorch's float results independent of the CPU.

Calibration runs the float model, so its quantization parameters (and the
program's bytes) inherit each difference in rounding between CPUs: two x86_64
machines compiled different resnet18 programs from the same inputs. These
variables select code paths that every x86_64 CPU runs alike; the compiler
itself turns oneDNN and NNPACK off and uses one thread (compile.py
pin_torch_numerics). The libraries read them when they load, so they are set in
the process's environment, not from Python.
"""

CPU_INDEPENDENT_ENV = {
    # ATen's vectorised kernels: the portable build, not the AVX2/AVX-512 one.
    "ATEN_CPU_CAPABILITY": "default",
    # MKL's conditional numerical reproducibility: one code path on every CPU.
    "MKL_CBWR": "COMPATIBLE",
    # One thread: the order of parallel reductions does not depend on the cores.
    "MKL_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    # Fixed string hashing: set iteration order in the compiler's passes must
    # not differ between processes. (vit_tiny's two Vela estimates once blamed
    # on it do not reproduce: hash seeds 0, 1 and 12345 compile the same bytes.)
    "PYTHONHASHSEED": "0",
}
