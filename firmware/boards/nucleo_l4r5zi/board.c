/*
 * NUCLEO-L4R5ZI: LPUART1 (PG7 TX, PG8 RX, AF8) is the ST-LINK virtual COM port.
 * Port G is powered from VddIO2, which must be declared valid (PWR_CR2.IOSV).
 * Runs on the 4 MHz MSI the chip resets to (no PLL set-up yet).
 */
#include "board.h"
#include "uart_stm32.h"

#define RCC 0x40021000u
#define PWR 0x40007000u
#define GPIOG 0x48001800u
#define LPUART1 0x40008000u
#define MSI_HZ 4000000u

const board_info_t board_info = {"nucleo_l4r5zi", MSI_HZ, MSI_HZ, COUNTER_CYCLES};

void board_init(void)
{
    REG32(RCC + 0x58u) |= 1u << 28; /* APB1ENR1: PWR */
    REG32(PWR + 0x04u) |= 1u << 9;  /* CR2.IOSV: VddIO2 valid */
    REG32(RCC + 0x4Cu) |= 1u << 6;  /* AHB2ENR: GPIOG */
    REG32(RCC + 0x5Cu) |= 1u << 0;  /* APB1ENR2: LPUART1 */
    (void)REG32(RCC + 0x5Cu);
    stm32_gpio_af(GPIOG, 7, 8);
    stm32_gpio_af(GPIOG, 8, 8);
    /* LPUART: BRR = 256 * f_ck / baud */
    stm32_usart_v2_init(LPUART1, (uint32_t)((256ull * MSI_HZ + 57600u) / 115200u));
    counter_dwt_init();
}

void board_putc(uint8_t c) { stm32_usart_v2_putc(LPUART1, c); }
uint8_t board_getc(void) { return stm32_usart_v2_getc(LPUART1); }
uint64_t board_counter_read(void) { return counter_dwt_read(); }
