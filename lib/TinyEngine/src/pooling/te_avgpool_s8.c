#include "te_pool_internal.h"

#define TE_AVGPOOL_MAX_TAPS (1L << 23) /* 128 * 2^23 = 2^30: the int32 sum cannot overflow */

int32_t te_avgpool_s8_get_buffer_size(const te_dims *output_dims)
{
    if (!te_pool_dims_ok(output_dims) || output_dims->c > INT32_MAX / (int32_t)sizeof(int32_t)) {
        return -1;
    }
    return output_dims->c * (int32_t)sizeof(int32_t);
}

te_status te_avgpool_s8(te_context ctx, const te_pool_params *params, const te_dims *input_dims,
                        const int8_t *input, const te_dims *output_dims, int8_t *output)
{
    if (!te_pool_args_ok(params, input_dims, input, output_dims, output)) {
        return TE_ERR_ARG;
    }
    if ((int64_t)params->filter.h * params->filter.w > TE_AVGPOOL_MAX_TAPS) {
        return TE_ERR_UNSUPPORTED;
    }
    const int32_t need = te_avgpool_s8_get_buffer_size(output_dims);
    if (need < 0 || ctx.buf == NULL || ctx.size < need) {
        return TE_ERR_BUFFER;
    }
    int32_t *acc = (int32_t *)ctx.buf;
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t act_min = params->activation.min, act_max = params->activation.max;
    for (int32_t b = 0; b < input_dims->n; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)ch;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            int32_t ky0, ky1;
            te_pool_window(y0, params->filter.h, in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                int32_t kx0, kx1;
                te_pool_window(x0, params->filter.w, in_w, &kx0, &kx1);
                if (ky0 >= ky1 || kx0 >= kx1) {
                    return TE_ERR_ARG; /* TFLM's AveragePool fails on an empty window too */
                }
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                const int8_t *in0 =
                    in_b + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)ch;
                te_pool_sum_window(in0, ky1 - ky0, kx1 - kx0, in_w * ch, ch, acc);
                int8_t *out = output + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox) *
                                           (size_t)ch;
                for (int32_t c = 0; c < ch; c++) {
                    const int32_t s = acc[c];
                    /* Round half away from zero with C's truncating division, as TFLM. */
                    const int32_t avg = s > 0 ? (s + count / 2) / count : (s - count / 2) / count;
                    out[c] = (int8_t)TE_CLAMP(avg, act_min, act_max);
                }
            }
        }
    }
    return TE_OK;
}
