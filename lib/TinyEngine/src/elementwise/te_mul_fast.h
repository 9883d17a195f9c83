/*
 * Private loops of int8 MUL shared by te_mul_s8() and te_mul_broadcast_s8():
 * the output requantization in te_ew_fast.h's one-multiply form, unrolled by
 * four. Each element is read before it is written and no other is touched in
 * between, so an output equal to an input stays correct.
 */
#ifndef TE_MUL_FAST_H
#define TE_MUL_FAST_H

#include "te_dsp.h"
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

/*
 * Squeeze-and-excite MUL: a [..., C] tensor times a per-channel [1, ..., 1, C]
 * operand. The per-channel factor f = y[c] + off_y is fixed down a channel, so
 * the kernel runs channel by channel over the pixels (stride C) with f and
 * off_x * f in registers, and requantizes the doubled product 2s =
 * x * 2f + 2 off_x f (one MLA) with te_rqd (te_dsp.h): an add of the sign,
 * one SMMLAR, a shift, a saturation. About 8 instructions an element on the
 * M7 in place (seven, plus the strided addressing and each channel's set-up;
 * 8.5 out of place) against 14.5 for the per-pixel rows.
 */

/*
 * Where the form is exact: m > 2^30 (so hi < 0 exactly when s < 0, as in te_ew_rqf), a right shift. With
 * |s| <= 383^2 (offsets in [-255, 255]) the high word moves k by under 2^19, and |k| + 2^19 < 2^31
 * for e <= 23 and |out_off| <= 255, so SMMLAR's high word never wraps.
 */
static inline int te_mul_se_ok(const te_mul_params *p)
{
    return p->output_quant.multiplier > (1 << 30) && p->output_quant.shift <= -1 && p->output_quant.shift >= -23 &&
           p->output_offset >= -255 && p->output_offset <= 255;
}

/* Saturation to the activation's range; `full` when it is all of int8 (one SSAT). */
static inline int8_t te_mul_se_clamp8(int32_t v, te_activation act, int full)
{
    if (full) {
        return (int8_t)te_ew_sat8(v);
    }
    v = v < act.min ? act.min : v;
    v = v > act.max ? act.max : v;
    return (int8_t)v;
}

/*
 * One channel: o[k * stride] = clamp(rq(x[k * stride] * f2 + g2)) for k in [0, n); f2, g2 the doubled
 * factors. Four pixels a step, at offsets 0, s, 2s, 3s held in registers beside the seven constants.
 * `inplace` (a constant at each call) when o == x: one pointer then, which frees the register that
 * keeps the step from spilling (the code generator runs MUL in place).
 */
TE_EW_INLINE void te_mul_se_channel(const int8_t *x, int8_t *o, int32_t stride, int32_t n, int32_t f2, int32_t g2,
                                    te_rqd q, te_activation act, int full, int inplace)
{
    const int32_t s2 = 2 * stride, s3 = 3 * stride;
    const int8_t *in = inplace ? o : x;
    /* Each element is read before it is written, so o == x stays correct. */
    for (int32_t k = n >> 2; k > 0; --k) {
        const int32_t a0 = in[0] * f2 + g2;
        const int32_t a1 = in[stride] * f2 + g2;
        o[0] = te_mul_se_clamp8(te_rqd_rq(a0, q), act, full);
        o[stride] = te_mul_se_clamp8(te_rqd_rq(a1, q), act, full);
        const int32_t a2 = in[s2] * f2 + g2;
        const int32_t a3 = in[s3] * f2 + g2;
        o[s2] = te_mul_se_clamp8(te_rqd_rq(a2, q), act, full);
        o[s3] = te_mul_se_clamp8(te_rqd_rq(a3, q), act, full);
        if (!inplace) {
            in += 4 * stride;
        }
        o += 4 * stride;
        if (inplace) {
            in = o;
        }
    }
    for (int32_t k = n & 3; k > 0; --k) {
        *o = te_mul_se_clamp8(te_rqd_rq(*in * f2 + g2, q), act, full);
        in += stride;
        o += stride;
    }
}

/*
 * out[p][c] = MUL(x[p][c], y[c]) for n_pix pixels of n_ch channels; x is the operand with offset off_x, y the
 * per-channel one with off_y; p passes te_mul_se_ok(). out may equal x (`inplace` says it does).
 */
TE_EW_INLINE void te_mul_se_all(const te_mul_params *p, int32_t n_pix, int32_t n_ch, const int8_t *x, int32_t off_x,
                                const int8_t *y, int32_t off_y, int8_t *out, int full, int inplace)
{
    const te_rqd q = te_rqd_make(p->output_quant.multiplier, p->output_quant.shift, p->output_offset);
    for (int32_t c = 0; c < n_ch; ++c) {
        /* |2f| <= 766 and |2 off_x f| <= 2 * 255 * 383: the doubled product stays far inside int32. */
        const int32_t f2 = 2 * (y[c] + off_y);
        te_mul_se_channel(x + c, out + c, n_ch, n_pix, f2, off_x * f2, q, p->activation, full, inplace);
    }
}

#endif /* TE_MUL_FAST_H */
