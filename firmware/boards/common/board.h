/**
 * @file board.h
 * @brief What the application needs from a board: console bytes, a counter, facts.
 *
 * Each `boards/<name>/board.c` implements these; `boards/common/` holds the
 * start-up code, the counters and the UART drivers they share.
 */
#ifndef MCUFLOW_BOARD_H
#define MCUFLOW_BOARD_H

#include <stdint.h>

/** How to read the counter's ticks (sent to the host in the hello frame). */
enum {
    COUNTER_CYCLES = 0,  /**< DWT CYCCNT: core clock cycles. */
    COUNTER_SYSTICK = 1, /**< SysTick ticks (core clock; instructions under QEMU icount). */
};

typedef struct {
    const char *name;     /**< registry name, e.g. "mps2_an500" */
    uint32_t cpu_hz;      /**< core clock the firmware runs at */
    uint32_t counter_hz;  /**< ticks per second of board_counter_read() */
    uint8_t counter_kind; /**< COUNTER_CYCLES or COUNTER_SYSTICK */
} board_info_t;

extern const board_info_t board_info;

/** Clocks, console UART and counter; called once by the reset handler before main(). */
void board_init(void);
/** Blocking write of one console byte. */
void board_putc(uint8_t c);
/** Blocking read of one console byte. */
uint8_t board_getc(void);
/** Monotonic 64-bit tick count (see board_info.counter_kind). */
uint64_t board_counter_read(void);

/* Counters shared by every board (boards/common/counter.c). */
void counter_systick_init(void);
uint64_t counter_systick_read(void);
/** Restart SysTick's phase (and its wrap count) so the next span's ticks are repeatable. */
void counter_systick_restart(void);
void counter_dwt_init(void);
uint64_t counter_dwt_read(void);

#endif
