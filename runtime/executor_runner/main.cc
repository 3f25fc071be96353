// executor_runner: runs one method of an ExecuTorch program (.pte) or of a
// bundled program (.bpte, then against each of its test cases) on the CPU of
// the host or of an aarch64 Linux target, with explicit memory (planned
// buffers sized from MethodMeta, monitored method and temp arenas), inputs
// from files, generated or bundled, timing, output files, a memory report,
// optional ETDump and comparison against expected outputs. See README.md.

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <executorch/devtools/etdump/etdump_flatcc.h>
#include <executorch/extension/data_loader/buffer_data_loader.h>
#include <executorch/extension/data_loader/file_data_loader.h>
#include <executorch/runtime/core/evalue.h>
#include <executorch/runtime/core/exec_aten/exec_aten.h>
#include <executorch/runtime/core/portable_type/bfloat16.h>
#include <executorch/runtime/core/portable_type/half.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/program.h>

#include "runtime/executor_runner/bundled_program.h"
#include "runtime/executor_runner/flags.h"
#include "runtime/executor_runner/runner_lib.h"
#include "runtime/ethos_u_delegate/ethos_u_backend.h"

namespace etrunner {
namespace {

using executorch::aten::ScalarType;
using executorch::aten::Tensor;
using executorch::extension::BufferDataLoader;
using executorch::extension::FileDataLoader;
using executorch::runtime::Error;
using executorch::runtime::EValue;
using executorch::runtime::Program;
using executorch::runtime::Result;

int Fail(const Status& status) {
  std::fprintf(stderr, "executor_runner: error: %s\n",
               status.message.c_str());
  std::fflush(stdout);
  return status.code;
}

Status WriteFile(const std::filesystem::path& path, const void* data,
                 size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return Status::Error(kExitIo, "cannot write '" + path.string() +
                                      "': " + std::strerror(errno));
  }
  bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    return Status::Error(kExitIo, "cannot write '" + path.string() + "'");
  }
  return Status::Ok();
}

// Element `i` of a buffer of type T, copied out (the buffer holds raw bytes).
template <typename T>
T Load(const uint8_t* data, size_t i) {
  T value;
  std::memcpy(&value, data + i * sizeof(T), sizeof(T));
  return value;
}

// Element `i` of a buffer of dtype `t` as a double (complex: interleaved
// parts, see ElementCount).
double ValueAt(ScalarType t, const uint8_t* data, size_t i) {
  switch (t) {
    case ScalarType::Float:
    case ScalarType::ComplexFloat:
      return Load<float>(data, i);
    case ScalarType::Double:
    case ScalarType::ComplexDouble:
      return Load<double>(data, i);
    case ScalarType::Half:
    case ScalarType::ComplexHalf:
      return static_cast<float>(
          reinterpret_cast<const executorch::aten::Half*>(data)[i]);
    case ScalarType::BFloat16:
      return static_cast<float>(
          reinterpret_cast<const executorch::aten::BFloat16*>(data)[i]);
    case ScalarType::Byte:
    case ScalarType::QUInt8:
      return data[i];
    case ScalarType::Char:
    case ScalarType::QInt8:
      return reinterpret_cast<const int8_t*>(data)[i];
    case ScalarType::Short:
      return reinterpret_cast<const int16_t*>(data)[i];
    case ScalarType::Int:
    case ScalarType::QInt32:
      return reinterpret_cast<const int32_t*>(data)[i];
    case ScalarType::Long:
      return static_cast<double>(reinterpret_cast<const int64_t*>(data)[i]);
    case ScalarType::Bool:
      return data[i] != 0 ? 1.0 : 0.0;
    default:
      return std::nan("");
  }
}

bool IsComplex(ScalarType t) {
  return t == ScalarType::ComplexHalf || t == ScalarType::ComplexFloat ||
         t == ScalarType::ComplexDouble;
}

