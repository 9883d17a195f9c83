#include <string.h>

#include "te_conv_internal.h"
#include "te_mac_dsp.h"

/*
 * Two im2col rows of KH * KW * C_f int8 (the DSP path), which also holds the
 * copies of up to two input pixels a pointwise convolution takes before it
 * overwrites them when its output overlaps its input (both paths). The
 * portable build needs only the latter. (The code generator reserves the DSP
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
    const int64_t bytes = (2 * k_len + 3) & ~(int64_t)3;
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

/*
 * te_pw_pairs with the common small channel counts of mobile networks' pointwise layers (8..48) made
 * constants; for those the caller has folded the input offset into b0 and b1 (b + in_off * sum of the
 * filter row: the same int32 sum modulo 2^32), which frees the register that held it. Other lengths take
 * in_off as it is.
 */
#define TE_PW_PAIRS_CASES(full)                                                                                        \
    switch (k_len) {                                                                                                   \
    case 8:                                                                                                            \
        te_pw_pairs(x, n_pairs, w0, 8, out, out_c, b0, b1, q0, q1, 0, act, full);                                      \
        break;                                                                                                         \
    case 16:                                                                                                           \
        te_pw_pairs(x, n_pairs, w0, 16, out, out_c, b0, b1, q0, q1, 0, act, full);                                     \
        break;                                                                                                         \
    case 24:                                                                                                           \
        te_pw_pairs(x, n_pairs, w0, 24, out, out_c, b0, b1, q0, q1, 0, act, full);                                     \
        break;                                                                                                         \
    case 32:                                                                                                           \
        te_pw_pairs(x, n_pairs, w0, 32, out, out_c, b0, b1, q0, q1, 0, act, full);                                     \
        break;                                                                                                         \
    case 40:                                                                                                           \
        te_pw_pairs(x, n_pairs, w0, 40, out, out_c, b0, b1, q0, q1, 0, act, full);                                     \
        break;                                                                                                         \
    case 48:                                                                                                           \
        te_pw_pairs(x, n_pairs, w0, 48, out, out_c, b0, b1, q0, q1, 0, act, full);                                     \
        break;                                                                                                         \
    default:                                                                                                           \
        te_pw_pairs(x, n_pairs, w0, k_len, out, out_c, b0, b1, q0, q1, in_off, act, full);                             \
        break;                                                                                                         \
    }

static TE_NOINLINE void te_pw_pairs_full(const int8_t *x, int32_t n_pairs, const int8_t *w0, int32_t k_len, int8_t *out,
                                         int32_t out_c, int32_t b0, int32_t b1, te_rqf q0, te_rqf q1, int32_t in_off,
                                         te_activation act)
{
    TE_PW_PAIRS_CASES(1)
}

static TE_NOINLINE void te_pw_pairs_clamp(const int8_t *x, int32_t n_pairs, const int8_t *w0, int32_t k_len,
                                          int8_t *out, int32_t out_c, int32_t b0, int32_t b1, te_rqf q0, te_rqf q1,
                                          int32_t in_off, te_activation act)
{
    TE_PW_PAIRS_CASES(0)
}

/* b + in_off * (w[0] + ... + w[n - 1]), wrapping like the accumulator it starts. */
static int32_t te_fold_offset(int32_t b, const int8_t *w, int32_t n, int32_t in_off)
{
    const uint32_t offp = te_dup16(in_off);
    int32_t acc = b, i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = te_ld4(w + i);
        acc = te_smlad(te_sxtb16(v), offp, acc);
        acc = te_smlad(te_sxtb16_ror8(v), offp, acc);
    }
    for (; i < n; ++i) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)(in_off * w[i]));
    }
    return acc;
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
    const int full = te_act_full(act);
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const int8_t *w0 = filter + (size_t)oc * in_c;
        const int32_t b0 = te_bias_or0(bias, oc), b1 = te_bias_or0(bias, oc + 1);
        const te_rqf q0 = te_rqf_of(quant, oc, out_off), q1 = te_rqf_of(quant, oc + 1, out_off);
        int8_t *out = output + oc;
        int32_t f0 = b0, f1 = b1, off = in_off;
        if (n_pix >= 2 && in_c <= 48 && in_c % 8 == 0) { /* a constant-length case of te_pw_pairs_full */
            f0 = te_fold_offset(b0, w0, in_c, in_off);
            f1 = te_fold_offset(b1, w0 + in_c, in_c, in_off);
            off = 0;
        }
        if (full) {
            te_pw_pairs_full(x, n_pix >> 1, w0, in_c, out, out_c, f0, f1, q0, q1, off, act);
        } else {
            te_pw_pairs_clamp(x, n_pix >> 1, w0, in_c, out, out_c, f0, f1, q0, q1, off, act);
        }
        if (n_pix & 1) {
            const int32_t p = n_pix - 1;
            int32_t a0 = b0, a1 = b1;
            te_dot_1x2_dsp(x + (size_t)p * in_c, w0, w0 + in_c, in_c, in_off, 0, &a0, &a1);
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

/* Shorter free runs than this go pixel pair by pixel pair through the scratch copy. */
#define TE_PW_MIN_RUN 4

static void te_pw_rqf(int32_t n_pix, int32_t in_c, int32_t out_c, int32_t in_off, int32_t out_off, te_activation act,
                      const te_per_channel_quant *quant, const int8_t *input, const int8_t *filter,
                      const int32_t *bias, int8_t *output, int overlap, int8_t *copy)
{
    if (!overlap) {
        te_pw_block_rqf(input, n_pix, in_c, out_c, filter, bias, quant, in_off, out_off, act, output);
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
            te_pw_block_rqf(input + (size_t)p * in_c, p1 - p, in_c, out_c, filter, bias, quant, in_off, out_off, act,
                            output + (size_t)p * out_c);
            p = p1;
            continue;
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
    if (te_rqf_layer_ok(quant, out_c)) {
        te_pw_rqf(n_pix, in_c, out_c, in_off, out_off, act, quant, input, filter, bias, output, overlap, copy);
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
    if (groups == 1 && ctx.buf != NULL && ctx.size >= 2 * k_h * k_w * f_c) {
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
