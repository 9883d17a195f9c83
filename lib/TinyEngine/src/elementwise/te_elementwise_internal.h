/*
 * Private helpers of the element-wise kernels: the per-element arithmetic that
 * the same-shape and broadcasting variants share, the broadcast loop nest, and
 * the parameter checks. The Python twins live in mcuflow/reference/elementwise.py.
 */
#ifndef TE_ELEMENTWISE_INTERNAL_H
#define TE_ELEMENTWISE_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "te_elementwise.h"
#include "te_internal.h"

/* -- parameter checks ------------------------------------------------------- */

static inline int te_ew_quant_ok(const te_quant *q, int32_t min_shift, int32_t max_shift)
{
    return q->multiplier >= 0 && q->shift >= min_shift && q->shift <= max_shift;
}

static inline int te_ew_offset_ok(int32_t offset)
{
    /* Negated int8/uint8 zero points; keeps (x + offset) * (y + offset) in int32. */
    return offset >= -255 && offset <= 255;
}

static inline int te_ew_add_params_ok(const te_add_params *p)
{
    return p != NULL && te_ew_offset_ok(p->input1_offset) && te_ew_offset_ok(p->input2_offset) &&
           p->left_shift >= 0 && p->left_shift <= 22 && te_ew_quant_ok(&p->input1_quant, -31, 0) &&
           te_ew_quant_ok(&p->input2_quant, -31, 0) && te_ew_quant_ok(&p->output_quant, -31, 0);
}

static inline int te_ew_mul_params_ok(const te_mul_params *p)
{
    return p != NULL && te_ew_offset_ok(p->input1_offset) && te_ew_offset_ok(p->input2_offset) &&
           te_ew_quant_ok(&p->output_quant, -31, 31);
}

static inline int te_ew_requantize_params_ok(const te_requantize_params *p, int32_t out_min, int32_t out_max)
{
    return p != NULL && te_ew_quant_ok(&p->quant, -31, 31) && p->input_offset >= -65535 &&
           p->input_offset <= 65535 && p->activation.min >= out_min && p->activation.max <= out_max &&
           p->activation.min <= out_max && p->activation.max >= out_min;
}

/* -- float <-> int ------------------------------------------------------------ */

/*
 * round_half_away(x / scale) with the division in float, as TFLM's
 * AffineQuantize. TFLM's float -> int32 conversion is undefined for NaN and
 * out-of-range quotients; here NaN gives 0 and large quotients saturate.
 */
#if defined(__arm__) && !defined(TE_FORCE_PORTABLE) &&                                                                \
    (defined(__ARM_FEATURE_DIRECTED_ROUNDING) || (defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 8)))
/*
 * FPv5 (Cortex-M7 with double precision, Armv8-M): VCVTA rounds half away
 * from zero, saturates and turns NaN into 0, exactly the rules below, in one
 * instruction (the C form costs ~35 an element: a float input's QUANTIZE
 * was mcunet_like_float_io's most expensive "other" layer).
 */
#define TE_EW_VCVTA 1
#endif

static inline int64_t te_ew_round_quotient(float x, float scale)
{
    float q = x / scale;
#ifdef TE_EW_VCVTA
    int32_t r;
    __asm__("vcvta.s32.f32 %0, %1" : "=t"(q) : "t"(q));
    memcpy(&r, &q, sizeof r);
    return r;
#else
    if (q != q) {
        return 0;
    }
    if (q >= 2147483648.0f) {
        return INT32_MAX;
    }
    if (q <= -2147483648.0f) {
        return INT32_MIN;
    }
    int32_t t = (int32_t)q;
    /* q - trunc(q) is exact in float, so the comparison with 0.5 is too. */
    const float frac = q - (float)t;
    if (frac >= 0.5f) {
        t += 1;
    } else if (frac <= -0.5f) {
        t -= 1;
    }
    return t;
#endif
}

/*
 * std::frexp for finite x > 0 without libm: x = m * 2^e, m in [0.5, 1).
 * Scaling by 2 is exact for normal doubles.
 */
static inline double te_ew_frexp(double x, int32_t *exponent)
{
    int32_t e = 0;
    while (x >= 1.0) {
        x *= 0.5;
        ++e;
    }
    while (x < 0.5) {
        x *= 2.0;
        --e;
    }
    *exponent = e;
    return x;
}

