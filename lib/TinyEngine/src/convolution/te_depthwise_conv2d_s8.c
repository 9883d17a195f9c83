#include "te_conv_internal.h"

int32_t te_depthwise_conv2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims,
                                               const te_dims *output_dims)
{
    if (!te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) || !te_mac_dims_ok(output_dims)) {
        return -1;
    }
    return 0;
}

/* One output channel over the in-image taps; x and w point at its first tap. */
static inline int32_t te_dw_channel(const int8_t *x, const int8_t *w, int32_t n_y, int32_t n_x, int32_t in_tap_y,
                                    int32_t in_tap_x, int32_t w_tap_y, int32_t w_tap_x, int32_t in_off)
{
    int32_t acc = 0;
    /* Element offsets, not pointers: a pointer stepped past the last tap would leave the array. */
    for (int32_t ty = 0; ty < n_y; ++ty) {
        int32_t i_at = ty * in_tap_y, w_at = ty * w_tap_y;
        for (int32_t tx = 0; tx < n_x; ++tx) {
            acc += ((int32_t)x[i_at] + in_off) * (int32_t)w[w_at];
            i_at += in_tap_x;
            w_at += w_tap_x;
        }
    }
    return acc;
}

te_status te_depthwise_conv2d_s8(te_context ctx, const te_dw_conv_params *params,
                                 const te_per_channel_quant *quant, const te_dims *input_dims,
                                 const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                                 const int32_t *bias, const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL || input == NULL ||
        filter == NULL || output == NULL || !te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) ||
        !te_mac_dims_ok(output_dims)) {
        return TE_ERR_ARG;
    }
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t mult = params->depth_multiplier;
    if (output_dims->n != input_dims->n || filter_dims->n != 1 || mult < 1 || filter_dims->c != out_c ||
        in_c * mult != out_c) {
        return TE_ERR_ARG;
    }
    const te_tile stride = params->stride, dil = params->dilation, pad = params->padding;
    if (stride.h < 1 || stride.w < 1 || dil.h < 1 || dil.w < 1 || pad.h < 0 || pad.w < 0 ||
        !te_mac_activation_ok(params->activation) || !te_mac_offsets_ok(params->input_offset, params->output_offset)) {
        return TE_ERR_ARG;
    }

    const int32_t in_off = params->input_offset;
    const int32_t out_off = params->output_offset;
    const te_activation act = params->activation;
    /* Strides, in elements, between vertically / horizontally dilated taps. */
    const int32_t in_tap_y = dil.h * in_w * in_c, in_tap_x = dil.w * in_c;
    const int32_t w_tap_y = k_w * out_c, w_tap_x = out_c;

    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * stride.h - pad.h;
            const int32_t ky_begin = te_tap_begin(y0, dil.h);
            const int32_t ky_end = te_tap_end(y0, dil.h, in_h, k_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * stride.w - pad.w;
                const int32_t kx_begin = te_tap_begin(x0, dil.w);
                const int32_t kx_end = te_tap_end(x0, dil.w, in_w, k_w);
                if (ky_end <= ky_begin || kx_end <= kx_begin) {
                    /* No tap inside the image: only the bias is left. */
                    for (int32_t oc = 0; oc < out_c; ++oc) {
                        *output++ =
                            te_mac_finish(0, bias, oc, quant->multiplier[oc], quant->shift[oc], out_off, act);
                    }
                    continue;
                }
                /* First in-image tap; every other tap is a fixed stride away. */
                const int8_t *in_first =
                    in_batch + ((size_t)(y0 + ky_begin * dil.h) * in_w + (size_t)(x0 + kx_begin * dil.w)) * in_c;
                const int8_t *w_first = filter + ((size_t)ky_begin * k_w + (size_t)kx_begin) * out_c;
                const int32_t n_y = ky_end - ky_begin, n_x = kx_end - kx_begin;
                int32_t oc = 0;
                if (mult == 1) {
                    /* Four neighbouring channels at a time: contiguous loads, four accumulators. */
                    for (; oc + 4 <= out_c; oc += 4) {
                        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                        for (int32_t ty = 0; ty < n_y; ++ty) {
                            int32_t i_at = ty * in_tap_y + oc, w_at = ty * w_tap_y + oc;
                            for (int32_t tx = 0; tx < n_x; ++tx) {
                                const int8_t *ip = in_first + i_at;
                                const int8_t *wp = w_first + w_at;
                                a0 += ((int32_t)ip[0] + in_off) * (int32_t)wp[0];
                                a1 += ((int32_t)ip[1] + in_off) * (int32_t)wp[1];
                                a2 += ((int32_t)ip[2] + in_off) * (int32_t)wp[2];
                                a3 += ((int32_t)ip[3] + in_off) * (int32_t)wp[3];
                                i_at += in_tap_x;
                                w_at += w_tap_x;
                            }
                        }
                        output[0] = te_mac_finish(a0, bias, oc, quant->multiplier[oc], quant->shift[oc], out_off, act);
                        output[1] = te_mac_finish(a1, bias, oc + 1, quant->multiplier[oc + 1], quant->shift[oc + 1],
                                                  out_off, act);
                        output[2] = te_mac_finish(a2, bias, oc + 2, quant->multiplier[oc + 2], quant->shift[oc + 2],
                                                  out_off, act);
                        output[3] = te_mac_finish(a3, bias, oc + 3, quant->multiplier[oc + 3], quant->shift[oc + 3],
                                                  out_off, act);
                        output += 4;
                    }
                }
                for (; oc < out_c; ++oc) {
                    const int32_t acc = te_dw_channel(in_first + oc / mult, w_first + oc, n_y, n_x, in_tap_y,
                                                      in_tap_x, w_tap_y, w_tap_x, in_off);
                    *output++ = te_mac_finish(acc, bias, oc, quant->multiplier[oc], quant->shift[oc], out_off, act);
                }
            }
        }
    }
    return TE_OK;
}
