#include "te_conv_internal.h"
#include "te_mac_dsp.h"
#include "te_dw_rows.h"
#include "te_inplace.h"

/*
 * Whether output row r of a channel may be written over the input as soon as
 * it is computed: the bytes it covers (pixels below (r + 1) * OW) must all
 * belong to input rows the ring has already gathered, i.e. lie below the
 * first row not yet gathered (row oy * S_h - P_h + K_h of the same batch).
 * Mirrored by mcuflow.planner.inplace_dw.
 */
static int te_dw_direct_ok(int32_t n, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w, int32_t k_h,
                           int32_t s_h, int32_t p_h)
{
    for (int32_t b = 0; b < n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int64_t written = ((int64_t)b * out_h + oy + 1) * out_w;
            const int64_t y_next = TE_CLAMP((int64_t)oy * s_h - p_h + k_h, 0, (int64_t)in_h);
            if (written > ((int64_t)b * in_h + y_next) * in_w) {
                return 0;
            }
        }
    }
    return 1;
}

/* Whether the row ring can run this layer in place (output rows written straight over the input). */
static int te_dw_inplace_rows_ok(const te_dw_conv_params *params, const te_dims *in, const te_dims *f,
                                 const te_dims *out)
{
    return te_dw_rows_ok(f->h, f->w, params->dilation) && params->stride.h >= 1 && params->stride.w >= 1 &&
           params->padding.h >= 0 && params->padding.w >= 0 &&
           te_dw_direct_ok(in->n, in->h, in->w, out->h, out->w, f->h, params->stride.h, params->padding.h);
}

/* Bytes of the row ring when the kernel takes the ring (0 otherwise: the one-channel buffer). */
static int64_t te_dw_inplace_ring(const te_dw_conv_params *params, const te_dims *in, const te_dims *f,
                                  const te_dims *out)
{
    if (!te_dw_inplace_rows_ok(params, in, f, out)) {
        return 0;
    }
    const int64_t ring = te_dw_ring_bytes(f->h, out->w, params->stride.w, f->w);
    /* Never more than the one-channel buffer, so running in place never costs more memory than before. */
    return ring > 0 && ring <= (int64_t)out->n * out->h * out->w ? ring : 0;
}

int32_t te_depthwise_conv2d_inplace_s8_get_buffer_size(const te_dw_conv_params *params, const te_dims *input_dims,
                                                       const te_dims *filter_dims, const te_dims *output_dims)
{
    if (params == NULL || !te_mac_dims_ok(input_dims) || !te_mac_dims_ok(filter_dims) ||
        !te_mac_dims_ok(output_dims)) {
        return -1;
    }
    const int64_t ring = te_dw_inplace_ring(params, input_dims, filter_dims, output_dims);
    const int64_t bytes = ring > 0 ? ring : (int64_t)output_dims->n * output_dims->h * output_dims->w;
    return bytes > INT32_MAX ? -1 : (int32_t)bytes;
}

/* Input channel c is consumed: its positions now take output channel c. */
static void te_dw_inplace_copy_back(int8_t *data, const int8_t *chan, size_t out_pixels, int32_t ch, int32_t c)
{
    /* Indices, not a stepped pointer: a pointer past the last pixel would leave the array. */
    size_t at = (size_t)c;
    const size_t step = (size_t)ch;
    size_t p = 0;
    for (; p + 4 <= out_pixels; p += 4) {
        data[at] = chan[p];
        data[at + step] = chan[p + 1];
        data[at + 2 * step] = chan[p + 2];
        data[at + 3 * step] = chan[p + 3];
        at += 4 * step;
    }
    for (; p < out_pixels; ++p) {
        data[at] = chan[p];
        at += step;
    }
}

