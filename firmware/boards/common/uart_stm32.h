/*
 * STM32 USARTs. "v1" is the F1/F2/F4 layout (SR, DR, BRR, CR1); "v2" is the
 * F7/H7/L4 layout (CR1, BRR, ISR, RDR, TDR), which LPUART1 shares.
 */
#ifndef MCUFLOW_UART_STM32_H
#define MCUFLOW_UART_STM32_H

#include "cm_regs.h"

static inline void stm32_usart_v1_init(uint32_t base, uint32_t brr)
{
    REG32(base + 0x08u) = brr;
    REG32(base + 0x0Cu) = (1u << 13) | (1u << 3) | (1u << 2); /* UE | TE | RE */
}

static inline void stm32_usart_v1_putc(uint32_t base, uint8_t c)
{
    while (!(REG32(base + 0x00u) & (1u << 7))) { /* TXE */
    }
    REG32(base + 0x04u) = c;
}

static inline uint8_t stm32_usart_v1_getc(uint32_t base)
{
    while (!(REG32(base + 0x00u) & (1u << 5))) { /* RXNE */
    }
    return (uint8_t)REG32(base + 0x04u);
}

static inline void stm32_usart_v2_init(uint32_t base, uint32_t brr)
{
    REG32(base + 0x00u) = 0;
    REG32(base + 0x0Cu) = brr;
    REG32(base + 0x00u) = (1u << 3) | (1u << 2) | 1u; /* TE | RE | UE */
}

static inline void stm32_usart_v2_putc(uint32_t base, uint8_t c)
{
    while (!(REG32(base + 0x1Cu) & (1u << 7))) { /* ISR.TXE */
    }
    REG32(base + 0x28u) = c;
}

static inline uint8_t stm32_usart_v2_getc(uint32_t base)
{
    for (;;) {
        uint32_t isr = REG32(base + 0x1Cu);
        if (isr & (1u << 3)) {
            REG32(base + 0x20u) = 1u << 3; /* clear overrun, or RX stalls for good */
        }
        if (isr & (1u << 5)) {
            return (uint8_t)REG32(base + 0x24u);
        }
    }
}

/* Sets the alternate function of one GPIO pin (STM32 GPIO layout, all families). */
static inline void stm32_gpio_af(uint32_t gpio, uint32_t pin, uint32_t af)
{
    REG32(gpio + 0x00u) = (REG32(gpio + 0x00u) & ~(3u << (2u * pin))) | (2u << (2u * pin));
    uint32_t afr = gpio + (pin < 8u ? 0x20u : 0x24u);
    uint32_t shift = 4u * (pin & 7u);
    REG32(afr) = (REG32(afr) & ~(0xFu << shift)) | (af << shift);
}

#endif
