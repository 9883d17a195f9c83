/* Private helpers of the pooling kernels: argument checks and window bounds. */
#ifndef TE_POOL_INTERNAL_H
#define TE_POOL_INTERNAL_H

#include <stddef.h>

#include "../te_dsp.h"
#include "te_internal.h"
#include "te_pool.h"

static inline int te_pool_dims_ok(const te_dims *d)
{
    return d != NULL && d->n >= 1 && d->h >= 1 && d->w >= 1 && d->c >= 1;
}

static inline int te_pool_args_ok(const te_pool_params *p, const te_dims *in, const void *input, const te_dims *out,
                                  const void *output)
{
    return p != NULL && input != NULL && output != NULL && te_pool_dims_ok(in) && te_pool_dims_ok(out) &&
           in->n == out->n && in->c == out->c && p->stride.h >= 1 && p->stride.w >= 1 && p->filter.h >= 1 &&
           p->filter.w >= 1 && p->padding.h >= 0 && p->padding.w >= 0 && p->activation.min >= INT8_MIN &&
           p->activation.max <= INT8_MAX && p->activation.min <= p->activation.max;
}

/* The taps [start, end) of a window starting at `origin` that lie in [0, size). */
static inline void te_pool_window(int32_t origin, int32_t filter, int32_t size, int32_t *start, int32_t *end)
{
    *start = TE_MAX(0, -origin);
    *end = TE_MIN(filter, size - origin);
}

/*
 * Window loops shared by average pooling, MEAN and max pooling: channels in
 * groups of four held in registers across the whole window (the pixel stride
 * is `ch`, a window row starts `row_stride` bytes after the previous one).
 * The DSP path loads the four channels as one word; sums widen two lanes at a
 * time with SXTAB16 into 16-bit lanes, which hold 256 values of [-128, 127]
 * without wrapping and are flushed into int32 at least that often; maxima use
 * SSUB8 + SEL on all four bytes.
 */
#if TE_DSP
/* Four signed byte maxima (SSUB8 sets a GE flag per byte where a >= b, SEL picks by it). */
static inline uint32_t te_pool_max4(uint32_t a, uint32_t b)
{
#if TE_DSP_NATIVE
    uint32_t d, r;
    /* One statement: the GE flags live between the two instructions only. */
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %2, %3" : "=&r"(d), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)d;
    return r;
#else
    uint32_t r = 0;
    for (int k = 0; k < 4; ++k) {
        const int8_t x = (int8_t)(uint8_t)(a >> (8 * k)), y = (int8_t)(uint8_t)(b >> (8 * k));
        r |= (uint32_t)(uint8_t)(x >= y ? x : y) << (8 * k);
    }
    return r;
#endif
}
#endif

/* Low and high int16 lane of a packed pair. */
static inline int32_t te_pool_lo16(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xFFFFu); }
static inline int32_t te_pool_hi16(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }

