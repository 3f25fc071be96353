"""Python access (ctypes) to the functional Ethos-U55 model in //runtime/ethos_u.

The C API (runtime/ethos_u/ethos_u_model.h) parses ExecuTorch's Ethos-U delegate
blob, disassembles its command stream, executes it on memory regions and
decodes compressed weight streams. Errors come back as EthosUError with the
model's one-line message and its code.
"""

import ctypes
import dataclasses
import pathlib

import numpy as np
import numpy.typing as npt

ERROR_NAMES = {
    1: "blob",
    2: "command stream",
    3: "memory",
    4: "unsupported",
    5: "argument",
}

_ERROR_SIZE = 1024


class EthosUError(Exception):
    """An error reported by the model: `code` is the C API's ETHOSU_ERROR_* value."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """An input or output of the delegate: where it lives in which region."""

    shape: tuple[int, ...]
    element_size: int
    offset: int
    region: int

    @property
    def size(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count * self.element_size


@dataclasses.dataclass(frozen=True)
class Blob:
    """The parsed Ethos-U delegate blob."""

    cmd_data: bytes
    weight_data: bytes
    scratch_size: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]


class _TensorInfo(ctypes.Structure):
    _fields_ = [
        ("shape", ctypes.c_int32 * 6),
        ("element_size", ctypes.c_int32),
        ("offset", ctypes.c_int32),
        ("region", ctypes.c_int32),
    ]


class _Region(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint8)), ("size", ctypes.c_uint64)]


class EthosUModel:
    """The loaded shared library (//runtime/ethos_u:libethos_u_model.so)."""

    def __init__(self, library: str | pathlib.Path) -> None:
        lib = ctypes.CDLL(str(library))
        u8p = ctypes.POINTER(ctypes.c_uint8)
        size_p = ctypes.POINTER(ctypes.c_size_t)
        lib.ethosu_blob_parse.argtypes = [u8p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                          ctypes.c_size_t]
        lib.ethosu_blob_free.argtypes = [ctypes.c_void_p]
        lib.ethosu_blob_cmd_data.argtypes = [ctypes.c_void_p, size_p]
        lib.ethosu_blob_cmd_data.restype = u8p
        lib.ethosu_blob_weight_data.argtypes = [ctypes.c_void_p, size_p]
        lib.ethosu_blob_weight_data.restype = u8p
        lib.ethosu_blob_scratch_size.argtypes = [ctypes.c_void_p]
        lib.ethosu_blob_scratch_size.restype = ctypes.c_uint32
        for name in ("input", "output"):
            count = getattr(lib, f"ethosu_blob_{name}_count")
            count.argtypes = [ctypes.c_void_p]
            count.restype = ctypes.c_size_t
            getattr(lib, f"ethosu_blob_{name}").argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                                            ctypes.POINTER(_TensorInfo)]
        lib.ethosu_disassemble.argtypes = [u8p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                           ctypes.c_size_t]
        lib.ethosu_free_text.argtypes = [ctypes.c_void_p]
        lib.ethosu_execute.argtypes = [u8p, ctypes.c_size_t, ctypes.POINTER(_Region), ctypes.c_size_t,
                                       ctypes.c_char_p, ctypes.c_size_t]
        lib.ethosu_decode_weights.argtypes = [u8p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int16), ctypes.c_size_t,
                                              size_p, ctypes.c_char_p, ctypes.c_size_t]
        self._lib = lib

    @staticmethod
    def _bytes(data: bytes) -> tuple["ctypes.Array[ctypes.c_uint8]", int]:
        return (ctypes.c_uint8 * max(1, len(data))).from_buffer_copy(data or b"\0"), len(data)

    @staticmethod
    def _check(code: int, error: "ctypes.Array[ctypes.c_char]") -> None:
        if code != 0:
            raise EthosUError(code, error.value.decode("utf-8", "replace"))

    def parse_blob(self, data: bytes) -> Blob:
        """Parses a delegate blob (arm_vela.py's block format)."""
        buffer, size = self._bytes(data)
        handle = ctypes.c_void_p()
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        self._check(self._lib.ethosu_blob_parse(buffer, size, ctypes.byref(handle), error, _ERROR_SIZE), error)
        try:
            length = ctypes.c_size_t()
            cmd = self._lib.ethosu_blob_cmd_data(handle, ctypes.byref(length))
            cmd_data = ctypes.string_at(cmd, length.value)
            weights = self._lib.ethosu_blob_weight_data(handle, ctypes.byref(length))
            weight_data = ctypes.string_at(weights, length.value)
            tensors: dict[str, tuple[TensorInfo, ...]] = {}
            for name in ("input", "output"):
                count = getattr(self._lib, f"ethosu_blob_{name}_count")(handle)
                infos = []
                for index in range(count):
                    info = _TensorInfo()
                    getattr(self._lib, f"ethosu_blob_{name}")(handle, index, ctypes.byref(info))
                    infos.append(TensorInfo(tuple(info.shape), info.element_size, info.offset, info.region))
                tensors[name] = tuple(infos)
            return Blob(cmd_data, weight_data, self._lib.ethosu_blob_scratch_size(handle), tensors["input"],
                        tensors["output"])
        finally:
            self._lib.ethosu_blob_free(handle)

    def disassemble(self, cmd_data: bytes) -> str:
        """One line per command, in the layout of Vela's --verbose-register-command-stream."""
        buffer, size = self._bytes(cmd_data)
        text = ctypes.c_void_p()
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        self._check(self._lib.ethosu_disassemble(buffer, size, ctypes.byref(text), error, _ERROR_SIZE), error)
        try:
            return ctypes.string_at(text).decode("ascii")
        finally:
            self._lib.ethosu_free_text(text)

    def execute(self, cmd_data: bytes, regions: list[npt.NDArray[np.uint8]]) -> None:
        """Runs the command stream; regions[i] (uint8, C-contiguous) is base pointer i, updated in place."""
        buffer, size = self._bytes(cmd_data)
        views = (_Region * max(1, len(regions)))()
        for index, region in enumerate(regions):
            if region.dtype != np.uint8 or not region.flags.c_contiguous or not region.flags.writeable:
                raise ValueError(f"region {index} must be a writeable, C-contiguous uint8 array")
            views[index].data = region.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
            views[index].size = region.size
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        self._check(self._lib.ethosu_execute(buffer, size, views, len(regions), error, _ERROR_SIZE), error)

    def decode_weights(self, stream: bytes) -> npt.NDArray[np.int16]:
        """Decodes a compressed weight stream into weights in stream order."""
        buffer, size = self._bytes(stream)
        count = ctypes.c_size_t()
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        null = ctypes.POINTER(ctypes.c_int16)()
        self._check(self._lib.ethosu_decode_weights(buffer, size, null, 0, ctypes.byref(count), error, _ERROR_SIZE),
                    error)
        out = np.zeros(count.value, dtype=np.int16)
        self._check(
            self._lib.ethosu_decode_weights(buffer, size, out.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)),
                                            count.value, ctypes.byref(count), error, _ERROR_SIZE),
            error,
        )
        return out
