/* Start-up code for Cortex-M55/M85 (ARMv8-M Mainline / ARMv8.1-M): see
 * startup_armv8m.c. Usable from C and C++. */
#ifndef BAREMETAL_STARTUP_ARMV8M_H_
#define BAREMETAL_STARTUP_ARMV8M_H_

#ifdef __cplusplus
extern "C" {
#endif

/* External interrupts in the vector table (ARMv8-M allows up to 480). */
#ifndef BAREMETAL_NUM_IRQS
#define BAREMETAL_NUM_IRQS 480
#endif

typedef void (*baremetal_handler_t)(void);

/*
 * Installs `handler` for external interrupt `irqn` (0-based, as the NVIC
 * numbers them). The first call copies the vector table into RAM and points
 * VTOR at the copy. Returns 0, or -1 when irqn is out of range. Enabling the
 * interrupt in the NVIC is the caller's business.
 */
int baremetal_set_irq_handler(int irqn, baremetal_handler_t handler);

/* Exception handlers (weak where an application may replace them). */
void Reset_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SecureFault_Handler(void);
void SVC_Handler(void);
void PendSV_Handler(void);
void SysTick_Handler(void);
void Default_Handler(void);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* BAREMETAL_STARTUP_ARMV8M_H_ */
