// Building blocks of the host/Linux ExecuTorch runner: program loading with
// classified errors, arena allocators that measure their peak, planned memory,
// method sessions and tensor inputs. Used by executor_runner (main.cc) and by
// the loader fuzz driver (tests/runtime/pte_loader_fuzz.cc).
//
// Only ExecuTorch's public runtime API is used (Program, Method, MethodMeta,
// MemoryManager, HierarchicalAllocator, MemoryAllocator, TensorImpl).

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <executorch/runtime/core/data_loader.h>
#include <executorch/runtime/core/error.h>
#include <executorch/runtime/core/event_tracer.h>
#include <executorch/runtime/core/evalue.h>
#include <executorch/runtime/core/hierarchical_allocator.h>
#include <executorch/runtime/core/memory_allocator.h>
#include <executorch/runtime/core/portable_type/scalar_type.h>
#include <executorch/runtime/core/portable_type/tensor_impl.h>
#include <executorch/runtime/executor/memory_manager.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/method_meta.h>
#include <executorch/runtime/executor/program.h>

#include "runtime/executor_runner/bundled_program.h"
#include "runtime/executor_runner/status.h"

namespace etrunner {

// "invalid_program" for kExitInvalidProgram, ...
const char* ExitCodeName(int code);

// ---------------------------------------------------------------------------
// ExecuTorch log capture. ExecuTorch's ET_LOG goes through its PAL; we route it
// here so that a failure is reported as one line (with the runtime's own
// reason appended) instead of a cascade of log lines.

// Registers the log and abort hooks and calls runtime_init(). verbose=true
// also echoes every ExecuTorch log line to stderr as it happens. When the
// runtime aborts (a failed ET_CHECK, e.g. a kernel given an argument of the
// wrong type by a malformed program), the abort hook prints
// "<program_name>: error: runtime abort: <the runtime's message>" and exits
// with kExitRuntimeAbort instead of dumping core.
void InitRuntime(bool verbose, const char* program_name = "executor_runner");
// Turns SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT into one error line and
// kExitFatalSignal; the handler runs on an alternate stack, so a stack
// overflow is reported too. `context` names what was running (a static
// string).
void InstallFatalSignalHandlers();
void SetFatalSignalContext(const char* context);
// Called by the abort hook before it exits (e.g. to say which fuzz input).
void SetAbortCallback(void (*callback)());
// Forgets the captured messages.
void ClearCapturedLog();
// The last error-level ExecuTorch log messages since ClearCapturedLog(),
// joined with "; " (at most `max_messages`, most recent last).
std::string CapturedErrors(size_t max_messages = 2);

// ---------------------------------------------------------------------------
// Scalar types.

const char* DtypeName(executorch::aten::ScalarType t);
// 0 for a type whose element size is not a whole number of bytes or unknown.
size_t DtypeSize(executorch::aten::ScalarType t);
bool IsFloatingDtype(executorch::aten::ScalarType t);
// "[2, 3]"; past 16 dimensions the first 16, then "... (100000 dims)".
std::string ShapeString(const int32_t* sizes, size_t dim);

// ---------------------------------------------------------------------------
// Memory.

// A heap buffer with a chosen alignment; allocation failure is reported, not
// thrown.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  bool Allocate(size_t size, size_t alignment = 64);
  uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

// A MemoryAllocator that records its peak usage, its number of allocations
// and the first request it could not satisfy.
//
// Bounded: a bump allocator over an arena of `capacity` bytes it owns.
// Probe (capacity = kUnbounded): every request succeeds (each gets its own
// heap block) while the usage of an equivalent bump arena is simulated; used
// to tell how many bytes an arena that was too small would have needed.
class MonitoringAllocator final : public executorch::runtime::MemoryAllocator {
 public:
  static constexpr size_t kUnbounded = static_cast<size_t>(-1);
  // The largest arena a MemoryAllocator can describe (its size is uint32_t).
  static constexpr size_t kMaxCapacity = UINT32_MAX;

