#include "runtime/ethos_u/npu_u85.h"

#include <algorithm>
#include <limits>

#include "runtime/ethos_u/arith.h"
#include "runtime/ethos_u/npu.h"
#include "runtime/ethos_u/weights.h"
#include "runtime/ethos_u/weights_u85.h"

namespace ethos_u {
namespace {

using regs85::Cmd0;
using regs85::Cmd1;

constexpr size_t kScaleRecordBytes = 10;
constexpr uint64_t kLutBytes = 2048;      // the LUT RAM (Vela's ArchEthosU85 "lutram")
constexpr uint64_t kMaxElements = uint64_t{1} << 24;
constexpr uint64_t kMaxMacs = uint64_t{1} << 30;

template <typename E>
constexpr uint32_t U(E e) {
    return static_cast<uint32_t>(e);
}

// value * scale / 2^shift with the rounding of OFM_SCALE.round_mode
// (round_mode_ofm) or IFM/IFM2_SCALE.round_mode (round_mode_ifm; the same codes
// for these two): DOUBLE_SYMMETRIC is TOSA's double rounding (ScaleValue's
// TFL), NATURAL rounds half up. The modes compiled programs do not use are
// refused before this runs (CheckScale).
int64_t ScaleU85(int64_t value, uint32_t scale, uint32_t shift, uint32_t mode) {
    return ScaleValue(value, scale, shift, mode == U(regs85::RoundModeOfm::NATURAL) ? kNatural : kTfl);
}

}  // namespace

struct NpuU85::FeatureMap {
    const char* name;
    int region;
    std::array<uint64_t, 4> base;
    int height0, height1, width0;
    uint64_t stride_x, stride_y, stride_c;
    int64_t zero_point;
    bool is_signed;
    int bytes;
    bool brick;  // NHCWB16
    int height, width, depth;
    uint32_t transpose = 0;
    int chain = -1;  // the chaining buffer this feature map is, or -1 (memory)
    bool output = false;

    int64_t Min() const { return is_signed ? -(int64_t{1} << (8 * bytes - 1)) : 0; }  // bytes <= 4
    int64_t Max() const { return is_signed ? (int64_t{1} << (8 * bytes - 1)) - 1 : (int64_t{1} << (8 * bytes)) - 1; }

    // Where the OFM element (y, x, c) of the operation (the OFM size registers
    // count before transposition) lands: OFM_PRECISION.activation_transpose
    // names the stored axes in terms of the operation's (WHC stores x as the
    // row, y as the column).
    void Place(int& y, int& x, int& c) const {
        using regs85::ActivationTranspose;
        const int h = y, w = x, d = c;
        switch (static_cast<ActivationTranspose>(transpose)) {
            case ActivationTranspose::WHC:
                y = w, x = h, c = d;
                break;
            case ActivationTranspose::HCW:
                y = h, x = d, c = w;
                break;
            case ActivationTranspose::WCH:
                y = w, x = d, c = h;
                break;
            case ActivationTranspose::CHW:
                y = d, x = h, c = w;
                break;
            case ActivationTranspose::CWH:
                y = d, x = w, c = h;
                break;
            default:
                break;
        }
    }

