/*
 * Depthwise convolution one channel at a time over a ring of int16 rows
 * (after MCUNet/TinyEngine's in-place depthwise): a channel's input rows are
 * gathered once from the strided NHWC data into K_h rows of int16, padding
 * included, so the multiply-accumulate loops read contiguous int16 pairs and
 * never test a border. The DSP path then does two MACs per SMLAD and two
 * neighbouring outputs per step (the taps as packed int16 pairs); the
 * portable path runs the same rows with int32 MACs.
 *
 * The rows hold the raw input x (the padding holds -input_offset), and the
 * input offset enters once per channel through the accumulator's start
 * value: sum (x + o) * w = sum x * w + o * sum w, with padding reading
 * x + o = 0. Kernels: te_depthwise_conv2d_inplace_s8 (ring in its scratch,
 * output written straight over the input) and te_depthwise_conv2d_s8 (ring
 * in the output's last rows, which are written last).
 */
#ifndef TE_DW_ROWS_H
#define TE_DW_ROWS_H

#include "te_conv_internal.h"
#include "te_mac_dsp.h"

/* Largest filter side the row kernels take (the weights live on the stack). */
#define TE_DW_KMAX 7
/* Outputs summed before they are requantized (stack int32s; even, see the pair kernels). */
#define TE_DW_CHUNK 64

/* int16 elements of one ring row: the pair kernels compute an even number of outputs and read one pair past. */
static inline int32_t te_dw_ring_width(int32_t out_w, int32_t stride_w, int32_t k_w)
{
    const int64_t owe = ((int64_t)out_w + 1) & ~(int64_t)1;
    const int64_t w = ((owe - 1) * stride_w + k_w + 2) & ~(int64_t)1;
    return w > INT32_MAX / 4 ? -1 : (int32_t)w;
}

/*
 * A 3x3 filter's ring interleaves its rows: column x of the three rows (and
 * a zero lane) are four neighbouring int16, so one LDRD gives a column and
 * the three rows need one pointer (the loop then keeps all taps in
 * registers). Other filters keep K_h separate rows.
 */
static inline int te_dw_interleaved(int32_t k_h, int32_t k_w) { return k_h == 3 && k_w == 3; }

/* Bytes of the ring, with 3 to align it to a word; -1 when too large. */
static inline int64_t te_dw_ring_bytes(int32_t k_h, int32_t out_w, int32_t stride_w, int32_t k_w)
{
    const int32_t rw = te_dw_ring_width(out_w, stride_w, k_w);
    return rw < 0 ? -1 : (int64_t)(te_dw_interleaved(k_h, k_w) ? 4 : k_h) * rw * 2 + 3;
}

/* Whether the row kernels take this geometry at all (dilation takes the per-tap loops). */
static inline int te_dw_rows_ok(int32_t k_h, int32_t k_w, te_tile dil)
{
    return dil.h == 1 && dil.w == 1 && k_h <= TE_DW_KMAX && k_w <= TE_DW_KMAX;
}

