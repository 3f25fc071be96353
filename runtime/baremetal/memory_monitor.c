/* Accounting bump allocators: see memory_monitor.h. */
#include "memory_monitor.h"

#include <stdalign.h>
#include <stdio.h>

static mm_arena_t *registry_head;

static int is_registered(const mm_arena_t *arena) {
  for (const mm_arena_t *a = registry_head; a != NULL; a = a->next) {
    if (a == arena) {
      return 1;
    }
  }
  return 0;
}

void mm_arena_init(mm_arena_t *arena, const char *name, void *base,
                   size_t capacity) {
  int registered = is_registered(arena);
  mm_arena_t *next = registered ? arena->next : NULL;
  arena->name = name != NULL ? name : "(unnamed)";
  arena->base = (uint8_t *)base;
  arena->capacity = base != NULL ? capacity : 0;
  arena->current = 0;
  arena->peak = 0;
  arena->failed = 0;
  arena->allocations = 0;
  arena->next = next;
  if (!registered) {
    /* Append, so reports follow registration order. */
    mm_arena_t **link = &registry_head;
    while (*link != NULL) {
      link = &(*link)->next;
    }
    *link = arena;
  }
}

void mm_arena_unregister(mm_arena_t *arena) {
  for (mm_arena_t **link = &registry_head; *link != NULL;
       link = &(*link)->next) {
    if (*link == arena) {
      *link = arena->next;
      arena->next = NULL;
      return;
    }
  }
}

void *mm_arena_alloc(mm_arena_t *arena, size_t size, size_t alignment) {
  if (alignment == 0) {
    alignment = alignof(max_align_t);
  }
  if ((alignment & (alignment - 1)) != 0) {
    arena->failed++;
    return NULL;
  }
  /* Align the address, not the offset: the base may be unaligned. */
  uintptr_t start = (uintptr_t)arena->base + arena->current;
  uintptr_t aligned = (start + (alignment - 1)) & ~(uintptr_t)(alignment - 1);
  size_t padding = (size_t)(aligned - start);
  size_t available = arena->capacity - arena->current;
  if (aligned < start || padding > available || size > available - padding) {
    arena->failed++;
    return NULL;
  }
  arena->current += padding + size;
  if (arena->current > arena->peak) {
    arena->peak = arena->current;
  }
  arena->allocations++;
  return (void *)aligned;
}

size_t mm_arena_mark(const mm_arena_t *arena) { return arena->current; }

void mm_arena_release(mm_arena_t *arena, size_t mark) {
  if (mark < arena->current) {
    arena->current = mark;
  }
}

void mm_arena_reset(mm_arena_t *arena) { arena->current = 0; }

size_t mm_arena_available(const mm_arena_t *arena) {
  return arena->capacity - arena->current;
}

#define MM_FORMAT "arena %s: peak %lu / %lu bytes, current %lu, failed %lu"
#define MM_ARGS(a)                                                    \
  (a)->name, (unsigned long)(a)->peak, (unsigned long)(a)->capacity, \
      (unsigned long)(a)->current, (unsigned long)(a)->failed

int mm_arena_format(const mm_arena_t *arena, char *buf, size_t size) {
  return snprintf(buf, size, MM_FORMAT, MM_ARGS(arena));
}

void mm_arena_report(const mm_arena_t *arena) {
  printf(MM_FORMAT "\n", MM_ARGS(arena));
}

void mm_report_all(void) {
  for (const mm_arena_t *a = registry_head; a != NULL; a = a->next) {
    mm_arena_report(a);
  }
}
