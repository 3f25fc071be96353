"""The targets the compiler knows, declared once: what each one quantizes to and Vela's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Target:
    """Everything the compiler needs to know about one target, declared once in TARGETS."""

    kind: Literal["ethos-u", "tosa", "vgf", "cpu"]
    quantize_by_default: bool
    can_quantize: bool = True
    npu_config: str | None = None  # Vela --accelerator-config
    system_config: str | None = None  # default Vela system config (ExecuTorch's default)
    memory_mode: str | None = None  # default Vela memory mode (ExecuTorch's default)


# The one per-target table. System config and memory mode defaults are the ones
# EthosUCompileSpec picks when none is given (executorch 1.5.1,
# EthosUCompileSpec._default_system_config_and_memory_mode); we pass them
# explicitly so the table, not a library default, decides.
_U55, _U55_MEMORY = "Ethos_U55_High_End_Embedded", "Shared_Sram"
_U65, _U65_MEMORY = "Ethos_U65_High_End", "Dedicated_Sram_384KB"
_U85, _U85_MEMORY = "Ethos_U85_SYS_DRAM_Mid", "Sram_Only"
TARGETS: dict[str, Target] = {
    # name: Target(kind, quantize by default, can quantize, NPU config, system config, memory mode)
    "ethos-u55-32": Target("ethos-u", True, True, "ethos-u55-32", _U55, _U55_MEMORY),
    "ethos-u55-64": Target("ethos-u", True, True, "ethos-u55-64", _U55, _U55_MEMORY),
    "ethos-u55-128": Target("ethos-u", True, True, "ethos-u55-128", _U55, _U55_MEMORY),
    "ethos-u55-256": Target("ethos-u", True, True, "ethos-u55-256", _U55, _U55_MEMORY),
    "ethos-u65-256": Target("ethos-u", True, True, "ethos-u65-256", _U65, _U65_MEMORY),
    "ethos-u65-512": Target("ethos-u", True, True, "ethos-u65-512", _U65, _U65_MEMORY),
    "ethos-u85-128": Target("ethos-u", True, True, "ethos-u85-128", _U85, _U85_MEMORY),
    "ethos-u85-256": Target("ethos-u", True, True, "ethos-u85-256", _U85, _U85_MEMORY),
    "ethos-u85-512": Target("ethos-u", True, True, "ethos-u85-512", _U85, _U85_MEMORY),
    "ethos-u85-1024": Target("ethos-u", True, True, "ethos-u85-1024", _U85, _U85_MEMORY),
    "ethos-u85-2048": Target("ethos-u", True, True, "ethos-u85-2048", _U85, _U85_MEMORY),
    "TOSA-1.0+INT": Target("tosa", True),
    "TOSA-1.0+FP": Target("tosa", False, can_quantize=False),
    # VGF lowers through TOSA-1.0+INT when quantized, TOSA-1.0+FP otherwise.
    "vgf": Target("vgf", True),
    # No delegate: every operator runs on ExecuTorch's CPU kernels (a Cortex-A
    # CPU such as Corstone-1000's, or the host).
    "cpu": Target("cpu", False, can_quantize=False),
}
