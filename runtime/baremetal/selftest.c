/*
 * Self-test of the bare-metal platform layer, for QEMU mps3-an547:
 *
 *   qemu-system-arm -M mps3-an547 -nographic \
 *     -semihosting-config enable=on,target=native \
 *     -kernel selftest.elf [-append "HOST_FILE_PATH"]
 *
 * Prints one PASS/FAIL line per check, then "BAREMETAL SELFTEST PASSED" and
 * exits 0 -- or "BAREMETAL SELFTEST FAILED" and exits 1.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#endif

#include "armv8m_regs.h"
#include "cycle_counter.h"
#include "linker_symbols.h"
#include "memory_monitor.h"
#include "semihosting.h"
#include "startup_armv8m.h"

static int g_checks, g_failures;

static void check(int ok, const char *what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
  }
  printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
}

#define CHECK(cond) check((cond) ? 1 : 0, #cond)
#define CHECK_MSG(cond, msg) check((cond) ? 1 : 0, msg)

/* ---- start-up: .data / .bss / FPU / MVE / vector table ---- */

static volatile uint32_t g_data_word = 0xC0FFEE42u;
static volatile double g_data_double = 2.5;
static volatile uint32_t g_bss_words[64];
static volatile int g_constructor_ran;

/* Static constructors (ExecuTorch registers its kernels from them) run
 * through __libc_init_array and .init_array. */
__attribute__((constructor)) static void selftest_constructor(void) {
  g_constructor_ran = 1;
}

/* A stand-in for the model program, in the read-only .model section. */
__attribute__((section(".model"), aligned(16), used))
const uint8_t selftest_model[64] = {'P', 'T', 'E', '0', 1, 2, 3, 4};

static void test_startup(void) {
  CHECK_MSG(g_data_word == 0xC0FFEE42u && g_data_double == 2.5,
            ".data initialised from its load image");
  int zero = 1;
  for (size_t i = 0; i < sizeof g_bss_words / sizeof g_bss_words[0]; ++i) {
    zero &= g_bss_words[i] == 0;
  }
  CHECK_MSG(zero, ".bss zeroed");
  CHECK_MSG(g_constructor_ran == 1, "static constructors ran (.init_array)");
  CHECK_MSG((SCB_CPACR & CPACR_CP10_CP11_FULL) == CPACR_CP10_CP11_FULL,
            "CPACR grants CP10/CP11 (FPU, MVE)");
  CHECK_MSG(SCB_VTOR == (uint32_t)(uintptr_t)__vectors_start,
            "VTOR points at the vector table");
  uint32_t msplim;
  __asm__ volatile("mrs %0, msplim" : "=r"(msplim));
  CHECK_MSG(msplim == (uint32_t)(uintptr_t)__StackLimit,
            "MSPLIM guards the stack");

  volatile float fa = 1.5f, fb = 2.25f;
  float prod = fa * fb;                    /* 3.375 */
  float root = sqrtf(fa * 6.0f);           /* 3 */
  volatile double da = 1e-3;
  double acc = 0.0;
  for (int i = 0; i < 1000; ++i) {
    acc += da;
  }
  CHECK_MSG(prod == 3.375f && fabsf(root - 3.0f) < 1e-6f &&
                fabs(acc - 1.0) < 1e-9,
            "FPU: single and double precision arithmetic");

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
  int32_t a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40}, c[4];
  vst1q_s32(c, vaddq_s32(vld1q_s32(a), vld1q_s32(b)));
  CHECK_MSG(c[0] == 11 && c[1] == 22 && c[2] == 33 && c[3] == 44,
            "MVE: integer vector add");
#else
  printf("SKIP: MVE not enabled in this build\n");
#endif
}

/* ---- placement: symbols lie in the regions the linker script declares ---- */

/* The vector table may sit at address 0 (ITCM on QEMU's AN547), which C
 * (and -fsanitize=null) treat as the null pointer: load it in assembly. */
static uint32_t read_word(uintptr_t address) {
  uint32_t value;
  __asm__ volatile("ldr %0, [%1]" : "=r"(value) : "r"(address) : "memory");
  return value;
}

