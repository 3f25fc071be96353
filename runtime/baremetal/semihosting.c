/* Arm semihosting helpers: see semihosting.h. */
#include "semihosting.h"

#include <limits.h>
#include <string.h>

/* ADP stop reasons (semihosting spec, SYS_EXIT). */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u

/* SYS_OPEN modes (ISO C fopen mode index). */
#define SH_MODE_RB 1u
#define SH_MODE_WB 5u

uintptr_t semihosting_call(uint32_t op, uintptr_t arg) {
  register uintptr_t r0 __asm__("r0") = op;
  register uintptr_t r1 __asm__("r1") = arg;
  /* BKPT 0xAB is the M-profile semihosting trap; the host reads/writes the
   * parameter block, hence the memory clobber. */
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semihosting_write0(const char *s) {
  if (s != NULL) {
    (void)semihosting_call(SEMIHOSTING_SYS_WRITE0, (uintptr_t)s);
  }
}

static long sh_open(const char *path, uint32_t mode) {
  uintptr_t block[3];
  block[0] = (uintptr_t)path;
  block[1] = mode;
  block[2] = strlen(path);
  uintptr_t handle = semihosting_call(SEMIHOSTING_SYS_OPEN, (uintptr_t)block);
  return handle == (uintptr_t)-1 ? -1 : (long)handle;
}

static void sh_close(long handle) {
  uintptr_t block[1] = {(uintptr_t)handle};
  (void)semihosting_call(SEMIHOSTING_SYS_CLOSE, (uintptr_t)block);
}

static long sh_flen(long handle) {
  uintptr_t block[1] = {(uintptr_t)handle};
  uintptr_t len = semihosting_call(SEMIHOSTING_SYS_FLEN, (uintptr_t)block);
  if (len > (uintptr_t)LONG_MAX) {
    return -1; /* includes the host's -1 error return */
  }
  return (long)len;
}

long semihosting_file_size(const char *path) {
  if (path == NULL) {
    return SEMIHOSTING_ERR_ARG;
  }
  long h = sh_open(path, SH_MODE_RB);
  if (h < 0) {
    return SEMIHOSTING_ERR_OPEN;
  }
  long len = sh_flen(h);
  sh_close(h);
  return len < 0 ? SEMIHOSTING_ERR_IO : len;
}

long semihosting_read_file(const char *path, void *buf, size_t capacity,
                           size_t *needed) {
  if (path == NULL || (buf == NULL && capacity != 0)) {
    return SEMIHOSTING_ERR_ARG;
  }
  long h = sh_open(path, SH_MODE_RB);
  if (h < 0) {
    return SEMIHOSTING_ERR_OPEN;
  }
  long len = sh_flen(h);
  if (len < 0) {
    sh_close(h);
    return SEMIHOSTING_ERR_IO;
  }
  if (needed != NULL) {
    *needed = (size_t)len;
  }
  if ((size_t)len > capacity) {
    sh_close(h);
    return SEMIHOSTING_ERR_TOO_SMALL;
  }
  uint8_t *dst = (uint8_t *)buf;
  size_t remaining = (size_t)len;
  while (remaining > 0) {
    uintptr_t block[3] = {(uintptr_t)h, (uintptr_t)dst, remaining};
    /* SYS_READ returns the number of bytes NOT read. */
    uintptr_t not_read = semihosting_call(SEMIHOSTING_SYS_READ,
                                          (uintptr_t)block);
    if (not_read >= remaining) {
      sh_close(h);
      return SEMIHOSTING_ERR_IO; /* no progress: EOF or error */
    }
    size_t got = remaining - not_read;
    dst += got;
    remaining -= got;
  }
  sh_close(h);
  return len;
}

long semihosting_write_file(const char *path, const void *buf, size_t size) {
  if (path == NULL || (buf == NULL && size != 0) || size > (size_t)LONG_MAX) {
    return SEMIHOSTING_ERR_ARG;
  }
  long h = sh_open(path, SH_MODE_WB);
  if (h < 0) {
    return SEMIHOSTING_ERR_OPEN;
  }
  const uint8_t *src = (const uint8_t *)buf;
  size_t remaining = size;
  while (remaining > 0) {
    uintptr_t block[3] = {(uintptr_t)h, (uintptr_t)src, remaining};
    /* SYS_WRITE returns the number of bytes NOT written. */
    uintptr_t not_written = semihosting_call(SEMIHOSTING_SYS_WRITE,
                                             (uintptr_t)block);
    if (not_written >= remaining) {
      sh_close(h);
      return SEMIHOSTING_ERR_IO;
    }
    size_t put = remaining - not_written;
    src += put;
    remaining -= put;
  }
  sh_close(h);
  return (long)size;
}

int semihosting_remove(const char *path) {
  if (path == NULL) {
    return SEMIHOSTING_ERR_ARG;
  }
  uintptr_t block[2] = {(uintptr_t)path, strlen(path)};
  return semihosting_call(SEMIHOSTING_SYS_REMOVE, (uintptr_t)block) == 0
             ? 0
             : SEMIHOSTING_ERR_IO;
}

long semihosting_get_cmdline(char *buf, size_t capacity) {
  if (buf == NULL || capacity < 2 || capacity > (size_t)LONG_MAX) {
    return SEMIHOSTING_ERR_ARG;
  }
  /* The host writes at most len bytes including the terminating NUL and
   * updates len to the length without it. */
  uintptr_t block[2] = {(uintptr_t)buf, capacity};
  buf[0] = '\0';
  if (semihosting_call(SEMIHOSTING_SYS_GET_CMDLINE, (uintptr_t)block) != 0) {
    buf[0] = '\0';
    return SEMIHOSTING_ERR_IO;
  }
  size_t len = block[1] < capacity ? block[1] : capacity - 1;
  buf[len] = '\0';
  return (long)len;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

int semihosting_split_args(char *cmdline, char **argv, int max_args) {
  int argc = 0;
  char *src = cmdline;
  while (src != NULL && *src != '\0' && argc < max_args) {
    while (is_blank(*src)) {
      ++src;
    }
    if (*src == '\0') {
      break;
    }
    char *dst = src;
    argv[argc++] = dst;
    char quote = '\0';
    while (*src != '\0' && (quote != '\0' || !is_blank(*src))) {
      if (quote == '\0' && (*src == '"' || *src == '\'')) {
        quote = *src++;
      } else if (quote != '\0' && *src == quote) {
        quote = '\0';
        ++src;
      } else {
        *dst++ = *src++;
      }
    }
    if (*src != '\0') {
      ++src; /* skip the separator before terminating the argument */
    }
    *dst = '\0';
  }
  if (argc < max_args) {
    argv[argc] = NULL;
  }
  return argc;
}

#ifndef SEMIHOSTING_CMDLINE_MAX
#define SEMIHOSTING_CMDLINE_MAX 1024
#endif
#ifndef SEMIHOSTING_ARGS_MAX
#define SEMIHOSTING_ARGS_MAX 32
#endif

int semihosting_get_args(char ***argv_out) {
  static char cmdline[SEMIHOSTING_CMDLINE_MAX];
  static char *argv[SEMIHOSTING_ARGS_MAX + 1];
  int argc = 0;
  if (semihosting_get_cmdline(cmdline, sizeof cmdline) >= 0) {
    argc = semihosting_split_args(cmdline, argv, SEMIHOSTING_ARGS_MAX);
  }
  argv[argc] = NULL;
  if (argv_out != NULL) {
    *argv_out = argv;
  }
  return argc;
}

void semihosting_exit(int status) {
  /* SYS_EXIT_EXTENDED carries the status on AArch32; plain SYS_EXIT only
   * carries a reason there. */
  uintptr_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};
  (void)semihosting_call(SEMIHOSTING_SYS_EXIT_EXTENDED, (uintptr_t)block);
  /* Host without the extension: keep at least success vs. failure. */
  (void)semihosting_call(SEMIHOSTING_SYS_EXIT,
                         status == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                     : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
  for (;;) {
    /* No semihosting host at all: park the core. */
    __asm__ volatile("wfi");
  }
}
