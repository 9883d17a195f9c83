#include <string.h>

#include "te_conv_internal.h"
#include "te_mac_dsp.h"

/*
 * The DSP path's widened filter pair with its constants and the pixels it
 * multiplies (copies of overlapped input pixels, or im2col rows), or two
 * im2col rows for long rows; the portable build needs only the copies of the
 * two input pixels a pointwise convolution takes before it overwrites them
 * when its output overlaps its input. (The code generator reserves the DSP
 * size either way, so a generated model's arena does not depend on the build.)
 */
int32_t te_conv2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims,
                                     const te_dims *output_dims)
{
    if (!te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) || !te_mac_dims_ok(output_dims)) {
        return -1;
    }
    if (!TE_DSP && (filter_dims->h != 1 || filter_dims->w != 1)) {
        return 0;
    }
    const int64_t k_len = (int64_t)filter_dims->h * filter_dims->w * filter_dims->c;
    int64_t bytes = (2 * k_len + 3) & ~(int64_t)3;
    if (TE_DSP && filter_dims->h == 1 && filter_dims->w == 1 && filter_dims->n != filter_dims->c) {
        /* te_pw_block_rqd: a channel pair's filter rows widened to int16, their constants and the copies of
         * two input pixels. (A layer of as many outputs as inputs may run in place, where the arena would
         * grow by that: it keeps the two copies, and te_pointwise_s8 takes the fast path anyway when the
         * caller passes more, as mcuflow does where its plan has the bytes free at the layer's step.) */
        bytes = 4 * ((k_len + 3) & ~3) + 68 + 2 * k_len;
    } else if (TE_DSP && (filter_dims->h != 1 || filter_dims->w != 1) && k_len >= 4 && k_len <= 128) {
        /* te_conv2d_rqd: a widened filter pair, its constants and the im2col rows of 4..64 pixels, all within
         * 1/32 of the output's bytes (so the arena does not grow for it). */
        const int64_t base = 4 * ((k_len + 3) & ~3) + 68;
        const int64_t room = (int64_t)output_dims->n * output_dims->h * output_dims->w * output_dims->c / 32 - base;
        int64_t n_chunk = room > 0 ? room / k_len : 0;
        n_chunk = (n_chunk > 64 ? 64 : n_chunk) & ~1;
        if (n_chunk >= 4) {
            bytes = base + n_chunk * k_len;
        }
    }
    return bytes > INT32_MAX ? -1 : (int32_t)bytes;
}

#if TE_DSP
/* memcpy for the few-byte runs of im2col (a call and newlib-nano's byte loop cost more than the copy). */
static inline void te_copy_small(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4) {
        te_st4(dst, te_ld4(src));
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/*
 * Pixel (b, oy, ox)'s im2col row: taps outside the image read the input zero point (-input_offset). A
 * filter row's taps inside the image are one run when there is no horizontal dilation (the first layer's
 * 3 channels x 3 taps = 9 bytes).
 */
static TE_ALWAYS_INLINE void te_im2col_row(const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c, int32_t k_h,
                                           int32_t k_w, int32_t y0, int32_t x0, te_tile dil, int32_t in_off,
                                           int8_t *row)
{
    const int8_t pad_value = (int8_t)(-in_off);
    const int32_t run = k_w * in_c;
    const int whole_row = dil.w == 1 && x0 >= 0 && x0 + k_w <= in_w;
    for (int32_t ky = 0; ky < k_h; ++ky) {
        const int32_t y = y0 + ky * dil.h;
        if (y < 0 || y >= in_h) {
            memset(row, pad_value, (size_t)run);
            row += run;
        } else if (whole_row) {
            te_copy_small(row, input + ((size_t)y * in_w + (size_t)x0) * in_c, run);
            row += run;
        } else {
            for (int32_t kx = 0; kx < k_w; ++kx) {
                const int32_t x = x0 + kx * dil.w;
                if (x < 0 || x >= in_w) {
                    memset(row, pad_value, (size_t)in_c);
                } else {
                    te_copy_small(row, input + ((size_t)y * in_w + (size_t)x) * in_c, in_c);
                }
                row += in_c;
            }
        }
    }
}

/*
 * One output channel pair (filter rows w0, w0 + k_len) over n_pairs pixel
 * pairs from x. At the hot calls k_len and full are constants, so the row
 * loop has no set-up or tail tests left (they cost as much as the MACs of a
 * 16-channel row).
 */
static TE_ALWAYS_INLINE void te_pw_pairs(const int8_t *x, int32_t n_pairs, const int8_t *w0, int32_t k_len,
                                         int8_t *out, int32_t out_c, int32_t b0, int32_t b1, te_rqf q0, te_rqf q1,
                                         int32_t in_off, te_activation act, int full)
{
    for (; n_pairs > 0; --n_pairs) {
        int32_t acc[4] = {b0, b1, b0, b1};
        te_dot_2x2_dsp(x, w0, k_len, in_off, acc);
        out[0] = te_rqf_out(acc[0], q0, act, full);
        out[1] = te_rqf_out(acc[1], q1, act, full);
        out[out_c] = te_rqf_out(acc[2], q0, act, full);
        out[out_c + 1] = te_rqf_out(acc[3], q1, act, full);
        x += 2 * k_len;
        out += 2 * out_c;
    }
}

/* One row against two filter rows, the sums started at *a0, *a1 (one copy of the loop for the odd pixels). */
static TE_NOINLINE void te_dot2_row(const int8_t *x, const int8_t *w0, int32_t k_len, int32_t in_off, int32_t *a0,
                                    int32_t *a1)
{
    te_dot_1x2_dsp(x, w0, w0 + k_len, k_len, in_off, 0, a0, a1);
}

/*
 * Pointwise pixels [0, n_pix) of x into output, for a te_rqf_layer_ok layer,
 * when no output byte can land on an input pixel of the range: channel pairs
 * outside, so their filter rows and requantization constants stay put while
 * the pixel pairs stream past.
 */
static TE_NOINLINE void te_pw_block_rqf(const int8_t *x, int32_t n_pix, int32_t in_c, int32_t out_c,
                                        const int8_t *filter, const int32_t *bias, const te_per_channel_quant *quant,
                                        int32_t in_off, int32_t out_off, te_activation act, int8_t *output)
{
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const int8_t *w0 = filter + (size_t)oc * in_c;
        const int32_t b0 = te_bias_or0(bias, oc), b1 = te_bias_or0(bias, oc + 1);
        const te_rqf q0 = te_rqf_of(quant, oc, out_off), q1 = te_rqf_of(quant, oc + 1, out_off);
        int8_t *out = output + oc;
        /* The fallback of layers te_rqd does not take: generic row lengths (the te_rqd loops are the fast ones),
         * the clamp left out where it is int8's whole range (RELU6 over [0, 6] often is). */
        if (te_act_full(act)) {
            te_pw_pairs(x, n_pix >> 1, w0, in_c, out, out_c, b0, b1, q0, q1, in_off, act, 1);
        } else {
            te_pw_pairs(x, n_pix >> 1, w0, in_c, out, out_c, b0, b1, q0, q1, in_off, act, 0);
        }
        if (n_pix & 1) {
            const int32_t p = n_pix - 1;
            int32_t a0 = b0, a1 = b1;
            te_dot2_row(x + (size_t)p * in_c, w0, in_c, in_off, &a0, &a1);
            out[(size_t)p * out_c] = te_rqf_out(a0, q0, act, 0);
            out[(size_t)p * out_c + 1] = te_rqf_out(a1, q1, act, 0);
        }
    }
    if (oc < out_c) {
        const int8_t *w = filter + (size_t)oc * in_c;
        const int32_t b = te_bias_or0(bias, oc);
        const te_rqf q = te_rqf_of(quant, oc, out_off);
        for (int32_t p = 0; p < n_pix; ++p) {
            output[(size_t)p * out_c + oc] =
                te_rqf_out(te_dot_1x1_dsp(x + (size_t)p * in_c, w, in_c, in_off, 0, b), q, act, 0);
        }
    }
}