    // Vela's EthosU85RCSGenerator::AddressForCoordinate: four tiles; NHWC
    // steps through x, y and c by the stride registers, NHCWB16 uses 16-channel
    // bricks with STRIDE_C between bricks.
    uint64_t Address(int y, int x, int c) const {
        int tile = 0;
        if (x >= width0) {
            x -= width0;
            tile = 1;
            if (y >= height1) {
                y -= height1;
                tile += 2;
            }
        } else if (y >= height0) {
            y -= height0;
            tile = 2;
        }
        const uint64_t b = static_cast<uint64_t>(bytes);
        const uint64_t uy = static_cast<uint64_t>(y), ux = static_cast<uint64_t>(x), uc = static_cast<uint64_t>(c);
        if (brick) return base[static_cast<size_t>(tile)] + uy * stride_y + ux * 16 * b + (uc / 16) * stride_c + (uc % 16) * b;
        return base[static_cast<size_t>(tile)] + uy * stride_y + ux * stride_x + uc * stride_c;
    }
};

struct NpuU85::OutputStage {
    bool per_channel;
    std::vector<int64_t> bias;
    std::vector<uint32_t> scale;
    std::vector<uint32_t> shift;
    uint32_t rounding;
    int64_t zero_point;
    bool clip;
    int64_t act_min, act_max;
    int64_t type_min, type_max;
    const uint8_t* lut;  // null, or the table in LUT RAM
    uint32_t lut_function;
};

NpuU85::NpuU85(const std::vector<Region>& regions) : regions_(regions) {}

void NpuU85::Fail(ErrorKind kind, const std::string& message) const {
    std::string where = "execute";
    if (current_ != nullptr) {
        where = "command " + std::to_string(current_->index) + " (" + current_->info->name + " at offset " +
                Hex(current_->offset) + ")";
    }
    throw Error(kind, where + ": " + message);
}

uint8_t* NpuU85::Bytes(int region, uint64_t address, uint64_t length, const char* what) const {
    if (region < 0 || static_cast<size_t>(region) >= regions_.size() ||
        regions_[static_cast<size_t>(region)].data == nullptr) {
        Fail(ErrorKind::kMemory, std::string(what) + " uses region " + std::to_string(region) +
                                     ", which was not given (" + std::to_string(regions_.size()) + " regions)");
    }
    const Region& r = regions_[static_cast<size_t>(region)];
    if (address > r.size || length > r.size - address) {
        Fail(ErrorKind::kMemory, std::string(what) + " at region " + std::to_string(region) + " address " +
                                     Hex(address) + " length " + std::to_string(length) +
                                     " is outside the region (size " + Hex(r.size) + ")");
    }
    return r.data + address;
}

uint64_t NpuU85::Address(Cmd1 code) const {
    const uint64_t bits = Reg1(code);
    return (bits >> 32) | (static_cast<uint64_t>((bits >> 16) & 0xff) << 32);
}

void NpuU85::Run(const CommandStream& stream) {
    const uint32_t macs_log2 = regs85::config_r::macs_per_cc.Get(stream.config_word);
    macs_ = 1 << std::min<uint32_t>(macs_log2, 16);
    lut_.assign(kLutBytes, 0);
    for (const Command& command : stream.commands) {
        current_ = &command;
        Execute(command);
        if (!command.has_payload() && command.info->code == U(Cmd0::NPU_OP_STOP)) break;
    }
    current_ = nullptr;
}

void NpuU85::Execute(const Command& command) {
    const uint32_t code = command.info->code;
    if (command.has_payload()) {
        if (code == U(Cmd1::NPU_OP_BRANCH)) Unsupported("NPU_OP_BRANCH");
        cmd1_[code] = command.bits();
        return;
    }
    if (code >= 0x100) {
        cmd0_[code] = command.bits();
        return;
    }
    switch (static_cast<Cmd0>(code)) {
        case Cmd0::NPU_OP_CONV:
            if (command.Field(regs85::npu_op_conv::weights_ifm2) != 0) {
                MatMul();
            } else {
                Convolution(false);
            }
            break;
        case Cmd0::NPU_OP_DEPTHWISE:
            Convolution(true);
            break;
        case Cmd0::NPU_OP_POOL:
            Pool(command.Field(regs85::npu_op_pool::pooling_mode));
            break;
        case Cmd0::NPU_OP_ELEMENTWISE:
            Elementwise(command.Field(regs85::npu_op_elementwise::elementwise_mode));
            break;
        case Cmd0::NPU_OP_RESIZE:
            Resize(command.Field(regs85::npu_op_resize::resize_mode));
            break;
        case Cmd0::NPU_OP_DMA_START:
            Dma();
            break;
        case Cmd0::NPU_OP_STOP:
        case Cmd0::NPU_OP_IRQ:
        case Cmd0::NPU_OP_DMA_WAIT:
        case Cmd0::NPU_OP_KERNEL_WAIT:
        case Cmd0::NPU_OP_PMU_MASK:
            break;  // operations complete in order here
        default:
            Fail(ErrorKind::kCommandStream, "not an operation");
    }
}

namespace {

// Per-output sums of more terms than this, of 32-bit operands, could leave
// int64 (operands below 2^33, weights below 2^10).
constexpr uint64_t kMaxTerms32 = uint64_t{1} << 20;

}  // namespace

// B8, B16, B32; 64-bit feature maps (B64) are not used by any compiled program.
int NpuU85::PrecisionBytes(uint32_t precision, const char* what) const {
    if (precision > U(regs85::ActivationPrecision::B32)) Unsupported(std::string(what) + " precision B64");
    return 1 << precision;
}

namespace {

}  // namespace

NpuU85::FeatureMap NpuU85::Ifm() const {
    using namespace regs85;
    FeatureMap fm{};
    fm.name = "IFM";
    const uint64_t precision = Reg0(Cmd0::NPU_SET_IFM_PRECISION);
    const uint32_t storage = npu_set_ifm_precision::activation_storage.Get(precision);
    if (storage == U(ActivationStorage::TILE3X1)) Unsupported("IFM_PRECISION.activation_storage TILE3X1");
    fm.region = static_cast<int>(npu_set_ifm_region::region.Get(Reg0(Cmd0::NPU_SET_IFM_REGION)));
    if (storage == U(ActivationStorage::CHAINED)) fm.chain = fm.region;
    fm.base = {Address(Cmd1::NPU_SET_IFM_BASE0), Address(Cmd1::NPU_SET_IFM_BASE1), Address(Cmd1::NPU_SET_IFM_BASE2),
               Address(Cmd1::NPU_SET_IFM_BASE3)};
    fm.height0 = static_cast<int>(Param(Cmd0::NPU_SET_IFM_HEIGHT0_M1)) + 1;
    fm.height1 = static_cast<int>(Param(Cmd0::NPU_SET_IFM_HEIGHT1_M1)) + 1;
    fm.width0 = static_cast<int>(Param(Cmd0::NPU_SET_IFM_WIDTH0_M1)) + 1;
    fm.stride_x = Address(Cmd1::NPU_SET_IFM_STRIDE_X);
    fm.stride_y = Address(Cmd1::NPU_SET_IFM_STRIDE_Y);
    fm.stride_c = Address(Cmd1::NPU_SET_IFM_STRIDE_C);
    fm.is_signed = npu_set_ifm_precision::activation_type.Get(precision) == U(ActivationType::SIGNED);
    fm.bytes = PrecisionBytes(npu_set_ifm_precision::activation_precision.Get(precision), "IFM");
    fm.brick = npu_set_ifm_precision::activation_format.Get(precision) == U(ActivationFormat::NHCWB16);
    const uint32_t zp = Param(Cmd0::NPU_SET_IFM_ZERO_POINT);
    fm.zero_point = fm.is_signed ? SignExtend(zp, 16) : zp;
    fm.depth = static_cast<int>(Param(Cmd0::NPU_SET_IFM_DEPTH_M1)) + 1;
    ChainShape(fm);
    return fm;
}

void NpuU85::ChainShape(FeatureMap& fm) const {
    if (fm.chain < 0) return;
    if (static_cast<size_t>(fm.chain) >= kChainBuffers) {
        Fail(ErrorKind::kCommandStream, std::string(fm.name) + " chaining buffer " + std::to_string(fm.chain));
    }
    const ChainBuffer& buffer = chains_[static_cast<size_t>(fm.chain)];
    if (buffer.values.empty()) {
        Fail(ErrorKind::kCommandStream, std::string(fm.name) + " reads chaining buffer " + std::to_string(fm.chain) +
                                            ", which no operation wrote");
    }
    fm.height0 = fm.height1 = buffer.height;
    fm.width0 = buffer.width;
}

NpuU85::FeatureMap NpuU85::Ifm2() const {
    using namespace regs85;
    FeatureMap fm{};
    fm.name = "IFM2";
    const uint64_t precision = Reg0(Cmd0::NPU_SET_IFM2_PRECISION);
    const uint32_t storage = npu_set_ifm2_precision::activation_storage.Get(precision);
    if (storage == U(ActivationStorage::TILE3X1)) Unsupported("IFM2_PRECISION.activation_storage TILE3X1");
    fm.region = static_cast<int>(npu_set_ifm2_region::region.Get(Reg0(Cmd0::NPU_SET_IFM2_REGION)));
    if (storage == U(ActivationStorage::CHAINED)) fm.chain = fm.region;
    fm.base = {Address(Cmd1::NPU_SET_IFM2_BASE0), Address(Cmd1::NPU_SET_IFM2_BASE1),
               Address(Cmd1::NPU_SET_IFM2_BASE2), Address(Cmd1::NPU_SET_IFM2_BASE3)};
    fm.height0 = static_cast<int>(Param(Cmd0::NPU_SET_IFM2_HEIGHT0_M1)) + 1;
    fm.height1 = static_cast<int>(Param(Cmd0::NPU_SET_IFM2_HEIGHT1_M1)) + 1;
    fm.width0 = static_cast<int>(Param(Cmd0::NPU_SET_IFM2_WIDTH0_M1)) + 1;
    fm.stride_x = Address(Cmd1::NPU_SET_IFM2_STRIDE_X);
    fm.stride_y = Address(Cmd1::NPU_SET_IFM2_STRIDE_Y);
    fm.stride_c = Address(Cmd1::NPU_SET_IFM2_STRIDE_C);
    fm.is_signed = npu_set_ifm2_precision::activation_type.Get(precision) == U(ActivationType::SIGNED);
    fm.bytes = PrecisionBytes(npu_set_ifm2_precision::activation_precision.Get(precision), "IFM2");
    fm.brick = npu_set_ifm2_precision::activation_format.Get(precision) == U(ActivationFormat::NHCWB16);
    const uint32_t zp = Param(Cmd0::NPU_SET_IFM2_ZERO_POINT);
    fm.zero_point = fm.is_signed ? SignExtend(zp, 16) : zp;
    fm.depth = static_cast<int>(Param(Cmd0::NPU_SET_IFM_DEPTH_M1)) + 1;  // IFM_DEPTH is shared
    ChainShape(fm);
    return fm;
}

NpuU85::FeatureMap NpuU85::Ofm() const {
    using namespace regs85;
    FeatureMap fm{};
    fm.name = "OFM";
    fm.output = true;
    const uint64_t precision = Reg0(Cmd0::NPU_SET_OFM_PRECISION);
    const uint32_t storage = npu_set_ofm_precision::activation_storage.Get(precision);
    if (storage == U(ActivationStorage::NONE)) Unsupported("OFM_PRECISION.activation_storage NONE (no output)");
    if (storage == U(ActivationStorage::TILE3X1)) Unsupported("OFM_PRECISION.activation_storage TILE3X1");
    fm.region = static_cast<int>(npu_set_ofm_region::region.Get(Reg0(Cmd0::NPU_SET_OFM_REGION)));
    if (storage == U(ActivationStorage::CHAINED)) fm.chain = fm.region;
    fm.base = {Address(Cmd1::NPU_SET_OFM_BASE0), Address(Cmd1::NPU_SET_OFM_BASE1), Address(Cmd1::NPU_SET_OFM_BASE2),
               Address(Cmd1::NPU_SET_OFM_BASE3)};
    fm.height0 = static_cast<int>(Param(Cmd0::NPU_SET_OFM_HEIGHT0_M1)) + 1;
    fm.height1 = static_cast<int>(Param(Cmd0::NPU_SET_OFM_HEIGHT1_M1)) + 1;
    fm.width0 = static_cast<int>(Param(Cmd0::NPU_SET_OFM_WIDTH0_M1)) + 1;
    fm.stride_x = Address(Cmd1::NPU_SET_OFM_STRIDE_X);
    fm.stride_y = Address(Cmd1::NPU_SET_OFM_STRIDE_Y);
    fm.stride_c = Address(Cmd1::NPU_SET_OFM_STRIDE_C);
    fm.is_signed = npu_set_ofm_precision::activation_type.Get(precision) == U(ActivationType::SIGNED);
    fm.bytes = PrecisionBytes(npu_set_ofm_precision::activation_precision.Get(precision), "OFM");
    fm.brick = npu_set_ofm_precision::activation_format.Get(precision) == U(ActivationFormat::NHCWB16);
    fm.transpose = npu_set_ofm_precision::activation_transpose.Get(precision);
    const uint32_t reverse = npu_set_ofm_precision::activation_reverse.Get(precision);
    switch (static_cast<ActivationTranspose>(fm.transpose)) {
        case ActivationTranspose::HWC:
        case ActivationTranspose::WHC:
        case ActivationTranspose::HCW:
        case ActivationTranspose::WCH:
        case ActivationTranspose::CHW:
        case ActivationTranspose::CWH:
            break;
        default:
            Unsupported("OFM_PRECISION.activation_transpose " + std::to_string(fm.transpose));
    }
    if (reverse != U(ActivationReverse::NONE)) Unsupported("OFM_PRECISION.activation_reverse " + std::to_string(reverse));
    const uint32_t zp = Param(Cmd0::NPU_SET_OFM_ZERO_POINT);
    fm.zero_point = fm.is_signed ? SignExtend(zp, 16) : zp;
    fm.height = static_cast<int>(Param(Cmd0::NPU_SET_OFM_HEIGHT_M1)) + 1;
    fm.width = static_cast<int>(Param(Cmd0::NPU_SET_OFM_WIDTH_M1)) + 1;
    fm.depth = static_cast<int>(Param(Cmd0::NPU_SET_OFM_DEPTH_M1)) + 1;
    if (fm.chain >= 0 && fm.transpose != U(ActivationTranspose::HWC)) {
        Fail(ErrorKind::kCommandStream, "a chained OFM cannot be transposed");
    }
    return fm;
}

void NpuU85::CheckExtent(const FeatureMap& fm, int height, int width, int depth) const {
    const uint64_t elements =
        static_cast<uint64_t>(height) * static_cast<uint64_t>(width) * static_cast<uint64_t>(depth);
    if (elements > kMaxElements) {
        Fail(ErrorKind::kUnsupported, std::string(fm.name) + " of " + std::to_string(elements) + " elements");
    }
    if (elements == 0) return;
    if (fm.chain >= 0) {
        if (static_cast<size_t>(fm.chain) >= kChainBuffers) {
            Fail(ErrorKind::kCommandStream, std::string(fm.name) + " chaining buffer " + std::to_string(fm.chain));
        }
        ChainBuffer& buffer = chains_[static_cast<size_t>(fm.chain)];
        if (fm.output) {  // the operation about to run fills it
            buffer.height = height, buffer.width = width, buffer.depth = depth;
            buffer.values.assign(elements, 0);
        } else if (height > buffer.height || width > buffer.width || depth > buffer.depth) {
            Fail(ErrorKind::kCommandStream,
                 std::string(fm.name) + " reads " + std::to_string(height) + "x" + std::to_string(width) + "x" +
                     std::to_string(depth) + " of chaining buffer " + std::to_string(fm.chain) + ", which holds " +
                     std::to_string(buffer.height) + "x" + std::to_string(buffer.width) + "x" +
                     std::to_string(buffer.depth));
        }
        return;
    }
    if (fm.transpose != 0) {
        // The stored shape is the operation's, permuted.
        int y = height - 1, x = width - 1, c = depth - 1;
        FeatureMap stored = fm;
        stored.transpose = 0;
        fm.Place(y, x, c);
        CheckExtent(stored, y + 1, x + 1, c + 1);
        return;
    }
    // Addresses grow with y, x and c inside a tile: the corners bound it.
    const auto corner = [&](int y, int x) {
        Bytes(fm.region, fm.Address(y, x, 0), static_cast<uint64_t>(fm.bytes), fm.name);
        Bytes(fm.region, fm.Address(y, x, depth - 1), static_cast<uint64_t>(fm.bytes), fm.name);
    };
    const int h0 = std::min(height, fm.height0), w0 = std::min(width, fm.width0);
    corner(0, 0);
    corner(h0 - 1, w0 - 1);
    if (width > fm.width0) corner(std::min(height, fm.height1) - 1, width - 1);
    if (height > fm.height0) corner(height - 1, w0 - 1);
    if (width > fm.width0 && height > fm.height1) corner(height - 1, width - 1);
}

int64_t& NpuU85::ChainValue(const FeatureMap& fm, int y, int x, int c) const {
    ChainBuffer& buffer = chains_[static_cast<size_t>(fm.chain)];
    if (y < 0 || x < 0 || c < 0 || y >= buffer.height || x >= buffer.width || c >= buffer.depth) {
        Fail(ErrorKind::kCommandStream, std::string(fm.name) + " element (" + std::to_string(y) + ", " +
                                            std::to_string(x) + ", " + std::to_string(c) +
                                            ") is outside chaining buffer " + std::to_string(fm.chain));
    }
    return buffer.values[(static_cast<size_t>(y) * static_cast<size_t>(buffer.width) + static_cast<size_t>(x)) *
                             static_cast<size_t>(buffer.depth) +
                         static_cast<size_t>(c)];
}

int64_t NpuU85::Read(const FeatureMap& fm, int y, int x, int c) const {
    if (fm.chain >= 0) return ChainValue(fm, y, x, c);
    const uint8_t* p = Bytes(fm.region, fm.Address(y, x, c), static_cast<uint64_t>(fm.bytes), fm.name);
    uint64_t raw = 0;
    for (int i = 0; i < fm.bytes; ++i) raw |= static_cast<uint64_t>(p[i]) << (8 * i);
    return fm.is_signed ? SignExtend(raw, 8 * fm.bytes) : static_cast<int64_t>(raw);
}

void NpuU85::Write(const FeatureMap& fm, int y, int x, int c, int64_t value) const {
    if (fm.chain >= 0) {
        ChainValue(fm, y, x, c) = value;
        return;
    }
    fm.Place(y, x, c);
    uint8_t* p = Bytes(fm.region, fm.Address(y, x, c), static_cast<uint64_t>(fm.bytes), fm.name);
    const uint64_t raw = static_cast<uint64_t>(value);
    for (int i = 0; i < fm.bytes; ++i) p[i] = static_cast<uint8_t>(raw >> (8 * i));
}

void NpuU85::CheckScale(const char* reg, uint32_t round_mode, uint32_t dbl_rnd) const {
    using regs85::RoundModeOfm;
    if (round_mode != U(RoundModeOfm::DOUBLE_SYMMETRIC) && round_mode != U(RoundModeOfm::NATURAL)) {
        Unsupported(std::string(reg) + ".round_mode " + std::to_string(round_mode));
    }
    // Vela sets dbl_rnd for TFLite-style ADD/SUB only; no compiled program here has it.
    if (dbl_rnd != 0) Unsupported(std::string(reg) + ".dbl_rnd " + std::to_string(dbl_rnd));
}

void NpuU85::CheckAccumulator(bool ifm2_source_allowed) const {
    using namespace regs85;
    const uint64_t acc = Reg0(Cmd0::NPU_SET_ACC_FORMAT);
    const uint32_t input = npu_set_acc_format::acc_input.Get(acc);
    if (input == U(AccInput::KEEP)) Unsupported("accumulator kept from the previous operation (ACC_FORMAT.acc_input KEEP)");
    if (input == U(AccInput::IFM2) && !ifm2_source_allowed) Unsupported("ACC_FORMAT.acc_input IFM2 here");
    if (input > U(AccInput::IFM2)) Unsupported("ACC_FORMAT.acc_input " + std::to_string(input));
    if (npu_set_acc_format::acc_output.Get(acc) != U(AccOutput::ENABLE)) {
        Unsupported("accumulator without output (ACC_FORMAT.acc_output DISABLE)");
    }
}

NpuU85::OutputStage NpuU85::Output(int channels) const {
    using namespace regs85;
    const FeatureMap ofm = Ofm();
    OutputStage out{};
    const uint64_t precision = Reg0(Cmd0::NPU_SET_OFM_PRECISION);
    out.per_channel = npu_set_ofm_precision::scale_mode.Get(precision) == U(OfmScaleMode::PER_CHANNEL);
    const uint64_t ofm_scale = Reg1(Cmd1::NPU_SET_OFM_SCALE);
    out.rounding = npu_set_ofm_scale::round_mode.Get(ofm_scale);
    CheckScale("OFM_SCALE", out.rounding, npu_set_ofm_scale::dbl_rnd.Get(ofm_scale));
    out.zero_point = ofm.zero_point;
    out.type_min = ofm.Min();
    out.type_max = ofm.Max();
    const uint64_t activation = Reg0(Cmd0::NPU_SET_ACTIVATION);
    out.clip = npu_set_activation::activation_clip_range.Get(activation) == U(ActivationClipRange::B16);
    const uint32_t act_min = Param(Cmd0::NPU_SET_ACTIVATION_MIN), act_max = Param(Cmd0::NPU_SET_ACTIVATION_MAX);
    // 16-bit clip bounds: signed for signed OFMs (Vela writes int16 minima), else unsigned.
    out.act_min = ofm.is_signed ? SignExtend(act_min, 16) : act_min;
    out.act_max = ofm.is_signed ? SignExtend(act_max, 16) : act_max;
    out.lut_function = npu_set_activation::activation_function.Get(activation);
    if (out.lut_function != U(ActivationFunction::LUT_NONE)) {
        uint64_t table_bytes = 0;
        switch (static_cast<ActivationFunction>(out.lut_function)) {
            case ActivationFunction::LUT_S8_S8:
                table_bytes = 256;
                break;
            case ActivationFunction::LUT_S16_S16:
                table_bytes = 2048;
                break;
            default:
                Unsupported("activation function " + std::to_string(out.lut_function) +
                            " (ACTIVATION.activation_function)");
        }
        const uint64_t at = npu_set_activation::table.Get(activation) * table_bytes;
        if (at + table_bytes > lut_.size()) Fail(ErrorKind::kCommandStream, "LUT table past the LUT RAM");
        out.lut = lut_.data() + at;
    }
    if (out.per_channel && channels > 0) {
        const bool acc48 = npu_set_acc_format::acc_format.Get(Reg0(Cmd0::NPU_SET_ACC_FORMAT)) == U(AccFormat::I48);
        const int region = static_cast<int>(npu_set_scale_region::region.Get(Reg0(Cmd0::NPU_SET_SCALE_REGION)));
        const uint64_t base = Address(Cmd1::NPU_SET_SCALE_BASE);
        const uint64_t length = npu_set_scale_length::length.Get(Reg1(Cmd1::NPU_SET_SCALE_LENGTH));
        const uint64_t needed = static_cast<uint64_t>(channels) * kScaleRecordBytes;
        if (length < needed) {
            Fail(ErrorKind::kCommandStream, "SCALE_LENGTH " + std::to_string(length) + " < " + std::to_string(needed) +
                                                " bytes for " + std::to_string(channels) + " channels");
        }
        const uint8_t* records = Bytes(region, base, needed, "scale records");
        for (int c = 0; c < channels; ++c) {
            const uint8_t* r = records + static_cast<size_t>(c) * kScaleRecordBytes;
            // I32: <bias:32, scale:31, shift:6>; I48: <bias:48, scale:15, shift:6>.
            const int bias_bytes = acc48 ? 6 : 4;
            uint64_t bias = 0;
            for (int i = 0; i < bias_bytes; ++i) bias |= static_cast<uint64_t>(r[i]) << (8 * i);
            out.bias.push_back(SignExtend(bias, 8 * bias_bytes));
            uint32_t scale = 0;
            for (int i = 0; i < (acc48 ? 2 : 4); ++i) scale |= static_cast<uint32_t>(r[bias_bytes + i]) << (8 * i);
            out.scale.push_back(scale & (acc48 ? 0x7fffu : 0x7fffffffu));
            out.shift.push_back(r[8] & 0x3f);
        }
    } else {
        out.bias.assign(1, 0);
        out.scale.assign(1, npu_set_ofm_scale::scale.Get(ofm_scale));
        out.shift.assign(1, npu_set_ofm_scale::shift.Get(ofm_scale));
    }
    return out;
}

int64_t NpuU85::Activate(const OutputStage& out, int channel, int64_t accumulator) const {
    const size_t i = out.scale.size() == 1 ? 0 : static_cast<size_t>(channel);
    int64_t v = ScaleU85(accumulator + out.bias[i], out.scale[i], out.shift[i], out.rounding);
    using regs85::ActivationFunction;
    const auto entry = [&](size_t index, int bytes) {
        uint32_t raw = 0;
        for (int i = 0; i < bytes; ++i) raw |= static_cast<uint32_t>(out.lut[index * static_cast<size_t>(bytes) + static_cast<size_t>(i)]) << (8 * i);
        return SignExtend(raw, 8 * bytes);
    };
    switch (static_cast<ActivationFunction>(out.lut_function)) {
        case ActivationFunction::LUT_NONE:
            v = Clamp(v + out.zero_point, out.type_min, out.type_max);
            break;
        case ActivationFunction::LUT_S8_S8:
            v = entry(static_cast<size_t>(Clamp(v + out.zero_point, -128, 127) + 128), 1);
            break;
        case ActivationFunction::LUT_S16_S16: {
            // 512 entries of <16-bit base, 16-bit slope>; the low 7 bits of
            // the input interpolate, rounded (as on the Ethos-U55).
            const uint32_t position = static_cast<uint32_t>(Clamp(v + out.zero_point, -32768, 32767) + 32768);
            const int64_t base = entry(2 * (position >> 7), 2);
            const int64_t slope = entry(2 * (position >> 7) + 1, 2);
            v = Clamp(base + ((slope * static_cast<int64_t>(position & 0x7f) + 64) >> 7), out.type_min, out.type_max);
            break;
        }
        default:
            break;  // refused by Output()
    }
    if (out.clip) v = Clamp(v, out.act_min, out.act_max);
    return v;
}

void NpuU85::Dma() {
    using namespace regs85;
    const uint64_t src_region = Reg0(Cmd0::NPU_SET_DMA0_SRC_REGION);
    const uint64_t dst_region = Reg0(Cmd0::NPU_SET_DMA0_DST_REGION);
    if (npu_set_dma0_src_region::stride_mode.Get(src_region) != U(DmaStrideMode::D1)) {
        Unsupported("2D/3D DMA (DMA0_SRC_REGION.stride_mode)");
    }
    if (npu_set_dma0_src_region::idx_mode.Get(src_region) != 0 || npu_set_dma0_dst_region::idx_mode.Get(dst_region) != 0) {
        Unsupported("indexed DMA (DMA0_SRC/DST_REGION.idx_mode)");
    }
    if (npu_set_dma0_src_region::region_mode.Get(src_region) != U(DmaRegionMode::EXTERNAL)) {
        Unsupported("DMA from LUT RAM (DMA0_SRC_REGION.region_mode INTERNAL)");
    }
    const uint64_t length = Address(Cmd1::NPU_SET_DMA0_LEN);
    const uint8_t* src = Bytes(static_cast<int>(npu_set_dma0_src_region::region.Get(src_region)),
                               Address(Cmd1::NPU_SET_DMA0_SRC), length, "DMA source");
    const uint64_t dst_address = Address(Cmd1::NPU_SET_DMA0_DST);
    uint8_t* dst;
    if (npu_set_dma0_dst_region::region_mode.Get(dst_region) == U(DmaRegionMode::INTERNAL)) {
        if (dst_address > lut_.size() || length > lut_.size() - dst_address) {
            Fail(ErrorKind::kMemory, "DMA into LUT RAM at " + Hex(dst_address) + " length " + std::to_string(length) +
                                         " is outside it (" + std::to_string(lut_.size()) + " bytes)");
        }
        dst = lut_.data() + dst_address;
    } else {
        dst = Bytes(static_cast<int>(npu_set_dma0_dst_region::region.Get(dst_region)), dst_address, length,
                    "DMA destination");
    }
    std::copy(src, src + length, dst);
}

namespace {

struct Kernel {
    int kernel_h, kernel_w, stride_y, stride_x, dilation_y, dilation_x;
    int pad_top, pad_left, pad_bottom, pad_right;
    bool part_kernel_first;
};

// How far the IFM extends along one axis: what the kernel reads less the
// padding, or tile 0 if that is larger.
int InputExtent(int ofm_extent, int stride, int kernel_extent, int pad_before, int pad_after, int tile0) {
    const int read = (ofm_extent - 1) * stride + kernel_extent - pad_before - pad_after;
    return std::max({0, read, tile0});
}

}  // namespace

void NpuU85::Convolution(bool depthwise) {
    using namespace regs85;
    CheckAccumulator(false);
    if (npu_set_ifm_upscale::mode.Get(Reg0(Cmd0::NPU_SET_IFM_UPSCALE)) != U(IfmUpscaleMode::NONE)) {
        Unsupported("IFM upscaling in a convolution (IFM_UPSCALE.mode)");
    }
    const uint64_t weight_format = Reg0(Cmd0::NPU_SET_WEIGHT_FORMAT);
    const bool fast_weights = npu_set_weight_format::weight_format.Get(weight_format) == U(WeightFormat::FWD);
    const bool sparse = npu_set_weight_format::weight_sparsity.Get(weight_format) == U(WeightSparsity::SPARSE_2_4);
    if (sparse && depthwise) Fail(ErrorKind::kCommandStream, "2:4 sparse weights in a depthwise convolution");
    if (macs_ > 256) Unsupported(std::to_string(macs_) + " MACs (several weight streams)");
    const FeatureMap ifm = Ifm();
    const FeatureMap ofm = Ofm();
    const uint64_t stride = Reg0(Cmd0::NPU_SET_KERNEL_STRIDE);
    Kernel k{};
    k.stride_x = static_cast<int>((npu_set_kernel_stride::stride_x_lsb.Get(stride) |
                                   (npu_set_kernel_stride::stride_x_msb.Get(stride) << 1)) + 1);
    k.stride_y = static_cast<int>((npu_set_kernel_stride::stride_y_lsb.Get(stride) |
                                   (npu_set_kernel_stride::stride_y_msb.Get(stride) << 1)) + 1);
    k.dilation_x = static_cast<int>(npu_set_kernel_stride::dilation_x.Get(stride)) + 1;
    k.dilation_y = static_cast<int>(npu_set_kernel_stride::dilation_y.Get(stride)) + 1;
    k.part_kernel_first = npu_set_kernel_stride::weight_order.Get(stride) == U(WeightOrder::PART_KERNEL_FIRST);
    if (npu_set_kernel_stride::decomposition.Get(stride) != U(KernelDecomposition::D8X8)) {
        Unsupported("4x4 kernel decomposition (KERNEL_STRIDE.decomposition)");
    }
    const int extent_h = static_cast<int>(Param(Cmd0::NPU_SET_KERNEL_HEIGHT_M1)) + 1;
    const int extent_w = static_cast<int>(Param(Cmd0::NPU_SET_KERNEL_WIDTH_M1)) + 1;
    k.kernel_h = (extent_h - 1) / k.dilation_y + 1;
    k.kernel_w = (extent_w - 1) / k.dilation_x + 1;
    k.pad_top = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_TOP));
    k.pad_left = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_LEFT));
    k.pad_bottom = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_BOTTOM));
    k.pad_right = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_RIGHT));

    const int H = ofm.height, W = ofm.width, C = ofm.depth;
    const int ifm_c = depthwise ? C : ifm.depth;
    CheckExtent(ofm, H, W, C);
    const uint64_t macs = static_cast<uint64_t>(H) * static_cast<uint64_t>(W) * static_cast<uint64_t>(C) *
                          static_cast<uint64_t>(k.kernel_h) * static_cast<uint64_t>(k.kernel_w) *
                          static_cast<uint64_t>(depthwise ? 1 : ifm_c);
    if (macs > kMaxMacs) Fail(ErrorKind::kUnsupported, std::to_string(macs) + " MACs in one operation");
    const uint64_t terms = static_cast<uint64_t>(k.kernel_h) * static_cast<uint64_t>(k.kernel_w) *
                           static_cast<uint64_t>(depthwise ? 1 : ifm_c);
    if (ifm.bytes == 4 && terms > kMaxTerms32) {
        Fail(ErrorKind::kUnsupported, std::to_string(terms) + " products per output of a 32-bit IFM");
    }
    const int in_h = InputExtent(H, k.stride_y, extent_h, k.pad_top, k.pad_bottom, ifm.height0);
    const int in_w = InputExtent(W, k.stride_x, extent_w, k.pad_left, k.pad_right, ifm.width0);
    CheckExtent(ifm, in_h, in_w, ifm_c);
    std::vector<int32_t> in(static_cast<size_t>(in_h) * static_cast<size_t>(in_w) * static_cast<size_t>(ifm_c), 0);
    for (int y = 0; y < in_h; ++y) {
        for (int x = 0; x < in_w; ++x) {
            int32_t* row = &in[(static_cast<size_t>(y) * static_cast<size_t>(in_w) + static_cast<size_t>(x)) *
                               static_cast<size_t>(ifm_c)];
            for (int c = 0; c < ifm_c; ++c) row[c] = static_cast<int32_t>(Read(ifm, y, x, c) - ifm.zero_point);
        }
    }

    // Weights: the U55's stream format in the U85's traversal order.
    const uint64_t acc_format = Reg0(Cmd0::NPU_SET_ACC_FORMAT);
    const uint32_t microblock = npu_set_acc_format::microblock.Get(acc_format);
    // The micro-block's height x width (U1X1 U1X2 U1X4 U2X2 U2X4 U4X4); its
    // depth fills the MACs, 8 per OFM element.
    int microblock_area = 0;
    switch (static_cast<Microblock>(microblock)) {
        case Microblock::U1X1:
            microblock_area = 1;
            break;
        case Microblock::U1X2:
            microblock_area = 2;
            break;
        case Microblock::U1X4:
        case Microblock::U2X2:
            microblock_area = 4;
            break;
        case Microblock::U2X4:
            microblock_area = 8;
            break;
        case Microblock::U4X4:
            microblock_area = 16;
            break;
        default:
            Fail(ErrorKind::kCommandStream, "ACC_FORMAT.microblock " + std::to_string(microblock));
    }
    const int ofm_ublock_depth = macs_ / 8 / microblock_area;
    const int weight_region = static_cast<int>(npu_set_weight_region::region.Get(Reg0(Cmd0::NPU_SET_WEIGHT_REGION)));
    const uint64_t weight_length = npu_set_weight_length::length.Get(Reg1(Cmd1::NPU_SET_WEIGHT_LENGTH));
    const uint8_t* stream = Bytes(weight_region, Address(Cmd1::NPU_SET_WEIGHT_BASE), weight_length, "weights");
    WeightLayoutU85 layout{};
    layout.ofm_depth = C;
    layout.kernel_height = k.kernel_h;
    layout.kernel_width = k.kernel_w;
    layout.ifm_depth = depthwise ? 1 : ifm_c;
    layout.ofm_block_depth = static_cast<int>(Param(Cmd0::NPU_SET_OFM_BLK_DEPTH_M1)) + 1;
    layout.ofm_ublock_depth = ofm_ublock_depth;
    layout.stride_x = k.stride_x;
    layout.stride_y = k.stride_y;
    layout.dilation_x = k.dilation_x;
    layout.dilation_y = k.dilation_y;
    layout.ifm_16bit = ifm.bytes == 2;
    layout.macs = macs_;
    layout.traversal = depthwise ? TraversalU85::kDepthwise
                       : k.part_kernel_first ? TraversalU85::kPartKernel
                                             : TraversalU85::kDepthFirst;
    layout.sparse = sparse;
    layout.ifm_block_depth = IfmBlockDepthU85(layout.traversal, 8 * ifm.bytes, macs_, ofm_ublock_depth, sparse);
    std::vector<int16_t> weights;
    try {
        weights = WeightsToOhwiU85(layout, fast_weights ? DecodeFastWeightStream(stream, weight_length)
                                                        : DecodeWeightStream(stream, weight_length));
    } catch (const Error& e) {
        Fail(e.kind(), e.what());
    }
    const OutputStage out = Output(C);

    std::vector<int64_t> acc(static_cast<size_t>(C));
    const size_t kernel_stride = static_cast<size_t>(k.kernel_h) * static_cast<size_t>(k.kernel_w);
    for (int oy = 0; oy < H; ++oy) {
        for (int ox = 0; ox < W; ++ox) {
            std::fill(acc.begin(), acc.end(), 0);
            for (int ky = 0; ky < k.kernel_h; ++ky) {
                const int iy = oy * k.stride_y - k.pad_top + ky * k.dilation_y;
                if (iy < 0 || iy >= in_h) continue;
                for (int kx = 0; kx < k.kernel_w; ++kx) {
                    const int ix = ox * k.stride_x - k.pad_left + kx * k.dilation_x;
                    if (ix < 0 || ix >= in_w) continue;
                    const int32_t* pixel =
                        &in[(static_cast<size_t>(iy) * static_cast<size_t>(in_w) + static_cast<size_t>(ix)) *
                            static_cast<size_t>(ifm_c)];
                    const size_t tap = static_cast<size_t>(ky) * static_cast<size_t>(k.kernel_w) + static_cast<size_t>(kx);
                    for (int oc = 0; oc < C; ++oc) {
                        if (depthwise) {
                            acc[static_cast<size_t>(oc)] +=
                                static_cast<int64_t>(pixel[oc]) * weights[static_cast<size_t>(oc) * kernel_stride + tap];
                        } else {
                            const int16_t* kernel =
                                &weights[(static_cast<size_t>(oc) * kernel_stride + tap) * static_cast<size_t>(ifm_c)];
                            int64_t sum = 0;
                            for (int ic = 0; ic < ifm_c; ++ic) sum += static_cast<int64_t>(pixel[ic]) * kernel[ic];
                            acc[static_cast<size_t>(oc)] += sum;
                        }
                    }
                }
            }
            for (int oc = 0; oc < C; ++oc) Write(ofm, oy, ox, oc, Activate(out, oc, acc[static_cast<size_t>(oc)]));
        }
    }
}