  MonitoringAllocator(std::string name, size_t capacity);
  ~MonitoringAllocator() override;
  MonitoringAllocator(const MonitoringAllocator&) = delete;
  MonitoringAllocator& operator=(const MonitoringAllocator&) = delete;

  void* allocate(size_t size, size_t alignment = kDefaultAlignment) override;
  void reset() override;
  size_t used_size() const override;
  size_t free_size() const override;

  const std::string& name() const { return name_; }
  bool unbounded() const { return unbounded_; }
  // False if the arena itself could not be allocated.
  bool arena_ok() const { return arena_ok_; }
  size_t capacity() const { return capacity_; }
  size_t peak() const { return peak_; }
  size_t num_allocations() const { return num_allocations_; }
  bool failed() const { return failed_; }
  // Bytes the arena would have needed to satisfy the first failed request
  // (usage at that point + alignment padding + requested size).
  size_t needed_at_failure() const { return needed_at_failure_; }

 private:
  void Record(size_t used_after);

  std::string name_;
  bool unbounded_;
  bool arena_ok_ = true;
  size_t capacity_;
  AlignedBuffer arena_;
  // Probe mode state.
  size_t virtual_cursor_ = 0;
  std::vector<void*> probe_blocks_;
  // Statistics.
  size_t peak_ = 0;
  size_t num_allocations_ = 0;
  bool failed_ = false;
  size_t needed_at_failure_ = 0;
};

struct ArenaConfig {
  size_t method_arena_bytes = 4u << 20;
  size_t temp_arena_bytes = 1u << 20;
  // Largest total of the memory-planned buffers the session will allocate
  // (guards a corrupt program that declares absurd sizes or many buffers).
  size_t max_planned_bytes = size_t{1} << 30;
};

// ---------------------------------------------------------------------------
// Program loading.

enum class FileKind { kProgram, kBundledProgram, kUnknown, kTooShort };
// Looks at the flatbuffer file identifier (bytes 4..7): "ET??" or "BP??".
FileKind IdentifyFile(const uint8_t* data, size_t size, std::string* identifier);

// Program::load with InternalConsistency verification (unless minimal), with
// its error classified into an exit code and explained; then the runner's own
// checks of the program (program_check.h).
Status LoadProgram(executorch::runtime::DataLoader* loader,
                   bool minimal_verification,
                   std::optional<executorch::runtime::Program>* program);

// A loaded method with the memory it runs in: planned buffers sized from
// MethodMeta, and monitored method and temp arenas.
class MethodSession {
 public:
  // Loads `method_name`. On failure the returned status names the cause
  // (missing operator, which arena is too small, invalid program, ...).
  static Status Create(const executorch::runtime::Program& program,
                       const char* method_name, const ArenaConfig& config,
                       executorch::runtime::EventTracer* event_tracer,
                       std::unique_ptr<MethodSession>* out);
  ~MethodSession();

  executorch::runtime::Method& method() { return *method_; }
  const executorch::runtime::MethodMeta& meta() const { return *meta_; }
  const std::vector<size_t>& planned_buffer_sizes() const {
    return planned_sizes_;
  }
  const MonitoringAllocator& method_allocator() const {
    return *method_allocator_;
  }
  const MonitoringAllocator& temp_allocator() const { return *temp_allocator_; }

 private:
  MethodSession() = default;

  std::optional<executorch::runtime::MethodMeta> meta_;
  std::vector<size_t> planned_sizes_;
  std::vector<AlignedBuffer> planned_buffers_;
  std::vector<executorch::runtime::Span<uint8_t>> planned_spans_;
  std::unique_ptr<executorch::runtime::HierarchicalAllocator> planned_memory_;
  std::unique_ptr<MonitoringAllocator> method_allocator_;
  std::unique_ptr<MonitoringAllocator> temp_allocator_;
  std::unique_ptr<executorch::runtime::MemoryManager> memory_manager_;
  std::optional<executorch::runtime::Method> method_;
};

// Classifies an error of Method::execute (arena exhaustion vs. other).
Status ExecutionStatus(executorch::runtime::Error error,
                       const MethodSession& session);

// ---------------------------------------------------------------------------
// Inputs.

enum class InputFill { kZeros, kOnes, kRandom };

// Tensors (and their storage) for a method's inputs.
class MethodInputs {
 public:
  // Largest input tensor accepted by default (guards a corrupt program).
  static constexpr size_t kDefaultMaxInputBytes = size_t{1} << 30;

