#include "te_fc_internal.h"

int32_t te_fully_connected_s8_get_buffer_size(const te_dims *filter_dims)
{
    return te_mac_dims_ok(filter_dims) ? 0 : -1;
}

te_status te_fully_connected_s8(te_context ctx, const te_fc_params *params, const te_quant *quant,
                                const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                                const int8_t *filter, const int32_t *bias, const te_dims *output_dims,
                                int8_t *output)
{
    (void)ctx;
    int32_t batches, in_f, out_f;
    if (quant == NULL) {
        return TE_ERR_ARG;
    }
    te_status st = te_fc_check(params, input_dims, input, filter_dims, filter, output_dims, output, &batches, &in_f,
                               &out_f);
    if (st != TE_OK) {
        return st;
    }
    te_fc_run(params, &quant->multiplier, &quant->shift, 0, batches, in_f, out_f, input, filter, bias, output);
    return TE_OK;
}
