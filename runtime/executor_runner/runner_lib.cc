#include "runtime/executor_runner/runner_lib.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <utility>

#include <executorch/runtime/core/exec_aten/exec_aten.h>
#include <executorch/runtime/core/portable_type/bfloat16.h>
#include <executorch/runtime/core/portable_type/half.h>
#include <executorch/runtime/core/portable_type/tensor.h>
#include <executorch/runtime/core/tag.h>
#include <executorch/runtime/platform/platform.h>
#include <executorch/runtime/platform/runtime.h>

#include "runtime/executor_runner/program_check.h"

namespace etrunner {

using executorch::aten::ScalarType;
using executorch::runtime::Error;
using executorch::runtime::EValue;
using executorch::runtime::HierarchicalAllocator;
using executorch::runtime::MemoryManager;
using executorch::runtime::Method;
using executorch::runtime::MethodMeta;
using executorch::runtime::Program;
using executorch::runtime::Result;
using executorch::runtime::Span;
using executorch::runtime::Tag;
using executorch::runtime::TensorInfo;

const char* ExitCodeName(int code) {
  switch (code) {
    case kExitOk:
      return "ok";
    case kExitInternal:
      return "internal";
    case kExitUsage:
      return "usage";
    case kExitIo:
      return "io";
    case kExitInvalidProgram:
      return "invalid_program";
    case kExitMissingOperator:
      return "missing_operator";
    case kExitBadInput:
      return "bad_input";
    case kExitArenaTooSmall:
      return "arena_too_small";
    case kExitExecution:
      return "execution";
    case kExitVerification:
      return "verification";
    case kExitUnsupported:
      return "unsupported";
    case kExitRuntimeAbort:
      return "runtime_abort";
    case kExitFatalSignal:
      return "fatal_signal";
    case kExitOutOfMemory:
      return "out_of_memory";
    default:
      return "unknown";
  }
}

// ---------------------------------------------------------------------------
// Log capture.

namespace {

constexpr size_t kMaxCapturedErrors = 16;
std::vector<std::string>* g_errors = nullptr;
bool g_verbose = false;

void EmitLog(et_timestamp_t /*timestamp*/, et_pal_log_level_t level,
             const char* filename, const char* /*function*/, size_t line,
             const char* message, size_t length) {
  std::string text(message, length);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  if (g_verbose) {
    std::fprintf(stderr, "[executorch %c] %s:%zu: %s\n",
                 static_cast<char>(level), filename ? filename : "?", line,
                 text.c_str());
  }
  if (level == kError || level == kFatal) {
    if (g_errors == nullptr) {
      g_errors = new std::vector<std::string>();
    }
    if (g_errors->size() >= kMaxCapturedErrors) {
      g_errors->erase(g_errors->begin());
    }
    g_errors->push_back(std::move(text));
  }
}

const char* g_program_name = "executor_runner";
const char* volatile g_signal_context = "running";
void (*g_abort_callback)() = nullptr;

void WriteStderr(const char* text) {
  (void)!write(2, text, std::strlen(text));
}

// ET_CHECK failed: the runtime logged a Fatal message and calls abort.
[[noreturn]] void AbortHook() {
  if (g_abort_callback != nullptr) {
    g_abort_callback();
  }
  std::fflush(stdout);
  std::string message = std::string(g_program_name) +
                        ": error: runtime abort (a failed ExecuTorch check; "
                        "the program is likely malformed): " +
                        (g_errors && !g_errors->empty() ? g_errors->back()
                                                        : "no message") +
                        "\n";
  WriteStderr(message.c_str());
  _exit(kExitRuntimeAbort);
}

void FatalSignalHandler(int sig) {
  // Only async-signal-safe calls.
  WriteStderr(g_program_name);
  WriteStderr(": error: fatal signal ");
  WriteStderr(sig == SIGSEGV   ? "SIGSEGV"
              : sig == SIGBUS  ? "SIGBUS"
              : sig == SIGFPE  ? "SIGFPE"
              : sig == SIGILL  ? "SIGILL"
              : sig == SIGABRT ? "SIGABRT"
                               : "?");
  WriteStderr(" while ");
  WriteStderr(g_signal_context);
  WriteStderr(" (the program is likely malformed)\n");
  _exit(kExitFatalSignal);
}

}  // namespace

void InitRuntime(bool verbose, const char* program_name) {
  g_verbose = verbose;
  g_program_name = program_name;
  executorch::runtime::register_pal(executorch::runtime::PalImpl::create(
      /*init=*/nullptr, /*abort=*/&AbortHook, /*current_ticks=*/nullptr,
      /*ticks_to_ns_multiplier=*/nullptr, /*emit_log_message=*/&EmitLog,
      /*allocate=*/nullptr, /*free=*/nullptr, __FILE__));
  executorch::runtime::runtime_init();
}

void InstallFatalSignalHandlers() {
  // The handler runs on a stack of its own: a SIGSEGV from a stack overflow
  // (e.g. deep recursion in a kernel) has no stack left to run it on.
  static uint8_t alternate_stack[64 * 1024];
  stack_t stack;
  std::memset(&stack, 0, sizeof(stack));
  stack.ss_sp = alternate_stack;
  stack.ss_size = sizeof(alternate_stack);
  sigaltstack(&stack, nullptr);
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = &FatalSignalHandler;
  action.sa_flags = SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  // SIGABRT: abort() outside ExecuTorch's checks (e.g. glibc's heap checks,
  // std::terminate); ExecuTorch's own ET_CHECK goes through AbortHook.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
    sigaction(sig, &action, nullptr);
  }
}

