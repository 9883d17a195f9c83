/*
 * Private helpers of the multiply-accumulate family (convolution, depthwise,
 * fully connected): argument checks and the requantization tail every output
 * value goes through.
 */
#ifndef TE_CONV_INTERNAL_H
#define TE_CONV_INTERNAL_H

#include "../te_internal.h"
#include "te_conv.h"

#include <stddef.h>

static inline int te_mac_dims_ok(const te_dims *d)
{
    return d != NULL && d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0;
}

static inline int te_mac_activation_ok(te_activation a)
{
    return a.min >= -128 && a.max <= 127 && a.min <= a.max;
}

static inline int te_mac_offsets_ok(int32_t input_offset, int32_t output_offset)
{
    return input_offset >= -127 && input_offset <= 128 && output_offset >= -128 && output_offset <= 127;
}

/*
 * te_requantize without the 64-bit division: gemmlowp's
 * SaturatingRoundingDoublingHighMul truncates (ab + nudge) / 2^31 toward
 * zero with nudge = 2^30 or 1 - 2^30 by sign, which for every int64 ab equals
 * floor((ab + 2^30) / 2^31); an arithmetic shift does that. Saturation only
 * happens for multiplier == INT32_MIN, which TF Lite never produces
 * (multipliers are in [2^30, 2^31) or 0); that case takes the slow path.
 */
static inline int32_t te_requantize_fast(int32_t x, int32_t multiplier, int32_t shift)
{
    if (multiplier == INT32_MIN) {
        return te_requantize(x, multiplier, shift);
    }
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t s = (int32_t)((uint32_t)x << left);
    const int32_t h = (int32_t)(((int64_t)s * multiplier + (1LL << 30)) >> 31);
    return te_rdbpot(h, right);
}

/*
 * Bias, rescale, zero point, clamp. The two additions wrap like TF Lite
 * Micro's int32 arithmetic instead of overflowing (undefined in C).
 */
static inline int8_t te_mac_finish(int32_t acc, const int32_t *bias, int32_t channel, int32_t multiplier,
                                   int32_t shift, int32_t output_offset, te_activation act)
{
    if (bias != NULL) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)bias[channel]);
    }
    int32_t out = (int32_t)((uint32_t)te_requantize_fast(acc, multiplier, shift) + (uint32_t)output_offset);
    out = TE_CLAMP(out, act.min, act.max);
    return (int8_t)out;
}

/* Number of taps k in [0, k_max) before which `origin + k * dilation` is still < 0. */
static inline int32_t te_tap_begin(int32_t origin, int32_t dilation)
{
    return origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
}

/* One past the last tap k in [0, k_max) with `origin + k * dilation < size`. */
static inline int32_t te_tap_end(int32_t origin, int32_t dilation, int32_t size, int32_t k_max)
{
    if (origin >= size) {
        return 0;
    }
    const int32_t end = (size - origin + dilation - 1) / dilation;
    return TE_MIN(end, k_max);
}

/*
 * Dot products with the input offset added to x, the inner loops of the MAC
 * kernels. Unrolled by hand (GCC does not at -O2); `dot2` feeds one input
 * load to two filters, which is where the portable kernels save most.
 */
static inline int32_t te_dot_off(const int8_t *x, const int8_t *w, int32_t n, int32_t off, int32_t acc)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        acc += ((int32_t)x[i] + off) * (int32_t)w[i];
        acc += ((int32_t)x[i + 1] + off) * (int32_t)w[i + 1];
        acc += ((int32_t)x[i + 2] + off) * (int32_t)w[i + 2];
        acc += ((int32_t)x[i + 3] + off) * (int32_t)w[i + 3];
    }
    for (; i < n; ++i) {
        acc += ((int32_t)x[i] + off) * (int32_t)w[i];
    }
    return acc;
}

static inline void te_dot2_off(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t off,
                               int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0, a1 = *acc1;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32_t x0 = (int32_t)x[i] + off;
        const int32_t x1 = (int32_t)x[i + 1] + off;
        const int32_t x2 = (int32_t)x[i + 2] + off;
        const int32_t x3 = (int32_t)x[i + 3] + off;
        a0 += x0 * (int32_t)w0[i];
        a1 += x0 * (int32_t)w1[i];
        a0 += x1 * (int32_t)w0[i + 1];
        a1 += x1 * (int32_t)w1[i + 1];
        a0 += x2 * (int32_t)w0[i + 2];
        a1 += x2 * (int32_t)w1[i + 2];
        a0 += x3 * (int32_t)w0[i + 3];
        a1 += x3 * (int32_t)w1[i + 3];
    }
    for (; i < n; ++i) {
        const int32_t x0 = (int32_t)x[i] + off;
        a0 += x0 * (int32_t)w0[i];
        a1 += x0 * (int32_t)w1[i];
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* te_mac_finish with the bias already in acc (as a wrapping int32 add) and the fast requantization. */
static inline int8_t te_mac_out(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset,
                                te_activation act)
{
    int32_t out = (int32_t)((uint32_t)te_requantize_fast(acc, multiplier, shift) + (uint32_t)output_offset);
    out = TE_CLAMP(out, act.min, act.max);
    return (int8_t)out;
}

static inline int32_t te_bias_or0(const int32_t *bias, int32_t channel) { return bias != NULL ? bias[channel] : 0; }

/* Whether [a, a + na) and [b, b + nb) share a byte (the planner may place them so). */
static inline int te_ranges_overlap(const void *a, size_t na, const void *b, size_t nb)
{
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + nb && pb < pa + na;
}

#endif /* TE_CONV_INTERNAL_H */
