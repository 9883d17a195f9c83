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
 * x + o = 0 (with the bias, doubled for the fast requantization, in the
 * same start value). Kernels: te_depthwise_conv2d_inplace_s8 (ring in its
 * scratch, output written straight over the input) and
 * te_depthwise_conv2d_s8 (ring in the output's last rows, which are written
 * last). On the DSP path a ring of at most TE_DW_STACK_RING bytes lives on
 * the stack instead: no rows left to slower loops, and in place no ring
 * bounded by the one-channel scratch promise.
 *
 * On the DSP path the row loops (te_dw_rows33_channel, te_dw_rowsk_channel)
 * pay as little as possible per row, as rows of 12 to 48 outputs made the
 * set-up cost as much as the sums: padding columns written once per channel,
 * one filter row at a time over the whole row for the separate-row ring, a
 * row's sums and requantization in one call. Maps of up to 12 outputs a
 * row and 13 (stride 2) to 26 rows (3x3) take te_dw_plane_layer instead:
 * the channel's whole padded input on the stack, no ring at all.
 *
 * Where GCC's allocation spilled in the hot loops (Thumb-2 builds), they are
 * inline assembly with a C twin that the host runs (TE_EMULATE_DSP): the 3x3
 * ring sums, the plane's unrolled rows, the four-output requantization.
 * test_dw_asm_boards.py runs every assembly specialisation on an emulated
 * board.
 */
#ifndef TE_DW_ROWS_H
#define TE_DW_ROWS_H

#include "te_conv_internal.h"
#include "te_mac_dsp.h"

/* The Thumb-2 assembly loops (their C twins run everywhere else, the host's DSP emulation included). */
#if TE_DSP_NATIVE && defined(__thumb2__)
#define TE_DW_ASM 1
#else
#define TE_DW_ASM 0
#endif

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
    int plain; /* a 3x3 ring in K_h separate rows (where the interleaved one does not fit) */
} te_dw_rows;

/* Plane sizes of te_dw_plane_layer (small maps, see there). */
#define TE_DW_PL_PITCH 26
#define TE_DW_PL_ROWS 28
/* The assembly's row offsets (bytes): one and two plane rows. */
#define TE_DW_PL_R1 "52"
#define TE_DW_PL_R2 "104"
typedef char te_dw_pl_offsets_match_pitch[TE_DW_PL_PITCH * 2 == 52 ? 1 : -1];
#define TE_DW_PL_ACC 64
/* Outputs a row at most: the unrolled assembly rows go to 6 pairs (wider rows run faster on the ring). */
#define TE_DW_PL_MAX_W 12

/* Columns a plane row needs: the pair loops compute an even number of outputs and read a pair past. */
static inline int32_t te_dw_plane_cols(int32_t out_w, int32_t s_w)
{
    const int32_t pairs = (out_w + 1) >> 1;
    return s_w == 1 ? 2 * pairs + 2 : 4 * pairs + 2;
}

/* Whether the plane kernels take this layer (depth multiplier 1 is the caller's). */
static inline int te_dw_plane_ok(int32_t k_h, int32_t k_w, te_tile stride, te_tile dil, int32_t out_h, int32_t out_w)
{
    /*
     * Below that many outputs a channel the per-channel set-up outweighs what
     * the plane saves: four channels at a time. At stride 1 even a 3x3 map
     * gains (mobilenetv1's last layer 10.0 -> 8.5 instructions/MAC on the
     * M7), at stride 2 (four times the gather per output) it loses below 16.
     */
    const int64_t min_out = stride.w == 1 && stride.h == 1 ? 4 : 16;
    return k_h == 3 && k_w == 3 && dil.h == 1 && dil.w == 1 && (stride.w == 1 || stride.w == 2) && stride.h >= 1 &&
           stride.h <= 2 && out_w <= TE_DW_PL_MAX_W && (int64_t)out_h * out_w >= min_out &&
           (int64_t)(out_h - 1) * stride.h + 3 <= TE_DW_PL_ROWS && te_dw_plane_cols(out_w, stride.w) <= TE_DW_PL_PITCH;
}


/*
 * The row kernels live in te_depthwise_conv2d_s8.c (TE_DW_ROWS_DEFINE);
 * the in-place kernel calls the same copies, so they are in the firmware
 * once.
 */
void te_dw_rows_channel(const te_dw_rows *g, const int8_t *filter, const int32_t *bias,
                        const te_per_channel_quant *quant, int32_t c, int8_t *out, int32_t row0, int32_t row1);
#if TE_DSP
void te_dw_plane_layer(const te_dw_rows *g, int32_t n, const int8_t *filter, const int32_t *bias,
                       const te_per_channel_quant *quant, int8_t *out);
#endif

/*
 * Largest ring kept on the stack (bytes, the +3 of alignment included):
 * rows of up to ~60 outputs (3x3, stride 2). Below it a layer needs no
 * ring anywhere else: no rows left to a slower path because the output's
 * tail held the ring, no ring too large for the in-place scratch promise.
 * The 8 KiB stack every board reserves has room (the plane path's frame is
 * of the same size).
 */
#define TE_DW_STACK_RING 1024

/*
 * Every channel of a layer through the row kernels with the ring on the
 * stack (g->ring, g->rw and g->plain are set here); out = output channel 0
 * of pixel 0. In place (out == g->in) where te_dw_rows_channel allows it.
 */
void te_dw_rows_layer_stack(te_dw_rows *g, int32_t n, const int8_t *filter, const int32_t *bias,
                            const te_per_channel_quant *quant, int8_t *out);

#ifdef TE_DW_ROWS_DEFINE
/*
 * Requantization of one channel: te_rqd's one-SMMLAR form on the doubled sum
 * (te_dsp.h; the taps are stored doubled), taken when 2a and the constant
 * stay in range, else te_chq's exact general form.
 */
typedef struct {
    int fast;
    te_rqd r; /* the fast form's constants */
    te_chq q; /* the exact general form, for the other channels */
    uint32_t init; /* every sum's start value (te_dw_chan_prep) */
    int32_t out_off;
    te_activation act;
    int mode; /* 0: fast, int8's whole range; 1: fast with a clamp; 2: te_chq */
} te_dw_rq;

/* n sums (rq->init included) requantized to out[0], out[step], ...: the fast form, no activation but int8's range. */
static TE_ALWAYS_INLINE void te_dw_requant_full_body(const int32_t *acc, int32_t n, const te_dw_rq *rq, int8_t *out,
                                                     size_t step)
{
    const te_rqd r = rq->r;
    int32_t i = 0;
#if TE_DW_ASM
    /*
     * Four outputs a step, 6.5 instructions each: GCC's loop reloaded the
     * constants and indexed the sums (8 each), and rows of 6 to 48 outputs
     * a call made its set-up count as much again.
     */
    if (n >= 4) {
        const int32_t *end = acc + (n & ~3);
        int32_t a0, a1, a2, a3, t;
        __asm__ volatile("1:\n\t"
                         "ldrd   %[a0], %[a1], [%[acc]], #16\n\t"
                         "ldrd   %[a2], %[a3], [%[acc], #-8]\n\t"
                         "smmlar %[t], %[a0], %[m], %[k]\n\t"
                         "sub    %[a0], %[t], %[a0], lsr #31\n\t"
                         "smmlar %[t], %[a1], %[m], %[k]\n\t"
                         "sub    %[a1], %[t], %[a1], lsr #31\n\t"
                         "smmlar %[t], %[a2], %[m], %[k]\n\t"
                         "sub    %[a2], %[t], %[a2], lsr #31\n\t"
                         "smmlar %[t], %[a3], %[m], %[k]\n\t"
                         "sub    %[a3], %[t], %[a3], lsr #31\n\t"
                         "asr    %[a0], %[a0], %[e]\n\t"
                         "asr    %[a1], %[a1], %[e]\n\t"
                         "asr    %[a2], %[a2], %[e]\n\t"
                         "asr    %[a3], %[a3], %[e]\n\t"
                         "ssat   %[a0], #8, %[a0]\n\t"
                         "ssat   %[a1], #8, %[a1]\n\t"
                         "ssat   %[a2], #8, %[a2]\n\t"
                         "ssat   %[a3], #8, %[a3]\n\t"
                         "strb   %[a0], [%[out]]\n\t"
                         "strb   %[a1], [%[out], %[step]]\n\t"
                         "add    %[out], %[out], %[step], lsl #1\n\t"
                         "strb   %[a2], [%[out]]\n\t"
                         "strb   %[a3], [%[out], %[step]]\n\t"
                         "add    %[out], %[out], %[step], lsl #1\n\t"
                         "cmp    %[acc], %[end]\n\t"
                         "bne    1b"
                         : [acc] "+r"(acc), [out] "+r"(out), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2),
                           [a3] "=&r"(a3), [t] "=&r"(t)
                         : [m] "r"(r.m), [k] "r"(r.k), [e] "r"(r.e), [step] "r"(step), [end] "r"(end)
                         : "cc", "memory");
        n &= 3;
    }
