// Command-line flags of executor_runner: `--name=value` or `--name value`,
// booleans as `--name`, `--name=true|false`. No dependency on absl/gflags.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace etrunner {

// Largest --num_inferences: keeps the run counter and the total time far
// from overflow.
constexpr int64_t kMaxNumInferences = 1000000;
// Every Ethos-U delegate allocates this much: NPU SRAMs are megabytes, so 1 GiB
// bounds a typo rather than a real configuration.
constexpr uint64_t kMaxFastScratchBytes = uint64_t{1} << 30;

struct RunnerFlags {
  std::string model_path;
  std::string method = "forward";
  std::vector<std::string> input_files;
  std::string inputs;  // zeros | ones | random (default ones)
  uint64_t seed = 0;
  int64_t num_inferences = 1;
  std::string output_dir;
  uint64_t method_arena_bytes = 4u << 20;
  uint64_t temp_arena_bytes = 1u << 20;
  uint64_t max_planned_bytes = uint64_t{1} << 30;
  uint64_t ethosu_fast_scratch_bytes = 0;
  std::string etdump_path;
  std::vector<std::string> expected_outputs;
  double bundled_atol = 1e-4;
  double bundled_rtol = 1e-4;
  int64_t print_values = 8;
  std::string verification = "internal";  // internal | minimal
  bool verbose = false;
  bool help = false;
};

// Parses argv into *flags. On error returns false with a one-line message.
bool ParseFlags(int argc, char** argv, RunnerFlags* flags, std::string* error);

// The --help text.
const char* Usage();

}  // namespace etrunner