// NPU_OP_CONV with weights_ifm2: a matrix product with the weights read from
// IFM2 (Vela's MatMul: IFM2 is the right-hand matrix transposed, so OFM
// channel oc at (y, x) is the dot product of IFM (y, x, :) with IFM2 (y, oc, :)),
// both operands less their zero points, then the OFM's global scale.
void NpuU85::MatMul() {
    using namespace regs85;
    CheckAccumulator(false);
    const FeatureMap ifm = Ifm();
    const FeatureMap ifm2 = Ifm2();
    const FeatureMap ofm = Ofm();
    const uint64_t stride = Reg0(Cmd0::NPU_SET_KERNEL_STRIDE);
    if (Param(Cmd0::NPU_SET_KERNEL_HEIGHT_M1) != 0 || Param(Cmd0::NPU_SET_KERNEL_WIDTH_M1) != 0 ||
        npu_set_kernel_stride::stride_x_lsb.Get(stride) != 0 || npu_set_kernel_stride::stride_x_msb.Get(stride) != 0 ||
        npu_set_kernel_stride::stride_y_lsb.Get(stride) != 0 || npu_set_kernel_stride::stride_y_msb.Get(stride) != 0) {
        Unsupported("weights from IFM2 with a kernel other than 1x1 stride 1");
    }
    if (npu_set_ifm_upscale::mode.Get(Reg0(Cmd0::NPU_SET_IFM_UPSCALE)) != U(IfmUpscaleMode::NONE)) {
        Unsupported("IFM upscaling with weights from IFM2");
    }
    if (ifm.bytes > 2 || ifm2.bytes > 2) Unsupported("32-bit operands with weights from IFM2");
    const int H = ofm.height, W = ofm.width, C = ofm.depth, K = ifm.depth;
    CheckExtent(ofm, H, W, C);
    CheckExtent(ifm, H, W, K);
    CheckExtent(ifm2, H, C, K);
    const uint64_t macs = static_cast<uint64_t>(H) * static_cast<uint64_t>(W) * static_cast<uint64_t>(C) *
                          static_cast<uint64_t>(K);
    if (macs > kMaxMacs) Fail(ErrorKind::kUnsupported, std::to_string(macs) + " MACs in one operation");
    const OutputStage out = Output(0);
    std::vector<int64_t> right(static_cast<size_t>(C) * static_cast<size_t>(K));
    std::vector<int64_t> left(static_cast<size_t>(K));
    for (int y = 0; y < H; ++y) {
        for (int oc = 0; oc < C; ++oc) {
            for (int k = 0; k < K; ++k) {
                right[static_cast<size_t>(oc) * static_cast<size_t>(K) + static_cast<size_t>(k)] =
                    Read(ifm2, y, oc, k) - ifm2.zero_point;
            }
        }
        for (int x = 0; x < W; ++x) {
            for (int k = 0; k < K; ++k) left[static_cast<size_t>(k)] = Read(ifm, y, x, k) - ifm.zero_point;
            for (int oc = 0; oc < C; ++oc) {
                int64_t acc = 0;
                const int64_t* row = &right[static_cast<size_t>(oc) * static_cast<size_t>(K)];
                for (int k = 0; k < K; ++k) acc += left[static_cast<size_t>(k)] * row[k];
                Write(ofm, y, x, oc, Activate(out, oc, acc));
            }
        }
    }
}

