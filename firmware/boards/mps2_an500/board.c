/* QEMU mps2-an500: Cortex-M7, CMSDK UART0. QEMU's SysTick runs at 25 MHz. */
#include "board.h"
#include "uart_cmsdk.h"

#define UART0 0x40004000u

const board_info_t board_info = {"mps2_an500", 25000000u, 25000000u, COUNTER_SYSTICK};

void board_init(void)
{
    cmsdk_uart_init(UART0);
    counter_systick_init();
}

void board_putc(uint8_t c) { cmsdk_uart_putc(UART0, c); }
uint8_t board_getc(void) { return cmsdk_uart_getc(UART0); }
uint64_t board_counter_read(void) { return counter_systick_read(); }
