/*
 * STM32F746G-DISCO: USART1 (PA9 TX, PB7 RX, AF7) is the ST-LINK virtual COM port.
 * Runs on the 16 MHz HSI the chip resets to (no PLL set-up yet): cycles are
 * exact, the clock is slower than the 216 MHz the chip can do.
 */
#include "board.h"
#include "uart_stm32.h"

#define RCC 0x40023800u
#define GPIOA 0x40020000u
#define GPIOB 0x40020400u
#define USART1 0x40011000u
#define HSI_HZ 16000000u

const board_info_t board_info = {"disco_f746ng", HSI_HZ, HSI_HZ, COUNTER_CYCLES};

void board_init(void)
{
    REG32(RCC + 0x30u) |= (1u << 0) | (1u << 1); /* AHB1ENR: GPIOA, GPIOB */
    REG32(RCC + 0x44u) |= 1u << 4;               /* APB2ENR: USART1 */
    (void)REG32(RCC + 0x44u);
    stm32_gpio_af(GPIOA, 9, 7);
    stm32_gpio_af(GPIOB, 7, 7);
    stm32_usart_v2_init(USART1, (HSI_HZ + 57600u) / 115200u);
    counter_dwt_init();
}

void board_putc(uint8_t c) { stm32_usart_v2_putc(USART1, c); }
uint8_t board_getc(void) { return stm32_usart_v2_getc(USART1); }
uint64_t board_counter_read(void) { return counter_dwt_read(); }
