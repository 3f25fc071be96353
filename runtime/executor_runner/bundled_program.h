// Reader of bundled programs (.bpte): a BundledProgram flatbuffer (file
// identifier "BP08", schema executorch/devtools/bundled_program/schema in the
// executorch wheel) holding a program and, per method, test cases of inputs
// and expected outputs.
//
// The executorch wheel ships no C++ bundled-program runtime, so this reads the
// flatbuffer with a reader that flatc generates from the wheel's schema. The
// whole buffer passes flatbuffers::Verifier before any field is read: a
// corrupt or truncated file is an error (kExitInvalidProgram), never a crash.
// Flatbuffer tables and vectors can be shared by any number of entries: values
// refer to the buffer and test cases are read one at a time, never expanded.
//
// The reader uses Debian's FlatBuffers 2.0.8; ExecuTorch 1.5.1 is built with
// a newer FlatBuffers whose declarations clash with it (flatbuffers::Vector
// has another number of template parameters) and whose inline functions share
// mangled names with 2.0.8's. So this header includes no ExecuTorch runtime
// header besides ScalarType, and bundled_program.cc is compiled with hidden
// visibility (runtime/BUILD.bazel).

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <executorch/runtime/core/portable_type/scalar_type.h>

#include "runtime/executor_runner/status.h"

namespace etrunner {

// `size` elements inside a bundled program's buffer (little-endian, aligned:
// the verifier checked both).
template <typename T>
struct BufferArray {
  const T* data = nullptr;
  size_t size = 0;

  const T* begin() const { return data; }
  const T* end() const { return data + size; }
};

// One bundled EValue. A tensor's sizes, dim order and bytes stay in the
// bundled program's buffer: values may share them (a crafted file can make
// thousands of values refer to one large vector), so nothing is copied. A
// scalar is stored the way executor_runner writes scalar outputs (Int: int64,
// Double: float64, Bool: 1 byte).
struct BundledValue {
  bool is_tensor = false;
  executorch::runtime::etensor::ScalarType dtype =
      executorch::runtime::etensor::ScalarType::Undefined;
  BufferArray<int32_t> sizes;
  BufferArray<uint8_t> dim_order;  // as bundled; may be empty (contiguous)
  const uint8_t* tensor_data = nullptr;
  uint8_t scalar[8] = {};
  size_t nbytes = 0;

  const uint8_t* data() const { return is_tensor ? tensor_data : scalar; }
};

// One test case, read when it runs (BundledProgram::ReadTestCase).
struct BundledTestCase {
  size_t num_inputs = 0;             // as bundled
  size_t num_expected_outputs = 0;   // as bundled
  std::vector<BundledValue> inputs;  // read when num_inputs <= max_values
  std::vector<BundledValue> expected_outputs;  // the same
};

// The test cases of one method: the first test suite of that name.
struct BundledMethodTests {
  size_t suite = 0;  // index in the bundled program's test suites
  size_t num_test_cases = 0;
};

// A verified bundled program. Nothing of its test suites is copied when it is
// read: they are read from its buffer one test case at a time, so that memory
// stays proportional to the file however its entries are shared.
class BundledProgram {
 public:
  // The largest bundled program the FlatBuffers verifier accepts.
  static constexpr size_t kMaxSize = (size_t{1} << 31) - 2;

  // The schema this reader was generated from ("BP08").
  static const char* FileIdentifier();

  // Reads the regular file at `path` straight into an aligned buffer of its
  // own (its size is checked first), then verifies it like Parse. Errors
  // also: kExitIo (cannot read, not a regular file), kExitOutOfMemory.
  static Status ReadFile(const std::string& path,
                         std::unique_ptr<BundledProgram>* out);

  // Copies `size` bytes into an aligned buffer of its own and verifies them.
  // Errors: kExitUnsupported for a bundled program of another schema version
  // ("BP??"), kExitInvalidProgram for a buffer the verifier rejects or a
  // malformed value, kExitOutOfMemory.
  static Status Parse(const uint8_t* data, size_t size,
                      std::unique_ptr<BundledProgram>* out);

  uint32_t version() const { return version_; }
  // The embedded program (.pte bytes), inside this object's buffer.
  const uint8_t* program_data() const { return program_data_; }
  size_t program_size() const { return program_size_; }
  // The test cases of `method_name` (the first suite of that name), if any.
  std::optional<BundledMethodTests> Find(const std::string& method_name) const;
  // Test case `k` of `tests`, its values referring to this object's buffer.
  // The inputs (expected outputs) are read only when there are at most
  // `max_values` of them; the caller compares the counts with the method's.
  BundledTestCase ReadTestCase(const BundledMethodTests& tests, size_t k,
                               size_t max_values) const;
  // "forward, encode", "(none)"; at most a few names, each shortened and with
  // unprintable bytes replaced (the names come from the file).
  std::string MethodNames() const;

 private:
  // Storage aligned beyond the schema's largest force_align (32), so that the
  // verifier's alignment checks (relative to the buffer start) hold for the
  // addresses read and the program keeps its alignment.
  struct alignas(64) Block {
    uint8_t bytes[64];
  };

  BundledProgram() = default;
  // Allocates the buffer for `size` bytes (kExitOutOfMemory on failure).
  Status Allocate(size_t size);
  // Verifies the buffer and reads the root's fields.
  Status Verify();
  uint8_t* buffer() { return buffer_.front().bytes; }

  std::vector<Block> buffer_;
  size_t size_ = 0;
  const void* root_ = nullptr;  // the verified fb::BundledProgram
  uint32_t version_ = 0;
  const uint8_t* program_data_ = nullptr;
  size_t program_size_ = 0;
};

}  // namespace etrunner