#if TE_DSP
#if TE_DSP_NATIVE
/* acc + lo(a) * hi(b) */
static inline int32_t te_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlabt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
/* acc + hi(a) * lo(b) */
static inline int32_t te_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
#else
static inline int32_t te_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane_lo(a) * te_lane_hi(b)));
}
static inline int32_t te_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane_hi(a) * te_lane_lo(b)));
}
#endif
#if TE_DSP_NATIVE
/* lo(a) * lo(b) + hi(a) * hi(b) */
static inline int32_t te_smuad(uint32_t a, uint32_t b)
{
    int32_t r;
    __asm__("smuad %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
static inline int32_t te_smuad(uint32_t a, uint32_t b) { return te_smlad(a, b, 0); }
#endif
/* Two words from a word-aligned ring address (one LDRD; GCC splits the memcpy form into two LDRs). */
#if TE_DSP_NATIVE
#define TE_DW_LD22(p, off, x, z) __asm__("ldrd %0, %1, [%2, %3]" : "=r"(x), "=r"(z) : "r"(p), "I"(2 * (off)), \
                                         "m"(*(const int16_t(*)[4])((p) + (off))))
#else
#define TE_DW_LD22(p, off, x, z)                                                                                       \
    do {                                                                                                               \
        (x) = te_dw_ld2((p) + (off));                                                                                  \
        (z) = te_dw_ld2((p) + (off) + 2);                                                                              \
    } while (0)
#endif
static inline uint32_t te_dw_pack(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16); }
static inline uint32_t te_dw_ld2(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
#endif

/* What one channel's rows need: the geometry and the channel's constants. */
typedef struct {
    const int8_t *in; /* input channel c, batch 0, pixel 0 */
    int32_t in_h, in_w, ch;
    int32_t out_h, out_w;
    int32_t k_h, k_w, s_h, s_w, p_h, p_w;
    int32_t in_off, out_off;
    te_activation act;
    int16_t *ring; /* k_h rows of rw int16, word aligned */
    int32_t rw;
} te_dw_rows;

/*
 * Requantization of one channel. With TF Lite's multiplier m in (2^30, 2^31)
 * and a right shift e >= 1, te_chq's single SMLAL form is
 * floor((a m + 2^30 + 2^(30+e) - [a < 0] 2^31) / 2^(31+e)). Doubling a (the
 * taps are stored doubled) makes every term but the sign's whole in the high
 * word: floor((hi(2a m + 2^31 + 2^(31+e) + z 2^(32+e)) - [a < 0]) / 2^e) is
 * the same value plus the output zero point z, and that high word is one
 * SMMLAR (rounding high multiply-accumulate) of 2a, m and 2^(e-1) + z 2^e.
 * So: SMMLAR, an add of a >> 31, a shift, a saturation. Taken when 2a and
 * the constant stay in range.
 */
typedef struct {
    int fast;
    int32_t m, e, hi0;
    te_chq q; /* the exact general form, for the other channels */
} te_dw_rq;

/* High word of (acc << 32) + a * m + 2^31 (SMMLAR). */
#if TE_DSP_NATIVE
static inline int32_t te_dw_smmlar(int32_t a, int32_t m, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(m), "r"(acc));
    return r;
}
#else
static inline int32_t te_dw_smmlar(int32_t a, int32_t m, int32_t acc)
{
    const uint64_t p = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * m) + 0x80000000u;
    return (int32_t)(uint32_t)(p >> 32);
}
#endif

static inline int32_t te_dw_rq_fast(int32_t a2, int32_t m, int32_t hi0, int32_t e)
{
    return (te_dw_smmlar(a2, m, hi0) + (a2 < 0 ? -1 : 0)) >> e;
}

/* n sums (plus init) requantized to out[0], out[step], ...: the fast form, no activation but int8's range. */
TE_NOINLINE static void te_dw_requant_full(const int32_t *acc, int32_t n, uint32_t init, int32_t m, int32_t hi0,
                                           int32_t e, int8_t *out, size_t step)
{
    size_t at = 0;
    int32_t i = 0;
    for (; i + 2 <= n; i += 2) {
        const int32_t v0 = te_dw_rq_fast((int32_t)((uint32_t)acc[i] + init), m, hi0, e);
        const int32_t v1 = te_dw_rq_fast((int32_t)((uint32_t)acc[i + 1] + init), m, hi0, e);
#if TE_DSP_NATIVE
        out[at] = (int8_t)__ssat(v0, 8);
        out[at + step] = (int8_t)__ssat(v1, 8);
#else
        out[at] = (int8_t)TE_CLAMP(v0, -128, 127);
        out[at + step] = (int8_t)TE_CLAMP(v1, -128, 127);
#endif
        at += 2 * step;
    }
    if (i < n) {
        const int32_t v = te_dw_rq_fast((int32_t)((uint32_t)acc[i] + init), m, hi0, e);
        out[at] = (int8_t)TE_CLAMP(v, -128, 127);
    }
}

/* The fast form with a clamp to [lo, hi]. */
TE_NOINLINE static void te_dw_requant_clamp(const int32_t *acc, int32_t n, uint32_t init, int32_t m, int32_t hi0,
                                            int32_t e, int32_t lo, int32_t hi, int8_t *out, size_t step)
{
    size_t at = 0;
    for (int32_t i = 0; i < n; ++i) {
        int32_t v = te_dw_rq_fast((int32_t)((uint32_t)acc[i] + init), m, hi0, e);
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        out[at] = (int8_t)v;
        at += step;
    }
}

