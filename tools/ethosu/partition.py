"""One Ethos-U delegate call on the functional model, memory set up as ExecuTorch's backend does."""

from typing import Any

import numpy as np
import numpy.typing as npt

from tools.ethosu import model

# The driver's base pointers: the weights, the scratch (inputs, outputs and intermediates at the
# blob's offsets) and the fast scratch (the SRAM cache a Dedicated_Sram platform provides).
WEIGHTS_REGION = 0
SCRATCH_REGION = 1
FAST_SCRATCH_REGION = 2


def fast_scratch_size(report: dict[str, Any]) -> int:
    """The fast scratch a platform must give a compiled program: under Dedicated_Sram the SRAM is
    the NPU's own cache (region 2) and Vela's SRAM figure is what the program uses of it; other
    memory modes use none."""
    vela = report["vela"]
    return int(vela["sram_bytes"]) if str(vela["memory_mode"]).startswith("Dedicated_Sram") else 0


def run_partition(lib: model.EthosUModel, blob_bytes: bytes, inputs: list[npt.NDArray[np.generic]],
                  outputs_like: list[npt.NDArray[np.generic]],
                  fast_scratch_size: int = 0) -> list[npt.NDArray[np.generic]]:
    """One delegate call on the model, with memory set up as ExecuTorch's Ethos-U backend does:
    region 0 the weights, region 1 the scratch, region 2 `fast_scratch_size` bytes of fast scratch,
    and any further region an input or output names (direct drive gives the I/O regions of their
    own) sized to hold what it names."""
    blob = lib.parse_blob(blob_bytes)
    if len(blob.inputs) != len(inputs) or len(blob.outputs) != len(outputs_like):
        raise ValueError(f"the blob has {len(blob.inputs)} inputs and {len(blob.outputs)} outputs, the call "
                         f"{len(inputs)} and {len(outputs_like)}")
    sizes = {SCRATCH_REGION: blob.scratch_size, FAST_SCRATCH_REGION: fast_scratch_size}
    for info in (*blob.inputs, *blob.outputs):
        if info.region in (WEIGHTS_REGION, FAST_SCRATCH_REGION):
            raise ValueError(f"an input or output in region {info.region}, which holds no I/O: {info}")
        if info.region != SCRATCH_REGION:
            sizes[info.region] = max(sizes.get(info.region, 0), info.offset + info.size)
    weights = np.frombuffer(blob.weight_data or b"\0", dtype=np.uint8).copy()
    regions = [weights] + [np.zeros(sizes.get(region, 0), dtype=np.uint8) for region in range(1, max(sizes) + 1)]
    for index, (info, array) in enumerate(zip(blob.inputs, inputs, strict=True)):
        data = np.ascontiguousarray(array).tobytes()
        if len(data) != info.size:
            raise ValueError(f"input {index}: {len(data)} bytes for {info}")
        regions[info.region][info.offset:info.offset + len(data)] = np.frombuffer(data, dtype=np.uint8)
    lib.execute(blob.cmd_data, regions)
    results = []
    for index, (info, like) in enumerate(zip(blob.outputs, outputs_like, strict=True)):
        if info.size != like.nbytes:
            raise ValueError(f"output {index}: {like.nbytes} bytes expected, the blob says {info}")
        data = regions[info.region][info.offset:info.offset + info.size].tobytes()
        results.append(np.frombuffer(data, dtype=like.dtype).reshape(like.shape))
    return results


def max_steps(got: npt.NDArray[np.generic], want: npt.NDArray[np.generic]) -> int:
    """The largest difference in quantization steps (integer units)."""
    return int(np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0))
