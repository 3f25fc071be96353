/* Cycle counting with DWT CYCCNT or a SysTick fallback: see cycle_counter.h */
#include "cycle_counter.h"

#include <stdio.h>

#include "armv8m_regs.h"

#define SYSTICK_MAX 0x00FFFFFFu

static cycle_counter_source_t s_source = CYCLE_COUNTER_NONE;
static int s_initialised;
static volatile uint32_t s_systick_wraps;

static void spin(uint32_t iterations) {
  for (volatile uint32_t i = 0; i < iterations; ++i) {
  }
}

static int dwt_counts(void) {
  DCB_DEMCR |= DCB_DEMCR_TRCENA;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  if ((DWT_CTRL & DWT_CTRL_NOCYCCNT) != 0) {
    return 0;
  }
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  if ((DWT_CTRL & DWT_CTRL_CYCCNTENA) == 0) {
    return 0; /* RAZ/WI: not implemented (QEMU) */
  }
  uint32_t before = DWT_CYCCNT;
  spin(1000);
  return DWT_CYCCNT != before;
}

static int systick_counts(void) {
  SYST_CSR = 0;
  SYST_RVR = SYSTICK_MAX;
  SYST_CVR = 0; /* any write clears it; reloads on the next tick */
  s_systick_wraps = 0;
  SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  uint32_t first = SYST_CVR;
  /* QEMU clocks SysTick from virtual time: allow it a while to move. */
  for (uint32_t tries = 0; tries < 1000; ++tries) {
    spin(1000);
    if (SYST_CVR != first || s_systick_wraps != 0) {
      return 1;
    }
  }
  SYST_CSR = 0;
  return 0;
}

cycle_counter_source_t cycle_counter_init(void) {
  if (!s_initialised) {
    s_initialised = 1;
    if (dwt_counts()) {
      s_source = CYCLE_COUNTER_DWT;
    } else if (systick_counts()) {
      s_source = CYCLE_COUNTER_SYSTICK;
    } else {
      s_source = CYCLE_COUNTER_NONE;
    }
  }
  return s_source;
}

cycle_counter_source_t cycle_counter_source(void) { return s_source; }

int cycle_counter_available(void) { return s_source != CYCLE_COUNTER_NONE; }

const char *cycle_counter_source_name(cycle_counter_source_t source) {
  switch (source) {
    case CYCLE_COUNTER_DWT:
      return "DWT CYCCNT";
    case CYCLE_COUNTER_SYSTICK:
      return "SysTick";
    case CYCLE_COUNTER_NONE:
    default:
      return "none";
  }
}

static uint32_t systick_read(void) {
  for (;;) {
    uint32_t wraps = s_systick_wraps;
    uint32_t hi = wraps;
    uint32_t val = SYST_CVR;
    if ((SCB_ICSR & SCB_ICSR_PENDSTSET) != 0) {
      /* Wrapped, but the interrupt has not run (masked or pre-empted):
       * re-read so that val is certainly post-wrap, and count the wrap. */
      val = SYST_CVR;
      hi += 1;
    }
    if (wraps == s_systick_wraps) {
      return (hi << 24) | (SYSTICK_MAX - (val & SYSTICK_MAX));
    }
  }
}

uint32_t cycle_counter_read(void) {
  switch (s_source) {
    case CYCLE_COUNTER_DWT:
      return DWT_CYCCNT;
    case CYCLE_COUNTER_SYSTICK:
      return systick_read();
    case CYCLE_COUNTER_NONE:
    default:
      return 0;
  }
}

int cycle_counter_format(char *buf, size_t size, const char *label,
                         uint32_t count) {
  switch (s_source) {
    case CYCLE_COUNTER_DWT:
      return snprintf(buf, size, "%s: %lu cycles (DWT CYCCNT)", label,
                      (unsigned long)count);
    case CYCLE_COUNTER_SYSTICK:
      return snprintf(buf, size,
                      "%s: %lu ticks (SysTick on the processor clock; on QEMU "
                      "emulated time, not executed cycles)",
                      label, (unsigned long)count);
    case CYCLE_COUNTER_NONE:
    default:
      return snprintf(buf, size, "%s: cycle counter unavailable", label);
  }
}

void cycle_counter_report(const char *label, uint32_t count) {
  char line[192];
  (void)cycle_counter_format(line, sizeof line, label, count);
  printf("%s\n", line);
}

void cycle_counter_systick_isr(void) { s_systick_wraps = s_systick_wraps + 1; }

#ifndef BAREMETAL_CYCLE_COUNTER_NO_SYSTICK_HANDLER
void SysTick_Handler(void);
void SysTick_Handler(void) { cycle_counter_systick_isr(); }
#endif
