#include "runtime/ethos_u/weights.h"

#include <algorithm>
#include <array>
#include <string>

#include "runtime/ethos_u/error.h"

namespace ethos_u {
namespace {

constexpr int kZdivDisable = 6;      // weights only, no alternating zero runs
constexpr int kZdivEndOfStream = 7;  // end of stream: pad to a byte boundary
constexpr int kWdivUncompressed = 7;
constexpr size_t kMaxWeights = size_t{1} << 26;  // bound on a hostile stream's output

[[noreturn]] void Fail(const std::string& message) {
    throw Error(ErrorKind::kCommandStream, "weight stream: " + message);
}

class BitReader {
  public:
    BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    // The next `bits` (0..32) bits, least significant first, a byte at a time.
    uint32_t Get(int bits) {
        uint64_t value = 0;
        int done = 0;
        while (done < bits) {
            const size_t byte = position_ >> 3;
            if (byte >= size_) Fail("ends early at byte " + std::to_string(size_));
            const int offset = static_cast<int>(position_ & 7);
            const int take = std::min(8 - offset, bits - done);
            value |= static_cast<uint64_t>((data_[byte] >> offset) & ((1u << take) - 1)) << done;
            done += take;
            position_ += static_cast<size_t>(take);
        }
        return static_cast<uint32_t>(value);
    }

    void AlignToByte() { position_ = (position_ + 7) & ~size_t{7}; }
    bool AtEnd() const { return (position_ >> 3) >= size_; }

