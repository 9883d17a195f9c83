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
/* Pixel (b, oy, ox)'s im2col row: taps outside the image read the input zero point (-input_offset). */
static void te_im2col_row(const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c, int32_t k_h, int32_t k_w,
                          int32_t y0, int32_t x0, te_tile dil, int32_t in_off, int8_t *row)
{
    const int8_t pad_value = (int8_t)(-in_off);
    for (int32_t ky = 0; ky < k_h; ++ky) {
        const int32_t y = y0 + ky * dil.h;
        for (int32_t kx = 0; kx < k_w; ++kx) {
            const int32_t x = x0 + kx * dil.w;
            if (y < 0 || y >= in_h || x < 0 || x >= in_w) {
                memset(row, pad_value, (size_t)in_c);
            } else {
                memcpy(row, input + ((size_t)y * in_w + (size_t)x) * in_c, (size_t)in_c);
            }
            row += in_c;
        }
    }
}
#endif

/*
 * Pointwise (1x1, stride 1, no padding) convolution, output pixels in
 * increasing order in groups of TE_POINTWISE_PIXELS_IN_FLIGHT: when the
 * output overlaps the input, a group's input pixels are copied to scratch
 * before any of its outputs is written.
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
    if (!overlap) {
        /* Apart, order is free: channel pairs outside, so their filter rows and requantization constants
         * stay put while every pixel pair streams past. */
        int32_t oc = 0;
        for (; oc + 2 <= out_c; oc += 2) {
            const int8_t *w0 = filter + (size_t)oc * in_c;
            const te_chq q0 = te_chq_of(bias, quant, oc), q1 = te_chq_of(bias, quant, oc + 1);
            const int8_t *x = input;
            int8_t *out = output + oc;
            int32_t p = 0;
            for (; p + 2 <= n_pix; p += 2) {
                int32_t acc[4] = {0, 0, 0, 0};
                te_dot_2x2_dsp(x, w0, in_c, in_off, acc);
                out[0] = te_chq_out(acc[0], q0, out_off, act);
                out[1] = te_chq_out(acc[1], q1, out_off, act);
                out[out_c] = te_chq_out(acc[2], q0, out_off, act);
                out[out_c + 1] = te_chq_out(acc[3], q1, out_off, act);
                x += 2 * in_c;
                out += 2 * out_c;
            }
            if (p < n_pix) {
                int32_t a0 = 0, a1 = 0;
                te_dot_1x2_dsp(x, w0, w0 + in_c, in_c, in_off, 0, &a0, &a1);
                out[0] = te_chq_out(a0, q0, out_off, act);
                out[1] = te_chq_out(a1, q1, out_off, act);
            }
        }
        if (oc < out_c) {
            const int8_t *w = filter + (size_t)oc * in_c;
            const te_chq q = te_chq_of(bias, quant, oc);
            for (int32_t p = 0; p < n_pix; ++p) {
                output[(size_t)p * out_c + oc] =
                    te_chq_out(te_dot_1x1_dsp(input + (size_t)p * in_c, w, in_c, in_off, 0, 0), q, out_off, act);
            }
        }
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
/* Any ungrouped convolution: two output pixels at a time, im2col rows (or the input pixels themselves for
 * unpadded 1x1 filters) times the filter through the 2x2 SMLAD block. */
static void te_conv2d_dsp(te_context ctx, const te_conv_params *params, const te_per_channel_quant *quant,
                          const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                          const int8_t *filter, const int32_t *bias, const te_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t k_len = k_h * k_w * in_c;
    const te_tile stride = params->stride, pad = params->padding;
    /* Unpadded 1x1 filters read pixels in place when the pair's second pixel is the next one in memory. */
    const int direct = k_h == 1 && k_w == 1 && pad.h == 0 && pad.w == 0 && stride.w == 1;
    const int32_t per_image = out_h * out_w;
    const int32_t n_pix = input_dims->n * per_image;
    int8_t *rows = (int8_t *)ctx.buf;
    for (int32_t p = 0; p < n_pix; p += 2) {
        const int n = p + 1 < n_pix ? 2 : 1;
        const int8_t *x0 = rows;
        const int contiguous = direct && n == 2 && (p + 1) % out_w != 0;
        for (int j = 0; j < n; ++j) {
            const int32_t q = p + j, b = q / per_image, oy = (q % per_image) / out_w, ox = q % out_w;
            const int8_t *in_batch = input + (size_t)b * in_h * in_w * in_c;
            const int32_t y0 = oy * stride.h - pad.h, ix0 = ox * stride.w - pad.w;
            if (contiguous || (direct && n == 1)) {
                if (j == 0) {
                    x0 = in_batch + ((size_t)y0 * in_w + (size_t)ix0) * in_c;
                }
            } else {
                te_im2col_row(in_batch, in_h, in_w, in_c, k_h, k_w, y0, ix0, params->dilation, params->input_offset,
                              rows + (size_t)j * k_len);
            }
        }
        int8_t *out0 = output + (size_t)p * out_c;
        te_matmul_rows_dsp(x0, n, filter, k_len, out_c, params->input_offset, bias, quant,
                           params->output_offset, params->activation, out0, out0 + out_c);
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
