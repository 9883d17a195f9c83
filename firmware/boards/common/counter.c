/*
 * Tick counters. SysTick is extended to 64 bits by counting wraps in its
 * interrupt; under QEMU with -icount its ticks are exactly repeatable (DWT
 * reads 0 there). DWT CYCCNT is the cycle counter of real M3/M4/M7 chips;
 * SysTick's interrupt also extends it past 32 bits.
 */
#include "board.h"
#include "cm_regs.h"

static volatile uint32_t systick_wraps;
static volatile uint32_t dwt_high;
static volatile uint32_t dwt_last;
static uint8_t dwt_enabled;

static void dwt_extend(void)
{
#if !defined(__ARM_ARCH_6M__)
    uint32_t now = DWT_CYCCNT;
    if (now < dwt_last) {
        dwt_high++;
    }
    dwt_last = now;
#endif
}

void SysTick_Handler(void)
{
    systick_wraps++;
    if (dwt_enabled) {
        dwt_extend();
    }
}

void counter_systick_init(void)
{
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* core clock, interrupt, enable */
    /* QEMU 7.2 reads CVR as 0 until the first tick: wait so the first reading is valid. */
    for (uint32_t i = 0; i < 1000000u && SYST_CVR == 0; i++) {
    }
}

/*
 * Under QEMU -icount, writing CVR restarts the tick phase at the current
 * virtual time, so the ticks of the span that follows are a pure function of
 * the instructions executed in it. Without this, the phase left behind by the
 * host's UART timing moves a count by one from run to run.
 */
void counter_systick_restart(void)
{
    systick_wraps = 0;
    SYST_CVR = 0;
    for (uint32_t i = 0; i < 1000000u && SYST_CVR == 0; i++) {
    }
}

uint64_t counter_systick_read(void)
{
    uint32_t hi, lo;
    do {
        hi = systick_wraps;
        lo = SYST_CVR;
    } while (hi != systick_wraps);
    return ((uint64_t)hi << 24) + (0x00FFFFFFu - lo);
}

void counter_dwt_init(void)
{
#if !defined(__ARM_ARCH_6M__)
    DEMCR |= 1u << 24; /* TRCENA */
    DWT_LAR = 0xC5ACCE55u; /* unlock on M7; ignored elsewhere */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    dwt_enabled = 1;
    /* SysTick (every 2^24 cycles) samples CYCCNT often enough to see every wrap. */
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7u;
#endif
}

uint64_t counter_dwt_read(void)
{
#if !defined(__ARM_ARCH_6M__)
    __asm volatile("cpsid i" ::: "memory");
    dwt_extend();
    uint64_t v = ((uint64_t)dwt_high << 32) | dwt_last;
    __asm volatile("cpsie i" ::: "memory");
    return v;
#else
    return 0;
#endif
}
