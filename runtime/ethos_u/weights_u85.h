// Ethos-U85 weights: the order the U85 consumes a convolution's weights in.
// The compressed stream itself has the Ethos-U55's format (weights.h:
// DecodeWeightStream); the traversal differs. Facts from Vela's public
// source (ethosu/regor/architecture/ethosu85/ethos_u85_weight_encoder.cpp,
// ethos_u85.cpp's block configuration), written here as a generator of
// positions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ethos_u {

enum class TraversalU85 { kDepthFirst, kPartKernel, kDepthwise };

struct WeightLayoutU85 {
    int ofm_depth;       // output channels of this operation
    int kernel_height;   // taps (undilated)
    int kernel_width;
    int ifm_depth;       // 1 for depthwise
    int ofm_block_depth; // OFM_BLK_DEPTH_M1 + 1
    int ifm_block_depth; // from the block configuration (see IfmBlockDepthU85)
    int ofm_ublock_depth;
    int stride_y, stride_x;
    int dilation_y, dilation_x;
    bool ifm_16bit;
    int macs;
    TraversalU85 traversal;
    bool sparse;  // 2:4 sparse order (WEIGHT_FORMAT.weight_sparsity); the stream still holds every weight
};

// The IFM block depth Vela's block configuration fixes for a convolution:
// 16 with part-kernel-first order, 32 for 32-bit IFMs or (128/256 MACs with
// 16-deep OFM micro-blocks, not sparse), 128 for sparse 8-bit IFMs, otherwise 64.
int IfmBlockDepthU85(TraversalU85 traversal, int ifm_bits, int macs, int ofm_ublock_depth, bool sparse);

// Decodes a stream in the fast weight decoder format (WEIGHT_FORMAT FWD; Vela's
// mlw_encode_fwd.cpp): a 256-bit header (raw-mode flag, small-LUT flag, 102
// reserved bits, an 8-bit zero adjustment, 16 LUT entries of 9 bits with the
// sign in the low bit), then every weight as a 2-bit (small LUT) or 4-bit LUT
// index or a raw byte, little-endian bit order, padded to 256 bits. Returns
// every value the stream's bytes hold (the padding included).
std::vector<int16_t> DecodeFastWeightStream(const uint8_t* data, size_t size);

// Places `stream` (decoded weights in stream order) into an OHWI volume
// [ofm_depth][kernel_height][kernel_width][ifm_depth]. Throws
// Error(kCommandStream) when the stream is shorter than the traversal.
std::vector<int16_t> WeightsToOhwiU85(const WeightLayoutU85& layout, const std::vector<int16_t>& stream);

}  // namespace ethos_u