// NPU_OP_RESIZE (Vela's GenerateResizeOp): output coordinate o reads the IFM
// at (o * d + offset) / n, with n = RESIZE_*_SCALE_N_M1 + 1, d = one_step_int
// * n + one_step_mod and a 12-bit signed offset (TOSA RESIZE's scale and
// offset), clamped to the IFM (KERNEL_HEIGHT/WIDTH_M1 + 1). NEAREST rounds the
// position half up (TOSA's nearest); the accumulator holds the value in
// 16-bit fixed point (the OFM scale's shift is 16 plus the rescale's).
void NpuU85::Resize(uint32_t mode) {
    using namespace regs85;
    CheckAccumulator(false);
    if (mode != U(ResizeMode::NEAREST)) {
        Unsupported("resize mode " + std::to_string(mode) + " (NPU_OP_RESIZE.resize_mode)");
    }
    if (npu_set_ifm_upscale::mode.Get(Reg0(Cmd0::NPU_SET_IFM_UPSCALE)) != U(IfmUpscaleMode::NONE)) {
        Unsupported("IFM upscaling in a resize");
    }
    const FeatureMap ifm = Ifm();
    const FeatureMap ofm = Ofm();
    struct Axis {
        int64_t n, d, offset;
        int extent;
    };
    const auto axis = [&](Cmd0 scale_n, Cmd1 step, Cmd0 offset, Cmd0 kernel) {
        Axis a{};
        a.n = static_cast<int64_t>(Param(scale_n) & 0x7ff) + 1;
        const uint64_t bits = Reg1(step);
        a.d = static_cast<int64_t>(npu_set_resize_x_step::one_step_int.Get(bits)) * a.n +
              static_cast<int64_t>(npu_set_resize_x_step::one_step_mod.Get(bits));
        a.offset = SignExtend(Param(offset) & 0xfff, 12);
        a.extent = static_cast<int>(Param(kernel)) + 1;
        return a;
    };
    const Axis ax = axis(Cmd0::NPU_SET_RESIZE_X_SCALE_N_M1, Cmd1::NPU_SET_RESIZE_X_STEP, Cmd0::NPU_SET_RESIZE_X_OFFSET,
                         Cmd0::NPU_SET_KERNEL_WIDTH_M1);
    const Axis ay = axis(Cmd0::NPU_SET_RESIZE_Y_SCALE_N_M1, Cmd1::NPU_SET_RESIZE_Y_STEP, Cmd0::NPU_SET_RESIZE_Y_OFFSET,
                         Cmd0::NPU_SET_KERNEL_HEIGHT_M1);
    const int H = ofm.height, W = ofm.width, C = ofm.depth;
    CheckExtent(ofm, H, W, C);
    CheckExtent(ifm, ay.extent, ax.extent, C);
    const auto source = [&](const Axis& a, int o) {
        const int64_t position = static_cast<int64_t>(o) * a.d + a.offset;
        int64_t index = position >= 0 ? position / a.n : -((-position + a.n - 1) / a.n);  // floor
        const int64_t fraction = position - index * a.n;
        if (2 * fraction >= a.n) ++index;
        return static_cast<int>(Clamp(index, 0, a.extent - 1));
    };
    const OutputStage out = Output(0);
    for (int oy = 0; oy < H; ++oy) {
        const int iy = source(ay, oy);
        for (int ox = 0; ox < W; ++ox) {
            const int ix = source(ax, ox);
            for (int c = 0; c < C; ++c) {
                const int64_t v = Read(ifm, iy, ix, c) - ifm.zero_point;
                Write(ofm, oy, ox, c, Activate(out, c, v * 65536));
            }
        }
    }
}

