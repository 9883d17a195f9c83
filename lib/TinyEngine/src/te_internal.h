/*
 * Private fixed-point helpers shared by the kernels: TF Lite's integer
 * arithmetic (gemmlowp's rounding rules), bit for bit. The Python twins live in
 * mcuflow/quant.py; change both together.
 */
#ifndef TE_INTERNAL_H
#define TE_INTERNAL_H

#include <stdint.h>

#include "te_types.h"

#define TE_MAX(a, b) ((a) > (b) ? (a) : (b))
#define TE_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TE_CLAMP(x, lo, hi) TE_MIN(TE_MAX((x), (lo)), (hi))

/* gemmlowp SaturatingRoundingDoublingHighMul. */
static inline int32_t te_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    /* C99 division truncates toward zero, as gemmlowp requires. */
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* gemmlowp RoundingDivideByPOT: round half away from zero. */
static inline int32_t te_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TF Lite MultiplyByQuantizedMultiplier (double rounding, as TF Lite Micro). */
static inline int32_t te_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* Wraps like TF Lite's int32 multiply; done in unsigned to stay defined C. */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return te_rdbpot(te_srdhm(shifted, multiplier), right);
}

/* Keeps a hot inner function out of a large caller, whose register pressure would spill its loop. */
#if defined(__GNUC__)
#define TE_NOINLINE __attribute__((noinline))
#else
#define TE_NOINLINE
#endif

#endif /* TE_INTERNAL_H */
