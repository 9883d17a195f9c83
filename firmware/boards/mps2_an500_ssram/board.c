/* QEMU mps2-an500 with all of its SSRAM (a measuring board, see mcuflow/boards.py):
 * the same Cortex-M7, CMSDK UART0 and 25 MHz SysTick as mps2_an500. */
#define BOARD_NAME "mps2_an500_ssram"
#define BOARD_UART0 0x40004000u
#define BOARD_SYSTICK_HZ 25000000u
#include "board_cmsdk.h"
