#include "runtime/executor_runner/flags.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>

namespace etrunner {

namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) {
        parts.push_back(cur);
      }
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) {
    parts.push_back(cur);
  }
  return parts;
}

// Digits only: strtoull/strtoll skip leading white space and strtoull
// negates a leading '-', so " -1" would otherwise read as 2^64-1.
bool IsDecimal(const std::string& s, size_t from) {
  if (from >= s.size()) {
    return false;
  }
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  return true;
}

bool ParseUint(const std::string& s, uint64_t* out) {
  if (!IsDecimal(s, 0)) {
    return false;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') {
    return false;
  }
  *out = v;
  return true;
}

bool ParseInt(const std::string& s, int64_t* out) {
  if (!IsDecimal(s, !s.empty() && s[0] == '-' ? 1 : 0)) {
    return false;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') {
    return false;
  }
  *out = v;
  return true;
}

bool ParseDouble(const std::string& s, double* out) {
  // strtod skips leading white space; a flag value has none.
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || *end != '\0') {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

const char* Usage() {
  return R"(Usage: executor_runner --model_path=PROGRAM.pte|BUNDLED.bpte [flags]

Runs one method of an ExecuTorch program on the CPU (portable/optimized kernels);
for a bundled program (.bpte), once per test case of the method, checking the
outputs against the bundled expected ones (PASS/FAIL per output).

  --model_path PATH          the .pte program or .bpte bundled program (required)
  --method NAME              method to run (default forward)
  --input_files A,B,...      one raw little-endian file per input; each size must
                             equal the input tensor's nbytes (a .bpte's test
                             cases are then not run)
  --inputs zeros|ones|random generated inputs when --input_files is not given
                             (default ones; for a .bpte only when given); random:
                             floats in [-1,1), signed ints in [-8,8], unsigned
                             in [0,16], Bool 0/1
  --seed N                   seed of --inputs=random (default 0)
  --num_inferences N         runs (default 1, at most 1000000); prints each
                             time and the average
  --output_dir DIR           writes output_<i>.bin and input_<i>.bin there
                             (a .bpte's test case k: in DIR/case_<k>)
  --method_arena_bytes N     method allocator arena (default 4194304)
  --temp_arena_bytes N       temp allocator arena (default 1048576)
  --max_planned_bytes N      largest total of the memory-planned buffers
                             allowed (default 1 GiB)
  --ethosu_fast_scratch_bytes N
                             fast scratch of each Ethos-U delegate: the SRAM a
                             Dedicated_Sram program needs (Vela's SRAM figure;
                             default 0, as Shared_Sram and Sram_Only need)
  --etdump_path PATH         write an ETDump (profiling events) there
  --expected_outputs A,B,... raw files to compare the outputs with; prints
                             PASS/FAIL per output
  --bundled_atol X           absolute tolerance of the comparisons with bundled
                             or expected outputs (default 1e-4)
  --bundled_rtol X           relative tolerance of them (default 1e-4)
  --print_values N           values printed per output (default 8)
  --verification internal|minimal
                             Program::load verification (default internal)
  --verbose                  echo ExecuTorch's own log lines to stderr
  --help                     this text

Exit codes: 0 ok, 1 internal, 2 usage, 3 io, 4 invalid program, 5 missing operator,
6 bad input, 7 arena too small, 8 execution failed, 9 verification failed (an
output differs from the bundled or expected one), 10 unsupported (.bpte schema
other than BP08, output dtype not comparable), 11 runtime abort (failed
ExecuTorch check), 12 fatal signal, 13 out of memory.
)";
}

