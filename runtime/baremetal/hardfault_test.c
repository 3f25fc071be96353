/*
 * Deliberately faults, to show that the fault handlers report over
 * semihosting and end the run with BAREMETAL_EXIT_FAULT (101) instead of
 * hanging. The first argument picks the fault (default "hard"):
 *   hard   load from an unmapped address with the configurable fault
 *          handlers disabled                    -> HardFault FORCED, BFAR
 *   bus    load from an unmapped address        -> BusFault PRECISERR
 *   udf    execute a permanently undefined insn -> UsageFault UNDEFINSTR
 *   div0   integer division by zero (DIV_0_TRP) -> UsageFault DIVBYZERO
 *   stack  unbounded recursion past MSPLIM      -> UsageFault STKOF
 *   irq    pend external IRQ 0, which has no handler -> status 102
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Unmapped on QEMU mps3-an547 and the Corstone FVPs. */
#define UNMAPPED_ADDRESS 0x08000000u

static volatile uint32_t g_divisor;
static volatile uint32_t g_depth_limit = UINT32_MAX;

__attribute__((noinline)) static uint32_t recurse(uint32_t depth) {
  volatile uint8_t pad[256];
  pad[depth & 0xFFu] = (uint8_t)depth;
  if (depth < g_depth_limit) {
    return recurse(depth + 1) + pad[0];
  }
  return pad[0];
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "hard";
  printf("hardfault_test: provoking a '%s' fault\n", mode);
  fflush(stdout);
  if (strcmp(mode, "udf") == 0) {
    __asm__ volatile("udf #0x42");
  } else if (strcmp(mode, "div0") == 0) {
    volatile uint32_t x = 42u / g_divisor;
    (void)x;
  } else if (strcmp(mode, "stack") == 0) {
    printf("%lu\n", (unsigned long)recurse(0));
  } else if (strcmp(mode, "irq") == 0) {
    *(volatile uint32_t *)0xE000E100u = 1u; /* NVIC_ISER0: enable IRQ 0 */
    *(volatile uint32_t *)0xE000E200u = 1u; /* NVIC_ISPR0: pend IRQ 0 */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
  } else {
    if (strcmp(mode, "hard") == 0) {
      /* SHCSR: MemManage/BusFault/UsageFault/SecureFault disabled, so the
       * fault escalates to HardFault. */
      *(volatile uint32_t *)0xE000ED24u &= ~(0xFu << 16);
      __asm__ volatile("dsb\n\tisb" ::: "memory");
    }
    volatile uint32_t x = *(volatile uint32_t *)(uintptr_t)UNMAPPED_ADDRESS;
    (void)x;
  }
  printf("hardfault_test: ERROR: no fault happened\n");
  return 0; /* a missing fault must fail the test: the expected status is 101 */
}
