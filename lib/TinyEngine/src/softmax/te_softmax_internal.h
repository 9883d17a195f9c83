/*
 * Private helpers of the softmax kernels: argument checks, the exp of one
 * diff, and the per-row reciprocal of the sum of exps.
 */
#ifndef TE_SOFTMAX_INTERNAL_H
#define TE_SOFTMAX_INTERNAL_H

#include "te_fixedpoint.h"
#include "te_softmax.h"

static inline int te_softmax_params_ok(const te_softmax_params *p)
{
    return p != NULL && p->input_multiplier > 0 && p->input_left_shift >= 0 && p->input_left_shift <= 31 &&
           p->diff_min <= 0;
}

static inline int te_softmax_shape_ok(int32_t outer, int32_t depth, const void *input, const void *output)
{
    return outer >= 1 && depth >= 1 && input != NULL && output != NULL;
}

/* Q0.31 exp(diff); 0 for diffs TFLM leaves out of the sum. */
static inline int32_t te_softmax_exp(const te_softmax_params *p, int32_t diff)
{
    if (diff < p->diff_min) {
        return 0;
    }
    if (p->exp_table != NULL) {
        return p->exp_table[-diff];
    }
    return te_fp_exp_on_negative_values(te_fp_scale_diff(diff, p->input_multiplier, p->input_left_shift),
                                        TE_FP_SCALED_DIFF_BITS);
}

static inline int32_t te_softmax_row_max(const int8_t *row, int32_t depth)
{
    int32_t m = INT8_MIN;
    for (int32_t c = 0; c < depth; c++) {
        m = TE_MAX(m, (int32_t)row[c]);
    }
    return m;
}

/*
 * Reciprocal of the row's sum of exps (Q0.31) and the right shift that brings
 * exp * reciprocal to `out_bits` bits. TFLM checks the shift is <= 31 (it
 * aborts past that: rows over 256 values with many equal maxima for int8);
 * here it is clamped, which the Python reference mirrors.
 */
static inline int32_t te_softmax_row_scale(const te_softmax_params *p, const int8_t *row, int32_t depth,
                                           int32_t max, int out_bits, int *exponent)
{
    int32_t sum = 0;
    for (int32_t c = 0; c < depth; c++) {
        sum = te_fp_add(sum, te_fp_rescale(te_softmax_exp(p, (int32_t)row[c] - max), 0, TE_FP_ACCUM_BITS));
    }
    int bits_over_unit;
    const int32_t scale = te_fp_get_reciprocal(sum, TE_FP_ACCUM_BITS, &bits_over_unit);
    *exponent = TE_CLAMP(bits_over_unit + 31 - out_bits, 0, 31);
    return scale;
}

#endif /* TE_SOFTMAX_INTERNAL_H */
