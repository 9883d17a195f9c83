#include "te_conv_internal.h"
#define TE_DW_ROWS_DEFINE /* the row kernels are compiled here, once (see te_dw_rows.h) */
#include "te_dw_rows.h"
#include "te_mac_dsp.h"

/*
 * The DSP path (depth multiplier 1, 4 or more channels) keeps one group of
 * four channels' filter taps widened to int16 pairs: KH * KW * 8 bytes; the
 * portable loops need none. (The code generator reserves the DSP size either
 * way, so a generated model's arena does not depend on the build.)
 */
int32_t te_depthwise_conv2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims,
                                               const te_dims *output_dims)
{
    if (!te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) || !te_mac_dims_ok(output_dims)) {
        return -1;
    }
    if (!TE_DSP || input_dims->c != output_dims->c || output_dims->c < 4) {
        return 0;
    }
    const int64_t bytes = (int64_t)filter_dims->h * filter_dims->w * 8;
    return bytes > INT32_MAX ? -1 : (int32_t)bytes;
}

#if TE_DSP
/* Four channels, one tap: input word (4 channels) against widened weights (w02, w13), one lane per channel. */
#define TE_DW_TAP4(ip, wq, offp, a0, a1, a2, a3)                                                                       \
    do {                                                                                                               \
        const uint32_t xv_ = te_ld4(ip);                                                                               \
        const uint32_t x02_ = te_sxtab16((offp), xv_), x13_ = te_sxtab16_ror8((offp), xv_);                            \
        (a0) = te_smlabb(x02_, (wq)[0], (a0));                                                                         \
        (a2) = te_smlatt(x02_, (wq)[0], (a2));                                                                         \
        (a1) = te_smlabb(x13_, (wq)[1], (a1));                                                                         \
        (a3) = te_smlatt(x13_, (wq)[1], (a3));                                                                         \
    } while (0)

/*
 * Depth multiplier 1, channels in groups of four (channel-major): each
 * group's taps are widened once into scratch and its requantization
 * constants hoisted, then every output pixel costs one word load, two
 * SXTAB16 and four 16x16 MACs per tap. Interior pixels of a 3x3 filter run a
 * fully unrolled body with constant offsets.
 */
static void te_dw_dsp(uint32_t *wq, const te_dw_conv_params *params, const te_per_channel_quant *quant,
                      const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                      const int32_t *bias, const te_dims *output_dims, int8_t *output, int32_t row_begin)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const te_tile stride = params->stride, dil = params->dilation, pad = params->padding;
    const uint32_t offp = te_dup16(params->input_offset);
    const int32_t out_off = params->output_offset;
    const te_activation act = params->activation;
    const int32_t in_tap_y = dil.h * in_w * c, in_tap_x = dil.w * c;
    const int k3 = k_h == 3 && k_w == 3;
    const int32_t c4 = c & ~3;
    for (int32_t cg = 0; cg < c4; cg += 4) {
        for (int32_t t = 0; t < k_h * k_w; ++t) {
            const uint32_t w = te_ld4(filter + (size_t)t * c + cg);
            wq[2 * t] = te_sxtb16(w);
            wq[2 * t + 1] = te_sxtb16_ror8(w);
        }
        const te_chq q0 = te_chq_of(bias, quant, cg), q1 = te_chq_of(bias, quant, cg + 1);
        const te_chq q2 = te_chq_of(bias, quant, cg + 2), q3 = te_chq_of(bias, quant, cg + 3);
        for (int32_t r = row_begin; r < input_dims->n * out_h; ++r) {
            const int32_t b = r / out_h, oy = r - b * out_h;
            const int8_t *in_batch = input + (size_t)b * in_h * in_w * c + cg;
            int8_t *out = output + (size_t)r * out_w * c + cg;
            {
                const int32_t y0 = oy * stride.h - pad.h;
                const int32_t ky_begin = te_tap_begin(y0, dil.h);
                const int32_t ky_end = te_tap_end(y0, dil.h, in_h, k_h);
                for (int32_t ox = 0; ox < out_w; ++ox, out += c) {
                    const int32_t x0 = ox * stride.w - pad.w;
                    const int32_t kx_begin = te_tap_begin(x0, dil.w);
                    const int32_t kx_end = te_tap_end(x0, dil.w, in_w, k_w);
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    if (k3 && ky_begin == 0 && ky_end == 3 && kx_begin == 0 && kx_end == 3) {
                        const int8_t *ip = in_batch + ((size_t)y0 * in_w + (size_t)x0) * c;
                        TE_DW_TAP4(ip, wq, offp, a0, a1, a2, a3);
                        TE_DW_TAP4(ip + in_tap_x, wq + 2, offp, a0, a1, a2, a3);
                        TE_DW_TAP4(ip + 2 * in_tap_x, wq + 4, offp, a0, a1, a2, a3);
                        ip += in_tap_y;
                        TE_DW_TAP4(ip, wq + 6, offp, a0, a1, a2, a3);
                        TE_DW_TAP4(ip + in_tap_x, wq + 8, offp, a0, a1, a2, a3);
                        TE_DW_TAP4(ip + 2 * in_tap_x, wq + 10, offp, a0, a1, a2, a3);
                        ip += in_tap_y;
                        TE_DW_TAP4(ip, wq + 12, offp, a0, a1, a2, a3);
                        TE_DW_TAP4(ip + in_tap_x, wq + 14, offp, a0, a1, a2, a3);
                        TE_DW_TAP4(ip + 2 * in_tap_x, wq + 16, offp, a0, a1, a2, a3);
                    } else {
                        for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
                            const int8_t *row = in_batch + (size_t)(y0 + ky * dil.h) * in_w * c;
                            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
                                TE_DW_TAP4(row + (ptrdiff_t)(x0 + kx * dil.w) * c, wq + 2 * (ky * k_w + kx), offp,
                                           a0, a1, a2, a3);
                            }
                        }
                    }
                    out[0] = te_chq_out(a0, q0, out_off, act);
                    out[1] = te_chq_out(a1, q1, out_off, act);
                    out[2] = te_chq_out(a2, q2, out_off, act);
                    out[3] = te_chq_out(a3, q3, out_off, act);
                }
            }
        }
    }
}
#endif

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
    int32_t c_begin = 0; /* channels below this one are done */
    (void)ctx;
    /*
     * Channel by channel over a ring of int16 rows (te_dw_rows.h), the ring
     * kept in the output's last rows: all channels of rows below row_begin,
     * then the loops below fill the last rows over the ring.
     */
    const int32_t n_rows = input_dims->n * out_h;
    int32_t row_begin = 0;
    const size_t in_bytes = (size_t)input_dims->n * in_h * in_w * in_c;
    const size_t row_bytes = (size_t)out_w * out_c;