/* TFLite QuantizeMultiplier (double): real ~= multiplier * 2^(shift - 31). real must be finite, >= 0. */
static inline void te_ew_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    if (real == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int32_t e;
    const double q = te_ew_frexp(real, &e);
    /* q * 2^31 < 2^31 has a fine enough ulp that adding 0.5 is exact: a round half away. */
    int64_t q_fixed = (int64_t)(q * 2147483648.0 + 0.5);
    if (q_fixed == ((int64_t)1 << 31)) {
        q_fixed /= 2;
        ++e;
    }
    if (e < -31) {
        e = 0;
        q_fixed = 0;
    }
    *multiplier = (int32_t)q_fixed;
    *shift = e;
}

/* -- per-element arithmetic --------------------------------------------------- */

/* One input of TFLM AddFunc (int8): the offset, the left shift and that input's rescale. */
static inline int32_t te_ew_add_input(int32_t x, int32_t offset, int32_t left_shift, const te_quant *q)
{
    /* |x + offset| <= 383 and left_shift <= 22 keep the product inside int32. */
    const int32_t a = (x + offset) * (1 << left_shift);
    return te_rdbpot(te_srdhm(a, q->multiplier), -q->shift);
}

/* The rest of TFLM AddFunc (int8), from the two rescaled inputs. */
static inline int8_t te_ew_add_finish(const te_add_params *p, int32_t sa, int32_t sb)
{
    /* TFLM's int32 sum; wraps (in unsigned, to stay defined C) only for multipliers TFLM never makes. */
    const int32_t sum = (int32_t)((uint32_t)sa + (uint32_t)sb);
    const int32_t raw = te_rdbpot(te_srdhm(sum, p->output_quant.multiplier), -p->output_quant.shift) + p->output_offset;
    return (int8_t)TE_CLAMP(raw, p->activation.min, p->activation.max);
}

/* TFLM AddFunc (int8). */
static inline int8_t te_ew_add_one(const te_add_params *p, int32_t x, int32_t y)
{
    return te_ew_add_finish(p, te_ew_add_input(x, p->input1_offset, p->left_shift, &p->input1_quant),
                            te_ew_add_input(y, p->input2_offset, p->left_shift, &p->input2_quant));
}

/* TFLM MulElementwise (int8). */
static inline int8_t te_ew_mul_one(const te_mul_params *p, int32_t x, int32_t y)
{
    const int32_t prod = (x + p->input1_offset) * (y + p->input2_offset);
    const int32_t raw = te_requantize(prod, p->output_quant.multiplier, p->output_quant.shift) + p->output_offset;
    return (int8_t)TE_CLAMP(raw, p->activation.min, p->activation.max);
}

/* TFLM Requantize / ReluQuantized: rescale, offset, clamp (before the narrowing cast). */
static inline int32_t te_ew_requantize_one(const te_requantize_params *p, int32_t x)
{
    const int32_t raw = te_requantize(x + p->input_offset, p->quant.multiplier, p->quant.shift) + p->output_offset;
    return TE_CLAMP(raw, p->activation.min, p->activation.max);
}

/* -- broadcasting ------------------------------------------------------------- */

/*
 * One row of a broadcast: `n` outputs; each input pointer advances by its step
 * (0 for a broadcast operand, 1 otherwise).
 */
typedef void (*te_ew_row_fn)(const void *params, int32_t n, const int8_t *in1, int32_t step1, const int8_t *in2,
                             int32_t step2, int8_t *out);

/*
 * Runs `row` over the broadcast of two shapes. Dimensions of size 1 in the
 * output are dropped and neighbouring dimensions that broadcast the same way
 * are fused, so the innermost row is as long as possible (a per-channel
 * operand [C] against [N, H, W, C] becomes N*H*W rows of C).
 */