/* Any multiplier and shift: te_chq's exact general form. */
TE_NOINLINE static void te_dw_requant_chq(const int32_t *acc, int32_t n, uint32_t init, const te_chq *qp,
                                          int32_t out_off, te_activation act, int8_t *out, size_t step)
{
    const te_chq q = *qp;
    size_t at = 0;
    for (int32_t i = 0; i < n; ++i) {
        out[at] = te_chq_out((int32_t)((uint32_t)acc[i] + init), q, out_off, act);
        at += step;
    }
}

static inline void te_dw_requant(const int32_t *acc, int32_t n, uint32_t init, const te_dw_rq *rq, int32_t out_off,
                                 te_activation act, int8_t *out, size_t step)
{
    if (!rq->fast) {
        te_dw_requant_chq(acc, n, init, &rq->q, out_off, act, out, step);
    } else if (act.min == -128 && act.max == 127) {
        te_dw_requant_full(acc, n, init, rq->m, rq->hi0, rq->e, out, step);
    } else {
        te_dw_requant_clamp(acc, n, init, rq->m, rq->hi0, rq->e, act.min, act.max, out, step);
    }
}

/* Gathers input row y of batch b (y may lie outside the image: all padding) into ring row dst, elements ds apart. */
static inline void te_dw_gather(const te_dw_rows *g, int32_t b, int32_t y, int16_t *dst, int32_t ds)
{
    const int16_t pad = (int16_t)-g->in_off;
    const int32_t rw = g->rw;
    int32_t i = 0;
    if (y >= 0 && y < g->in_h) {
        const int8_t *src = g->in + ((size_t)b * (size_t)g->in_h + (size_t)y) * (size_t)g->in_w * (size_t)g->ch;
        const size_t step = (size_t)g->ch;
        const int32_t lead = TE_MIN(g->p_w, rw);
        for (; i < lead; ++i) {
            dst[i * ds] = pad;
        }
        const int32_t end = (int32_t)TE_MIN((int64_t)g->p_w + g->in_w, (int64_t)rw);
        size_t at = 0;
        int16_t *d = dst + (size_t)i * (size_t)ds;
        for (; i + 4 <= end; i += 4) {
            d[0] = src[at];
            d[ds] = src[at + step];
            d[2 * ds] = src[at + 2 * step];
            d[3 * ds] = src[at + 3 * step];
            at += 4 * step;
            d += 4 * ds;
        }
        for (; i < end; ++i) {
            dst[i * ds] = src[at];
            at += step;
        }
    }
    for (; i < rw; ++i) {
        dst[i * ds] = pad;
    }
}

#if TE_DSP
/*
 * 3x3 on the interleaved ring, stride 1 or 2, two outputs a step. Column x
 * is the words (r0, r1) and (r2, 0); for tap column k, p[k] = (w0k, w1k) and
 * q[k] = (w2k, 0) with the filter rows already in ring-slot order. Sums
 * without the start value (added when requantizing), so that all six tap
 * words stay in registers.
 */
TE_NOINLINE static void te_dw_sums33_dsp(const int16_t *col, int32_t stride, int32_t n_pairs, const uint32_t *w,
                                         int32_t *acc)
{
    const uint32_t p0 = w[0], q0 = w[1], p1 = w[2], q1 = w[3], p2 = w[4], q2 = w[5];
    uint32_t x, z;
    if (stride == 1) {
        for (int32_t j = n_pairs; j > 0; --j) {
            TE_DW_LD22(col, 0, x, z);
            int32_t o0 = te_smuad(p0, x), o1;
            o0 = te_smlad(q0, z, o0);
            TE_DW_LD22(col, 4, x, z);
            o0 = te_smlad(p1, x, o0);
            o1 = te_smuad(p0, x);
            o0 = te_smlad(q1, z, o0);
            o1 = te_smlad(q0, z, o1);
            TE_DW_LD22(col, 8, x, z);
            o0 = te_smlad(p2, x, o0);
            o1 = te_smlad(p1, x, o1);
            o0 = te_smlad(q2, z, o0);
            o1 = te_smlad(q1, z, o1);
            TE_DW_LD22(col, 12, x, z);
            o1 = te_smlad(p2, x, o1);
            o1 = te_smlad(q2, z, o1);
            acc[0] = o0;
            acc[1] = o1;
            acc += 2;
            col += 8;
        }
        return;
    }
    for (int32_t j = n_pairs; j > 0; --j) {
        TE_DW_LD22(col, 0, x, z);
        int32_t o0 = te_smuad(p0, x), o1;
        o0 = te_smlad(q0, z, o0);
        TE_DW_LD22(col, 4, x, z);
        o0 = te_smlad(p1, x, o0);
        o0 = te_smlad(q1, z, o0);
        TE_DW_LD22(col, 8, x, z);
        o0 = te_smlad(p2, x, o0);
        o1 = te_smuad(p0, x);
        o0 = te_smlad(q2, z, o0);
        o1 = te_smlad(q0, z, o1);
        TE_DW_LD22(col, 12, x, z);
        o1 = te_smlad(p1, x, o1);
        o1 = te_smlad(q1, z, o1);
        TE_DW_LD22(col, 16, x, z);
        o1 = te_smlad(p2, x, o1);
        o1 = te_smlad(q2, z, o1);
        acc[0] = o0;
        acc[1] = o1;
        acc += 2;
        col += 16;
    }
}

