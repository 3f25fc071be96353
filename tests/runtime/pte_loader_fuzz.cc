// Bounded, seeded mutation fuzzer of executor_runner's load path.
//
// Each iteration takes one of the valid seed programs (.pte or .bpte), applies
// 1-4 random mutations (bit flips, interesting bytes and 32-bit values,
// truncation, chunk deletion/duplication, splicing with another seed) and
// runs, in this process, what executor_runner runs: for a bundled program
// BundledProgram::Parse (flatbuffers verifier) first, then Program::load
// (InternalConsistency verification) -> method_meta -> planned buffers +
// monitored arenas -> load_method -> inputs (the first bundled test case's,
// or generated) -> set_input -> (optionally) execute.
// Every outcome must be a classified error or success; a crash (signal, ASan
// or UBSan report, ET_CHECK abort) ends the process and fails the test.
//
// The RNG of iteration i is seeded with (seed, i), so a crash reported at
// iteration N reproduces with --start_iteration=N --iterations=1
// (--dump=FILE writes that mutated program).
//
// The load path runs in this process: any crash there fails the test.
// Execution (--execute, default on) runs in a forked child per iteration,
// because ExecuTorch's kernels trust their arguments: a malformed program can
// make one fail an ET_CHECK (runtime abort, exit 11) or fault; those outcomes
// are classified and counted ("execute:runtime_abort", "execute:signal_N"),
// and --max_execute_signals bounds the faults.
//
//   pte_loader_fuzz --seed=1 --iterations=5000 --max_seconds=60 a.pte b.bpte

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <executorch/extension/data_loader/buffer_data_loader.h>
#include <executorch/runtime/executor/program.h>

#include "runtime/executor_runner/runner_lib.h"

extern "C" void __sanitizer_set_death_callback(void (*callback)(void))
    __attribute__((weak));

namespace {

using etrunner::ArenaConfig;
using etrunner::MethodInputs;
using etrunner::MethodSession;
using etrunner::Status;
using executorch::runtime::Error;
using executorch::runtime::Program;

struct Options {
  uint64_t seed = 1;
  uint64_t iterations = 5000;
  uint64_t start_iteration = 0;
  double max_seconds = 60;
  bool execute = true;
  uint64_t max_execute_signals = 0;
  std::string dump;
  std::vector<std::string> seeds;
};

volatile sig_atomic_t g_iteration = -1;
uint64_t g_seed = 0;

void WriteNumber(uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  char out[24];
  for (int i = 0; i < n; ++i) {
    out[i] = buf[n - 1 - i];
  }
  (void)!write(2, out, static_cast<size_t>(n));
}

void ReportCrash() {
  const char a[] = "\npte_loader_fuzz: CRASH at iteration ";
  (void)!write(2, a, sizeof(a) - 1);
  WriteNumber(static_cast<uint64_t>(g_iteration));
  const char b[] = " (reproduce: --seed=";
  (void)!write(2, b, sizeof(b) - 1);
  WriteNumber(g_seed);
  const char c[] = " --start_iteration=";
  (void)!write(2, c, sizeof(c) - 1);
  WriteNumber(static_cast<uint64_t>(g_iteration));
  const char d[] = " --iterations=1 --dump=FILE)\n";
  (void)!write(2, d, sizeof(d) - 1);
}

void OnSignal(int sig) {
  ReportCrash();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name, std::string* out) {
      std::string prefix = std::string("--") + name + "=";
      if (arg.compare(0, prefix.size(), prefix) == 0) {
        *out = arg.substr(prefix.size());
        return true;
      }
      return false;
    };
    std::string v;
    if (value("seed", &v)) {
      o->seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (value("iterations", &v)) {
      o->iterations = std::strtoull(v.c_str(), nullptr, 10);
    } else if (value("start_iteration", &v)) {
      o->start_iteration = std::strtoull(v.c_str(), nullptr, 10);
    } else if (value("max_seconds", &v)) {
      o->max_seconds = std::strtod(v.c_str(), nullptr);
    } else if (value("execute", &v)) {
      o->execute = v == "true" || v == "1";
    } else if (value("max_execute_signals", &v)) {
      o->max_execute_signals = std::strtoull(v.c_str(), nullptr, 10);
    } else if (value("dump", &v)) {
      o->dump = v;
    } else if (arg.compare(0, 2, "--") == 0) {
      std::fprintf(stderr, "pte_loader_fuzz: unknown flag %s\n", arg.c_str());
      return false;
    } else {
      o->seeds.push_back(arg);
    }
  }
  return !o->seeds.empty();
}