bool ParseFlags(int argc, char** argv, RunnerFlags* flags,
                std::string* error) {
  using Setter = std::function<bool(const std::string&)>;
  std::map<std::string, Setter> setters = {
      {"model_path",
       [&](const std::string& v) { return !(flags->model_path = v).empty(); }},
      {"method",
       [&](const std::string& v) { return !(flags->method = v).empty(); }},
      {"input_files",
       [&](const std::string& v) {
         flags->input_files = SplitCommas(v);
         return !flags->input_files.empty();
       }},
      {"inputs",
       [&](const std::string& v) {
         flags->inputs = v;
         return v == "zeros" || v == "ones" || v == "random";
       }},
      {"seed", [&](const std::string& v) { return ParseUint(v, &flags->seed); }},
      {"num_inferences",
       [&](const std::string& v) {
         return ParseInt(v, &flags->num_inferences) &&
                flags->num_inferences >= 1 &&
                flags->num_inferences <= kMaxNumInferences;
       }},
      {"output_dir",
       [&](const std::string& v) { return !(flags->output_dir = v).empty(); }},
      {"method_arena_bytes",
       [&](const std::string& v) {
         return ParseUint(v, &flags->method_arena_bytes);
       }},
      {"temp_arena_bytes",
       [&](const std::string& v) {
         return ParseUint(v, &flags->temp_arena_bytes);
       }},
      {"max_planned_bytes",
       [&](const std::string& v) {
         return ParseUint(v, &flags->max_planned_bytes);
       }},
      {"ethosu_fast_scratch_bytes",
       [&](const std::string& v) {
         return ParseUint(v, &flags->ethosu_fast_scratch_bytes) &&
                flags->ethosu_fast_scratch_bytes <= kMaxFastScratchBytes;
       }},
      {"etdump_path",
       [&](const std::string& v) { return !(flags->etdump_path = v).empty(); }},
      {"expected_outputs",
       [&](const std::string& v) {
         flags->expected_outputs = SplitCommas(v);
         return !flags->expected_outputs.empty();
       }},
      {"bundled_atol",
       [&](const std::string& v) {
         return ParseDouble(v, &flags->bundled_atol) &&
                flags->bundled_atol >= 0;
       }},
      {"bundled_rtol",
       [&](const std::string& v) {
         return ParseDouble(v, &flags->bundled_rtol) &&
                flags->bundled_rtol >= 0;
       }},
      {"print_values",
       [&](const std::string& v) {
         return ParseInt(v, &flags->print_values) && flags->print_values >= 0;
       }},
      {"verification",
       [&](const std::string& v) {
         flags->verification = v;
         return v == "internal" || v == "minimal";
       }},
  };
  // What a numeric flag accepts, for its error message.
  const std::map<std::string, std::string> numeric = {
      {"seed", "a decimal integer in [0, 2^64-1]"},
      {"num_inferences",
       "a decimal integer in [1, " + std::to_string(kMaxNumInferences) + "]"},
      {"method_arena_bytes", "a decimal integer"},
      {"temp_arena_bytes", "a decimal integer"},
      {"max_planned_bytes", "a decimal integer"},
      {"ethosu_fast_scratch_bytes",
       "a decimal integer in [0, " + std::to_string(kMaxFastScratchBytes) + "]"},
      {"bundled_atol", "a number >= 0"},
      {"bundled_rtol", "a number >= 0"},
      {"print_values", "a decimal integer >= 0"},
  };
  std::map<std::string, bool*> bools = {{"verbose", &flags->verbose},
                                        {"help", &flags->help}};

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      *error = "unexpected argument '" + arg + "' (flags are --name=value)";
      return false;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    auto b = bools.find(name);
    if (b != bools.end()) {
      if (!has_value || value == "true" || value == "1") {
        *b->second = true;
      } else if (value == "false" || value == "0") {
        *b->second = false;
      } else {
        *error = "--" + name + " takes no value or true/false";
        return false;
      }
      continue;
    }
    auto s = setters.find(name);
    if (s == setters.end()) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "--" + name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (!s->second(value)) {
      *error = "invalid value '" + value + "' for --" + name;
      auto expects = numeric.find(name);
      if (expects != numeric.end()) {
        *error += " (expected " + expects->second + ")";
      }
      return false;
    }
  }
  if (flags->help) {
    return true;
  }
  if (flags->model_path.empty()) {
    *error = "--model_path is required";
    return false;
  }
  if (!flags->input_files.empty() && !flags->inputs.empty()) {
    *error = "--input_files and --inputs are mutually exclusive";
    return false;
  }
  return true;
}

}  // namespace etrunner
