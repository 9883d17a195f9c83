/*
 * Private loops of int8 MUL shared by te_mul_s8() and te_mul_broadcast_s8():
 * the output requantization in te_ew_fast.h's one-multiply form, unrolled by
 * four. Each element is read before it is written and no other is touched in
 * between, so an output equal to an input stays correct.
 */
#ifndef TE_MUL_FAST_H
#define TE_MUL_FAST_H

#include "te_elementwise_internal.h"
#include "te_ew_fast.h"

/* out[i] = clamp(rq((x[i] + off1) * (y[i] + off2))). */
TE_EW_INLINE void te_mul_vv(int32_t off1, int32_t off2, te_ew_rqf q, te_activation act, int full, int32_t n,
                            const int8_t *x, const int8_t *y, int8_t *o)
{
#define TE_MUL_VV(k) o[k] = te_ew_clamp8(te_ew_rqf_rq((x[k] + off1) * (y[k] + off2), q), act, full)
    TE_EW_UNROLL4(n, TE_MUL_VV);
#undef TE_MUL_VV
}

/* out[i] = clamp(rq((x[i] + off) * f)): one operand fixed along the row, its factor f hoisted. */
TE_EW_INLINE void te_mul_vs(int32_t off, int32_t f, te_ew_rqf q, te_activation act, int full, int32_t n,
                            const int8_t *x, int8_t *o)
{
    /* (x + off) * f = x * f + off * f: one multiply-accumulate an element. */
    const int32_t g = off * f;
#define TE_MUL_VS(k) o[k] = te_ew_clamp8(te_ew_rqf_rq(x[k] * f + g, q), act, full)
    TE_EW_UNROLL4(n, TE_MUL_VS);
#undef TE_MUL_VS
}

/* One row with steps 0 or 1 (te_ew_broadcast's rows, or a whole same-shape MUL); p passes te_mul_fast_ok(). */
static inline void te_mul_row_fast(const te_mul_params *p, int32_t n, const int8_t *in1, int32_t step1,
                                   const int8_t *in2, int32_t step2, int8_t *out)
{
    const te_ew_rqf q = te_ew_rqf_of(p->output_quant.multiplier, p->output_quant.shift, p->output_offset);
    const te_activation act = p->activation;
    const int full = te_ew_act_full(act);
    if (step1 != 0 && step2 != 0) {
        if (full) {
            te_mul_vv(p->input1_offset, p->input2_offset, q, act, 1, n, in1, in2, out);
        } else {
            te_mul_vv(p->input1_offset, p->input2_offset, q, act, 0, n, in1, in2, out);
        }
        return;
    }
    /* Multiplication commutes (the product is exact in int32), so either operand can be the fixed one. */
    const int8_t *x = step1 != 0 ? in1 : in2;
    const int32_t off = step1 != 0 ? p->input1_offset : p->input2_offset;
    const int32_t f = step1 != 0 ? in2[0] + p->input2_offset : in1[0] + p->input1_offset;
    if (step1 == 0 && step2 == 0) {
        for (int32_t i = 0; i < n; ++i) {
            out[i] = te_ew_mul_one(p, in1[0], in2[0]);
        }
        return;
    }
    if (full) {
        te_mul_vs(off, f, q, act, 1, n, x, out);
    } else {
        te_mul_vs(off, f, q, act, 0, n, x, out);
    }
}

static inline int te_mul_fast_ok(const te_mul_params *p)
{
    return te_ew_rqf_ok(p->output_quant.multiplier, p->output_quant.shift, p->output_offset);
}

#endif /* TE_MUL_FAST_H */