#if TE_DSP
    if (mult == 1 && te_dw_plane_ok(k_h, k_w, stride, dil, out_h, out_w) &&
        !te_ranges_overlap(input, in_bytes, output, (size_t)n_rows * row_bytes)) {
        const te_dw_rows g = {input, in_h, in_w, in_c, out_h, out_w, k_h, k_w, stride.h, stride.w, pad.h, pad.w,
                              in_off, out_off, act, NULL, 0, 0};
        te_dw_plane_layer(&g, input_dims->n, filter, bias, quant, output);
        return TE_OK;
    }
    /* A ring small enough for the stack leaves no rows to the four-channel loops below. */
    const int64_t stack_ring = te_dw_ring_bytes(k_h, out_w, stride.w, k_w);
    if (mult == 1 && te_dw_rows_ok(k_h, k_w, dil) && (int64_t)out_h * out_w >= 64 && stack_ring > 0 &&
        stack_ring <= TE_DW_STACK_RING &&
        !te_ranges_overlap(input, in_bytes, output, (size_t)n_rows * row_bytes)) {
        te_dw_rows g = {input, in_h, in_w, in_c, out_h, out_w, k_h, k_w, stride.h, stride.w, pad.h, pad.w,
                        in_off, out_off, act, NULL, 0, 0};
        te_dw_rows_layer_stack(&g, input_dims->n, filter, bias, quant, output);
        return TE_OK;
    }
#endif
    /* On small maps the per-channel and per-row set-up outweighs the faster MACs: four channels at a time there. */
    if (mult == 1 && te_dw_rows_ok(k_h, k_w, dil) && (int64_t)out_h * out_w >= 64 &&
        !te_ranges_overlap(input, in_bytes, output, n_rows * row_bytes)) {
        const int64_t ring = te_dw_ring_bytes(k_h, out_w, stride.w, k_w);
        const int64_t t = ring > 0 ? (ring + (int64_t)row_bytes - 1) / (int64_t)row_bytes : n_rows;
        if (t < n_rows) {
            row_begin = n_rows - (int32_t)t;
            int8_t *tail = output + (size_t)row_begin * row_bytes;
            const uintptr_t r0 = ((uintptr_t)tail + 3u) & ~(uintptr_t)3u;
            int16_t *rbuf = (int16_t *)(tail + (r0 - (uintptr_t)tail));
            memset(rbuf, 0, (size_t)(ring - 3)); /* the interleaved ring's fourth lane is loaded (never used): no indeterminate reads */
            te_dw_rows g = {input, in_h, in_w, in_c, out_h, out_w, k_h, k_w, stride.h, stride.w, pad.h, pad.w,
                            in_off, out_off, act, rbuf, te_dw_ring_width(out_w, stride.w, k_w), 0};
            for (int32_t c = 0; c < in_c; ++c) {
                g.in = input + c;
                te_dw_rows_channel(&g, filter + c, bias, quant, c, output + c, 0, row_begin);
            }
        }
    }
#if TE_DSP
    if (mult == 1 && out_c >= 4 && ctx.buf != NULL && ((uintptr_t)ctx.buf & 3u) == 0 &&
        ctx.size >= k_h * k_w * 8) {
        te_dw_dsp((uint32_t *)ctx.buf, params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                  output, row_begin);
        c_begin = out_c & ~3;
    }
#endif
    /* Strides, in elements, between vertically / horizontally dilated taps. */
    const int32_t in_tap_y = dil.h * in_w * in_c, in_tap_x = dil.w * in_c;
    const int32_t w_tap_y = k_w * out_c, w_tap_x = out_c;
    int8_t *out_pixel = output + (size_t)row_begin * row_bytes;
    if (c_begin == out_c || row_begin == n_rows) {
        return TE_OK;
    }

    for (int32_t r = row_begin; r < n_rows; ++r) {
        const int32_t b = r / out_h, oy = r - b * out_h;
        const int8_t *in_batch = input + (size_t)b * in_h * in_w * in_c;
        {
            const int32_t y0 = oy * stride.h - pad.h;
            const int32_t ky_begin = te_tap_begin(y0, dil.h);
            const int32_t ky_end = te_tap_end(y0, dil.h, in_h, k_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * stride.w - pad.w;
                const int32_t kx_begin = te_tap_begin(x0, dil.w);
                const int32_t kx_end = te_tap_end(x0, dil.w, in_w, k_w);
                output = out_pixel + c_begin;
                out_pixel += out_c;
                if (ky_end <= ky_begin || kx_end <= kx_begin) {
                    /* No tap inside the image: only the bias is left. */
                    for (int32_t oc = c_begin; oc < out_c; ++oc) {
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
                int32_t oc = c_begin;
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
