"""tools/ethosu/pte.py against ExecuTorch's own serializer: inline and segment delegate data, bad input.

ExecuTorch's serializer imports torch (~15 s): this is the one test that pays it
so that the readers of .pte files elsewhere need not.
"""

import pathlib

from absl import flags
from absl.testing import absltest

from tools.ethosu import pte

_PROGRAM = flags.DEFINE_string("program", None, "A .pte compiled for an Ethos-U55.", required=True)


class PteTest(absltest.TestCase):
    def test_delegates_match_executorch(self) -> None:
        from executorch.exir._serialize._program import deserialize_pte_binary, serialize_pte_binary

        data = pathlib.Path(_PROGRAM.value).read_bytes()
        program = deserialize_pte_binary(data)
        expected = [
            (bytes(program.program.backend_delegate_data[d.processed.index].data),
             {spec.key: bytes(spec.value) for spec in d.compile_specs})
            for plan in program.program.execution_plan for d in plan.delegates if d.id == pte.ETHOS_U_BACKEND
        ]
        self.assertGreater(len(expected), 0)
        self.assertEqual([(d.blob, d.compile_specs) for d in pte.ethos_u_delegates(data)], expected)
        # The same program with its delegate data moved into segments after
        # the flatbuffer (ExecuTorch's extract_delegate_segments), as a
        # deserialized program must look before serialization: no segments.
        program.program.segments = []
        segmented = bytes(serialize_pte_binary(program, extract_delegate_segments=True))
        self.assertEqual(segmented[8:12], b"eh00")
        self.assertEqual([(d.blob, d.compile_specs) for d in pte.ethos_u_delegates(segmented)], expected)
        self.assertIn("--accelerator-config=ethos-u55-128", pte.ethos_u_delegates(data)[0].vela_flags)

    def test_bad_input_is_a_value_error(self) -> None:
        data = pathlib.Path(_PROGRAM.value).read_bytes()
        with self.assertRaisesRegex(ValueError, "not an ExecuTorch program"):
            pte.ethos_u_delegates(b"\x20\0\0\0XXXX" + data[8:])
        with self.assertRaisesRegex(ValueError, "malformed ExecuTorch program"):
            pte.ethos_u_delegates(data[:200])


if __name__ == "__main__":
    absltest.main()