#endif
    size_t at = 0;
    for (; i < n; ++i) {
        const int32_t v = te_rqd_rq(acc[i], r);
        out[at] = (int8_t)TE_CLAMP(v, -128, 127);
        at += step;
    }
}

TE_NOINLINE static void te_dw_requant_full(const int32_t *acc, int32_t n, const te_dw_rq *rq, int8_t *out, size_t step)
{
    te_dw_requant_full_body(acc, n, rq, out, step);
}

/* The fast form with the activation's clamp. */
TE_NOINLINE static void te_dw_requant_clamp(const int32_t *acc, int32_t n, const te_dw_rq *rq, int8_t *out,
                                            size_t step)
{
    const te_rqd r = rq->r;
    const int32_t lo = rq->act.min, hi = rq->act.max;
    size_t at = 0;
    for (int32_t i = 0; i < n; ++i) {
        int32_t v = te_rqd_rq(acc[i], r);
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        out[at] = (int8_t)v;
        at += step;
    }
}

/* Any multiplier and shift: te_chq's exact general form. */
TE_NOINLINE static void te_dw_requant_chq(const int32_t *acc, int32_t n, const te_dw_rq *rq, int8_t *out, size_t step)
{
    const te_chq q = rq->q;
    const int32_t out_off = rq->out_off;
    const te_activation act = rq->act;
    size_t at = 0;
    for (int32_t i = 0; i < n; ++i) {
        out[at] = te_chq_out(acc[i], q, out_off, act);
        at += step;
    }
}

/* Every constant rides in rq: four register arguments, none on the stack. */
static inline void te_dw_requant(const int32_t *acc, int32_t n, const te_dw_rq *rq, int8_t *out, size_t step)
{
    if (rq->mode == 0) {
        te_dw_requant_full(acc, n, rq, out, step);
    } else if (rq->mode == 1) {
        te_dw_requant_clamp(acc, n, rq, out, step);
    } else {
        te_dw_requant_chq(acc, n, rq, out, step);
    }
}

/*
 * Channel c's taps (filter at its first tap, taps ch apart) into w, scaled
 * for the requantization rq chooses, and rq->init: every sum's start value
 * (wrapping like the sums): the input offset's share and, for the fast
 * form, the bias, both doubled with the taps.
 */
static void te_dw_chan_prep(const int8_t *filter, int32_t n_taps, int32_t ch, const int32_t *bias,
                            const te_per_channel_quant *quant, int32_t c, int32_t in_off, int32_t out_off,
                            te_activation act, int32_t *w, te_dw_rq *rq)
{
    rq->q = te_chq_of(bias, quant, c);
    rq->fast = 0;
    if (rq->q.mode == 0) {
        const int32_t e = rq->q.rsh + 1;
        const int64_t hi0 = ((int64_t)1 << (e - 1)) + (int64_t)out_off * ((int64_t)1 << e);
        const int64_t b = rq->q.bias;
        /*
         * 2a must stay in int32: |a| <= |b| + 255 * sum |w|, bounded by 128 per
         * tap, so that the taps are read once (a tighter sum would only matter
         * for biases within ~2^23 of 2^30, which TF Lite does not make).
         */
        if (hi0 > -((int64_t)1 << 29) && hi0 < ((int64_t)1 << 29) &&
            (b < 0 ? -b : b) + 255 * 128 * (int64_t)n_taps < ((int64_t)1 << 30)) {
            rq->fast = 1;
            rq->r.m = rq->q.multiplier;
            rq->r.e = e;
            rq->r.k = (int32_t)hi0;
        }
    }
    const int32_t sh = rq->fast; /* the fast form's taps are doubled */
    int32_t w_sum = 0;
    const int8_t *f = filter;
    for (int32_t t = 0; t < n_taps; ++t) {
        const int32_t v = (int32_t)*f * (1 << sh);
        w[t] = v;
        w_sum += v;
        f += ch;
    }
    rq->init = ((rq->fast ? (uint32_t)rq->q.bias : 0u) << sh) + (uint32_t)in_off * (uint32_t)w_sum;
    rq->out_off = out_off;
    rq->act = act;
    rq->mode = !rq->fast ? 2 : act.min == -128 && act.max == 127 ? 0 : 1;
}

/*
 * n input bytes `step` apart widened into dst, ds int16 apart. A constant ds
 * (each caller passes a literal) lets the stores take immediate offsets:
 * one load and one store an element, the loop's own cost spread over four.
 */
static TE_ALWAYS_INLINE void te_dw_widen(const int8_t *src, size_t step, int16_t *dst, int32_t n, const int32_t ds)
{
    size_t at = 0;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int8_t *s = src + at;
        const int16_t v0 = s[0], v1 = s[step], v2 = s[2 * step], v3 = s[3 * step];
        dst[i * ds] = v0;
        dst[(i + 1) * ds] = v1;
        dst[(i + 2) * ds] = v2;
        dst[(i + 3) * ds] = v3;
        at += 4 * step;
    }
    for (; i < n; ++i) {
        dst[i * ds] = src[at];
        at += step;
    }
}

/* Gathers input row y of batch b (y may lie outside the image: all padding) into ring row dst, elements ds apart. */
static TE_ALWAYS_INLINE void te_dw_gather(const te_dw_rows *g, int32_t b, int32_t y, int16_t *dst, const int32_t ds)
{
    const int16_t pad = (int16_t)-g->in_off;
    const int32_t rw = g->rw;
    int32_t i = 0;
    if (y >= 0 && y < g->in_h) {
        const int8_t *src = g->in + ((size_t)b * (size_t)g->in_h + (size_t)y) * (size_t)g->in_w * (size_t)g->ch;
        const int32_t lead = TE_MIN(g->p_w, rw);
        for (; i < lead; ++i) {
            dst[i * ds] = pad;
        }
        const int32_t end = (int32_t)TE_MIN((int64_t)g->p_w + g->in_w, (int64_t)rw);
        if (end > i) {
            te_dw_widen(src, (size_t)g->ch, dst + (size_t)i * (size_t)ds, end - i, ds);
            i = end;
        }
    }
    for (; i < rw; ++i) {
        dst[i * ds] = pad;
    }
}

#if TE_DSP
/*
 * 3x3 on the interleaved ring, stride 1 or 2, two outputs a step. Column x
 * is the words (r0, r1) and (r2, -); with the filter rows already in
 * ring-slot order, w = {p0, p1, p2, t01, t2}: p[k] = (w0k, w1k) meets the
 * first word of tap column k in one SMLAD, and the third row's taps
 * t01 = (w20, w21), t2 = (w22, -) meet the second word's low lane in an
 * SMLABB / SMLABT. Five tap words instead of six (p[k] and (w2k, 0)) leave
 * a register for the start value init, so the loop keeps everything in
 * registers. The ring's fourth lane is loaded but never used.
 */
