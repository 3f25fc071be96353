/*
 * Deliberate undefined behaviour, built with -fsanitize=undefined and linked
 * with ubsan_minimal.c: the runtime must report the source location and end
 * the run with BAREMETAL_EXIT_UBSAN (103). The first argument picks the
 * check (default "add"): add, mul, shift, div0, oob, align, null, bool, ptr,
 * unreachable.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile int g_int_max = INT_MAX;
static volatile int g_zero;
static volatile int g_shift = 40;
static volatile int g_index = 8;
static volatile uintptr_t g_misaligned_addr;
static volatile uint8_t g_not_a_bool = 5;
static volatile uintptr_t g_high_address = 0xF0000000u;
static volatile uintptr_t g_big_offset = 0x20000000u;

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "add";
  printf("ubsan_test: provoking '%s'\n", mode);
  int sink = 0;
  if (strcmp(mode, "mul") == 0) {
    sink = g_int_max * 2;
  } else if (strcmp(mode, "shift") == 0) {
    // Deliberate undefined behaviour: what UBSan must catch.
    // cppcheck-suppress [integerOverflow, shiftTooManyBits]
    sink = 1 << g_shift;
  } else if (strcmp(mode, "div0") == 0) {
    sink = g_int_max / g_zero;
  } else if (strcmp(mode, "oob") == 0) {
    int array[8] = {0};
    // cppcheck-suppress arrayIndexOutOfBounds ; deliberate, for UBSan
    sink = array[g_index];
  } else if (strcmp(mode, "align") == 0) {
    static uint32_t words[4];
    g_misaligned_addr = (uintptr_t)words + 1u;
    sink = (int)*(volatile uint32_t *)g_misaligned_addr;
  } else if (strcmp(mode, "null") == 0) {
    volatile int *p = (volatile int *)g_misaligned_addr; /* 0 */
    sink = *p;
  } else if (strcmp(mode, "bool") == 0) {
    const bool *b = (const bool *)(uintptr_t)&g_not_a_bool;
    sink = *b ? 1 : 2;
  } else if (strcmp(mode, "ptr") == 0) {
    char *base = (char *)g_high_address;
    char *past = base + g_big_offset; /* wraps around the address space */
    sink = past != NULL;
  } else if (strcmp(mode, "unreachable") == 0) {
    if (g_zero == 0) {
      __builtin_unreachable();
    }
  } else {
    sink = g_int_max + 1;
  }
  printf("ubsan_test: ERROR: no report (result %d)\n", sink);
  return 0; /* a missing report must fail the test: expected status is 103 */
}