// Scalar elements in `nbytes` (a complex element counts as two).
size_t ElementCount(ScalarType t, size_t nbytes) {
  size_t size = DtypeSize(t);
  if (size == 0) {
    return 0;
  }
  return IsComplex(t) ? 2 * nbytes / size : nbytes / size;
}

std::string FormatValue(ScalarType t, const uint8_t* data, size_t i) {
  char buf[64];
  if (t == ScalarType::Bool) {
    return data[i] != 0 ? "true" : "false";
  }
  if (t == ScalarType::Long) {
    std::snprintf(buf, sizeof(buf), "%" PRId64,
                  reinterpret_cast<const int64_t*>(data)[i]);
    return buf;
  }
  double v = ValueAt(t, data, i);
  if (IsFloatingDtype(t) || IsComplex(t)) {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  }
  return buf;
}

struct Comparison {
  size_t mismatches = 0;
  size_t first_mismatch = 0;
  double max_abs_error = 0;
};

// Floating types: |got - expected| <= atol + rtol * |expected| (NaN == NaN);
// integer and Bool types: exact.
Comparison Compare(ScalarType t, const uint8_t* got, const uint8_t* expected,
                   size_t count, double atol, double rtol) {
  Comparison c;
  bool floating = IsFloatingDtype(t) || IsComplex(t);
  for (size_t i = 0; i < count; ++i) {
    double a = ValueAt(t, got, i);
    double e = ValueAt(t, expected, i);
    bool same;
    if (std::isnan(a) || std::isnan(e)) {
      same = std::isnan(a) && std::isnan(e);
    } else {
      double err = std::fabs(a - e);
      if (err > c.max_abs_error) {
        c.max_abs_error = err;
      }
      same = floating ? err <= atol + rtol * std::fabs(e) : a == e;
    }
    if (!same) {
      if (c.mismatches == 0) {
        c.first_mismatch = i;
      }
      ++c.mismatches;
    }
  }
  return c;
}

// Bytes of an output EValue: a tensor's storage, or a scalar as 8 bytes
// (Int: int64, Double: float64) or 1 byte (Bool).
struct OutputView {
  ScalarType dtype = ScalarType::Undefined;
  std::vector<int32_t> sizes;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  std::string kind;
  int64_t int_value = 0;
  double double_value = 0;
  uint8_t bool_value = 0;
};

bool ViewOutput(const EValue& value, OutputView* out) {
  if (value.isTensor()) {
    const Tensor& t = value.toTensor();
    out->kind = "tensor";
    out->dtype = t.scalar_type();
    out->sizes.assign(t.sizes().begin(), t.sizes().end());
    out->data = static_cast<const uint8_t*>(t.const_data_ptr());
    out->nbytes = t.nbytes();
    return true;
  }
  if (value.isInt()) {
    out->kind = "int";
    out->dtype = ScalarType::Long;
    out->int_value = value.toInt();
    out->data = reinterpret_cast<const uint8_t*>(&out->int_value);
    out->nbytes = sizeof(int64_t);
    return true;
  }
  if (value.isDouble()) {
    out->kind = "double";
    out->dtype = ScalarType::Double;
    out->double_value = value.toDouble();
    out->data = reinterpret_cast<const uint8_t*>(&out->double_value);
    out->nbytes = sizeof(double);
    return true;
  }
  if (value.isBool()) {
    out->kind = "bool";
    out->dtype = ScalarType::Bool;
    out->bool_value = value.toBool() ? 1 : 0;
    out->data = &out->bool_value;
    out->nbytes = 1;
    return true;
  }
  return false;
}

std::string Percent(size_t part, size_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%",
                whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) /
                                       static_cast<double>(whole));
  return buf;
}

