/*
 * Bump (arena) allocators that account for their use: current and peak bytes
 * per named arena, and the number of allocations that did not fit. Meant to
 * back ExecuTorch's method and scratch (temp) allocators on bare metal, over
 * the .arena.method / .arena.scratch sections of the linker scripts.
 *
 * Not thread- or interrupt-safe (single-threaded bare metal). C and C++.
 */
#ifndef BAREMETAL_MEMORY_MONITOR_H_
#define BAREMETAL_MEMORY_MONITOR_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_arena {
  const char *name;
  uint8_t *base;
  size_t capacity;
  size_t current;      /* bytes in use, including alignment padding */
  size_t peak;         /* highest `current` seen since init */
  size_t failed;       /* allocations refused because they did not fit */
  size_t allocations;  /* successful allocations since init */
  struct mm_arena *next; /* registry link (mm_report_all) */
} mm_arena_t;

/* Sets up `arena` over base[0..capacity) and registers it for
 * mm_report_all(). `name` must outlive the arena. Re-initialising a
 * registered arena resets its counters without registering it twice. */
void mm_arena_init(mm_arena_t *arena, const char *name, void *base,
                   size_t capacity);

/* Removes the arena from the report registry. */
void mm_arena_unregister(mm_arena_t *arena);

/* Returns `size` bytes aligned to `alignment` (a power of two; 0 means
 * alignof(max_align_t)), or NULL -- counting a failure -- when they do not
 * fit or the alignment is invalid. A zero-byte request returns an aligned
 * pointer into the arena (possibly its end) and counts as an allocation. */
void *mm_arena_alloc(mm_arena_t *arena, size_t size, size_t alignment);

/* Bump allocators free in bulk: */
size_t mm_arena_mark(const mm_arena_t *arena);            /* = current */
void mm_arena_release(mm_arena_t *arena, size_t mark);    /* back to mark */
void mm_arena_reset(mm_arena_t *arena); /* current = 0; peak/failed kept */

size_t mm_arena_available(const mm_arena_t *arena);

/* Formats "arena <name>: peak <bytes> / <capacity> bytes, current <bytes>,
 * failed <n>" (no newline) into buf; returns snprintf's result. */
int mm_arena_format(const mm_arena_t *arena, char *buf, size_t size);

/* Prints the line above (with a newline) to stdout. */
void mm_arena_report(const mm_arena_t *arena);

/* Prints one line per registered arena, in registration order. */
void mm_report_all(void);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* BAREMETAL_MEMORY_MONITOR_H_ */
