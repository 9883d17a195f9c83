/* QEMU mps3-an547: Cortex-M55, CMSDK UART0 at 0x49303000; SysTick at 32 MHz. */
#define BOARD_NAME "mps3_an547"
#define BOARD_UART0 0x49303000u
#define BOARD_SYSTICK_HZ 32000000u
#include "board_cmsdk.h"
