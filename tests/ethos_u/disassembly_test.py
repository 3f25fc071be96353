"""The model's decoder against Vela: every command of a compiled U55 program disassembles alike.

The command stream comes from the .pte's own Ethos-U delegate blob; Vela's
disassembly from re-running the pinned Vela on the TOSA graph ExecuTorch handed
it (the compile's intermediates) with the same flags.
"""

import json
import pathlib
import re
import struct

from absl import flags
from absl.testing import absltest

from tools.ethosu import model, pte, vela_disassembly

_PROGRAM = flags.DEFINE_string("program", None, ".pte compiled for an Ethos-U55.", required=True)
_REPORT = flags.DEFINE_string("report", None, "The compile's report.json.", required=True)
_INTERMEDIATES = flags.DEFINE_string("intermediates", None, "The compile's intermediates directory.", required=True)
_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so.", required=True)


def _tosa_graphs(intermediates: pathlib.Path) -> list[pathlib.Path]:
    """The TOSA graph of each delegated partition, in partition order."""
    graphs = list(intermediates.glob("output_tag*.tosa"))

    def tag(path: pathlib.Path) -> int:
        match = re.match(r"output_tag(\d+)_", path.name)
        assert match is not None, path
        return int(match.group(1))

    return sorted(graphs, key=tag)


class DisassemblyTest(absltest.TestCase):
    def setUp(self) -> None:
        self.model = model.EthosUModel(_MODEL_LIBRARY.value)
        self.blobs = pte.delegate_blobs(pathlib.Path(_PROGRAM.value).read_bytes())
        self.graphs = _tosa_graphs(pathlib.Path(_INTERMEDIATES.value))
        self.flags = vela_disassembly.vela_flags(json.loads(pathlib.Path(_REPORT.value).read_text()))

    def test_every_command_matches_vela(self) -> None:
        self.assertGreater(len(self.blobs), 0, "no Ethos-U delegate in the program")
        self.assertEqual(len(self.graphs), len(self.blobs), "one TOSA graph per delegated partition")
        for index, (blob_bytes, graph) in enumerate(zip(self.blobs, self.graphs, strict=True)):
            blob = self.model.parse_blob(blob_bytes)
            ours = self.model.disassemble(blob.cmd_data)
            vela = vela_disassembly.run_vela(graph, self.flags)
            commands = vela_disassembly.command_lines(vela)
            self.assertGreater(len(commands), 0, f"partition {index}: Vela printed no commands")
            self.assertEqual(vela_disassembly.compare(ours, vela), [], f"partition {index}")

    def test_a_changed_word_is_found(self) -> None:
        # The comparison can fail: the final command (NPU_OP_STOP, mask 0xffff)
        # with its parameter changed no longer matches Vela's line.
        blob = self.model.parse_blob(self.blobs[0])
        (last,) = struct.unpack_from("<I", blob.cmd_data, len(blob.cmd_data) - 4)
        changed = blob.cmd_data[:-4] + struct.pack("<I", last ^ 0x10000)
        vela = vela_disassembly.run_vela(self.graphs[0], self.flags)
        problems = vela_disassembly.compare(self.model.disassemble(changed), vela)
        self.assertEqual(len(problems), 1)
        self.assertIn("NPU_OP_STOP", problems[0])


if __name__ == "__main__":
    absltest.main()
