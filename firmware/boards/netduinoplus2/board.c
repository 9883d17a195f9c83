/*
 * QEMU netduinoplus2 (STM32F405): USART1. QEMU models no RCC for this SoC, so
 * the firmware must not wait on clock-ready bits; SysTick counts at 168 MHz.
 */
#include "board.h"
#include "uart_stm32.h"

#define USART1 0x40011000u

const board_info_t board_info = {"netduinoplus2", 168000000u, 168000000u, COUNTER_SYSTICK};

void board_init(void)
{
    stm32_usart_v1_init(USART1, 0x16Du); /* 115200 at 42 MHz APB2 on the real chip */
    counter_systick_init();
}

void board_putc(uint8_t c) { stm32_usart_v1_putc(USART1, c); }
uint8_t board_getc(void) { return stm32_usart_v1_getc(USART1); }
uint64_t board_counter_read(void) { return counter_systick_read(); }
