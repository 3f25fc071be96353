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
  // Region 2, as SetFastScratchBytes sized it: Shared_Sram and Sram_Only
  // programs use none, which the model enforces by bounds-checking every access.
  size_t fast_scratch_bytes = 0;
  // Regions 3-7: a direct-drive program's inputs and outputs.
  size_t io_region_bytes = 0;
};

// The fast scratch (region 2) each delegate initialised from now on gets: the
// SRAM a Dedicated_Sram platform reserves for the NPU (at least Vela's SRAM
// figure for the program). 0 by default, as on Shared_Sram platforms.
void SetFastScratchBytes(size_t bytes);

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
