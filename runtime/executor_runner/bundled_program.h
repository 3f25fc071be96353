// Reader of bundled programs (.bpte): a BundledProgram flatbuffer (file
// identifier "BP08", schema executorch/devtools/bundled_program/schema in the
// executorch wheel) holding a program and, per method, test cases of inputs
// and expected outputs.
//
// The executorch wheel ships no C++ bundled-program runtime, so this reads the
// flatbuffer with a reader that flatc generates from the wheel's schema. The
// whole buffer passes flatbuffers::Verifier before any field is read: a
// corrupt or truncated file is an error (kExitInvalidProgram), never a crash.
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
#include <string>
#include <vector>

#include <executorch/runtime/core/portable_type/scalar_type.h>

#include "runtime/executor_runner/status.h"

namespace etrunner {

// One bundled EValue. A tensor's bytes stay in the bundled program's buffer;
// a scalar is stored the way executor_runner writes scalar outputs (Int:
// int64, Double: float64, Bool: 1 byte).
struct BundledValue {
  bool is_tensor = false;
  executorch::runtime::etensor::ScalarType dtype =
      executorch::runtime::etensor::ScalarType::Undefined;
  std::vector<int32_t> sizes;
  std::vector<uint8_t> dim_order;  // as bundled; may be empty (contiguous)
  const uint8_t* tensor_data = nullptr;
  uint8_t scalar[8] = {};
  size_t nbytes = 0;

  const uint8_t* data() const { return is_tensor ? tensor_data : scalar; }
};

struct BundledTestCase {
  std::vector<BundledValue> inputs;
  std::vector<BundledValue> expected_outputs;
};

struct BundledMethodTests {
  std::string method_name;
  std::vector<BundledTestCase> test_cases;
};

class BundledProgram {
 public:
  // The largest bundled program the FlatBuffers verifier accepts.
  static constexpr size_t kMaxSize = (size_t{1} << 31) - 2;

  // The schema this reader was generated from ("BP08").
  static const char* FileIdentifier();

  // Copies `size` bytes into an aligned buffer of its own, verifies them and
  // reads the test cases. Errors: kExitUnsupported for a bundled program of
  // another schema version ("BP??"), kExitInvalidProgram for a buffer the
  // verifier rejects or a malformed value.
  static Status Parse(const uint8_t* data, size_t size,
                      std::unique_ptr<BundledProgram>* out);

  uint32_t version() const { return version_; }
  // The embedded program (.pte bytes), inside this object's buffer.
  const uint8_t* program_data() const { return program_data_; }
  size_t program_size() const { return program_size_; }
  const std::vector<BundledMethodTests>& methods() const { return methods_; }
  // The test cases of `method_name`, or nullptr.
  const BundledMethodTests* Find(const std::string& method_name) const;
  // "forward, encode" or "(none)".
  std::string MethodNames() const;

 private:
  // Storage aligned beyond the schema's largest force_align (32), so that the
  // verifier's alignment checks (relative to the buffer start) hold for the
  // addresses read and the program keeps its alignment.
  struct alignas(64) Block {
    uint8_t bytes[64];
  };

  BundledProgram() = default;

  std::vector<Block> buffer_;
  uint32_t version_ = 0;
  const uint8_t* program_data_ = nullptr;
  size_t program_size_ = 0;
  std::vector<BundledMethodTests> methods_;
};

}  // namespace etrunner
