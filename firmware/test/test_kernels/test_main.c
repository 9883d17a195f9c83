/*
 * TinyEngine kernel tests on the target (`pio test -e <env>`).
 *
 * The cases are one-operator models with random configurations, generated
 * before the build by mcuflow.device.kernel_tests (scripts/pio_codegen.py in
 * test builds): the code generator's lowering gives the kernel calls and
 * their constants, mcuflow.reference gives the bit-exact expected bytes.
 * Each case prints `file:line:name:PASS` or `file:line:name:FAIL:why` on the
 * console; test/test_custom_runner.py parses those lines. Under QEMU the
 * program ends with a semihosting exit: 0 once every case has reported (the
 * runner counts failures from the lines; PlatformIO would read any other code
 * as a signal and call the suite errored), 100 after a fault.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "kernel_vectors.h"
#include "tinyengine.h" /* lets the library finder pick TinyEngine for the test build */

static void put_str(const char *s)
{
    while (*s) {
        board_putc((uint8_t)*s++);
    }
}

static void put_u32(uint32_t v)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        board_putc((uint8_t)buf[--n]);
    }
}

static void put_i32(int32_t v)
{
    if (v < 0) {
        board_putc('-');
        put_u32((uint32_t)0 - (uint32_t)v);
    } else {
        put_u32((uint32_t)v);
    }
}

/* SYS_EXIT_EXTENDED: QEMU exits with `code`. Only where a debugger or emulator
 * serves semihosting; elsewhere BKPT would stop the core, so real boards idle. */
static void finish(uint32_t code)
{
#ifdef MCUFLOW_SEMIHOSTING_EXIT
    volatile uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, code};
    register uint32_t r0 __asm("r0") = 0x20u;
    register uint32_t r1 __asm("r1") = (uint32_t)(uintptr_t)block;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
#else
    (void)code;
#endif
    for (;;) {
    }
}

void fault_report(uint32_t pc, uint32_t kind)
{
    put_str("\nFAULT: kind ");
    put_u32(kind);
    put_str(" at pc ");
    put_u32(pc);
    put_str("\n");
    finish(100u);
}

static void result(int line, const char *name, const char *why, int32_t a, int32_t b, int32_t c)
{
    put_str(__FILE__ ":");
    put_u32((uint32_t)line);
    put_str(":");
    put_str(name);
    if (why == NULL) {
        put_str(":PASS\n");
        return;
    }
    put_str(":FAIL:");
    put_str(why);
    put_str(" ");
    put_i32(a);
    put_str(" ");
    put_i32(b);
    put_str(" ");
    put_i32(c);
    put_str("\n");
}

/* One case: copy the inputs into the arena, invoke, compare every output byte. */
static int run_case(const kt_case *t)
{
    te_status st = t->init();
    if (st != TE_OK) {
        result(__LINE__, t->name, "init status", (int32_t)st, 0, 0);
        return 1;
    }
    for (int i = 0; i < t->num_inputs; i++) {
        memcpy(t->input(i), t->inputs[i], (size_t)t->input_bytes[i]);
    }
    st = t->invoke();
    if (st != TE_OK) {
        result(__LINE__, t->name, "invoke status", (int32_t)st, 0, 0);
        return 1;
    }
    const int8_t *out = (const int8_t *)t->output(0);
    for (int32_t k = 0; k < t->output_bytes; k++) {
        if (out[k] != t->expected[k]) {
            result(__LINE__, t->name, "byte (index, got, expected)", k, out[k], t->expected[k]);
            return 1;
        }
    }
    if (!t->guards_intact()) {
        result(__LINE__, t->name, "arena guard bytes overwritten", 0, 0, 0);
        return 1;
    }
    result(__LINE__, t->name, NULL, 0, 0, 0);
    return 0;
}

int main(void)
{
    uint32_t failures = 0;
    put_str("\nmcuflow kernel tests on ");
    put_str(board_info.name);
    put_str("\n");
    for (int i = 0; i < kt_num_cases; i++) {
        failures += (uint32_t)run_case(&kt_cases[i]);
    }
    put_str("KT_DONE ");
    put_u32((uint32_t)kt_num_cases);
    put_str(" tests ");
    put_u32(failures);
    put_str(" failures\n");
    finish(0u);
    return 0;
}