/*
 * Any K_w <= 7, stride 1 or 2, two outputs a step. The taps of a filter row
 * as pairs e[q] = (w[2q], w[2q+1]) and, for stride 1, o[q] = (w[2q-1], w[2q])
 * (w outside [0, K_w) is 0); with x[q] the q-th int16 pair from the first
 * output's first column: stride 1: o0 = sum e[q].x[q], o1 = sum o[q].x[q];
 * stride 2: o0 = sum e[q].x[q], o1 = sum e[q].x[q+1].
 */
#if defined(__GNUC__) && !defined(__clang__)
#define TE_DW_UNROLL _Pragma("GCC unroll 4")
#else
#define TE_DW_UNROLL
#endif
static inline void te_dw_pairs_body(int16_t *const *rows, int32_t k_h, const int32_t nq, int32_t stride,
                                    int32_t n_pairs, const uint32_t *w, int32_t *acc)
{
    for (int32_t j = 0; j < n_pairs; ++j) {
        int32_t o0 = 0, o1 = 0;
        const int32_t at = 2 * j * stride;
        const uint32_t *wr = w;
        for (int32_t ky = 0; ky < k_h; ++ky, wr += 8) {
            const int16_t *p = rows[ky] + at;
            if (stride == 1) {
                TE_DW_UNROLL
                for (int32_t q = 0; q < nq; ++q) {
                    const uint32_t x = te_dw_ld2(p + 2 * q);
                    o0 = te_smlad(wr[2 * q], x, o0);
                    o1 = te_smlad(wr[2 * q + 1], x, o1);
                }
            } else {
                uint32_t x = te_dw_ld2(p);
                TE_DW_UNROLL
                for (int32_t q = 0; q < nq; ++q) {
                    const uint32_t y = te_dw_ld2(p + 2 * q + 2);
                    o0 = te_smlad(wr[2 * q], x, o0);
                    o1 = te_smlad(wr[2 * q], y, o1);
                    x = y;
                }
            }
        }
        acc[2 * j] = o0;
        acc[2 * j + 1] = o1;
    }
}

/* w[ky * 8 + 2q] = e[q], w[ky * 8 + 2q + 1] = o[q] of filter row ky. */
TE_NOINLINE static void te_dw_sums_pairs_dsp(int16_t *const *rows, int32_t k_h, int32_t nq, int32_t stride,
                                             int32_t n_pairs, const uint32_t *w, int32_t *acc)
{
    /* Constant trip counts, so that the compiler unrolls the pair loops. */
    if (nq == 3) {
        if (stride == 1) {
            te_dw_pairs_body(rows, k_h, 3, 1, n_pairs, w, acc);
        } else {
            te_dw_pairs_body(rows, k_h, 3, 2, n_pairs, w, acc);
        }
    } else if (nq == 4) {
        if (stride == 1) {
            te_dw_pairs_body(rows, k_h, 4, 1, n_pairs, w, acc);
        } else {
            te_dw_pairs_body(rows, k_h, 4, 2, n_pairs, w, acc);
        }
    } else {
        te_dw_pairs_body(rows, k_h, nq, stride, n_pairs, w, acc);
    }
}
#endif

