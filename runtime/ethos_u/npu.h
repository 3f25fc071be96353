// The functional Ethos-U55 (Ethos-U85 streams go to NpuU85, npu_u85.h):
// register state set by the command stream and the
// operations it starts (DMA, CONV, DEPTHWISE, POOL, ELEMENTWISE), computed
// element by element with the NPU's integer arithmetic. Every memory access is
// checked against its region.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/ethos_u/command_stream.h"
#include "runtime/ethos_u/error.h"

namespace ethos_u {

struct Region {
    uint8_t* data;
    uint64_t size;
};

class Npu {
  public:
    explicit Npu(std::vector<Region> regions);

    // Runs every command of `stream` in order (the driver payload's config
    // word sets the MAC configuration, which fixes the weight order).
    void Run(const CommandStream& stream);

  private:
    struct FeatureMap;
    struct OutputStage;

    void Execute(const Command& command);
    uint64_t Reg0(regs::Cmd0 code) const { return cmd0_[static_cast<size_t>(code)]; }
    uint64_t Reg1(regs::Cmd1 code) const { return cmd1_[static_cast<size_t>(code)]; }
    uint32_t Param(regs::Cmd0 code) const { return static_cast<uint32_t>(Reg0(code) >> 16); }
    uint32_t Payload(regs::Cmd1 code) const { return static_cast<uint32_t>(Reg1(code) >> 32); }

    FeatureMap Ifm() const;
    FeatureMap Ifm2() const;
    FeatureMap Ofm() const;
    OutputStage Output(int channels) const;
    int ElementBytes(uint32_t size_code) const;
    // Bounds-checks a whole height x width x depth feature map before it is touched.
    void CheckExtent(const FeatureMap& fm, int height, int width, int depth) const;
    int64_t Read(const FeatureMap& fm, int y, int x, int c) const;
    void Write(const FeatureMap& fm, int y, int x, int c, int64_t value) const;
    uint8_t* Bytes(int region, uint64_t address, uint64_t length, const char* what) const;
    [[noreturn]] void Fail(ErrorKind kind, const std::string& message) const;

    void Dma();
    void Convolution(bool depthwise);
    void Pool(uint32_t mode);
    void Elementwise(uint32_t mode);
    int64_t Activate(const OutputStage& out, int channel, int64_t accumulator) const;

    std::vector<Region> regions_;
    std::array<uint64_t, 1024> cmd0_{};
    std::array<uint64_t, 1024> cmd1_{};
    std::vector<uint8_t> shram_;
    int ofm_ublock_depth_ = 8;
    const Command* current_ = nullptr;
};

}  // namespace ethos_u