/*
 * The end p1 <= n_pix of the longest run of pixels from p whose outputs miss
 * every input pixel from p on (those still to be read): the output may then
 * be written in any order over [p, p1). gap is input - output in bytes.
 * With the planner's layouts (expand: input at the tail of the output;
 * project: output at the head of the input) the runs are long: an expand
 * layer's first run is (1 - in_c / out_c) of the pixels, and each next run
 * that much of the rest; a project layer's runs grow by out_c / in_c.
 */
static int32_t te_pw_free_end(int64_t gap, int32_t p, int32_t n_pix, int32_t in_c, int32_t out_c)
{
    if ((int64_t)p * out_c >= gap + (int64_t)n_pix * in_c) {
        return n_pix; /* the rest of the output starts past the input's end */
    }
    const int64_t live = gap + (int64_t)p * in_c; /* first input byte still to be read, from the output */
    if (live < (int64_t)p * out_c) {
        return p;
    }
    const int64_t end = live / out_c;
    return end < n_pix ? (int32_t)end : n_pix;
}

/*
 * The te_rqd path of a pointwise layer (rows a multiple of 4 long): each
 * channel pair's filter rows are widened to int16 lanes once, doubled for
 * te_rqd, into scratch words laid out per 4-byte step as {w0 bytes 0/2,
 * w0 bytes 1/3, w1 bytes 0/2, w1 bytes 1/3}; every pixel pair then costs only
 * its own loads and widening (2 input loads, 4 SXTB16, 2 LDRD, 8 SMLAD a
 * step) instead of widening the weights again. The input offset goes into
 * the doubled bias: 2 (b + in_off * sum w) = 2 b + in_off * sum 2w.
 *
 * TE_PW_HDR words before the widened rows hold the pair's constants, where
 * the native loops (which keep no spare register for them) load them from.
 */
enum {
    TE_PW_KLEN = -16, /* the row length (the looped native form) */
    TE_PW_OC = -15,   /* out_c, then the output pointer (the looped native form keeps them here) */
    TE_PW_OUTP = -14,
    TE_PW_LO4 = -12,  /* act.min in every byte */
    TE_PW_HI4 = -11,  /* act.max in every byte */
    TE_PW_XEND = -10, /* the input pointer after the last pixel pair */
    TE_PW_S0 = -8,    /* doubled bias of channel 0, then of channel 1 */
    TE_PW_K0 = -6,    /* te_rqd k, m, e of channel 0, then of channel 1 */
    TE_PW_K1 = -3,
    TE_PW_HDR = 16
};

/* One step of te_pw_widen2: words va, vb of the two filter rows into d[0..3], their doubled sums times the
 * input offset into *s0, *s1. */
static TE_ALWAYS_INLINE void te_pw_widen_step(uint32_t va, uint32_t vb, uint32_t offp, uint32_t *d, int32_t *s0,
                                              int32_t *s1)
{
    uint32_t a02 = te_sxtb16(va), a13 = te_sxtb16_ror8(va);
    uint32_t b02 = te_sxtb16(vb), b13 = te_sxtb16_ror8(vb);
    a02 = te_sadd16(a02, a02);
    a13 = te_sadd16(a13, a13);
    b02 = te_sadd16(b02, b02);
    b13 = te_sadd16(b13, b13);
    d[0] = a02;
    d[1] = a13;
    d[2] = b02;
    d[3] = b13;
    *s0 = te_smlad(te_sadd16(a02, a13), offp, *s0);
    *s1 = te_smlad(te_sadd16(b02, b13), offp, *s1);
}

static void te_pw_widen2(const int8_t *w0, int32_t k_len, int32_t in_off, int32_t b0, int32_t b1, uint32_t *wx)
{
    const int8_t *w1 = w0 + k_len;
    const uint32_t offp = te_dup16(in_off);
    int32_t s0 = (int32_t)((uint32_t)b0 << 1), s1 = (int32_t)((uint32_t)b1 << 1);
    int32_t j = 0;
    for (; j + 4 <= k_len; j += 4) {
        te_pw_widen_step(te_ld4(w0 + j), te_ld4(w1 + j), offp, wx + j, &s0, &s1);
    }
    if (j < k_len) {
        /* A row of k_len % 4 != 0: the last step reads the row's last word, bytes k_len - 4 .. k_len - 1,
         * whose first bytes the step before counted already; their weights are zeroed here. */
        const uint32_t keep = 0xFFFFFFFFu << (8 * (j + 4 - k_len));
        te_pw_widen_step(te_ld4(w0 + k_len - 4) & keep, te_ld4(w1 + k_len - 4) & keep, offp, wx + j, &s0, &s1);
    }
    wx[TE_PW_S0] = (uint32_t)s0;
    wx[TE_PW_S0 + 1] = (uint32_t)s1;
}

/* The input word of the step at byte j of a k_len-long row (the last word for a short last step). */
static inline uint32_t te_pw_xword(const int8_t *row, int32_t j, int32_t k_len)
{
    return te_ld4(row + (j + 4 <= k_len ? j : k_len - 4));
}

/* One 4-byte step of pixel word xv against the widened pair at wp: a0 += x.w0, a1 += x.w1. */
#define TE_PW_STEP(xv, wp, a0, a1)                                                                                     \
    do {                                                                                                               \
        const uint32_t t02_ = te_sxtb16(xv), t13_ = te_sxtb16_ror8(xv);                                                \
        (a0) = te_smlad(t02_, (wp)[0], (a0));                                                                          \
        (a1) = te_smlad(t02_, (wp)[2], (a1));                                                                          \
        (a0) = te_smlad(t13_, (wp)[1], (a0));                                                                          \
        (a1) = te_smlad(t13_, (wp)[3], (a1));                                                                          \
    } while (0)

/* n_pairs >= 1 pixel pairs from x against the widened pair wx (the portable form of the native loops below). */
static void te_pw_rqd_pairs_c(const int8_t *x, int32_t n_pairs, const uint32_t *wx, int32_t k_len, int8_t *out,
                              int32_t out_c, te_rqd q0, te_rqd q1, te_activation act)
{
    const int32_t s0 = (int32_t)wx[TE_PW_S0], s1 = (int32_t)wx[TE_PW_S0 + 1];
    for (; n_pairs > 0; --n_pairs) {
        int32_t a00 = s0, a01 = s1, a10 = s0, a11 = s1;
        for (int32_t j = 0; j < k_len; j += 4) {
            TE_PW_STEP(te_pw_xword(x, j, k_len), wx + j, a00, a01);
            TE_PW_STEP(te_pw_xword(x + k_len, j, k_len), wx + j, a10, a11);
        }
        te_rqd_st2(out, a00, a01, q0, q1, act, 0);
        te_rqd_st2(out + out_c, a10, a11, q0, q1, act, 0);
        x += 2 * k_len;
        out += 2 * out_c;
    }
}