  // Raw bytes for one input and what to call them in errors ("input file
  // 'a.bin'").
  struct Bytes {
    const uint8_t* data;
    size_t size;
    std::string source;
  };

  // From raw files, one per input; each size must equal the input's nbytes.
  static Status FromFiles(const executorch::runtime::MethodMeta& meta,
                          const std::vector<std::string>& paths,
                          std::unique_ptr<MethodInputs>* out,
                          size_t max_input_bytes = kDefaultMaxInputBytes);
  // From bytes in memory (e.g. a bundled test case's tensors), one buffer per
  // input (buffers.size() == meta.num_inputs()); each size must equal the
  // input's nbytes.
  static Status FromBytes(const executorch::runtime::MethodMeta& meta,
                          const std::vector<Bytes>& buffers,
                          std::unique_ptr<MethodInputs>* out,
                          size_t max_input_bytes = kDefaultMaxInputBytes);
  // Generated for every input of any numeric or Bool dtype.
  static Status Generate(const executorch::runtime::MethodMeta& meta,
                         InputFill fill, uint64_t seed,
                         std::unique_ptr<MethodInputs>* out,
                         size_t max_input_bytes = kDefaultMaxInputBytes);

  // Method::set_input for every input.
  Status SetAll(executorch::runtime::Method& method) const;

  size_t size() const { return inputs_.size(); }
  const AlignedBuffer& data(size_t i) const { return inputs_[i]->data; }
  std::string Describe(size_t i) const;

 private:
  struct Input {
    executorch::aten::ScalarType dtype;
    std::vector<int32_t> sizes;
    std::vector<uint8_t> dim_order;
    std::vector<int32_t> strides;
    AlignedBuffer data;
    std::unique_ptr<executorch::aten::TensorImpl> impl;
  };
  static Status Prepare(const executorch::runtime::MethodMeta& meta, size_t i,
                        size_t max_input_bytes, std::unique_ptr<Input>* out);

  std::vector<std::unique_ptr<Input>> inputs_;
};

// ---------------------------------------------------------------------------
// Bundled programs (bundled_program.h).

// "Float[2, 3]" or "Long scalar".
std::string Describe(const BundledValue& value);

// The inputs of one bundled test case (read with at least the method's number
// of inputs as max_values): as many as the method has, each a tensor of the
// method's dtype, shape and dim order (kExitBadInput otherwise). `where` names
// the test case in errors.
Status BundledInputs(
    const executorch::runtime::MethodMeta& meta,
    const BundledTestCase& test_case, const std::string& where,
    std::unique_ptr<MethodInputs>* out,
    size_t max_input_bytes = MethodInputs::kDefaultMaxInputBytes);

// A file read by ReadFileAtMost.
struct FileContents {
  std::vector<uint8_t> bytes;  // empty when the file is larger than the limit
  // The file's size; not exact for a file read up to the limit that had more
  // (a pipe, a device): then "more than `size` bytes".
  uint64_t size = 0;
  bool size_exact = true;

  // "24 bytes" or "more than 24 bytes".
  std::string SizeText() const;
};

// Reads the file at `path` when it holds at most `limit` bytes, never more: a
// regular file's size is taken first (and nothing is read when it exceeds
// `limit`), any other file (a pipe, /dev/zero) is read up to `limit` + 1
// bytes. False + the errno text in *error when it cannot be opened or read.
bool ReadFileAtMost(const std::string& path, size_t limit, FileContents* out,
                    std::string* error);

}  // namespace etrunner
