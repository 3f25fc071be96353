/*
 * Cycle counting for Cortex-M55/M85: the DWT cycle counter (CYCCNT) when it
 * really counts, else SysTick (24-bit, extended to 32 bits by its interrupt),
 * else nothing -- reported as "cycle counter unavailable", never as 0 cycles.
 *
 * QEMU does not implement the DWT (its registers read as zero), so there the
 * SysTick fallback is used; QEMU clocks SysTick from its virtual clock, so the
 * numbers are emulated-time ticks at the board's CPU frequency, not executed
 * cycles. On the Corstone FVPs the DWT counts (FVP cycle counts are
 * approximate; use the FVP's own statistics for performance claims).
 *
 * Intervals up to 2^32 - 1 counts are measured correctly across a counter
 * wraparound. C and C++.
 */
#ifndef BAREMETAL_CYCLE_COUNTER_H_
#define BAREMETAL_CYCLE_COUNTER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  CYCLE_COUNTER_NONE = 0,    /* nothing counts: measurements unavailable */
  CYCLE_COUNTER_DWT = 1,     /* DWT CYCCNT: core clock cycles */
  CYCLE_COUNTER_SYSTICK = 2, /* SysTick on the processor clock */
} cycle_counter_source_t;

/* Detects and starts a counter (DWT first, then SysTick). Idempotent;
 * returns the source in use. The SysTick fallback enables the SysTick
 * interrupt (this file defines SysTick_Handler unless compiled with
 * -DBAREMETAL_CYCLE_COUNTER_NO_SYSTICK_HANDLER, in which case call
 * cycle_counter_systick_isr() from your own handler). */
cycle_counter_source_t cycle_counter_init(void);

cycle_counter_source_t cycle_counter_source(void);
int cycle_counter_available(void);
const char *cycle_counter_source_name(cycle_counter_source_t source);

/* Free-running 32-bit count (modulo 2^32); 0 when unavailable. */
uint32_t cycle_counter_read(void);

/* Counts from `start` to `end`, correct across one wraparound. */
static inline uint32_t cycle_counter_elapsed(uint32_t start, uint32_t end) {
  return end - start; /* unsigned arithmetic is modulo 2^32 */
}

/* "<label>: <n> cycles (DWT CYCCNT)", "<label>: <n> ticks (SysTick, ...)" or
 * "<label>: cycle counter unavailable". Returns snprintf's result. */
int cycle_counter_format(char *buf, size_t size, const char *label,
                         uint32_t count);
void cycle_counter_report(const char *label, uint32_t count); /* stdout */

void cycle_counter_systick_isr(void);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* BAREMETAL_CYCLE_COUNTER_H_ */
