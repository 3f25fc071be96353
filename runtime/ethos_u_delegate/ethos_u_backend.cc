// The "EthosUBackend" delegate of ExecuTorch's Arm backend, for Linux runners:
// the blob that backends/arm/arm_vela.py put in the program is parsed and
// checked at init, and every execute() runs its command stream on the
// functional Ethos-U model (//runtime/ethos_u) with memory laid out as the
// Ethos-U driver lays it out: region 0 the weights, region 1 the scratch that
// holds inputs, outputs and intermediates at the offsets the blob gives,
// region 2 the fast scratch.
//
// As ExecuTorch's own Linux flavour of the backend does, each delegate owns its
// scratch (allocated at init) instead of taking it from the temp allocator, so
// a program's temp arena does not depend on its NPU part.
#include "runtime/ethos_u_delegate/ethos_u_backend.h"

#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <executorch/runtime/backend/interface.h>
#include <executorch/runtime/core/error.h>
#include <executorch/runtime/core/evalue.h>
#include <executorch/runtime/core/event_tracer_hooks_delegate.h>
#include <executorch/runtime/platform/log.h>

#include "runtime/ethos_u/ethos_u_model.h"

namespace ethos_u_delegate {
namespace {

using executorch::aten::ScalarType;
using executorch::aten::Tensor;
using executorch::runtime::ArrayRef;
using executorch::runtime::Backend;
using executorch::runtime::BackendExecutionContext;
using executorch::runtime::BackendInitContext;
using executorch::runtime::CompileSpec;
using executorch::runtime::DelegateHandle;
using executorch::runtime::Error;
using executorch::runtime::EValue;
using executorch::runtime::FreeableBuffer;
using executorch::runtime::MemoryAllocator;
using executorch::runtime::Result;
using executorch::runtime::Span;

// The region the driver hands inputs and outputs in (see the file comment).
constexpr int32_t kScratchRegion = 1;

std::mutex g_mutex;
std::vector<DelegateMemory>* g_delegates = nullptr;  // never freed: process-wide
ExecutionTotals g_totals;

struct BlobDeleter {
  void operator()(ethosu_blob* blob) const { ethosu_blob_free(blob); }
};

// One initialised partition.
struct Partition {
  std::unique_ptr<ethosu_blob, BlobDeleter> blob;
  std::vector<ethosu_tensor_info> inputs;
  std::vector<ethosu_tensor_info> outputs;
  // The model takes writable regions; the weights are copied out of the blob
  // so that a stream writing to region 0 cannot alter the parsed blob.
  std::vector<uint8_t> weights;
  std::vector<uint8_t> scratch;
};

// Bytes of a tensor the blob describes, or an error line.
bool TensorBytes(const ethosu_tensor_info& info, uint64_t* bytes, std::string* error) {
  if (info.element_size != 1 && info.element_size != 2 && info.element_size != 4) {
    *error = "element size " + std::to_string(info.element_size) + " (expected 1, 2 or 4)";
    return false;
  }
  uint64_t total = static_cast<uint64_t>(info.element_size);
  for (int32_t dim : info.shape) {
    if (dim < 0 || (dim > 0 && total > std::numeric_limits<uint32_t>::max() / static_cast<uint64_t>(dim))) {
      *error = "an invalid shape";
      return false;
    }
    total *= static_cast<uint64_t>(dim);
  }
  *bytes = total;
  return true;
}

// Checks that a blob's inputs or outputs lie inside its scratch.
bool CheckTensors(const char* kind, const std::vector<ethosu_tensor_info>& tensors, uint32_t scratch_size,
                  std::string* error) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ethosu_tensor_info& info = tensors[i];
    std::string what = std::string(kind) + " " + std::to_string(i);
    uint64_t bytes = 0;
    std::string problem;
    if (!TensorBytes(info, &bytes, &problem)) {
      *error = what + " has " + problem;
      return false;
    }
    if (info.region != kScratchRegion) {
      *error = what + " is in region " + std::to_string(info.region) + ", not in the scratch (region 1)";
      return false;
    }
    if (info.offset < 0 || static_cast<uint64_t>(info.offset) + bytes > scratch_size) {
      *error = what + " (" + std::to_string(bytes) + " bytes at offset " + std::to_string(info.offset) +
               ") lies outside the " + std::to_string(scratch_size) + "-byte scratch";
      return false;
    }
  }
  return true;
}