static void print_region(const char *what, const void *start,
                         const void *end) {
  printf("  %-14s 0x%08lx..0x%08lx (%lu bytes)\n", what,
         (unsigned long)(uintptr_t)start, (unsigned long)(uintptr_t)end,
         (unsigned long)baremetal_span(start, end));
}

static void test_placement(void) {
  print_region("code region", __code_region_start, __code_region_end);
  print_region("data region", __data_region_start, __data_region_end);
  print_region("stack", __StackLimit, __StackTop);
  print_region("heap", __HeapBase, __HeapLimit);
  print_region(".model", __model_start, __model_end);
  print_region(".arena.method", __arena_method_start, __arena_method_end);
  print_region(".arena.scratch", __arena_scratch_start, __arena_scratch_end);

  CHECK_MSG(baremetal_in_range((const void *)(uintptr_t)&test_placement, 4,
                               __code_region_start, __code_region_end),
            "code lies in the code region");
  uintptr_t vectors = (uintptr_t)__vectors_start;
  CHECK_MSG(read_word(vectors) == (uint32_t)(uintptr_t)__StackTop &&
                read_word(vectors + 4) ==
                    ((uint32_t)(uintptr_t)&Reset_Handler | 1u),
            "vector table: initial SP = __StackTop, reset = Reset_Handler");
  CHECK_MSG(baremetal_in_range((const void *)&g_data_word, 4,
                               __data_region_start, __data_region_end) &&
                baremetal_in_range((const void *)&g_data_word, 4,
                                   __data_start__, __data_end__),
            ".data variable lies in .data, in the data region");
  CHECK_MSG(baremetal_in_range((const void *)g_bss_words, sizeof g_bss_words,
                               __bss_start__, __bss_end__) &&
                baremetal_in_range(__bss_start__,
                                   baremetal_span(__bss_start__, __bss_end__),
                                   __data_region_start, __data_region_end),
            ".bss variable lies in .bss, in the data region");
  CHECK_MSG(baremetal_in_range(selftest_model, sizeof selftest_model,
                               __model_start, __model_end) &&
                baremetal_in_range(__model_start,
                                   baremetal_span(__model_start, __model_end),
                                   __model_region_start, __model_region_end),
            ".model symbol lies in .model, in the model region");
  CHECK_MSG(selftest_model[0] == 'P' && selftest_model[3] == '0' &&
                selftest_model[7] == 4,
            ".model contents loaded");
  CHECK_MSG(baremetal_span(__arena_method_start, __arena_method_end) > 0 &&
                baremetal_in_range(
                    __arena_method_start,
                    baremetal_span(__arena_method_start, __arena_method_end),
                    __method_arena_region_start, __method_arena_region_end),
            ".arena.method lies in its region");
  CHECK_MSG(baremetal_span(__arena_scratch_start, __arena_scratch_end) > 0 &&
                baremetal_in_range(
                    __arena_scratch_start,
                    baremetal_span(__arena_scratch_start, __arena_scratch_end),
                    __scratch_arena_region_start, __scratch_arena_region_end),
            ".arena.scratch lies in its region");
  CHECK_MSG((uintptr_t)__arena_method_start >= (uintptr_t)__model_end ||
                (uintptr_t)__arena_method_end <= (uintptr_t)__model_start,
            ".arena.method does not overlap .model");
  volatile uint8_t probe = 0;
  CHECK_MSG(baremetal_in_range((const void *)&probe, 1, __StackLimit,
                               __StackTop) &&
                baremetal_in_range(__StackLimit,
                                   baremetal_span(__StackLimit, __StackTop),
                                   __stack_region_start, __stack_region_end),
            "stack pointer lies in the stack, in the stack region");
  void *heap_block = malloc(1024);
  CHECK_MSG(heap_block != NULL &&
                baremetal_in_range(heap_block, 1024, __HeapBase, __HeapLimit),
            "malloc returns heap memory");
  free(heap_block);
  size_t heap_size = baremetal_span(__HeapBase, __HeapLimit);
  void *too_big = malloc(heap_size + 1);
  CHECK_MSG(too_big == NULL, "malloc beyond HEAP_SIZE fails cleanly");
  free(too_big);

  /* The arenas are writable end to end. */
  volatile uint8_t *m0 = __arena_method_start;
  volatile uint8_t *m1 = (volatile uint8_t *)((uintptr_t)__arena_method_end - 1);
  volatile uint8_t *s0 = __arena_scratch_start;
  volatile uint8_t *s1 =
      (volatile uint8_t *)((uintptr_t)__arena_scratch_end - 1);
  *m0 = 0x5A;
  *m1 = 0xA5;
  *s0 = 0x5A;
  *s1 = 0xA5;
  CHECK_MSG(*m0 == 0x5A && *m1 == 0xA5 && *s0 == 0x5A && *s1 == 0xA5,
            "arenas are writable at both ends");
}

