#include "runtime/ethos_u/command_stream.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "runtime/ethos_u/error.h"

namespace ethos_u {
namespace {

constexpr uint32_t kCop1 = 0x31504f43;  // "COP1"
constexpr uint32_t kCop2 = 0x32504f43;  // "COP2"
constexpr uint32_t kVeum = 0x4d554556;  // "VEUM", COP2's metadata
constexpr uint32_t kOpcodeMask = 0x3ff;
constexpr unsigned kPayloadShift = 14;  // command_with_payload_t.payload_size
constexpr uint32_t kCmd0ZeroMask = 0xfc00;  // command_no_payload_t.must_be_zero0
constexpr uint32_t kCmd1ZeroMask = 0x3c00;  // command_with_payload_t.must_be_zero

// Driver action tags (Vela's driver_actions.DACommands), low byte of a word.
enum DriverAction : uint32_t {
    kConfig = 0x01,
    kCmdStream = 0x02,
    kReadApb = 0x03,
    kDumpShram = 0x04,
    kNop = 0x05,
};

[[noreturn]] void Fail(const std::string& message) {
    throw Error(ErrorKind::kCommandStream, "command stream: " + message);
}

std::string Hex(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof(text), "0x%" PRIx32, value);
    return text;
}

template <size_t N>
const regs::CommandInfo* Find(const regs::CommandInfo (&table)[N], uint32_t code) {
    for (const auto& info : table) {
        if (info.code == code) return &info;
    }
    return nullptr;
}

const regs::CommandInfo* Lookup(Product product, uint32_t code, bool payload) {
    if (product == Product::kEthosU85) {
        return payload ? Find(regs85::kCmd1Commands, code) : Find(regs85::kCmd0Commands, code);
    }
    return payload ? Find(regs::kCmd1Commands, code) : Find(regs::kCmd0Commands, code);
}

const char* ProductName(Product product) {
    switch (product) {
        case Product::kEthosU65:
            return "Ethos-U65";
        case Product::kEthosU85:
            return "Ethos-U85";
        default:
            return "Ethos-U55";
    }
}

}  // namespace

std::vector<Command> DecodeCommands(const uint32_t* words, size_t count, Product product) {
    std::vector<Command> commands;
    size_t i = 0;
    while (i < count) {
        const uint32_t word = words[i];
        const uint32_t payload_size = (word >> kPayloadShift) & 3;
        const size_t index = commands.size();
        const std::string where = "command " + std::to_string(index) + " at offset " + Hex(static_cast<uint32_t>(4 * i));
        if (payload_size > 1) {
            Fail(where + ": word " + Hex(word) + " declares a " + std::to_string(payload_size) +
                 "-word payload; the " + ProductName(product) + " has 1");
        }
        const bool payload = payload_size == 1;
        if ((word & (payload ? kCmd1ZeroMask : kCmd0ZeroMask)) != 0) {
            Fail(where + ": word " + Hex(word) + " has must-be-zero bits set");
        }
        const regs::CommandInfo* info = Lookup(product, word & kOpcodeMask, payload);
        if (info == nullptr) {
            Fail(where + ": unknown " + ProductName(product) + " " + (payload ? "cmd1" : "cmd0") + " opcode " +
                 Hex(word & kOpcodeMask));
        }
        if (payload && i + 1 >= count) Fail(where + ": truncated, " + info->name + " has no payload word");
        commands.push_back(Command{index, static_cast<uint32_t>(4 * i), word, payload ? words[i + 1] : 0, info});
        i += payload ? 2 : 1;
    }
    return commands;
}

// Where the register commands lie in a driver payload, in words.
struct StreamWords {
    size_t start;
    size_t length;
};

// COP1 (Vela's driver_actions.py): driver actions after the fourcc, exactly one CmdStream.
StreamWords FindCop1Stream(const std::vector<uint32_t>& words, uint32_t* config_word, uint32_t* id_word) {
    bool have_stream = false;
    StreamWords found{0, 0};
    size_t i = 1;
    while (i < words.size()) {
        const uint32_t tag = words[i];
        switch (tag & 0xff) {
            case kConfig:
                if (i + 2 >= words.size()) Fail("truncated config action at word " + std::to_string(i));
                *config_word = words[i + 1];
                *id_word = words[i + 2];
                i += 3;
                break;
            case kNop:
            case kReadApb:
            case kDumpShram:
                ++i;
                break;
            case kCmdStream: {
                if (have_stream) Fail("second command stream at word " + std::to_string(i));
                const size_t length = ((tag >> 8) & 0xff) << 16 | (tag >> 16);
                if (length > words.size() - i - 1) {
                    Fail("truncated: declares " + std::to_string(length) + " words at word " + std::to_string(i + 1) +
                         ", " + std::to_string(words.size() - i - 1) + " present");
                }
                found = StreamWords{i + 1, length};
                have_stream = true;
                i += 1 + length;
                break;
            }
            default:
                Fail("unknown driver action " + Hex(tag) + " at word " + std::to_string(i));
        }
    }
    if (!have_stream) Fail("no command stream action");
    return found;
}

