"""The model's operations against numpy references, on command streams Vela's public API generates.

Each case builds one NPU operation with ethosu.vela.api (weights through
npu_encode_weights, bias/scale records through npu_encode_bias), has Vela emit
the register command stream and driver payload, runs it on the model, and
compares the OFM bytes with a reference written from the operation's
definition: integer accumulation from zero-point-corrected inputs, then the
output stage (bias, scale, shift and rounding, zero point, clamp). Sizes,
strides, padding, dilation, zero points, rounding modes, layouts (NHWC and
NHCWB16), tiles and accelerator configurations are swept with a fixed seed.
"""

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from absl import flags
from absl.testing import absltest
from ethosu import mlw_codec
from ethosu.vela import api, numeric_util, scaling

from tools.ethosu import model

_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so.", required=True)

IntArray = npt.NDArray[np.int64]
ACCELERATORS = (api.NpuAccelerator.Ethos_U55_32, api.NpuAccelerator.Ethos_U55_128, api.NpuAccelerator.Ethos_U55_256)
DTYPES: dict[api.NpuDataType, type[np.integer[Any]]] = {
    api.NpuDataType.INT8: np.int8,
    api.NpuDataType.UINT8: np.uint8,
    api.NpuDataType.INT16: np.int16,
    api.NpuDataType.INT32: np.int32,
}
OFM_ADDRESS = 1 << 16
IFM2_ADDRESS = 1 << 15
SCRATCH_SIZE = 1 << 17


def scale_round(acc: int, scale: int, shift: int, rounding: api.NpuRoundingMode) -> int:
    """acc * scale / 2^shift as the output stage rounds it (exact integers)."""
    product = acc * scale
    if shift == 0:
        return product
    if rounding == api.NpuRoundingMode.TRUNCATE:
        return product >> shift if product >= 0 else -((-product) >> shift)
    rounder = 1 << (shift - 1)
    if rounding == api.NpuRoundingMode.TFL and shift > 31:
        rounder += (1 << 30) if acc >= 0 else -(1 << 30)
    return (product + rounder) >> shift


def dtype_range(data_type: api.NpuDataType) -> tuple[int, int]:
    bits = np.dtype(DTYPES[data_type]).itemsize * 8
    if data_type == api.NpuDataType.UINT8:
        return 0, 255
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def fm_bytes(values: IntArray, data_type: api.NpuDataType, layout: api.NpuLayout) -> bytes:
    """An HWC volume as the NPU stores it (NHCWB16: 16-channel bricks, zero-padded)."""
    h, w, c = values.shape
    typed = values.astype(DTYPES[data_type])
    if layout == api.NpuLayout.NHWC:
        return typed.tobytes()
    bricks = (c + 15) // 16
    padded = np.zeros((h, w, bricks * 16), dtype=typed.dtype)
    padded[:, :, :c] = typed
    return padded.reshape(h, w, bricks, 16).transpose(0, 2, 1, 3).tobytes()


def fm_from_bytes(data: bytes, shape: tuple[int, int, int], data_type: api.NpuDataType,
                  layout: api.NpuLayout) -> IntArray:
    h, w, c = shape
    dtype = DTYPES[data_type]
    if layout == api.NpuLayout.NHWC:
        return np.frombuffer(data, dtype=dtype, count=h * w * c).reshape(h, w, c).astype(np.int64)
    bricks = (c + 15) // 16
    volume = np.frombuffer(data, dtype=dtype, count=h * w * bricks * 16).reshape(h, bricks, w, 16)
    return volume.transpose(0, 2, 1, 3).reshape(h, w, bricks * 16)[:, :, :c].astype(np.int64)


def fm_size(shape: tuple[int, int, int], data_type: api.NpuDataType, layout: api.NpuLayout) -> int:
    h, w, c = shape
    depth = c if layout == api.NpuLayout.NHWC else (c + 15) // 16 * 16
    return h * w * depth * np.dtype(DTYPES[data_type]).itemsize