/* ---- memory monitor ---- */

static void test_memory_monitor(void) {
  static mm_arena_t method, scratch;
  mm_arena_init(&method, "method", __arena_method_start,
                baremetal_span(__arena_method_start, __arena_method_end));
  mm_arena_init(&scratch, "scratch", __arena_scratch_start, 1000);

  void *a = mm_arena_alloc(&scratch, 100, 16);
  void *b = mm_arena_alloc(&scratch, 50, 64);
  CHECK_MSG(a != NULL && b != NULL && ((uintptr_t)a & 15u) == 0 &&
                ((uintptr_t)b & 63u) == 0,
            "memory monitor: aligned allocations");
  /* 100 bytes, padding to 128, 50 bytes: current 178. */
  CHECK_MSG(scratch.current == 178 && scratch.peak == 178,
            "memory monitor: current/peak include alignment padding");
  size_t mark = mm_arena_mark(&scratch);
  void *c = mm_arena_alloc(&scratch, 800, 8);
  CHECK_MSG(c != NULL && scratch.current == 984 && scratch.peak == 984,
            "memory monitor: peak follows current");
  mm_arena_release(&scratch, mark);
  CHECK_MSG(scratch.current == 178 && scratch.peak == 984,
            "memory monitor: release lowers current, keeps peak");
  void *d = mm_arena_alloc(&scratch, 900, 4);
  void *e = mm_arena_alloc(&scratch, 16, 3); /* not a power of two */
  CHECK_MSG(d == NULL && e == NULL && scratch.failed == 2 &&
                scratch.current == 178,
            "memory monitor: refused allocations return NULL and count");
  void *f = mm_arena_alloc(&scratch, (size_t)-1, 1);
  CHECK_MSG(f == NULL && scratch.failed == 3,
            "memory monitor: SIZE_MAX request does not wrap");
  void *g = mm_arena_alloc(&method, 3u << 20, 32);
  CHECK_MSG(g != NULL && g == (void *)__arena_method_start,
            "memory monitor: 3 MiB from the method arena");
  mm_arena_reset(&scratch);
  char line[160];
  mm_arena_format(&scratch, line, sizeof line);
  CHECK_MSG(strcmp(line, "arena scratch: peak 984 / 1000 bytes, current 0, "
                         "failed 3") == 0,
            "memory monitor: report line format");
  mm_report_all();
}

/* ---- cycle counter ---- */

static void test_cycle_counter(void) {
  CHECK_MSG(cycle_counter_elapsed(0xFFFFFFF0u, 0x00000010u) == 0x20u,
            "cycle counter: elapsed() handles wraparound");
  cycle_counter_source_t source = cycle_counter_init();
  printf("  cycle counter source: %s\n", cycle_counter_source_name(source));
  if (!cycle_counter_available()) {
    char line[96];
    cycle_counter_format(line, sizeof line, "busy loop", 0);
    printf("  %s\n", line);
    CHECK_MSG(strstr(line, "unavailable") != NULL,
              "cycle counter: reported unavailable, not as 0 cycles");
    return;
  }
  int monotonic = 1;
  uint32_t prev = cycle_counter_read();
  uint32_t start = prev;
  for (int i = 0; i < 2000; ++i) {
    for (volatile int j = 0; j < 200; ++j) {
    }
    uint32_t now = cycle_counter_read();
    /* A forward step is below 2^31 in modular arithmetic. */
    monotonic &= cycle_counter_elapsed(prev, now) < 0x80000000u;
    prev = now;
  }
  uint32_t elapsed = cycle_counter_elapsed(start, prev);
  cycle_counter_report("  busy loop", elapsed);
  CHECK_MSG(monotonic && elapsed > 0,
            "cycle counter: monotonic and advancing");

  /* Run past 2^24 counts: the SysTick fallback must carry its 24-bit
   * wraparound into the upper bits (the DWT simply keeps counting). */
  monotonic = 1;
  start = prev = cycle_counter_read();
  uint32_t far = 0;
  for (uint32_t reads = 0; reads < 50000000u && far <= 0x01800000u; ++reads) {
    uint32_t now = cycle_counter_read();
    monotonic &= cycle_counter_elapsed(prev, now) < 0x80000000u;
    prev = now;
    far = cycle_counter_elapsed(start, now);
  }
  cycle_counter_report("  long loop", far);
  CHECK_MSG(monotonic && far > 0x01800000u,
            "cycle counter: monotonic across 2^24 (SysTick wraps)");
}

