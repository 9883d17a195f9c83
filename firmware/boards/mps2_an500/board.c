/* QEMU mps2-an500: Cortex-M7, CMSDK UART0. QEMU's SysTick runs at 25 MHz. */
#define BOARD_NAME "mps2_an500"
#define BOARD_UART0 0x40004000u
#define BOARD_SYSTICK_HZ 25000000u
#include "board_cmsdk.h"
