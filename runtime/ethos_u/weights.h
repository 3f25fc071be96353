// Ethos-U55 weights: the compressed weight stream (Vela's mlw format: slices
// of Golomb-Rice coded weight indices with an optional palette and optional
// alternating zero-run coding) and the order the NPU consumes weights in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ethos_u {

// Decodes a whole stream (all its slices) into weights in stream order.
// Throws Error(kCommandStream) if the stream is malformed or ends early.
std::vector<int16_t> DecodeWeightStream(const uint8_t* data, size_t size);

// The traversal that orders weights in a stream (Vela's reorder of
// mlw_codec.reorder_encode): OFM blocks, IFM blocks, sub-kernels (at most
// decomp_h x decomp_w), OFM micro-blocks, kernel elements, IFM micro-blocks,
// then the micro-block elements; positions past an edge hold padding zeros.
struct WeightLayout {
    int ofm_depth;
    int kernel_height;
    int kernel_width;
    int ifm_depth;  // 1 for depthwise
    int ofm_block_depth;
    bool depthwise;
    bool part_kernel_first;
    int ifm_bitdepth;  // 8 or 16
    int decomp_h;
    int decomp_w;
    int ofm_ublock_depth;
    int ifm_ublock_depth;
};

// How many weights (padding included) the traversal visits.
size_t PaddedWeightCount(const WeightLayout& layout);

// Places `stream` (decoded weights in traversal order) into an OHWI volume
// [ofm_depth][kernel_height][kernel_width][ifm_depth]. Throws
// Error(kCommandStream) when the stream is shorter than the traversal.
std::vector<int16_t> WeightsToOhwi(const WeightLayout& layout, const std::vector<int16_t>& stream);

}  // namespace ethos_u
