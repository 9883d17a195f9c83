/*
 * DSP inner kernels of the multiply-accumulate family: int8 rows widened to
 * int16 pairs on the fly (SXTB16 / SXTAB16, which also adds the input offset
 * to both lanes) and dual 16x16 multiply-accumulates (SMLAD).
 *
 * A word of four int8 x0..x3 becomes (x0, x2) and (x1, x3); the weights are
 * widened the same way, so lane order never needs fixing up: SMLAD sums
 * x0*w0 + x2*w2, then x1*w1 + x3*w3.
 */
#ifndef TE_MAC_DSP_H
#define TE_MAC_DSP_H

#include "../te_dsp.h"
#include "te_conv_internal.h"

/*
 * Requantization constants of one output channel, hoisted out of pixel
 * loops. For a right shift e >= 1 (and no left shift), with TF Lite's
 * multiplier m in (2^30, 2^31), both roundings become one 64-bit sum:
 * h = floor((s * m + 2^30) / 2^31) is the doubling high multiply, and
 * rounding h / 2^e half away from zero is floor((h + 2^(e-1) - [h < 0]) / 2^e);
 * nested floor divisions merge, so the result is
 * floor((s * m + 2^30 + 2^(30+e) - [h < 0] * 2^31) / 2^(31+e)), the high
 * word of that sum shifted right by e - 1. h < 0 exactly when s < 0 because
 * m > 2^30. One multiply-accumulate (SMLAL) and a shift instead of the
 * rounding masks. A left shift (e = 0) keeps floor((s * m + 2^30) / 2^31);
 * multipliers TF Lite does not make here (<= 2^30, shifts below -31) take
 * te_requantize itself.
 */
typedef struct {
    int32_t bias, multiplier, shift;
    uint32_t left;
    int32_t rsh; /* e - 1 */
    int64_t k;   /* 2^30 + 2^(30+e), or 2^30 when e = 0 */
    int32_t mode; /* 0: e >= 1, 1: e = 0, 2: te_requantize */
} te_chq;

static inline te_chq te_chq_of(const int32_t *bias, const te_per_channel_quant *quant, int32_t c)
{
    te_chq q;
    q.bias = te_bias_or0(bias, c);
    q.multiplier = quant->multiplier[c];
    q.shift = quant->shift[c];
    q.left = q.shift > 0 ? (uint32_t)q.shift : 0u;
    const int32_t right = q.shift > 0 ? 0 : -q.shift;
    if (q.multiplier <= (1 << 30) || right > 31) {
        q.mode = 2;
        q.rsh = 0;
        q.k = 0;
    } else if (right == 0) {
        q.mode = 1;
        q.rsh = 0;
        q.k = (int64_t)1 << 30;
    } else {
        q.mode = 0;
        q.rsh = right - 1;
        q.k = ((int64_t)1 << 30) + ((int64_t)1 << (30 + right));
    }
    return q;
}

/* te_requantize(acc + bias, multiplier, shift), bit for bit. */
static inline int32_t te_chq_rq(int32_t acc, te_chq q)
{
    acc = (int32_t)((uint32_t)acc + (uint32_t)q.bias);
    if (q.mode == 0) {
        const int64_t p = (int64_t)acc * q.multiplier + q.k - ((int64_t)((uint32_t)acc >> 31) << 31);
        return (int32_t)(p >> 32) >> q.rsh;
    }
    if (q.mode == 1) {
        const int32_t s = (int32_t)((uint32_t)acc << q.left);
        return (int32_t)(((int64_t)s * q.multiplier + q.k) >> 31);
    }
    return te_requantize(acc, q.multiplier, q.shift);
}

static inline int8_t te_chq_out(int32_t acc, te_chq q, int32_t out_off, te_activation act)
{
    int32_t out = (int32_t)((uint32_t)te_chq_rq(acc, q) + (uint32_t)out_off);
    out = TE_CLAMP(out, act.min, act.max);
    return (int8_t)out;
}