// The ExecuTorch tensor types a blob's element size accepts, as in ExecuTorch's
// Ethos-U backend: quantized I/O (int8, uint8, int16, bool) and int32.
bool TypeMatches(ScalarType type, int32_t element_size) {
  switch (type) {
    case ScalarType::Char:
    case ScalarType::Byte:
    case ScalarType::Bool:
      return element_size == 1;
    case ScalarType::Short:
      return element_size == 2;
    case ScalarType::Int:
      return element_size == 4;
    default:
      return false;
  }
}

// The tensor of argument `index`, checked against the blob's description.
Result<Tensor> ArgumentTensor(Span<EValue*> args, size_t index, const char* kind, size_t kind_index,
                              const ethosu_tensor_info& info) {
  if (args[index] == nullptr || !args[index]->isTensor()) {
    ET_LOG(Error, "Ethos-U delegate: %s %zu is not a tensor", kind, kind_index);
    return Error::InvalidArgument;
  }
  Tensor tensor = args[index]->toTensor();
  uint64_t bytes = 0;
  std::string problem;
  if (!TensorBytes(info, &bytes, &problem) || !TypeMatches(tensor.scalar_type(), info.element_size) ||
      tensor.nbytes() != bytes) {
    ET_LOG(Error, "Ethos-U delegate: %s %zu is %s of %zu bytes; the blob expects %d-byte elements, %llu bytes",
           kind, kind_index, executorch::runtime::toString(tensor.scalar_type()), tensor.nbytes(),
           info.element_size, static_cast<unsigned long long>(bytes));
    return Error::InvalidArgument;
  }
  return tensor;
}

class EthosUBackend final : public executorch::runtime::BackendInterface {
 public:
  bool is_available() const override { return true; }

  Result<DelegateHandle*> init(BackendInitContext& context, FreeableBuffer* processed,
                               ArrayRef<CompileSpec> /*compile_specs*/) const override {
    char error[512] = {0};
    ethosu_blob* parsed = nullptr;
    if (ethosu_blob_parse(static_cast<const uint8_t*>(processed->data()), processed->size(), &parsed, error,
                          sizeof error) != ETHOSU_OK) {
      ET_LOG(Error, "Ethos-U delegate: %s", error);
      return Error::InvalidProgram;
    }
    std::unique_ptr<ethosu_blob, BlobDeleter> blob(parsed);
    // The parsed blob holds its own copy.
    processed->Free();

    size_t cmd_size = 0;
    const uint8_t* cmd = ethosu_blob_cmd_data(blob.get(), &cmd_size);
    // Decoding the whole stream now turns a truncated stream or an unknown
    // opcode into a load error rather than a failure at the first inference.
    char* text = nullptr;
    if (ethosu_disassemble(cmd, cmd_size, &text, error, sizeof error) != ETHOSU_OK) {
      ET_LOG(Error, "Ethos-U delegate: %s", error);
      return Error::InvalidProgram;
    }
    ethosu_free_text(text);

    MemoryAllocator* allocator = context.get_runtime_allocator();
    Partition* partition = allocator->allocateInstance<Partition>();
    if (partition == nullptr) {
      return Error::MemoryAllocationFailed;
    }
    new (partition) Partition();
    partition->blob = std::move(blob);
    const Error status = Fill(partition);
    if (status != Error::Ok) {
      partition->~Partition();
      return status;
    }
    return partition;
  }