void SetFatalSignalContext(const char* context) { g_signal_context = context; }

void SetAbortCallback(void (*callback)()) { g_abort_callback = callback; }

void ClearCapturedLog() {
  if (g_errors != nullptr) {
    g_errors->clear();
  }
}

std::string CapturedErrors(size_t max_messages) {
  std::string out;
  if (g_errors == nullptr || g_errors->empty()) {
    return out;
  }
  size_t n = std::min(max_messages, g_errors->size());
  for (size_t i = g_errors->size() - n; i < g_errors->size(); ++i) {
    if (!out.empty()) {
      out += "; ";
    }
    out += (*g_errors)[i];
  }
  return out;
}

namespace {

// "Error::X" plus, when the runtime logged why, ": <its message>".
std::string Explain(Error error) {
  std::string text = executorch::runtime::to_string(error);
  std::string logged = CapturedErrors();
  if (!logged.empty()) {
    text += ": " + logged;
  }
  return text;
}

}  // namespace

// ---------------------------------------------------------------------------
// Scalar types.

const char* DtypeName(ScalarType t) {
  switch (t) {
#define ETRUNNER_DTYPE_NAME(ctype, name) \
  case ScalarType::name:                 \
    return #name;
    ET_FORALL_SCALAR_TYPES(ETRUNNER_DTYPE_NAME)
#undef ETRUNNER_DTYPE_NAME
    default:
      return "Unknown";
  }
}

size_t DtypeSize(ScalarType t) {
  switch (t) {
    case ScalarType::Bool:
    case ScalarType::Byte:
    case ScalarType::Char:
    case ScalarType::QInt8:
    case ScalarType::QUInt8:
      return 1;
    case ScalarType::Short:
    case ScalarType::Half:
    case ScalarType::BFloat16:
      return 2;
    case ScalarType::Int:
    case ScalarType::Float:
    case ScalarType::QInt32:
    case ScalarType::ComplexHalf:
      return 4;
    case ScalarType::Long:
    case ScalarType::Double:
    case ScalarType::ComplexFloat:
      return 8;
    case ScalarType::ComplexDouble:
      return 16;
    default:
      return 0;
  }
}

bool IsFloatingDtype(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double ||
         t == ScalarType::Half || t == ScalarType::BFloat16;
}

std::string ShapeString(const int32_t* sizes, size_t dim) {
  // A crafted shape can have millions of dimensions: print a few.
  constexpr size_t kMaxDims = 16;
  std::string s = "[";
  for (size_t i = 0; i < std::min(dim, kMaxDims); ++i) {
    if (i > 0) {
      s += ", ";
    }
    s += std::to_string(sizes[i]);
  }
  if (dim > kMaxDims) {
    s += ", ... (" + std::to_string(dim) + " dims)";
  }
  return s + "]";
}

// ---------------------------------------------------------------------------
// Memory.

void AlignedBuffer::Free::operator()(uint8_t* p) const { std::free(p); }

