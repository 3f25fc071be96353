// The C API (ethos_u_model.h): every entry point turns C++ errors into a code
// and one line of text, so that no exception crosses into C or Python.
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "runtime/ethos_u/blob.h"
#include "runtime/ethos_u/command_stream.h"
#include "runtime/ethos_u/error.h"
#include "runtime/ethos_u/ethos_u_model.h"
#include "runtime/ethos_u/npu.h"
#include "runtime/ethos_u/weights.h"

struct ethosu_blob {
    ethos_u::Blob blob;
};

namespace {

void SetError(char* error, size_t error_size, const std::string& message) {
    if (error == nullptr || error_size == 0) return;
    const size_t n = message.size() < error_size - 1 ? message.size() : error_size - 1;
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}

template <typename F>
int Guard(char* error, size_t error_size, F&& body) {
    SetError(error, error_size, "");
    try {
        body();
        return ETHOSU_OK;
    } catch (const ethos_u::Error& e) {
        SetError(error, error_size, e.what());
        return static_cast<int>(e.kind());
    } catch (const std::bad_alloc&) {
        SetError(error, error_size, "out of memory");
        return ETHOSU_ERROR_ARGUMENT;
    } catch (const std::exception& e) {
        SetError(error, error_size, std::string("internal error: ") + e.what());
        return ETHOSU_ERROR_ARGUMENT;
    }
}

int TensorAt(const std::vector<ethos_u::TensorInfo>& tensors, size_t index, ethosu_tensor_info* info) {
    if (info == nullptr || index >= tensors.size()) return ETHOSU_ERROR_ARGUMENT;
    const ethos_u::TensorInfo& t = tensors[index];
    std::memcpy(info->shape, t.shape, sizeof(info->shape));
    info->element_size = t.element_size;
    info->offset = t.offset;
    info->region = t.region;
    return ETHOSU_OK;
}

}  // namespace

extern "C" {

int ethosu_blob_parse(const uint8_t* data, size_t size, ethosu_blob** blob, char* error, size_t error_size) {
    if (blob == nullptr) return ETHOSU_ERROR_ARGUMENT;
    *blob = nullptr;
    return Guard(error, error_size, [&] { *blob = new ethosu_blob{ethos_u::ParseBlob(data, size)}; });
}

void ethosu_blob_free(ethosu_blob* blob) { delete blob; }

const uint8_t* ethosu_blob_cmd_data(const ethosu_blob* blob, size_t* size) {
    *size = blob->blob.cmd_data.size();
    return blob->blob.cmd_data.data();
}

const uint8_t* ethosu_blob_weight_data(const ethosu_blob* blob, size_t* size) {
    *size = blob->blob.weight_data.size();
    return blob->blob.weight_data.data();
}

uint32_t ethosu_blob_scratch_size(const ethosu_blob* blob) { return blob->blob.scratch_size; }
size_t ethosu_blob_input_count(const ethosu_blob* blob) { return blob->blob.inputs.size(); }
size_t ethosu_blob_output_count(const ethosu_blob* blob) { return blob->blob.outputs.size(); }

int ethosu_blob_input(const ethosu_blob* blob, size_t index, ethosu_tensor_info* info) {
    return TensorAt(blob->blob.inputs, index, info);
}

int ethosu_blob_output(const ethosu_blob* blob, size_t index, ethosu_tensor_info* info) {
    return TensorAt(blob->blob.outputs, index, info);
}

int ethosu_disassemble(const uint8_t* cmd_data, size_t size, char** text, char* error, size_t error_size) {
    if (text == nullptr) return ETHOSU_ERROR_ARGUMENT;
    *text = nullptr;
    return Guard(error, error_size, [&] {
        const std::string result = ethos_u::Disassemble(ethos_u::DecodeDriverPayload(cmd_data, size).commands);
        char* copy = static_cast<char*>(std::malloc(result.size() + 1));
        if (copy == nullptr) throw std::bad_alloc();
        std::memcpy(copy, result.c_str(), result.size() + 1);
        *text = copy;
    });
}

void ethosu_free_text(char* text) { std::free(text); }

int ethosu_execute(const uint8_t* cmd_data, size_t size, const ethosu_region* regions, size_t region_count,
                   char* error, size_t error_size) {
    return Guard(error, error_size, [&] {
        if (regions == nullptr && region_count != 0) {
            throw ethos_u::Error(ethos_u::ErrorKind::kArgument, "regions is NULL");
        }
        std::vector<ethos_u::Region> views;
        for (size_t i = 0; i < region_count; ++i) views.push_back(ethos_u::Region{regions[i].data, regions[i].size});
        ethos_u::Npu npu(views);
        npu.Run(ethos_u::DecodeDriverPayload(cmd_data, size));
    });
}

int ethosu_decode_weights(const uint8_t* data, size_t size, int16_t* out, size_t capacity, size_t* count,
                          char* error, size_t error_size) {
    return Guard(error, error_size, [&] {
        const std::vector<int16_t> weights = ethos_u::DecodeWeightStream(data, size);
        if (count != nullptr) *count = weights.size();
        if (out != nullptr) {
            if (capacity < weights.size()) {
                throw ethos_u::Error(ethos_u::ErrorKind::kArgument,
                                     "capacity " + std::to_string(capacity) + " < " + std::to_string(weights.size()));
            }
            std::memcpy(out, weights.data(), weights.size() * sizeof(int16_t));
        }
    });
}

}  // extern "C"