// Runs the method once with an unbounded temp arena to measure its need.
std::optional<size_t> MeasureTempArena(const Program& program,
                                       const RunnerFlags& flags,
                                       const ArenaConfig& config,
                                       const MethodInputs& inputs) {
  ArenaConfig probe = config;
  probe.temp_arena_bytes = MonitoringAllocator::kUnbounded;
  std::unique_ptr<MethodSession> session;
  if (!MethodSession::Create(program, flags.method.c_str(), probe, nullptr,
                             &session)
           .ok() ||
      !inputs.SetAll(session->method()).ok() ||
      session->method().execute() != Error::Ok) {
    return std::nullopt;
  }
  return session->temp_allocator().peak();
}

std::string DescribeOutput(const OutputView& view) {
  return std::string(DtypeName(view.dtype)) +
         (view.kind == "tensor"
              ? ShapeString(view.sizes.data(), view.sizes.size())
              : " scalar");
}

// The most bytes output `i` can have: its tensor's declared nbytes (an upper
// bound for dynamic shapes) or a scalar's 8 bytes; the most read from an
// --expected_outputs file (a larger file differs anyway).
size_t OutputBytesLimit(const executorch::runtime::MethodMeta& meta,
                        size_t i) {
  Result<executorch::runtime::TensorInfo> info = meta.output_tensor_meta(i);
  size_t limit = info.ok() ? info->nbytes() : sizeof(int64_t);
  return std::min(limit, MethodInputs::kDefaultMaxInputBytes);
}

// What an output is compared with: the raw bytes of an --expected_outputs
// file (read as the output's dtype), or a bundled expected value, whose dtype
// and shape must match too.
struct Expected {
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  bool nbytes_exact = true;  // false: a file with more than nbytes bytes
  std::string source;  // names it in a FAIL line
  const BundledValue* bundled = nullptr;
};

struct Tally {
  size_t compared = 0;
  size_t failed = 0;
};

// Compares output `i` with `want` and prints one line, "<label>output i: PASS
// (...)" or "<label>output i: FAIL (...)", both with the max abs error when
// values were compared.
Status CheckOutput(const std::string& label, size_t i, const OutputView& view,
                   const Expected& want, const RunnerFlags& flags,
                   Tally* tally) {
  if (DtypeSize(view.dtype) == 0) {
    return Status::Error(kExitUnsupported,
                         label + "output " + std::to_string(i) +
                             " has dtype " + DtypeName(view.dtype) +
                             ", which the comparison cannot read");
  }
  ++tally->compared;
  std::string mismatch;
  if (want.bundled != nullptr &&
      (want.bundled->dtype != view.dtype ||
       want.bundled->is_tensor != (view.kind == "tensor") ||
       !std::equal(want.bundled->sizes.begin(), want.bundled->sizes.end(),
                   view.sizes.begin(), view.sizes.end()))) {
    mismatch = "expected " + Describe(*want.bundled) + ", got " +
               DescribeOutput(view);
  } else if (!want.nbytes_exact || want.nbytes != view.nbytes) {
    mismatch = "expected " + std::string(want.nbytes_exact ? "" : "more than ") +
               std::to_string(want.nbytes) + " bytes in " + want.source +
               ", got " + std::to_string(view.nbytes);
  }
  if (!mismatch.empty()) {
    ++tally->failed;
    std::printf("%soutput %zu: FAIL (%s)\n", label.c_str(), i,
                mismatch.c_str());
    return Status::Ok();
  }
  size_t count = ElementCount(view.dtype, view.nbytes);
  Comparison c = Compare(view.dtype, view.data, want.data, count,
                         flags.bundled_atol, flags.bundled_rtol);
  if (c.mismatches == 0) {
    std::printf("%soutput %zu: PASS (max abs error %.3g, atol %g, rtol %g)\n",
                label.c_str(), i, c.max_abs_error, flags.bundled_atol,
                flags.bundled_rtol);
    return Status::Ok();
  }
  ++tally->failed;
  std::printf(
      "%soutput %zu: FAIL (%zu of %zu values differ, first at %zu: got %s, "
      "expected %s; max abs error %.3g, atol %g, rtol %g)\n",
      label.c_str(), i, c.mismatches, count, c.first_mismatch,
      FormatValue(view.dtype, view.data, c.first_mismatch).c_str(),
      FormatValue(view.dtype, want.data, c.first_mismatch).c_str(),
      c.max_abs_error, flags.bundled_atol, flags.bundled_rtol);
  return Status::Ok();
}

