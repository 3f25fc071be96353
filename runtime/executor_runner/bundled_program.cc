#include "runtime/executor_runner/bundled_program.h"

#include <cstring>
#include <utility>

#include "runtime/bundled_program_schema/bundled_program_schema_generated.h"

namespace etrunner {

namespace fb = bundled_program_flatbuffer;
using executorch::runtime::etensor::ScalarType;

namespace {

Status Invalid(const std::string& message) {
  return Status::Error(kExitInvalidProgram,
                       "not a valid bundled program: " + message);
}

// Copies one verified Value out; `where` names it in errors.
Status ReadValue(const fb::Value* value, const std::string& where,
                 BundledValue* out) {
  if (value->val() == nullptr) {
    return Invalid(where + " has no value");
  }
  switch (value->val_type()) {
    case fb::ValueUnion::Tensor: {
      const fb::Tensor* tensor = value->val_as_Tensor();
      out->is_tensor = true;
      // ScalarType has a fixed underlying type (int8_t): any value converts;
      // unknown ones print as "Unknown" and are refused where they are used.
      out->dtype = static_cast<ScalarType>(tensor->scalar_type());
      if (const auto* sizes = tensor->sizes()) {
        out->sizes.assign(sizes->begin(), sizes->end());
      }
      if (const auto* dim_order = tensor->dim_order()) {
        out->dim_order.assign(dim_order->begin(), dim_order->end());
      }
      if (const auto* data = tensor->data()) {
        out->tensor_data = data->data();
        out->nbytes = data->size();
      }
      return Status::Ok();
    }
    case fb::ValueUnion::Int: {
      int64_t x = value->val_as_Int()->int_val();
      out->dtype = ScalarType::Long;
      out->nbytes = sizeof(x);
      std::memcpy(out->scalar, &x, sizeof(x));
      return Status::Ok();
    }
    case fb::ValueUnion::Double: {
      double x = value->val_as_Double()->double_val();
      out->dtype = ScalarType::Double;
      out->nbytes = sizeof(x);
      std::memcpy(out->scalar, &x, sizeof(x));
      return Status::Ok();
    }
    case fb::ValueUnion::Bool:
      out->dtype = ScalarType::Bool;
      out->nbytes = 1;
      out->scalar[0] = value->val_as_Bool()->bool_val() ? 1 : 0;
      return Status::Ok();
    default:
      // The generated verifier accepts unknown union types (forward
      // compatibility); this reader knows only the four above.
      return Invalid(where + " has value type " +
                     std::to_string(static_cast<int>(value->val_type())) +
                     " (expected Tensor, Int, Bool or Double)");
  }
}

Status ReadValues(
    const flatbuffers::Vector<flatbuffers::Offset<fb::Value>>* values,
    const std::string& where, std::vector<BundledValue>* out) {
  if (values == nullptr) {
    return Status::Ok();
  }
  out->resize(values->size());
  for (flatbuffers::uoffset_t i = 0; i < values->size(); ++i) {
    Status st = ReadValue(values->Get(i), where + " " + std::to_string(i),
                          &(*out)[i]);
    if (!st.ok()) {
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace

const char* BundledProgram::FileIdentifier() {
  return fb::BundledProgramIdentifier();
}

Status BundledProgram::Parse(const uint8_t* data, size_t size,
                             std::unique_ptr<BundledProgram>* out) {
  if (size < 8) {
    return Invalid(std::to_string(size) + " bytes is too short");
  }
  // flatbuffers::Verifier asserts (aborts) on a buffer this large.
  static_assert(kMaxSize < FLATBUFFERS_MAX_BUFFER_SIZE);
  if (size > kMaxSize) {
    return Invalid(std::to_string(size) +
                   " bytes is more than a flatbuffer can hold");
  }
  if (!fb::BundledProgramBufferHasIdentifier(data)) {
    std::string id(reinterpret_cast<const char*>(data) + 4, 4);
    if (id.compare(0, 2, "BP") == 0) {
      return Status::Error(kExitUnsupported,
                           "bundled program schema '" + id +
                               "' is not supported: this runner reads '" +
                               FileIdentifier() + "' (executorch 1.5.1)");
    }
    return Invalid("file identifier is not '" + std::string(FileIdentifier()) +
                   "'");
  }
  std::unique_ptr<BundledProgram> bp(new BundledProgram());
  bp->buffer_.resize(size / sizeof(Block) + 1);
  uint8_t* buf = bp->buffer_.front().bytes;
  std::memcpy(buf, data, size);

  flatbuffers::Verifier verifier(buf, size);
  if (!fb::VerifyBundledProgramBuffer(verifier)) {
    return Invalid(
        "the flatbuffer verifier rejects it (corrupt or truncated .bpte)");
  }
  const fb::BundledProgram* root = fb::GetBundledProgram(buf);
  bp->version_ = root->version();
  if (root->program() == nullptr || root->program()->size() == 0) {
    return Invalid("it contains no program");
  }
  bp->program_data_ = root->program()->data();
  bp->program_size_ = root->program()->size();

  if (const auto* suites = root->method_test_suites()) {
    bp->methods_.resize(suites->size());
    for (flatbuffers::uoffset_t s = 0; s < suites->size(); ++s) {
      const fb::BundledMethodTestSuite* suite = suites->Get(s);
      BundledMethodTests& method = bp->methods_[s];
      if (suite->method_name() == nullptr) {
        return Invalid("test suite " + std::to_string(s) +
                       " has no method name");
      }
      method.method_name = suite->method_name()->str();
      const auto* cases = suite->test_cases();
      if (cases == nullptr) {
        continue;
      }
      method.test_cases.resize(cases->size());
      for (flatbuffers::uoffset_t k = 0; k < cases->size(); ++k) {
        const fb::BundledMethodTestCase* test_case = cases->Get(k);
        std::string where =
            "method '" + method.method_name + "' test case " + std::to_string(k);
        BundledTestCase& c = method.test_cases[k];
        Status st = ReadValues(test_case->inputs(), where + " input", &c.inputs);
        if (st.ok()) {
          st = ReadValues(test_case->expected_outputs(),
                          where + " expected output", &c.expected_outputs);
        }
        if (!st.ok()) {
          return st;
        }
      }
    }
  }
  *out = std::move(bp);
  return Status::Ok();
}

const BundledMethodTests* BundledProgram::Find(
    const std::string& method_name) const {
  for (const BundledMethodTests& method : methods_) {
    if (method.method_name == method_name) {
      return &method;
    }
  }
  return nullptr;
}

std::string BundledProgram::MethodNames() const {
  std::string names;
  for (const BundledMethodTests& method : methods_) {
    names += (names.empty() ? "" : ", ") + method.method_name;
  }
  return names.empty() ? "(none)" : names;
}

}  // namespace etrunner