/* The native loops need Thumb-2 (LDRD takes any two registers) and the row length as an immediate. */
#if TE_DSP_NATIVE && defined(__thumb2__) && defined(__OPTIMIZE__)
#define TE_PW_ASM 1
#else
#define TE_PW_ASM 0
#endif

#if TE_PW_ASM
/*
 * The pixel pair loop in assembly: GCC spills the constants and widened
 * words of the C form (14 live values) and reloads them word by word, a
 * third more instructions. Here every register is assigned: 4 sums, x, the
 * widened rows (w), out and out_c, 6 temporaries; the constants come from
 * the header two words per LDRD. One step of both pixels is 2 LDRD, 2 LDR,
 * 4 SXTB16 and 8 SMLAD (16 MACs); the first step starts the sums from the
 * doubled biases. k (the row length) is an immediate: rows of up to
 * 4 * TE_PW_UNROLL_MAX bytes are unrolled whole, longer ones loop over
 * u-step blocks (u = 2 or 4).
 */
#define TE_PW_ASM_PIX(xoff, a0, a1)                                                                                    \
    "ldr %[t4], [%[x], #" xoff "]\n\t"                                                                                 \
    "sxtb16 %[t5], %[t4]\n\t"                                                                                          \
    "smlad %[" a0 "], %[t5], %[t0], %[" a0 "]\n\t"                                                                    \
    "smlad %[" a1 "], %[t5], %[t2], %[" a1 "]\n\t"                                                                    \
    "sxtb16 %[t4], %[t4], ror #8\n\t"                                                                                  \
    "smlad %[" a0 "], %[t4], %[t1], %[" a0 "]\n\t"                                                                    \
    "smlad %[" a1 "], %[t4], %[t3], %[" a1 "]\n\t"

/* Requantization of sums sa (pixel 0) and sb (pixel 1) of the channel whose k, m, e are at kw. */
#define TE_PW_ASM_RQ(kw, sa, sb)                                                                                       \
    "ldrd %[t0], %[t1], [%[w], #" kw "]\n\t"                                                                           \
    "ldr %[t2], [%[w], #" kw "+8]\n\t"                                                                                 \
    "add %[t3], %[t0], %[" sa "], asr #31\n\t"                                                                        \
    "smmlar %[" sa "], %[" sa "], %[t1], %[t3]\n\t"                                                                  \
    "asr %[" sa "], %[" sa "], %[t2]\n\t"                                                                             \
    "ssat %[" sa "], #8, %[" sa "]\n\t"                                                                               \
    "add %[t3], %[t0], %[" sb "], asr #31\n\t"                                                                        \
    "smmlar %[" sb "], %[" sb "], %[t1], %[t3]\n\t"                                                                  \
    "asr %[" sb "], %[" sb "], %[t2]\n\t"                                                                             \
    "ssat %[" sb "], #8, %[" sb "]\n\t"

#define TE_PW_ASM_RQ_ALL TE_PW_ASM_RQ("-24", "a0", "a2") TE_PW_ASM_RQ("-12", "a1", "a3")

/* Byte stores of the full int8 range; else the pairs are clamped as packed bytes (SSUB8 sets GE, SEL picks). */
#define TE_PW_ASM_ST_FULL(O, OC)                                                                                       \
    "strb %[a0], [%[" O "]]\n\t"                                                                                       \
    "strb %[a1], [%[" O "], #1]\n\t"                                                                                   \
    "add %[" O "], %[" O "], %[" OC "]\n\t"                                                                            \
    "strb %[a2], [%[" O "]]\n\t"                                                                                       \
    "strb %[a3], [%[" O "], #1]\n\t"                                                                                   \
    "add %[" O "], %[" O "], %[" OC "]\n\t"

#define TE_PW_ASM_ST_CLAMP(O, OC)                                                                                      \
    "ldrd %[t0], %[t1], [%[w], #-48]\n\t"                                                                              \
    "bfi %[a0], %[a1], #8, #8\n\t"                                                                                     \
    "bfi %[a2], %[a3], #8, #8\n\t"                                                                                     \
    "ssub8 %[t2], %[a0], %[t0]\n\t"                                                                                    \
    "sel %[a0], %[a0], %[t0]\n\t"                                                                                      \
    "ssub8 %[t2], %[a0], %[t1]\n\t"                                                                                    \
    "sel %[a0], %[t1], %[a0]\n\t"                                                                                      \
    "ssub8 %[t2], %[a2], %[t0]\n\t"                                                                                    \
    "sel %[a2], %[a2], %[t0]\n\t"                                                                                      \
    "ssub8 %[t2], %[a2], %[t1]\n\t"                                                                                    \
    "sel %[a2], %[t1], %[a2]\n\t"                                                                                      \
    "strh %[a0], [%[" O "]]\n\t"                                                                                       \
    "add %[" O "], %[" O "], %[" OC "]\n\t"                                                                            \
    "strh %[a2], [%[" O "]]\n\t"                                                                                       \
    "add %[" O "], %[" O "], %[" OC "]\n\t"

/* Rows of k bytes (an immediate), all steps unrolled. */
#define TE_PW_ASM_UNROLLED(ST)                                                                                         \
    __asm__ volatile("1:\n\t"                                                                                          \
                     "ldrd %[a2], %[a3], [%[w], #-32]\n\t"                                                             \
                     "ldrd %[t0], %[t1], [%[w]]\n\t"                                                                   \
                     "ldrd %[t2], %[t3], [%[w], #8]\n\t"                                                               \
                     "ldr %[t4], [%[x]]\n\t"                                                                           \
                     "sxtb16 %[t5], %[t4]\n\t"                                                                         \
                     "smlad %[a0], %[t5], %[t0], %[a2]\n\t"                                                            \
                     "smlad %[a1], %[t5], %[t2], %[a3]\n\t"                                                            \
                     "sxtb16 %[t4], %[t4], ror #8\n\t"                                                                 \
                     "smlad %[a0], %[t4], %[t1], %[a0]\n\t"                                                            \
                     "smlad %[a1], %[t4], %[t3], %[a1]\n\t" TE_PW_ASM_PIX("%c[k]", "a2", "a3")                         \
                     ".set te_pw_j, 1\n\t"                                                                             \
                     ".rept %c[k] / 4 - 1\n\t"                                                                         \
                     "ldrd %[t0], %[t1], [%[w], #16 * te_pw_j]\n\t"                                                    \
                     "ldrd %[t2], %[t3], [%[w], #16 * te_pw_j + 8]\n\t" TE_PW_ASM_PIX("4 * te_pw_j", "a0", "a1")        \
                     TE_PW_ASM_PIX("%c[k] + 4 * te_pw_j", "a2", "a3")                                                 \
                     ".set te_pw_j, te_pw_j + 1\n\t"                                                                   \
                     ".endr\n\t"                                                                                       \
                     ".if %c[k] %% 4\n\t"                                                                               \
                     "ldrd %[t0], %[t1], [%[w], #16 * te_pw_j]\n\t"                                                    \
                     "ldrd %[t2], %[t3], [%[w], #16 * te_pw_j + 8]\n\t" TE_PW_ASM_PIX("%c[k] - 4", "a0", "a1")         \
                     TE_PW_ASM_PIX("2 * %c[k] - 4", "a2", "a3")                                                       \
                     ".endif\n\t" TE_PW_ASM_RQ_ALL ST("o", "oc") "ldr %[t0], [%[w], #-40]\n\t"                       \
                     "add %[x], %[x], #2 * %c[k]\n\t"                                                                  \
                     "cmp %[x], %[t0]\n\t"                                                                             \
                     "bne 1b\n\t"                                                                                      \
                     : [x] "+r"(x), [o] "+r"(out), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),   \
                       [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5) \
                     : [w] "r"(wx), [oc] "r"(out_c), [k] "i"(K)                                                        \
                     : "cc", "memory")

