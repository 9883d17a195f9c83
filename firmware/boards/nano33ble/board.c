/*
 * Arduino Nano 33 BLE (nRF52840): UART0 on the D1 (TX, P1.03) / D0 (RX, P1.10)
 * header pins, 115200 8N1; connect a USB-serial adapter (the board's USB port
 * is the chip's own USB device, which this bare-metal firmware does not drive).
 * The image starts at 0x10000, after the Arduino bootloader.
 */
#include "board.h"
#include "cm_regs.h"

#define UART0 0x40002000u
#define PIN(port, pin) (((uint32_t)(port) << 5) | (uint32_t)(pin))

const board_info_t board_info = {"nano33ble", 64000000u, 64000000u, COUNTER_CYCLES};

void board_init(void)
{
    REG32(UART0 + 0x500u) = 0;                    /* ENABLE: off while configuring */
    REG32(UART0 + 0x50Cu) = PIN(1, 3);            /* PSEL.TXD */
    REG32(UART0 + 0x514u) = PIN(1, 10);           /* PSEL.RXD */
    REG32(UART0 + 0x524u) = 0x01D7E000u;          /* BAUDRATE: 115200 */
    REG32(UART0 + 0x56Cu) = 0;                    /* CONFIG: no parity, no flow control */
    REG32(UART0 + 0x500u) = 4u;                   /* ENABLE: UART */
    REG32(UART0 + 0x108u) = 0;                    /* EVENTS_RXDRDY */
    REG32(UART0 + 0x000u) = 1u;                   /* TASKS_STARTRX */
    REG32(UART0 + 0x008u) = 1u;                   /* TASKS_STARTTX */
    counter_dwt_init();
}

void board_putc(uint8_t c)
{
    REG32(UART0 + 0x11Cu) = 0; /* EVENTS_TXDRDY */
    REG32(UART0 + 0x51Cu) = c;
    while (REG32(UART0 + 0x11Cu) == 0u) {
    }
}

uint8_t board_getc(void)
{
    while (REG32(UART0 + 0x108u) == 0u) {
    }
    REG32(UART0 + 0x108u) = 0;
    return (uint8_t)REG32(UART0 + 0x518u);
}

uint64_t board_counter_read(void) { return counter_dwt_read(); }
