#include "runtime/ethos_u/weights_u85.h"

#include <algorithm>
#include <string>

#include "runtime/ethos_u/error.h"

namespace ethos_u {
namespace {

[[noreturn]] void Fail(const std::string& message) { throw Error(ErrorKind::kCommandStream, "U85 weights: " + message); }

constexpr int kInterleave = 4;  // OFM channels fed together inside a micro-block

int64_t SignExtendBits(uint32_t value, int bits) {
    const uint32_t sign = uint32_t{1} << (bits - 1);
    return static_cast<int64_t>(value ^ sign) - static_cast<int64_t>(sign);
}

int RoundUp(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// Calls visit(ofm, ky, kx, ifm) for every weight position the U85 reads, in
// stream order, with ofm = -1 for the padding positions. One weight stream
// (one core: 128 and 256 MACs).
//
// OFM blocks; within each, the IFM blocks in alternating direction (forwards
// in even OFM blocks, backwards in odd ones); sub-kernels of at most 8x8 taps
// (over dilation); IFM micro-blocks; OFM micro-blocks; the stride phases
// (part-kernel and depthwise orders only); the taps of a phase in boustrophedon
// rows; IFM groups of 8 (16 in the 2:4 sparse order, 1 for depthwise); OFM channels in groups of 4; IFM
// channels of the group. Each sub-kernel's taps are rounded up to a multiple
// of 5 (part-kernel, 8-bit), 10 (part-kernel 16-bit, depthwise) or 1, the
// missing taps padded with zeros.
template <typename Visit>
void Traverse(const WeightLayoutU85& l, Visit&& visit) {
    const bool depthwise = l.traversal == TraversalU85::kDepthwise;
    int stride_x = l.stride_x, stride_y = l.stride_y, round = 1, ifm_ublock = l.ifm_block_depth;
    if (l.traversal == TraversalU85::kPartKernel) {
        round = (l.ifm_16bit || l.sparse) ? 10 : 5;
        ifm_ublock = (l.ifm_16bit && !l.sparse) ? 8 : l.ifm_block_depth;
    } else if (l.traversal == TraversalU85::kDepthFirst) {
        stride_x = stride_y = 1;
    } else {
        round = 10;
        ifm_ublock = 1;
    }
    const int decomp_x = 8 / l.dilation_x, decomp_y = 8 / l.dilation_y;
    const int dw_padding = (!l.ifm_16bit && l.macs <= 256) ? 0 : (l.macs <= 512 ? 2 : 6);
    const int ifm_step = depthwise ? 1 : (l.sparse ? 16 : 8);
    const int ifm_extent = depthwise ? 1 : l.ifm_depth;
    // IFM block starts, forwards; odd OFM blocks walk them backwards.
    std::vector<int> ifm_blocks;
    for (int z = 0; z < ifm_extent; z += l.ifm_block_depth) ifm_blocks.push_back(z);
    int ofm_block_index = 0;
    for (int ofm_block = 0; ofm_block < l.ofm_depth; ofm_block += l.ofm_block_depth, ++ofm_block_index) {
        const int ofm_block_depth = std::min(l.ofm_block_depth, l.ofm_depth - ofm_block);
        for (size_t b = 0; b < ifm_blocks.size(); ++b) {
            const int ifm_block = ifm_blocks[(ofm_block_index % 2 == 0) ? b : ifm_blocks.size() - 1 - b];
            const int ifm_block_depth = std::min(l.ifm_block_depth, l.ifm_depth - ifm_block);
            for (int sub_x = 0; sub_x < l.kernel_width; sub_x += decomp_x) {
                const int sub_w = std::min(l.kernel_width - sub_x, decomp_x);
                for (int sub_y = 0; sub_y < l.kernel_height; sub_y += decomp_y) {
                    const int sub_h = std::min(l.kernel_height - sub_y, decomp_y);
                    for (int ifm_outer = 0; ifm_outer < (depthwise ? 1 : ifm_block_depth); ifm_outer += ifm_ublock) {
                        for (int ofm_outer = 0; ofm_outer < ofm_block_depth; ofm_outer += l.ofm_ublock_depth) {
                            int remaining = RoundUp(sub_w * sub_h, round);
                            for (int phase_y = 0; phase_y < stride_y; ++phase_y) {
                                const int taps_h = (sub_h + stride_y - 1 - phase_y) / stride_y;
                                for (int phase_x = 0; phase_x < stride_x; ++phase_x) {
                                    const int taps_w = (sub_w + stride_x - 1 - phase_x) / stride_x;
                                    for (int ty = 0; ty < taps_h; ++ty) {
                                        for (int tx = 0; tx < taps_w; ++tx) {
                                            const int x = ty % 2 == 0 ? tx : taps_w - 1 - tx;
                                            const int ky = sub_y + phase_y + ty * stride_y;
                                            const int kx = sub_x + phase_x + x * stride_x;
                                            --remaining;
                                            for (int ifm_inner = 0; ifm_inner < ifm_ublock; ifm_inner += ifm_step) {
                                                for (int oz = 0; oz < l.ofm_ublock_depth; oz += kInterleave) {
                                                    for (int oi = 0; oi < kInterleave; ++oi) {
                                                        for (int iz = 0; iz < ifm_step; ++iz) {
                                                            const int ifm = ifm_block + ifm_outer + ifm_inner + iz;
                                                            const int ofm = ofm_block + ofm_outer + oz + oi;
                                                            const bool valid = ifm < l.ifm_depth && ofm < l.ofm_depth;
                                                            visit(valid ? ofm : -1, ky, kx, ifm);
                                                        }
                                                    }
                                                }
                                            }
                                            if (depthwise && remaining % round == 0) {
                                                for (int p = 0; p < dw_padding * l.ofm_ublock_depth; ++p) visit(-1, 0, 0, 0);
                                            }
                                        }
                                    }
                                }
                            }
                            if (remaining > 0) {
                                const int pad = (remaining + (depthwise ? dw_padding : 0)) * ifm_ublock * l.ofm_ublock_depth;
                                for (int p = 0; p < pad; ++p) visit(-1, 0, 0, 0);
                            }
                        }
                    }
                }
            }
        }
    }
}

int Unfold(uint32_t folded) {
    const int magnitude = static_cast<int>(folded >> 1);
    return (folded & 1) ? -magnitude : magnitude;
}

}  // namespace

std::vector<int16_t> DecodeFastWeightStream(const uint8_t* data, size_t size) {
    constexpr size_t kHeaderBits = 256;
    constexpr size_t kMaxWeights = size_t{1} << 26;
    const size_t total_bits = size * 8;
    if (total_bits < kHeaderBits) Fail("fast weight stream of " + std::to_string(size) + " bytes has no header");
    const auto bits = [&](size_t at, int length) {
        uint32_t value = 0;
        for (int i = 0; i < length; ++i) {
            const size_t bit = at + static_cast<size_t>(i);
            value |= static_cast<uint32_t>((data[bit / 8] >> (bit % 8)) & 1) << i;
        }
        return value;
    };
    const bool raw = bits(0, 1) != 0;
    const bool small_lut = bits(1, 1) != 0;
    const int zero_adjust = static_cast<int>(SignExtendBits(bits(104, 8), 8));
    int lut[16];
    for (int i = 0; i < 16; ++i) lut[i] = Unfold(bits(112 + 9 * static_cast<size_t>(i), 9));
    const int width = raw ? 8 : small_lut ? 2 : 4;
    const size_t count = (total_bits - kHeaderBits) / static_cast<size_t>(width);
    if (count > kMaxWeights) Fail("fast weight stream of more than " + std::to_string(kMaxWeights) + " weights");
    std::vector<int16_t> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const uint32_t v = bits(kHeaderBits + i * static_cast<size_t>(width), width);
        out.push_back(static_cast<int16_t>(raw ? SignExtendBits(v, 8) - zero_adjust : lut[v]));
    }
    return out;
}

int IfmBlockDepthU85(TraversalU85 traversal, int ifm_bits, int macs, int ofm_ublock_depth, bool sparse) {
    if (traversal == TraversalU85::kPartKernel) return 16;
    if (ifm_bits == 32 || ((macs == 128 || macs == 256) && ofm_ublock_depth == 16 && !sparse)) return 32;
    if (sparse && ifm_bits == 8) return 128;
    return 64;
}

std::vector<int16_t> WeightsToOhwiU85(const WeightLayoutU85& l, const std::vector<int16_t>& stream) {
    if (l.ofm_depth <= 0 || l.kernel_height <= 0 || l.kernel_width <= 0 || l.ifm_depth <= 0 ||
        l.ofm_block_depth <= 0 || l.ifm_block_depth <= 0 || l.ofm_ublock_depth <= 0 ||
        l.ofm_ublock_depth % kInterleave != 0 || l.stride_x <= 0 || l.stride_y <= 0 || l.dilation_x <= 0 ||
        l.dilation_y <= 0 || l.dilation_x > 8 || l.dilation_y > 8) {
        Fail("invalid weight layout");
    }
    const uint64_t volume = static_cast<uint64_t>(l.ofm_depth) * static_cast<uint64_t>(l.kernel_height) *
                            static_cast<uint64_t>(l.kernel_width) * static_cast<uint64_t>(l.ifm_depth);
    if (volume > stream.size()) {
        Fail("the stream holds " + std::to_string(stream.size()) + " weights, the kernel has " + std::to_string(volume));
    }
    std::vector<int16_t> ohwi(static_cast<size_t>(volume), 0);
    size_t cursor = 0, needed = 0;
    Traverse(l, [&](int ofm, int ky, int kx, int ifm) {
        ++needed;
        if (cursor >= stream.size()) return;
        const int16_t value = stream[cursor++];
        if (ofm < 0) return;
        ohwi[((static_cast<size_t>(ofm) * static_cast<size_t>(l.kernel_height) + static_cast<size_t>(ky)) *
                  static_cast<size_t>(l.kernel_width) +
              static_cast<size_t>(kx)) *
                 static_cast<size_t>(l.ifm_depth) +
             static_cast<size_t>(ifm)] = value;
    });
    if (needed > stream.size()) {
        Fail("the stream holds " + std::to_string(stream.size()) + " weights, the traversal needs " +
             std::to_string(needed));
    }
    return ohwi;
}

}  // namespace ethos_u
