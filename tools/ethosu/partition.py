"""One Ethos-U delegate call on the functional model, memory set up as ExecuTorch's backend does."""

import numpy as np
import numpy.typing as npt

from tools.ethosu import model


def run_partition(lib: model.EthosUModel, blob_bytes: bytes, inputs: list[npt.NDArray[np.generic]],
                  outputs_like: list[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
    """One delegate call on the model, with memory set up as ExecuTorch's Ethos-U backend does:
    region 0 the weights, region 1 the scratch holding inputs and outputs, region 2 fast scratch."""
    blob = lib.parse_blob(blob_bytes)
    if len(blob.inputs) != len(inputs) or len(blob.outputs) != len(outputs_like):
        raise ValueError(f"the blob has {len(blob.inputs)} inputs and {len(blob.outputs)} outputs, the call "
                         f"{len(inputs)} and {len(outputs_like)}")
    scratch = np.zeros(blob.scratch_size, dtype=np.uint8)
    for index, (info, array) in enumerate(zip(blob.inputs, inputs, strict=True)):
        data = np.ascontiguousarray(array).tobytes()
        if info.region != 1 or len(data) != info.size:
            raise ValueError(f"input {index}: {len(data)} bytes for {info}")
        scratch[info.offset:info.offset + len(data)] = np.frombuffer(data, dtype=np.uint8)
    weights = np.frombuffer(blob.weight_data or b"\0", dtype=np.uint8).copy()
    lib.execute(blob.cmd_data, [weights, scratch, np.zeros(0, dtype=np.uint8)])
    results = []
    for index, (info, like) in enumerate(zip(blob.outputs, outputs_like, strict=True)):
        if info.region != 1 or info.size != like.nbytes:
            raise ValueError(f"output {index}: {like.nbytes} bytes expected, the blob says {info}")
        data = scratch[info.offset:info.offset + info.size].tobytes()
        results.append(np.frombuffer(data, dtype=like.dtype).reshape(like.shape))
    return results


def max_steps(got: npt.NDArray[np.generic], want: npt.NDArray[np.generic]) -> int:
    """The largest difference in quantization steps (integer units)."""
    return int(np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0))
