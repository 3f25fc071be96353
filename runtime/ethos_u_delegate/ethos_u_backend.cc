// The "EthosUBackend" delegate of ExecuTorch's Arm backend, for Linux runners:
// the blob that backends/arm/arm_vela.py put in the program is parsed and
// checked at init, and every execute() runs its command stream on the
// functional Ethos-U model (//runtime/ethos_u) with memory laid out as the
// Ethos-U driver lays it out: region 0 the weights, region 1 the scratch that
// holds inputs, outputs and intermediates at the offsets the blob gives,
// region 2 the fast scratch (SetFastScratchBytes; a Dedicated_Sram program's
// SRAM), and for a direct-drive program regions 3-7 its inputs and outputs.
//
// As ExecuTorch's own Linux flavour of the backend does, each delegate owns its
// scratch (allocated at init) instead of taking it from the temp allocator, so
// a program's temp arena does not depend on its NPU part.
#include "runtime/ethos_u_delegate/ethos_u_backend.h"

#include <algorithm>
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

// The driver's base pointers (see the file comment).
constexpr int32_t kWeightsRegion = 0;
constexpr int32_t kScratchRegion = 1;
constexpr int32_t kFastScratchRegion = 2;
constexpr int32_t kRegionCount = 8;

std::mutex g_mutex;
std::vector<DelegateMemory>* g_delegates = nullptr;  // never freed: process-wide
ExecutionTotals g_totals;
size_t g_fast_scratch_bytes = 0;

struct BlobDeleter {
  void operator()(ethosu_blob* blob) const { ethosu_blob_free(blob); }
};

