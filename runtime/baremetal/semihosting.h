/*
 * Arm semihosting helpers for bare-metal Cortex-M (ARMv8-M / ARMv8.1-M).
 *
 * Every helper issues the semihosting call directly (BKPT 0xAB on M-profile),
 * so it works with or without newlib's librdimon, does not touch the heap and
 * is safe to call from a fault handler. printf/fopen keep working through
 * librdimon (--specs=rdimon.specs) alongside these helpers: host file handles
 * are independent.
 *
 * Usable from C and C++.
 */
#ifndef BAREMETAL_SEMIHOSTING_H_
#define BAREMETAL_SEMIHOSTING_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Semihosting operation numbers (Arm semihosting specification v2/v3). */
enum {
  SEMIHOSTING_SYS_OPEN = 0x01,
  SEMIHOSTING_SYS_CLOSE = 0x02,
  SEMIHOSTING_SYS_WRITE0 = 0x04,
  SEMIHOSTING_SYS_WRITE = 0x05,
  SEMIHOSTING_SYS_READ = 0x06,
  SEMIHOSTING_SYS_FLEN = 0x0C,
  SEMIHOSTING_SYS_REMOVE = 0x0E,
  SEMIHOSTING_SYS_GET_CMDLINE = 0x15,
  SEMIHOSTING_SYS_EXIT = 0x18,
  SEMIHOSTING_SYS_EXIT_EXTENDED = 0x20,
};

/* Error codes returned (negated sizes) by the helpers below. */
enum {
  SEMIHOSTING_ERR_OPEN = -1,      /* the host could not open the file */
  SEMIHOSTING_ERR_TOO_SMALL = -2, /* the file is larger than the buffer */
  SEMIHOSTING_ERR_IO = -3,        /* a read/write/length query failed */
  SEMIHOSTING_ERR_ARG = -4,       /* NULL path/buffer or a size over LONG_MAX */
};

/*
 * Process exit statuses used by the platform layer itself. They are chosen
 * outside 0..10, the range the executor_runner uses for its own outcomes
 * (runtime/executor_runner/runner_lib.h), so a platform failure is never
 * mistaken for e.g. the runner's "I/O error" (3).
 */
enum {
  BAREMETAL_EXIT_FAULT = 101,           /* HardFault/MemManage/BusFault/... */
  BAREMETAL_EXIT_UNEXPECTED_IRQ = 102,  /* an exception with no handler */
  BAREMETAL_EXIT_UBSAN = 103,           /* undefined behaviour detected */
};

/* Raw semihosting call: op in r0, arg (a pointer to a parameter block, or a
 * value) in r1; returns r0. */
uintptr_t semihosting_call(uint32_t op, uintptr_t arg);

/* Writes a NUL-terminated string to the host's debug console (SYS_WRITE0).
 * Unbuffered, bypasses stdio: use it from fault handlers. */
void semihosting_write0(const char *s);

/* Size in bytes of a host file, or SEMIHOSTING_ERR_OPEN / _IO. */
long semihosting_file_size(const char *path);

/*
 * Reads the whole host file `path` into buf[0..capacity). Returns the file
 * size (>= 0) on success; SEMIHOSTING_ERR_OPEN when it cannot be opened
 * (e.g. it does not exist), SEMIHOSTING_ERR_TOO_SMALL when it is larger than
 * `capacity` (nothing is read; *needed, when not NULL, receives the file size
 * whenever it is known), SEMIHOSTING_ERR_IO on a short read.
 */
long semihosting_read_file(const char *path, void *buf, size_t capacity,
                           size_t *needed);

/* Creates/truncates the host file `path` and writes buf[0..size) to it
 * (binary). Returns `size` on success, or SEMIHOSTING_ERR_OPEN / _IO. */
long semihosting_write_file(const char *path, const void *buf, size_t size);

/* Deletes a host file. Returns 0 on success, SEMIHOSTING_ERR_IO otherwise. */
int semihosting_remove(const char *path);

/*
 * Copies the command line the host passes (SYS_GET_CMDLINE) into buf,
 * NUL-terminated. Returns its length (>= 0) or SEMIHOSTING_ERR_IO when the
 * host has none or it does not fit. On QEMU the command line is the kernel
 * file name followed by `-append` (or the `-semihosting-config arg=...`
 * values); on an Arm FVP it is the `cpu0.semihosting-cmd_line` parameter.
 */
long semihosting_get_cmdline(char *buf, size_t capacity);

/*
 * Splits `cmdline` in place into at most `max_args` arguments (separated by
 * blanks; "double" and 'single' quotes group). argv[argc] is set to NULL when
 * there is room. Returns argc.
 */
int semihosting_split_args(char *cmdline, char **argv, int max_args);

/*
 * Fetches and splits the command line into a static buffer: argv[0] is the
 * program name the host passes. Returns argc (0 when the host gives none).
 */
int semihosting_get_args(char ***argv_out);

/*
 * Ends the simulation with `status` as the host process' exit status
 * (SYS_EXIT_EXTENDED, falling back to SYS_EXIT with a success/failure reason
 * on hosts without the extension). Does not flush stdio or run atexit
 * handlers: normal code calls exit(), which newlib's rdimon routes here.
 */
__attribute__((noreturn)) void semihosting_exit(int status);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* BAREMETAL_SEMIHOSTING_H_ */
