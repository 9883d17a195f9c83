#include "te_softmax_internal.h"

te_status te_softmax_s8(const te_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                        int8_t *output)
{
    if (!te_softmax_params_ok(params) || !te_softmax_shape_ok(outer, depth, input, output)) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < outer; i++) {
        const int8_t *in = input + (size_t)i * (size_t)depth;
        int8_t *out = output + (size_t)i * (size_t)depth;
        const int32_t max = te_softmax_row_max(in, depth);
        int exponent;
        const int32_t scale = te_softmax_row_scale(params, in, depth, max, 8, &exponent);
        /* Each value is read before it is written: in place is safe. */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)in[c] - max;
            int32_t v = INT8_MIN;
            if (diff >= params->diff_min) {
                v = te_rdbpot(te_srdhm(scale, te_softmax_exp(params, diff)), exponent) + INT8_MIN;
                v = TE_CLAMP(v, INT8_MIN, INT8_MAX);
            }
            out[c] = (int8_t)v;
        }
    }
    return TE_OK;
}
