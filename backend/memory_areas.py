"""Where Vela's memory estimates physically live: SRAM, or flash/DRAM.

Vela cannot place read-only data (weights, biases, scales) in SRAM by name:
when a memory mode puts the constants, the tensor arena and the cache on the
same AXI port and that port is SRAM (vela.ini's `Memory_Mode.Sram_Only`),
Vela renames the constants' area "On-chip Flash" with SRAM's clock, burst
length and latencies (ethosu/vela/architecture_features.py, "Changing
const_mem_area from Sram to OnChipFlash") and reports them as on-chip flash
bytes, beside the arena's SRAM bytes. Those bytes are SRAM: the weights live
in the same memory as the arena, so this module counts them there.

The rule is Vela's own, read from the same vela.ini: it needs the system
config's port map and the memory mode's areas, not a guess from the mode's name.
"""

from __future__ import annotations

import configparser
import pathlib
from typing import Any

from backend.vela import vela_config_path


def _read(parser: configparser.ConfigParser, section: str, key: str) -> str | None:
    """A key of a vela.ini section as Vela reads it: `inherit` first, the section's own value wins."""
    if not parser.has_section(section):
        raise ValueError(f"vela.ini has no section [{section}]")
    value = None
    if parser.has_option(section, "inherit"):
        parent = parser.get(section, "inherit")
        if parent == section:
            raise ValueError(f"vela.ini section [{section}] inherits itself")
        value = _read(parser, parent, key)
    if parser.has_option(section, key):
        value = parser.get(section, key)
    return value


def weights_in_sram(vela_ini: pathlib.Path, system_config: str, memory_mode: str) -> bool:
    """Whether Vela moved the constants into SRAM under the name "On-chip Flash" (see the module doc)."""
    parser = configparser.ConfigParser()
    if not parser.read(vela_ini):
        raise ValueError(f"cannot read the Vela config {vela_ini}")
    system = "System_Config." + system_config
    mode = "Memory_Mode." + memory_mode
    ports = {"Axi0": _read(parser, system, "axi0_port"), "Axi1": _read(parser, system, "axi1_port")}
    areas = {_read(parser, mode, key) for key in ("const_mem_area", "arena_mem_area", "cache_mem_area")}
    return len(areas) == 1 and ports.get(str(areas.pop())) == "Sram"


def physical_memory(vela: dict[str, Any]) -> dict[str, int | bool]:
    """SRAM and flash/DRAM bytes of a report's vela section, constants counted where they live.

    sram_bytes: the arena (and cache), plus the constants when they are in SRAM;
    flash_bytes: everything else (DRAM, on-chip and off-chip flash);
    weights_in_sram: whether the constants were counted as SRAM.
    """
    in_sram = weights_in_sram(vela_config_path(vela["vela_config"]), vela["system_config"], vela["memory_mode"])
    constants = vela["on_chip_flash_bytes"] if in_sram else 0
    return {
        "sram_bytes": vela["sram_bytes"] + constants,
        "flash_bytes": vela["flash_bytes"] - constants,
        "weights_in_sram": in_sram,
    }