static TE_ALWAYS_INLINE void te_dw_sums33_body(const int16_t *col, int32_t stride, int32_t n_pairs,
                                               const uint32_t *w, int32_t init, int32_t *acc)
{
    const uint32_t p0 = w[0], p1 = w[1], p2 = w[2], t01 = w[3], t2 = w[4];
    uint32_t x, z;
    int32_t *const end = acc + 2 * n_pairs;
#if TE_DW_ASM
    /*
     * The same loops with 13 registers named: GCC's allocation spilled one
     * and copied another (24 instructions a pair instead of 20).
     */
    if (n_pairs <= 0) {
        return;
    }
    int32_t o0, o1;
    if (stride == 1) {
        __asm__ volatile("1:\n\t"
                         "ldrd   %[x], %[z], [%[col]]\n\t"
                         "smlad  %[o0], %[p0], %[x], %[init]\n\t"
                         "smlabb %[o0], %[z], %[t01], %[o0]\n\t"
                         "ldrd   %[x], %[z], [%[col], #8]\n\t"
                         "smlad  %[o0], %[p1], %[x], %[o0]\n\t"
                         "smlad  %[o1], %[p0], %[x], %[init]\n\t"
                         "smlabt %[o0], %[z], %[t01], %[o0]\n\t"
                         "smlabb %[o1], %[z], %[t01], %[o1]\n\t"
                         "ldrd   %[x], %[z], [%[col], #16]\n\t"
                         "smlad  %[o0], %[p2], %[x], %[o0]\n\t"
                         "smlad  %[o1], %[p1], %[x], %[o1]\n\t"
                         "smlabb %[o0], %[z], %[t2], %[o0]\n\t"
                         "smlabt %[o1], %[z], %[t01], %[o1]\n\t"
                         "ldrd   %[x], %[z], [%[col], #24]\n\t"
                         "smlad  %[o1], %[p2], %[x], %[o1]\n\t"
                         "smlabb %[o1], %[z], %[t2], %[o1]\n\t"
                         "add    %[col], %[col], #16\n\t"
                         "strd   %[o0], %[o1], [%[acc]], #8\n\t"
                         "cmp    %[acc], %[end]\n\t"
                         "bne    1b"
                         : [col] "+r"(col), [acc] "+r"(acc), [x] "=&r"(x), [z] "=&r"(z), [o0] "=&r"(o0),
                           [o1] "=&r"(o1)
                         : [p0] "r"(p0), [p1] "r"(p1), [p2] "r"(p2), [t01] "r"(t01), [t2] "r"(t2),
                           [init] "r"(init), [end] "r"(end)
                         : "cc", "memory");
        return;
    }
    __asm__ volatile("1:\n\t"
                     "ldrd   %[x], %[z], [%[col]]\n\t"
                     "smlad  %[o0], %[p0], %[x], %[init]\n\t"
                     "smlabb %[o0], %[z], %[t01], %[o0]\n\t"
                     "ldrd   %[x], %[z], [%[col], #8]\n\t"
                     "smlad  %[o0], %[p1], %[x], %[o0]\n\t"
                     "smlabt %[o0], %[z], %[t01], %[o0]\n\t"
                     "ldrd   %[x], %[z], [%[col], #16]\n\t"
                     "smlad  %[o0], %[p2], %[x], %[o0]\n\t"
                     "smlad  %[o1], %[p0], %[x], %[init]\n\t"
                     "smlabb %[o0], %[z], %[t2], %[o0]\n\t"
                     "smlabb %[o1], %[z], %[t01], %[o1]\n\t"
                     "ldrd   %[x], %[z], [%[col], #24]\n\t"
                     "smlad  %[o1], %[p1], %[x], %[o1]\n\t"
                     "smlabt %[o1], %[z], %[t01], %[o1]\n\t"
                     "ldrd   %[x], %[z], [%[col], #32]\n\t"
                     "smlad  %[o1], %[p2], %[x], %[o1]\n\t"
                     "smlabb %[o1], %[z], %[t2], %[o1]\n\t"
                     "add    %[col], %[col], #32\n\t"
                     "strd   %[o0], %[o1], [%[acc]], #8\n\t"
                     "cmp    %[acc], %[end]\n\t"
                     "bne    1b"
                     : [col] "+r"(col), [acc] "+r"(acc), [x] "=&r"(x), [z] "=&r"(z), [o0] "=&r"(o0), [o1] "=&r"(o1)
                     : [p0] "r"(p0), [p1] "r"(p1), [p2] "r"(p2), [t01] "r"(t01), [t2] "r"(t2), [init] "r"(init),
                       [end] "r"(end)
                     : "cc", "memory");
#else
    if (stride == 1) {
        while (acc != end) {
            TE_DW_LD22(col, 0, x, z);
            int32_t o0 = te_smlad(p0, x, init), o1;
            o0 = te_smlabb(z, t01, o0);
            TE_DW_LD22(col, 4, x, z);
            o0 = te_smlad(p1, x, o0);
            o1 = te_smlad(p0, x, init);
            o0 = te_smlabt(z, t01, o0);
            o1 = te_smlabb(z, t01, o1);
            TE_DW_LD22(col, 8, x, z);
            o0 = te_smlad(p2, x, o0);
            o1 = te_smlad(p1, x, o1);
            o0 = te_smlabb(z, t2, o0);
            o1 = te_smlabt(z, t01, o1);
            TE_DW_LD22(col, 12, x, z);
            o1 = te_smlad(p2, x, o1);
            o1 = te_smlabb(z, t2, o1);
            acc[0] = o0;
            acc[1] = o1;
            acc += 2;
            col += 8;
        }
        return;
    }
    while (acc != end) {
        TE_DW_LD22(col, 0, x, z);
        int32_t o0 = te_smlad(p0, x, init), o1;
        o0 = te_smlabb(z, t01, o0);
        TE_DW_LD22(col, 4, x, z);
        o0 = te_smlad(p1, x, o0);
        o0 = te_smlabt(z, t01, o0);
        TE_DW_LD22(col, 8, x, z);
        o0 = te_smlad(p2, x, o0);
        o1 = te_smlad(p0, x, init);
        o0 = te_smlabb(z, t2, o0);
        o1 = te_smlabb(z, t01, o1);
        TE_DW_LD22(col, 12, x, z);
        o1 = te_smlad(p1, x, o1);
        o1 = te_smlabt(z, t01, o1);
        TE_DW_LD22(col, 16, x, z);
        o1 = te_smlad(p2, x, o1);
        o1 = te_smlabb(z, t2, o1);
        acc[0] = o0;
        acc[1] = o1;
        acc += 2;
        col += 16;
    }
#endif
}

TE_NOINLINE static void te_dw_sums33_dsp(const int16_t *col, int32_t stride, int32_t n_pairs, const uint32_t *w,
                                         int32_t init, int32_t *acc)
{
    te_dw_sums33_body(col, stride, n_pairs, w, init, acc);
}

/*
 * One row of at most TE_DW_CHUNK outputs, the fast requantization without
 * a clamp: sums and requantization in one call, so that the row loop keeps
 * less state across calls (its spills cost as much as a short row's sums).
 */
