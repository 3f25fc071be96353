// The Ethos-U driver payload (Vela's driver_actions.py: "COP1", a Config
// action with the config and ID words, NOP padding, CmdStream actions; or
// "COP2", the format direct drive implies, see FindCop2Stream) and the
// register commands inside it (cmd0: one word, 10-bit opcode, 16-bit
// parameter; cmd1: bit 14 set, one 32-bit payload word follows). The word
// format is the same on the Ethos-U55 and U85; the opcodes and fields differ,
// so the config word's product field selects the register table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/ethos_u/ethos_u55_regs.h"
#include "runtime/ethos_u/ethos_u85_regs.h"

namespace ethos_u {

// config_r.product: 0 Ethos-U55, 1 Ethos-U65 (the U55 command set), 2 Ethos-U85.
enum class Product : uint32_t {
    kEthosU55 = 0,
    kEthosU65 = 1,
    kEthosU85 = 2,
};

struct Command {
    size_t index;        // position in the command stream, 0-based
    uint32_t offset;     // byte offset from the start of the command stream
    uint32_t word;       // first word
    uint32_t payload;    // second word (cmd1 only)
    const regs::CommandInfo* info;

    uint32_t code() const { return info->code; }
    bool has_payload() const { return info->has_payload; }
    uint32_t param() const { return word >> 16; }
    // Both words as one 64-bit value: the register table's bit offsets index it.
    uint64_t bits() const { return word | (static_cast<uint64_t>(payload) << 32); }
    uint32_t Field(const regs::BitField& field) const { return field.Get(bits()); }
};

struct CommandStream {
    uint32_t config_word = 0;
    uint32_t id_word = 0;
    Product product = Product::kEthosU55;  // from config_word; U55 without a config action
    std::vector<Command> commands;
};

// Decodes a driver payload with the register table of the product its config
// word names. Throws Error(kCommandStream) for a bad header, an unknown product,
// a truncated stream or an unknown opcode, naming the command index and offset.
CommandStream DecodeDriverPayload(const uint8_t* data, size_t size);

// Decodes bare register commands (no driver header), as Vela's API emits them.
std::vector<Command> DecodeCommands(const uint32_t* words, size_t count, Product product = Product::kEthosU55);

// One line per command in the layout of Vela's --verbose-register-command-stream
// ("0x000000: 3d272679 000b 4025 - NPU_SET_OPA_SCALE   11, shift = 11, ...")
// with the fields of the product's register table.
std::string Disassemble(const std::vector<Command>& commands);

}  // namespace ethos_u
