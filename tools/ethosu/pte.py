"""The Ethos-U delegate blobs of a .pte, exactly as ExecuTorch's runtime receives them."""

from typing import Any

ETHOS_U_BACKEND = "EthosUBackend"


def delegate_blobs(program: bytes) -> list[bytes]:
    """Every EthosUBackend delegate's processed bytes, in execution-plan order."""
    from executorch.exir._serialize._program import deserialize_pte_binary

    pte: Any = deserialize_pte_binary(program)
    blobs = []
    for plan in pte.program.execution_plan:
        for delegate in plan.delegates:
            if delegate.id == ETHOS_U_BACKEND:
                blobs.append(bytes(pte.program.backend_delegate_data[delegate.processed.index].data))
    return blobs
