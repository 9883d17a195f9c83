#include "te_softmax_internal.h"

te_status te_softmax_s8_exp_table(const te_softmax_params *params, int32_t *table)
{
    if (!te_softmax_params_ok(params) || table == NULL) {
        return TE_ERR_ARG;
    }
    te_softmax_params direct = *params;
    direct.exp_table = NULL;
    for (int32_t k = 0; k < 256; k++) {
        table[k] = te_softmax_exp(&direct, -k);
    }
    return TE_OK;
}