/* Position ix of the three lines, element stride `step` along them (the zero point outside the image). */
#define TE_DW_COL(ix, v0, v1, v2)                                                                                      \
    do {                                                                                                               \
        if ((uint32_t)(ix) < (uint32_t)size) {                                                                            \
            const size_t at_ = (size_t)(ix) * (size_t)step;                                                            \
            (v0) = r0[at_];                                                                                            \
            (v1) = r1[at_];                                                                                            \
            (v2) = r2[at_];                                                                                            \
        } else {                                                                                                       \
            (v0) = zp;                                                                                                 \
            (v1) = zp;                                                                                                 \
            (v2) = zp;                                                                                                 \
        }                                                                                                              \
    } while (0)

/*
 * Sums of up to TE_DW3_CHUNK outputs of one output row of one channel of a
 * 3x3 filter (dilation 1) into acc. w holds the taps row-major with the rows
 * outside the image zeroed, base the input offset times the sum of the
 * remaining taps, so a tap outside the image is one that reads the zero point
 * (x + input_offset = 0). Stride 1 streams each input column once into three
 * running sums (the outputs whose window it ends, centres and starts); other
 * strides read the three columns. Kept apart from the requantization so that
 * neither loop runs out of registers.
 */
TE_NOINLINE static void te_dw3_sums(const int8_t *r0, const int8_t *r1, const int8_t *r2, int32_t step, int32_t size,
                                    int32_t ix, int32_t stride, int32_t n_out, const int32_t *w, int32_t base,
                                    int32_t zp, int32_t *acc)
{
    const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    int32_t v0, v1, v2;
    if (stride == 1) {
        TE_DW_COL(ix, v0, v1, v2);
        int32_t s0 = base + v0 * w0 + v1 * w3 + v2 * w6;
        TE_DW_COL(ix + 1, v0, v1, v2);
        s0 += v0 * w1 + v1 * w4 + v2 * w7;
        int32_t s1 = base + v0 * w0 + v1 * w3 + v2 * w6;
        ix += 2;
        for (int32_t o = 0; o < n_out; ++o, ++ix) {
            TE_DW_COL(ix, v0, v1, v2);
            acc[o] = s0 + v0 * w2 + v1 * w5 + v2 * w8;
            s0 = s1 + v0 * w1 + v1 * w4 + v2 * w7;
            s1 = base + v0 * w0 + v1 * w3 + v2 * w6;
        }
        return;
    }
    for (int32_t o = 0; o < n_out; ++o, ix += stride) {
        TE_DW_COL(ix, v0, v1, v2);
        int32_t a = base + v0 * w0 + v1 * w3 + v2 * w6;
        TE_DW_COL(ix + 1, v0, v1, v2);
        a += v0 * w1 + v1 * w4 + v2 * w7;
        TE_DW_COL(ix + 2, v0, v1, v2);
        acc[o] = a + v0 * w2 + v1 * w5 + v2 * w8;
    }
}

#define TE_DW3_CHUNK 32

/* One output row of one channel: sums a chunk at a time, then requantizes the chunk. */
TE_NOINLINE static void te_dw3_row(const int8_t *r0, const int8_t *r1, const int8_t *r2, int32_t step, int32_t size,
                                   int32_t ix, int32_t stride, int32_t out_w, const int32_t *w, int32_t base,
                                   int32_t zp, const te_chq *qp, int32_t out_off, te_activation act, int8_t *out,
                                   int32_t out_step)
{
    int32_t acc[TE_DW3_CHUNK];
    const te_chq q = *qp;
    for (int32_t o0 = 0; o0 < out_w; o0 += TE_DW3_CHUNK) {
        const int32_t n = TE_MIN(TE_DW3_CHUNK, out_w - o0);
        te_dw3_sums(r0, r1, r2, step, size, ix + o0 * stride, stride, n, w, base, zp, acc);
        for (int32_t i = 0; i < n; ++i) {
            *out = te_chq_out(acc[i], q, out_off, act);
            out += out_step;
        }
    }
}
#undef TE_DW_COL

/*
 * One channel of a 3x3 filter (dilation 1) as lines of outputs along the
 * longer output axis (rows, or columns of a tall narrow map), so the
 * per-line set-up is paid as rarely as possible. The three input lines a
 * line of outputs reads are rows (or columns); those outside the image get
 * zero taps and read one inside.
 */