// Values that tend to break length and offset checks.
constexpr uint32_t kInteresting32[] = {
    0,          1,          2,          4,          8,          0x7f,
    0x80,       0xff,       0x100,      0x7fff,     0x8000,     0xffff,
    0x10000,    0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x40000000};
constexpr uint8_t kInteresting8[] = {0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20};

std::vector<uint8_t> Mutate(const std::vector<std::vector<uint8_t>>& seeds,
                            std::mt19937_64& rng, std::string* what) {
  auto pick = [&](size_t n) {
    return n == 0 ? size_t{0}
                  : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  std::vector<uint8_t> data = seeds[pick(seeds.size())];
  size_t rounds = 1 + pick(4);
  for (size_t r = 0; r < rounds && !data.empty(); ++r) {
    switch (pick(8)) {
      case 0: {  // bit flips
        size_t flips = 1 + pick(8);
        for (size_t k = 0; k < flips; ++k) {
          data[pick(data.size())] ^= static_cast<uint8_t>(1u << pick(8));
        }
        *what += "flip ";
        break;
      }
      case 1:  // random byte
        data[pick(data.size())] = static_cast<uint8_t>(pick(256));
        *what += "byte ";
        break;
      case 2:  // interesting byte
        data[pick(data.size())] = kInteresting8[pick(sizeof(kInteresting8))];
        *what += "ibyte ";
        break;
      case 3: {  // interesting 32-bit little-endian value at an aligned offset
        if (data.size() >= 4) {
          size_t off = pick(data.size() / 4) * 4;
          uint32_t v = kInteresting32[pick(sizeof(kInteresting32) / 4)];
          if (pick(2) == 0) {
            v = static_cast<uint32_t>(data.size()) + static_cast<uint32_t>(pick(16)) - 8;
          }
          std::memcpy(&data[off], &v, 4);
        }
        *what += "int32 ";
        break;
      }
      case 4:  // truncate
        data.resize(pick(data.size()));
        *what += "truncate ";
        break;
      case 5: {  // delete a chunk
        size_t start = pick(data.size());
        size_t len = 1 + pick(std::min<size_t>(64, data.size() - start));
        data.erase(data.begin() + static_cast<std::ptrdiff_t>(start),
                   data.begin() + static_cast<std::ptrdiff_t>(start + len));
        *what += "delete ";
        break;
      }
      case 6: {  // duplicate a chunk
        size_t start = pick(data.size());
        size_t len = 1 + pick(std::min<size_t>(64, data.size() - start));
        std::vector<uint8_t> chunk(
            data.begin() + static_cast<std::ptrdiff_t>(start),
            data.begin() + static_cast<std::ptrdiff_t>(start + len));
        data.insert(data.begin() + static_cast<std::ptrdiff_t>(pick(data.size())),
                    chunk.begin(), chunk.end());
        *what += "duplicate ";
        break;
      }
      default: {  // splice: the tail of another seed after a random point
        const std::vector<uint8_t>& other = seeds[pick(seeds.size())];
        size_t cut = pick(std::min(data.size(), other.size()));
        data.resize(cut);
        data.insert(data.end(), other.begin() + static_cast<std::ptrdiff_t>(cut),
                    other.end());
        *what += "splice ";
        break;
      }
    }
  }
  return data;
}

// "Error::X" inside a status message, or the exit-code name.
std::string ErrorKey(const Status& st) {
  size_t pos = st.message.find("Error::");
  std::string err;
  if (pos != std::string::npos) {
    size_t end = pos + 7;
    while (end < st.message.size() &&
           (std::isalnum(static_cast<unsigned char>(st.message[end])) != 0)) {
      ++end;
    }
    err = st.message.substr(pos, end - pos);
  }
  std::string key = etrunner::ExitCodeName(st.code);
  if (!err.empty()) {
    key += "/" + err;
  } else if (st.message.find("too small") != std::string::npos) {
    key += "/too_small";
  } else if (st.message.find("has no data") != std::string::npos) {
    key += "/tensor_without_data";  // program_check.h
  } else if (st.message.find("reported an error while loading") !=
             std::string::npos) {
    // Method::init's lost delayed_error (see runner_lib.cc).
    key += "/error_logged_on_successful_load";
  }
  return key;
}

// The load path of executor_runner for one buffer; returns the outcome key.
std::string RunOnce(const std::vector<uint8_t>& data, bool execute) {
  std::string id;
  etrunner::FileKind kind =
      etrunner::IdentifyFile(data.data(), data.size(), &id);
  std::unique_ptr<etrunner::BundledProgram> bundled;
  const uint8_t* program_data = data.data();
  size_t program_size = data.size();
  if (kind == etrunner::FileKind::kBundledProgram) {
    Status st =
        etrunner::BundledProgram::Parse(data.data(), data.size(), &bundled);
    if (!st.ok()) {
      return "bundled_parse:" + ErrorKey(st);
    }
    program_data = bundled->program_data();
    program_size = bundled->program_size();
  } else if (kind != etrunner::FileKind::kProgram) {
    return "identify:not_a_program";
  }
  executorch::extension::BufferDataLoader loader(program_data, program_size);
  std::optional<Program> program;
  Status st = etrunner::LoadProgram(&loader, /*minimal_verification=*/false,
                                    &program);
  if (!st.ok()) {
    return "program_load:" + ErrorKey(st);
  }
  ArenaConfig config;
  config.method_arena_bytes = 256 << 10;
  config.temp_arena_bytes = 64 << 10;
  config.max_planned_bytes = 1 << 20;
  std::string outcome = "ok_no_methods";
  size_t n = program->num_methods();
  for (size_t m = 0; m < n && m < 4; ++m) {
    auto name = program->get_method_name(m);
    if (!name.ok()) {
      return "method_name:error";
    }
    std::unique_ptr<MethodSession> session;
    st = MethodSession::Create(*program, name.get(), config, nullptr, &session);
    if (!st.ok()) {
      return "method_load:" + ErrorKey(st);
    }
    std::unique_ptr<MethodInputs> inputs;
    std::optional<etrunner::BundledMethodTests> tests;
    if (bundled) {
      tests = bundled->Find(name.get());
    }
    if (tests && tests->num_test_cases > 0) {
      etrunner::BundledTestCase test_case = bundled->ReadTestCase(
          *tests, 0, session->meta().num_inputs());
      st = etrunner::BundledInputs(session->meta(), test_case, "test case 0",
                                   &inputs, /*max_input_bytes=*/1 << 20);
    } else {
      st = MethodInputs::Generate(session->meta(), etrunner::InputFill::kOnes,
                                  0, &inputs, /*max_input_bytes=*/1 << 20);
    }
    if (!st.ok()) {
      return "inputs:" + ErrorKey(st);
    }
    st = inputs->SetAll(session->method());
    if (!st.ok()) {
      return "set_input:" + ErrorKey(st);
    }
    if (execute) {
      std::fflush(nullptr);
      pid_t pid = fork();
      if (pid == 0) {
        // The child: quiet, default signal dispositions, exit code = outcome.
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
          dup2(null_fd, 2);
        }
        for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) {
          std::signal(sig, SIG_DFL);
        }
        etrunner::SetAbortCallback(nullptr);
        Error error = session->method().execute();
        _exit(etrunner::ExecutionStatus(error, *session).code);
      }
      int status = 0;
      if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return "execute:fork_failed";
      }
      if (WIFSIGNALED(status)) {
        return "execute:signal_" + std::to_string(WTERMSIG(status));
      }
      int code = WEXITSTATUS(status);
      if (code != 0) {
        return std::string("execute:") + etrunner::ExitCodeName(code);
      }
      outcome = "ok_executed";
    } else {
      outcome = "ok_loaded";
    }
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: pte_loader_fuzz [--seed=N] [--iterations=N] "
                 "[--start_iteration=N] [--max_seconds=S] [--execute=true|false] "
                 "[--dump=FILE] SEED.pte|SEED.bpte...\n");
    return 2;
  }
  etrunner::InitRuntime(/*verbose=*/false, "pte_loader_fuzz");
  etrunner::SetAbortCallback(ReportCrash);
  g_seed = o.seed;
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) {
    std::signal(sig, OnSignal);
  }
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(ReportCrash);
  }

  std::vector<std::vector<uint8_t>> seeds;
  for (const std::string& path : o.seeds) {
    etrunner::FileContents contents;
    std::string error;
    if (!etrunner::ReadFileAtMost(path, etrunner::BundledProgram::kMaxSize,
                                  &contents, &error) ||
        contents.size > contents.bytes.size()) {
      std::fprintf(stderr, "pte_loader_fuzz: cannot read %s: %s\n",
                   path.c_str(), error.empty() ? "too large" : error.c_str());
      return 2;
    }
    std::vector<uint8_t> bytes = std::move(contents.bytes);
    // The unmutated seeds must load and run.
    std::string outcome = RunOnce(bytes, o.execute);
    if (outcome.compare(0, 2, "ok") != 0) {
      std::fprintf(stderr, "pte_loader_fuzz: seed %s does not run: %s\n",
                   path.c_str(), outcome.c_str());
      return 1;
    }
    seeds.push_back(std::move(bytes));
  }

  std::map<std::string, uint64_t> outcomes;
  std::map<std::string, uint64_t> first_iteration;
  auto start = std::chrono::steady_clock::now();
  uint64_t done = 0;
  bool timed_out = false;
  for (uint64_t it = o.start_iteration; it < o.start_iteration + o.iterations;
       ++it) {
    double elapsed = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    if (elapsed > o.max_seconds) {
      timed_out = true;
      break;
    }
    std::seed_seq seq{static_cast<uint32_t>(o.seed),
                      static_cast<uint32_t>(o.seed >> 32),
                      static_cast<uint32_t>(it), static_cast<uint32_t>(it >> 32)};
    std::mt19937_64 rng(seq);
    std::string what;
    std::vector<uint8_t> data = Mutate(seeds, rng, &what);
    if (!o.dump.empty()) {
      std::FILE* f = std::fopen(o.dump.c_str(), "wb");
      if (f != nullptr) {
        std::fwrite(data.data(), 1, data.size(), f);
        std::fclose(f);
      }
    }
    g_iteration = static_cast<sig_atomic_t>(it);
    std::string outcome = RunOnce(data, o.execute);
    if (outcomes[outcome]++ == 0) {
      first_iteration[outcome] = it;
    }
    ++done;
  }
  g_iteration = -1;
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();

  uint64_t errors = 0;
  uint64_t execute_signals = 0;
  uint64_t loaded = 0;  // passed the whole load path (set_input included)
  size_t distinct_errors = 0;
  std::printf("pte_loader_fuzz: outcomes\n");
  for (const auto& [key, count] : outcomes) {
    std::printf("  %-58s %7llu  (first at iteration %llu)\n", key.c_str(),
                static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(first_iteration[key]));
    if (key.compare(0, 2, "ok") != 0) {
      errors += count;
      ++distinct_errors;
    }
    if (key.compare(0, 2, "ok") == 0 || key.compare(0, 8, "execute:") == 0) {
      loaded += count;
    }
    if (key.compare(0, 15, "execute:signal_") == 0) {
      execute_signals += count;
    }
  }
  std::printf(
      "pte_loader_fuzz: seed=%llu iterations=%llu seconds=%.1f "
      "iterations_per_second=%.0f classified_errors=%llu distinct_errors=%zu "
      "loaded_ok=%llu crashes=0 execute_signals=%llu%s\n",
      static_cast<unsigned long long>(o.seed),
      static_cast<unsigned long long>(done), seconds,
      seconds > 0 ? static_cast<double>(done) / seconds : 0.0,
      static_cast<unsigned long long>(errors), distinct_errors,
      static_cast<unsigned long long>(loaded),
      static_cast<unsigned long long>(execute_signals), timed_out ? " (stopped at --max_seconds)" : "");
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::string path = std::string(dir) + "/fuzz_stats.txt";
    if (std::FILE* f = std::fopen(path.c_str(), "w")) {
      for (const auto& [key, count] : outcomes) {
        std::fprintf(f, "%s %llu\n", key.c_str(),
                     static_cast<unsigned long long>(count));
      }
      std::fclose(f);
    }
  }
  if (execute_signals > o.max_execute_signals) {
    std::printf("pte_loader_fuzz: FAIL: %llu executions ended on a signal "
                "(allowed: %llu)\n",
                static_cast<unsigned long long>(execute_signals),
                static_cast<unsigned long long>(o.max_execute_signals));
    return 1;
  }
  return 0;
}
