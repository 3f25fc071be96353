"""Per U55 coverage entry: the largest difference of its delegated partitions on the functional
model from the TOSA reference model, in quantization steps (0: bit-exact). Measured; a change in
either direction fails //tests/ethos_u:u55_<entry>_npu until recorded here."""

NPU_MAX_STEPS = {
    "abs": 0,
    "add": 0,
    "avg_pool2d": 0,
    "clamp": 0,
    "conv1d": 0,
    "conv2d": 0,
    "conv2d_relu": 0,
    "conv_net": 0,
    "depthwise_conv2d": 0,
    "ds_cnn": 0,
    "hardswish": 0,
    "layer_norm": 0,
    "leaky_relu": 0,
    "linear": 0,
    "max_pool2d": 0,
    "maximum": 0,
    "mean": 0,
    "mobilenet_v2": 0,
    "mul": 0,
    "permute": 0,
    "relu": 0,
    "resnet8": 0,
    "sigmoid": 0,
    "softmax": 0,
    "sub": 0,
    "tanh": 0,
    "upsample_nearest2d": 0,
}
