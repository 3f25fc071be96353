// The integer arithmetic the Ethos-U55 and U85 models share: sign extension,
// clamping, and the output unit's scaling (multiply, shift, round).
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ethos_u {

enum Rounding : uint32_t { kTfl = 0, kTruncate = 1, kNatural = 2 };

inline std::string Hex(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof(text), "0x%" PRIx64, value);
    return text;
}

// acc * scale / 2^shift, rounded as the output unit rounds. TFL is TFLite's
// double rounding (as TOSA's RESCALE double_round states it), NATURAL rounds
// half up, TRUNCATE rounds towards zero.
inline int64_t ScaleValue(int64_t acc, uint32_t scale, uint32_t shift, uint32_t rounding) {
    const __int128 product = static_cast<__int128>(acc) * scale;
    __int128 result;
    if (shift == 0) {
        result = product;
    } else if (rounding == kTruncate) {
        result = product >= 0 ? (product >> shift) : -((-product) >> shift);
    } else {
        __int128 round = static_cast<__int128>(1) << (shift - 1);
        if (rounding == kTfl && shift > 31) round += acc >= 0 ? (__int128{1} << 30) : -(__int128{1} << 30);
        result = (product + round) >> shift;
    }
    // Saturate well inside int64 so that adding a zero point cannot overflow;
    // any value this large is clamped to the OFM type afterwards anyway.
    const __int128 hi = __int128{1} << 62, lo = -hi;
    return static_cast<int64_t>(result < lo ? lo : result > hi ? hi : result);
}

inline int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

inline int64_t SignExtend(uint64_t value, int bits) {
    const uint64_t sign = uint64_t{1} << (bits - 1);
    return static_cast<int64_t>((value ^ sign) - sign);
}

}  // namespace ethos_u