#if TE_DSP

/*
 * te_chq's one-SMLAL form with its constants folded further, for layers
 * where every channel has a right shift e in [2, 23] and a multiplier in
 * (2^30, 2^31) (te_rqf_layer_ok: what TF Lite's converter makes for
 * convolutions). With k = 2^30 + 2^(30+e) = 2^32 * 2^(e-2) + 2^30, the sign
 * term -[s < 0] * 2^31 only moves bit 31 of the low word and takes 1 from
 * the high one, so the 64-bit start value is (khi + (s >> 31)) : (2^30 |
 * (s & 2^31)): no 64-bit constant, no branch. The output offset rides in
 * the high word as out_off * 2^(e-1), which the final shift turns back into
 * out_off exactly: |high word| <= 2^30 + 2^29 for e <= 23, so nothing wraps.
 * Seven instructions an output with the store (AND, ORR, ADD, SMLAL, ASR,
 * SSAT, STRB) when the clamp is the whole int8 range.
 */
typedef struct {
    int32_t m;   /* multiplier */
    int32_t khi; /* 2^(e-2) + out_off * 2^(e-1) */
    int32_t rsh; /* e - 1 */
} te_rqf;

static inline int te_rqf_layer_ok(const te_per_channel_quant *quant, int32_t n)
{
    for (int32_t c = 0; c < n; ++c) {
        const int32_t sh = quant->shift[c];
        if (quant->multiplier[c] <= (1 << 30) || sh > -2 || sh < -23) {
            return 0;
        }
    }
    return 1;
}

static inline te_rqf te_rqf_of(const te_per_channel_quant *quant, int32_t c, int32_t out_off)
{
    te_rqf q;
    q.m = quant->multiplier[c];
    q.rsh = -quant->shift[c] - 1;
    q.khi = (int32_t)((uint32_t)(2 * out_off + 1) << (q.rsh - 1));
    return q;
}

/* te_requantize(s, m, shift) + out_off (s: the accumulator with its bias). */
static inline int32_t te_rqf_rq(int32_t s, te_rqf q)
{
    const uint32_t lo = ((uint32_t)s & 0x80000000u) | 0x40000000u;
    return te_smlal_hi(lo, q.khi + (s >> 31), s, q.m) >> q.rsh;
}

/* full: the clamp is [-128, 127] (one SSAT); the callers pass a constant so each variant compiles apart. */
static inline int8_t te_rqf_out(int32_t s, te_rqf q, te_activation act, int full)
{
    int32_t r = te_ssat8(te_rqf_rq(s, q));
    if (!full) {
        r = r < act.min ? act.min : r;
        r = r > act.max ? act.max : r;
    }
    return (int8_t)r;
}

static inline int te_act_full(te_activation act) { return act.min == -128 && act.max == 127; }

/* Four MACs of one int8 row word against two filter words: a0 += x.wa, a1 += x.wb. */
#if defined(__GNUC__)
#define TE_IS_ZERO(v) (__builtin_constant_p(v) && (v) == 0)
#else
#define TE_IS_ZERO(v) 0
#endif

/* Input bytes 0 and 2 / 1 and 3 plus the offset lanes; a constant zero offset (folded into the bias by the
 * caller) leaves a plain SXTB16 and one register free for the loop around. */
static TE_ALWAYS_INLINE uint32_t te_x02(uint32_t offp, uint32_t x)
{
    return TE_IS_ZERO(offp) ? te_sxtb16(x) : te_sxtab16(offp, x);
}

static TE_ALWAYS_INLINE uint32_t te_x13(uint32_t offp, uint32_t x)
{
    return TE_IS_ZERO(offp) ? te_sxtb16_ror8(x) : te_sxtab16_ror8(offp, x);
}

