/*
 * Start-up code for Cortex-M55 / Cortex-M85 (ARMv8-M Mainline, ARMv8.1-M)
 * on the Corstone-300/320 FVPs and QEMU's mps3-an547, with newlib + rdimon.
 *
 * Link with -nostartfiles: this file provides the vector table (section
 * .vectors), Reset_Handler, _init/_fini stubs and a heap-bounded _sbrk.
 * Every fault handler reports over semihosting and ends the simulation with
 * BAREMETAL_EXIT_FAULT (an unexpected interrupt with
 * BAREMETAL_EXIT_UNEXPECTED_IRQ) -- no handler ever spins, so a simulator
 * run fails loudly instead of timing out.
 *
 * Compile this file WITHOUT -fsanitize=...: it runs before .data/.bss exist.
 */
#include "startup_armv8m.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "armv8m_regs.h"
#include "linker_symbols.h"
#include "semihosting.h"

#define NO_SANITIZE __attribute__((no_sanitize_undefined))

extern int main(int argc, char **argv);
extern void __libc_init_array(void);
/* librdimon's stdio set-up (its crt0 would call it; we are -nostartfiles). */
extern void initialise_monitor_handles(void) __attribute__((weak));

/* ---- Vector table ------------------------------------------------------ */

void NMI_Handler(void) __attribute__((naked));
void HardFault_Handler(void) __attribute__((naked));
void MemManage_Handler(void) __attribute__((naked));
void BusFault_Handler(void) __attribute__((naked));
void UsageFault_Handler(void) __attribute__((naked));
void SecureFault_Handler(void) __attribute__((naked));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

#define VECTOR_COUNT (16 + BAREMETAL_NUM_IRQS)

__attribute__((section(".vectors"), used))
const baremetal_handler_t __vectors[VECTOR_COUNT] = {
    [0] = (baremetal_handler_t)(uintptr_t)__StackTop, /* initial MSP */
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [7] = SecureFault_Handler,
    [11] = SVC_Handler,
    [12] = Default_Handler, /* DebugMonitor */
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16 ... VECTOR_COUNT - 1] = Default_Handler,
};

/* VTOR needs the table aligned to its size rounded up to a power of two. */
#define RAM_VECTORS_ALIGN \
  (VECTOR_COUNT <= 128 ? 512 : VECTOR_COUNT <= 256 ? 1024 : 2048)
static baremetal_handler_t ram_vectors[VECTOR_COUNT]
    __attribute__((aligned(RAM_VECTORS_ALIGN)));

int baremetal_set_irq_handler(int irqn, baremetal_handler_t handler) {
  if (irqn < 0 || irqn >= BAREMETAL_NUM_IRQS || handler == NULL) {
    return -1;
  }
  if (SCB_VTOR != (uint32_t)(uintptr_t)ram_vectors) {
    const baremetal_handler_t *current =
        (const baremetal_handler_t *)(uintptr_t)SCB_VTOR;
    for (size_t i = 0; i < VECTOR_COUNT; ++i) {
      ram_vectors[i] = current[i];
    }
    __asm__ volatile("dsb" ::: "memory");
    SCB_VTOR = (uint32_t)(uintptr_t)ram_vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
  }
  ram_vectors[16 + irqn] = handler;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  return 0;
}

/* ---- Reset ------------------------------------------------------------- */

/* crtbegin.o (dropped by -nostartfiles) defines these for C++: the handle
 * __cxa_atexit registers static destructors against. */
__attribute__((weak, visibility("hidden"))) void *__dso_handle = &__dso_handle;

void _init(void) __attribute__((weak));
void _init(void) {}
void _fini(void) __attribute__((weak));
void _fini(void) {}

NO_SANITIZE __attribute__((noreturn, used)) void Reset_Handler(void) {
  /* Stack overflow becomes a UsageFault (STKOF) instead of silently
   * corrupting the heap/.bss below the stack. */
  __asm__ volatile("msr msplim, %0" : : "r"(__StackLimit));

  /* FPU and MVE: full access to CP10/CP11. Nothing before this point may
   * use FP/MVE registers. */
  SCB_CPACR |= CPACR_CP10_CP11_FULL;
  __asm__ volatile("dsb\n\tisb" ::: "memory");

  SCB_VTOR = (uint32_t)(uintptr_t)__vectors_start;

  /* .data: copy the load image (skipped when it is linked in place). */
  if ((uintptr_t)__data_load__ != (uintptr_t)__data_start__) {
    const uint32_t *src = (const uint32_t *)(uintptr_t)__data_load__;
    uint32_t *dst = (uint32_t *)(uintptr_t)__data_start__;
    uint32_t *end = (uint32_t *)(uintptr_t)__data_end__;
    while (dst < end) {
      *dst++ = *src++;
    }
  }
  /* .bss: zero. */
  for (uint32_t *p = (uint32_t *)(uintptr_t)__bss_start__;
       p < (uint32_t *)(uintptr_t)__bss_end__; ++p) {
    *p = 0;
  }

  /* Separate MemManage/BusFault/UsageFault/SecureFault handlers (instead of
   * everything escalating to HardFault) and trap integer division by 0. */
  SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18) | (1u << 19);
  SCB_CCR |= (1u << 4); /* DIV_0_TRP */

  /* DWT cycle counter (cycle_counter.c detects whether it really counts). */
  DCB_DEMCR |= DCB_DEMCR_TRCENA;
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  __asm__ volatile("dsb\n\tisb" ::: "memory");

  if (initialise_monitor_handles != NULL) {
    initialise_monitor_handles();
  }
  __libc_init_array();

  int argc = 0;
  char **argv = NULL;