/*
 * Any row length that is a multiple of 4 * u: blocks of u steps with
 * post-indexed loads. The output pointer and out_c wait in the header
 * meanwhile, their registers holding the row length and pixel 0's row end.
 */
#define TE_PW_ASM_LOOPED(ST, U)                                                                                        \
    __asm__ volatile("1:\n\t"                                                                                          \
                     "ldrd %[a0], %[a1], [%[w], #-32]\n\t"                                                             \
                     "mov %[a2], %[a0]\n\t"                                                                            \
                     "mov %[a3], %[a1]\n\t"                                                                            \
                     "ldr %[rk], [%[w], #-64]\n\t"                                                                     \
                     "add %[re], %[x], %[rk]\n\t"                                                                      \
                     "2:\n\t"                                                                                          \
                     ".rept " #U "\n\t"                                                                                \
                     "ldrd %[t0], %[t1], [%[w]], #8\n\t"                                                               \
                     "ldrd %[t2], %[t3], [%[w]], #8\n\t"                                                               \
                     "ldr %[t4], [%[x], %[rk]]\n\t"                                                                    \
                     "sxtb16 %[t5], %[t4]\n\t"                                                                         \
                     "smlad %[a2], %[t5], %[t0], %[a2]\n\t"                                                            \
                     "smlad %[a3], %[t5], %[t2], %[a3]\n\t"                                                            \
                     "sxtb16 %[t4], %[t4], ror #8\n\t"                                                                 \
                     "smlad %[a2], %[t4], %[t1], %[a2]\n\t"                                                            \
                     "smlad %[a3], %[t4], %[t3], %[a3]\n\t"                                                            \
                     "ldr %[t4], [%[x]], #4\n\t"                                                                       \
                     "sxtb16 %[t5], %[t4]\n\t"                                                                         \
                     "smlad %[a0], %[t5], %[t0], %[a0]\n\t"                                                            \
                     "smlad %[a1], %[t5], %[t2], %[a1]\n\t"                                                            \
                     "sxtb16 %[t4], %[t4], ror #8\n\t"                                                                 \
                     "smlad %[a0], %[t4], %[t1], %[a0]\n\t"                                                            \
                     "smlad %[a1], %[t4], %[t3], %[a1]\n\t"                                                            \
                     ".endr\n\t"                                                                                       \
                     "cmp %[x], %[re]\n\t"                                                                             \
                     "bne 2b\n\t"                                                                                      \
                     "sub %[w], %[w], %[rk], lsl #2\n\t"                                                               \
                     "add %[x], %[x], %[rk]\n\t" TE_PW_ASM_RQ_ALL "ldrd %[re], %[rk], [%[w], #-60]\n\t" ST("rk", "re")  \
                     "str %[rk], [%[w], #-56]\n\t"                                                                     \
                     "ldr %[t0], [%[w], #-40]\n\t"                                                                     \
                     "cmp %[x], %[t0]\n\t"                                                                             \
                     "bne 1b\n\t"                                                                                      \
                     : [x] "+r"(x), [w] "+r"(wx), [rk] "=&r"(rk), [re] "=&r"(re), [a0] "=&r"(a0), [a1] "=&r"(a1),     \
                       [a2] "=&r"(a2), [a3] "=&r"(a3), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),                 \
                       [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)                                                  \
                     :                                                                                                 \
                     : "cc", "memory")

static TE_ALWAYS_INLINE void te_pw_rqd_asm(const int8_t *x, const uint32_t *wx, int32_t K, int8_t *out,
                                           int32_t out_c, int full)
{
    uint32_t a0, a1, a2, a3, t0, t1, t2, t3, t4, t5;
    if (full) {
        TE_PW_ASM_UNROLLED(TE_PW_ASM_ST_FULL);
    } else {
        TE_PW_ASM_UNROLLED(TE_PW_ASM_ST_CLAMP);
    }
    (void)a0, (void)a1, (void)a2, (void)a3, (void)t0, (void)t1, (void)t2, (void)t3, (void)t4, (void)t5;
}

/* The looped form; wx's header holds the row length, out_c and the output pointer. */
#define TE_PW_ASM_LOOPED_FN(name, ST, U)                                                                               \
    static TE_NOINLINE void name(const int8_t *x, uint32_t *wx)                                                        \
    {                                                                                                                  \
        uint32_t rk, re, a0, a1, a2, a3, t0, t1, t2, t3, t4, t5;                                                       \
        TE_PW_ASM_LOOPED(ST, U);                                                                                       \
        (void)rk, (void)re, (void)a0, (void)a1, (void)a2, (void)a3, (void)t0, (void)t1, (void)t2, (void)t3, (void)t4, \
            (void)t5;                                                                                                  \
    }
TE_PW_ASM_LOOPED_FN(te_pw_rqd_loop4_full, TE_PW_ASM_ST_FULL, 4)
TE_PW_ASM_LOOPED_FN(te_pw_rqd_loop4_clamp, TE_PW_ASM_ST_CLAMP, 4)
TE_PW_ASM_LOOPED_FN(te_pw_rqd_loop2_full, TE_PW_ASM_ST_FULL, 2)
TE_PW_ASM_LOOPED_FN(te_pw_rqd_loop2_clamp, TE_PW_ASM_ST_CLAMP, 2)

/* The row lengths unrolled whole (the common short rows of mobile networks' pointwise layers). */
#define TE_PW_ASM_CASES(full)                                                                                          \
    switch (k_len) {                                                                                                   \
    case 8: te_pw_rqd_asm(x, wx, 8, out, out_c, full); return;                                                         \
    case 16: te_pw_rqd_asm(x, wx, 16, out, out_c, full); return;                                                       \
    case 24: te_pw_rqd_asm(x, wx, 24, out, out_c, full); return;                                                       \
    case 32: te_pw_rqd_asm(x, wx, 32, out, out_c, full); return;                                                       \
    case 40: te_pw_rqd_asm(x, wx, 40, out, out_c, full); return;                                                       \
    case 48: te_pw_rqd_asm(x, wx, 48, out, out_c, full); return;                                                       \
    case 27: te_pw_rqd_asm(x, wx, 27, out, out_c, full); return; /* 3x3 filters over 3 channels */                     \
    default: break;                                                                                                    \
    }                                                                                                                  \
    wx[TE_PW_KLEN] = (uint32_t)k_len;                                                                                  \
    wx[TE_PW_OC] = (uint32_t)out_c;                                                                                    \
    wx[TE_PW_OUTP] = (uint32_t)(uintptr_t)out;                                                                         \
    if (k_len % 16 == 0) {                                                                                             \
        (full ? te_pw_rqd_loop4_full : te_pw_rqd_loop4_clamp)(x, wx);                                                 \
    } else {                                                                                                           \
        (full ? te_pw_rqd_loop2_full : te_pw_rqd_loop2_clamp)(x, wx);                                                 \
    }

