// Exit codes and the status type of executor_runner, in a header without
// ExecuTorch's runtime headers so that the bundled-program reader (which uses
// another FlatBuffers version than ExecuTorch, see bundled_program.h) can
// include it.

#pragma once

#include <string>
#include <utility>

namespace etrunner {

// Process exit codes of executor_runner (documented in README.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,         // unexpected runtime error
  kExitUsage = 2,            // bad or missing flags, unknown method
  kExitIo = 3,               // a file cannot be read or written
  kExitInvalidProgram = 4,   // not a .pte, truncated or corrupt program
  kExitMissingOperator = 5,  // a kernel the program needs is not linked in
  kExitBadInput = 6,         // input file size/dtype mismatch, bad input spec
  kExitArenaTooSmall = 7,    // method/temp arena or planned memory too small
  kExitExecution = 8,        // Method::execute failed
  kExitVerification = 9,     // outputs differ from the expected/bundled ones
  kExitUnsupported = 10,     // another .bpte schema, a dtype not comparable
  kExitRuntimeAbort = 11,    // the runtime stopped on a failed ET_CHECK
  kExitFatalSignal = 12,     // SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT
  kExitOutOfMemory = 13,     // an allocation failed (memory limit reached)
};

struct Status {
  int code = kExitOk;
  std::string message;

  bool ok() const { return code == kExitOk; }
  static Status Ok() { return Status{}; }
  static Status Error(int code, std::string message) {
    return Status{code, std::move(message)};
  }
};

}  // namespace etrunner