// One series of --num_inferences runs of the method: the inputs, what the
// outputs are compared with, where files go.
struct RunCase {
  std::string label;  // prefix of its lines: "" or "test case <k>: "
  std::unique_ptr<MethodInputs> inputs;
  std::string input_note;  // " (ones)", " (bundled)"; empty: the file name
  std::vector<Expected> expected;  // empty: no comparison
  bool bundled = false;            // a bundled test case
  std::filesystem::path out_dir;   // empty: no files written
};

Status RunOne(const Program& program, const RunnerFlags& flags,
              const ArenaConfig& config, MethodSession* session,
              const RunCase& c, Tally* tally) {
  const char* label = c.label.c_str();
  Status st;
  if (!c.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(c.out_dir, ec);
    if (ec) {
      return Status::Error(kExitIo, "cannot create output directory '" +
                                        c.out_dir.string() +
                                        "': " + ec.message());
    }
  }
  const MethodInputs& inputs = *c.inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string note =
        c.input_note.empty() ? " from " + flags.input_files[i] : c.input_note;
    std::printf("%sinput %zu: %s, %zu bytes%s\n", label, i,
                inputs.Describe(i).c_str(), inputs.data(i).size(),
                note.c_str());
    if (!c.out_dir.empty()) {
      st = WriteFile(c.out_dir / ("input_" + std::to_string(i) + ".bin"),
                     inputs.data(i).data(), inputs.data(i).size());
      if (!st.ok()) {
        return st;
      }
    }
  }

  // Inferences.
  SetFatalSignalContext("executing the method");
  double total_ms = 0;
  const ethos_u_delegate::ExecutionTotals npu_before =
      ethos_u_delegate::ExecutionTotalsSoFar();
  for (int64_t run = 1; run <= flags.num_inferences; ++run) {
    st = inputs.SetAll(session->method());
    if (!st.ok()) {
      return st;
    }
    ClearCapturedLog();
    auto start = std::chrono::steady_clock::now();
    Error error = session->method().execute();
    auto end = std::chrono::steady_clock::now();
    if (error != Error::Ok) {
      st = ExecutionStatus(error, *session);
      if (st.code == kExitArenaTooSmall &&
          session->temp_allocator().failed()) {
        std::optional<size_t> needed =
            MeasureTempArena(program, flags, config, inputs);
        if (needed) {
          st.message = "temp arena too small: needs " +
                       std::to_string(*needed) + " bytes, " +
                       std::to_string(config.temp_arena_bytes) +
                       " available (raise --temp_arena_bytes)";
        }
      }
      return st;
    }
    double ms = std::chrono::duration<double, std::milli>(end - start).count();
    total_ms += ms;
    std::printf("%sinference %" PRId64 "/%" PRId64 ": %.3f ms\n", label, run,
                flags.num_inferences, ms);
  }
  std::printf("%saverage: %.3f ms over %" PRId64 " inference(s)\n", label,
              total_ms / static_cast<double>(flags.num_inferences),
              flags.num_inferences);
  const ethos_u_delegate::ExecutionTotals npu_after =
      ethos_u_delegate::ExecutionTotalsSoFar();
  if (npu_after.calls > npu_before.calls) {
    const double runs = static_cast<double>(flags.num_inferences);
    std::printf(
        "%sof which Ethos-U functional model: %.3f ms per inference "
        "(%.1f delegate call(s)); the rest ran on the CPU\n",
        label,
        (npu_after.model_milliseconds - npu_before.model_milliseconds) / runs,
        static_cast<double>(npu_after.calls - npu_before.calls) / runs);
  }

  // Outputs.
  SetFatalSignalContext("reading the outputs");
  size_t num_outputs = session->method().outputs_size();
  std::vector<EValue> outputs(num_outputs);
  ClearCapturedLog();
  Error error = session->method().get_outputs(outputs.data(), num_outputs);
  if (error != Error::Ok) {
    return Status::Error(kExitExecution,
                         std::string("cannot read outputs: ") +
                             executorch::runtime::to_string(error));
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    OutputView view;
    if (!ViewOutput(outputs[i], &view)) {
      std::printf("%soutput %zu: EValue tag %u (not printed)\n", label, i,
                  static_cast<unsigned>(outputs[i].tag));
      if (!c.expected.empty()) {
        ++tally->compared;
        ++tally->failed;
        std::printf("%soutput %zu: FAIL (EValue tag %u cannot be compared)\n",
                    label, i, static_cast<unsigned>(outputs[i].tag));
      }
      continue;
    }
    size_t count = ElementCount(view.dtype, view.nbytes);
    std::string values;
    size_t shown = std::min(count, static_cast<size_t>(flags.print_values));
    for (size_t k = 0; k < shown; ++k) {
      values += (k ? ", " : "") + FormatValue(view.dtype, view.data, k);
    }
    if (shown < count) {
      values += ", ...";
    }
    std::printf("%soutput %zu: %s %s%s, %zu bytes: [%s]\n", label, i,
                view.kind.c_str(), DtypeName(view.dtype),
                view.kind == "tensor"
                    ? ShapeString(view.sizes.data(), view.sizes.size()).c_str()
                    : "",
                view.nbytes, values.c_str());
    if (!c.out_dir.empty()) {
      st = WriteFile(c.out_dir / ("output_" + std::to_string(i) + ".bin"),
                     view.data, view.nbytes);
      if (!st.ok()) {
        return st;
      }
    }
    if (!c.expected.empty()) {
      st = CheckOutput(c.label, i, view, c.expected[i], flags, tally);
      if (!st.ok()) {
        return st;
      }
    }
  }
  if (c.bundled && c.expected.empty()) {
    // The Python API makes expected outputs optional (profiling only).
    std::printf("%soutputs not compared: no expected outputs bundled\n",
                label);
  }
  return Status::Ok();
}

