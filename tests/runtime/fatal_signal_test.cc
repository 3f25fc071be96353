// executor_runner's fatal-signal handler (InstallFatalSignalHandlers): each
// fault below runs in a forked child, which must exit with kExitFatalSignal
// and print the one error line naming the signal, never die of the signal.
//
// - a stack overflow: the handler needs its alternate stack to run at all;
// - abort() outside ExecuTorch's checks (what glibc's heap checks and
//   std::terminate call): SIGABRT.

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/executor_runner/runner_lib.h"

namespace {

// Always true; read through a volatile so that the compiler sees a way out of
// the recursion below.
volatile bool g_recurse = true;

// Recurses until the stack is exhausted; the frame is kept alive by the
// volatile buffer and the use of the result after the call.
int Overflow(int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  return (g_recurse ? Overflow(depth + 1) : 0) + frame[0];
}

// Runs `fault` in a child with the runner's handlers installed; checks its
// exit status and that its stderr is the one expected line.
bool Check(const char* name, void (*fault)(), const char* signal_name) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    std::perror("pipe");
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 2);
    close(pipe_fds[0]);
    etrunner::InitRuntime(/*verbose=*/false, "fatal_signal_test");
    etrunner::InstallFatalSignalHandlers();
    etrunner::SetFatalSignalContext("testing");
    fault();
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string stderr_text;
  char buf[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof(buf))) > 0) {
    stderr_text.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  std::string want = std::string("fatal_signal_test: error: fatal signal ") +
                     signal_name +
                     " while testing (the program is likely malformed)\n";
  bool ok = WIFEXITED(status) &&
            WEXITSTATUS(status) == etrunner::kExitFatalSignal &&
            stderr_text == want;
  std::printf("%s: %s (%s, stderr: %s)\n", name, ok ? "PASS" : "FAIL",
              WIFEXITED(status)
                  ? ("exit " + std::to_string(WEXITSTATUS(status))).c_str()
                  : ("killed by signal " + std::to_string(WTERMSIG(status)))
                        .c_str(),
              stderr_text.empty() ? "(empty)" : stderr_text.c_str());
  return ok;
}

}  // namespace

int main() {
  bool ok = Check("stack overflow", [] { std::exit(Overflow(0)); }, "SIGSEGV");
  ok = Check("abort", [] { std::abort(); }, "SIGABRT") && ok;
  std::printf("%s\n", ok ? "all passed" : "FAILED");
  return ok ? 0 : 1;
}
