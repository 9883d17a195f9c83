#include "te_conv_internal.h"
#include "te_mac_dsp.h"
#include "te_inplace.h"

int32_t te_depthwise_conv2d_inplace_s8_get_buffer_size(const te_dims *output_dims)
{
    if (!te_mac_dims_ok(output_dims)) {
        return -1;
    }
    return output_dims->n * output_dims->h * output_dims->w;
}

te_status te_depthwise_conv2d_inplace_s8(te_context ctx, const te_dw_conv_params *params,
                                         const te_per_channel_quant *quant, const te_dims *input_dims,
                                         int8_t *data, const te_dims *filter_dims, const int8_t *filter,
                                         const int32_t *bias, const te_dims *output_dims)
{
    if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL || data == NULL ||
        filter == NULL || !te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) ||
        !te_mac_dims_ok(output_dims)) {
        return TE_ERR_ARG;
    }
    const int32_t n = input_dims->n, in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    if (output_dims->n != n || output_dims->c != ch || filter_dims->n != 1 || filter_dims->c != ch ||
        params->depth_multiplier != 1) {
        return TE_ERR_ARG;
    }
    const te_tile stride = params->stride, dil = params->dilation, pad = params->padding;
    if (stride.h < 1 || stride.w < 1 || dil.h < 1 || dil.w < 1 || pad.h < 0 || pad.w < 0 ||
        !te_mac_activation_ok(params->activation) || !te_mac_offsets_ok(params->input_offset, params->output_offset)) {
        return TE_ERR_ARG;
    }
    /* Pixels, not bytes: compared in size_t so large shapes cannot overflow int32. */
    const size_t in_pixels = (size_t)n * (size_t)in_h * (size_t)in_w;
    const size_t out_pixels = (size_t)n * (size_t)out_h * (size_t)out_w;
    if (out_pixels > in_pixels) {
        return TE_ERR_ARG; /* the output would reach past the input's channel-c positions */
    }
    int8_t *chan = (int8_t *)ctx.buf;
    if (chan == NULL || ctx.size < 0 || (size_t)ctx.size < out_pixels) {
        return TE_ERR_BUFFER;
    }
    /* Compared as integers: relational operators on unrelated pointers are undefined. */
    const uintptr_t c0 = (uintptr_t)chan, d0 = (uintptr_t)data;
    if (c0 < d0 + in_pixels * (size_t)ch && d0 < c0 + out_pixels) {
        return TE_ERR_BUFFER;
    }

    const int32_t in_off = params->input_offset;
    const int32_t out_off = params->output_offset;
    const te_activation act = params->activation;
    const int32_t in_tap_y = dil.h * in_w * ch, in_tap_x = dil.w * ch;
    const int32_t w_tap_y = k_w * ch, w_tap_x = ch;

    const int k3 = k_h == 3 && k_w == 3;
    for (int32_t c = 0; c < ch; ++c) {
        int8_t *out = chan;
        const te_chq q = te_chq_of(bias, quant, c);
        /* 3x3: the nine taps in registers and the input offset folded in (sum (x + o) * w = sum x * w + o * sum w). */
        int32_t w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0, w8 = 0, off_sum = 0;
        if (k3) {
            w0 = filter[c], w1 = filter[ch + c], w2 = filter[2 * ch + c];
            w3 = filter[3 * ch + c], w4 = filter[4 * ch + c], w5 = filter[5 * ch + c];
            w6 = filter[6 * ch + c], w7 = filter[7 * ch + c], w8 = filter[8 * ch + c];
            off_sum = in_off * (w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8);
        }
        for (int32_t b = 0; b < n; ++b) {
            const int8_t *in_batch = data + (size_t)b * in_h * in_w * ch;
            for (int32_t oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * stride.h - pad.h;
                const int32_t ky_begin = te_tap_begin(y0, dil.h);
                const int32_t ky_end = te_tap_end(y0, dil.h, in_h, k_h);
                for (int32_t ox = 0; ox < out_w; ++ox) {
                    const int32_t x0 = ox * stride.w - pad.w;
                    const int32_t kx_begin = te_tap_begin(x0, dil.w);
                    const int32_t kx_end = te_tap_end(x0, dil.w, in_w, k_w);
                    int32_t acc = 0;
                    if (k3 && ky_begin == 0 && ky_end == 3 && kx_begin == 0 && kx_end == 3) {
                        const int8_t *r0 = in_batch + ((size_t)y0 * in_w + (size_t)x0) * ch + c;
                        const int8_t *r1 = r0 + in_tap_y, *r2 = r1 + in_tap_y;
                        acc = off_sum + r0[0] * w0 + r0[in_tap_x] * w1 + r0[2 * in_tap_x] * w2 + r1[0] * w3 +
                              r1[in_tap_x] * w4 + r1[2 * in_tap_x] * w5 + r2[0] * w6 + r2[in_tap_x] * w7 +
                              r2[2 * in_tap_x] * w8;
                    } else if (ky_end > ky_begin && kx_end > kx_begin) {
                        const int8_t *in_first = in_batch +
                                                 ((size_t)(y0 + ky_begin * dil.h) * in_w +
                                                  (size_t)(x0 + kx_begin * dil.w)) * ch + c;
                        const int8_t *w_first = filter + ((size_t)ky_begin * k_w + (size_t)kx_begin) * ch + c;
                        int32_t i_row = 0, w_row = 0;
                        for (int32_t ty = 0; ty < ky_end - ky_begin; ++ty) {
                            int32_t i_at = i_row, w_at = w_row;
                            for (int32_t tx = 0; tx < kx_end - kx_begin; ++tx) {
                                acc += ((int32_t)in_first[i_at] + in_off) * (int32_t)w_first[w_at];
                                i_at += in_tap_x;
                                w_at += w_tap_x;
                            }
                            i_row += in_tap_y;
                            w_row += w_tap_y;
                        }
                    }
                    *out++ = te_chq_out(acc, q, out_off, act);
                }
            }
        }
        /* Input channel c is consumed: its positions now take output channel c. */
        for (size_t p = 0; p < out_pixels; ++p) {
            data[p * (size_t)ch + (size_t)c] = chan[p];
        }
    }
    return TE_OK;
}
