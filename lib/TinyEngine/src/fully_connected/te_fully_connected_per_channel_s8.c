#include "te_fc_internal.h"

te_status te_fully_connected_per_channel_s8(te_context ctx, const te_fc_params *params,
                                            const te_per_channel_quant *quant, const te_dims *input_dims,
                                            const int8_t *input, const te_dims *filter_dims,
                                            const int8_t *filter, const int32_t *bias,
                                            const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    int32_t batches, in_f, out_f;
    if (quant == NULL || quant->multiplier == NULL || quant->shift == NULL) {
        return TE_ERR_ARG;
    }
    te_status st = te_fc_check(params, input_dims, input, filter_dims, filter, output_dims, output, &batches, &in_f,
                               &out_f);
    if (st != TE_OK) {
        return st;
    }
    /* Per-channel weights are symmetric; TF Lite Micro ignores their zero point. */
    if (params->filter_offset != 0) {
        return TE_ERR_ARG;
    }
    const int32_t in_off = params->input_offset;
    const int32_t out_off = params->output_offset;
    const te_activation act = params->activation;

    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * in_f;
        int32_t o = 0;
        /* Two outputs share each input load. */
        for (; o + 2 <= out_f; o += 2) {
            int32_t acc0 = 0, acc1 = 0;
            te_fc_dot2(x, filter + (size_t)o * in_f, filter + (size_t)(o + 1) * in_f, in_f, in_off, 0, &acc0, &acc1);
            output[o] = te_mac_finish(acc0, bias, o, quant->multiplier[o], quant->shift[o], out_off, act);
            output[o + 1] =
                te_mac_finish(acc1, bias, o + 1, quant->multiplier[o + 1], quant->shift[o + 1], out_off, act);
        }
        if (o < out_f) {
            const int32_t acc = te_fc_dot(x, filter + (size_t)o * in_f, in_f, in_off, 0);
            output[o] = te_mac_finish(acc, bias, o, quant->multiplier[o], quant->shift[o], out_off, act);
        }
        output += out_f;
    }
    return TE_OK;
}
