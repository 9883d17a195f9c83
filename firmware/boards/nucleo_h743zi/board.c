/*
 * NUCLEO-H743ZI: USART3 (PD8 TX, PD9 RX, AF7) is the ST-LINK virtual COM port.
 * Runs on the 64 MHz HSI (no PLL set-up yet); the model lives in the 512 KB AXI SRAM.
 */
#include "board.h"
#include "uart_stm32.h"

#define RCC 0x58024400u
#define GPIOD 0x58020C00u
#define USART3 0x40004800u
#define HSI_HZ 64000000u

const board_info_t board_info = {"nucleo_h743zi", HSI_HZ, HSI_HZ, COUNTER_CYCLES};

void board_init(void)
{
    REG32(RCC + 0xE0u) |= 1u << 3;  /* AHB4ENR: GPIOD */
    REG32(RCC + 0xE8u) |= 1u << 18; /* APB1LENR: USART3 */
    (void)REG32(RCC + 0xE8u);
    stm32_gpio_af(GPIOD, 8, 7);
    stm32_gpio_af(GPIOD, 9, 7);
    stm32_usart_v2_init(USART3, (HSI_HZ + 57600u) / 115200u);
    counter_dwt_init();
}

void board_putc(uint8_t c) { stm32_usart_v2_putc(USART3, c); }
uint8_t board_getc(void) { return stm32_usart_v2_getc(USART3); }
uint64_t board_counter_read(void) { return counter_dwt_read(); }
