/*
 * A functional (bit-accurate, not cycle-accurate) model of the Arm Ethos-U55
 * and Ethos-U85 NPUs: it parses the Ethos-U delegate blob that ExecuTorch's Arm backend puts
 * in a .pte (arm_vela.py's block format), decodes and disassembles the
 * register command stream, and executes it on caller-owned memory regions.
 *
 * Plain C so that it can be loaded through ctypes and linked into any runner.
 * Every function returns ETHOSU_OK or an error code; on error `error` (when not
 * NULL) receives one NUL-terminated line naming what was wrong and where.
 * Nothing here aborts, throws or reads outside the buffers it was given.
 */
#ifndef RUNTIME_ETHOS_U_ETHOS_U_MODEL_H_
#define RUNTIME_ETHOS_U_ETHOS_U_MODEL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    ETHOSU_OK = 0,
    ETHOSU_ERROR_BLOB = 1,          /* malformed or truncated delegate blob */
    ETHOSU_ERROR_COMMAND_STREAM = 2, /* malformed stream: header, truncation, unknown opcode */
    ETHOSU_ERROR_MEMORY = 3,        /* an access outside its region */
    ETHOSU_ERROR_UNSUPPORTED = 4,   /* valid but not modelled (yet) */
    ETHOSU_ERROR_ARGUMENT = 5,      /* bad arguments to this API */
};

typedef struct ethosu_blob ethosu_blob;

/* One input or output tensor as the blob describes it. */
typedef struct {
    int32_t shape[6];
    int32_t element_size;
    int32_t offset; /* byte offset in its region */
    int32_t region;
} ethosu_tensor_info;

/* A memory region as the driver hands it to the NPU (base pointer index). */
typedef struct {
    uint8_t* data;
    uint64_t size;
} ethosu_region;

/* Parses a delegate blob. The blob's bytes are copied; free with ethosu_blob_free. */
int ethosu_blob_parse(const uint8_t* data, size_t size, ethosu_blob** blob, char* error, size_t error_size);
void ethosu_blob_free(ethosu_blob* blob);

/* Views into the parsed blob, valid until ethosu_blob_free. */
const uint8_t* ethosu_blob_cmd_data(const ethosu_blob* blob, size_t* size);
const uint8_t* ethosu_blob_weight_data(const ethosu_blob* blob, size_t* size);
uint32_t ethosu_blob_scratch_size(const ethosu_blob* blob);
size_t ethosu_blob_input_count(const ethosu_blob* blob);
size_t ethosu_blob_output_count(const ethosu_blob* blob);
int ethosu_blob_input(const ethosu_blob* blob, size_t index, ethosu_tensor_info* info);
int ethosu_blob_output(const ethosu_blob* blob, size_t index, ethosu_tensor_info* info);

/*
 * Disassembles `cmd_data` (the driver payload: "COP1", config, command stream)
 * into one line per command: "<index> <NAME> <value>" followed by every field
 * of the command from the register table. *text is malloc'ed; free with
 * ethosu_free_text.
 */
int ethosu_disassemble(const uint8_t* cmd_data, size_t size, char** text, char* error, size_t error_size);
void ethosu_free_text(char* text);

/*
 * Executes `cmd_data` with regions[i] as base pointer i (0 = weights,
 * 1 = scratch with inputs and outputs, 2 = fast scratch as ExecuTorch's
 * Ethos-U backend sets them). Regions are read and written in place.
 */
int ethosu_execute(const uint8_t* cmd_data, size_t size, const ethosu_region* regions, size_t region_count,
                   char* error, size_t error_size);

/* Decodes an Ethos-U55 compressed weight stream into int16 weights in stream
 * order. With out == NULL only counts; returns the count in *count. */
int ethosu_decode_weights(const uint8_t* data, size_t size, int16_t* out, size_t capacity, size_t* count,
                          char* error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* RUNTIME_ETHOS_U_ETHOS_U_MODEL_H_ */
