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
    te_fc_run(params, quant->multiplier, quant->shift, 1, batches, in_f, out_f, input, filter, bias, output);
    return TE_OK;
}