// COP2 (Vela's C++ core, --cop-format=COP2, which direct drive implies). Vela documents no
// layout; this accepts exactly what its direct-drive output holds, every length checked: the
// fourcc, version 1, the byte count after this 16-byte header, a reserved word; one section
// <type 1, byte count, metadata byte count>; the metadata ("VEUM", two words, the config word,
// the ID word, ...); then the register commands up to the end.
StreamWords FindCop2Stream(const std::vector<uint32_t>& words, uint32_t* config_word, uint32_t* id_word) {
    constexpr size_t kHeaderWords = 7;
    constexpr size_t kMetadataWords = 5;  // "VEUM", two words, config, ID
    const size_t bytes = 4 * words.size();
    if (words.size() < kHeaderWords) Fail("COP2: " + std::to_string(bytes) + " bytes is shorter than its headers");
    if (words[1] != 1) Fail("COP2: version " + std::to_string(words[1]) + "; known: 1");
    if (words[2] != bytes - 16) {
        Fail("COP2: the header declares " + std::to_string(words[2]) + " bytes after it, " +
             std::to_string(bytes - 16) + " follow");
    }
    if (words[4] != 1 || words[5] != bytes - 24) {
        Fail("COP2: expected one command-stream section (type 1, " + std::to_string(bytes - 24) + " bytes), got type " +
             std::to_string(words[4]) + " of " + std::to_string(words[5]) + " bytes");
    }
    const uint32_t metadata_bytes = words[6];
    if (metadata_bytes % 4 != 0 || metadata_bytes / 4 < kMetadataWords ||
        metadata_bytes / 4 > words.size() - kHeaderWords) {
        Fail("COP2: metadata of " + std::to_string(metadata_bytes) + " bytes does not fit in " +
             std::to_string(bytes - 4 * kHeaderWords) + " bytes or holds no config word");
    }
    const uint32_t* metadata = words.data() + kHeaderWords;
    if (metadata[0] != kVeum) Fail("COP2: metadata starts with " + Hex(metadata[0]) + ", not VEUM");
    *config_word = metadata[3];
    *id_word = metadata[4];
    const size_t start = kHeaderWords + metadata_bytes / 4;
    return StreamWords{start, words.size() - start};
}

CommandStream DecodeDriverPayload(const uint8_t* data, size_t size) {
    if (data == nullptr || size % 4 != 0) Fail("size " + std::to_string(size) + " is not a whole number of words");
    std::vector<uint32_t> words(size / 4);
    for (size_t i = 0; i < words.size(); ++i) {
        const uint8_t* p = data + 4 * i;
        words[i] = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                   (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    if (words.empty() || (words[0] != kCop1 && words[0] != kCop2)) Fail("does not start with COP1 or COP2");
    CommandStream stream;
    const StreamWords found =
        words[0] == kCop1 ? FindCop1Stream(words, &stream.config_word, &stream.id_word)
                          : FindCop2Stream(words, &stream.config_word, &stream.id_word);
    const uint32_t product = regs::config_r::product.Get(stream.config_word);
    if (product > static_cast<uint32_t>(Product::kEthosU85)) {
        Fail("config word " + Hex(stream.config_word) + " names product " + std::to_string(product) +
             "; known: 0 Ethos-U55, 1 Ethos-U65, 2 Ethos-U85");
    }
    stream.product = static_cast<Product>(product);
    stream.commands = DecodeCommands(words.data() + found.start, found.length, stream.product);
    return stream;
}

std::string Disassemble(const std::vector<Command>& commands) {
    std::string text;
    char line[256];
    for (const Command& command : commands) {
        const uint32_t low = command.word & 0xffff;
        if (command.has_payload()) {
            std::snprintf(line, sizeof(line), "0x%06" PRIx32 ": %08" PRIx32 " %04" PRIx32 " %04" PRIx32 " - %-30s %5" PRIu32,
                          command.offset, command.payload, command.param(), low, command.info->name, command.param());
        } else {
            std::snprintf(line, sizeof(line), "0x%06" PRIx32 ": %8s %04" PRIx32 " %04" PRIx32 " - %-30s %5" PRIu32,
                          command.offset, "", command.param(), low, command.info->name, command.param());
        }
        text += line;
        for (size_t f = 0; f < command.info->field_count; ++f) {
            const regs::NamedField& field = command.info->fields[f];
            if (std::strncmp(field.name, "reserved", 8) == 0) continue;
            const uint32_t value = regs::BitField{field.offset, field.width}.Get(command.bits());
            std::snprintf(line, sizeof(line), ", %s = %" PRIu32, field.name, value);
            text += line;
        }
        text += '\n';
    }
    return text;
}

}  // namespace ethos_u
