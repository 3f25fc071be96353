// The Ethos-U delegate blob of a .pte, as ExecuTorch 1.5.1's
// backends/arm/arm_vela.py writes it: a sequence of blocks, each a 16-byte
// NUL-padded name, a 16-byte header (<I size, B external, 11 reserved>) and
// `size` bytes of data padded to a multiple of 16.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ethos_u {

struct TensorInfo {
    int32_t shape[6];
    int32_t element_size;
    int32_t offset;
    int32_t region;
};

struct Blob {
    std::vector<uint8_t> cmd_data;
    std::vector<uint8_t> weight_data;
    uint32_t scratch_size = 0;
    std::vector<TensorInfo> inputs;
    std::vector<TensorInfo> outputs;
};

// Throws Error(kBlob) naming the block and byte offset of the first problem.
Blob ParseBlob(const uint8_t* data, size_t size);

}  // namespace ethos_u
