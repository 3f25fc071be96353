"""Per U55 coverage entry: the largest difference of its delegated partitions on the functional
model from the TOSA reference model, in quantization steps (0: bit-exact). Measured; a change in
either direction fails //tests/ethos_u:u55_<entry>_npu until recorded here."""

NPU_MAX_STEPS = {
    "add": 0,
    "avg_pool2d": 0,
    "conv2d": 0,
    "conv_net": 0,
    "depthwise_conv2d": 0,
    "max_pool2d": 0,
    "mul": 0,
    "sigmoid": 0,
}