/* All pixel pairs (at least one) of rows k_len % 8 == 0 through the native loops. */
static TE_NOINLINE void te_pw_rqd_full(const int8_t *x, uint32_t *wx, int32_t k_len, int8_t *out, int32_t out_c)
{
    TE_PW_ASM_CASES(1)
}

static TE_NOINLINE void te_pw_rqd_clamp(const int8_t *x, uint32_t *wx, int32_t k_len, int8_t *out, int32_t out_c)
{
    TE_PW_ASM_CASES(0)
}
#endif

#if TE_PW_ASM
/*
 * te_copy_small for the overlap chunks of te_pw_rqf, 16 bytes per LDM/STM pair where both ends are
 * word-aligned (the arena's pixels are, when in_c % 4 == 0): the word loop's 5 instructions per 4 bytes
 * were 7% of an 8-channel in-place layer, whose every pixel goes through the copy.
 */
static void te_copy_chunk(int8_t *dst, const int8_t *src, int32_t n)
{
    if ((((uintptr_t)dst | (uintptr_t)src) & 3u) == 0) {
        for (; n >= 16; n -= 16) {
            __asm__ volatile("ldmia %[s]!, {r4, r5, r6, r8}\n\t"
                             "stmia %[d]!, {r4, r5, r6, r8}\n\t"
                             : [s] "+r"(src), [d] "+r"(dst)
                             :
                             : "r4", "r5", "r6", "r8", "memory");
        }
    }
    te_copy_small(dst, src, n);
}
#else
#define te_copy_chunk te_copy_small
#endif

/* te_pw_block_rqf for a te_rqd_layer_ok layer; wx: 4 * in_c bytes of word-aligned scratch after TE_PW_HDR words. */
static TE_NOINLINE void te_pw_block_rqd(const int8_t *x, int32_t n_pix, int32_t in_c, int32_t out_c,
                                        const int8_t *filter, const int32_t *bias, const te_per_channel_quant *quant,
                                        int32_t in_off, int32_t out_off, te_activation act, int8_t *output,
                                        uint32_t *wx)
{
    if (n_pix < 4) {
        /* Too few pixels to pay for widening the filter rows (squeeze-excite layers run on one pixel). */
        for (int32_t oc = 0; oc + 2 <= out_c; oc += 2) {
            const int8_t *w0 = filter + (size_t)oc * in_c;
            const te_rqd q0 = te_rqd_of(quant, oc, out_off), q1 = te_rqd_of(quant, oc + 1, out_off);
            for (int32_t p = 0; p < n_pix; ++p) {
                int32_t a0 = te_bias_or0(bias, oc), a1 = te_bias_or0(bias, oc + 1);
                te_dot2_row(x + (size_t)p * in_c, w0, in_c, in_off, &a0, &a1);
                te_rqd_st2(output + (size_t)p * out_c + oc, (int32_t)((uint32_t)a0 << 1), (int32_t)((uint32_t)a1 << 1),
                           q0, q1, act, 0);
            }
        }
        if (out_c & 1) {
            const int32_t oc = out_c - 1;
            const int8_t *w = filter + (size_t)oc * in_c;
            const int32_t b = te_bias_or0(bias, oc), m = quant->multiplier[oc], sh = quant->shift[oc];
            for (int32_t p = 0; p < n_pix; ++p) {
                output[(size_t)p * out_c + oc] =
                    te_mac_out(te_dot_1x1_dsp(x + (size_t)p * in_c, w, in_c, in_off, 0, b), m, sh, out_off, act);
            }
        }
        return;
    }
    const int full = te_act_full(act);
    const int32_t n_pairs = n_pix >> 1;
    wx[TE_PW_LO4] = ((uint32_t)act.min & 0xFFu) * 0x01010101u;
    wx[TE_PW_HI4] = ((uint32_t)act.max & 0xFFu) * 0x01010101u;
    wx[TE_PW_XEND] = (uint32_t)(uintptr_t)(x + (size_t)n_pairs * 2 * in_c);
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        te_pw_widen2(filter + (size_t)oc * in_c, in_c, in_off, te_bias_or0(bias, oc), te_bias_or0(bias, oc + 1), wx);
        const te_rqd q0 = te_rqd_of(quant, oc, out_off), q1 = te_rqd_of(quant, oc + 1, out_off);
        wx[TE_PW_K0] = (uint32_t)q0.k;
        wx[TE_PW_K0 + 1] = (uint32_t)q0.m;
        wx[TE_PW_K0 + 2] = (uint32_t)q0.e;
        wx[TE_PW_K1] = (uint32_t)q1.k;
        wx[TE_PW_K1 + 1] = (uint32_t)q1.m;
        wx[TE_PW_K1 + 2] = (uint32_t)q1.e;
        if (n_pairs > 0) {
#if TE_PW_ASM
            if (in_c % 8 == 0 || in_c == 27) {
                if (full) {
                    te_pw_rqd_full(x, wx, in_c, output + oc, out_c);
                } else {
                    te_pw_rqd_clamp(x, wx, in_c, output + oc, out_c);
                }
            } else
#endif
            {
                (void)full;
                te_pw_rqd_pairs_c(x, n_pairs, wx, in_c, output + oc, out_c, q0, q1, act);
            }
        }
        if (n_pix & 1) {
            const int8_t *xp = x + (size_t)(n_pix - 1) * in_c;
            int32_t a0 = (int32_t)wx[TE_PW_S0], a1 = (int32_t)wx[TE_PW_S0 + 1];
            for (int32_t j = 0; j < in_c; j += 4) {
                TE_PW_STEP(te_pw_xword(xp, j, in_c), wx + j, a0, a1);
            }
            te_rqd_st2(output + (size_t)(n_pix - 1) * out_c + oc, a0, a1, q0, q1, act, 0);
        }
    }
    if (oc < out_c) {
        const int8_t *w = filter + (size_t)oc * in_c;
        const int32_t b = te_bias_or0(bias, oc), m = quant->multiplier[oc], sh = quant->shift[oc];
        for (int32_t p = 0; p < n_pix; ++p) {
            output[(size_t)p * out_c + oc] =
                te_mac_out(te_dot_1x1_dsp(x + (size_t)p * in_c, w, in_c, in_off, 0, b), m, sh, out_off, act);
        }
    }
}

/* Shorter free runs than this go pixel pair by pixel pair through the scratch copy. */
#define TE_PW_MIN_RUN 4

/* te_matmul_rows_rqf over n_pairs pixel pairs from x, rows of a constant length where K is one. */
#define TE_PW_ROWS2(K, FULL)                                                                                           \
    for (; n_pairs > 0; --n_pairs, x += 2 * (K), out += 2 * out_c) {                                                  \
        te_matmul_rows_rqf(x, 2, filter, (K), out_c, in_off, bias, quant, out_off, act, (FULL), out, out + out_c);   \
    }

