/*
 * Symbols every linker script in runtime/baremetal defines (corstone300.ld,
 * corstone320.ld, qemu_an547.ld). Only their addresses are meaningful.
 * Usable from C and C++.
 */
#ifndef BAREMETAL_LINKER_SYMBOLS_H_
#define BAREMETAL_LINKER_SYMBOLS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Vector table and the .data load image. */
extern const uint8_t __vectors_start[];
extern const uint8_t __data_load__[];
extern uint8_t __data_start__[], __data_end__[];
extern uint8_t __bss_start__[], __bss_end__[];
extern uint8_t __HeapBase[], __HeapLimit[];
extern uint8_t __StackLimit[], __StackTop[];

/* The model program (read-only, flash-like) and the ExecuTorch arenas. */
extern const uint8_t __model_start[], __model_end[];
extern uint8_t __arena_method_start[], __arena_method_end[];
extern uint8_t __arena_scratch_start[], __arena_scratch_end[];

/* Bounds of the memory region each role lives in (e.g. ITCM, DTCM, DDR). */
extern const uint8_t __code_region_start[], __code_region_end[];
extern uint8_t __data_region_start[], __data_region_end[];
extern uint8_t __stack_region_start[], __stack_region_end[];
extern const uint8_t __model_region_start[], __model_region_end[];
extern uint8_t __method_arena_region_start[], __method_arena_region_end[];
extern uint8_t __scratch_arena_region_start[], __scratch_arena_region_end[];

/* Bytes between two linker symbols. */
static inline size_t baremetal_span(const void *start, const void *end) {
  return (size_t)((uintptr_t)end - (uintptr_t)start);
}

/* 1 when [p, p + size) lies within [start, end). */
static inline int baremetal_in_range(const void *p, size_t size,
                                     const void *start, const void *end) {
  uintptr_t a = (uintptr_t)p, s = (uintptr_t)start, e = (uintptr_t)end;
  return a >= s && a <= e && size <= e - a;
}

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* BAREMETAL_LINKER_SYMBOLS_H_ */
