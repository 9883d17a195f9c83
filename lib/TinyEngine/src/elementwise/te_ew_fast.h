/*
 * Private helpers of the fast element-wise loops: an exact one-multiply form
 * of TF Lite's output requantization and an int8 saturation. Kept apart from
 * the convolution family's helpers so either can change on its own; the
 * derivation is the same one te_chq (convolution/te_mac_dsp.h) documents.
 */
#ifndef TE_EW_FAST_H
#define TE_EW_FAST_H

#include <stdint.h>

#include "te_internal.h"

/*
 * te_requantize(s, m, -e) + out_off, for m in (2^30, 2^31) and a right shift
 * e in [2, 23] (what TF Lite's converter makes for ADD and MUL outputs).
 * The doubling high multiply h = floor((s * m + 2^30) / 2^31) and the round
 * half away from zero of h / 2^e merge into one floor division:
 * floor((s * m + 2^30 + 2^(30+e) - [s < 0] * 2^31) / 2^(31+e)); h < 0
 * exactly when s < 0 because m > 2^30. Written as a 64-bit start value
 * hi:lo plus s * m, the sign term only sets bit 31 of lo and takes 1 from hi,
 * and out_off rides in hi as out_off * 2^(e-1), which the final shift turns
 * back into out_off exactly (|hi| stays below 2^31 for |out_off| <= 255).
 * GCC makes one SMLAL of it on Armv7-M.
 */
typedef struct {
    int32_t m;   /* multiplier */
    int32_t khi; /* 2^(e-2) + out_off * 2^(e-1) */
    int32_t rsh; /* e - 1 */
} te_ew_rqf;

static inline int te_ew_rqf_ok(int32_t multiplier, int32_t shift, int32_t out_off)
{
    return multiplier > (1 << 30) && shift <= -2 && shift >= -23 && out_off >= -255 && out_off <= 255;
}

static inline te_ew_rqf te_ew_rqf_of(int32_t multiplier, int32_t shift, int32_t out_off)
{
    te_ew_rqf q;
    q.m = multiplier;
    q.rsh = -shift - 1;
    q.khi = (int32_t)((uint32_t)(2 * out_off + 1) << (q.rsh - 1));
    return q;
}

static inline int32_t te_ew_rqf_rq(int32_t s, te_ew_rqf q)
{
    const uint32_t lo = ((uint32_t)s & 0x80000000u) | 0x40000000u;
    const uint32_t hi = (uint32_t)(q.khi + (s >> 31));
    const uint64_t start = ((uint64_t)hi << 32) | lo;
    const uint64_t sum = start + (uint64_t)((int64_t)s * q.m);
    return (int32_t)(uint32_t)(sum >> 32) >> q.rsh;
}

/* The fast loops take their variant flags as constants: they must be inlined into each caller to compile apart. */
#if defined(__GNUC__)
#define TE_EW_INLINE static inline __attribute__((always_inline))
#else
#define TE_EW_INLINE static inline
#endif

/*
 * Runs STEP(i) for i in [0, n), four at a time and then the tail. The element
 * loops are this shape: one body, unrolled so the loads of four elements can
 * issue ahead of their stores.
 */
#define TE_EW_UNROLL4(n, STEP)              \
    do {                                    \
        int32_t i_ = 0;                     \
        for (; i_ + 4 <= (n); i_ += 4) {    \
            STEP(i_);                       \
            STEP(i_ + 1);                   \
            STEP(i_ + 2);                   \
            STEP(i_ + 3);                   \
        }                                   \
        for (; i_ < (n); ++i_) {            \
            STEP(i_);                       \
        }                                   \
    } while (0)

/* x saturated to [-128, 127]: one SSAT where the core has it. */
static inline int32_t te_ew_sat8(int32_t x)
{
#if defined(__arm__) && defined(__ARM_FEATURE_SAT)
    int32_t r;
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
    return r;
#else
    return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/* The activation clamp; `full` (a constant at each call, so the loops compile apart) when it is all of int8. */
static inline int8_t te_ew_clamp8(int32_t x, te_activation act, int full)
{
    return (int8_t)(full ? te_ew_sat8(x) : TE_CLAMP(x, act.min, act.max));
}

static inline int te_ew_act_full(te_activation act) { return act.min == -128 && act.max == 127; }

#endif /* TE_EW_FAST_H */