  private:
    const uint8_t* data_;
    size_t size_;
    size_t position_ = 0;
};

// Golomb-Rice quotients of one chunk and the carry into the next.
struct Quotients {
    std::array<int64_t, 12> q{};
    int count = 0;
};

}  // namespace

std::vector<int16_t> DecodeWeightStream(const uint8_t* data, size_t size) {
    if (data == nullptr && size != 0) Fail("null data");
    BitReader bits(data, size);
    std::vector<int16_t> out;
    std::array<int16_t, 32> palette{};
    int palette_size = 0, palette_bits = 0, direct_offset = 0;
    bool need_palette = true;
    int previous_zdiv = 0;
    while (true) {
        int zdiv = static_cast<int>(bits.Get(3));
        bool at_end = false;
        while (zdiv == kZdivEndOfStream) {
            bits.AlignToByte();
            need_palette = true;
            if (bits.AtEnd()) {
                at_end = true;
                break;
            }
            zdiv = static_cast<int>(bits.Get(3));
        }
        if (at_end || bits.AtEnd()) break;
        if (zdiv > 3 && zdiv != kZdivDisable) Fail("slice has zero-run divisor " + std::to_string(zdiv));
        const bool zero_runs = zdiv != kZdivDisable;
        const int count = static_cast<int>(bits.Get(15)) + 1;
        int wdiv = static_cast<int>(bits.Get(3));
        const bool wtrunc = bits.Get(1) != 0;
        const bool new_palette = bits.Get(1) != 0;
        if (need_palette && !new_palette) Fail("slice after a stream start defines no palette");
        if (!new_palette && zero_runs != (previous_zdiv != kZdivDisable)) {
            Fail("slice changes zero-run mode without a new palette");
        }
        need_palette = false;
        previous_zdiv = zdiv;
        if (new_palette) {
            direct_offset = static_cast<int>(bits.Get(5));
            palette_size = static_cast<int>(bits.Get(5));
            if (palette_size > 0) ++palette_size;
            palette_bits = static_cast<int>(bits.Get(3)) + 2;
            for (int i = 0; i < palette_size; ++i) palette[i] = static_cast<int16_t>(bits.Get(palette_bits));
        }
        const bool uncompressed = wdiv == kWdivUncompressed;
        if (uncompressed) {
            int index_bits = 0;
            if (palette_size > 0) {
                while ((1 << index_bits) < palette_size) ++index_bits;
            } else {
                index_bits = palette_bits;
            }
            wdiv = index_bits;
        } else if (wdiv > 5) {
            Fail("slice has weight divisor " + std::to_string(wdiv));
        }

        const int z_count = count + (new_palette ? 1 : 0);
        std::vector<int64_t> w_values(static_cast<size_t>(count), 0), z_values(static_cast<size_t>(z_count), 0);
        int w_pos = 0, z_pos = 0, w_prev_pos = 0, z_prev_pos = 0;
        int64_t w_carry = 0, z_carry = 0, zero_total = 0;
        Quotients w_q, z_q, w_prev, z_prev;
        bool w_prev_enable = false, z_prev_enable = false;
        const int z_unary_bits = zdiv < 3 ? 12 : 8;
        do {
            const int balance = zero_runs ? w_pos - z_pos : 0;
            const bool w_enable = (balance < 8 || !zero_runs) && w_pos < count;
            const bool z_enable = balance >= 0 && zero_runs && z_pos < z_count;
            const uint32_t w_unary0 = (w_enable && !uncompressed) ? bits.Get(12) : 0;
            if (z_enable) {
                const uint32_t z_unary = bits.Get(z_unary_bits);
                z_q.count = 0;
                int64_t run = z_carry;
                for (int i = 0; i < z_unary_bits; ++i) {
                    if (z_unary & (1u << i)) {
                        ++run;
                    } else {
                        z_q.q[static_cast<size_t>(z_q.count++)] = run;
                        run = 0;
                    }
                }
                z_carry = run;
                z_pos += z_q.count;
            }
            if (w_enable) {
                const int symbols = uncompressed && wdiv > 5 ? 8 : 12;
                int ones = 0;
                for (int i = 0; i < symbols; ++i) ones += (w_unary0 >> i) & 1;
                uint32_t w_unary1 = bits.Get(ones);
                w_q.count = 0;
                int64_t run = w_carry;
                for (int i = 0; i < symbols; ++i) {
                    int code = 0;
                    if (w_unary0 & (1u << i)) {
                        ++code;
                        if (w_unary1 & 1) ++code;
                        w_unary1 >>= 1;
                    }
                    run += code;
                    if (code < 2 || wtrunc) {
                        w_q.q[static_cast<size_t>(w_q.count++)] = run;
                        run = 0;
                    }
                }
                w_carry = run;
                w_pos += w_q.count;
            }
            if (w_prev_enable) {
                for (int i = 0; i < w_prev.count && w_prev_pos < count; ++i, ++w_prev_pos) {
                    w_values[static_cast<size_t>(w_prev_pos)] = (w_prev.q[static_cast<size_t>(i)] << wdiv) + bits.Get(wdiv);
                }
            }
            if (z_prev_enable) {
                for (int i = 0; i < z_prev.count && z_prev_pos < z_count; ++i, ++z_prev_pos) {
                    const int64_t run = (z_prev.q[static_cast<size_t>(i)] << zdiv) + bits.Get(zdiv);
                    z_values[static_cast<size_t>(z_prev_pos)] = run;
                    zero_total += run;
                    if (zero_total > static_cast<int64_t>(kMaxWeights)) Fail("zero runs exceed the weight limit");
                }
            }
            w_prev_enable = w_enable;
            w_prev = w_q;
            z_prev_enable = z_enable;
            z_prev = z_q;
        } while (w_prev_enable || z_prev_enable);

        if (out.size() + static_cast<size_t>(count) + static_cast<size_t>(zero_total) > kMaxWeights) {
            Fail("more than " + std::to_string(kMaxWeights) + " weights");
        }
        if (new_palette && zero_runs) out.insert(out.end(), static_cast<size_t>(z_values[0]), 0);
        for (int i = 0; i < count; ++i) {
            const int64_t index = w_values[static_cast<size_t>(i)];
            if (index >= 512) Fail("weight index " + std::to_string(index) + " exceeds 9 bits");
            const int64_t value = index < palette_size ? palette[static_cast<size_t>(index)]
                                                       : index - palette_size + direct_offset;
            const int64_t magnitude = value >> 1;
            out.push_back(static_cast<int16_t>((value & 1) ? -magnitude : magnitude));
            if (zero_runs) {
                out.insert(out.end(), static_cast<size_t>(z_values[static_cast<size_t>(i + (new_palette ? 1 : 0))]), 0);
            }
        }
    }
    return out;
}

namespace {

// Calls visit(ofm, ky, kx, ifm, valid) for every position of the traversal.
template <typename Visit>
void Traverse(const WeightLayout& l, Visit&& visit) {
    const int ifm_block_depth = (l.part_kernel_first || l.ifm_bitdepth == 16) ? 16 : 32;
    for (int ofm_block = 0; ofm_block < l.ofm_depth; ofm_block += l.ofm_block_depth) {
        const int ofm_block_depth = std::min(l.ofm_block_depth, l.ofm_depth - ofm_block);
        for (int ifm_block = 0; ifm_block < (l.depthwise ? 1 : l.ifm_depth); ifm_block += ifm_block_depth) {
            const int ifm_depth_here = l.depthwise ? l.ifm_ublock_depth
                                       : l.part_kernel_first ? std::min(ifm_block_depth, l.ifm_depth - ifm_block)
                                                             : ifm_block_depth;
            for (int sub_y = 0; sub_y < l.kernel_height; sub_y += l.decomp_h) {
                const int sub_h = std::min(l.kernel_height - sub_y, l.decomp_h);
                for (int sub_x = 0; sub_x < l.kernel_width; sub_x += l.decomp_w) {
                    const int sub_w = std::min(l.kernel_width - sub_x, l.decomp_w);
                    int elements = sub_w * sub_h;
                    if (l.part_kernel_first) {
                        const int multiple = l.ifm_bitdepth == 16 ? 2 : 4;
                        elements = (elements + multiple - 1) / multiple * multiple;
                    } else if (l.depthwise) {
                        elements = (elements + 3) / 4 * 4;
                    }
                    const int outer = l.part_kernel_first ? ifm_depth_here : 1;
                    const int inner = l.part_kernel_first ? 1 : ifm_depth_here;
                    for (int ifm_outer = 0; ifm_outer < outer; ifm_outer += l.ifm_ublock_depth) {
                        for (int ofm_ublock = 0; ofm_ublock < ofm_block_depth; ofm_ublock += l.ofm_ublock_depth) {
                            for (int element = 0; element < elements; ++element) {
                                const int kx = element % sub_w, ky = element / sub_w;
                                for (int ifm_inner = 0; ifm_inner < inner; ifm_inner += l.ifm_ublock_depth) {
                                    for (int oz = 0; oz < l.ofm_ublock_depth; ++oz) {
                                        for (int iz = 0; iz < (l.depthwise ? 1 : l.ifm_ublock_depth); ++iz) {
                                            const int ifm = ifm_block + ifm_inner + ifm_outer + iz;
                                            const int ofm = ofm_block + ofm_ublock + oz;
                                            const bool valid = ifm < l.ifm_depth && ofm < l.ofm_depth && ky < sub_h;
                                            visit(ofm, sub_y + ky, sub_x + kx, ifm, valid);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

void CheckLayout(const WeightLayout& l) {
    if (l.ofm_depth <= 0 || l.kernel_height <= 0 || l.kernel_width <= 0 || l.ifm_depth <= 0 ||
        l.ofm_block_depth <= 0 || l.decomp_h <= 0 || l.decomp_w <= 0 || l.ofm_ublock_depth <= 0 ||
        l.ifm_ublock_depth <= 0) {
        Fail("invalid weight layout");
    }
}

}  // namespace

size_t PaddedWeightCount(const WeightLayout& layout) {
    CheckLayout(layout);
    size_t count = 0;
    Traverse(layout, [&](int, int, int, int, bool) { ++count; });
    return count;
}

std::vector<int16_t> WeightsToOhwi(const WeightLayout& l, const std::vector<int16_t>& stream) {
    CheckLayout(l);
    // The traversal visits every weight of the volume at least once: a
    // shorter stream cannot fill it (checked before allocating the volume).
    const uint64_t volume = static_cast<uint64_t>(l.ofm_depth) * static_cast<uint64_t>(l.kernel_height) *
                            static_cast<uint64_t>(l.kernel_width) * static_cast<uint64_t>(l.ifm_depth);
    if (volume > stream.size()) {
        Fail("holds " + std::to_string(stream.size()) + " weights, the kernel has " + std::to_string(volume));
    }
    std::vector<int16_t> ohwi(static_cast<size_t>(l.ofm_depth) * static_cast<size_t>(l.kernel_height) *
                                  static_cast<size_t>(l.kernel_width) * static_cast<size_t>(l.ifm_depth),
                              0);
    size_t cursor = 0;
    bool short_stream = false;
    Traverse(l, [&](int ofm, int ky, int kx, int ifm, bool valid) {
        if (cursor >= stream.size()) {
            short_stream = true;
            return;
        }
        const int16_t value = stream[cursor++];
        if (valid) {
            ohwi[((static_cast<size_t>(ofm) * static_cast<size_t>(l.kernel_height) + static_cast<size_t>(ky)) *
                      static_cast<size_t>(l.kernel_width) +
                  static_cast<size_t>(kx)) *
                     static_cast<size_t>(l.ifm_depth) +
                 static_cast<size_t>(ifm)] = value;
        }
    });
    if (short_stream) {
        Fail("holds " + std::to_string(stream.size()) + " weights, the kernel needs " +
             std::to_string(PaddedWeightCount(l)));
    }
    return ohwi;
}

}  // namespace ethos_u