/* ---- semihosting ---- */

static void test_semihosting(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "baremetal_selftest.tmp";
  printf("  command line: argc=%d argv[0]=%s, test file: %s\n", argc,
         argc > 0 ? argv[0] : "(none)", path);
  CHECK_MSG(argc >= 1, "semihosting: SYS_GET_CMDLINE gives a command line");

  static uint8_t out[3000], in[3000];
  for (size_t i = 0; i < sizeof out; ++i) {
    out[i] = (uint8_t)(i * 7u + 3u);
  }
  long written = semihosting_write_file(path, out, sizeof out);
  CHECK_MSG(written == (long)sizeof out, "semihosting: write a host file");
  CHECK_MSG(semihosting_file_size(path) == (long)sizeof out,
            "semihosting: file size");
  size_t needed = 0;
  long got = semihosting_read_file(path, in, sizeof in, &needed);
  CHECK_MSG(got == (long)sizeof out && memcmp(in, out, sizeof out) == 0,
            "semihosting: read it back identical");
  got = semihosting_read_file(path, in, 100, &needed);
  CHECK_MSG(got == SEMIHOSTING_ERR_TOO_SMALL && needed == sizeof out,
            "semihosting: buffer too small is an error, reports size");
  CHECK_MSG(semihosting_remove(path) == 0, "semihosting: remove the file");
  got = semihosting_read_file(path, in, sizeof in, NULL);
  CHECK_MSG(got == SEMIHOSTING_ERR_OPEN, "semihosting: missing file is an error");

  /* stdio through librdimon still works next to the raw calls. */
  FILE *fp = fopen(path, "wb");
  int ok = fp != NULL && fwrite("rdimon", 1, 6, fp) == 6;
  ok = fp != NULL && fclose(fp) == 0 && ok;
  got = semihosting_read_file(path, in, sizeof in, NULL);
  CHECK_MSG(ok && got == 6 && memcmp(in, "rdimon", 6) == 0,
            "semihosting: newlib fopen/fwrite interoperate");
  (void)semihosting_remove(path);

  char split_src[] = "prog  a 'b c' \"d\"";
  char *args[8];
  int n = semihosting_split_args(split_src, args, 8);
  CHECK_MSG(n == 4 && strcmp(args[0], "prog") == 0 &&
                strcmp(args[2], "b c") == 0 && strcmp(args[3], "d") == 0 &&
                args[4] == NULL,
            "semihosting: argument splitting with quotes");
}

int main(int argc, char **argv) {
  printf("baremetal selftest (ARMv8-M Mainline, FPU %s, MVE %s)\n",
#if defined(__ARM_FP) && (__ARM_FP & 8)
         "sp+dp",
#elif defined(__ARM_FP)
         "sp",
#else
         "none",
#endif
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
         "int+float"
#elif defined(__ARM_FEATURE_MVE)
         "int"
#else
         "none"
#endif
  );
  test_startup();
  test_placement();
  test_memory_monitor();
  test_cycle_counter();
  test_semihosting(argc, argv);

  if (g_failures == 0) {
    printf("BAREMETAL SELFTEST PASSED (%d checks)\n", g_checks);
    return 0;
  }
  printf("BAREMETAL SELFTEST FAILED (%d of %d checks)\n", g_failures,
         g_checks);
  return 1;
}