TE_NOINLINE static void te_dw_row33_full(const int16_t *col, int32_t stride, int32_t n, const uint32_t *w,
                                         const te_dw_rq *rq, int8_t *out, size_t step)
{
    int32_t acc[TE_DW_CHUNK];
    te_dw_sums33_body(col, stride, (n + 1) >> 1, w, (int32_t)rq->init, acc);
    te_dw_requant_full_body(acc, n, rq, out, step);
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
                                    int32_t n_pairs, const uint32_t *w, int32_t init, int32_t *acc)
{
    for (int32_t j = 0; j < n_pairs; ++j) {
        int32_t o0 = init, o1 = init;
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

/*
 * Filter widths 4 to 6 (three tap words a row): one filter row at a time
 * over the whole output chunk, adding into acc (the first row starts it).
 * Three to six tap words then stay in registers for the row, so a pair of
 * outputs costs its data loads, six SMLADs and the partial sums' load and
 * store, instead of reloading every tap word for every pair.
 * Stride 1: o0 = e0.x0 + e1.x1 + e2.x2, o1 = o0w.x0 + o1w.x1 + o2w.x2;
 * stride 2: o0 = e0.x0 + e1.x1 + e2.x2, o1 = e0.x1 + e1.x2 + e2.x3
 * (x[q] the q-th int16 pair from the pair's first column; see te_dw_pairs_body).
 */
static TE_ALWAYS_INLINE void te_dw_row3_pass(const int16_t *p, const uint32_t *wr, int32_t stride, int32_t n_pairs,
                                             int32_t init, int32_t *acc, const int first)
{
    const uint32_t e0 = wr[0], e1 = wr[2], e2 = wr[4];
    if (stride == 1) {
        const uint32_t f0 = wr[1], f1 = wr[3], f2 = wr[5];
        for (int32_t j = n_pairs; j > 0; --j) {
            uint32_t x0, x1;
            TE_DW_LD22(p, 0, x0, x1);
            const uint32_t x2 = te_dw_ld2(p + 4);
            int32_t o0 = first ? init : acc[0], o1 = first ? init : acc[1];
            o0 = te_smlad(e0, x0, o0);
            o1 = te_smlad(f0, x0, o1);
            o0 = te_smlad(e1, x1, o0);
            o1 = te_smlad(f1, x1, o1);
            o0 = te_smlad(e2, x2, o0);
            o1 = te_smlad(f2, x2, o1);
            acc[0] = o0;
            acc[1] = o1;
            acc += 2;
            p += 2;
        }
        return;
    }
    for (int32_t j = n_pairs; j > 0; --j) {
        uint32_t x0, x1, x2, x3;
        TE_DW_LD22(p, 0, x0, x1);
        TE_DW_LD22(p, 4, x2, x3);
        int32_t o0 = first ? init : acc[0], o1 = first ? init : acc[1];
        o0 = te_smlad(e0, x0, o0);
        o1 = te_smlad(e0, x1, o1);
        o0 = te_smlad(e1, x1, o0);
        o1 = te_smlad(e1, x2, o1);
        o0 = te_smlad(e2, x2, o0);
        o1 = te_smlad(e2, x3, o1);
        acc[0] = o0;
        acc[1] = o1;
        acc += 2;
        p += 4;
    }
}

/* Filter widths up to 3 (stride 2) or 2 (stride 1): two tap words a row, as te_dw_row3_pass. */
static TE_ALWAYS_INLINE void te_dw_row2_pass(const int16_t *p, const uint32_t *wr, int32_t stride, int32_t n_pairs,
                                             int32_t init, int32_t *acc, const int first)
{
    const uint32_t e0 = wr[0], e1 = wr[2];
    if (stride == 1) {
        const uint32_t f0 = wr[1], f1 = wr[3];
        for (int32_t j = n_pairs; j > 0; --j) {
            uint32_t x0, x1;
            TE_DW_LD22(p, 0, x0, x1);
            int32_t o0 = first ? init : acc[0], o1 = first ? init : acc[1];
            o0 = te_smlad(e0, x0, o0);
            o1 = te_smlad(f0, x0, o1);
            o0 = te_smlad(e1, x1, o0);
            o1 = te_smlad(f1, x1, o1);
            acc[0] = o0;
            acc[1] = o1;
            acc += 2;
            p += 2;
        }
        return;
    }
    for (int32_t j = n_pairs; j > 0; --j) {
        uint32_t x0, x1;
        TE_DW_LD22(p, 0, x0, x1);
        const uint32_t x2 = te_dw_ld2(p + 4);
        int32_t o0 = first ? init : acc[0], o1 = first ? init : acc[1];
        o0 = te_smlad(e0, x0, o0);
        o1 = te_smlad(e0, x1, o1);
        o0 = te_smlad(e1, x1, o0);
        o1 = te_smlad(e1, x2, o1);
        acc[0] = o0;
        acc[1] = o1;
        acc += 2;
        p += 4;
    }
}

/* All K_h rows of a two-word filter. */
TE_NOINLINE static void te_dw_sums_rows2_dsp(int16_t *const *rows, int32_t k_h, int32_t stride, int32_t n_pairs,
                                             const uint32_t *w, int32_t init, int32_t *acc)
{
    if (stride == 1) {
        te_dw_row2_pass(rows[0], w, 1, n_pairs, init, acc, 1);
        for (int32_t ky = 1; ky < k_h; ++ky) {
            te_dw_row2_pass(rows[ky], w + ky * 8, 1, n_pairs, init, acc, 0);
        }
        return;
    }
    te_dw_row2_pass(rows[0], w, 2, n_pairs, init, acc, 1);
    for (int32_t ky = 1; ky < k_h; ++ky) {
        te_dw_row2_pass(rows[ky], w + ky * 8, 2, n_pairs, init, acc, 0);
    }
}

/* All K_h rows of a three-word filter (rows[ky] at the pair loop's first column, word aligned). */
static TE_ALWAYS_INLINE void te_dw_sums_rows3_body(int16_t *const *rows, int32_t k_h, int32_t stride, int32_t n_pairs,
                                                   const uint32_t *w, int32_t init, int32_t *acc)
{
    if (stride == 1) {
        te_dw_row3_pass(rows[0], w, 1, n_pairs, init, acc, 1);
        for (int32_t ky = 1; ky < k_h; ++ky) {
            te_dw_row3_pass(rows[ky], w + ky * 8, 1, n_pairs, init, acc, 0);
        }
        return;
    }
    te_dw_row3_pass(rows[0], w, 2, n_pairs, init, acc, 1);
    for (int32_t ky = 1; ky < k_h; ++ky) {
        te_dw_row3_pass(rows[ky], w + ky * 8, 2, n_pairs, init, acc, 0);
    }
}

TE_NOINLINE static void te_dw_sums_rows3_dsp(int16_t *const *rows, int32_t k_h, int32_t stride, int32_t n_pairs,
                                             const uint32_t *w, int32_t init, int32_t *acc)
{
    te_dw_sums_rows3_body(rows, k_h, stride, n_pairs, w, init, acc);
}

/*
 * One row of at most TE_DW_CHUNK outputs of a three-word filter (K_w 4 to
 * 6), the fast requantization without a clamp, in one call: what
 * te_dw_row33_full does for 3x3.
 */
TE_NOINLINE static void te_dw_rowk3_full(int16_t *const *rows, int32_t k_h, int32_t stride, int32_t n,
                                         const uint32_t *w, const te_dw_rq *rq, int8_t *out, size_t step)
{
    int32_t acc[TE_DW_CHUNK];
    te_dw_sums_rows3_body(rows, k_h, stride, (n + 1) >> 1, w, (int32_t)rq->init, acc);
    te_dw_requant_full_body(acc, n, rq, out, step);
}

/* w[ky * 8 + 2q] = e[q], w[ky * 8 + 2q + 1] = o[q] of filter row ky. */
TE_NOINLINE static void te_dw_sums_pairs_dsp(int16_t *const *rows, int32_t k_h, int32_t nq, int32_t stride,
                                             int32_t n_pairs, const uint32_t *w, int32_t init, int32_t *acc)
{
    /* Constant trip counts, so that the compiler unrolls the pair loops (two and three words: te_dw_sums_rows*). */
    if (nq == 4) {
        if (stride == 1) {
            te_dw_pairs_body(rows, k_h, 4, 1, n_pairs, w, init, acc);
        } else {
            te_dw_pairs_body(rows, k_h, 4, 2, n_pairs, w, init, acc);
        }
    } else {
        te_dw_pairs_body(rows, k_h, nq, stride, n_pairs, w, init, acc);
    }
}
#endif

/* Any geometry the rows take, one output at a time, int32 MACs (wrapping like the DSP's); columns cs apart. */
TE_NOINLINE static void te_dw_sums_c(int16_t *const *rows, int32_t cs, int32_t k_h, int32_t k_w, int32_t stride,
                                     int32_t n, const int32_t *w, uint32_t init, int32_t *acc)
{
    if (k_h == 3 && k_w == 3) {
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
        const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
        const int32_t st = stride * cs;
        for (int32_t o = 0; o < n; ++o) {
            uint32_t a = init + (uint32_t)(r0[0] * w0) + (uint32_t)(r0[cs] * w1) + (uint32_t)(r0[2 * cs] * w2);
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
        uint32_t a = init;
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


#if TE_DSP
/*
 * te_dw_rows_channel's common case (DSP, the interleaved 3x3 ring, stride
 * 1 or 2) with a lean row loop: on 12- to 48-wide rows the general loop's
 * per-row set-up cost as much as the row's sums. The ring's padding
 * columns are written once per channel (no row ever writes them), each new
 * input row fills only its inside, the ring slot advances instead of being
 * recomputed, and the slot of filter row 0 is the one the next input row
 * will take.
 */
TE_NOINLINE static void te_dw_rows33_channel(const te_dw_rows *g, const int8_t *filter, const int32_t *bias,
                                             const te_per_channel_quant *quant, int32_t c, int8_t *out, int32_t row0,
                                             int32_t row1)
{
    const int32_t ch = g->ch, rw = g->rw, in_h = g->in_h, out_h = g->out_h, out_w = g->out_w;
    const int32_t s_h = g->s_h, s_w = g->s_w, p_h = g->p_h;
    int32_t w[9];
    te_dw_rq rq;
    te_dw_chan_prep(filter, 9, ch, bias, quant, c, g->in_off, g->out_off, g->act, w, &rq);
    uint32_t w33[3][5]; /* w33[s]: the tap words (te_dw_sums33_dsp) when ring slot 0 holds filter row s */
    for (int32_t s0 = 0; s0 < 3; ++s0) {
        static const int8_t next[5] = {0, 1, 2, 0, 1};
        const int32_t *a = w + 3 * s0, *b = w + 3 * next[s0 + 1], *d = w + 3 * next[s0 + 2];
        for (int32_t k = 0; k < 3; ++k) {
            w33[s0][k] = te_dw_pack(a[k], b[k]);
        }
        w33[s0][3] = te_dw_pack(d[0], d[1]);
        w33[s0][4] = te_dw_pack(d[2], 0);
    }
    int16_t *const ring = g->ring;
    const int16_t pad = (int16_t)-g->in_off;
    const int32_t lead = TE_MIN(g->p_w, rw), inside_end = (int32_t)TE_MIN((int64_t)g->p_w + g->in_w, (int64_t)rw);
    const int32_t n_in = inside_end > lead ? inside_end - lead : 0;
    for (int32_t i = 0; i < lead; ++i) {
        ring[4 * i] = pad;
        ring[4 * i + 1] = pad;
        ring[4 * i + 2] = pad;
    }
    for (int32_t i = lead + n_in; i < rw; ++i) {
        ring[4 * i] = pad;
        ring[4 * i + 1] = pad;
        ring[4 * i + 2] = pad;
    }
    const size_t in_row = (size_t)g->in_w * (size_t)ch, out_row = (size_t)out_w * (size_t)ch;
    int32_t b = row0 / out_h, oy = row0 - b * out_h;
    const int8_t *img = g->in + (size_t)b * (size_t)in_h * in_row;
    int32_t next_y = oy * s_h - p_h, slot = (next_y + p_h) % 3;
    size_t o_at = (size_t)row0 * out_row;
    int32_t acc[TE_DW_CHUNK];
    for (int32_t r = row0; r < row1; ++r) {
        const int32_t y0 = oy * s_h - p_h;
        if (next_y < y0) {
            next_y = y0;
            slot = (y0 + p_h) % 3;
        }
        for (; next_y < y0 + 3; ++next_y) {
            int16_t *dst = ring + slot + 4 * lead;
            if (next_y >= 0 && next_y < in_h) {
                te_dw_widen(img + (size_t)next_y * in_row, (size_t)ch, dst, n_in, 4);
            } else {
                for (int32_t i = 0; i < n_in; ++i) {
                    dst[4 * i] = pad;
                }
            }
            slot = slot == 2 ? 0 : slot + 1;
        }
        /* Now slot = (y0 + 3 + P_h) mod 3: the slot of filter row 0; ring slot 0 holds filter row (3 - slot) mod 3. */
        const uint32_t *wsel = w33[slot == 0 ? 0 : 3 - slot];
        if (out_w <= TE_DW_CHUNK && rq.mode == 0) {
            te_dw_row33_full(ring, s_w, out_w, wsel, &rq, out + o_at, (size_t)ch);
        } else {
            size_t at = o_at;
            for (int32_t o0 = 0; o0 < out_w; o0 += TE_DW_CHUNK) {
                const int32_t n = TE_MIN(TE_DW_CHUNK, out_w - o0);
                te_dw_sums33_dsp(ring + (size_t)o0 * (size_t)s_w * 4u, s_w, (n + 1) >> 1, wsel, (int32_t)rq.init,
                                 acc);
                te_dw_requant(acc, n, &rq, out + at, (size_t)ch);
                at += (size_t)n * (size_t)ch;
            }
        }
        o_at += out_row;
        if (++oy == out_h) {
            /* Next batch: the ring holds nothing of it yet. */
            oy = 0;
            ++b;
            img += (size_t)in_h * in_row;
            next_y = -p_h;
            slot = 0;
        }
    }
}
#endif


#if TE_DSP
/* te_dw_rows33_channel's lean row loop for K_h separate ring rows (any K_w <= 7, stride 1 or 2). */
TE_NOINLINE static void te_dw_rowsk_channel(const te_dw_rows *g, const int8_t *filter, const int32_t *bias,
                                            const te_per_channel_quant *quant, int32_t c, int8_t *out, int32_t row0,
                                            int32_t row1)
{
    const int32_t ch = g->ch, rw = g->rw, in_h = g->in_h, out_h = g->out_h, out_w = g->out_w;
    const int32_t k_h = g->k_h, k_w = g->k_w, s_h = g->s_h, s_w = g->s_w, p_h = g->p_h;
    int32_t w[TE_DW_KMAX * TE_DW_KMAX];
    te_dw_rq rq;
    te_dw_chan_prep(filter, k_h * k_w, ch, bias, quant, c, g->in_off, g->out_off, g->act, w, &rq);
    const int32_t nq = s_w == 1 ? k_w / 2 + 1 : (k_w + 1) / 2;
    uint32_t wpair[TE_DW_KMAX * 8];
    for (int32_t ky = 0; ky < k_h; ++ky) {
        const int32_t *wr = w + ky * k_w;
        for (int32_t q = 0; q < 4; ++q) {
            const int32_t i0 = 2 * q, i1 = 2 * q + 1, im = 2 * q - 1;
            wpair[ky * 8 + 2 * q] = te_dw_pack(i0 < k_w ? wr[i0] : 0, i1 < k_w ? wr[i1] : 0);
            wpair[ky * 8 + 2 * q + 1] = te_dw_pack(im >= 0 && im < k_w ? wr[im] : 0, i0 < k_w ? wr[i0] : 0);
        }
    }
    int16_t *const ring = g->ring;
    const int16_t pad = (int16_t)-g->in_off;
    const int32_t lead = TE_MIN(g->p_w, rw), inside_end = (int32_t)TE_MIN((int64_t)g->p_w + g->in_w, (int64_t)rw);
    const int32_t n_in = inside_end > lead ? inside_end - lead : 0;
    for (int32_t k = 0; k < k_h; ++k) {
        int16_t *row = ring + (size_t)k * (size_t)rw;
        for (int32_t i = 0; i < lead; ++i) {
            row[i] = pad;
        }
        for (int32_t i = lead + n_in; i < rw; ++i) {
            row[i] = pad;
        }
    }
    const size_t in_row = (size_t)g->in_w * (size_t)ch, out_row = (size_t)out_w * (size_t)ch;
    int32_t b = row0 / out_h, oy = row0 - b * out_h;
    const int8_t *img = g->in + (size_t)b * (size_t)in_h * in_row;
    int32_t next_y = oy * s_h - p_h, slot = (next_y + p_h) % k_h;
    size_t o_at = (size_t)row0 * out_row;
    int32_t acc[TE_DW_CHUNK];
    /* Slot i's row twice over: the filter's rows from any slot are a window, set up once per channel. */
    int16_t *slots[2 * TE_DW_KMAX];
    for (int32_t k = 0; k < 2 * k_h; ++k) {
        slots[k] = ring + (size_t)(k < k_h ? k : k - k_h) * (size_t)rw;
    }
    for (int32_t r = row0; r < row1; ++r) {
        const int32_t y0 = oy * s_h - p_h;
        if (next_y < y0) {
            next_y = y0;
            slot = (y0 + p_h) % k_h;
        }
        for (; next_y < y0 + k_h; ++next_y) {
            int16_t *dst = ring + (size_t)slot * (size_t)rw + lead;
            if (next_y >= 0 && next_y < in_h) {
                te_dw_widen(img + (size_t)next_y * in_row, (size_t)ch, dst, n_in, 1);
            } else {
                for (int32_t i = 0; i < n_in; ++i) {
                    dst[i] = pad;
                }
            }
            slot = slot + 1 == k_h ? 0 : slot + 1;
        }
        /* Now slot is that of filter row 0. */
        int16_t *const *rows = slots + slot;
        const int one_call = out_w <= TE_DW_CHUNK && rq.mode == 0 && nq == 3;
        if (one_call) {
            te_dw_rowk3_full(rows, k_h, s_w, out_w, wpair, &rq, out + o_at, (size_t)ch);
        }
        size_t at = o_at;
        for (int32_t o0 = 0; o0 < out_w && !one_call; o0 += TE_DW_CHUNK) {
            const int32_t n = TE_MIN(TE_DW_CHUNK, out_w - o0);
            int16_t *cur[TE_DW_KMAX];
            for (int32_t k = 0; k < k_h; ++k) {
                cur[k] = rows[k] + (size_t)o0 * (size_t)s_w;
            }
            if (nq == 2) {
                te_dw_sums_rows2_dsp(cur, k_h, s_w, (n + 1) >> 1, wpair, (int32_t)rq.init, acc);
            } else if (nq == 3) {
                te_dw_sums_rows3_dsp(cur, k_h, s_w, (n + 1) >> 1, wpair, (int32_t)rq.init, acc);
            } else {
                te_dw_sums_pairs_dsp(cur, k_h, nq, s_w, (n + 1) >> 1, wpair, (int32_t)rq.init, acc);
            }
            te_dw_requant(acc, n, &rq, out + at, (size_t)ch);
            at += (size_t)n * (size_t)ch;
        }
        o_at += out_row;
        if (++oy == out_h) {
            oy = 0;
            ++b;
            img += (size_t)in_h * in_row;
            next_y = -p_h;
            slot = 0;
        }
    }
}
#endif

/*
 * Channel c (g->in already points at it; filter at its first tap, taps ch
 * apart) for the flattened output rows [row0, row1) (row b * out_h + oy),
 * written to out (output channel c of pixel 0) at steps of ch. Each input row
 * is gathered once per run of rows, into ring slot (y + P_h) mod K_h; the row
 * being written may overwrite input rows the ring already holds (the in-place
 * caller checks that).
 */
TE_NOINLINE static void te_dw_rows_channel_c(const te_dw_rows *g, const int8_t *filter, const int32_t *bias,
                                             const te_per_channel_quant *quant, int32_t c, int8_t *out, int32_t row0,
                                             int32_t row1)
{
    const int32_t k_h = g->k_h, k_w = g->k_w, ch = g->ch, rw = g->rw;
    const int il = te_dw_interleaved(k_h, k_w) && !g->plain;
    /* Ring slot k: its first element, and the step between columns. */
    const int32_t cs = il ? 4 : 1, slot_step = il ? 1 : rw;
    int32_t w[TE_DW_KMAX * TE_DW_KMAX];
    te_dw_rq rq;
    te_dw_chan_prep(filter, k_h * k_w, ch, bias, quant, c, g->in_off, g->out_off, g->act, w, &rq);
    /* Strides 1 and 2 took the DSP row loops above; here the one-output loops (all strides in the portable build). */
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
            int16_t *dst = g->ring + (size_t)((y + g->p_h) % k_h) * (size_t)slot_step;
            if (il) {
                te_dw_gather(g, b, y, dst, 4);
            } else {
                te_dw_gather(g, b, y, dst, 1);
            }
        }
        next_y = TE_MAX(next_y, y0 + k_h);
        const int32_t rot = (y0 + g->p_h) % k_h; /* the slot of filter row 0 */
        if (!il) {
            for (int32_t k = 0, sl = rot; k < k_h; ++k, sl = sl + 1 == k_h ? 0 : sl + 1) {
                rows[k] = g->ring + (size_t)sl * (size_t)slot_step;
            }
        }
        /* Interleaved, the one-output sums read the slots in order: the filter rows rotate instead. */
        const int32_t *wt = w;
        int16_t *slots[TE_DW_KMAX];
        if (il) {
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
            for (int32_t k = 0; k < k_h; ++k) {
                at[k] = (il ? slots[k] : rows[k]) + first;
            }
            te_dw_sums_c(at, cs, k_h, k_w, g->s_w, n, wt, rq.init, acc);
            te_dw_requant(acc, n, &rq, out + o_at, (size_t)ch);
            o_at += (size_t)n * (size_t)ch;
        }
    }
}


/* The row loops of one channel: a small frame of its own, so that the stack holds only the loop it picks. */
void te_dw_rows_channel(const te_dw_rows *g, const int8_t *filter, const int32_t *bias,
                        const te_per_channel_quant *quant, int32_t c, int8_t *out, int32_t row0, int32_t row1)
{
#if TE_DSP
    if (g->s_w == 1 || g->s_w == 2) {
        if (te_dw_interleaved(g->k_h, g->k_w) && !g->plain) {
            te_dw_rows33_channel(g, filter, bias, quant, c, out, row0, row1);
        } else {
            te_dw_rowsk_channel(g, filter, bias, quant, c, out, row0, row1);
        }
        return;
    }
#endif
    te_dw_rows_channel_c(g, filter, bias, quant, c, out, row0, row1);
}

void te_dw_rows_layer_stack(te_dw_rows *g, int32_t n, const int8_t *filter, const int32_t *bias,
                            const te_per_channel_quant *quant, int8_t *out)
{
    uint32_t ring_words[TE_DW_STACK_RING / 4];
    const int8_t *in = g->in;
    g->ring = (int16_t *)ring_words;
    g->rw = te_dw_ring_width(g->out_w, g->s_w, g->k_w);
    g->plain = 0;
    /* The interleaved ring's fourth lane is loaded (never used): no indeterminate reads. */
    memset(ring_words, 0, (size_t)te_dw_ring_bytes(g->k_h, g->out_w, g->s_w, g->k_w) - 3u);
    for (int32_t c = 0; c < g->ch; ++c) {
        g->in = in + c;
        te_dw_rows_channel(g, filter + c, bias, quant, c, out + c, 0, n * g->out_h);
    }
    g->in = in;
}

#if TE_DSP
/*
 * Small maps (DSP, 3x3, dilation 1): a channel's whole padded input plane
 * fits on the stack, rows TE_DW_PL_PITCH int16 apart. With the row pitch a
 * constant, every load of the sum loops is one base register plus an
 * immediate, so the six tap words, the pointers and the partial sums fit in
 * the registers; the plane's padding is filled once per call and only its
 * inside is gathered per channel; the sums of all rows requantize in one
 * call. On these maps the ring's per-row and per-channel set-up used to cost
 * more than its multiply-accumulates. In place, the plane holds the input
 * channel before any output of it is written.
 */
/*
 * Sums of out rows [oy0, oy1) into acc (row by row, out_w apart; an odd
 * row's extra output lands on the next row's first, written again after).
 * The taps as te_dw_plane33_rows_asm takes them, w5 = {p0, p1, p2, t01, t2}
 * (doubled or not like the sums); this is its C twin, which the host runs.
 * Filter row k: stride 1, outputs 2j and 2j + 1 read columns 2j..2j+3:
 * x0 = (c0, c1), x1 = (c2, c3), xm = (c1, c2), o0 += p[k].x0 + wk2 * c2,
 * o1 += p[k].xm + wk2 * c3; stride 2, columns 4j..4j+5: o0 += p[k].x0 +
 * wk2 * c2, o1 += p[k].x1 + wk2 * c4.
 */
#if !TE_DW_ASM
static TE_ALWAYS_INLINE void te_dw_plane_tap_row(const int16_t *p, int32_t s_w, uint32_t pk, uint32_t t, int top,
                                                 int32_t *o0, int32_t *o1)
{
    uint32_t x0, x1;
    TE_DW_LD22(p, 0, x0, x1);
    *o0 = te_smlad(pk, x0, *o0);
    *o0 = top ? te_smlabt(x1, t, *o0) : te_smlabb(x1, t, *o0);
    if (s_w == 1) {
        *o1 = te_smlad(pk, te_dw_ld2(p + 1), *o1);
        *o1 = top ? te_smlatt(x1, t, *o1) : te_smlatb(x1, t, *o1);
    } else {
        const uint32_t x2 = te_dw_ld2(p + 4);
        *o1 = te_smlad(pk, x1, *o1);
        *o1 = top ? te_smlabt(x2, t, *o1) : te_smlabb(x2, t, *o1);
    }
}

TE_NOINLINE static void te_dw_plane33_rows_c(const int16_t *pl, int32_t oy0, int32_t oy1, int32_t s_h, int32_t s_w,
                                             int32_t out_w, const uint32_t *w5, int32_t init, int32_t *acc)
{
    const int32_t n_pairs = (out_w + 1) >> 1;
    for (int32_t oy = oy0; oy < oy1; ++oy) {
        const int16_t *p = pl + (size_t)oy * (size_t)s_h * TE_DW_PL_PITCH;
        int32_t *a = acc;
        for (int32_t j = n_pairs; j > 0; --j) {
            int32_t o0 = init, o1 = init;
            te_dw_plane_tap_row(p, s_w, w5[0], w5[3], 0, &o0, &o1);
            te_dw_plane_tap_row(p + TE_DW_PL_PITCH, s_w, w5[1], w5[3], 1, &o0, &o1);
            te_dw_plane_tap_row(p + 2 * TE_DW_PL_PITCH, s_w, w5[2], w5[4], 0, &o0, &o1);
            a[0] = o0;
            a[1] = o1;
            a += 2;
            p += 2 * s_w;
        }
        acc += out_w;
    }
}
#endif

#if TE_DW_ASM
/*
 * The plane sums with each output row fully unrolled (pairs at immediate
 * offsets, rows TE_DW_PL_PITCH int16 = 52 bytes apart): on 3- to 12-wide
 * maps GCC's row loop spilled and reloaded its state at every row, which
 * cost as much as the row's sums. Taps as in te_dw_sums33_dsp: w5 =
 * {p0, p1, p2, t01, t2} with p[k] = (wk0, wk1), t01 = (w02, w12),
 * t2 = (w22, -). Stride 1, pair J reads columns 2J..2J+3: x0 = (c0, c1) and
 * x1 = (c2, c3) by LDRD, then (c1, c2) by LDR into x0; o0 takes c2 = lo(x1),
 * o1 takes c3 = hi(x1). Stride 2, pair J reads columns 4J..4J+4: o0 takes
 * (c0, c1) and lo(c2, c3), o1 takes (c2, c3) and lo(c4, c5). The row step
 * and the odd-width correction come from memory, so that twelve registers
 * are enough.
 */
#define TE_PL_ROW_S1(J, R, PK, TOP0, TOP1, TK, A0, A1)                                                                 \
    "ldrd   %[x0], %[x1], [%[p], #(4*" #J "+" R ")]\n\t"                                                               \
    "smlad  %[o0], %[" PK "], %[x0], %[" A0 "]\n\t"                                                                    \
    "ldr    %[x0], [%[p], #(4*" #J "+" R "+2)]\n\t"                                                                   \
    "smlad  %[o1], %[" PK "], %[x0], %[" A1 "]\n\t"                                                                    \
    "smlab" TOP0 " %[o0], %[x1], %[" TK "], %[o0]\n\t"                                                                 \
    "smlat" TOP1 " %[o1], %[x1], %[" TK "], %[o1]\n\t"
#define TE_PL_PAIR_S1(J)                                                                                               \
    TE_PL_ROW_S1(J, "0", "p0", "b", "b", "t01", "init", "init")                                                        \
    TE_PL_ROW_S1(J, TE_DW_PL_R1, "p1", "t", "t", "t01", "o0", "o1")                                                    \
    TE_PL_ROW_S1(J, TE_DW_PL_R2, "p2", "b", "b", "t2", "o0", "o1")                                                              \
    "strd   %[o0], %[o1], [%[a]], #8\n\t"
#define TE_PL_ROW_S2(J, R, PK, TOP, TK, A0, A1)                                                                        \
    "ldrd   %[x0], %[x1], [%[p], #(8*" #J "+" R ")]\n\t"                                                              \
    "smlad  %[o0], %[" PK "], %[x0], %[" A0 "]\n\t"                                                                    \
    "smlad  %[o1], %[" PK "], %[x1], %[" A1 "]\n\t"                                                                    \
    "smlab" TOP " %[o0], %[x1], %[" TK "], %[o0]\n\t"                                                                  \
    "ldr    %[x0], [%[p], #(8*" #J "+" R "+8)]\n\t"                                                                   \
    "smlab" TOP " %[o1], %[x0], %[" TK "], %[o1]\n\t"
#define TE_PL_PAIR_S2(J)                                                                                               \
    TE_PL_ROW_S2(J, "0", "p0", "b", "t01", "init", "init")                                                             \
    TE_PL_ROW_S2(J, TE_DW_PL_R1, "p1", "t", "t01", "o0", "o1")                                                         \
    TE_PL_ROW_S2(J, TE_DW_PL_R2, "p2", "b", "t2", "o0", "o1")                                                                   \
    "strd   %[o0], %[o1], [%[a]], #8\n\t"
/* One asm loop over the rows; PAIRS expands to the row's unrolled pairs. */
#define TE_PL_ROWS(PAIRS)                                                                                              \
    __asm__ volatile("1:\n\t" PAIRS "ldr    %[x0], %[adj]\n\t"                                                         \
                     "add    %[a], %[a], %[x0]\n\t"                                                                    \
                     "ldr    %[x0], %[rstep]\n\t"                                                                      \
                     "add    %[p], %[p], %[x0]\n\t"                                                                    \
                     "ldr    %[x0], %[aend]\n\t"                                                                       \
                     "cmp    %[a], %[x0]\n\t"                                                                          \
                     "bne    1b"                                                                                       \
                     : [p] "+r"(p), [a] "+r"(a), [x0] "=&r"(x0), [x1] "=&r"(x1), [o0] "=&r"(o0), [o1] "=&r"(o1)      \
                     : [p0] "r"(w5[0]), [p1] "r"(w5[1]), [p2] "r"(w5[2]), [t01] "r"(w5[3]), [t2] "r"(w5[4]),        \
                       [init] "r"(init), [adj] "m"(lim[0]), [rstep] "m"(lim[1]), [aend] "m"(lim[2])                  \
                     : "cc", "memory")
#define TE_PL_S1_1 TE_PL_PAIR_S1(0)
#define TE_PL_S1_2 TE_PL_S1_1 TE_PL_PAIR_S1(1)
#define TE_PL_S1_3 TE_PL_S1_2 TE_PL_PAIR_S1(2)
#define TE_PL_S1_4 TE_PL_S1_3 TE_PL_PAIR_S1(3)
#define TE_PL_S1_5 TE_PL_S1_4 TE_PL_PAIR_S1(4)
#define TE_PL_S1_6 TE_PL_S1_5 TE_PL_PAIR_S1(5)
#define TE_PL_S2_1 TE_PL_PAIR_S2(0)
#define TE_PL_S2_2 TE_PL_S2_1 TE_PL_PAIR_S2(1)
#define TE_PL_S2_3 TE_PL_S2_2 TE_PL_PAIR_S2(2)
#define TE_PL_S2_4 TE_PL_S2_3 TE_PL_PAIR_S2(3)
#define TE_PL_S2_5 TE_PL_S2_4 TE_PL_PAIR_S2(4)
#define TE_PL_S2_6 TE_PL_S2_5 TE_PL_PAIR_S2(5)

/* Sums of out rows [oy0, oy1) like te_dw_plane33_rows_c, rows of up to TE_DW_PL_MAX_W outputs (te_dw_plane_ok). */
TE_NOINLINE static void te_dw_plane33_rows_asm(const int16_t *pl, int32_t oy0, int32_t oy1, int32_t s_h, int32_t s_w,
                                               int32_t out_w, const uint32_t *w5, int32_t init, int32_t *acc)
{
    const int32_t n_pairs = (out_w + 1) >> 1;
    if (oy1 <= oy0) {
        return;
    }
    const int16_t *p = pl + (size_t)oy0 * (size_t)s_h * TE_DW_PL_PITCH;
    int32_t *a = acc;
    /* After a row: back over an odd row's extra output, on to the next input row, the end of the sums. */
    const int32_t lim[3] = {(out_w & 1) ? -4 : 0, s_h * TE_DW_PL_PITCH * 2,
                            (int32_t)(intptr_t)(acc + (size_t)(oy1 - oy0) * (size_t)out_w)};
    uint32_t x0, x1;
    int32_t o0, o1;
    if (s_w == 1) {
        switch (n_pairs) {
        case 1: TE_PL_ROWS(TE_PL_S1_1); break;
        case 2: TE_PL_ROWS(TE_PL_S1_2); break;
        case 3: TE_PL_ROWS(TE_PL_S1_3); break;
        case 4: TE_PL_ROWS(TE_PL_S1_4); break;
        case 5: TE_PL_ROWS(TE_PL_S1_5); break;
        default: TE_PL_ROWS(TE_PL_S1_6); break;
        }
    } else {
        switch (n_pairs) {
        case 1: TE_PL_ROWS(TE_PL_S2_1); break;
        case 2: TE_PL_ROWS(TE_PL_S2_2); break;
        case 3: TE_PL_ROWS(TE_PL_S2_3); break;
        case 4: TE_PL_ROWS(TE_PL_S2_4); break;
        case 5: TE_PL_ROWS(TE_PL_S2_5); break;
        default: TE_PL_ROWS(TE_PL_S2_6); break;
        }
    }
}
#endif

/*
 * n_y input rows (in_row bytes apart) of n_x elements (step apart) into the
 * plane's rows. Rows of up to 16 elements take a body with the width a
 * constant, fully unrolled: on 6- to 12-wide maps the general loop's entry
 * and tail cost as much as the loads and stores themselves (1.6 KB of
 * flash for mobilenetv1's depthwise 3.54 -> 3.48 instructions/MAC).
 */
#define TE_DW_FILL_CASE(N)                                                                                             \
    case N:                                                                                                            \
        for (int32_t y = 0; y < n_y; ++y) {                                                                            \
            te_dw_widen(src + (size_t)y * in_row, step, dst + (size_t)y * TE_DW_PL_PITCH, N, 1);                       \
        }                                                                                                              \
        break;
TE_NOINLINE static void te_dw_plane_fill(const int8_t *src, size_t in_row, size_t step, int16_t *dst, int32_t n_y,
                                         int32_t n_x)
{
    switch (n_x) {
        TE_DW_FILL_CASE(1)
        TE_DW_FILL_CASE(2)
        TE_DW_FILL_CASE(3)
        TE_DW_FILL_CASE(4)
        TE_DW_FILL_CASE(5)
        TE_DW_FILL_CASE(6)
        TE_DW_FILL_CASE(7)
        TE_DW_FILL_CASE(8)
        TE_DW_FILL_CASE(9)
        TE_DW_FILL_CASE(10)
        TE_DW_FILL_CASE(11)
        TE_DW_FILL_CASE(12)
        TE_DW_FILL_CASE(13)
        TE_DW_FILL_CASE(14)
        TE_DW_FILL_CASE(15)
        TE_DW_FILL_CASE(16)
    default:
        for (int32_t y = 0; y < n_y; ++y) {
            te_dw_widen(src + (size_t)y * in_row, step, dst + (size_t)y * TE_DW_PL_PITCH, n_x, 1);
        }
        break;
    }
}
#undef TE_DW_FILL_CASE

/*
 * Every channel of a layer te_dw_plane_ok takes, out[] = output channel 0
 * of pixel 0 (in place, out may be g->in: each channel's input is all in
 * the plane before its first output is written).
 */
void te_dw_plane_layer(const te_dw_rows *g, int32_t n, const int8_t *filter, const int32_t *bias,
                       const te_per_channel_quant *quant, int8_t *out)
{
    uint32_t plane_words[TE_DW_PL_ROWS * TE_DW_PL_PITCH / 2];
    int16_t *const pl = (int16_t *)plane_words;
    int32_t acc[TE_DW_PL_ACC + 2];
    const int32_t ch = g->ch, out_h = g->out_h, out_w = g->out_w;
    const int32_t rows = (out_h - 1) * g->s_h + 3, cols = te_dw_plane_cols(out_w, g->s_w);
    /* The plane's inside: input rows and columns that land in it. */
    const int32_t y_end = TE_MIN(g->in_h, rows - g->p_h), x_n = TE_MIN(g->in_w, cols - g->p_w);
    const int16_t pad = (int16_t)-g->in_off;
    for (int32_t i = 0; i < rows * TE_DW_PL_PITCH; ++i) {
        pl[i] = pad;
    }
    const int32_t rows_per = TE_DW_PL_ACC / out_w;
    const size_t img = (size_t)g->in_h * (size_t)g->in_w * (size_t)ch;
    const size_t oimg = (size_t)out_h * (size_t)out_w * (size_t)ch;
    for (int32_t c = 0; c < ch; ++c) {
        int32_t w[9];
        te_dw_rq rq;
        te_dw_chan_prep(filter + c, 9, ch, bias, quant, c, g->in_off, g->out_off, g->act, w, &rq);
        const uint32_t w5[5] = {te_dw_pack(w[0], w[1]), te_dw_pack(w[3], w[4]), te_dw_pack(w[6], w[7]),
                                te_dw_pack(w[2], w[5]), te_dw_pack(w[8], 0)};
        for (int32_t b = 0; b < n; ++b) {
            const int8_t *src = g->in + (size_t)b * img + (size_t)c;
            const int32_t y0 = TE_MAX(0, -g->p_h);
            if (y_end > y0) {
                te_dw_plane_fill(src + (size_t)y0 * (size_t)g->in_w * (size_t)ch, (size_t)g->in_w * (size_t)ch,
                                 (size_t)ch, pl + (size_t)(y0 + g->p_h) * TE_DW_PL_PITCH + g->p_w, y_end - y0, x_n);
            }
            int8_t *o = out + (size_t)b * oimg + (size_t)c;
            for (int32_t oy = 0; oy < out_h; oy += rows_per) {
                const int32_t oy1 = TE_MIN(out_h, oy + rows_per);
#if TE_DW_ASM
                te_dw_plane33_rows_asm(pl, oy, oy1, g->s_h, g->s_w, out_w, w5, (int32_t)rq.init, acc);
#else
                te_dw_plane33_rows_c(pl, oy, oy1, g->s_h, g->s_w, out_w, w5, (int32_t)rq.init, acc);
#endif
                te_dw_requant(acc, (oy1 - oy) * out_w, &rq, o + (size_t)oy * (size_t)out_w * (size_t)ch,
                              (size_t)ch);
            }
        }
    }
}
#endif

#endif /* TE_DW_ROWS_DEFINE */

#endif /* TE_DW_ROWS_H */
