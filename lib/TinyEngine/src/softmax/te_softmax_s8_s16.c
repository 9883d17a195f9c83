#include "te_softmax_internal.h"

te_status te_softmax_s8_s16(const te_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                            int16_t *output)
{
    if (!te_softmax_params_ok(params) || !te_softmax_shape_ok(outer, depth, input, output)) {
        return TE_ERR_ARG;
    }
    /*
     * Back to front: output value k covers input bytes 2k and 2k+1, so when the
     * output starts at the input, every input byte is read before it is overwritten.
     */
    for (int32_t i = outer - 1; i >= 0; i--) {
        const int8_t *in = input + (size_t)i * (size_t)depth;
        int16_t *out = output + (size_t)i * (size_t)depth;
        const int32_t max = te_softmax_row_max(in, depth);
        int exponent;
        const int32_t scale = te_softmax_row_scale(params, in, depth, max, 16, &exponent);
        for (int32_t c = depth - 1; c >= 0; c--) {
            const int32_t diff = (int32_t)in[c] - max;
            int32_t v = INT16_MIN;
            if (diff >= params->diff_min) {
                v = te_rdbpot(te_srdhm(scale, te_softmax_exp(params, diff)), exponent) + INT16_MIN;
                v = TE_CLAMP(v, INT16_MIN, INT16_MAX);
            }
            out[c] = (int16_t)v;
        }
    }
    return TE_OK;
}
