"""Each tuned compile option took effect: the reports, programs and files differ as the option says.

The option compiles are conv_net's; the defaults are //tests:u55_conv_net and
//tests:u85_conv_net (ExecuTorch's default system config and memory mode per
target, example-input calibration, int8 activations).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import struct
from typing import Any

from absl import flags
from absl.testing import absltest

from backend import memory_areas
from tools.ethosu import driver_payload, model, pte, vela_disassembly

_REPORTS = flags.DEFINE_list("reports", [], "The option compiles' report.json files (<option>_program.report.json).")
_DEFAULT_U55 = flags.DEFINE_string("default_u55", None, "Default U55 report.")
_DEFAULT_U85 = flags.DEFINE_string("default_u85", None, "Default U85 report.")
_ETRECORD = flags.DEFINE_string("etrecord", None, "The ETRecord of u55_etrecord.")
_CALIBRATION_DATA = flags.DEFINE_string("calibration_data", None, "The calibration file of u55_calibrated.")
_VELA_INI = flags.DEFINE_string("vela_ini", None, "The custom vela.ini.")
_CALIBRATED_INTERMEDIATES = flags.DEFINE_string("calibrated_intermediates", None, "u55_calibrated intermediates.")
_DEFAULT_U55_INTERMEDIATES = flags.DEFINE_string("default_u55_intermediates", None, "Default U55 intermediates.")
_DIRECT_DRIVE_PROGRAM = flags.DEFINE_string("direct_drive_program", None, "u85_direct_drive .pte.")
_DEFAULT_U85_PROGRAM = flags.DEFINE_string("default_u85_program", None, "Default U85 .pte.")
_DIRECT_DRIVE_INTERMEDIATES = flags.DEFINE_string("direct_drive_intermediates", None, "u85_direct_drive intermediates.")
_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so (the delegate blob's parser).")


def _load(path: str | None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(pathlib.Path(str(path)).read_text())
    return result


def _sha256(path: str | None) -> str:
    return hashlib.sha256(pathlib.Path(str(path)).read_bytes()).hexdigest()


def ifm_ofm_regions(payload: driver_payload.DriverPayload) -> tuple[int, int]:
    """The region the first operation reads its IFM from, and the one the last writes its OFM to."""
    ifm = [region for _, name, region in payload.regions() if name == "NPU_SET_IFM_REGION"]
    ofm = [region for _, name, region in payload.regions() if name == "NPU_SET_OFM_REGION"]
    return ifm[0], ofm[-1]


def vela_regions(commands: list[tuple[str, dict[str, str]]]) -> list[tuple[int, str, int]]:
    """(offset, command, region) of the region commands in Vela's disassembly."""
    regions = []
    for columns, fields in commands:
        words = columns.split()
        name = words[words.index("-") + 1]
        if name in driver_payload.REGION_OPCODES.values():
            regions.append((int(words[0].rstrip(":"), 16), name, int(fields["region"])))
    return regions