#ifndef BAREMETAL_NO_SEMIHOSTING_ARGS
  argc = semihosting_get_args(&argv);
#endif
  if (argv == NULL) {
    static char *no_args[1] = {NULL};
    argv = no_args;
  }
  exit(main(argc, argv));
}

/* ---- Heap -------------------------------------------------------------- */

/* newlib's malloc grows the heap through _sbrk; librdimon's weak version
 * only checks against the stack pointer, which is meaningless when the heap
 * and the stack live in different memories. This one honours the linker
 * script's [__HeapBase, __HeapLimit). */
void *_sbrk(ptrdiff_t increment);
void *_sbrk(ptrdiff_t increment) {
  static uintptr_t brk;
  if (brk == 0) {
    brk = (uintptr_t)__HeapBase;
  }
  uintptr_t base = (uintptr_t)__HeapBase, limit = (uintptr_t)__HeapLimit;
  uintptr_t prev = brk;
  if (increment >= 0 ? (uintptr_t)increment > limit - brk
                     : (uintptr_t)(-increment) > brk - base) {
    errno = ENOMEM;
    return (void *)-1;
  }
  brk = (uintptr_t)((intptr_t)brk + increment);
  return (void *)prev;
}

/* ---- Faults ------------------------------------------------------------ */

enum fault_kind {
  FAULT_NMI,
  FAULT_HARD,
  FAULT_MEMMANAGE,
  FAULT_BUS,
  FAULT_USAGE,
  FAULT_SECURE,
};

/* The fault reporter runs on its own stack: the fault may be a stack
 * overflow, and MSPLIM is cleared before switching to it. */
uint64_t baremetal_fault_stack[128]; /* 1 KiB, 8-byte aligned */

void baremetal_fault_report(const uint32_t *frame, uint32_t exc_return,
                            uint32_t kind) __attribute__((noreturn, used));

/* r0 = stacked frame (MSP or PSP per EXC_RETURN.SPSEL), r1 = EXC_RETURN,
 * r2 = kind. */
#define FAULT_TRAMPOLINE(name, kind)                                    \
  void name(void) {                                                     \
    __asm__ volatile(                                                   \
        "tst lr, #4\n\t"                                                \
        "ite eq\n\t"                                                    \
        "mrseq r0, msp\n\t"                                             \
        "mrsne r0, psp\n\t"                                             \
        "mov r1, lr\n\t"                                                \
        "movs r2, #" #kind "\n\t"                                       \
        "movs r3, #0\n\t"                                               \
        "msr msplim, r3\n\t"                                            \
        "movw r3, #:lower16:baremetal_fault_stack + 1024\n\t"           \
        "movt r3, #:upper16:baremetal_fault_stack + 1024\n\t"           \
        "mov sp, r3\n\t"                                                \
        "b baremetal_fault_report\n\t");                                \
  }

FAULT_TRAMPOLINE(NMI_Handler, 0)
FAULT_TRAMPOLINE(HardFault_Handler, 1)
FAULT_TRAMPOLINE(MemManage_Handler, 2)
FAULT_TRAMPOLINE(BusFault_Handler, 3)
FAULT_TRAMPOLINE(UsageFault_Handler, 4)
FAULT_TRAMPOLINE(SecureFault_Handler, 5)

/* Tiny formatting helpers: no stdio in fault context. */
typedef struct {
  char buf[160];
  size_t len;
} line_t;

static void line_str(line_t *l, const char *s) {
  while (*s != '\0' && l->len + 1 < sizeof l->buf) {
    l->buf[l->len++] = *s++;
  }
  l->buf[l->len] = '\0';
}

static void line_hex(line_t *l, const char *label, uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[12] = "0x";
  for (int i = 0; i < 8; ++i) {
    tmp[2 + i] = digits[(v >> (28 - 4 * i)) & 0xFu];
  }
  tmp[10] = '\0';
  line_str(l, label);
  line_str(l, tmp);
}