static void te_dw_inplace_3x3(const int8_t *data, int32_t n, int32_t in_h, int32_t in_w, int32_t ch, int32_t c,
                              int32_t out_h, int32_t out_w, te_tile stride, te_tile pad, const int8_t *filter,
                              int32_t in_off, const te_chq *q, int32_t out_off, te_activation act, int8_t *out)
{
    const int along_h = out_h > out_w;
    const int32_t n_lines = along_h ? out_w : out_h, n_along = along_h ? out_h : out_w;
    const int32_t x_stride = along_h ? stride.w : stride.h, x_pad = along_h ? pad.w : pad.h;
    const int32_t x_size = along_h ? in_w : in_h;
    const size_t x_step = along_h ? (size_t)ch : (size_t)in_w * (size_t)ch;
    const int32_t a_stride = along_h ? stride.h : stride.w, a_pad = along_h ? pad.h : pad.w;
    const int32_t a_size = along_h ? in_h : in_w;
    const int32_t a_step = along_h ? in_w * ch : ch;
    const int32_t out_line = along_h ? 1 : out_w, out_along = along_h ? out_w : 1;
    int32_t wl[9], wr[9];
    for (int32_t ky = 0; ky < 3; ++ky) {
        for (int32_t kx = 0; kx < 3; ++kx) {
            /* wl[k * 3 + j]: tap j along the line of line k. */
            wl[along_h ? kx * 3 + ky : ky * 3 + kx] = filter[(size_t)(ky * 3 + kx) * ch + c];
        }
    }
    for (int32_t b = 0; b < n; ++b) {
        const int8_t *in_batch = data + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)ch + c;
        int8_t *out_batch = out + (size_t)b * (size_t)out_h * (size_t)out_w;
        for (int32_t li = 0; li < n_lines; ++li) {
            const int32_t l0 = li * x_stride - x_pad;
            const int8_t *lines[3];
            int32_t l_any = 0, sum = 0;
            for (int32_t k = 0; k < 3; ++k) {
                if (l0 + k >= 0 && l0 + k < x_size) {
                    l_any = l0 + k;
                }
            }
            for (int32_t k = 0; k < 3; ++k) {
                const int inside = l0 + k >= 0 && l0 + k < x_size;
                lines[k] = in_batch + (size_t)(inside ? l0 + k : l_any) * x_step;
                for (int32_t t = 3 * k; t < 3 * k + 3; ++t) {
                    wr[t] = inside ? wl[t] : 0;
                    sum += wr[t];
                }
            }
            te_dw3_row(lines[0], lines[1], lines[2], a_step, a_size, -a_pad, a_stride, n_along, wr, in_off * sum,
                       -in_off, q, out_off, act, out_batch + (size_t)li * out_line, out_along);
        }
    }
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
    const int64_t ring = te_dw_inplace_ring(params, input_dims, filter_dims, output_dims);
#if TE_DSP
    /* Small maps take the plane on the stack; the scratch is still checked, as it is the promised size. */
    if (te_dw_plane_ok(k_h, k_w, stride, dil, out_h, out_w) && (int64_t)out_h * out_w <= (int64_t)in_h * in_w) {
        const int64_t need = ring > 0 ? ring : (int64_t)out_pixels;
        if (ctx.buf == NULL || ctx.size < need) {
            return TE_ERR_BUFFER;
        }
        const te_dw_rows g = {data, in_h, in_w, ch, out_h, out_w, k_h, k_w, stride.h, stride.w, pad.h, pad.w,
                              params->input_offset, params->output_offset, params->activation, NULL, 0, 0};
        te_dw_plane_layer(&g, n, filter, bias, quant, data);
        return TE_OK;
    }
    /* A ring above the one-channel scratch promise but small enough for the stack: the row kernels still run. */
    const int64_t stack_ring = te_dw_ring_bytes(k_h, out_w, stride.w, k_w);
    if (ring == 0 && stack_ring > 0 && stack_ring <= TE_DW_STACK_RING &&
        te_dw_inplace_rows_ok(params, input_dims, filter_dims, output_dims)) {
        if (ctx.buf == NULL || ctx.size < (int64_t)out_pixels) {
            return TE_ERR_BUFFER;
        }
        te_dw_rows g = {data, in_h, in_w, ch, out_h, out_w, k_h, k_w, stride.h, stride.w, pad.h, pad.w,
                        params->input_offset, params->output_offset, params->activation, NULL, 0, 0};
        te_dw_rows_layer_stack(&g, n, filter, bias, quant, data);
        return TE_OK;
    }