  Error execute(BackendExecutionContext& context, DelegateHandle* handle, Span<EValue*> args) const override {
    Partition& partition = *static_cast<Partition*>(handle);
    const size_t input_count = partition.inputs.size();
    const size_t output_count = partition.outputs.size();
    if (args.size() != input_count + output_count) {
      ET_LOG(Error, "Ethos-U delegate: called with %zu arguments; the blob has %zu inputs and %zu outputs",
             args.size(), input_count, output_count);
      return Error::InvalidArgument;
    }
    std::memset(partition.scratch.data(), 0, partition.scratch.size());
    for (size_t i = 0; i < input_count; ++i) {
      Result<Tensor> tensor = ArgumentTensor(args, i, "input", i, partition.inputs[i]);
      if (!tensor.ok()) {
        return tensor.error();
      }
      std::memcpy(partition.scratch.data() + partition.inputs[i].offset, tensor->const_data_ptr(),
                  tensor->nbytes());
    }
    std::vector<Tensor> outputs;
    for (size_t i = 0; i < output_count; ++i) {
      Result<Tensor> tensor = ArgumentTensor(args, input_count + i, "output", i, partition.outputs[i]);
      if (!tensor.ok()) {
        return tensor.error();
      }
      outputs.push_back(*tensor);
    }

    size_t cmd_size = 0;
    const uint8_t* cmd = ethosu_blob_cmd_data(partition.blob.get(), &cmd_size);
    const ethosu_region regions[] = {
        {partition.weights.data(), partition.weights.size()},
        {partition.scratch.data(), partition.scratch.size()},
        {nullptr, 0},
    };
    char error[512] = {0};
    auto trace = executorch::runtime::event_tracer_start_profiling_delegate(
        context.event_tracer(), "EthosUBackend::execute (functional model)", executorch::runtime::kUnsetDelegateDebugIntId);
    const auto start = std::chrono::steady_clock::now();
    const int result = ethosu_execute(cmd, cmd_size, regions, 3, error, sizeof error);
    const auto end = std::chrono::steady_clock::now();
    executorch::runtime::event_tracer_end_profiling_delegate(context.event_tracer(), trace);
    if (result != ETHOSU_OK) {
      ET_LOG(Error, "Ethos-U delegate: %s", error);
      return Error::InvalidProgram;
    }
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      g_totals.calls += 1;
      g_totals.model_milliseconds += std::chrono::duration<double, std::milli>(end - start).count();
    }
    for (size_t i = 0; i < output_count; ++i) {
      std::memcpy(outputs[i].mutable_data_ptr(), partition.scratch.data() + partition.outputs[i].offset,
                  outputs[i].nbytes());
    }
    return Error::Ok;
  }

  void destroy(DelegateHandle* handle) const override {
    if (handle != nullptr) {
      static_cast<Partition*>(handle)->~Partition();
    }
  }

 private:
  // Reads the I/O descriptions, checks them, copies the weights and allocates
  // the scratch; records the partition for the memory report.
  static Error Fill(Partition* partition) {
    const ethosu_blob* blob = partition->blob.get();
    for (size_t i = 0; i < ethosu_blob_input_count(blob); ++i) {
      partition->inputs.emplace_back();
      ethosu_blob_input(blob, i, &partition->inputs.back());
    }
    for (size_t i = 0; i < ethosu_blob_output_count(blob); ++i) {
      partition->outputs.emplace_back();
      ethosu_blob_output(blob, i, &partition->outputs.back());
    }
    const uint32_t scratch_size = ethosu_blob_scratch_size(blob);
    std::string error;
    if (!CheckTensors("input", partition->inputs, scratch_size, &error) ||
        !CheckTensors("output", partition->outputs, scratch_size, &error)) {
      ET_LOG(Error, "Ethos-U delegate: %s", error.c_str());
      return Error::InvalidProgram;
    }
    size_t cmd_size = 0;
    size_t weight_size = 0;
    ethosu_blob_cmd_data(blob, &cmd_size);
    const uint8_t* weights = ethosu_blob_weight_data(blob, &weight_size);
    try {
      partition->weights.assign(weights, weights + weight_size);
      partition->scratch.assign(scratch_size, 0);
    } catch (const std::bad_alloc&) {
      ET_LOG(Error, "Ethos-U delegate: cannot allocate %zu bytes of weights and %u bytes of scratch", weight_size,
             scratch_size);
      return Error::MemoryAllocationFailed;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_delegates == nullptr) {
      g_delegates = new std::vector<DelegateMemory>();
    }
    g_delegates->push_back(DelegateMemory{cmd_size, weight_size, scratch_size, 0});
    return Error::Ok;
  }
};

EthosUBackend g_backend;
const Error g_registered = executorch::runtime::register_backend(Backend{"EthosUBackend", &g_backend});

}  // namespace

std::vector<DelegateMemory> InitialisedDelegates() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_delegates == nullptr ? std::vector<DelegateMemory>() : *g_delegates;
}

ExecutionTotals ExecutionTotalsSoFar() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_totals;
}

}  // namespace ethos_u_delegate