/* sum[c] = the window's values of channel c, for c in [0, ch). */
static inline void te_pool_sum_window(const int8_t *in0, int32_t rows, int32_t cols, int32_t row_stride, int32_t ch,
                                      int32_t *sum)
{
    int32_t c = 0;
#if TE_DSP
    if ((int64_t)rows * cols <= 256) {
        /* The whole window fits the 16-bit lanes: no flush until the end (small pooling windows). */
        for (; c + 4 <= ch; c += 4) {
            uint32_t l02 = 0, l13 = 0;
            for (int32_t r = 0; r < rows; ++r) {
                const int8_t *p = in0 + (size_t)r * (size_t)row_stride + (size_t)c;
                for (int32_t k = 0; k < cols; ++k) {
                    const uint32_t w = te_ld4(p);
                    l02 = te_sxtab16(l02, w);
                    l13 = te_sxtab16_ror8(l13, w);
                    p += ch;
                }
            }
            sum[c] = te_pool_lo16(l02);
            sum[c + 1] = te_pool_lo16(l13);
            sum[c + 2] = te_pool_hi16(l02);
            sum[c + 3] = te_pool_hi16(l13);
        }
    }
#endif
    for (; c + 4 <= ch; c += 4) {
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *p = in0 + (size_t)r * (size_t)row_stride + (size_t)c;
#if TE_DSP
            for (int32_t k = 0; k < cols;) {
                const int32_t n = TE_MIN(cols - k, 256);
                uint32_t l02 = 0, l13 = 0;
                for (int32_t j = 0; j < n; ++j) {
                    const uint32_t w = te_ld4(p);
                    l02 = te_sxtab16(l02, w);
                    l13 = te_sxtab16_ror8(l13, w);
                    p += ch;
                }
                s0 += te_pool_lo16(l02);
                s1 += te_pool_lo16(l13);
                s2 += te_pool_hi16(l02);
                s3 += te_pool_hi16(l13);
                k += n;
            }
#else
            for (int32_t k = 0; k < cols; ++k) {
                s0 += p[0];
                s1 += p[1];
                s2 += p[2];
                s3 += p[3];
                p += ch;
            }
#endif
        }
        sum[c] = s0;
        sum[c + 1] = s1;
        sum[c + 2] = s2;
        sum[c + 3] = s3;
    }
    for (; c < ch; ++c) {
        int32_t s = 0;
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *p = in0 + (size_t)r * (size_t)row_stride + (size_t)c;
            for (int32_t k = 0; k < cols; ++k) {
                s += *p;
                p += ch;
            }
        }
        sum[c] = s;
    }
}

/* out[c] = clamp(max of the window's values of channel c), for c in [0, ch). */
static inline void te_pool_max_window(const int8_t *in0, int32_t rows, int32_t cols, int32_t row_stride, int32_t ch,
                                      int32_t act_min, int32_t act_max, int8_t *out)
{
    int32_t c = 0;
    for (; c + 4 <= ch; c += 4) {
#if TE_DSP
        uint32_t m = 0x80808080u; /* four INT8_MIN */
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *p = in0 + (size_t)r * (size_t)row_stride + (size_t)c;
            for (int32_t k = 0; k < cols; ++k) {
                m = te_pool_max4(m, te_ld4(p));
                p += ch;
            }
        }
        const int32_t m0 = (int8_t)(uint8_t)m, m1 = (int8_t)(uint8_t)(m >> 8);
        const int32_t m2 = (int8_t)(uint8_t)(m >> 16), m3 = (int8_t)(uint8_t)(m >> 24);
#else
        int32_t m0 = INT8_MIN, m1 = INT8_MIN, m2 = INT8_MIN, m3 = INT8_MIN;
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *p = in0 + (size_t)r * (size_t)row_stride + (size_t)c;
            for (int32_t k = 0; k < cols; ++k) {
                m0 = TE_MAX(m0, (int32_t)p[0]);
                m1 = TE_MAX(m1, (int32_t)p[1]);
                m2 = TE_MAX(m2, (int32_t)p[2]);
                m3 = TE_MAX(m3, (int32_t)p[3]);
                p += ch;
            }
        }
#endif
        out[c] = (int8_t)TE_CLAMP(m0, act_min, act_max);
        out[c + 1] = (int8_t)TE_CLAMP(m1, act_min, act_max);
        out[c + 2] = (int8_t)TE_CLAMP(m2, act_min, act_max);
        out[c + 3] = (int8_t)TE_CLAMP(m3, act_min, act_max);
    }
    for (; c < ch; ++c) {
        int32_t m = INT8_MIN;
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *p = in0 + (size_t)r * (size_t)row_stride + (size_t)c;
            for (int32_t k = 0; k < cols; ++k) {
                m = TE_MAX(m, (int32_t)*p);
                p += ch;
            }
        }
        out[c] = (int8_t)TE_CLAMP(m, act_min, act_max);
    }
}

#endif /* TE_POOL_INTERNAL_H */
