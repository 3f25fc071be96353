#include "runtime/ethos_u/blob.h"

#include <cstring>
#include <string>

#include "runtime/ethos_u/error.h"

namespace ethos_u {
namespace {

constexpr size_t kNameSize = 16;
constexpr size_t kHeaderSize = 32;  // name + <I size, B external, 11 reserved>
constexpr size_t kAlignment = 16;
constexpr size_t kTensorFields = 9;  // 6-D shape, element size, offset, region

[[noreturn]] void Fail(const std::string& message) { throw Error(ErrorKind::kBlob, "delegate blob: " + message); }

uint32_t ReadU32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
           (static_cast<uint32_t>(p[3]) << 24);
}

int32_t ReadI32(const uint8_t* p) {
    const uint32_t u = ReadU32(p);
    int32_t value;
    std::memcpy(&value, &u, sizeof(value));
    return value;
}

std::vector<TensorInfo> ParseTensors(const std::string& block, const std::vector<uint8_t>& data) {
    if (data.size() < 4) Fail("block '" + block + "' has " + std::to_string(data.size()) + " bytes, needs a count");
    const int32_t count = ReadI32(data.data());
    const size_t expected = 4 + static_cast<size_t>(count < 0 ? 0 : count) * kTensorFields * 4;
    if (count < 0 || data.size() != expected) {
        Fail("block '" + block + "' declares " + std::to_string(count) + " tensors in " + std::to_string(data.size()) +
             " bytes");
    }
    std::vector<TensorInfo> tensors(static_cast<size_t>(count));
    for (size_t i = 0; i < tensors.size(); ++i) {
        const uint8_t* p = data.data() + 4 + i * kTensorFields * 4;
        for (size_t d = 0; d < 6; ++d) tensors[i].shape[d] = ReadI32(p + 4 * d);
        tensors[i].element_size = ReadI32(p + 24);
        tensors[i].offset = ReadI32(p + 28);
        tensors[i].region = ReadI32(p + 32);
        if (tensors[i].element_size <= 0 || tensors[i].offset < 0 || tensors[i].region < 0) {
            Fail("block '" + block + "' tensor " + std::to_string(i) + " has element size " +
                 std::to_string(tensors[i].element_size) + ", offset " + std::to_string(tensors[i].offset) +
                 ", region " + std::to_string(tensors[i].region));
        }
    }
    return tensors;
}

}  // namespace

Blob ParseBlob(const uint8_t* data, size_t size) {
    if (data == nullptr && size != 0) Fail("null data");
    Blob blob;
    bool seen_start = false, seen_end = false, seen_cmd = false, seen_weights = false, seen_scratch = false,
         seen_inputs = false, seen_outputs = false;
    size_t offset = 0;
    while (!seen_end) {
        if (size - offset < kHeaderSize) {
            Fail("truncated: block header at byte " + std::to_string(offset) + " needs " + std::to_string(kHeaderSize) +
                 " bytes, " + std::to_string(size - offset) + " left");
        }
        const uint8_t* header = data + offset;
        if (std::memchr(header, 0, kNameSize) == nullptr) {
            Fail("block name at byte " + std::to_string(offset) + " is not NUL-terminated");
        }
        std::string name(reinterpret_cast<const char*>(header));
        for (char& c : name) {
            if (c < 0x20 || c > 0x7e) c = '?';  // error messages stay one printable line
        }
        const uint32_t block_size = ReadU32(header + kNameSize);
        const uint8_t external = header[kNameSize + 4];
        const size_t padded = (static_cast<size_t>(block_size) + kAlignment - 1) / kAlignment * kAlignment;
        if (padded > size - offset - kHeaderSize) {
            Fail("truncated: block '" + name + "' at byte " + std::to_string(offset) + " declares " +
                 std::to_string(block_size) + " bytes, " + std::to_string(size - offset - kHeaderSize) + " left");
        }
        if (!seen_start && name != "vela_bin_stream") {
            Fail("first block is '" + name + "', expected 'vela_bin_stream'");
        }
        if (external != 0) {
            Fail("block '" + name + "' is an external reference (named data); pass the resolved blob");
        }
        const std::vector<uint8_t> payload(header + kHeaderSize, header + kHeaderSize + block_size);
        auto once = [&](bool& seen) {
            if (seen) Fail("block '" + name + "' appears twice");
            seen = true;
        };
        if (name == "vela_bin_stream") {
            once(seen_start);
        } else if (name == "vela_end_stream") {
            seen_end = true;
        } else if (name == "cmd_data") {
            once(seen_cmd);
            blob.cmd_data = payload;
        } else if (name == "weight_data") {
            once(seen_weights);
            blob.weight_data = payload;
        } else if (name == "scratch_size") {
            once(seen_scratch);
            if (payload.size() != 4) Fail("block 'scratch_size' has " + std::to_string(payload.size()) + " bytes, not 4");
            blob.scratch_size = ReadU32(payload.data());
        } else if (name == "inputs") {
            once(seen_inputs);
            blob.inputs = ParseTensors(name, payload);
        } else if (name == "outputs") {
            once(seen_outputs);
            blob.outputs = ParseTensors(name, payload);
        } else {
            Fail("unknown block '" + name + "' at byte " + std::to_string(offset));
        }
        offset += kHeaderSize + padded;
    }
    const char* missing = !seen_cmd ? "cmd_data"
                          : !seen_weights ? "weight_data"
                          : !seen_scratch ? "scratch_size"
                          : !seen_inputs ? "inputs"
                          : !seen_outputs ? "outputs"
                                          : nullptr;
    if (missing != nullptr) Fail(std::string("no '") + missing + "' block");
    return blob;
}

}  // namespace ethos_u
