#include "te_conv_internal.h"

int32_t te_conv2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims,
                                     const te_dims *output_dims)
{
    if (!te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) || !te_mac_dims_ok(output_dims)) {
        return -1;
    }
    return 0;
}

te_status te_conv2d_s8(te_context ctx, const te_conv_params *params, const te_per_channel_quant *quant,
                       const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                       const int8_t *filter, const int32_t *bias, const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
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