bool AlignedBuffer::Allocate(size_t size, size_t alignment) {
  data_.reset();
  size_ = 0;
  // aligned_alloc wants a multiple of the alignment; never 0 bytes.
  size_t rounded = size == 0 ? alignment : size;
  if (rounded > std::numeric_limits<size_t>::max() - alignment) {
    return false;
  }
  rounded = (rounded + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (p == nullptr) {
    return false;
  }
  std::memset(p, 0, rounded);
  data_.reset(static_cast<uint8_t*>(p));
  size_ = size;
  return true;
}

MonitoringAllocator::MonitoringAllocator(std::string name, size_t capacity)
    // The base class' own arena is unused: every virtual is overridden.
    : MemoryAllocator(0, nullptr),
      name_(std::move(name)),
      unbounded_(capacity == kUnbounded),
      capacity_(capacity) {
  if (!unbounded_) {
    if (capacity_ > kMaxCapacity) {
      arena_ok_ = false;
    } else if (capacity_ > 0) {
      arena_ok_ = arena_.Allocate(capacity_);
    }
  }
}

MonitoringAllocator::~MonitoringAllocator() { reset(); }

void MonitoringAllocator::Record(size_t used_after) {
  ++num_allocations_;
  if (used_after > peak_) {
    peak_ = used_after;
  }
}

void* MonitoringAllocator::allocate(size_t size, size_t alignment) {
  if (!isPowerOf2(alignment)) {
    ET_LOG(Error, "%s: alignment %zu is not a power of 2", name_.c_str(),
           alignment);
    return nullptr;
  }
  if (unbounded_) {
    size_t start = (virtual_cursor_ + alignment - 1) & ~(alignment - 1);
    if (start < virtual_cursor_ || size > kMaxCapacity) {
      return nullptr;
    }
    size_t block_alignment = std::max(alignment, alignof(std::max_align_t));
    size_t rounded = size == 0 ? block_alignment : size;
    rounded = (rounded + block_alignment - 1) / block_alignment *
              block_alignment;
    void* p = std::aligned_alloc(block_alignment, rounded);
    if (p == nullptr) {
      return nullptr;
    }
    probe_blocks_.push_back(p);
    virtual_cursor_ = start + size;
    Record(virtual_cursor_);
    return p;
  }
  uint8_t* base = arena_.data();
  if (!arena_ok_ || base == nullptr) {
    if (!failed_) {
      failed_ = true;
      needed_at_failure_ = size;
    }
    return nullptr;
  }
  uintptr_t base_addr = reinterpret_cast<uintptr_t>(base);
  uintptr_t cur_addr = base_addr + virtual_cursor_;
  uintptr_t aligned = (cur_addr + alignment - 1) & ~(alignment - 1);
  size_t start = static_cast<size_t>(aligned - base_addr);
  if (aligned < cur_addr || start > capacity_ || size > capacity_ - start) {
    if (!failed_) {
      failed_ = true;
      needed_at_failure_ = start + size < start ? kMaxCapacity : start + size;
    }
    ET_LOG(Error, "%s: %zu bytes requested with %zu of %zu in use",
           name_.c_str(), size, virtual_cursor_, capacity_);
    return nullptr;
  }
  virtual_cursor_ = start + size;
  Record(virtual_cursor_);
  return base + start;
}

void MonitoringAllocator::reset() {
  for (void* p : probe_blocks_) {
    std::free(p);
  }
  probe_blocks_.clear();
  virtual_cursor_ = 0;
}

size_t MonitoringAllocator::used_size() const { return virtual_cursor_; }

size_t MonitoringAllocator::free_size() const {
  if (unbounded_) {
    return kMaxCapacity;
  }
  return capacity_ > virtual_cursor_ ? capacity_ - virtual_cursor_ : 0;
}

// ---------------------------------------------------------------------------
// Program loading.

FileKind IdentifyFile(const uint8_t* data, size_t size,
                      std::string* identifier) {
  if (size < 8) {
    return FileKind::kTooShort;
  }
  std::string id;
  for (size_t i = 4; i < 8; ++i) {
    char c = static_cast<char>(data[i]);
    id += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (identifier != nullptr) {
    *identifier = id;
  }
  if (id[0] == 'E' && id[1] == 'T') {
    return FileKind::kProgram;
  }
  if (id[0] == 'B' && id[1] == 'P') {
    return FileKind::kBundledProgram;
  }
  return FileKind::kUnknown;
}

namespace {

// Runs CheckProgram on the program's flatbuffer: the whole file, or, when
// the extended header ("eh00" at offset 8) gives its size, the part before
// the segments (which hold constant and delegate data, not read here).
Status CheckProgramFlatbuffer(executorch::runtime::DataLoader* loader) {
  using executorch::runtime::DataLoader;
  using executorch::runtime::FreeableBuffer;
  const DataLoader::SegmentInfo info(DataLoader::SegmentInfo::Type::Program);
  Result<size_t> file_size = loader->size();
  if (!file_size.ok()) {
    return Status::Error(kExitIo, "cannot read the program's size: " +
                                      Explain(file_size.error()));
  }
  size_t size = file_size.get();
  constexpr size_t kHeadBytes = 24;  // through the extended header's program_size
  if (size >= kHeadBytes) {
    Result<FreeableBuffer> head = loader->load(0, kHeadBytes, info);
    if (!head.ok()) {
      return Status::Error(kExitIo, "cannot read the program's header: " +
                                        Explain(head.error()));
    }
    const auto* bytes = static_cast<const uint8_t*>(head->data());
    uint64_t program_size = 0;
    std::memcpy(&program_size, bytes + 16, sizeof(program_size));
    if (std::memcmp(bytes + 8, "eh00", 4) == 0 && program_size > 0 &&
        program_size <= size) {
      size = static_cast<size_t>(program_size);
    }
  }
  Result<FreeableBuffer> flatbuffer = loader->load(0, size, info);
  if (!flatbuffer.ok()) {
    return Status::Error(kExitIo, "cannot read the program: " +
                                      Explain(flatbuffer.error()));
  }
  return CheckProgram(static_cast<const uint8_t*>(flatbuffer->data()),
                         flatbuffer->size());
}

}  // namespace

Status LoadProgram(executorch::runtime::DataLoader* loader,
                   bool minimal_verification,
                   std::optional<Program>* program) {
  ClearCapturedLog();
  Result<Program> result = Program::load(
      loader, minimal_verification ? Program::Verification::Minimal
                                   : Program::Verification::InternalConsistency);
  if (!result.ok()) {
    return Status::Error(kExitInvalidProgram,
                         "cannot load program (corrupt, truncated or "
                         "incompatible .pte): " +
                             Explain(result.error()));
  }
  program->emplace(std::move(result.get()));
  return CheckProgramFlatbuffer(loader);
}

namespace {

std::string MethodNames(const Program& program) {
  std::string names;
  for (size_t i = 0; i < program.num_methods(); ++i) {
    Result<const char*> name = program.get_method_name(i);
    if (name.ok()) {
      if (!names.empty()) {
        names += ", ";
      }
      names += name.get();
    }
  }
  return names.empty() ? "(none)" : names;
}

std::string Flag(const MonitoringAllocator& a) {
  return a.name() == "method arena" ? "--method_arena_bytes"
                                    : "--temp_arena_bytes";
}

Status ArenaTooSmall(const MonitoringAllocator& a, size_t needed,
                     bool exact) {
  return Status::Error(
      kExitArenaTooSmall,
      a.name() + " too small: needs " + (exact ? "" : "at least ") +
          std::to_string(needed) + " bytes, " + std::to_string(a.capacity()) +
          " available (raise " + Flag(a) + ")");
}

}  // namespace

MethodSession::~MethodSession() {
  // The method refers to the memory manager and arenas: destroy it first.
  method_.reset();
}

Status MethodSession::Create(const Program& program, const char* method_name,
                             const ArenaConfig& config,
                             executorch::runtime::EventTracer* event_tracer,
                             std::unique_ptr<MethodSession>* out) {
  std::unique_ptr<MethodSession> s(new MethodSession());
  ClearCapturedLog();
  Result<MethodMeta> meta = program.method_meta(method_name);
  if (!meta.ok()) {
    if (meta.error() == Error::InvalidArgument ||
        meta.error() == Error::NotFound) {
      return Status::Error(kExitUsage,
                           std::string("no method '") + method_name +
                               "' in the program; it has: " +
                               MethodNames(program));
    }
    return Status::Error(kExitInvalidProgram,
                         std::string("cannot read metadata of method '") +
                             method_name + "': " + Explain(meta.error()));
  }
  s->meta_.emplace(meta.get());

  // Memory-planned buffers: exactly the sizes the program declares, allocated
  // only when their total is within the limit (a corrupt program can declare
  // many buffers, each below it).
  size_t n = s->meta_->num_memory_planned_buffers();
  s->planned_sizes_.reserve(n);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    Result<int64_t> size = s->meta_->memory_planned_buffer_size(i);
    if (!size.ok() || size.get() < 0) {
      return Status::Error(kExitInvalidProgram,
                           "invalid size of memory-planned buffer " +
                               std::to_string(i));
    }
    uint64_t bytes = static_cast<uint64_t>(size.get());
    if (bytes > config.max_planned_bytes - total) {
      return Status::Error(
          kExitArenaTooSmall,
          "planned memory too small: buffers 0.." + std::to_string(i) +
              " of " + std::to_string(n) + " need more than " +
              std::to_string(config.max_planned_bytes) +
              " bytes (the largest total of planned buffers allowed, "
              "--max_planned_bytes); buffer " +
              std::to_string(i) + " (memory id " + std::to_string(i + 1) +
              ") alone needs " + std::to_string(bytes));
    }
    total += static_cast<size_t>(bytes);
    s->planned_sizes_.push_back(static_cast<size_t>(bytes));
  }
  s->planned_buffers_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    size_t bytes = s->planned_sizes_[i];
    if (!s->planned_buffers_[i].Allocate(bytes)) {
      return Status::Error(kExitOutOfMemory,
                           "out of memory: cannot allocate planned buffer " +
                               std::to_string(i) + " of " +
                               std::to_string(bytes) + " bytes");
    }
    s->planned_spans_.emplace_back(s->planned_buffers_[i].data(), bytes);
  }
  s->planned_memory_ = std::make_unique<HierarchicalAllocator>(
      Span<Span<uint8_t>>(s->planned_spans_.data(), s->planned_spans_.size()));
  s->method_allocator_ = std::make_unique<MonitoringAllocator>(
      "method arena", config.method_arena_bytes);
  s->temp_allocator_ = std::make_unique<MonitoringAllocator>(
      "temp arena", config.temp_arena_bytes);
  for (const MonitoringAllocator* a :
       {s->method_allocator_.get(), s->temp_allocator_.get()}) {
    if (!a->arena_ok()) {
      return Status::Error(kExitArenaTooSmall,
                           "cannot allocate the " + a->name() + " of " +
                               std::to_string(a->capacity()) + " bytes" +
                               (a->capacity() > MonitoringAllocator::kMaxCapacity
                                    ? " (more than 4 GiB - 1)"
                                    : ""));
    }
  }
  s->memory_manager_ = std::make_unique<MemoryManager>(
      s->method_allocator_.get(), s->planned_memory_.get(),
      s->temp_allocator_.get());

  ClearCapturedLog();
  Result<Method> method =
      program.load_method(method_name, s->memory_manager_.get(), event_tracer);
  if (!method.ok()) {
    Error error = method.error();
    if (error == Error::OperatorMissing) {
      return Status::Error(kExitMissingOperator,
                           std::string("cannot load method '") + method_name +
                               "': missing operator (the program needs a "
                               "kernel this runner does not link): " +
                               Explain(error));
    }
    for (MonitoringAllocator* a :
         {s->method_allocator_.get(), s->temp_allocator_.get()}) {
      if (!a->failed()) {
        continue;
      }
      // Measure what the arena would have needed with an unbounded probe.
      ArenaConfig probe = config;
      if (a == s->method_allocator_.get()) {
        probe.method_arena_bytes = MonitoringAllocator::kUnbounded;
      } else {
        probe.temp_arena_bytes = MonitoringAllocator::kUnbounded;
      }
      std::unique_ptr<MethodSession> measured;
      Status st = Create(program, method_name, probe, nullptr, &measured);
      if (st.ok()) {
        const MonitoringAllocator& m = a == s->method_allocator_.get()
                                           ? measured->method_allocator()
                                           : measured->temp_allocator();
        return ArenaTooSmall(*a, m.peak(), /*exact=*/true);
      }
      return ArenaTooSmall(*a, a->needed_at_failure(), /*exact=*/false);
    }
    return Status::Error(kExitInvalidProgram,
                         std::string("cannot load method '") + method_name +
                             "': " + Explain(error));
  }
  // ExecuTorch 1.5.1's Method::init resolves every operator before failing,
  // keeping the error of a bad instruction in a "delayed_error" -- which the
  // next successfully resolved instruction overwrites with Error::Ok. A
  // program with an out-of-range operator index then loads "successfully"
  // with a null kernel and crashes in execute() (found by
  // //tests/runtime:pte_loader_fuzz_test). The error is still logged: a load
  // that logged an error is treated as failed.
  std::string logged = CapturedErrors();
  if (!logged.empty()) {
    return Status::Error(kExitInvalidProgram,
                         std::string("cannot load method '") + method_name +
                             "': the runtime reported an error while loading "
                             "it (" +
                             logged + ")");
  }
  s->method_.emplace(std::move(method.get()));
  *out = std::move(s);
  return Status::Ok();
}

