/*
 * Start-up shared by every board: vector table, reset handler (FPU, .data,
 * .bss, stack painting), fault handler that reports over the console.
 *
 * The stack sits at the bottom of SRAM (see cortexm.ld) so that an overflow
 * runs off the start of RAM and faults instead of silently corrupting the
 * arena. The unused part is painted with STACK_PAINT so the application can
 * measure the high-water mark.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "cm_regs.h"

#define STACK_PAINT 0xA5A5A5A5u

extern uint32_t __stack_bottom__[], __stack_top__[];
extern uint32_t __data_start__[], __data_end__[], __data_load__[];
extern uint32_t __bss_start__[], __bss_end__[];

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);
void fault_report(uint32_t pc, uint32_t kind);

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*vector_fn)(void);

__attribute__((section(".isr_vector"), used)) const vector_fn vector_table[16] = {
    (vector_fn)(uintptr_t)__stack_top__,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0,
    0,
    0,
    0,
    SVC_Handler,
    0,
    0,
    PendSV_Handler,
    SysTick_Handler,
};

void stack_paint(void)
{
    /* Leave a margin below the live stack pointer: this function's own frame. */
    uint32_t *limit = (uint32_t *)(uintptr_t)((cm_get_sp() - 64u) & ~3u);
    for (uint32_t *p = __stack_bottom__; p < limit; p++) {
        *p = STACK_PAINT;
    }
}

uint32_t stack_high_water(void)
{
    const uint32_t *p = __stack_bottom__;
    while (p < __stack_top__ && *p == STACK_PAINT) {
        p++;
    }
    return (uint32_t)((uintptr_t)__stack_top__ - (uintptr_t)p);
}

uint32_t stack_reserved(void)
{
    return (uint32_t)((uintptr_t)__stack_top__ - (uintptr_t)__stack_bottom__);
}

__attribute__((noreturn)) void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    SCB_CPACR |= 0xFu << 20; /* CP10/CP11 full access before any FP instruction */
    __asm volatile("dsb\n isb" ::: "memory");
#endif
    SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
    for (uint32_t *src = __data_load__, *dst = __data_start__; dst < __data_end__;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start__; dst < __bss_end__;) {
        *dst++ = 0;
    }
    stack_paint();
    board_init();
    main();
    for (;;) {
    }
}

void Default_Handler(void)
{
    fault_report(0, 1);
    for (;;) {
    }
}

/* Finds the exception frame (MSP or PSP) and hands the faulting PC to the app. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "movs r0, #4\n"
        "mov r1, lr\n"
        "tst r0, r1\n"
        "beq 1f\n"
        "mrs r0, psp\n"
        "b 2f\n"
        "1: mrs r0, msp\n"
        "2: ldr r0, [r0, #24]\n"
        "movs r1, #0\n"
        "bl fault_report\n"
        "3: b 3b\n");
}