/* Any geometry the rows take, one output at a time, int32 MACs (wrapping like the DSP's); columns cs apart. */
TE_NOINLINE static void te_dw_sums_c(int16_t *const *rows, int32_t cs, int32_t k_h, int32_t k_w, int32_t stride,
                                     int32_t n, const int32_t *w, int32_t *acc)
{
    if (k_h == 3 && k_w == 3) {
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
        const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
        const int32_t st = stride * cs;
        for (int32_t o = 0; o < n; ++o) {
            uint32_t a = (uint32_t)(r0[0] * w0) + (uint32_t)(r0[cs] * w1) + (uint32_t)(r0[2 * cs] * w2);
            a += (uint32_t)(r1[0] * w3) + (uint32_t)(r1[cs] * w4) + (uint32_t)(r1[2 * cs] * w5);
            a += (uint32_t)(r2[0] * w6) + (uint32_t)(r2[cs] * w7) + (uint32_t)(r2[2 * cs] * w8);
            acc[o] = (int32_t)a;
            r0 += st;
            r1 += st;
            r2 += st;
        }
        return;
    }
    for (int32_t o = 0; o < n; ++o) {
        uint32_t a = 0;
        const int32_t at = o * stride * cs;
        for (int32_t ky = 0; ky < k_h; ++ky) {
            const int16_t *p = rows[ky] + at;
            const int32_t *wr = w + ky * k_w;
            for (int32_t kx = 0; kx < k_w; ++kx) {
                a += (uint32_t)((int32_t)p[kx * cs] * wr[kx]);
            }
        }
        acc[o] = (int32_t)a;
    }
}

/*
 * Channel c (g->in already points at it; filter at its first tap, taps ch
 * apart) for the flattened output rows [row0, row1) (row b * out_h + oy),
 * written to out (output channel c of pixel 0) at steps of ch. Each input row
 * is gathered once per run of rows, into ring slot (y + P_h) mod K_h; the row
 * being written may overwrite input rows the ring already holds (the in-place
 * caller checks that).
 */
static void te_dw_rows_channel(const te_dw_rows *g, const int8_t *filter, const int32_t *bias,
                               const te_per_channel_quant *quant, int32_t c, int8_t *out, int32_t row0, int32_t row1)
{
    const int32_t k_h = g->k_h, k_w = g->k_w, ch = g->ch, rw = g->rw;
    const int il = te_dw_interleaved(k_h, k_w);
    /* Ring slot k: its first element, and the step between columns. */
    const int32_t cs = il ? 4 : 1, slot_step = il ? 1 : rw;
    int32_t w[TE_DW_KMAX * TE_DW_KMAX];
    int64_t w_sum = 0, w_abs = 0;
    for (int32_t t = 0; t < k_h * k_w; ++t) {
        w[t] = filter[(size_t)t * (size_t)ch];
        w_sum += w[t];
        w_abs += w[t] < 0 ? -w[t] : w[t];
    }
    te_dw_rq rq;
    rq.q = te_chq_of(bias, quant, c);
    rq.fast = 0;
    if (rq.q.mode == 0) {
        const int32_t e = rq.q.rsh + 1;
        const int64_t hi0 = ((int64_t)1 << (e - 1)) + (int64_t)g->out_off * ((int64_t)1 << e);
        const int64_t b = rq.q.bias;
        if (hi0 > -((int64_t)1 << 29) && hi0 < ((int64_t)1 << 29) &&
            (b < 0 ? -b : b) + 255 * w_abs < ((int64_t)1 << 30)) {
            rq.fast = 1;
            rq.m = rq.q.multiplier;
            rq.e = e;
            rq.hi0 = (int32_t)hi0;
        }
    }
    const int32_t scale = rq.fast ? 2 : 1;
    /* Added to every sum, wrapping like the sums: the input offset's share (and, doubled, the bias). */
    const uint32_t init = (uint32_t)scale * ((rq.fast ? (uint32_t)rq.q.bias : 0u) +
                                             (uint32_t)g->in_off * (uint32_t)(int32_t)w_sum);
    for (int32_t t = 0; t < k_h * k_w; ++t) {
        w[t] *= scale;
    }
    /* The DSP pair kernels take strides 1 and 2; the rest (and the portable build) the one-output loops. */
    const int pairs = TE_DSP && (g->s_w == 1 || g->s_w == 2);
#if TE_DSP
    uint32_t wpair[TE_DW_KMAX * 8];
    const int32_t nq = g->s_w == 1 ? k_w / 2 + 1 : (k_w + 1) / 2;
    if (pairs && !il) {
        for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t *wr = w + ky * k_w;
            for (int32_t q = 0; q < 4; ++q) {
                const int32_t i0 = 2 * q, i1 = 2 * q + 1, im = 2 * q - 1;
                wpair[ky * 8 + 2 * q] = te_dw_pack(i0 < k_w ? wr[i0] : 0, i1 < k_w ? wr[i1] : 0);
                wpair[ky * 8 + 2 * q + 1] = te_dw_pack(im >= 0 && im < k_w ? wr[im] : 0, i0 < k_w ? wr[i0] : 0);
            }
        }
    }
    /* w33[s]: the six tap words when ring slot 0 holds filter row s (the slots rotate down the image). */
    uint32_t w33[3][6];
    if (pairs && il) {
        for (int32_t s0 = 0; s0 < 3; ++s0) {
            static const int8_t next[5] = {0, 1, 2, 0, 1};
            const int32_t *a = w + 3 * s0, *b = w + 3 * next[s0 + 1], *d = w + 3 * next[s0 + 2];
            for (int32_t k = 0; k < 3; ++k) {
                w33[s0][2 * k] = te_dw_pack(a[k], b[k]);
                w33[s0][2 * k + 1] = te_dw_pack(d[k], 0);
            }
        }
    }