static void line_dec(line_t *l, uint32_t v) {
  char tmp[11];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0 && n < sizeof tmp);
  char out[12];
  for (size_t i = 0; i < n; ++i) {
    out[i] = tmp[n - 1 - i];
  }
  out[n] = '\0';
  line_str(l, out);
}

static void line_flush(line_t *l) {
  line_str(l, "\n");
  semihosting_write0(l->buf);
  l->len = 0;
  l->buf[0] = '\0';
}

static void describe_cfsr(line_t *l, uint32_t cfsr, uint32_t hfsr) {
  static const struct {
    uint32_t bit;
    const char *name;
  } bits[] = {
      {1u << 0, " IACCVIOL"},     {1u << 1, " DACCVIOL"},
      {1u << 3, " MUNSTKERR"},    {1u << 4, " MSTKERR"},
      {1u << 5, " MLSPERR"},      {1u << 7, " MMARVALID"},
      {1u << 8, " IBUSERR"},      {1u << 9, " PRECISERR"},
      {1u << 10, " IMPRECISERR"}, {1u << 11, " UNSTKERR"},
      {1u << 12, " STKERR"},      {1u << 13, " LSPERR"},
      {1u << 15, " BFARVALID"},   {1u << 16, " UNDEFINSTR"},
      {1u << 17, " INVSTATE"},    {1u << 18, " INVPC"},
      {1u << 19, " NOCP"},        {1u << 20, " STKOF"},
      {1u << 24, " UNALIGNED"},   {1u << 25, " DIVBYZERO"},
  };
  line_str(l, "  cause:");
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; ++i) {
    if ((cfsr & bits[i].bit) != 0) {
      line_str(l, bits[i].name);
    }
  }
  if ((hfsr & (1u << 1)) != 0) line_str(l, " VECTTBL");
  if ((hfsr & (1u << 30)) != 0) line_str(l, " FORCED");
  if ((hfsr & (1u << 31)) != 0) line_str(l, " DEBUGEVT");
  line_flush(l);
}

NO_SANITIZE void baremetal_fault_report(const uint32_t *frame,
                                        uint32_t exc_return, uint32_t kind) {
  static const char *const names[] = {"NMI",      "HardFault",  "MemManage",
                                      "BusFault", "UsageFault", "SecureFault"};
  const uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR;
  line_t l = {.len = 0};

  line_str(&l, "\n*** FAULT: ");
  line_str(&l, kind < sizeof names / sizeof names[0] ? names[kind] : "?");
  line_str(&l, " ***");
  line_flush(&l);

  /* The stacked frame is unreliable when stacking itself failed. */
  const uint32_t stacking_errors = (1u << 4) | (1u << 12) | (1u << 20);
  if ((cfsr & stacking_errors) == 0 && ((uintptr_t)frame & 3u) == 0) {
    line_hex(&l, "  PC   ", frame[6]);
    line_hex(&l, "  LR   ", frame[5]);
    line_hex(&l, "  xPSR ", frame[7]);
    line_flush(&l);
    line_hex(&l, "  R0   ", frame[0]);
    line_hex(&l, "  R1   ", frame[1]);
    line_hex(&l, "  R2   ", frame[2]);
    line_hex(&l, "  R3   ", frame[3]);
    line_hex(&l, "  R12  ", frame[4]);
    line_flush(&l);
  } else {
    line_str(&l, "  stacked frame unavailable (fault during stacking)");
    line_flush(&l);
  }
  line_hex(&l, "  CFSR ", cfsr);
  line_hex(&l, "  HFSR ", hfsr);
  line_hex(&l, "  MMFAR ", SCB_MMFAR);
  line_hex(&l, "  BFAR ", SCB_BFAR);
  line_flush(&l);
  line_hex(&l, "  SFSR ", SCB_SFSR);
  line_hex(&l, "  SFAR ", SCB_SFAR);
  line_hex(&l, "  SP   ", (uint32_t)(uintptr_t)frame);
  line_hex(&l, "  EXC_RETURN ", exc_return);
  line_flush(&l);
  describe_cfsr(&l, cfsr, hfsr);
  line_str(&l, "*** exiting with status ");
  line_dec(&l, BAREMETAL_EXIT_FAULT);
  line_str(&l, " ***");
  line_flush(&l);
  semihosting_exit(BAREMETAL_EXIT_FAULT);
}

NO_SANITIZE void Default_Handler(void) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  line_t l = {.len = 0};
  line_str(&l, "\n*** FAULT: unexpected exception ");
  line_dec(&l, ipsr);
  if (ipsr >= 16) {
    line_str(&l, " (IRQ ");
    line_dec(&l, ipsr - 16);
    line_str(&l, ")");
  }
  line_str(&l, " has no handler; exiting with status ");
  line_dec(&l, BAREMETAL_EXIT_UNEXPECTED_IRQ);
  line_str(&l, " ***");
  line_flush(&l);
  semihosting_exit(BAREMETAL_EXIT_UNEXPECTED_IRQ);
}
