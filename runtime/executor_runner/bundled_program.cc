#include "runtime/executor_runner/bundled_program.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "runtime/bundled_program_schema/bundled_program_schema_generated.h"

namespace etrunner {

namespace fb = bundled_program_flatbuffer;
using executorch::runtime::etensor::ScalarType;

namespace {

static_assert(FLATBUFFERS_LITTLEENDIAN,
              "BundledValue refers to the buffer's little-endian sizes");

using ValueVector = flatbuffers::Vector<flatbuffers::Offset<fb::Value>>;

Status Invalid(const std::string& message) {
  return Status::Error(kExitInvalidProgram,
                       "not a valid bundled program: " + message);
}

// Reads one verified Value, referring to the buffer; false for a value type
// this reader does not know (the generated verifier accepts unknown union
// types, for forward compatibility).
bool ReadValue(const fb::Value* value, BundledValue* out) {
  *out = BundledValue();
  if (value->val() == nullptr) {
    return false;
  }
  switch (value->val_type()) {
    case fb::ValueUnion::Tensor: {
      const fb::Tensor* tensor = value->val_as_Tensor();
      out->is_tensor = true;
      // ScalarType has a fixed underlying type (int8_t): any value converts;
      // unknown ones print as "Unknown" and are refused where they are used.
      out->dtype = static_cast<ScalarType>(tensor->scalar_type());
      if (const auto* sizes = tensor->sizes()) {
        out->sizes = {sizes->data(), sizes->size()};
      }
      if (const auto* dim_order = tensor->dim_order()) {
        out->dim_order = {dim_order->data(), dim_order->size()};
      }
      if (const auto* data = tensor->data()) {
        out->tensor_data = data->data();
        out->nbytes = data->size();
      }
      return true;
    }
    case fb::ValueUnion::Int: {
      int64_t x = value->val_as_Int()->int_val();
      out->dtype = ScalarType::Long;
      out->nbytes = sizeof(x);
      std::memcpy(out->scalar, &x, sizeof(x));
      return true;
    }
    case fb::ValueUnion::Double: {
      double x = value->val_as_Double()->double_val();
      out->dtype = ScalarType::Double;
      out->nbytes = sizeof(x);
      std::memcpy(out->scalar, &x, sizeof(x));
      return true;
    }
    case fb::ValueUnion::Bool:
      out->dtype = ScalarType::Bool;
      out->nbytes = 1;
      out->scalar[0] = value->val_as_Bool()->bool_val() ? 1 : 0;
      return true;
    default:
      return false;
  }
}

size_t Count(const ValueVector* values) {
  return values == nullptr ? 0 : values->size();
}

// Reads `values` (already checked by CheckValues) when there are at most
// `max_values` of them.
std::vector<BundledValue> ReadValues(const ValueVector* values,
                                     size_t max_values) {
  std::vector<BundledValue> out;
  if (Count(values) > max_values) {
    return out;
  }
  out.resize(Count(values));
  for (size_t i = 0; i < out.size(); ++i) {
    ReadValue(values->Get(static_cast<flatbuffers::uoffset_t>(i)), &out[i]);
  }
  return out;
}

// A name from the file, fit for a one-line message: at most `max_chars`
// characters, bytes outside printable ASCII as '?'.
std::string Printable(const flatbuffers::String* name, size_t max_chars) {
  std::string out;
  size_t n = std::min<size_t>(name->size(), max_chars);
  for (size_t i = 0; i < n; ++i) {
    char c = name->c_str()[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (name->size() > max_chars) {
    out += "...";
  }
  return out;
}

// Checks that every value of `values` can be read; `kind`, `method` and `k`
// name the list in the error ("method 'forward' test case 0 input").
Status CheckValues(const ValueVector* values, const char* kind,
                   const flatbuffers::String* method, size_t k) {
  BundledValue scratch;
  for (flatbuffers::uoffset_t i = 0; values && i < values->size(); ++i) {
    const fb::Value* value = values->Get(i);
    if (!ReadValue(value, &scratch)) {
      return Invalid(
          "method '" + Printable(method, 64) + "' test case " +
          std::to_string(k) + " " + kind + " " + std::to_string(i) +
          (value->val() == nullptr
               ? std::string(" has no value")
               : " has value type " +
                     std::to_string(static_cast<int>(value->val_type())) +
                     " (expected Tensor, Int, Bool or Double)"));
    }
  }
  return Status::Ok();
}

const fb::BundledProgram* Root(const void* root) {
  return static_cast<const fb::BundledProgram*>(root);
}

}  // namespace

const char* BundledProgram::FileIdentifier() {
  return fb::BundledProgramIdentifier();
}

Status BundledProgram::Allocate(size_t size) {
  try {
    buffer_.resize(size / sizeof(Block) + 1);
  } catch (const std::bad_alloc&) {
    return Status::Error(kExitOutOfMemory,
                         "out of memory: cannot allocate " +
                             std::to_string(size) +
                             " bytes for the bundled program");
  }
  size_ = size;
  return Status::Ok();
}

Status BundledProgram::ReadFile(const std::string& path,
                                std::unique_ptr<BundledProgram>* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::Error(kExitIo, std::string("cannot read it: ") +
                                      std::strerror(errno));
  }
  struct stat st;
  Status status;
  if (fstat(fd, &st) != 0) {
    status = Status::Error(kExitIo, std::string("cannot read it: ") +
                                        std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = Status::Error(kExitIo, "cannot read it: not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > kMaxSize) {
    status = Invalid(std::to_string(st.st_size) +
                     " bytes is more than a flatbuffer can hold");
  }
  std::unique_ptr<BundledProgram> bp(new BundledProgram());
  if (status.ok()) {
    status = bp->Allocate(static_cast<size_t>(st.st_size));
  }
  size_t got = 0;
  while (status.ok() && got < bp->size_) {
    ssize_t n = read(fd, bp->buffer() + got, bp->size_ - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      status = Status::Error(kExitIo, "cannot read it: it became shorter");
    } else if (errno != EINTR) {
      status = Status::Error(kExitIo, std::string("cannot read it: ") +
                                          std::strerror(errno));
    }
  }
  close(fd);
  if (status.ok()) {
    status = bp->Verify();
  }
  if (status.ok()) {
    *out = std::move(bp);
  }
  return status;
}

Status BundledProgram::Parse(const uint8_t* data, size_t size,
                             std::unique_ptr<BundledProgram>* out) {
  if (size > kMaxSize) {
    return Invalid(std::to_string(size) +
                   " bytes is more than a flatbuffer can hold");
  }
  std::unique_ptr<BundledProgram> bp(new BundledProgram());
  Status status = bp->Allocate(size);
  if (!status.ok()) {
    return status;
  }
  if (size > 0) {
    std::memcpy(bp->buffer(), data, size);
  }
  status = bp->Verify();
  if (status.ok()) {
    *out = std::move(bp);
  }
  return status;
}

Status BundledProgram::Verify() {
  const uint8_t* buf = buffer();
  if (size_ < 8) {
    return Invalid(std::to_string(size_) + " bytes is too short");
  }
  // flatbuffers::Verifier asserts (aborts) on a buffer this large.
  static_assert(kMaxSize < FLATBUFFERS_MAX_BUFFER_SIZE);
  if (!fb::BundledProgramBufferHasIdentifier(buf)) {
    std::string id(reinterpret_cast<const char*>(buf) + 4, 4);
    if (id.compare(0, 2, "BP") == 0) {
      return Status::Error(kExitUnsupported,
                           "bundled program schema '" + id +
                               "' is not supported: this runner reads '" +
                               FileIdentifier() + "' (executorch 1.5.1)");
    }
    return Invalid("file identifier is not '" + std::string(FileIdentifier()) +
                   "'");
  }
  // The verifier visits a shared table once per reference and stops after
  // its max_tables (1000000) visits: the walk below is bounded too.
  flatbuffers::Verifier verifier(buf, size_);
  if (!fb::VerifyBundledProgramBuffer(verifier)) {
    return Invalid(
        "the flatbuffer verifier rejects it (corrupt or truncated .bpte)");
  }
  const fb::BundledProgram* root = fb::GetBundledProgram(buf);
  root_ = root;
  version_ = root->version();
  if (root->program() == nullptr || root->program()->size() == 0) {
    return Invalid("it contains no program");
  }
  program_data_ = root->program()->data();
  program_size_ = root->program()->size();

  // Every suite has a name and every value a type this reader knows; nothing
  // is copied.
  if (const auto* suites = root->method_test_suites()) {
    for (flatbuffers::uoffset_t s = 0; s < suites->size(); ++s) {
      const fb::BundledMethodTestSuite* suite = suites->Get(s);
      if (suite->method_name() == nullptr) {
        return Invalid("test suite " + std::to_string(s) +
                       " has no method name");
      }
      const auto* cases = suite->test_cases();
      for (flatbuffers::uoffset_t k = 0; cases && k < cases->size(); ++k) {
        const fb::BundledMethodTestCase* test_case = cases->Get(k);
        Status st = CheckValues(test_case->inputs(), "input",
                                suite->method_name(), k);
        if (st.ok()) {
          st = CheckValues(test_case->expected_outputs(), "expected output",
                           suite->method_name(), k);
        }
        if (!st.ok()) {
          return st;
        }
      }
    }
  }
  return Status::Ok();
}

std::optional<BundledMethodTests> BundledProgram::Find(
    const std::string& method_name) const {
  const auto* suites = Root(root_)->method_test_suites();
  for (flatbuffers::uoffset_t s = 0; suites && s < suites->size(); ++s) {
    const fb::BundledMethodTestSuite* suite = suites->Get(s);
    const flatbuffers::String* name = suite->method_name();
    if (name->size() == method_name.size() &&
        std::memcmp(name->data(), method_name.data(), name->size()) == 0) {
      const auto* cases = suite->test_cases();
      return BundledMethodTests{s, cases == nullptr ? 0 : cases->size()};
    }
  }
  return std::nullopt;
}

BundledTestCase BundledProgram::ReadTestCase(const BundledMethodTests& tests,
                                             size_t k,
                                             size_t max_values) const {
  const fb::BundledMethodTestCase* test_case =
      Root(root_)
          ->method_test_suites()
          ->Get(static_cast<flatbuffers::uoffset_t>(tests.suite))
          ->test_cases()
          ->Get(static_cast<flatbuffers::uoffset_t>(k));
  BundledTestCase out;
  out.num_inputs = Count(test_case->inputs());
  out.num_expected_outputs = Count(test_case->expected_outputs());
  out.inputs = ReadValues(test_case->inputs(), max_values);
  out.expected_outputs = ReadValues(test_case->expected_outputs(), max_values);
  return out;
}

std::string BundledProgram::MethodNames() const {
  constexpr size_t kMaxNames = 8;
  constexpr size_t kMaxChars = 64;
  const auto* suites = Root(root_)->method_test_suites();
  size_t count = suites == nullptr ? 0 : suites->size();
  std::string names;
  for (size_t s = 0; s < std::min(count, kMaxNames); ++s) {
    names += (names.empty() ? "" : ", ") +
             Printable(suites->Get(static_cast<flatbuffers::uoffset_t>(s))
                           ->method_name(),
                       kMaxChars);
  }
  if (count > kMaxNames) {
    names += ", ... (" + std::to_string(count) + " test suites)";
  }
  return names.empty() ? "(none)" : names;
}

}  // namespace etrunner
