// Seeded mutation fuzzer of the Ethos-U model's C API: blob parsing, command
// stream decoding/disassembly and execution. Every input must come back as
// ETHOSU_OK or one error code with a message; a crash, a sanitizer report or
// an empty message fails. Bounded by iterations and seconds; runs built with
// ASan and UBSan as //tests/ethos_u:blob_fuzz_{asan,ubsan}_test.
//
//   blob_fuzz --seed=N --iterations=N --max_seconds=S blob...
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/ethos_u/ethos_u_model.h"

namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kErrorSize = 512;
constexpr uint64_t kMaxScratch = 1 << 24;
constexpr int32_t kMaxRegions = 8;  // the NPU's base pointers

bool Flag(const char* arg, const char* name, long long* value) {
    const size_t n = std::strlen(name);
    if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
    *value = std::atoll(arg + n + 1);
    return true;
}

uint32_t Interesting(std::mt19937_64& rng) {
    static const uint32_t values[] = {0, 1, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 16, 4096};
    return values[rng() % (sizeof(values) / sizeof(values[0]))];
}

void Mutate(Bytes& data, std::mt19937_64& rng) {
    const int count = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < count && !data.empty(); ++i) {
        const size_t at = rng() % data.size();
        switch (rng() % 6) {
            case 0:
                data[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
                break;
            case 1:
                data[at] = static_cast<uint8_t>(rng());
                break;
            case 2: {  // a whole word: sizes, addresses, opcodes
                const size_t word = at & ~size_t{3};
                const uint32_t value = (rng() % 2) ? Interesting(rng) : static_cast<uint32_t>(rng());
                for (size_t b = 0; b < 4 && word + b < data.size(); ++b) data[word + b] = static_cast<uint8_t>(value >> (8 * b));
                break;
            }
            case 3:
                data.resize(at);  // truncation
                break;
            case 4: {  // the parameter half of a command word
                const size_t word = at & ~size_t{3};
                if (word + 3 < data.size()) data[word + 2 + rng() % 2] = static_cast<uint8_t>(rng());
                break;
            }
            default: {  // duplicate a chunk
                const size_t length = std::min<size_t>(rng() % 64, data.size() - at);
                data.insert(data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at),
                            data.begin() + static_cast<long>(at + length));
                break;
            }
        }
    }
}

// Where the cmd_data block's bytes are in a blob (so that half the mutations
// land in the command stream rather than in block headers); {0, size} if absent.
std::pair<size_t, size_t> CommandBytes(const Bytes& blob) {
    for (size_t at = 0; at + 32 <= blob.size();) {
        const uint32_t size = static_cast<uint32_t>(blob[at + 16]) | (static_cast<uint32_t>(blob[at + 17]) << 8) |
                              (static_cast<uint32_t>(blob[at + 18]) << 16) | (static_cast<uint32_t>(blob[at + 19]) << 24);
        if (std::strncmp(reinterpret_cast<const char*>(&blob[at]), "cmd_data", 16) == 0) {
            return {at + 32, std::min<size_t>(size, blob.size() - at - 32)};
        }
        at += 32 + (static_cast<size_t>(size) + 15) / 16 * 16;
    }
    return {0, blob.size()};
}