#endif
    int32_t acc[TE_DW_CHUNK];
    int16_t *rows[TE_DW_KMAX];
    int32_t wp[TE_DW_KMAX * TE_DW_KMAX];
    int32_t b_cur = -1, next_y = 0;
    for (int32_t r = row0; r < row1; ++r) {
        const int32_t b = r / g->out_h, oy = r - b * g->out_h;
        const int32_t y0 = oy * g->s_h - g->p_h;
        if (b != b_cur) {
            b_cur = b;
            next_y = y0;
        }
        for (int32_t y = TE_MAX(next_y, y0); y < y0 + k_h; ++y) {
            te_dw_gather(g, b, y, g->ring + (size_t)((y + g->p_h) % k_h) * (size_t)slot_step, cs);
        }
        next_y = TE_MAX(next_y, y0 + k_h);
        const int32_t rot = (y0 + g->p_h) % k_h; /* the slot of filter row 0 */
        if (!il) {
            for (int32_t k = 0, sl = rot; k < k_h; ++k, sl = sl + 1 == k_h ? 0 : sl + 1) {
                rows[k] = g->ring + (size_t)sl * (size_t)slot_step;
            }
        }
        /* Interleaved, the portable sums read the slots in order: the filter rows rotate instead. */
        const int32_t *wt = w;
        int16_t *slots[TE_DW_KMAX];
        if (il && !pairs) {
            for (int32_t k = 0; k < 3; ++k) {
                slots[k] = g->ring + k;
                for (int32_t kx = 0; kx < 3; ++kx) {
                    wp[((rot + k) % 3) * 3 + kx] = w[k * 3 + kx];
                }
            }
            wt = wp;
        }
        /* Indices, not a stepped pointer: one stepped past the last pixel would leave the array. */
        size_t o_at = (size_t)r * (size_t)g->out_w * (size_t)ch;
        for (int32_t o0 = 0; o0 < g->out_w; o0 += TE_DW_CHUNK) {
            const int32_t n = TE_MIN(TE_DW_CHUNK, g->out_w - o0);
            const size_t first = (size_t)o0 * (size_t)g->s_w * (size_t)cs;
            int16_t *at[TE_DW_KMAX];
            if (!il || !pairs) {
                for (int32_t k = 0; k < k_h; ++k) {
                    at[k] = (il ? slots[k] : rows[k]) + first;
                }
            }
#if TE_DSP
            if (pairs && il) {
                /* Slot 0 holds filter row (3 - rot) mod 3. */
                te_dw_sums33_dsp(g->ring + first, g->s_w, (n + 1) >> 1, w33[(3 - rot) % 3], acc);
            } else if (pairs) {
                te_dw_sums_pairs_dsp(at, k_h, nq, g->s_w, (n + 1) >> 1, wpair, acc);
            } else
#endif
            {
                te_dw_sums_c(at, cs, k_h, k_w, g->s_w, n, wt, acc);
            }
            te_dw_requant(acc, n, init, &rq, g->out_off, g->act, out + o_at, (size_t)ch);
            o_at += (size_t)n * (size_t)ch;
        }
    }
}

#endif /* TE_DW_ROWS_H */
