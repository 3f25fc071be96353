"""The model's decoder against Vela: every command of a compiled U55 or U85 program disassembles alike.

The command stream comes from the .pte's own Ethos-U delegate blob; Vela's
disassembly from re-running the pinned Vela on the TOSA graph ExecuTorch handed
it (the compile's intermediates) with the flags of the delegate's compile specs,
once per partition (about a second each; nothing here imports torch).
"""

import pathlib
import re
import struct

from absl import flags
from absl.testing import absltest

from runtime.ethos_u import u85_table
from tools.ethosu import model, pte, vela_disassembly

_PROGRAM = flags.DEFINE_string("program", None, ".pte compiled for an Ethos-U55 or U85.", required=True)
_INTERMEDIATES = flags.DEFINE_string("intermediates", None, "The compile's intermediates directory.", required=True)
_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so.", required=True)
_U85_TABLE = flags.DEFINE_string(
    "u85_table", None, "ethos_u85_regs.txt: compare the fields Vela prints as enum names too (U85 programs)."
)


def _tosa_graphs(intermediates: pathlib.Path) -> list[pathlib.Path]:
    """The TOSA graph of each delegated partition, in partition order."""
    graphs = list(intermediates.glob("output_tag*.tosa"))

    def tag(path: pathlib.Path) -> int:
        match = re.match(r"output_tag(\d+)_", path.name)
        assert match is not None, path
        return int(match.group(1))

    return sorted(graphs, key=tag)


class DisassemblyTest(absltest.TestCase):
    model: model.EthosUModel
    delegates: list[pte.Delegate]
    vela: list[str]  # Vela's disassembly of each partition
    enum_values: dict[str, int] | None  # Vela's enum names, for U85 programs

    @classmethod
    def setUpClass(cls) -> None:
        cls.model = model.EthosUModel(_MODEL_LIBRARY.value)
        cls.delegates = pte.ethos_u_delegates(pathlib.Path(_PROGRAM.value).read_bytes())
        graphs = _tosa_graphs(pathlib.Path(_INTERMEDIATES.value))
        if len(graphs) != len(cls.delegates):
            raise AssertionError(f"{len(graphs)} TOSA graphs for {len(cls.delegates)} delegated partitions")
        cls.vela = [vela_disassembly.run_vela(graph, delegate.vela_flags)
                    for graph, delegate in zip(graphs, cls.delegates, strict=True)]
        cls.enum_values = None
        if _U85_TABLE.value is not None:
            table = u85_table.parse_table(pathlib.Path(_U85_TABLE.value).read_text(encoding="utf-8"))
            cls.enum_values = table.vela_enum_values()

    def test_every_command_matches_vela(self) -> None:
        self.assertGreater(len(self.delegates), 0, "no Ethos-U delegate in the program")
        for index, (delegate, vela) in enumerate(zip(self.delegates, self.vela, strict=True)):
            blob = self.model.parse_blob(delegate.blob)
            ours = self.model.disassemble(blob.cmd_data)
            commands = vela_disassembly.command_lines(vela)
            self.assertGreater(len(commands), 0, f"partition {index}: Vela printed no commands")
            self.assertEqual(vela_disassembly.compare(ours, vela, self.enum_values), [], f"partition {index}")

    def test_a_changed_word_is_found(self) -> None:
        # The comparison can fail: the final command (NPU_OP_STOP, mask 0xffff)
        # with its parameter changed no longer matches Vela's line.
        blob = self.model.parse_blob(self.delegates[0].blob)
        (last,) = struct.unpack_from("<I", blob.cmd_data, len(blob.cmd_data) - 4)
        changed = blob.cmd_data[:-4] + struct.pack("<I", last ^ 0x10000)
        problems = vela_disassembly.compare(self.model.disassemble(changed), self.vela[0], self.enum_values)
        self.assertEqual(len(problems), 1)
        self.assertIn("NPU_OP_STOP", problems[0])


if __name__ == "__main__":
    absltest.main()