// The runs of a bundled program: one per test case of the method, each read
// from the bundled program only when it runs (a crafted file can make many
// test cases share one large entry). *num_cases counts the cases run.
Status RunBundled(const std::string& path, const BundledProgram& bundled,
                  const Program& program, const RunnerFlags& flags,
                  const ArenaConfig& config, MethodSession* session,
                  const std::filesystem::path& out_dir, Tally* tally,
                  size_t* num_cases) {
  if (!flags.expected_outputs.empty()) {
    return Status::Error(
        kExitUsage,
        "--expected_outputs with a bundled program needs --input_files or "
        "--inputs (its test cases bring their own expected outputs)");
  }
  std::optional<BundledMethodTests> tests = bundled.Find(flags.method);
  if (!tests || tests->num_test_cases == 0) {
    return Status::Error(
        kExitUsage, "'" + path + "' has no test cases for method '" +
                        flags.method + "' (test cases for: " +
                        bundled.MethodNames() +
                        "); pass --inputs or --input_files to run it anyway");
  }
  const auto& meta = session->meta();
  size_t max_values = std::max(meta.num_inputs(), meta.num_outputs());
  for (size_t k = 0; k < tests->num_test_cases; ++k) {
    BundledTestCase test_case = bundled.ReadTestCase(*tests, k, max_values);
    std::string name = "test case " + std::to_string(k);
    RunCase c;
    c.label = name + ": ";
    c.input_note = " (bundled)";
    c.bundled = true;
    Status st = BundledInputs(meta, test_case, name, &c.inputs);
    if (!st.ok()) {
      return st;
    }
    if (test_case.num_expected_outputs != 0 &&
        test_case.num_expected_outputs != meta.num_outputs()) {
      return Status::Error(
          kExitInvalidProgram,
          "'" + path + "': " + name + " has " +
              std::to_string(test_case.num_expected_outputs) +
              " expected output(s), but method '" + flags.method + "' has " +
              std::to_string(meta.num_outputs()) + " output(s)");
    }
    for (const BundledValue& value : test_case.expected_outputs) {
      c.expected.push_back(
          Expected{value.data(), value.nbytes, true, name, &value});
    }
    if (!out_dir.empty()) {
      c.out_dir = out_dir / ("case_" + std::to_string(k));
    }
    st = RunOne(program, flags, config, session, c, tally);
    if (!st.ok()) {
      return st;
    }
    ++*num_cases;
  }
  return Status::Ok();
}

