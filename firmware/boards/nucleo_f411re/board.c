/*
 * NUCLEO-F411RE: USART2 (PA2 TX, PA3 RX, AF7) is the ST-LINK virtual COM port.
 * Runs on the 16 MHz HSI (no PLL set-up yet).
 */
#include "board.h"
#include "uart_stm32.h"

#define RCC 0x40023800u
#define GPIOA 0x40020000u
#define USART2 0x40004400u
#define HSI_HZ 16000000u

const board_info_t board_info = {"nucleo_f411re", HSI_HZ, HSI_HZ, COUNTER_CYCLES};

void board_init(void)
{
    REG32(RCC + 0x30u) |= 1u << 0;  /* AHB1ENR: GPIOA */
    REG32(RCC + 0x40u) |= 1u << 17; /* APB1ENR: USART2 */
    (void)REG32(RCC + 0x40u);
    stm32_gpio_af(GPIOA, 2, 7);
    stm32_gpio_af(GPIOA, 3, 7);
    stm32_usart_v1_init(USART2, (HSI_HZ + 57600u) / 115200u);
    counter_dwt_init();
}

void board_putc(uint8_t c) { stm32_usart_v1_putc(USART2, c); }
uint8_t board_getc(void) { return stm32_usart_v1_getc(USART2); }
uint64_t board_counter_read(void) { return counter_dwt_read(); }
