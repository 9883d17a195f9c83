#include "te_pool_internal.h"

te_status te_maxpool_s8(const te_pool_params *params, const te_dims *input_dims, const int8_t *input,
                        const te_dims *output_dims, int8_t *output)
{
    if (!te_pool_args_ok(params, input_dims, input, output_dims, output)) {
        return TE_ERR_ARG;
    }
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
                    return TE_ERR_ARG;
                }
                int8_t *out = output + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox) *
                                           (size_t)ch;
                const int8_t *in0 =
                    in_b + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)ch;
                te_pool_max_window(in0, ky1 - ky0, kx1 - kx0, in_w * ch, ch, act_min, act_max, out);
            }
        }
    }
    return TE_OK;
}