void NpuU85::Pool(uint32_t mode) {
    using namespace regs85;
    const bool null_pool = mode == U(PoolingMode::NONE);
    CheckAccumulator(null_pool);
    const bool from_ifm2 = npu_set_acc_format::acc_input.Get(Reg0(Cmd0::NPU_SET_ACC_FORMAT)) == U(AccInput::IFM2);
    if (null_pool != from_ifm2) Unsupported("pooling mode NONE without ACC_FORMAT.acc_input IFM2, or the reverse");
    if (mode != U(PoolingMode::MAX) && mode != U(PoolingMode::AVERAGE) && mode != U(PoolingMode::SUM) &&
        mode != U(PoolingMode::REDUCE_SUM) && !null_pool) {
        Unsupported("pooling mode " + std::to_string(mode) + " (NPU_OP_POOL.pooling_mode)");
    }
    if (npu_set_ifm_upscale::mode.Get(Reg0(Cmd0::NPU_SET_IFM_UPSCALE)) != U(IfmUpscaleMode::NONE)) {
        Unsupported("IFM upscaling in pooling (IFM_UPSCALE.mode)");
    }
    const FeatureMap ifm = null_pool ? Ifm2() : Ifm();
    const FeatureMap ofm = Ofm();
    const uint64_t stride = Reg0(Cmd0::NPU_SET_KERNEL_STRIDE);
    const int stride_x = static_cast<int>((npu_set_kernel_stride::stride_x_lsb.Get(stride) |
                                           (npu_set_kernel_stride::stride_x_msb.Get(stride) << 1)) + 1);
    const int stride_y = static_cast<int>((npu_set_kernel_stride::stride_y_lsb.Get(stride) |
                                           (npu_set_kernel_stride::stride_y_msb.Get(stride) << 1)) + 1);
    const int kernel_h = static_cast<int>(Param(Cmd0::NPU_SET_KERNEL_HEIGHT_M1)) + 1;
    const int kernel_w = static_cast<int>(Param(Cmd0::NPU_SET_KERNEL_WIDTH_M1)) + 1;
    const int pad_top = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_TOP));
    const int pad_left = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_LEFT));
    const int pad_bottom = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_BOTTOM));
    const int pad_right = static_cast<int>(Param(Cmd0::NPU_SET_IFM_PAD_RIGHT));
    const bool reduce_channels = mode == U(PoolingMode::REDUCE_SUM);
    const int H = ofm.height, W = ofm.width, C = ofm.depth;
    const int in_h = InputExtent(H, stride_y, kernel_h, pad_top, pad_bottom, ifm.height0);
    const int in_w = InputExtent(W, stride_x, kernel_w, pad_left, pad_right, ifm.width0);
    const int in_c = reduce_channels ? ifm.depth : C;
    if (reduce_channels && C != 1) Unsupported("REDUCE_SUM into " + std::to_string(C) + " channels");
    CheckExtent(ofm, H, W, C);
    CheckExtent(ifm, in_h, in_w, in_c);
    const uint64_t reads = static_cast<uint64_t>(H) * static_cast<uint64_t>(W) * static_cast<uint64_t>(C) *
                           static_cast<uint64_t>(kernel_h) * static_cast<uint64_t>(kernel_w) *
                           static_cast<uint64_t>(reduce_channels ? in_c : 1);
    if (reads > kMaxMacs) Fail(ErrorKind::kUnsupported, std::to_string(reads) + " reads in one operation");
    const uint64_t terms = static_cast<uint64_t>(kernel_h) * static_cast<uint64_t>(kernel_w) *
                           static_cast<uint64_t>(reduce_channels ? in_c : 1);
    if (ifm.bytes == 4 && terms > kMaxTerms32) {
        Fail(ErrorKind::kUnsupported, std::to_string(terms) + " elements per output of a 32-bit IFM");
    }
    const OutputStage out = Output(C);  // per-channel records when OFM_PRECISION.scale_mode says so
    for (int oy = 0; oy < H; ++oy) {
        for (int ox = 0; ox < W; ++ox) {
            for (int oc = 0; oc < C; ++oc) {
                int64_t sum = 0, count = 0;
                int64_t maximum = std::numeric_limits<int64_t>::min();
                for (int ky = 0; ky < kernel_h; ++ky) {
                    const int iy = oy * stride_y - pad_top + ky;
                    if (iy < 0 || iy >= in_h) continue;
                    for (int kx = 0; kx < kernel_w; ++kx) {
                        const int ix = ox * stride_x - pad_left + kx;
                        if (ix < 0 || ix >= in_w) continue;
                        for (int c = reduce_channels ? 0 : oc; c < (reduce_channels ? in_c : oc + 1); ++c) {
                            const int64_t v = Read(ifm, iy, ix, c) - ifm.zero_point;
                            sum += v;
                            maximum = std::max(maximum, v);
                            ++count;
                        }
                    }
                }
                int64_t acc = sum;
                if (mode == U(PoolingMode::MAX)) {
                    acc = count > 0 ? maximum : 0;
                } else if (mode == U(PoolingMode::AVERAGE) && count > 0) {
                    // Divides by the elements inside the IFM (padding excluded),
                    // rounding half away from zero, before the output scale.
                    acc = (sum >= 0 ? sum + count / 2 : sum - count / 2) / count;
                }
                Write(ofm, oy, ox, oc, Activate(out, oc, acc));
            }
        }
    }
}

