/* System control registers of ARMv8-M / ARMv8.1-M (Cortex-M55/M85) used by
 * the platform layer. Addresses are the architectural ones (the current
 * security state's view). */
#ifndef BAREMETAL_ARMV8M_REGS_H_
#define BAREMETAL_ARMV8M_REGS_H_

#include <stdint.h>

#define BAREMETAL_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block */
#define SCB_ICSR BAREMETAL_REG32(0xE000ED04u)
#define SCB_VTOR BAREMETAL_REG32(0xE000ED08u)
#define SCB_CCR BAREMETAL_REG32(0xE000ED14u)
#define SCB_SHCSR BAREMETAL_REG32(0xE000ED24u)
#define SCB_CFSR BAREMETAL_REG32(0xE000ED28u)
#define SCB_HFSR BAREMETAL_REG32(0xE000ED2Cu)
#define SCB_MMFAR BAREMETAL_REG32(0xE000ED34u)
#define SCB_BFAR BAREMETAL_REG32(0xE000ED38u)
#define SCB_CPACR BAREMETAL_REG32(0xE000ED88u)
#define SCB_SFSR BAREMETAL_REG32(0xE000EDE4u)
#define SCB_SFAR BAREMETAL_REG32(0xE000EDE8u)
#define SCB_ICSR_PENDSTSET (1u << 26)

/* Debug: DEMCR.TRCENA gates the DWT. */
#define DCB_DEMCR BAREMETAL_REG32(0xE000EDFCu)
#define DCB_DEMCR_TRCENA (1u << 24)

/* Data Watchpoint and Trace unit */
#define DWT_CTRL BAREMETAL_REG32(0xE0001000u)
#define DWT_CYCCNT BAREMETAL_REG32(0xE0001004u)
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_CTRL_NOCYCCNT (1u << 25)

/* SysTick */
#define SYST_CSR BAREMETAL_REG32(0xE000E010u)
#define SYST_RVR BAREMETAL_REG32(0xE000E014u)
#define SYST_CVR BAREMETAL_REG32(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)
#define SYST_CSR_COUNTFLAG (1u << 16)

/* CPACR: CP10/CP11 full access enables the FPU and, on ARMv8.1-M, MVE. */
#define CPACR_CP10_CP11_FULL (0xFu << 20)

#endif  /* BAREMETAL_ARMV8M_REGS_H_ */
