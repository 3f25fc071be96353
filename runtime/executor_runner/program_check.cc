#include "runtime/executor_runner/program_check.h"

#include <set>
#include <string>

#include "runtime/program_schema/program_generated.h"

namespace etrunner {

namespace fb = executorch_flatbuffer;

namespace {

bool HasData(const fb::Tensor& tensor) {
  const fb::ExtraTensorInfo* extra = tensor.extra_tensor_info();
  return tensor.data_buffer_idx() != 0 || tensor.allocation_info() != nullptr ||
         (extra != nullptr &&
          extra->location() == fb::TensorDataLocation::EXTERNAL);
}

bool HasElements(const fb::Tensor& tensor) {
  if (tensor.sizes() == nullptr) {
    return true;  // a scalar (0-dim) tensor has one element
  }
  for (int32_t size : *tensor.sizes()) {
    if (size <= 0) {
      return false;
    }
  }
  return true;
}

std::set<int32_t> Indices(const flatbuffers::Vector<int32_t>* indices) {
  return indices == nullptr ? std::set<int32_t>()
                            : std::set<int32_t>(indices->begin(), indices->end());
}

// Values that a move instruction (control flow) assigns during execution.
std::set<int32_t> MoveDestinations(const fb::ExecutionPlan& plan) {
  std::set<int32_t> moved;
  if (plan.chains() == nullptr) {
    return moved;
  }
  for (const fb::Chain* chain : *plan.chains()) {
    if (chain == nullptr || chain->instructions() == nullptr) {
      continue;
    }
    for (const fb::Instruction* instruction : *chain->instructions()) {
      if (instruction != nullptr) {
        if (const fb::MoveCall* move = instruction->instr_args_as_MoveCall()) {
          moved.insert(move->move_to());
        }
      }
    }
  }
  return moved;
}

// What ExecuTorch's BackendDelegate::Init dereferences without checking (a
// missing compile spec key or value, inline data without bytes crash it):
// every delegate's id, data reference and compile specs must be present.
Status CheckDelegates(const fb::Program& program, const fb::ExecutionPlan& plan,
                      const std::string& method) {
  if (plan.delegates() == nullptr) {
    return Status::Ok();
  }
  const auto* inline_data = program.backend_delegate_data();
  for (flatbuffers::uoffset_t i = 0; i < plan.delegates()->size(); ++i) {
    const fb::BackendDelegate* delegate = plan.delegates()->Get(i);
    const std::string where =
        "method '" + method + "': delegate " + std::to_string(i);
    if (delegate == nullptr || delegate->id() == nullptr ||
        delegate->processed() == nullptr) {
      return Status::Error(kExitInvalidProgram,
                           where + " has no backend id or no data reference");
    }
    const fb::BackendDelegateDataReference& processed = *delegate->processed();
    if (processed.location() == fb::DataLocation::INLINE &&
        (inline_data == nullptr || processed.index() >= inline_data->size() ||
         inline_data->Get(processed.index()) == nullptr ||
         inline_data->Get(processed.index())->data() == nullptr)) {
      return Status::Error(kExitInvalidProgram,
                           where + " refers to inline data " +
                               std::to_string(processed.index()) +
                               " that the program does not have");
    }
    if (delegate->compile_specs() == nullptr) {
      continue;
    }
    for (const fb::CompileSpec* spec : *delegate->compile_specs()) {
      if (spec == nullptr || spec->key() == nullptr ||
          spec->value() == nullptr) {
        return Status::Error(kExitInvalidProgram,
                             where + " has a compile spec without key or value");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckProgram(const uint8_t* data, size_t size) {
  flatbuffers::Verifier verifier(data, size);
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE || !fb::VerifyProgramBuffer(verifier)) {
    return Status::Error(kExitInvalidProgram,
                         "the program's flatbuffer does not verify");
  }
  const fb::Program* program = fb::GetProgram(data);
  if (program->execution_plan() == nullptr) {
    return Status::Ok();
  }
  for (const fb::ExecutionPlan* plan : *program->execution_plan()) {
    if (plan == nullptr || plan->values() == nullptr) {
      continue;
    }
    const std::string method =
        plan->name() != nullptr ? plan->name()->str() : "(unnamed)";
    const std::set<int32_t> inputs = Indices(plan->inputs());
    const std::set<int32_t> outputs = Indices(plan->outputs());
    const std::set<int32_t> moved = MoveDestinations(*plan);
    Status delegates = CheckDelegates(*program, *plan, method);
    if (!delegates.ok()) {
      return delegates;
    }
    for (flatbuffers::uoffset_t i = 0; i < plan->values()->size(); ++i) {
      const fb::EValue* value = plan->values()->Get(i);
      const fb::Tensor* tensor =
          value != nullptr ? value->val_as_Tensor() : nullptr;
      const auto index = static_cast<int32_t>(i);
      if (tensor == nullptr || HasData(*tensor) || !HasElements(*tensor) ||
          inputs.count(index) != 0 || moved.count(index) != 0) {
        continue;
      }
      const std::string where =
          "method '" + method + "': tensor value " + std::to_string(i);
      if (outputs.count(index) != 0) {
        return Status::Error(
            kExitUnsupported,
            where + " is an output that is not memory-planned; this runner "
                    "gives outputs no buffers of their own");
      }
      return Status::Error(
          kExitInvalidProgram,
          where + " has no data: it is neither a constant, memory-planned, a "
                  "method input, nor moved into during execution");
    }
  }
  return Status::Ok();
}

}  // namespace etrunner