def feature_map(shape: tuple[int, int, int], data_type: api.NpuDataType, layout: api.NpuLayout, address: int,
                zero_point: int, scale: float = 1.0) -> api.NpuFeatureMap:
    fm = api.NpuFeatureMap()
    fm.data_type = data_type
    fm.region = 1
    fm.shape = api.NpuShape3D(*shape)
    fm.tiles = api.NpuTileBox(height_0=shape[0], height_1=shape[0], width_0=shape[1], addresses=[address, 0, 0, 0])
    fm.quantization = api.NpuQuantization(scale_f32=scale, zero_point=zero_point)
    fm.layout = layout
    return fm


class Case:
    """One operation: its command stream, memory and reference output."""

    def __init__(self, accelerator: api.NpuAccelerator) -> None:
        self.accelerator = accelerator
        self.weights = bytearray()
        self.scratch = np.zeros(SCRATCH_SIZE, dtype=np.uint8)

    def place_weights(self, data: bytes) -> api.NpuAddressRange:
        """Region 0 at a 16-byte boundary, padded to a multiple of 16 bytes as the NPU requires."""
        address = len(self.weights)
        self.weights += data + bytes(-len(data) % 16)
        return api.NpuAddressRange(region=0, address=address, length=len(data) + (-len(data) % 16))

    def put(self, address: int, data: bytes) -> None:
        self.scratch[address:address + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def run(self, lib: model.EthosUModel, op: api.NpuBlockOperation) -> bytes:
        stream = api.npu_generate_register_command_stream([op], self.accelerator)
        payload = api.npu_create_driver_payload(stream, self.accelerator)
        regions = [np.frombuffer(bytes(self.weights) or b"\0", dtype=np.uint8).copy(), self.scratch]
        lib.execute(payload, regions)
        return self.scratch[OFM_ADDRESS:].tobytes()


class OperationsTest(absltest.TestCase):
    def setUp(self) -> None:
        self.lib = model.EthosUModel(_MODEL_LIBRARY.value)
        self.rng = np.random.default_rng(20261202)

    def values(self, shape: tuple[int, ...], data_type: api.NpuDataType) -> IntArray:
        low, high = dtype_range(data_type)
        return self.rng.integers(low, high + 1, size=shape, dtype=np.int64)

    def output_stage(self, acc: IntArray, scales: list[tuple[int, int]], bias: list[int], zero_point: int,
                     rounding: api.NpuRoundingMode, data_type: api.NpuDataType,
                     clamp: tuple[int, int] | None = None) -> IntArray:
        low, high = dtype_range(data_type)
        if clamp is not None:
            low, high = max(low, clamp[0]), min(high, clamp[1])
        out = np.zeros(acc.shape, dtype=np.int64)
        for index in np.ndindex(*acc.shape):
            c = index[-1]
            scale, shift = scales[c if len(scales) > 1 else 0]
            value = scale_round(int(acc[index]) + bias[c if len(bias) > 1 else 0], scale, shift, rounding)
            out[index] = min(max(value + zero_point, low), high)
        return out

    def check(self, name: str, got: IntArray, want: IntArray) -> None:
        mismatches = np.argwhere(got != want)
        self.assertEqual(
            len(mismatches), 0,
            f"{name}: {len(mismatches)} of {want.size} differ, first at {mismatches[:1].tolist()}: "
            f"model {got[tuple(mismatches[0])] if len(mismatches) else None} != "
            f"reference {want[tuple(mismatches[0])] if len(mismatches) else None}",
        )

    # -- convolutions ------------------------------------------------------

    def convolution(self, accelerator: api.NpuAccelerator, ifm_shape: tuple[int, int, int], ofm_depth: int,
                    kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                    padding: tuple[int, int, int, int], depthwise: bool, layouts: tuple[api.NpuLayout, api.NpuLayout],
                    ifm_type: api.NpuDataType, rounding: api.NpuRoundingMode,
                    traversal: api.NpuBlockTraversal, activation: tuple[float, float] | None = None) -> None:
        if depthwise:
            ofm_depth = ifm_shape[2]
        name = (f"{'depthwise' if depthwise else 'conv'} {accelerator.name} ifm={ifm_shape} ofm_c={ofm_depth} "
                f"k={kernel} s={stride} d={dilation} pad={padding} {layouts[0].name}->{layouts[1].name} "
                f"{ifm_type.name} {rounding.name} {traversal.name} activation={activation}")
        kh, kw = kernel
        (sy, sx), (dy, dx) = stride, dilation
        top, left, bottom, right = padding
        h, w, c = ifm_shape
        oh = (h + top + bottom - dy * (kh - 1) - 1) // sy + 1
        ow = (w + left + right - dx * (kw - 1) - 1) // sx + 1
        ofm_type = api.NpuDataType.INT8
        ifm_zp = int(self.rng.integers(-20, 20)) if ifm_type != api.NpuDataType.INT16 else 0
        ofm_zp = int(self.rng.integers(-20, 20))
        ifm = self.values(ifm_shape, ifm_type)
        weights = self.rng.integers(-127, 128, size=(ofm_depth, kh, kw, 1 if depthwise else c), dtype=np.int64)
        bias = [int(b) for b in self.rng.integers(-5000, 5000, size=ofm_depth)]
        scales = [(int(self.rng.integers(1 << 29, 1 << 31)), int(self.rng.integers(36, 44))) for _ in range(ofm_depth)]

        case = Case(accelerator)
        op: api.NpuBlockOperation = api.NpuConvDepthWiseOperation() if depthwise else api.NpuConv2DOperation()
        op.ifm = feature_map(ifm_shape, ifm_type, layouts[0], 0, ifm_zp)
        op.ofm = feature_map((oh, ow, ofm_depth), ofm_type, layouts[1], OFM_ADDRESS, ofm_zp)
        op.kernel = api.NpuKernel(kw, kh, sx, sy, dx, dy)
        op.padding = api.NpuPadding(top=top, left=left, bottom=bottom, right=right)
        op.rounding_mode = rounding
        clamp = None
        if activation is not None:
            # A fused activation's range, quantized as Vela does (OFM scale 1).
            op.activation = api.NpuActivation(api.NpuActivationOp.NONE_OR_RELU)
            op.activation.min, op.activation.max = activation
            clamp = (int(numeric_util.quantise_float32(activation[0], 1.0, ofm_zp)),
                     int(numeric_util.quantise_float32(activation[1], 1.0, ofm_zp)))
        if not depthwise:
            assert isinstance(op, api.NpuConv2DOperation)
            op.block_traversal = traversal
        op.block_config = api.npu_find_block_configs(op, accelerator)[-1]
        encoded = api.npu_encode_weights(accelerator, weights.astype(np.int16), (dx, dy),
                                         np.dtype(DTYPES[ifm_type]).itemsize * 8, op.block_config.depth, depthwise,
                                         traversal if not depthwise else api.NpuBlockTraversal.DEPTH_FIRST)
        op.weights = [case.place_weights(bytes(encoded))]
        records = b"".join(bytes(api.npu_encode_bias(np.int64(b), s, sh)) for b, (s, sh) in zip(bias, scales,
                                                                                                  strict=True))
        op.biases = [case.place_weights(records)]
        case.put(0, fm_bytes(ifm, ifm_type, layouts[0]))
        out = case.run(self.lib, op)

        padded = np.zeros((h + top + bottom, w + left + right, c), dtype=np.int64)
        padded[top:top + h, left:left + w] = ifm - ifm_zp
        acc = np.zeros((oh, ow, ofm_depth), dtype=np.int64)
        for y, x in itertools.product(range(oh), range(ow)):
            window = padded[y * sy:y * sy + dy * (kh - 1) + 1:dy, x * sx:x * sx + dx * (kw - 1) + 1:dx]
            if depthwise:
                acc[y, x] = np.einsum("hwc,chw->c", window, weights[:, :, :, 0])
            else:
                acc[y, x] = np.einsum("hwi,ohwi->o", window, weights)
        want = self.output_stage(acc, scales, bias, ofm_zp, rounding, ofm_type, clamp)
        got = fm_from_bytes(out, (oh, ow, ofm_depth), ofm_type, layouts[1])
        self.check(name, got, want)

    def test_conv2d(self) -> None:
        nhwc, brick = api.NpuLayout.NHWC, api.NpuLayout.NHCWB16
        cases = [
            # accelerator, ifm, ofm_c, kernel, stride, dilation, padding, layouts, ifm type, rounding, traversal
            (ACCELERATORS[1], (1, 1, 1), 1, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (nhwc, nhwc), "INT8", "TFL", "D"),
            (ACCELERATORS[1], (5, 7, 3), 5, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), (nhwc, nhwc), "INT8", "TFL", "P"),
            (ACCELERATORS[1], (9, 8, 19), 21, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), (brick, brick), "INT8", "NATURAL",
             "D"),
            (ACCELERATORS[2], (8, 9, 33), 17, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (nhwc, brick), "INT8", "TRUNCATE",
             "D"),
            (ACCELERATORS[0], (10, 10, 8), 12, (3, 2), (1, 2), (2, 1), (2, 1, 2, 0), (brick, nhwc), "UINT8", "TFL",
             "P"),
            (ACCELERATORS[2], (6, 6, 16), 40, (5, 5), (3, 3), (1, 1), (2, 2, 2, 2), (nhwc, nhwc), "INT8", "NATURAL",
             "P"),
            (ACCELERATORS[1], (12, 12, 4), 8, (9, 9), (1, 1), (1, 1), (4, 4, 4, 4), (nhwc, nhwc), "INT8", "TFL", "D"),
            (ACCELERATORS[1], (6, 5, 24), 16, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), (nhwc, brick), "INT16", "TFL",
             "D"),
        ]
        traversals = {"D": api.NpuBlockTraversal.DEPTH_FIRST, "P": api.NpuBlockTraversal.PART_KERNEL_FIRST}
        for acc_, ifm, ofm_c, k, s, d, pad, layouts, ifm_type, rounding, traversal in cases:
            self.convolution(acc_, ifm, ofm_c, k, s, d, pad, False, layouts, api.NpuDataType[ifm_type],
                             api.NpuRoundingMode[rounding], traversals[traversal])
        # Fused activations clamp in the OFM's quantized domain.
        for activation in ((0.0, 6.0), (-5.0, 40.0)):
            self.convolution(ACCELERATORS[1], (5, 5, 8), 9, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), False,
                             (nhwc, nhwc), api.NpuDataType.INT8, api.NpuRoundingMode.TFL,
                             api.NpuBlockTraversal.DEPTH_FIRST, activation)

    def test_depthwise(self) -> None:
        nhwc, brick = api.NpuLayout.NHWC, api.NpuLayout.NHCWB16
        for acc_, ifm, k, s, d, pad, layouts, rounding in [
            (ACCELERATORS[1], (1, 1, 1), (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (nhwc, nhwc), "TFL"),
            (ACCELERATORS[1], (7, 6, 5), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), (nhwc, nhwc), "NATURAL"),
            (ACCELERATORS[2], (9, 9, 35), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), (brick, brick), "TFL"),
            (ACCELERATORS[0], (8, 8, 17), (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), (nhwc, brick), "TRUNCATE"),
            (ACCELERATORS[1], (5, 9, 16), (2, 5), (1, 2), (1, 1), (0, 2, 1, 2), (brick, nhwc), "TFL"),
        ]:
            self.convolution(acc_, ifm, 0, k, s, d, pad, True, layouts, api.NpuDataType.INT8,
                             api.NpuRoundingMode[rounding], api.NpuBlockTraversal.DEPTH_FIRST)

    # -- pooling -----------------------------------------------------------

    def pooling(self, accelerator: api.NpuAccelerator, mode: api.NpuPoolingOp, ifm_shape: tuple[int, int, int],
                kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int, int, int],
                layouts: tuple[api.NpuLayout, api.NpuLayout], data_type: api.NpuDataType,
                scales: tuple[float, float], rounding: api.NpuRoundingMode) -> None:
        name = f"pool {mode.name} {accelerator.name} ifm={ifm_shape} k={kernel} s={stride} pad={padding} " \
               f"{layouts[0].name}->{layouts[1].name} {data_type.name} scales={scales} {rounding.name}"
        kh, kw = kernel
        sy, sx = stride
        top, left, bottom, right = padding
        h, w, c = ifm_shape
        oh, ow = (h + top + bottom - kh) // sy + 1, (w + left + right - kw) // sx + 1
        ofm_c = 1 if mode == api.NpuPoolingOp.REDUCE_SUM else c
        ofm_type = api.NpuDataType.INT32 if mode == api.NpuPoolingOp.REDUCE_SUM else data_type
        ifm_zp, ofm_zp = (int(self.rng.integers(-10, 10)), int(self.rng.integers(-10, 10)))
        if data_type == api.NpuDataType.UINT8:
            ifm_zp, ofm_zp = ifm_zp + 100, ofm_zp + 100
        if ofm_type == api.NpuDataType.INT32:
            ofm_zp = 0
        ifm = self.values(ifm_shape, data_type)
        case = Case(accelerator)
        op = api.NpuPoolingOperation(mode)
        op.ifm = feature_map(ifm_shape, data_type, layouts[0], 0, ifm_zp, scales[0])
        op.ofm = feature_map((oh, ow, ofm_c), ofm_type, layouts[1], OFM_ADDRESS, ofm_zp, scales[1])
        op.kernel = api.NpuKernel(kw, kh, sx, sy)
        op.padding = api.NpuPadding(top=top, left=left, bottom=bottom, right=right)
        op.rounding_mode = rounding
        op.block_config = api.npu_find_block_configs(op, accelerator)[0]
        case.put(0, fm_bytes(ifm, data_type, layouts[0]))
        out = case.run(self.lib, op)

        valid = np.zeros((h + top + bottom, w + left + right), dtype=bool)
        valid[top:top + h, left:left + w] = True
        padded = np.zeros((h + top + bottom, w + left + right, c), dtype=np.int64)
        padded[top:top + h, left:left + w] = ifm - ifm_zp
        acc = np.zeros((oh, ow, ofm_c), dtype=np.int64)
        global_scale = mode != api.NpuPoolingOp.MAX and sum(padding) == 0
        for y, x in itertools.product(range(oh), range(ow)):
            window = padded[y * sy:y * sy + kh, x * sx:x * sx + kw]
            inside = valid[y * sy:y * sy + kh, x * sx:x * sx + kw]
            if mode == api.NpuPoolingOp.MAX:
                acc[y, x] = window[inside].max(axis=0)
            elif mode == api.NpuPoolingOp.REDUCE_SUM:
                acc[y, x] = window[inside].sum()
            elif global_scale:
                acc[y, x] = window[inside].sum(axis=0)
            else:
                # Average with padding: the NPU divides by the elements inside
                # the IFM, rounding half away from zero.
                total, count = window[inside].sum(axis=0), int(inside.sum())
                acc[y, x] = np.where(total >= 0, (total + count // 2) // count, -((-total + count // 2) // count))
        if global_scale:
            # The OFM_SCALE Vela derives for this pooling (register_command_stream_generator).
            rescale = scales[0] / scales[1]
            bits = 0
            if kh == kw == 1:
                bits = len(bin(int(np.ceil(rescale)))) - 2 + 1 if rescale > 1 else (
                    -(len(bin(int(np.ceil(1 / rescale)))) - 2 - 1) if rescale < 1 else 0)
            scale, shift = scaling.quantise_pooling_scale(kh * kw, bits)
            scale = int(numeric_util.round_away_zero(scale * np.double(rescale)))
            want = self.output_stage(acc, [(scale, shift)], [0], ofm_zp, rounding, ofm_type)
        else:
            want = self.output_stage(acc, [(1, 0)], [0], ofm_zp, rounding, ofm_type)
        self.check(name, fm_from_bytes(out, (oh, ow, ofm_c), ofm_type, layouts[1]), want)

    def test_pooling(self) -> None:
        nhwc, brick = api.NpuLayout.NHWC, api.NpuLayout.NHCWB16
        i8, u8 = api.NpuDataType.INT8, api.NpuDataType.UINT8
        for acc_, mode, ifm, k, s, pad, layouts, dtype, scales, rounding in [
            (ACCELERATORS[1], "MAX", (1, 1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (nhwc, nhwc), i8, (1.0, 1.0), "TFL"),
            (ACCELERATORS[1], "MAX", (9, 8, 19), (3, 3), (2, 2), (1, 1, 1, 1), (brick, nhwc), i8, (1.0, 1.0), "TFL"),
            (ACCELERATORS[0], "MAX", (6, 7, 5), (2, 3), (2, 1), (0, 1, 0, 1), (nhwc, brick), u8, (1.0, 1.0), "TFL"),
            (ACCELERATORS[1], "AVERAGE", (8, 8, 21), (2, 2), (2, 2), (0, 0, 0, 0), (nhwc, nhwc), i8, (0.5, 0.5),
             "TFL"),
            (ACCELERATORS[2], "AVERAGE", (7, 7, 16), (3, 3), (1, 1), (0, 0, 0, 0), (brick, brick), i8, (0.2, 0.3),
             "NATURAL"),
            (ACCELERATORS[1], "AVERAGE", (5, 6, 3), (1, 1), (1, 1), (0, 0, 0, 0), (nhwc, nhwc), i8, (0.02, 0.05),
             "TFL"),
            (ACCELERATORS[1], "AVERAGE", (6, 6, 9), (3, 3), (1, 1), (1, 1, 1, 1), (nhwc, nhwc), i8, (1.0, 1.0),
             "TFL"),
            (ACCELERATORS[1], "REDUCE_SUM", (4, 5, 23), (1, 1), (1, 1), (0, 0, 0, 0), (nhwc, nhwc), i8, (1.0, 1.0),
             "TFL"),
        ]:
            self.pooling(acc_, api.NpuPoolingOp[mode], ifm, k, s, pad, layouts, dtype, scales,
                         api.NpuRoundingMode[rounding])

    # -- elementwise -------------------------------------------------------

    def elementwise(self, accelerator: api.NpuAccelerator, mode: api.NpuElementWiseOp, shape: tuple[int, int, int],
                    ifm2_shape: tuple[int, int, int] | None, scalar: float | None, reversed_operands: bool,
                    scales: tuple[float, float, float], layouts: tuple[api.NpuLayout, api.NpuLayout],
                    data_type: api.NpuDataType, rounding: api.NpuRoundingMode) -> None:
        name = (f"elementwise {mode.name} {accelerator.name} {shape} ifm2={ifm2_shape} scalar={scalar} "
                f"reversed={reversed_operands} scales={scales} {layouts[0].name}->{layouts[1].name} "
                f"{data_type.name} {rounding.name}")
        zps = [int(z) for z in self.rng.integers(-10, 10, size=3)]
        if data_type == api.NpuDataType.INT16:
            zps = [0, 0, 0]
        a = self.values(shape, data_type)
        case = Case(accelerator)
        op = api.NpuElementWiseOperation(mode)
        op.ifm = feature_map(shape, data_type, layouts[0], 0, zps[0], scales[0])
        op.ofm = feature_map(shape, data_type, layouts[1], OFM_ADDRESS, zps[2], scales[2])
        op.rounding_mode = rounding
        op.reversed_operands = reversed_operands
        case.put(0, fm_bytes(a, data_type, layouts[0]))
        b: IntArray
        if ifm2_shape is not None or scalar is not None:
            op.ifm2 = feature_map(ifm2_shape or (1, 1, 1), data_type, layouts[0], IFM2_ADDRESS, zps[1], scales[1])
            if scalar is not None:
                op.ifm2_scalar = scalar
                quantised = int(numeric_util.quantise_float32(scalar, scales[1], zps[1]))
                b = np.full((1, 1, 1), quantised, dtype=np.int64)
            else:
                assert ifm2_shape is not None
                b = self.values(ifm2_shape, data_type)
                case.put(IFM2_ADDRESS, fm_bytes(b, data_type, layouts[0]))
        else:
            b = np.zeros((1, 1, 1), dtype=np.int64)
            zps[1] = 0
        op.block_config = api.npu_find_block_configs(op, accelerator)[0]
        out = case.run(self.lib, op)

        first = a - zps[0]
        second = np.broadcast_to(b - zps[1], shape)
        x, y = (second, first) if reversed_operands else (first, second)
        bits = np.dtype(DTYPES[data_type]).itemsize * 8
        if mode in (api.NpuElementWiseOp.ADD, api.NpuElementWiseOp.SUB):
            sign = 1 if mode == api.NpuElementWiseOp.ADD else -1
            s1, s2, so = scales if not reversed_operands else (scales[1], scales[0], scales[2])
            if s1 == s2 and bits == 8:
                # Vela's simplified scaling: both operands times a 16-bit scale.
                opa, opb, ofm_scale, shift = scaling.simplified_elementwise_add_sub_scale(s1, s2, so)
                if int(ofm_scale) & 0xFFF == 0:
                    acc = x * int(opa) + sign * y * int(opb)
                    want = self.output_stage(acc, [(int(ofm_scale), shift)], [0], zps[2], rounding, data_type)
                    self.check(name, fm_from_bytes(out, shape, data_type, layouts[1]), want)
                    return
            # Vela's advanced scaling: one operand scaled by the 32-bit OPA
            # scale, the other aligned by 2^(input shift - 1).
            in_scale, in_shift, ofm_scale, shift, which = scaling.advanced_elementwise_add_sub_scale(s1, s2, so, bits)
            unscaled_shift = (20 if bits == 8 else 15) - 1
            scale_x = which == scaling.OperandToScale.OPa
            xs = np.vectorize(lambda v: scale_round(int(v), in_scale, in_shift, rounding))(x) if scale_x \
                else x << unscaled_shift
            ys = y << unscaled_shift if scale_x else \
                np.vectorize(lambda v: scale_round(int(v), in_scale, in_shift, rounding))(y)
            acc = xs + sign * ys
            want = self.output_stage(acc, [(ofm_scale, shift)], [0], zps[2], rounding, data_type)
        elif mode == api.NpuElementWiseOp.MUL:
            ofm_scale, shift = scaling.elementwise_mul_scale(scales[0], scales[1], scales[2])
            want = self.output_stage(x * y, [(ofm_scale, shift)], [0], zps[2], rounding, data_type)
        elif mode in (api.NpuElementWiseOp.MIN, api.NpuElementWiseOp.MAX):
            pick: Callable[[IntArray, IntArray], IntArray] = np.minimum if mode == api.NpuElementWiseOp.MIN \
                else np.maximum
            want = self.output_stage(pick(x, y), [(1, 0)], [0], zps[2], rounding, data_type)
        else:
            assert mode == api.NpuElementWiseOp.ABS
            ofm_scale, shift = scaling.quantise_scale(scales[2])
            want = self.output_stage(np.abs(first), [(ofm_scale, shift)], [0], zps[2], rounding, data_type)
        self.check(name, fm_from_bytes(out, shape, data_type, layouts[1]), want)

    def test_elementwise(self) -> None:
        nhwc, brick = api.NpuLayout.NHWC, api.NpuLayout.NHCWB16
        i8, i16 = api.NpuDataType.INT8, api.NpuDataType.INT16
        op = api.NpuElementWiseOp
        for acc_, mode, shape, ifm2, scalar, rev, scales, layouts, dtype, rounding in [
            (ACCELERATORS[1], op.ADD, (1, 1, 1), (1, 1, 1), None, False, (0.1, 0.1, 0.2), (nhwc, nhwc), i8, "TFL"),
            (ACCELERATORS[1], op.ADD, (5, 6, 19), (5, 6, 19), None, False, (0.1, 0.13, 0.2), (nhwc, nhwc), i8,
             "NATURAL"),
            (ACCELERATORS[2], op.ADD, (4, 7, 33), (4, 7, 33), None, True, (0.3, 0.07, 0.2), (brick, brick), i8,
             "TFL"),
            (ACCELERATORS[0], op.SUB, (6, 5, 7), (1, 5, 7), None, False, (0.1, 0.11, 0.3), (nhwc, nhwc), i8, "TFL"),
            (ACCELERATORS[1], op.SUB, (6, 5, 18), (6, 1, 1), None, True, (0.05, 0.05, 0.1), (nhwc, brick), i8,
             "TFL"),
            (ACCELERATORS[1], op.ADD, (3, 4, 5), None, 1.5, False, (0.1, 0.1, 0.2), (nhwc, nhwc), i8, "TFL"),
            (ACCELERATORS[1], op.ADD, (3, 4, 24), (3, 4, 24), None, False, (0.001, 0.002, 0.003), (nhwc, nhwc), i16,
             "TFL"),
            (ACCELERATORS[1], op.MUL, (5, 5, 17), (5, 5, 17), None, False, (0.1, 0.2, 0.5), (nhwc, brick), i8,
             "TFL"),
            (ACCELERATORS[2], op.MUL, (4, 3, 9), (1, 1, 9), None, True, (0.05, 0.1, 0.02), (nhwc, nhwc), i8,
             "NATURAL"),
            (ACCELERATORS[1], op.MUL, (2, 3, 4), None, -2.0, False, (0.1, 0.05, 0.3), (nhwc, nhwc), i8, "TFL"),
            (ACCELERATORS[1], op.MIN, (5, 4, 20), (5, 4, 20), None, False, (0.1, 0.1, 0.1), (brick, nhwc), i8,
             "TFL"),
            (ACCELERATORS[0], op.MAX, (3, 3, 3), (3, 3, 1), None, False, (0.1, 0.1, 0.1), (nhwc, nhwc), i8, "TFL"),
            (ACCELERATORS[1], op.ABS, (4, 4, 6), None, None, False, (0.1, 0.1, 0.1), (nhwc, nhwc), i8, "TFL"),
        ]:
            self.elementwise(acc_, mode, shape, ifm2, scalar, rev, scales, layouts, dtype,
                             api.NpuRoundingMode[rounding])

    # -- DMA and the weight codec --------------------------------------------

    def test_dma(self) -> None:
        case = Case(ACCELERATORS[1])
        data = self.rng.integers(0, 256, size=304, dtype=np.uint8).tobytes()
        source = case.place_weights(data)
        dma = api.NpuDmaOperation(source, api.NpuAddressRange(region=1, address=OFM_ADDRESS + 64, length=len(data)))
        stream = api.npu_generate_register_command_stream([dma], case.accelerator)
        payload = api.npu_create_driver_payload(stream, case.accelerator)
        regions = [np.frombuffer(bytes(case.weights), dtype=np.uint8).copy(), case.scratch]
        self.lib.execute(payload, regions)
        self.assertEqual(case.scratch[OFM_ADDRESS + 64:OFM_ADDRESS + 64 + len(data)].tobytes(), data)
        self.assertFalse(case.scratch[:OFM_ADDRESS + 64].any() or case.scratch[OFM_ADDRESS + 64 + len(data):].any())

    def test_weight_decoder_matches_vela_codec(self) -> None:
        distributions: list[Callable[[int], IntArray]] = [
            lambda n: self.rng.integers(-255, 256, size=n, dtype=np.int64),  # wide: no palette
            lambda n: self.rng.integers(-3, 4, size=n, dtype=np.int64),  # narrow: palette
            lambda n: np.where(self.rng.random(n) < 0.8, 0, self.rng.integers(-100, 100, size=n)),  # zero runs
            lambda n: np.zeros(n, dtype=np.int64),
        ]
        for distribution, size in itertools.product(distributions, (1, 7, 64, 1000, 20000)):
            weights = [int(v) for v in distribution(size)]
            encoded = bytes(mlw_codec.encode(weights))
            self.assertEqual(list(mlw_codec.decode(bytearray(encoded))), weights)
            self.assertEqual(self.lib.decode_weights(encoded).tolist(), weights, f"{size} weights")


if __name__ == "__main__":
    absltest.main()