/*
 * Pixel pairs outer, every channel of a pair before the next, reading the input in place: the overlapping
 * layers that get no widened-filter scratch (as many outputs as inputs, in place at the busiest step,
 * where that scratch would raise the arena). Their free runs are one pair long, so the channel-pair-outer
 * block never pays; copying each pair aside first (te_pw_rqf's general fallback) is needless once a pair's
 * outputs miss its own input, and a row length that is not a constant leaves te_dot_2x2_dsp a loop
 * with set-up and tail tests that cost like a third of the MACs of a 64-channel row.
 */
static TE_NOINLINE void te_pw_rows2_rqf(const int8_t *x, int32_t n_pairs, int32_t in_c, int32_t out_c,
                                        const int8_t *filter, const int32_t *bias, const te_per_channel_quant *quant,
                                        int32_t in_off, int32_t out_off, te_activation act, int8_t *out)
{
    /* Keyword spotting's 64 channels (DS-CNN: every pointwise layer, 60% of the model, in place at the peak)
     * get a loop of their own; each such variant is a kilobyte or two of flash. */
    if (in_c == 64 && te_act_full(act)) {
        TE_PW_ROWS2(64, 1)
    } else {
        TE_PW_ROWS2(in_c, 0)
    }
}
#undef TE_PW_ROWS2

/*
 * Pointwise pixels through te_pw_block_rqd (wx != NULL: word-aligned scratch of 4 * in_c bytes, which also
 * holds the copies) or te_pw_block_rqf.
 */
static void te_pw_rqf(int32_t n_pix, int32_t in_c, int32_t out_c, int32_t in_off, int32_t out_off, te_activation act,
                      const te_per_channel_quant *quant, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output, int overlap, int8_t *copy, uint32_t *wx, int32_t n_copy)
{
    if (!overlap) {
        if (wx != NULL) {
            te_pw_block_rqd(input, n_pix, in_c, out_c, filter, bias, quant, in_off, out_off, act, output, wx);
        } else {
            te_pw_block_rqf(input, n_pix, in_c, out_c, filter, bias, quant, in_off, out_off, act, output);
        }
        return;
    }
    const int64_t gap = (int64_t)((intptr_t)input - (intptr_t)output);
    int32_t p = 0;
    while (p < n_pix) {
        /* Runs end on an even pixel unless they reach the end, so the pairs in between keep the pairing
         * from pixel 0 that TE_POINTWISE_PIXELS_IN_FLIGHT's least distances are computed for. */
        int32_t p1 = te_pw_free_end(gap, p, n_pix, in_c, out_c);
        p1 = p1 < n_pix ? p1 & ~1 : p1;
        if (p1 - p >= TE_PW_MIN_RUN) {
            if (wx != NULL) {
                te_pw_block_rqd(input + (size_t)p * in_c, p1 - p, in_c, out_c, filter, bias, quant, in_off, out_off,
                                act, output + (size_t)p * out_c, wx);
            } else {
                te_pw_block_rqf(input + (size_t)p * in_c, p1 - p, in_c, out_c, filter, bias, quant, in_off, out_off,
                                act, output + (size_t)p * out_c);
            }
            p = p1;
            continue;
        }
        if (wx != NULL) {
            /* n_copy (even) pixels at a time from a copy: each output is then written after at least the input
             * pixels the pair-by-pair kernel would have read, so it overwrites nothing that kernel keeps. (An
             * in-place layer, in_c == out_c, has free runs of one pair at most.) */
            const int32_t n = n_pix - p < n_copy ? n_pix - p : n_copy;
            te_copy_chunk(copy, input + (size_t)p * in_c, n * in_c);
            te_pw_block_rqd(copy, n, in_c, out_c, filter, bias, quant, in_off, out_off, act,
                            output + (size_t)p * out_c, wx);
            p += n;
            continue;
        }
        if (p1 - p >= 2 && in_c >= out_c) {
            /* Pair p's outputs miss every input byte from pixel p on, and so do those of every later pair
             * (the free run's end moves by in_c / out_c >= 1 pixel a pixel): all of them straight from the
             * input. */
            const int32_t n_pairs = (n_pix - p) >> 1;
            te_pw_rows2_rqf(input + (size_t)p * in_c, n_pairs, in_c, out_c, filter, bias, quant, in_off, out_off,
                            act, output + (size_t)p * out_c);
            p += 2 * n_pairs;
            if (p == n_pix) {
                break;
            }
        }
        const int n = p + 1 < n_pix ? 2 : 1;
        memcpy(copy, input + (size_t)p * in_c, (size_t)n * in_c);
        int8_t *out0 = output + (size_t)p * out_c;
        te_matmul_rows_rqf(copy, n, filter, in_c, out_c, in_off, bias, quant, out_off, act, 0, out0, out0 + out_c);
        p += n;
    }
}
#endif

/*
 * Pointwise (1x1, stride 1, no padding) convolution, output pixels in
 * increasing order in groups of TE_POINTWISE_PIXELS_IN_FLIGHT: when the
 * output overlaps the input, a group's input pixels are copied to scratch
 * before any of its outputs is written. (The DSP path of a te_rqf_layer_ok
 * layer does that only outside the free runs of te_pw_free_end, whose
 * outputs miss every input byte still to be read, so their order is free.)
 */
static te_status te_pointwise_s8(te_context ctx, int32_t n_pix, int32_t in_c, int32_t out_c, const te_conv_params *params,
                                 const te_per_channel_quant *quant, const int8_t *input, const int8_t *filter,
                                 const int32_t *bias, int8_t *output)
{
    const int overlap = te_ranges_overlap(input, (size_t)n_pix * in_c, output, (size_t)n_pix * out_c);
    if (overlap && (ctx.buf == NULL || ctx.size < 2 * in_c)) {
        return TE_ERR_BUFFER;
    }
    int8_t *copy = (int8_t *)ctx.buf;
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const te_activation act = params->activation;
#if TE_DSP
    /* Layers with shifts TF Lite's converter does not make for convolutions take the pixel pairs below. */
    if (ctx.buf != NULL && in_c % 4 == 0) {
        /* The widened filter pair goes in word-aligned scratch (the arena's is; a caller's may not be). */
        const uintptr_t at = ((uintptr_t)ctx.buf + 3u) & ~(uintptr_t)3u;
        const int32_t room = ctx.size - (int32_t)(at - (uintptr_t)ctx.buf);
        const int32_t n_copy = ((room - 4 * (TE_PW_HDR + in_c)) / in_c) & ~1;
        if (n_copy >= 2 && te_rqd_layer_ok(quant, bias, out_c, in_c)) {
            uint32_t *wx = (uint32_t *)at + TE_PW_HDR;
            te_pw_rqf(n_pix, in_c, out_c, in_off, out_off, act, quant, input, filter, bias, output, overlap,
                      (int8_t *)(wx + in_c), wx, n_copy);
            return TE_OK;
        }
    }
    if (te_rqf_layer_ok(quant, out_c)) {
        te_pw_rqf(n_pix, in_c, out_c, in_off, out_off, act, quant, input, filter, bias, output, overlap, copy, NULL,
                  0);
        return TE_OK;
    }
#endif
    for (int32_t p = 0; p < n_pix; p += TE_POINTWISE_PIXELS_IN_FLIGHT) {
        const int n = p + 1 < n_pix ? 2 : 1;
        const int8_t *x0 = input + (size_t)p * in_c;
        if (overlap) {
            memcpy(copy, x0, (size_t)n * in_c);
            x0 = copy;
        }
        int8_t *out0 = output + (size_t)p * out_c;
#if TE_DSP
        te_matmul_rows_dsp(x0, n, filter, in_c, out_c, in_off, bias, quant, out_off, act, out0, out0 + out_c);
#else
        for (int j = 0; j < n; ++j) {
            const int8_t *x = x0 + (size_t)j * in_c;
            int8_t *out = out0 + (size_t)j * out_c;
            int32_t oc = 0;
            for (; oc + 2 <= out_c; oc += 2) {
                int32_t a0 = 0, a1 = 0;
                const int8_t *w0 = filter + (size_t)oc * in_c;
                te_dot2_off(x, w0, w0 + in_c, in_c, in_off, &a0, &a1);
                out[oc] = te_mac_finish(a0, bias, oc, quant->multiplier[oc], quant->shift[oc], out_off, act);
                out[oc + 1] = te_mac_finish(a1, bias, oc + 1, quant->multiplier[oc + 1], quant->shift[oc + 1],
                                            out_off, act);
            }
            if (oc < out_c) {
                const int32_t a = te_dot_off(x, filter + (size_t)oc * in_c, in_c, in_off, 0);
                out[oc] = te_mac_finish(a, bias, oc, quant->multiplier[oc], quant->shift[oc], out_off, act);
            }
        }
#endif
    }
    return TE_OK;
}

