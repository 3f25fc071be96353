// The functional Ethos-U85: its register state (the U85 register table,
// regs85) and the operations it starts, computed element by element with the
// NPU's integer arithmetic. Every memory access is checked against its region;
// what is not modelled yet fails with ETHOSU_ERROR_UNSUPPORTED naming the
// register field or feature.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/ethos_u/command_stream.h"
#include "runtime/ethos_u/error.h"

namespace ethos_u {

struct Region;

class NpuU85 {
  public:
    explicit NpuU85(const std::vector<Region>& regions);

    // Runs every command of an Ethos-U85 stream in order.
    void Run(const CommandStream& stream);

  private:
    struct FeatureMap;
    struct OutputStage;

    void Execute(const Command& command);
    uint64_t Reg0(regs85::Cmd0 code) const { return cmd0_[static_cast<size_t>(code)]; }
    uint64_t Reg1(regs85::Cmd1 code) const { return cmd1_[static_cast<size_t>(code)]; }
    uint32_t Param(regs85::Cmd0 code) const { return static_cast<uint32_t>(Reg0(code) >> 16); }
    // A 40-bit address or stride register (addr_hi:8 in the first word, addr_lo the payload).
    uint64_t Address(regs85::Cmd1 code) const;

    int PrecisionBytes(uint32_t precision, const char* what) const;
    FeatureMap Ifm() const;
    FeatureMap Ifm2() const;
    FeatureMap Ofm() const;
    OutputStage Output(int channels) const;
    void CheckExtent(const FeatureMap& fm, int height, int width, int depth) const;
    void ChainShape(FeatureMap& fm) const;
    int64_t& ChainValue(const FeatureMap& fm, int y, int x, int c) const;
    int64_t Read(const FeatureMap& fm, int y, int x, int c) const;
    void Write(const FeatureMap& fm, int y, int x, int c, int64_t value) const;
    uint8_t* Bytes(int region, uint64_t address, uint64_t length, const char* what) const;
    [[noreturn]] void Fail(ErrorKind kind, const std::string& message) const;
    [[noreturn]] void Unsupported(const std::string& what) const { Fail(ErrorKind::kUnsupported, what + " (Ethos-U85)"); }
    void CheckAccumulator(bool ifm2_source_allowed) const;
    // Refuses the rounding modes and the double-rounding shift no compiled program uses.
    void CheckScale(const char* reg, uint32_t round_mode, uint32_t dbl_rnd) const;

    void Dma();
    void Convolution(bool depthwise);
    void MatMul();
    void Resize(uint32_t mode);
    void Pool(uint32_t mode);
    void Elementwise(uint32_t mode);
    int64_t Activate(const OutputStage& out, int channel, int64_t accumulator) const;

    // A chaining buffer: an operation's OFM kept inside the NPU for the next
    // operation's IFM or IFM2 (activation_storage CHAINED, the region field
    // naming the buffer), held as values in the operation's (y, x, c) order.
    struct ChainBuffer {
        int height = 0, width = 0, depth = 0;
        std::vector<int64_t> values;
    };
    static constexpr size_t kChainBuffers = 8;

    const std::vector<Region>& regions_;
    mutable std::array<ChainBuffer, kChainBuffers> chains_;
    std::array<uint64_t, 1024> cmd0_{};
    std::array<uint64_t, 1024> cmd1_{};
    std::vector<uint8_t> lut_;
    int macs_ = 256;
    const Command* current_ = nullptr;
};

}  // namespace ethos_u