#define TE_MAC4_2(xv, offp, wa02, wa13, wb02, wb13, a0, a1)                                                            \
    do {                                                                                                               \
        const uint32_t x02_ = te_x02((offp), (xv));                                                                    \
        const uint32_t x13_ = te_x13((offp), (xv));                                                                    \
        (a0) = te_smlad(x02_, (wa02), (a0));                                                                           \
        (a1) = te_smlad(x02_, (wb02), (a1));                                                                           \
        (a0) = te_smlad(x13_, (wa13), (a0));                                                                           \
        (a1) = te_smlad(x13_, (wb13), (a1));                                                                           \
    } while (0)

/* The last k_len & 3 bytes of a row of k_len >= 4, at the bottom of a word with zeros above (in bounds). */
static inline uint32_t te_ld_tail(const int8_t *row_end, int32_t rem)
{
    return te_ld4(row_end - 4) >> (8 * (4 - rem));
}

/* One step of the 2x2 block: a word of each row against a word of each filter row. */
#define TE_MAC_2X2(xa, xb, wa, wb, offp, a00, a01, a10, a11)                                                           \
    do {                                                                                                               \
        const uint32_t wa02_ = te_sxtb16(wa), wa13_ = te_sxtb16_ror8(wa);                                              \
        const uint32_t wb02_ = te_sxtb16(wb), wb13_ = te_sxtb16_ror8(wb);                                              \
        TE_MAC4_2((xa), (offp), wa02_, wa13_, wb02_, wb13_, a00, a01);                                                 \
        TE_MAC4_2((xb), (offp), wa02_, wa13_, wb02_, wb13_, a10, a11);                                                 \
    } while (0)

/*
 * The 2x2 block: rows x0 and x0 + k_len (K int8 each: two output pixels'
 * im2col rows, or two neighbouring input pixels of a 1x1 convolution) times
 * filter rows w0 and w0 + k_len. Sums only; the input offset is added on the
 * fly. One stride for both pairs keeps every pointer of the loop in a register.
 * Eight bytes a turn (loop overhead matters for the 8..32-long rows of small
 * pointwise layers); a 1..3-byte tail is one more word step whose filter
 * bytes past the row are zeros, so whatever input bytes share the word
 * (offset or not) add nothing.
 */