#endif
    if (ring > 0) {
        if (ctx.buf == NULL || ctx.size < ring) {
            return TE_ERR_BUFFER;
        }
        const uintptr_t r0 = ((uintptr_t)ctx.buf + 3u) & ~(uintptr_t)3u;
        int16_t *rbuf = (int16_t *)((int8_t *)ctx.buf + (r0 - (uintptr_t)ctx.buf));
        if (te_ranges_overlap(ctx.buf, (size_t)ctx.size, data, in_pixels * (size_t)ch)) {
            return TE_ERR_BUFFER;
        }
        te_dw_rows g = {data, in_h, in_w, ch, out_h, out_w, k_h, k_w, params->stride.h, params->stride.w,
                        params->padding.h, params->padding.w, params->input_offset, params->output_offset,
                        params->activation, rbuf, te_dw_ring_width(out_w, params->stride.w, k_w), 0};
        memset(rbuf, 0, (size_t)(ring - 3)); /* the interleaved ring's fourth lane is loaded (never used): no indeterminate reads */
        for (int32_t c = 0; c < ch; ++c) {
            g.in = data + c;
            te_dw_rows_channel(&g, filter + c, bias, quant, c, data + c, 0, n * out_h);
        }
        return TE_OK;
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

#if TE_DSP
    /*
     * A 3x3 interleaved ring larger than the one-channel buffer: its three
     * rows kept apart (no zero lane) may still fit in that buffer, and the
     * row kernels beat the per-channel loops below several times over.
     */
    if (te_dw_interleaved(k_h, k_w) && te_dw_inplace_rows_ok(params, input_dims, filter_dims, output_dims)) {
        const int32_t rw = te_dw_ring_width(out_w, stride.w, k_w);
        const int64_t plain = (int64_t)k_h * rw * 2 + 3;
        if (rw > 0 && plain <= (int64_t)ctx.size) {
            const uintptr_t r0 = ((uintptr_t)chan + 3u) & ~(uintptr_t)3u;
            int16_t *rbuf = (int16_t *)(chan + (r0 - (uintptr_t)chan));
            te_dw_rows g = {data, in_h, in_w, ch, out_h, out_w, k_h, k_w, stride.h, stride.w, pad.h, pad.w,
                            params->input_offset, params->output_offset, params->activation, rbuf, rw, 1};
            for (int32_t c = 0; c < ch; ++c) {
                g.in = data + c;
                te_dw_rows_channel(&g, filter + c, bias, quant, c, data + c, 0, n * out_h);
            }
            return TE_OK;
        }
    }
#endif
    const int32_t in_off = params->input_offset;
    const int32_t out_off = params->output_offset;
    const te_activation act = params->activation;
    const int32_t in_tap_y = dil.h * in_w * ch, in_tap_x = dil.w * ch;
    const int32_t w_tap_y = k_w * ch, w_tap_x = ch;

    const int k3 = k_h == 3 && k_w == 3;
    for (int32_t c = 0; c < ch; ++c) {
        int8_t *out = chan;
        const te_chq q = te_chq_of(bias, quant, c);
        if (k_h == 3 && k_w == 3 && dil.h == 1 && dil.w == 1) {
            te_dw_inplace_3x3(data, n, in_h, in_w, ch, c, out_h, out_w, stride, pad, filter, in_off, &q, out_off, act,
                              chan);
            te_dw_inplace_copy_back(data, chan, out_pixels, ch, c);
            continue;
        }
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
        te_dw_inplace_copy_back(data, chan, out_pixels, ch, c);
    }
    return TE_OK;
}
