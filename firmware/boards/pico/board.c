/*
 * Raspberry Pi Pico (RP2040, Cortex-M0+): UART0 on GP0 (TX) / GP1 (RX), a PL011.
 * The image is loaded to SRAM (a RAM UF2: no second-stage flash loader is
 * needed). clk_sys is moved to the 12 MHz crystal whatever the boot ROM left
 * running, so the baud rate is exact. The M0+ has no DWT cycle counter:
 * SysTick counts core cycles.
 */
#include "board.h"
#include "cm_regs.h"

#define XOSC 0x40024000u
#define CLOCKS 0x40008000u
#define RESETS 0x4000C000u
#define IO_BANK0 0x40014000u
#define UART0 0x40034000u
#define ATOMIC_CLR 0x3000u
#define XOSC_HZ 12000000u

const board_info_t board_info = {"pico", XOSC_HZ, XOSC_HZ, COUNTER_SYSTICK};

static void clocks_to_xosc(void)
{
    REG32(XOSC + 0x0Cu) = ((XOSC_HZ / 1000u) + 128u) / 256u; /* STARTUP delay, ~1 ms */
    REG32(XOSC + 0x00u) = (0xFABu << 12) | 0xAA0u;           /* ENABLE, 1-15 MHz range */
    while (!(REG32(XOSC + 0x04u) & (1u << 31))) {            /* STATUS.STABLE */
    }
    REG32(CLOCKS + 0x30u) = 2u; /* CLK_REF_CTRL.SRC = xosc */
    while (REG32(CLOCKS + 0x38u) != (1u << 2)) {
    }
    REG32(CLOCKS + 0x3Cu) = 0u; /* CLK_SYS_CTRL.SRC = clk_ref (glitchless) */
    while (REG32(CLOCKS + 0x44u) != 1u) {
    }
    REG32(CLOCKS + 0x48u) = 1u << 11; /* CLK_PERI_CTRL: enable, from clk_sys */
}

void board_init(void)
{
    clocks_to_xosc();
    uint32_t bits = (1u << 5) | (1u << 8) | (1u << 22); /* io_bank0, pads_bank0, uart0 */
    REG32(RESETS + ATOMIC_CLR + 0x0u) = bits;
    while ((REG32(RESETS + 0x8u) & bits) != bits) {
    }
    REG32(IO_BANK0 + 0x004u) = 2u; /* GPIO0_CTRL: UART0 TX */
    REG32(IO_BANK0 + 0x00Cu) = 2u; /* GPIO1_CTRL: UART0 RX */
    /* 12 MHz / (16 * 115200) = 6.51: IBRD 6, FBRD round(0.51 * 64) = 33 */
    REG32(UART0 + 0x24u) = 6u;
    REG32(UART0 + 0x28u) = 33u;
    REG32(UART0 + 0x2Cu) = (3u << 5) | (1u << 4); /* LCR_H: 8 bits, FIFOs (latches the divisor) */
    REG32(UART0 + 0x30u) = (1u << 9) | (1u << 8) | 1u; /* CR: RXE, TXE, UARTEN */
    counter_systick_init();
}

void board_putc(uint8_t c)
{
    while (REG32(UART0 + 0x18u) & (1u << 5)) { /* FR.TXFF */
    }
    REG32(UART0 + 0x00u) = c;
}

uint8_t board_getc(void)
{
    while (REG32(UART0 + 0x18u) & (1u << 4)) { /* FR.RXFE */
    }
    return (uint8_t)REG32(UART0 + 0x00u);
}

uint64_t board_counter_read(void) { return counter_systick_read(); }
