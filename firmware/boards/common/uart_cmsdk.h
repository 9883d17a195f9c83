/* Arm CMSDK APB UART (MPS2/MPS3 FPGA images). */
#ifndef MCUFLOW_UART_CMSDK_H
#define MCUFLOW_UART_CMSDK_H

#include "cm_regs.h"

static inline void cmsdk_uart_init(uint32_t base)
{
    REG32(base + 0x10u) = 16u; /* BAUDDIV: any value >= 16 works on the FPGA models */
    REG32(base + 0x08u) = 3u;  /* CTRL: TX and RX enable */
}

static inline void cmsdk_uart_putc(uint32_t base, uint8_t c)
{
    while (REG32(base + 0x04u) & 1u) { /* STATE.TXFULL */
    }
    REG32(base + 0x00u) = c;
}

static inline uint8_t cmsdk_uart_getc(uint32_t base)
{
    while (!(REG32(base + 0x04u) & 2u)) { /* STATE.RXFULL */
    }
    return (uint8_t)REG32(base + 0x00u);
}

#endif
