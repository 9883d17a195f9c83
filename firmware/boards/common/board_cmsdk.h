/*
 * Board glue of the QEMU MPS2/MPS3 machines: console on CMSDK UART0, counter
 * on SysTick. They differ only in the UART address, the SysTick clock and the
 * name, so a board file defines BOARD_NAME, BOARD_UART0 and BOARD_SYSTICK_HZ
 * and includes this header once; it holds definitions, not declarations.
 */
#ifndef BOARD_CMSDK_H
#define BOARD_CMSDK_H

#include "board.h"
#include "uart_cmsdk.h"

const board_info_t board_info = {BOARD_NAME, BOARD_SYSTICK_HZ, BOARD_SYSTICK_HZ, COUNTER_SYSTICK};

void board_init(void)
{
    cmsdk_uart_init(BOARD_UART0);
    counter_systick_init();
}

void board_putc(uint8_t c) { cmsdk_uart_putc(BOARD_UART0, c); }
uint8_t board_getc(void) { return cmsdk_uart_getc(BOARD_UART0); }
uint64_t board_counter_read(void) { return counter_systick_read(); }

#endif /* BOARD_CMSDK_H */