static TE_ALWAYS_INLINE void te_dot_2x2_dsp(const int8_t *x0, const int8_t *w0, int32_t k_len, int32_t in_off,
                                            int32_t *acc)
{
    const uint32_t offp = te_dup16(in_off);
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int8_t *xp = x0, *wp = w0;
#define TE_2X2_STEP8()                                                                                                 \
    do {                                                                                                               \
        TE_MAC_2X2(te_ld4(xp), te_ld4(xp + k_len), te_ld4(wp), te_ld4(wp + k_len), offp, a00, a01, a10, a11);          \
        TE_MAC_2X2(te_ld4(xp + 4), te_ld4(xp + 4 + k_len), te_ld4(wp + 4), te_ld4(wp + 4 + k_len), offp, a00, a01,     \
                   a10, a11);                                                                                          \
        xp += 8;                                                                                                       \
        wp += 8;                                                                                                       \
    } while (0)
#if defined(__GNUC__) && !defined(__clang__)
    if (__builtin_constant_p(k_len) && k_len <= 64) {
        /* A row length the caller made a constant: no loop at all, every load at a fixed offset. */
#pragma GCC unroll 8
        for (int32_t n = k_len >> 3; n > 0; --n) {
            TE_2X2_STEP8();
        }
    } else
#endif
    {
        for (int32_t n = k_len >> 3; n > 0; --n) {
            TE_2X2_STEP8();
        }
    }
#undef TE_2X2_STEP8
    if (k_len & 4) {
        TE_MAC_2X2(te_ld4(xp), te_ld4(xp + k_len), te_ld4(wp), te_ld4(wp + k_len), offp, a00, a01, a10, a11);
    }
    const int32_t rem = k_len & 3;
    if (rem != 0 && k_len >= 4) {
        TE_MAC_2X2(te_ld_tail(x0 + k_len, rem), te_ld_tail(x0 + 2 * k_len, rem), te_ld_tail(w0 + k_len, rem),
                   te_ld_tail(w0 + 2 * k_len, rem), offp, a00, a01, a10, a11);
    } else {
        for (int32_t k = k_len & ~3; k < k_len; ++k) {
            const int32_t xa = (int32_t)x0[k] + in_off, xb = (int32_t)x0[k + k_len] + in_off;
            const int32_t wa = w0[k], wb = w0[k + k_len];
            a00 += xa * wa;
            a01 += xa * wb;
            a10 += xb * wa;
            a11 += xb * wb;
        }
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* One row against two filter rows (odd pixel, or a fully connected layer). w_off is added to the weights. */
static TE_ALWAYS_INLINE void te_dot_1x2_dsp(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t k_len,
                                            int32_t in_off, int32_t w_off, int32_t *acc0, int32_t *acc1)
{
    const uint32_t offp = te_dup16(in_off), woffp = te_dup16(w_off);
    int32_t a0 = *acc0, a1 = *acc1;
    int32_t k = 0;
#define TE_1X2_STEP(k_)                                                                                                \
    do {                                                                                                               \
        const uint32_t wa = te_ld4(w0 + (k_)), wb = te_ld4(w1 + (k_));                                                 \
        const uint32_t wa02 = te_sxtab16(woffp, wa), wa13 = te_sxtab16_ror8(woffp, wa);                                \
        const uint32_t wb02 = te_sxtab16(woffp, wb), wb13 = te_sxtab16_ror8(woffp, wb);                                \
        TE_MAC4_2(te_ld4(x + (k_)), offp, wa02, wa13, wb02, wb13, a0, a1);                                             \
    } while (0)
    /* Eight bytes a turn: a fully connected layer's rows are long, and the loop test costs like a MAC. */
    for (; k + 8 <= k_len; k += 8) {
        TE_1X2_STEP(k);
        TE_1X2_STEP(k + 4);
    }
    if (k + 4 <= k_len) {
        TE_1X2_STEP(k);
        k += 4;
    }
#undef TE_1X2_STEP
    if (k < k_len && k_len >= 4 && w_off == 0) {
        /* As in te_dot_2x2_dsp: zero filter bytes past the row cancel whatever input bytes share the word. */
        const int32_t rem = k_len - k;
        const uint32_t wa = te_ld_tail(w0 + k_len, rem), wb = te_ld_tail(w1 + k_len, rem);
        TE_MAC4_2(te_ld_tail(x + k_len, rem), offp, te_sxtb16(wa), te_sxtb16_ror8(wa), te_sxtb16(wb),
                  te_sxtb16_ror8(wb), a0, a1);
        k = k_len;
    }
    for (; k < k_len; ++k) {
        const int32_t xv = (int32_t)x[k] + in_off;
        a0 += xv * ((int32_t)w0[k] + w_off);
        a1 += xv * ((int32_t)w1[k] + w_off);
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* One row against one filter row. */
static TE_ALWAYS_INLINE int32_t te_dot_1x1_dsp(const int8_t *x, const int8_t *w, int32_t k_len, int32_t in_off,
                                               int32_t w_off, int32_t acc)
{
    const uint32_t offp = te_dup16(in_off), woffp = te_dup16(w_off);
    int32_t k = 0;
    for (; k + 4 <= k_len; k += 4) {
        const uint32_t wv = te_ld4(w + k), xv = te_ld4(x + k);
        acc = te_smlad(te_sxtab16(offp, xv), te_sxtab16(woffp, wv), acc);
        acc = te_smlad(te_sxtab16_ror8(offp, xv), te_sxtab16_ror8(woffp, wv), acc);
    }
    for (; k < k_len; ++k) {
        acc += ((int32_t)x[k] + in_off) * ((int32_t)w[k] + w_off);
    }
    return acc;
}

/*
 * All C_out outputs of one or two pixels: rows x0 (and x1 = x0 + k_len when
 * n_pix == 2) of k_len int8 against the filter [C_out, k_len]; writes out0
 * (and out1).
 */
static inline void te_matmul_rows_dsp(const int8_t *x0, int n_pix, const int8_t *filter,
                                      int32_t k_len, int32_t out_c, int32_t in_off, const int32_t *bias,
                                      const te_per_channel_quant *quant, int32_t out_off, te_activation act,
                                      int8_t *out0, int8_t *out1)
{
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const int8_t *w0 = filter + (size_t)oc * k_len;
        const int8_t *w1 = w0 + k_len;
        const int32_t b0 = te_bias_or0(bias, oc), b1 = te_bias_or0(bias, oc + 1);
        const int32_t m0 = quant->multiplier[oc], m1 = quant->multiplier[oc + 1];
        const int32_t s0 = quant->shift[oc], s1 = quant->shift[oc + 1];
        if (n_pix == 2) {
            int32_t acc[4] = {b0, b1, b0, b1};
            te_dot_2x2_dsp(x0, w0, k_len, in_off, acc);
            out0[oc] = te_mac_out(acc[0], m0, s0, out_off, act);
            out0[oc + 1] = te_mac_out(acc[1], m1, s1, out_off, act);
            out1[oc] = te_mac_out(acc[2], m0, s0, out_off, act);
            out1[oc + 1] = te_mac_out(acc[3], m1, s1, out_off, act);
        } else {
            int32_t a0 = b0, a1 = b1;
            te_dot_1x2_dsp(x0, w0, w1, k_len, in_off, 0, &a0, &a1);
            out0[oc] = te_mac_out(a0, m0, s0, out_off, act);
            out0[oc + 1] = te_mac_out(a1, m1, s1, out_off, act);
        }
    }
    if (oc < out_c) {
        const int8_t *w = filter + (size_t)oc * k_len;
        const int32_t b = te_bias_or0(bias, oc), m = quant->multiplier[oc], sh = quant->shift[oc];
        out0[oc] = te_mac_out(te_dot_1x1_dsp(x0, w, k_len, in_off, 0, b), m, sh, out_off, act);
        if (n_pix == 2) {
            out1[oc] = te_mac_out(te_dot_1x1_dsp(x0 + k_len, w, k_len, in_off, 0, b), m, sh, out_off, act);
        }
    }
}

/*
 * te_matmul_rows_dsp for a te_rqf_layer_ok layer: the constants of each
 * channel pair are made once per one or two pixels. full as in te_rqf_out.
 */
static inline void te_matmul_rows_rqf(const int8_t *x0, int n_pix, const int8_t *filter, int32_t k_len,
                                      int32_t out_c, int32_t in_off, const int32_t *bias,
                                      const te_per_channel_quant *quant, int32_t out_off, te_activation act,
                                      int full, int8_t *out0, int8_t *out1)
{
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const int8_t *w0 = filter + (size_t)oc * k_len;
        const int32_t b0 = te_bias_or0(bias, oc), b1 = te_bias_or0(bias, oc + 1);
        const te_rqf q0 = te_rqf_of(quant, oc, out_off), q1 = te_rqf_of(quant, oc + 1, out_off);
        if (n_pix == 2) {
            int32_t acc[4] = {b0, b1, b0, b1};
            te_dot_2x2_dsp(x0, w0, k_len, in_off, acc);
            out0[oc] = te_rqf_out(acc[0], q0, act, full);
            out0[oc + 1] = te_rqf_out(acc[1], q1, act, full);
            out1[oc] = te_rqf_out(acc[2], q0, act, full);
            out1[oc + 1] = te_rqf_out(acc[3], q1, act, full);
        } else {
            int32_t a0 = b0, a1 = b1;
            te_dot_1x2_dsp(x0, w0, w0 + k_len, k_len, in_off, 0, &a0, &a1);
            out0[oc] = te_rqf_out(a0, q0, act, full);
            out0[oc + 1] = te_rqf_out(a1, q1, act, full);
        }
    }
    if (oc < out_c) {
        const int8_t *w = filter + (size_t)oc * k_len;
        const int32_t b = te_bias_or0(bias, oc);
        const te_rqf q = te_rqf_of(quant, oc, out_off);
        out0[oc] = te_rqf_out(te_dot_1x1_dsp(x0, w, k_len, in_off, 0, b), q, act, full);
        if (n_pix == 2) {
            out1[oc] = te_rqf_out(te_dot_1x1_dsp(x0 + k_len, w, k_len, in_off, 0, b), q, act, full);
        }
    }
}

/*
 * Requantization of a doubled accumulator S = 2 s (te_rqd, te_dsp.h), for
 * layers whose every channel has a right shift e in [1, 23], a multiplier m
 * in (2^30, 2^31) and accumulators bounded by |s| < 2^29 (te_rqd_layer_ok).
 * Four instructions an output before the clamp (ADD with the sign, SMMLAR,
 * ASR, SSAT) instead of six; the doubling itself is free where one operand
 * is widened once and reused (its int16 lanes hold 2w, at most 256 in
 * magnitude).
 */

#if TE_DSP_NATIVE

/* Lane-wise a + b of two int16 pairs (SADD16). */
static inline uint32_t te_sadd16(uint32_t a, uint32_t b) { return (uint32_t)__sadd16((int16x2_t)a, (int16x2_t)b); }
#else
static inline uint32_t te_sadd16(uint32_t a, uint32_t b)
{
    return ((a + b) & 0xFFFFu) | (((a >> 16) + (b >> 16)) << 16);
}
#endif

/* Whether every channel of a layer with k_len-long rows and this bias takes te_rqd (see above). */
static inline int te_rqd_layer_ok(const te_per_channel_quant *quant, const int32_t *bias, int32_t n, int32_t k_len)
{
    /* |s| <= |bias| + k_len * 255 * 128 must stay below 2^29. */
    if (k_len <= 0 || k_len >= (1 << 29) / 32640) {
        return 0;
    }
    const int32_t bmax = (1 << 29) - 1 - k_len * 32640;
    for (int32_t c = 0; c < n; ++c) {
        const int32_t sh = quant->shift[c];
        if (quant->multiplier[c] <= (1 << 30) || sh > -1 || sh < -23) {
            return 0;
        }
        if (bias != NULL && (bias[c] > bmax || bias[c] < -bmax)) {
            return 0;
        }
    }
    return 1;
}

static inline te_rqd te_rqd_of(const te_per_channel_quant *quant, int32_t c, int32_t out_off)
{
    return te_rqd_make(quant->multiplier[c], quant->shift[c], out_off);
}

/* Two neighbouring outputs (channels c, c + 1 of one pixel), clamped; full as in te_rqf_out. */
static TE_ALWAYS_INLINE void te_rqd_st2(int8_t *out, int32_t s0, int32_t s1, te_rqd q0, te_rqd q1, te_activation act,
                                        int full)
{
    int32_t v0 = te_ssat8(te_rqd_rq(s0, q0)), v1 = te_ssat8(te_rqd_rq(s1, q1));
    if (!full) {
        v0 = v0 < act.min ? act.min : v0;
        v0 = v0 > act.max ? act.max : v0;
        v1 = v1 < act.min ? act.min : v1;
        v1 = v1 > act.max ? act.max : v1;
    }
    out[0] = (int8_t)v0;
    out[1] = (int8_t)v1;
}

#endif /* TE_DSP */

#endif /* TE_MAC_DSP_H */
