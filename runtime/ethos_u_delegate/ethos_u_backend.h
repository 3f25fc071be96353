// ExecuTorch's Ethos-U delegate ("EthosUBackend") for Linux runners, executing
// the delegate's command stream on the functional model of //runtime/ethos_u
// instead of an NPU. Linking :ethos_u_backend registers it; this header lets a
// runner report what the delegates initialised in the process hold and how long
// they ran.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ethos_u_delegate {

// One initialised delegate (a partition of a loaded method), from its blob.
struct DelegateMemory {
  size_t command_stream_bytes = 0;
  size_t weight_bytes = 0;
  // Inputs, outputs and intermediates (region 1), owned by the delegate.
  size_t scratch_bytes = 0;
  // Region 2; the Ethos-U55 programs of this project leave it empty
  // (Shared_Sram), which the model enforces by bounds-checking every access.
  size_t fast_scratch_bytes = 0;
};

// The delegates initialised since the process started, in initialisation order.
std::vector<DelegateMemory> InitialisedDelegates();

// Calls of execute() that reached the model, and the time spent in the model
// alone (excluding the copies of inputs and outputs).
struct ExecutionTotals {
  uint64_t calls = 0;
  double model_milliseconds = 0;
};
ExecutionTotals ExecutionTotalsSoFar();

}  // namespace ethos_u_delegate