#if TE_DSP
/*
 * Any ungrouped convolution with rows of at most TE_CONV_RQD_MAX_K bytes, for
 * a te_rqd_layer_ok layer: the im2col rows of n_chunk (even) output pixels
 * at a time into rows, then the pointwise kernel over them (a channel pair's
 * filter rows widened once per chunk instead of every row word widened once
 * per pixel pair). The padding taps read the input zero point, so the input
 * offset folded into the bias cancels there as it should. A chunk's windows
 * are all read before any of its outputs is written, and a chunk starts on an
 * even pixel: every output is written after at least the windows the
 * pair-by-pair order (TE_CONV_PIXELS_IN_FLIGHT) would have read.
 */
#define TE_CONV_RQD_MAX_K 128

static TE_NOINLINE void te_conv2d_rqd(const te_conv_params *params, const te_per_channel_quant *quant,
                                      const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                                      const int8_t *filter, const int32_t *bias, const te_dims *output_dims,
                                      int8_t *output, uint32_t *wx, int8_t *rows, int32_t n_chunk)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t k_len = k_h * k_w * in_c;
    const te_tile stride = params->stride, pad = params->padding;
    const int32_t n_pix = input_dims->n * out_h * out_w;
    const int32_t run = k_w * in_c;
    const size_t in_row = (size_t)in_w * in_c;
    const int plain = params->dilation.h == 1 && params->dilation.w == 1;
    int32_t b = 0, oy = 0, ox = 0; /* of the next pixel, stepped instead of divided out */
    for (int32_t p = 0; p < n_pix;) {
        const int32_t n = n_pix - p < n_chunk ? n_pix - p : n_chunk;
        for (int32_t j = 0; j < n; ++j) {
            const int8_t *in_b = input + (size_t)b * in_h * in_row;
            const int32_t y0 = oy * stride.h - pad.h, x0 = ox * stride.w - pad.w;
            int8_t *row = rows + (size_t)j * k_len;
            if (plain && y0 >= 0 && x0 >= 0 && y0 + k_h <= in_h && x0 + k_w <= in_w) {
                /* A window inside the image: k_h runs, the 9-byte ones of 3x3 filters over 3 channels unrolled. */
                const int8_t *src = in_b + (size_t)y0 * in_row + (size_t)x0 * in_c;
                for (int32_t ky = 0; ky < k_h; ++ky, src += in_row, row += run) {
                    if (run == 9) {
                        te_st4(row, te_ld4(src));
                        te_st4(row + 4, te_ld4(src + 4));
                        row[8] = src[8];
                    } else {
                        te_copy_small(row, src, run);
                    }
                }
            } else {
                te_im2col_row(in_b, in_h, in_w, in_c, k_h, k_w, y0, x0, params->dilation, params->input_offset, row);
            }
            if (++ox == out_w) {
                ox = 0;
                if (++oy == out_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
        te_pw_block_rqd(rows, n, k_len, out_c, filter, bias, quant, params->input_offset, params->output_offset,
                        params->activation, output + (size_t)p * out_c, wx);
        p += n;
    }
}
#endif

#if TE_DSP
/* All output channels of a pixel pair's im2col rows x0, x0 + k_len (te_rqf_layer_ok layers). */
static TE_ALWAYS_INLINE void te_rows2_rqf(const int8_t *x0, const int8_t *filter, int32_t k_len, int32_t out_c,
                                          const int32_t *bias, const te_per_channel_quant *quant, int32_t in_off,
                                          int32_t out_off, te_activation act, int full, int8_t *out0)
{
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const te_rqf q0 = te_rqf_of(quant, oc, out_off), q1 = te_rqf_of(quant, oc + 1, out_off);
        te_pw_pairs(x0, 1, filter + (size_t)oc * k_len, k_len, out0 + oc, out_c, te_bias_or0(bias, oc),
                    te_bias_or0(bias, oc + 1), q0, q1, in_off, act, full);
    }
    if (oc < out_c) {
        const int8_t *w = filter + (size_t)oc * k_len;
        const int32_t b = te_bias_or0(bias, oc);
        const te_rqf q = te_rqf_of(quant, oc, out_off);
        out0[oc] = te_rqf_out(te_dot_1x1_dsp(x0, w, k_len, in_off, 0, b), q, act, full);
        out0[out_c + oc] = te_rqf_out(te_dot_1x1_dsp(x0 + k_len, w, k_len, in_off, 0, b), q, act, full);
    }
}

/* The first layer of a vision model (3 channels, 3x3 filter: 27-long rows) with its row length a constant. */
static TE_NOINLINE void te_rows2_rqf_any(const int8_t *x0, const int8_t *filter, int32_t k_len, int32_t out_c,
                                         const int32_t *bias, const te_per_channel_quant *quant, int32_t in_off,
                                         int32_t out_off, te_activation act, int8_t *out0)
{
    if (!te_act_full(act)) {
        te_rows2_rqf(x0, filter, k_len, out_c, bias, quant, in_off, out_off, act, 0, out0);
    } else if (k_len == 27) {
        te_rows2_rqf(x0, filter, 27, out_c, bias, quant, in_off, out_off, act, 1, out0);
    } else {
        te_rows2_rqf(x0, filter, k_len, out_c, bias, quant, in_off, out_off, act, 1, out0);
    }
}

/* Any ungrouped convolution: two output pixels at a time, im2col rows (or the input pixels themselves for
 * unpadded 1x1 filters) times the filter through the 2x2 SMLAD block. */
static TE_NOINLINE void te_conv2d_dsp(te_context ctx, const te_conv_params *params, const te_per_channel_quant *quant,
                                      const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                                      const int8_t *filter, const int32_t *bias, const te_dims *output_dims,
                                      int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t k_len = k_h * k_w * in_c;
    const te_tile stride = params->stride, pad = params->padding;
    /* Unpadded 1x1 filters read pixels in place when the pair's second pixel is the next one in memory. */
    const int direct = k_h == 1 && k_w == 1 && pad.h == 0 && pad.w == 0 && stride.w == 1;
    const int32_t n_pix = input_dims->n * out_h * out_w;
    int8_t *rows = (int8_t *)ctx.buf;
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const te_activation act = params->activation;
    const int rqf = te_rqf_layer_ok(quant, out_c);
    int32_t b = 0, oy = 0, ox = 0; /* of pixel p, stepped instead of divided out */
    for (int32_t p = 0; p < n_pix; p += 2) {
        const int n = p + 1 < n_pix ? 2 : 1;
        const int8_t *x0 = rows;
        const int contiguous = direct && n == 2 && ox + 1 < out_w;
        for (int j = 0; j < n; ++j) {
            const int8_t *in_batch = input + (size_t)b * in_h * in_w * in_c;
            const int32_t y0 = oy * stride.h - pad.h, ix0 = ox * stride.w - pad.w;
            if (contiguous || (direct && n == 1)) {
                if (j == 0) {
                    x0 = in_batch + ((size_t)y0 * in_w + (size_t)ix0) * in_c;
                }
            } else {
                te_im2col_row(in_batch, in_h, in_w, in_c, k_h, k_w, y0, ix0, params->dilation, in_off,
                              rows + (size_t)j * k_len);
            }
            if (++ox == out_w) {
                ox = 0;
                if (++oy == out_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
        int8_t *out0 = output + (size_t)p * out_c;
        if (!rqf) {
            te_matmul_rows_dsp(x0, n, filter, k_len, out_c, in_off, bias, quant, out_off, act, out0, out0 + out_c);
        } else if (n == 2) {
            te_rows2_rqf_any(x0, filter, k_len, out_c, bias, quant, in_off, out_off, act, out0);
        } else {
            te_matmul_rows_rqf(x0, 1, filter, k_len, out_c, in_off, bias, quant, out_off, act, 0, out0, out0 + out_c);
        }
    }
}
#endif

te_status te_conv2d_s8(te_context ctx, const te_conv_params *params, const te_per_channel_quant *quant,
                       const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                       const int8_t *filter, const int32_t *bias, const te_dims *output_dims, int8_t *output)
{
    if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL || input == NULL ||
        filter == NULL || output == NULL || !te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) ||
        !te_mac_dims_ok(output_dims)) {
        return TE_ERR_ARG;
    }
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, f_c = filter_dims->c;
    if (output_dims->n != input_dims->n || filter_dims->n != out_c || in_c % f_c != 0) {
        return TE_ERR_ARG;
    }
    const int32_t groups = in_c / f_c;
    if (out_c % groups != 0) {
        return TE_ERR_ARG;
    }
    const te_tile stride = params->stride, dil = params->dilation, pad = params->padding;
    if (stride.h < 1 || stride.w < 1 || dil.h < 1 || dil.w < 1 || pad.h < 0 || pad.w < 0 ||
        !te_mac_activation_ok(params->activation) || !te_mac_offsets_ok(params->input_offset, params->output_offset)) {
        return TE_ERR_ARG;
    }

    if (k_h == 1 && k_w == 1 && groups == 1 && stride.h == 1 && stride.w == 1 && pad.h == 0 && pad.w == 0 &&
        in_h == out_h && in_w == out_w) {
        return te_pointwise_s8(ctx, input_dims->n * in_h * in_w, in_c, out_c, params, quant, input, filter, bias,
                               output);
    }
#if TE_DSP
    const int32_t k_len = k_h * k_w * f_c;
    if (groups == 1 && ctx.buf != NULL && k_len >= 4 && k_len <= TE_CONV_RQD_MAX_K) {
        const uintptr_t at = ((uintptr_t)ctx.buf + 3u) & ~(uintptr_t)3u;
        const int32_t wx_words = TE_PW_HDR + ((k_len + 3) & ~3);
        const int32_t room = ctx.size - (int32_t)(at - (uintptr_t)ctx.buf) - 4 * wx_words;
        int32_t n_chunk = (room > 0 ? room / k_len : 0) & ~1;
        n_chunk = n_chunk > 64 ? 64 : n_chunk;
        if (n_chunk >= 4 && te_rqd_layer_ok(quant, bias, out_c, k_len)) {
            uint32_t *wx = (uint32_t *)at + TE_PW_HDR;
            te_conv2d_rqd(params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output, wx,
                          (int8_t *)((uint32_t *)at + wx_words), n_chunk);
            return TE_OK;
        }
    }
    if (groups == 1 && ctx.buf != NULL && ctx.size >= 2 * k_len) {
        te_conv2d_dsp(ctx, params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output);
        return TE_OK;
    }
#endif

    const int32_t in_off = params->input_offset;
    const int32_t out_off = params->output_offset;
    const te_activation act = params->activation;
    const int32_t out_per_group = out_c / groups;
    const int32_t filter_size = k_h * k_w * f_c;
    const int32_t in_row_stride = in_w * in_c;
    /* Without dilation or groups, a filter row's taps are one contiguous run in the input too. */
    const int merge_row = dil.w == 1 && groups == 1;

    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (size_t)b * in_h * in_row_stride;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * stride.h - pad.h;
            const int32_t ky_begin = te_tap_begin(y0, dil.h);
            const int32_t ky_end = te_tap_end(y0, dil.h, in_h, k_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * stride.w - pad.w;
                const int32_t kx_begin = te_tap_begin(x0, dil.w);
                const int32_t kx_end = te_tap_end(x0, dil.w, in_w, k_w);
                const int32_t n_x = kx_end - kx_begin;
                int32_t oc = 0;
                while (oc < out_c) {
                    const int32_t group = oc / out_per_group;
                    const int8_t *in_group = in_batch + (size_t)group * f_c;
                    const int8_t *w0 = filter + (size_t)oc * filter_size;
                    /* Two output channels of the same group share every input load. */
                    const int pair = oc + 1 < (group + 1) * out_per_group;
                    const int8_t *w1 = pair ? w0 + filter_size : w0;
                    int32_t acc0 = 0, acc1 = 0;
                    for (int32_t ky = ky_begin; ky < ky_end && n_x > 0; ++ky) {
                        const int8_t *in_row = in_group + (size_t)(y0 + ky * dil.h) * in_row_stride;
                        const int32_t w_row = (ky * k_w + kx_begin) * f_c;
                        const int32_t n_seg = merge_row ? 1 : n_x;
                        const int32_t seg_len = merge_row ? n_x * f_c : f_c;
                        for (int32_t k = 0; k < n_seg; ++k) {
                            const int8_t *ip = in_row + (size_t)(x0 + (kx_begin + k) * dil.w) * in_c;
                            const int32_t wo = w_row + k * f_c;
                            if (pair) {
                                te_dot2_off(ip, w0 + wo, w1 + wo, seg_len, in_off, &acc0, &acc1);
                            } else {
                                acc0 = te_dot_off(ip, w0 + wo, seg_len, in_off, acc0);
                            }
                        }
                    }
                    output[oc] = te_mac_finish(acc0, bias, oc, quant->multiplier[oc], quant->shift[oc], out_off, act);
                    if (pair) {
                        output[oc + 1] = te_mac_finish(acc1, bias, oc + 1, quant->multiplier[oc + 1],
                                                       quant->shift[oc + 1], out_off, act);
                    }
                    oc += pair ? 2 : 1;
                }
                output += out_c;
            }
        }
    }
    return TE_OK;
}