// One initialised partition.
struct Partition {
  std::unique_ptr<ethosu_blob, BlobDeleter> blob;
  std::vector<ethosu_tensor_info> inputs;
  std::vector<ethosu_tensor_info> outputs;
  // Region i's memory. The model takes writable regions, so region 0 holds a
  // copy of the weights: a stream writing to it cannot alter the parsed blob.
  std::vector<uint8_t> memory[kRegionCount];
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

// Checks that a blob's inputs or outputs lie inside the scratch, or in a
// region of their own (direct drive), which *sizes grows to hold them.
bool CheckTensors(const char* kind, const std::vector<ethosu_tensor_info>& tensors, uint32_t scratch_size,
                  uint64_t (&sizes)[kRegionCount], std::string* error) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ethosu_tensor_info& info = tensors[i];
    std::string what = std::string(kind) + " " + std::to_string(i);
    uint64_t bytes = 0;
    std::string problem;
    if (!TensorBytes(info, &bytes, &problem)) {
      *error = what + " has " + problem;
      return false;
    }
    if (info.region < 0 || info.region >= kRegionCount || info.region == kWeightsRegion ||
        info.region == kFastScratchRegion) {
      *error = what + " is in region " + std::to_string(info.region) +
               "; inputs and outputs live in the scratch (region 1) or in regions 3-7";
      return false;
    }
    if (info.offset < 0) {
      *error = what + " has a negative offset";
      return false;
    }
    const uint64_t end = static_cast<uint64_t>(info.offset) + bytes;
    if (info.region == kScratchRegion && end > scratch_size) {
      *error = what + " (" + std::to_string(bytes) + " bytes at offset " + std::to_string(info.offset) +
               ") lies outside the " + std::to_string(scratch_size) + "-byte scratch";
      return false;
    }
    if (end > std::numeric_limits<uint32_t>::max()) {
      *error = what + " ends beyond 4 GiB (" + std::to_string(end) + " bytes)";
      return false;
    }
    sizes[info.region] = std::max(sizes[info.region], end);
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
    for (int32_t region = kScratchRegion; region < kRegionCount; ++region) {
      std::fill(partition.memory[region].begin(), partition.memory[region].end(), uint8_t{0});
    }
    for (size_t i = 0; i < input_count; ++i) {
      Result<Tensor> tensor = ArgumentTensor(args, i, "input", i, partition.inputs[i]);
      if (!tensor.ok()) {
        return tensor.error();
      }
      const ethosu_tensor_info& info = partition.inputs[i];
      std::memcpy(partition.memory[info.region].data() + info.offset, tensor->const_data_ptr(), tensor->nbytes());
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
    ethosu_region regions[kRegionCount];
    for (int32_t region = 0; region < kRegionCount; ++region) {
      std::vector<uint8_t>& memory = partition.memory[region];
      regions[region] = {memory.empty() ? nullptr : memory.data(), memory.size()};
    }
    char error[512] = {0};
    auto trace = executorch::runtime::event_tracer_start_profiling_delegate(
        context.event_tracer(), "EthosUBackend::execute (functional model)", executorch::runtime::kUnsetDelegateDebugIntId);
    const auto start = std::chrono::steady_clock::now();
    const int result = ethosu_execute(cmd, cmd_size, regions, kRegionCount, error, sizeof error);
    const auto end = std::chrono::steady_clock::now();
    executorch::runtime::event_tracer_end_profiling_delegate(context.event_tracer(), trace);
    if (result != ETHOSU_OK) {
      // A Dedicated_Sram program uses the fast scratch, which only the runner's configuration provides.
      const bool needs_fast_scratch =
          partition.memory[kFastScratchRegion].empty() && std::strstr(error, "region 2") != nullptr;
      ET_LOG(Error, "Ethos-U delegate: %s%s", error,
             needs_fast_scratch ? " (no fast scratch was given: a Dedicated_Sram program needs its SRAM, the "
                                  "runner's --ethosu_fast_scratch_bytes)"
                                : "");
      return Error::InvalidProgram;
    }
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      g_totals.calls += 1;
      g_totals.model_milliseconds += std::chrono::duration<double, std::milli>(end - start).count();
    }
    for (size_t i = 0; i < output_count; ++i) {
      const ethosu_tensor_info& info = partition.outputs[i];
      std::memcpy(outputs[i].mutable_data_ptr(), partition.memory[info.region].data() + info.offset,
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
    uint64_t sizes[kRegionCount] = {};
    sizes[kScratchRegion] = scratch_size;
    std::string error;
    if (!CheckTensors("input", partition->inputs, scratch_size, sizes, &error) ||
        !CheckTensors("output", partition->outputs, scratch_size, sizes, &error)) {
      ET_LOG(Error, "Ethos-U delegate: %s", error.c_str());
      return Error::InvalidProgram;
    }
    size_t fast_scratch_bytes = 0;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      fast_scratch_bytes = g_fast_scratch_bytes;
    }
    sizes[kFastScratchRegion] = fast_scratch_bytes;
    size_t cmd_size = 0;
    size_t weight_size = 0;
    ethosu_blob_cmd_data(blob, &cmd_size);
    const uint8_t* weights = ethosu_blob_weight_data(blob, &weight_size);
    uint64_t total = weight_size;
    try {
      partition->memory[kWeightsRegion].assign(weights, weights + weight_size);
      for (int32_t region = kScratchRegion; region < kRegionCount; ++region) {
        partition->memory[region].assign(static_cast<size_t>(sizes[region]), 0);
        total += sizes[region];
      }
    } catch (const std::bad_alloc&) {
      ET_LOG(Error, "Ethos-U delegate: cannot allocate %llu bytes of weights, scratch and I/O regions",
             static_cast<unsigned long long>(total));
      return Error::MemoryAllocationFailed;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_delegates == nullptr) {
      g_delegates = new std::vector<DelegateMemory>();
    }
    g_delegates->push_back(DelegateMemory{cmd_size, weight_size, scratch_size, fast_scratch_bytes,
                                          static_cast<size_t>(total - weight_size - scratch_size - fast_scratch_bytes)});
    return Error::Ok;
  }
};

EthosUBackend g_backend;
const Error g_registered = executorch::runtime::register_backend(Backend{"EthosUBackend", &g_backend});

}  // namespace

void SetFastScratchBytes(size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_fast_scratch_bytes = bytes;
}

std::vector<DelegateMemory> InitialisedDelegates() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_delegates == nullptr ? std::vector<DelegateMemory>() : *g_delegates;
}

ExecutionTotals ExecutionTotalsSoFar() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_totals;
}

}  // namespace ethos_u_delegate