int Run(const RunnerFlags& flags) {
  const std::string& path = flags.model_path;

  // What kind of file is it? Only a regular file has a size to check before
  // reading it (a FIFO or /dev/zero would be read until memory runs out).
  FileKind kind;
  {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      return Fail(Status::Error(kExitIo, "cannot read model file '" + path +
                                             "': not a regular file"));
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      return Fail(Status::Error(kExitIo, "cannot open model file '" + path +
                                             "': " + std::strerror(errno)));
    }
    uint8_t head[8] = {};
    size_t got = std::fread(head, 1, sizeof(head), f);
    std::fclose(f);
    std::string id;
    kind = IdentifyFile(head, got, &id);
    if (kind == FileKind::kTooShort) {
      return Fail(Status::Error(
          kExitInvalidProgram, "'" + path + "' is not an ExecuTorch program: " +
                                   std::to_string(got) +
                                   " bytes is too short for a .pte"));
    }
    if (kind == FileKind::kUnknown) {
      return Fail(Status::Error(
          kExitInvalidProgram,
          "'" + path + "' is not an ExecuTorch program: file identifier '" +
              id + "', expected 'ET12' (.pte) or '" +
              BundledProgram::FileIdentifier() + "' (.bpte)"));
    }
  }

  SetFatalSignalContext("loading the program");
  ClearCapturedLog();
  // A .bpte is read (into one buffer, its size checked first) and verified
  // whole; its embedded program then loads from memory exactly like a .pte
  // from its file.
  std::unique_ptr<BundledProgram> bundled;
  std::unique_ptr<executorch::runtime::DataLoader> loader;
  if (kind == FileKind::kBundledProgram) {
    Status st = BundledProgram::ReadFile(path, &bundled);
    if (!st.ok()) {
      st.message = "'" + path + "': " + st.message;
      return Fail(st);
    }
    loader = std::make_unique<BufferDataLoader>(bundled->program_data(),
                                                bundled->program_size());
  } else {
    Result<FileDataLoader> file = FileDataLoader::from(path.c_str());
    if (!file.ok()) {
      return Fail(Status::Error(kExitIo, "cannot open model file '" + path +
                                             "': " + CapturedErrors()));
    }
    loader = std::make_unique<FileDataLoader>(std::move(file.get()));
  }
  std::optional<Program> program;
  Status st = LoadProgram(loader.get(), flags.verification == "minimal",
                          &program);
  if (!st.ok()) {
    st.message = "'" + path + "': " + st.message;
    return Fail(st);
  }
  std::printf("program: %s, %zu method(s)\n", path.c_str(),
              program->num_methods());
  if (bundled) {
    std::printf(
        "bundled: schema %s version %" PRIu32
        ", program %zu bytes, test cases for: %s\n",
        BundledProgram::FileIdentifier(), bundled->version(),
        bundled->program_size(), bundled->MethodNames().c_str());
  }

  std::unique_ptr<executorch::etdump::ETDumpGen> etdump;
  if (!flags.etdump_path.empty()) {
    etdump = std::make_unique<executorch::etdump::ETDumpGen>();
  }

  ArenaConfig config;
  config.method_arena_bytes = static_cast<size_t>(flags.method_arena_bytes);
  config.temp_arena_bytes = static_cast<size_t>(flags.temp_arena_bytes);
  config.max_planned_bytes =
      static_cast<size_t>(flags.max_planned_bytes);
  for (auto [value, name] :
       {std::make_pair(flags.method_arena_bytes, "--method_arena_bytes"),
        std::make_pair(flags.temp_arena_bytes, "--temp_arena_bytes")}) {
    if (value > MonitoringAllocator::kMaxCapacity) {
      return Fail(Status::Error(kExitUsage,
                                std::string(name) + " must be at most " +
                                    std::to_string(
                                        MonitoringAllocator::kMaxCapacity)));
    }
  }

  ethos_u_delegate::SetFastScratchBytes(
      static_cast<size_t>(flags.ethosu_fast_scratch_bytes));

  std::unique_ptr<MethodSession> session;
  SetFatalSignalContext("loading the method");
  st = MethodSession::Create(*program, flags.method.c_str(), config,
                             etdump.get(), &session);
  if (!st.ok()) {
    return Fail(st);
  }
  const auto& meta = session->meta();
  std::printf("method: %s, %zu input(s), %zu output(s)\n", meta.name(),
              meta.num_inputs(), meta.num_outputs());

  std::filesystem::path out_dir;
  if (!flags.output_dir.empty()) {
    out_dir = flags.output_dir;
  }
  // A bundled program runs its test cases unless inputs are given.
  bool run_bundled =
      bundled && flags.input_files.empty() && flags.inputs.empty();
  Tally tally;
  size_t num_cases = 0;
  if (run_bundled) {
    st = RunBundled(path, *bundled, *program, flags, config, session.get(),
                    out_dir, &tally, &num_cases);
  } else {
    if (bundled) {
      std::printf("bundled: test cases not run (inputs from %s)\n",
                  flags.input_files.empty() ? "--inputs" : "--input_files");
    }
    RunCase c;
    c.out_dir = out_dir;
    if (!flags.input_files.empty()) {
      st = MethodInputs::FromFiles(meta, flags.input_files, &c.inputs);
    } else {
      InputFill fill = flags.inputs == "zeros"    ? InputFill::kZeros
                       : flags.inputs == "random" ? InputFill::kRandom
                                                  : InputFill::kOnes;
      c.input_note =
          " (" + (flags.inputs.empty() ? std::string("ones") : flags.inputs) +
          ")";
      st = MethodInputs::Generate(meta, fill, flags.seed, &c.inputs);
    }
    std::vector<FileContents> expected_files;
    if (st.ok() && !flags.expected_outputs.empty()) {
      if (flags.expected_outputs.size() != meta.num_outputs()) {
        st = Status::Error(
            kExitUsage, "--expected_outputs has " +
                            std::to_string(flags.expected_outputs.size()) +
                            " file(s), but the method has " +
                            std::to_string(meta.num_outputs()) +
                            " output(s)");
      }
      expected_files.resize(flags.expected_outputs.size());
      for (size_t i = 0; st.ok() && i < expected_files.size(); ++i) {
        const std::string& file = flags.expected_outputs[i];
        std::string read_error;
        if (!ReadFileAtMost(file, OutputBytesLimit(meta, i), &expected_files[i],
                            &read_error)) {
          st = Status::Error(kExitIo, "cannot read expected output '" + file +
                                          "': " + read_error);
        }
        const FileContents& contents = expected_files[i];
        c.expected.push_back(Expected{
            contents.bytes.data(), static_cast<size_t>(contents.size),
            contents.size_exact, file, nullptr});
      }
    }
    if (st.ok()) {
      st = RunOne(*program, flags, config, session.get(), c, &tally);
    }
  }
  if (!st.ok()) {
    return Fail(st);
  }
  if (run_bundled || !flags.expected_outputs.empty()) {
    std::string what = run_bundled ? "bundled: " +
                                         std::to_string(num_cases) +
                                         " test case(s) of method '" +
                                         flags.method + "'"
                                   : std::string("expected outputs");
    std::printf("%s: %zu output(s) compared: %zu PASS, %zu FAIL (atol %g, "
                "rtol %g)\n",
                what.c_str(), tally.compared, tally.compared - tally.failed,
                tally.failed, flags.bundled_atol, flags.bundled_rtol);
  }

  // Memory report.
  const auto& planned = session->planned_buffer_sizes();
  size_t planned_total = 0;
  for (size_t i = 0; i < planned.size(); ++i) {
    std::printf("memory: planned buffer %zu (memory id %zu): %zu bytes\n", i,
                i + 1, planned[i]);
    planned_total += planned[i];
  }
  std::printf("memory: planned total: %zu bytes in %zu buffer(s)\n",
              planned_total, planned.size());
  for (const MonitoringAllocator* a :
       {&session->method_allocator(), &session->temp_allocator()}) {
    std::printf("memory: %s: peak %zu of %zu bytes (%s), %zu allocation(s)\n",
                a->name().c_str(), a->peak(), a->capacity(),
                Percent(a->peak(), a->capacity()).c_str(),
                a->num_allocations());
  }
  const std::vector<ethos_u_delegate::DelegateMemory> delegates =
      ethos_u_delegate::InitialisedDelegates();
  for (size_t i = 0; i < delegates.size(); ++i) {
    // A direct-drive program's inputs and outputs have regions of their own.
    const std::string io_regions =
        delegates[i].io_region_bytes == 0
            ? ""
            : ", I/O regions " + std::to_string(delegates[i].io_region_bytes) +
                  " bytes";
    std::printf("memory: Ethos-U delegate %zu: command stream %zu bytes, "
                "weights %zu bytes, scratch %zu bytes, fast scratch %zu "
                "bytes%s\n",
                i, delegates[i].command_stream_bytes,
                delegates[i].weight_bytes, delegates[i].scratch_bytes,
                delegates[i].fast_scratch_bytes, io_regions.c_str());
  }

  if (etdump) {
    executorch::etdump::ETDumpResult result = etdump->get_etdump_data();
    if (result.buf == nullptr || result.size == 0) {
      return Fail(Status::Error(kExitInternal, "ETDump is empty"));
    }
    st = WriteFile(flags.etdump_path, result.buf, result.size);
    std::free(result.buf);
    if (!st.ok()) {
      return Fail(st);
    }
    std::printf("etdump: %s, %zu bytes\n", flags.etdump_path.c_str(),
                result.size);
  }

  if (tally.failed > 0) {
    return Fail(Status::Error(
        kExitVerification,
        std::to_string(tally.failed) + " of " +
            std::to_string(tally.compared) + " output(s) differ from " +
            (run_bundled ? "the bundled expected outputs"
                         : "--expected_outputs")));
  }
  std::printf("executor_runner: OK\n");
  return kExitOk;
}

}  // namespace
}  // namespace etrunner

int main(int argc, char** argv) {
  // Line-buffered, so that what was printed survives a fatal-signal exit.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  etrunner::RunnerFlags flags;
  std::string error;
  if (!etrunner::ParseFlags(argc, argv, &flags, &error)) {
    std::fprintf(stderr, "executor_runner: error: %s (see --help)\n",
                 error.c_str());
    return etrunner::kExitUsage;
  }
  if (flags.help) {
    std::fputs(etrunner::Usage(), stdout);
    return etrunner::kExitOk;
  }
  etrunner::InitRuntime(flags.verbose);
  etrunner::InstallFatalSignalHandlers();
  // Allocation failures the runner checks are reported where they happen;
  // any other one (a std::vector, a std::string) ends here, not in abort().
  try {
    return etrunner::Run(flags);
  } catch (const std::bad_alloc&) {
    return etrunner::Fail(etrunner::Status::Error(
        etrunner::kExitOutOfMemory,
        "out of memory: an allocation failed (the process' memory limit)"));
  }
}