Status ExecutionStatus(Error error, const MethodSession& session) {
  if (error == Error::Ok) {
    return Status::Ok();
  }
  for (const MonitoringAllocator* a :
       {&session.temp_allocator(), &session.method_allocator()}) {
    if (a->failed()) {
      return ArenaTooSmall(*a, a->needed_at_failure(), /*exact=*/false);
    }
  }
  if (error == Error::OperatorMissing) {
    return Status::Error(kExitMissingOperator,
                         "missing operator: " + Explain(error));
  }
  return Status::Error(kExitExecution, "execution failed: " + Explain(error));
}

// ---------------------------------------------------------------------------
// Inputs.

std::string FileContents::SizeText() const {
  return (size_exact ? "" : "more than ") + std::to_string(size) + " bytes";
}

bool ReadFileAtMost(const std::string& path, size_t limit, FileContents* out,
                    std::string* error) {
  *out = FileContents();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = std::strerror(errno);
    close(fd);
    return false;
  }
  bool regular = S_ISREG(st.st_mode);
  if (regular && static_cast<uint64_t>(st.st_size) > limit) {
    out->size = static_cast<uint64_t>(st.st_size);
    close(fd);
    return true;
  }
  // A regular file is read to its size; anything else (a pipe, /dev/zero) to
  // the limit, plus one byte that tells "more than the limit".
  size_t want = regular ? static_cast<size_t>(st.st_size) : limit;
  size_t got = 0;
  bool more = false;
  ssize_t n = 0;
  while (got < want) {
    if (got == out->bytes.size()) {
      out->bytes.resize(std::min(want, std::max<size_t>(2 * got, 1 << 16)));
    }
    n = read(fd, out->bytes.data() + got, out->bytes.size() - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (n >= 0 && !regular && got == want) {
    uint8_t extra;
    do {
      n = read(fd, &extra, 1);
    } while (n < 0 && errno == EINTR);
    more = n > 0;
  }
  if (n < 0) {
    *error = std::strerror(errno);
    close(fd);
    return false;
  }
  close(fd);
  out->bytes.resize(got);
  out->size = got;
  out->size_exact = !more;
  return true;
}

namespace {

// "<source> has <size_text>, but input <i> (Float[2, 3]) needs 24 bytes".
std::string SizeMismatch(const std::string& source,
                         const std::string& size_text, size_t i,
                         ScalarType dtype, Span<const int32_t> sizes,
                         size_t nbytes) {
  return source + " has " + size_text + ", but input " + std::to_string(i) +
         " (" + DtypeName(dtype) + ShapeString(sizes.data(), sizes.size()) +
         ") needs " + std::to_string(nbytes) + " bytes";
}

}  // namespace

Status MethodInputs::Prepare(const MethodMeta& meta, size_t i,
                             size_t max_input_bytes,
                             std::unique_ptr<Input>* out) {
  Result<Tag> tag = meta.input_tag(i);
  if (!tag.ok()) {
    return Status::Error(kExitInvalidProgram,
                         "cannot read the type of input " + std::to_string(i));
  }
  if (tag.get() != Tag::Tensor) {
    return Status::Error(
        kExitBadInput,
        "input " + std::to_string(i) + " is not a tensor (EValue tag " +
            std::to_string(static_cast<uint32_t>(tag.get())) +
            "); only tensor inputs are supported");
  }
  Result<TensorInfo> info = meta.input_tensor_meta(i);
  if (!info.ok()) {
    return Status::Error(kExitInvalidProgram,
                         "cannot read the metadata of input " +
                             std::to_string(i));
  }
  auto in = std::make_unique<Input>();
  in->dtype = info->scalar_type();
  Span<const int32_t> sizes = info->sizes();
  Span<const uint8_t> dim_order = info->dim_order();
  size_t dim = sizes.size();
  in->sizes.assign(sizes.begin(), sizes.end());
  in->dim_order.assign(dim_order.begin(), dim_order.end());
  // dim_order must be a permutation of 0..dim-1 to derive strides from it.
  std::vector<bool> seen(dim, false);
  bool valid = in->dim_order.size() == dim;
  for (size_t k = 0; valid && k < dim; ++k) {
    uint8_t d = in->dim_order[k];
    valid = d < dim && !seen[d] && in->sizes[d] >= 0;
    if (valid) {
      seen[d] = true;
    }
  }
  if (!valid) {
    return Status::Error(kExitInvalidProgram,
                         "input " + std::to_string(i) +
                             " has an invalid shape or dim order");
  }
  in->strides.assign(dim, 1);
  for (size_t k = dim; k-- > 1;) {
    int64_t stride = static_cast<int64_t>(in->strides[in->dim_order[k]]) *
                     in->sizes[in->dim_order[k]];
    if (stride > std::numeric_limits<int32_t>::max()) {
      return Status::Error(kExitInvalidProgram,
                           "input " + std::to_string(i) + " is too large");
    }
    in->strides[in->dim_order[k - 1]] = static_cast<int32_t>(stride);
  }
  if (info->nbytes() > max_input_bytes || !in->data.Allocate(info->nbytes())) {
    return Status::Error(kExitBadInput,
                         "cannot allocate " + std::to_string(info->nbytes()) +
                             " bytes for input " + std::to_string(i));
  }
  in->impl = std::make_unique<executorch::aten::TensorImpl>(
      in->dtype, static_cast<ssize_t>(dim), in->sizes.data(), in->data.data(),
      in->dim_order.data(), in->strides.data());
  *out = std::move(in);
  return Status::Ok();
}

std::string MethodInputs::Describe(size_t i) const {
  const Input& in = *inputs_[i];
  return std::string(DtypeName(in.dtype)) +
         ShapeString(in.sizes.data(), in.sizes.size());
}

Status MethodInputs::FromFiles(const MethodMeta& meta,
                               const std::vector<std::string>& paths,
                               std::unique_ptr<MethodInputs>* out,
                               size_t max_input_bytes) {
  if (paths.size() != meta.num_inputs()) {
    return Status::Error(kExitBadInput,
                         "--input_files has " + std::to_string(paths.size()) +
                             " file(s), but method '" + meta.name() +
                             "' has " + std::to_string(meta.num_inputs()) +
                             " input(s)");
  }
  // Each file is read only up to its input's size (a non-tensor input or one
  // above max_input_bytes is reported by FromBytes).
  std::vector<FileContents> contents(paths.size());
  std::vector<Bytes> buffers;
  for (size_t i = 0; i < paths.size(); ++i) {
    Result<TensorInfo> info = meta.input_tensor_meta(i);
    bool sized = info.ok() && info->nbytes() <= max_input_bytes;
    size_t nbytes = sized ? info->nbytes() : 0;
    std::string error;
    if (!ReadFileAtMost(paths[i], nbytes, &contents[i], &error)) {
      return Status::Error(kExitIo, "cannot read input file '" + paths[i] +
                                        "': " + error);
    }
    std::string source = "input file '" + paths[i] + "'";
    if (sized && (!contents[i].size_exact || contents[i].size != nbytes)) {
      return Status::Error(
          kExitBadInput,
          SizeMismatch(source, contents[i].SizeText(), i,
                       info->scalar_type(), info->sizes(), nbytes));
    }
    buffers.push_back(
        {contents[i].bytes.data(), contents[i].bytes.size(), source});
  }
  return FromBytes(meta, buffers, out, max_input_bytes);
}

Status MethodInputs::FromBytes(const MethodMeta& meta,
                               const std::vector<Bytes>& buffers,
                               std::unique_ptr<MethodInputs>* out,
                               size_t max_input_bytes) {
  if (buffers.size() != meta.num_inputs()) {
    return Status::Error(kExitInternal,
                         std::to_string(buffers.size()) +
                             " input buffer(s) for " +
                             std::to_string(meta.num_inputs()) + " input(s)");
  }
  auto inputs = std::unique_ptr<MethodInputs>(new MethodInputs());
  for (size_t i = 0; i < buffers.size(); ++i) {
    std::unique_ptr<Input> in;
    Status st = Prepare(meta, i, max_input_bytes, &in);
    if (!st.ok()) {
      return st;
    }
    const Bytes& bytes = buffers[i];
    if (bytes.size != in->data.size()) {
      return Status::Error(
          kExitBadInput,
          SizeMismatch(bytes.source, std::to_string(bytes.size) + " bytes", i,
                       in->dtype, {in->sizes.data(), in->sizes.size()},
                       in->data.size()));
    }
    if (bytes.size > 0) {
      std::memcpy(in->data.data(), bytes.data, bytes.size);
    }
    inputs->inputs_.push_back(std::move(in));
  }
  *out = std::move(inputs);
  return Status::Ok();
}

namespace {

template <typename T>
void FillAll(uint8_t* data, size_t n, T value) {
  T* p = reinterpret_cast<T*>(data);
  for (size_t i = 0; i < n; ++i) {
    p[i] = value;
  }
}

template <typename T, typename Gen>
void FillWith(uint8_t* data, size_t n, Gen&& gen) {
  T* p = reinterpret_cast<T*>(data);
  for (size_t i = 0; i < n; ++i) {
    p[i] = gen();
  }
}

// Ones and seeded random values for every dtype a numeric input can have:
// floats uniform in [-1, 1), signed integers in [-8, 8], unsigned in [0, 16],
// Bool 0/1 with probability 1/2.
bool FillInput(ScalarType t, uint8_t* data, size_t nbytes, InputFill fill,
               std::mt19937_64* rng) {
  size_t elem = DtypeSize(t);
  if (elem == 0) {
    return false;
  }
  size_t n = nbytes / elem;
  if (fill == InputFill::kZeros) {
    std::memset(data, 0, nbytes);
    return true;
  }
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> sint(-8, 8);
  std::uniform_int_distribution<int> uint(0, 16);
  std::bernoulli_distribution coin(0.5);
  bool ones = fill == InputFill::kOnes;
  switch (t) {
    case ScalarType::Float:
      ones ? FillAll<float>(data, n, 1.0f)
           : FillWith<float>(data, n, [&] { return real(*rng); });
      return true;
    case ScalarType::Double:
      ones ? FillAll<double>(data, n, 1.0)
           : FillWith<double>(data, n, [&] { return double{real(*rng)}; });
      return true;
    case ScalarType::Half:
      ones ? FillAll(data, n, executorch::aten::Half(1.0f))
           : FillWith<executorch::aten::Half>(
                 data, n, [&] { return executorch::aten::Half(real(*rng)); });
      return true;
    case ScalarType::BFloat16:
      ones ? FillAll(data, n, executorch::aten::BFloat16(1.0f))
           : FillWith<executorch::aten::BFloat16>(data, n, [&] {
               return executorch::aten::BFloat16(real(*rng));
             });
      return true;
    case ScalarType::ComplexFloat:
      // Interleaved (real, imaginary) floats; "ones" is 1+0i.
      for (size_t i = 0; i < n; ++i) {
        const float parts[2] = {ones ? 1.0f : real(*rng), ones ? 0.0f : real(*rng)};
        std::memcpy(data + 2 * i * sizeof(float), parts, sizeof(parts));
      }
      return true;
    case ScalarType::ComplexDouble:
      for (size_t i = 0; i < n; ++i) {
        const double parts[2] = {ones ? 1.0 : real(*rng), ones ? 0.0 : real(*rng)};
        std::memcpy(data + 2 * i * sizeof(double), parts, sizeof(parts));
      }
      return true;
    case ScalarType::Byte:
    case ScalarType::QUInt8:
      ones ? FillAll<uint8_t>(data, n, 1)
           : FillWith<uint8_t>(
                 data, n, [&] { return static_cast<uint8_t>(uint(*rng)); });
      return true;
    case ScalarType::Char:
    case ScalarType::QInt8:
      ones ? FillAll<int8_t>(data, n, 1)
           : FillWith<int8_t>(
                 data, n, [&] { return static_cast<int8_t>(sint(*rng)); });
      return true;
    case ScalarType::Short:
      ones ? FillAll<int16_t>(data, n, 1)
           : FillWith<int16_t>(
                 data, n, [&] { return static_cast<int16_t>(sint(*rng)); });
      return true;
    case ScalarType::Int:
    case ScalarType::QInt32:
      ones ? FillAll<int32_t>(data, n, 1)
           : FillWith<int32_t>(data, n, [&] { return sint(*rng); });
      return true;
    case ScalarType::Long:
      ones ? FillAll<int64_t>(data, n, 1)
           : FillWith<int64_t>(data, n,
                               [&] { return int64_t{sint(*rng)}; });
      return true;
    case ScalarType::Bool:
      ones ? FillAll<uint8_t>(data, n, 1)
           : FillWith<uint8_t>(data, n, [&] {
               return static_cast<uint8_t>(coin(*rng) ? 1 : 0);
             });
      return true;
    default:
      return false;
  }
}

}  // namespace

Status MethodInputs::Generate(const MethodMeta& meta, InputFill fill,
                              uint64_t seed,
                              std::unique_ptr<MethodInputs>* out,
                              size_t max_input_bytes) {
  auto inputs = std::unique_ptr<MethodInputs>(new MethodInputs());
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < meta.num_inputs(); ++i) {
    std::unique_ptr<Input> in;
    Status st = Prepare(meta, i, max_input_bytes, &in);
    if (!st.ok()) {
      return st;
    }
    if (!FillInput(in->dtype, in->data.data(), in->data.size(), fill, &rng)) {
      return Status::Error(kExitBadInput,
                           "cannot generate values of dtype " +
                               std::string(DtypeName(in->dtype)) +
                               " for input " + std::to_string(i) +
                               "; pass --input_files");
    }
    inputs->inputs_.push_back(std::move(in));
  }
  *out = std::move(inputs);
  return Status::Ok();
}

