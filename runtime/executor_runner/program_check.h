// Checks of a program's flatbuffer that ExecuTorch's loader does not make.
//
// ExecuTorch 1.5.1 loads a tensor that has neither constant data
// (data_buffer_idx 0) nor memory-planned storage (no allocation_info) with a
// null data pointer: the schema allows it for tensors that receive their data
// at input time or during execution. A kernel that reads or writes such a
// tensor dereferences null (//tests/runtime:pte_loader_fuzz_test found
// opt_mul_out doing so on a mutated program). This check rejects, before
// anything runs, every such tensor that nothing will give data to.
//
// Its BackendDelegate::Init dereferences a delegate's inline data and compile
// spec keys and values without checking that the flatbuffer has them (the
// fuzzer crashed it once the Ethos-U backend was linked and delegated programs
// got that far): every delegate must have them.
//
// Like the bundled-program reader (bundled_program.h), it reads the flatbuffer
// with Debian's FlatBuffers 2.0.8 and is compiled with hidden visibility, so
// this header includes no ExecuTorch header.

#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/executor_runner/status.h"

namespace etrunner {

// `data`/`size`: the program's flatbuffer (a .pte up to its segments). In every
// method, a tensor with elements and no data must be a method input (set_input
// gives it data) or the destination of a move instruction (control flow);
// otherwise kExitInvalidProgram, or kExitUnsupported for a method output (this
// runner gives outputs no buffers of its own). Every delegate needs a backend
// id, a data reference to inline data the program has (or a segment), and
// compile specs with keys and values; otherwise kExitInvalidProgram. A buffer
// the flatbuffer verifier rejects is kExitInvalidProgram.
Status CheckProgram(const uint8_t* data, size_t size);

}  // namespace etrunner
