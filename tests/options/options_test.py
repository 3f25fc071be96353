"""Each tuned compile option took effect: the reports, programs and files differ as the option says.

The option compiles are conv_net's; the defaults are //tests:u55_conv_net and
//tests:u85_conv_net (ExecuTorch's default system config and memory mode per
target, example-input calibration, int8 activations).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from typing import Any

from absl import flags
from absl.testing import absltest

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


def _load(path: str | None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(pathlib.Path(str(path)).read_text())
    return result


def _sha256(path: str | None) -> str:
    return hashlib.sha256(pathlib.Path(str(path)).read_bytes()).hexdigest()


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
        sram_only = self.reports["u55_sram_only"]["vela"]
        self.assertEqual(sram_only["memory_mode"], "Sram_Only")
        self.assertNotEqual(
            (sram_only["sram_bytes"], sram_only["total_cycles"]),
            (self.u55["vela"]["sram_bytes"], self.u55["vela"]["total_cycles"]),
        )

        self.assertEqual(self.u85["vela"]["dram_bytes"], 0, "the U85 default (Sram_Only) uses no DRAM")
        shared = self.reports["u85_shared_sram"]["vela"]
        self.assertEqual(shared["memory_mode"], "Shared_Sram")
        self.assertGreater(shared["dram_bytes"], 0, "Shared_Sram reads the weights over the DRAM port")

        dedicated = self.reports["u85_dedicated_sram"]["vela"]
        self.assertEqual(dedicated["memory_mode"], "Dedicated_Sram")
        self.assertGreater(dedicated["dram_bytes"], shared["dram_bytes"], "Dedicated_Sram also puts the arena in DRAM")

    def test_direct_drive_changes_the_command_stream(self) -> None:
        self.assertTrue(self.reports["u85_direct_drive"]["direct_drive"])
        self.assertFalse(self.u85["direct_drive"])
        self.assertNotEqual(_sha256(_DIRECT_DRIVE_PROGRAM.value), _sha256(_DEFAULT_U85_PROGRAM.value))

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
