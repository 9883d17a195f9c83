#include "te_elementwise_internal.h"

te_status te_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output)
{
    if (table == NULL || size < 0 || (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    /* Biased so the signed byte indexes it directly (one load with a register offset). */
    const int8_t *t = table + 128;
    const int8_t *x = input;
    int8_t *o = output;
    int32_t n = size;
    /* Each element is read before it is written: an output equal to the input stays correct. */
#if defined(__arm__) && defined(__thumb2__)
    /*
     * Thumb-2: post-indexed loads and stores move both pointers for free, so a step of sixteen costs
     * its 48 memory operations and a compare and branch (3.125 instructions an element on the M7,
     * against 3.25 for the C below, whose pointers GCC moves with adds). Two registers alternate so a
     * table load does not wait on the load just before it.
     */
#define TE_LUT_PAIR                     \
    "ldrsb %[a], [%[x]], #1\n\t"       \
    "ldrsb %[b], [%[x]], #1\n\t"       \
    "ldrb %[a], [%[t], %[a]]\n\t"      \
    "ldrb %[b], [%[t], %[b]]\n\t"      \
    "strb %[a], [%[o]], #1\n\t"        \
    "strb %[b], [%[o]], #1\n\t"
    const int8_t *const x_end = x + (n & ~(int32_t)15);
    while (x != x_end) {
        int32_t a, b;
        /* Spelt out, not .rept: GCC sizes an asm by its lines when it picks branch encodings around it. */
        __asm__ volatile(TE_LUT_PAIR TE_LUT_PAIR TE_LUT_PAIR TE_LUT_PAIR TE_LUT_PAIR TE_LUT_PAIR TE_LUT_PAIR
                             TE_LUT_PAIR
                         : [a] "=&r"(a), [b] "=&r"(b), [x] "+r"(x), [o] "+r"(o)
                         : [t] "r"(t)
                         : "memory");
    }
#undef TE_LUT_PAIR
    n &= 15;
#else
    /* Sixteen a step: three memory operations an element plus the step's pointer and count updates. */
    for (; n >= 16; n -= 16) {
        o[0] = t[x[0]];
        o[1] = t[x[1]];
        o[2] = t[x[2]];
        o[3] = t[x[3]];
        o[4] = t[x[4]];
        o[5] = t[x[5]];
        o[6] = t[x[6]];
        o[7] = t[x[7]];
        o[8] = t[x[8]];
        o[9] = t[x[9]];
        o[10] = t[x[10]];
        o[11] = t[x[11]];
        o[12] = t[x[12]];
        o[13] = t[x[13]];
        o[14] = t[x[14]];
        o[15] = t[x[15]];
        x += 16;
        o += 16;
    }
#endif
    for (; n > 0; --n) {
        *o++ = t[*x++];
    }
    return TE_OK;
}