static inline te_status te_ew_broadcast(const te_broadcast_shape *s1, const int8_t *in1, const te_broadcast_shape *s2,
                                        const int8_t *in2, int8_t *out, te_ew_row_fn row, const void *params)
{
    int32_t extent[TE_ELEMENTWISE_MAX_DIMS];
    int32_t stride1[TE_ELEMENTWISE_MAX_DIMS];
    int32_t stride2[TE_ELEMENTWISE_MAX_DIMS];
    int32_t index[TE_ELEMENTWISE_MAX_DIMS];
    int32_t loops = 0;
    int32_t acc1 = 1;
    int32_t acc2 = 1;
    int empty = 0;

    if (s1 == NULL || s2 == NULL || s1->rank < 0 || s1->rank > TE_ELEMENTWISE_MAX_DIMS || s2->rank < 0 ||
        s2->rank > TE_ELEMENTWISE_MAX_DIMS) {
        return TE_ERR_ARG;
    }
    const int32_t rank = TE_MAX(s1->rank, s2->rank);
    /* Innermost dimension first. */
    for (int32_t k = 0; k < rank; ++k) {
        const int32_t d1 = k < s1->rank ? s1->dims[s1->rank - 1 - k] : 1;
        const int32_t d2 = k < s2->rank ? s2->dims[s2->rank - 1 - k] : 1;
        if (d1 < 0 || d2 < 0 || (d1 != d2 && d1 != 1 && d2 != 1)) {
            return TE_ERR_ARG;
        }
        const int32_t d = d1 == 1 ? d2 : d1;
        if (d == 0) {
            empty = 1;
        }
        if (d <= 1) {
            continue;
        }
        const int32_t st1 = d1 == 1 ? 0 : acc1;
        const int32_t st2 = d2 == 1 ? 0 : acc2;
        if (loops > 0 && (stride1[loops - 1] == 0) == (st1 == 0) && (stride2[loops - 1] == 0) == (st2 == 0)) {
            extent[loops - 1] *= d;
        } else {
            extent[loops] = d;
            stride1[loops] = st1;
            stride2[loops] = st2;
            ++loops;
        }
        acc1 *= d1;
        acc2 *= d2;
    }
    if (empty) {
        return TE_OK;
    }
    if (in1 == NULL || in2 == NULL || out == NULL) {
        return TE_ERR_ARG;
    }
    if (loops == 0) {
        row(params, 1, in1, 0, in2, 0, out);
        return TE_OK;
    }
    /* A fused run of non-broadcast dims has stride 1 innermost; broadcast ones 0. */
    const int32_t step1 = stride1[0] == 0 ? 0 : 1;
    const int32_t step2 = stride2[0] == 0 ? 0 : 1;
    for (int32_t k = 0; k < loops; ++k) {
        index[k] = 0;
    }
    int32_t off1 = 0;
    int32_t off2 = 0;
    for (;;) {
        row(params, extent[0], in1 + off1, step1, in2 + off2, step2, out);
        out += extent[0];
        int32_t k = 1;
        while (k < loops) {
            off1 += stride1[k];
            off2 += stride2[k];
            if (++index[k] < extent[k]) {
                break;
            }
            off1 -= stride1[k] * extent[k];
            off2 -= stride2[k] * extent[k];
            index[k] = 0;
            ++k;
        }
        if (k >= loops) {
            return TE_OK;
        }
    }
}

/*
 * Defines te_dequantize_<name>_f32 for one integer input type: the three
 * DEQUANTIZE kernels differ only in it. An exact integer (<= 17 bits) times a
 * float is one correctly rounded float multiply, equal to TFLM's
 * (float)((double)scale * value). Output element i is written after input
 * element i is read and no later input is touched, so the output may start
 * below the input and overlap it (TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT).
 */
#define TE_DEFINE_DEQUANTIZE(name, in_type)                                                                  \
    te_status te_dequantize_##name##_f32(float scale, int32_t zero_point, int32_t size, const in_type *input, \
                                         float *output)                                                      \
    {                                                                                                        \
        if (zero_point < INT16_MIN || zero_point > UINT16_MAX || size < 0 ||                                 \
            (size > 0 && (input == NULL || output == NULL))) {                                               \
            return TE_ERR_ARG;                                                                               \
        }                                                                                                    \
        for (int32_t i = 0; i < size; ++i) {                                                                 \
            output[i] = scale * (float)((int32_t)input[i] - zero_point);                                     \
        }                                                                                                    \
        return TE_OK;                                                                                        \
    }

#endif /* TE_ELEMENTWISE_INTERNAL_H */