// Runs one blob through parse, disassemble and execute; returns the outcome code
// of the last step reached, or -1 for an error without a message.
int RunBlob(const Bytes& blob, std::string* message) {
    char error[kErrorSize];
    ethosu_blob* parsed = nullptr;
    int code = ethosu_blob_parse(blob.data(), blob.size(), &parsed, error, sizeof(error));
    if (code != ETHOSU_OK) {
        *message = error;
        return *message == "" ? -1 : code;
    }
    size_t cmd_size = 0, weight_size = 0;
    const uint8_t* cmd = ethosu_blob_cmd_data(parsed, &cmd_size);
    const uint8_t* weights = ethosu_blob_weight_data(parsed, &weight_size);
    char* text = nullptr;
    code = ethosu_disassemble(cmd, cmd_size, &text, error, sizeof(error));
    ethosu_free_text(text);
    if (code == ETHOSU_OK) {
        // Regions as tools/ethosu/partition.py sets them: weights, scratch, no fast scratch, and
        // any further region an input or output names (direct drive), sized to hold it.
        std::vector<Bytes> memory(3);
        memory[0].assign(weights, weights + weight_size);
        memory[1].assign(std::min<uint64_t>(ethosu_blob_scratch_size(parsed), kMaxScratch), 0);
        for (size_t i = 0; i < ethosu_blob_input_count(parsed) + ethosu_blob_output_count(parsed); ++i) {
            ethosu_tensor_info info{};
            const size_t inputs = ethosu_blob_input_count(parsed);
            const int found = i < inputs ? ethosu_blob_input(parsed, i, &info) : ethosu_blob_output(parsed, i - inputs, &info);
            if (found != ETHOSU_OK || info.region < 3 || info.region >= kMaxRegions || info.offset < 0) continue;
            uint64_t bytes = static_cast<uint64_t>(std::max(info.element_size, 0));
            for (int32_t dim : info.shape) bytes = std::min(bytes * static_cast<uint64_t>(std::max(dim, 1)), kMaxScratch);
            const uint64_t end = static_cast<uint64_t>(info.offset) + bytes;
            if (memory.size() <= static_cast<size_t>(info.region)) memory.resize(static_cast<size_t>(info.region) + 1);
            Bytes& region = memory[static_cast<size_t>(info.region)];
            region.resize(std::max<uint64_t>(region.size(), std::min(end, kMaxScratch)), 0);
        }
        std::vector<ethosu_region> regions;
        for (Bytes& region : memory) regions.push_back({region.empty() ? nullptr : region.data(), region.size()});
        code = ethosu_execute(cmd, cmd_size, regions.data(), regions.size(), error, sizeof(error));
    }
    ethosu_blob_free(parsed);
    *message = code == ETHOSU_OK ? "" : error;
    return code != ETHOSU_OK && *message == "" ? -1 : code;
}

}  // namespace

int main(int argc, char** argv) {
    long long seed = 1, iterations = 1000, max_seconds = 60;
    std::vector<Bytes> seeds;
    for (int i = 1; i < argc; ++i) {
        if (Flag(argv[i], "--seed", &seed) || Flag(argv[i], "--iterations", &iterations) ||
            Flag(argv[i], "--max_seconds", &max_seconds)) {
            continue;
        }
        std::ifstream in(argv[i], std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "blob_fuzz: cannot read %s\n", argv[i]);
            return 2;
        }
        seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "usage: blob_fuzz [--seed=N] [--iterations=N] [--max_seconds=S] blob...\n");
        return 2;
    }
    // The seeds themselves must run cleanly: otherwise the fuzzer only
    // exercises the first error path.
    for (size_t i = 0; i < seeds.size(); ++i) {
        std::string message;
        if (RunBlob(seeds[i], &message) != ETHOSU_OK) {
            std::fprintf(stderr, "blob_fuzz: seed %zu does not run: %s\n", i, message.c_str());
            return 1;
        }
    }
    std::mt19937_64 rng(static_cast<uint64_t>(seed));
    std::map<int, long long> outcomes;
    std::set<std::string> distinct;
    const auto start = std::chrono::steady_clock::now();
    long long done = 0;
    for (; done < iterations; ++done) {
        if (std::chrono::steady_clock::now() - start > std::chrono::seconds(max_seconds)) break;
        Bytes blob = seeds[rng() % seeds.size()];
        const auto [offset, length] = CommandBytes(blob);
        if (rng() % 2 && length >= 8) {
            Bytes commands(blob.begin() + static_cast<long>(offset), blob.begin() + static_cast<long>(offset + length));
            Mutate(commands, rng);
            commands.resize(length, 0);  // keep the block's declared size
            std::copy(commands.begin(), commands.end(), blob.begin() + static_cast<long>(offset));
        } else {
            Mutate(blob, rng);
        }
        std::string message;
        const int code = RunBlob(blob, &message);
        if (code < 0) {
            std::fprintf(stderr, "blob_fuzz: iteration %lld: an error without a message\n", done);
            return 1;
        }
        ++outcomes[code];
        // Group messages by their text before the first number or quoted name.
        distinct.insert(message.substr(0, message.find_first_of("0123456789'")));
    }
    std::printf("seed=%lld iterations=%lld crashes=0\n", seed, done);
    for (const auto& [code, count] : outcomes) std::printf("  outcome %d: %lld\n", code, count);
    std::printf("  distinct error kinds: %zu\n", distinct.size());
    for (const auto& kind : distinct) std::printf("    %s\n", kind.c_str());
    return 0;
}