void NpuU85::Elementwise(uint32_t mode) {
    using namespace regs85;
    CheckAccumulator(false);
    using M = ElementwiseMode;
    const bool unary = mode == U(M::ABS);
    switch (static_cast<M>(mode)) {
        case M::MUL:
        case M::ADD:
        case M::SUB:
        case M::MIN:
        case M::MAX:
        case M::ABS:
        case M::CMP_EQ:
        case M::CMP_GE:
        case M::CMP_GT:
        case M::AND:
        case M::OR:
        case M::AND_NOT:
            break;
        default:
            Unsupported("elementwise mode " + std::to_string(mode) + " (NPU_OP_ELEMENTWISE.elementwise_mode)");
    }
    const uint64_t ifm_broadcast = Reg0(Cmd0::NPU_SET_IFM_BROADCAST);
    const uint64_t ifm2_broadcast = Reg0(Cmd0::NPU_SET_IFM2_BROADCAST);
    const uint32_t b1 = npu_set_ifm_broadcast::broadcast_mode.Get(ifm_broadcast);
    const uint32_t b2 = npu_set_ifm2_broadcast::broadcast_mode.Get(ifm2_broadcast);
    const bool scalar1 = b1 == U(BroadcastMode::SCALAR);
    const bool scalar2 = !unary && b2 == U(BroadcastMode::SCALAR);
    if (scalar1 && scalar2) Fail(ErrorKind::kCommandStream, "both operands scalar");
    const int64_t scalar_raw = static_cast<int64_t>(static_cast<int32_t>(Reg1(Cmd1::NPU_SET_OP_SCALAR) >> 32));
    const FeatureMap ofm = Ofm();
    const FeatureMap ifm = Ifm();  // for a scalar IFM only its precision and zero point
    FeatureMap ifm2{};
    if (!unary) ifm2 = Ifm2();
    const auto scale_of = [&](Cmd1 code) {
        const uint64_t r = Reg1(code);
        struct {
            uint32_t scale, shift, dbl_rnd, round;
        } s{npu_set_ifm_scale::scale.Get(r), npu_set_ifm_scale::shift.Get(r), npu_set_ifm_scale::dbl_rnd.Get(r),
            npu_set_ifm_scale::round_mode.Get(r)};
        return s;
    };
    const auto s1 = scale_of(Cmd1::NPU_SET_IFM_SCALE);
    const auto s2 = scale_of(Cmd1::NPU_SET_IFM2_SCALE);
    CheckScale("IFM_SCALE", s1.round, s1.dbl_rnd);
    if (!unary) CheckScale("IFM2_SCALE", s2.round, s2.dbl_rnd);
    const OutputStage out = Output(0);
    const int H = ofm.height, W = ofm.width, C = ofm.depth;
    CheckExtent(ofm, H, W, C);
    const auto bh = [](uint32_t b) { return (b & U(BroadcastMode::H)) != 0 && b != U(BroadcastMode::SCALAR); };
    const auto bw = [](uint32_t b) { return (b & U(BroadcastMode::W)) != 0 && b != U(BroadcastMode::SCALAR); };
    const auto bc = [](uint32_t b) { return (b & U(BroadcastMode::C)) != 0 && b != U(BroadcastMode::SCALAR); };
    if (!scalar1) CheckExtent(ifm, bh(b1) ? 1 : H, bw(b1) ? 1 : W, bc(b1) ? 1 : C);
    if (!unary && !scalar2) CheckExtent(ifm2, bh(b2) ? 1 : H, bw(b2) ? 1 : W, bc(b2) ? 1 : C);
    const bool compare = mode >= U(M::CMP_EQ) && mode <= U(M::CMP_GT);
    for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
            for (int c = 0; c < C; ++c) {
                const int64_t raw1 =
                    scalar1 ? scalar_raw : Read(ifm, bh(b1) ? 0 : y, bw(b1) ? 0 : x, bc(b1) ? 0 : c);
                const int64_t a = ScaleU85(raw1 - ifm.zero_point, s1.scale, s1.shift, s1.round);
                int64_t b = 0;
                if (!unary) {
                    const int64_t raw2 =
                        scalar2 ? scalar_raw : Read(ifm2, bh(b2) ? 0 : y, bw(b2) ? 0 : x, bc(b2) ? 0 : c);
                    b = ScaleU85(raw2 - ifm2.zero_point, s2.scale, s2.shift, s2.round);
                }
                int64_t acc = 0;
                switch (static_cast<M>(mode)) {
                    case M::ADD:
                        acc = a + b;
                        break;
                    case M::SUB:
                        acc = a - b;
                        break;
                    case M::MUL: {
                        // Both operands may be up to 2^62 after scaling: saturate as ScaleValue does.
                        const __int128 product = static_cast<__int128>(a) * b, hi = __int128{1} << 62;
                        acc = static_cast<int64_t>(product > hi ? hi : product < -hi ? -hi : product);
                        break;
                    }
                    case M::MIN:
                        acc = std::min(a, b);
                        break;
                    case M::MAX:
                        acc = std::max(a, b);
                        break;
                    case M::ABS:
                        acc = a < 0 ? -a : a;
                        break;
                    case M::CMP_EQ:
                        acc = a == b;
                        break;
                    case M::CMP_GE:
                        acc = a >= b;
                        break;
                    case M::CMP_GT:
                        acc = a > b;
                        break;
                    case M::AND:
                        acc = a & b;
                        break;
                    case M::OR:
                        acc = a | b;
                        break;
                    case M::AND_NOT:
                        acc = a & ~b;
                        break;
                    default:
                        break;
                }
                // A comparison writes all ones for true (a mask for AND/OR), zero for false.
                Write(ofm, y, x, c, compare ? (acc ? (ofm.is_signed ? -1 : ofm.Max()) : 0) : Activate(out, c, acc));
            }
        }
    }
}

}  // namespace ethos_u
