"""Writes one Ethos-U delegate blob of a .pte to a file (e.g. as a fuzzing seed or for a C++ runner).

Exit codes: 0 written, 2 bad arguments or no such partition.
"""

import pathlib
import sys

from absl import app, flags

from tools.ethosu import pte

_PTE = flags.DEFINE_string("pte", None, "The .pte program.", required=True)
_PARTITION = flags.DEFINE_integer("partition", 0, "Which Ethos-U delegate, in execution-plan order.")
_OUTPUT = flags.DEFINE_string("output", None, "File to write the blob to.", required=True)


def main(argv: list[str]) -> None:
    del argv
    blobs = pte.delegate_blobs(pathlib.Path(_PTE.value).read_bytes())
    if not 0 <= _PARTITION.value < len(blobs):
        print(f"extract_blob: {_PTE.value} has {len(blobs)} Ethos-U delegates, no partition {_PARTITION.value}",
              file=sys.stderr)
        sys.exit(2)
    pathlib.Path(_OUTPUT.value).write_bytes(blobs[_PARTITION.value])


if __name__ == "__main__":
    app.run(main)