class OptionsTest(absltest.TestCase):
    reports: dict[str, dict[str, Any]]
    u55: dict[str, Any]
    u85: dict[str, Any]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.reports = {pathlib.Path(p).name.removesuffix("_program.report.json"): _load(p) for p in _REPORTS.value}
        cls.u55 = _load(_DEFAULT_U55.value)
        cls.u85 = _load(_DEFAULT_U85.value)

    def test_defaults_are_executorchs(self) -> None:
        self.assertEqual(
            (self.u55["vela"]["system_config"], self.u55["vela"]["memory_mode"]),
            ("Ethos_U55_High_End_Embedded", "Shared_Sram"),
        )
        self.assertEqual(
            (self.u85["vela"]["system_config"], self.u85["vela"]["memory_mode"]),
            ("Ethos_U85_SYS_DRAM_Mid", "Sram_Only"),
        )

    def test_custom_vela_ini_is_used(self) -> None:
        vela = self.reports["u55_custom_vela_ini"]["vela"]
        self.assertEqual(vela["system_config"], "Custom_U55_250MHz")
        self.assertEqual(vela["memory_mode"], "Custom_Weights_In_Flash")
        self.assertEqual(vela["core_clock_hz"], 250_000_000)
        self.assertEqual(vela["vela_ini_sha256"], _sha256(_VELA_INI.value))
        self.assertNotEqual(vela["vela_ini_sha256"], self.u55["vela"]["vela_ini_sha256"])
        # Half the default clock: the same cycles take longer.
        self.assertGreater(vela["inference_seconds"], self.u55["vela"]["inference_seconds"])

    def test_system_config_changes_the_clock(self) -> None:
        vela = self.reports["u55_deep_embedded"]["vela"]
        self.assertEqual(vela["system_config"], "Ethos_U55_Deep_Embedded")
        self.assertLess(vela["core_clock_hz"], self.u55["vela"]["core_clock_hz"])

    def test_memory_modes_place_weights_and_arena(self) -> None:
        # Measured with Vela 5: each mode changes Vela's allocation and estimate.
        self.assertEqual(self.reports["u55_sram_only"]["vela"]["memory_mode"], "Sram_Only")

        self.assertEqual(self.u85["vela"]["dram_bytes"], 0, "the U85 default (Sram_Only) uses no DRAM")
        shared = self.reports["u85_shared_sram"]["vela"]
        self.assertEqual(shared["memory_mode"], "Shared_Sram")
        self.assertGreater(shared["dram_bytes"], 0, "Shared_Sram reads the weights over the DRAM port")

        dedicated = self.reports["u85_dedicated_sram"]["vela"]
        self.assertEqual(dedicated["memory_mode"], "Dedicated_Sram")
        self.assertGreater(dedicated["dram_bytes"], shared["dram_bytes"], "Dedicated_Sram also puts the arena in DRAM")

    def test_sram_only_moves_the_weights_from_flash_to_sram(self) -> None:
        # Vela reports Sram_Only's weights as "On-chip Flash" with SRAM's timing
        # (backend/memory_areas.py); counted where they live, flash is empty.
        default_vela, sram_only_vela = self.u55["vela"], self.reports["u55_sram_only"]["vela"]
        default, sram_only = memory_areas.physical_memory(default_vela), memory_areas.physical_memory(sram_only_vela)
        self.assertFalse(default["weights_in_sram"])
        self.assertTrue(sram_only["weights_in_sram"])
        self.assertEqual(sram_only["flash_bytes"], 0)
        self.assertEqual(sram_only_vela["dram_bytes"] + sram_only_vela["off_chip_flash_bytes"], 0)
        # The bytes that moved are the weights Shared_Sram keeps in flash (Vela
        # encodes them alike within 1%), now on top of the arena in SRAM.
        weights = sram_only_vela["on_chip_flash_bytes"]
        self.assertAlmostEqual(weights, default["flash_bytes"], delta=0.01 * default["flash_bytes"])
        self.assertEqual(sram_only["sram_bytes"], sram_only_vela["sram_bytes"] + weights)
        # The arena needs no buffers for weights streamed from flash, so SRAM
        # grows by less than the weights, but it grows.
        self.assertLessEqual(sram_only_vela["sram_bytes"], default_vela["sram_bytes"])
        self.assertGreater(sram_only["sram_bytes"], default["sram_bytes"])

    def test_direct_drive_gives_the_io_regions_of_their_own(self) -> None:
        self.assertTrue(self.reports["u85_direct_drive"]["direct_drive"])
        self.assertFalse(self.u85["direct_drive"])
        library = model.EthosUModel(str(_MODEL_LIBRARY.value))

        def delegate(path: str | None) -> pte.Delegate:
            (only,) = pte.ethos_u_delegates(pathlib.Path(str(path)).read_bytes())
            return only

        direct_delegate = delegate(_DIRECT_DRIVE_PROGRAM.value)
        direct, default = (
            library.parse_blob(direct_delegate.blob),
            library.parse_blob(delegate(_DEFAULT_U85_PROGRAM.value).blob),
        )
        # What the delegate binds: by default the input and output live in the
        # scratch arena (region 1); with direct drive each is a region of its
        # own (3: inputs, 4: outputs), so the driver points the NPU at the
        # caller's buffers instead of copying them into the arena.
        self.assertEqual({t.region for t in default.inputs + default.outputs}, {1})
        self.assertEqual([(t.region, t.offset) for t in direct.inputs], [(3, 0)])
        self.assertEqual([(t.region, t.offset) for t in direct.outputs], [(4, 0)])

        # The command stream: Vela's COP2 payload, whose first operation reads
        # region 3 and whose last writes region 4; the default's names neither.
        direct_payload, default_payload = driver_payload.parse(direct.cmd_data), driver_payload.parse(default.cmd_data)
        self.assertEqual((default_payload.cop_format, direct_payload.cop_format), ("COP1", "COP2"))
        self.assertEqual(ifm_ofm_regions(direct_payload), (3, 4))
        self.assertEqual(ifm_ofm_regions(default_payload), (1, 1))
        self.assertNotIn(3, {region for _, _, region in default_payload.regions()})
        self.assertNotIn(4, {region for _, _, region in default_payload.regions()})

        # Decoded as Vela decodes it: Vela's disassembly of the same graph with
        # the flags the delegate was compiled with has as many commands and the
        # same region commands at the same offsets.
        self.assertIn("--cop-format=COP2", direct_delegate.vela_flags)
        (graph,) = pathlib.Path(str(_DIRECT_DRIVE_INTERMEDIATES.value)).glob("output_tag*.tosa")
        vela = vela_disassembly.command_lines(vela_disassembly.run_vela(graph, direct_delegate.vela_flags))
        self.assertEqual(len(direct_payload.commands), len(vela))
        self.assertEqual(direct_payload.regions(), vela_regions(vela))
        # The comparison can fail: the first IFM_REGION command with region 1
        # (the arena, as without direct drive) no longer matches Vela's.
        offset, name, _ = direct_payload.regions()[0]
        self.assertEqual(name, "NPU_SET_IFM_REGION")
        at = direct_payload.stream_offset + offset
        planted = direct.cmd_data[:at] + struct.pack("<HH", 0x10F, 1) + direct.cmd_data[at + 4 :]
        self.assertNotEqual(driver_payload.parse(planted).regions(), vela_regions(vela))

    def test_calibration_data_sets_the_quantization(self) -> None:
        report = self.reports["u55_calibrated"]
        self.assertEqual(report["calibration_data"], "sha256:" + _sha256(_CALIBRATION_DATA.value))
        self.assertIsNone(self.u55["calibration_data"])

        def output_scale(intermediates: str | None) -> float:
            numerics = _load(str(pathlib.Path(str(intermediates), "numerics", "numerics.json")))
            scale: float = numerics["outputs"][0]["quantization"]["scale"]
            return scale

        self.assertNotAlmostEqual(
            output_scale(_CALIBRATED_INTERMEDIATES.value), output_scale(_DEFAULT_U55_INTERMEDIATES.value), places=6
        )

    def test_int16_activations(self) -> None:
        report = self.reports["u55_int16"]
        self.assertEqual(report["activations"], "int16")
        self.assertEqual(self.u55["activations"], "int8")
        # 16-bit feature maps take more SRAM than 8-bit ones.
        self.assertGreater(report["vela"]["sram_bytes"], self.u55["vela"]["sram_bytes"])

    def test_etrecord_holds_the_lowered_program(self) -> None:
        from executorch.devtools.etrecord import parse_etrecord

        etrecord = parse_etrecord(str(_ETRECORD.value))
        self.assertIsNotNone(etrecord.exported_program)
        # The emitted program's delegate calls: what the ETRecord records of
        # the lowered program (the Inspector maps the delegate's events through it).
        delegate_map = etrecord._delegate_map  # noqa: SLF001
        self.assertIsNotNone(delegate_map)
        backends = [call["name"] for call in delegate_map["forward"].values()]
        self.assertEqual(backends, ["EthosUBackend"], delegate_map)
        # And the edge program it was lowered from holds the model's two convolutions.
        edge = etrecord.edge_dialect_program
        graph = edge.graph_module.graph if hasattr(edge, "graph_module") else edge["forward"].graph_module.graph
        operators = [str(n.target) for n in graph.nodes if n.op == "call_function"]
        self.assertEqual(sum("convolution" in op for op in operators), 2, operators)


if __name__ == "__main__":
    absltest.main()