Status MethodInputs::SetAll(Method& method) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    ClearCapturedLog();
    executorch::aten::Tensor tensor(inputs_[i]->impl.get());
    Error error = method.set_input(EValue(tensor), i);
    if (error != Error::Ok) {
      return Status::Error(kExitBadInput, "cannot set input " +
                                              std::to_string(i) + " (" +
                                              Describe(i) +
                                              "): " + Explain(error));
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Bundled programs.

std::string Describe(const BundledValue& value) {
  if (value.is_tensor) {
    return std::string(DtypeName(value.dtype)) +
           ShapeString(value.sizes.data, value.sizes.size);
  }
  return std::string(DtypeName(value.dtype)) + " scalar";
}

Status BundledInputs(const MethodMeta& meta, const BundledTestCase& test_case,
                     const std::string& where,
                     std::unique_ptr<MethodInputs>* out,
                     size_t max_input_bytes) {
  if (test_case.num_inputs != meta.num_inputs() ||
      test_case.inputs.size() != test_case.num_inputs) {
    return Status::Error(kExitBadInput,
                         where + " has " +
                             std::to_string(test_case.num_inputs) +
                             " input(s), but method '" + meta.name() +
                             "' has " + std::to_string(meta.num_inputs()));
  }
  std::vector<MethodInputs::Bytes> buffers;
  for (size_t i = 0; i < test_case.inputs.size(); ++i) {
    const BundledValue& value = test_case.inputs[i];
    std::string name = where + " input " + std::to_string(i);
    if (!value.is_tensor) {
      return Status::Error(kExitBadInput,
                           name + " is a " + Describe(value) +
                               "; only tensor inputs are supported");
    }
    // A method input that is no tensor is reported by FromBytes.
    Result<TensorInfo> info = meta.input_tensor_meta(i);
    if (info.ok()) {
      Span<const int32_t> sizes = info->sizes();
      Span<const uint8_t> dim_order = info->dim_order();
      bool same_shape =
          value.sizes.size == sizes.size() &&
          std::equal(sizes.begin(), sizes.end(), value.sizes.begin()) &&
          (value.dim_order.size == 0 ||
           (value.dim_order.size == dim_order.size() &&
            std::equal(dim_order.begin(), dim_order.end(),
                       value.dim_order.begin())));
      if (value.dtype != info->scalar_type() || !same_shape) {
        return Status::Error(
            kExitBadInput,
            name + " is " + Describe(value) + ", but input " +
                std::to_string(i) + " of method '" + meta.name() + "' is " +
                DtypeName(info->scalar_type()) +
                ShapeString(sizes.data(), sizes.size()) +
                " (dynamic shapes and other dim orders are not supported)");
      }
    }
    buffers.push_back({value.data(), value.nbytes, name});
  }
  return MethodInputs::FromBytes(meta, buffers, out, max_input_bytes);
}

}  // namespace etrunner
