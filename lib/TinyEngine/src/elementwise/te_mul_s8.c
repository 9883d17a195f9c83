#include "te_elementwise_internal.h"

te_status te_mul_s8(const te_mul_params *params, int32_t size, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    if (!te_ew_mul_params_ok(params) || size < 0 ||
        (size > 0 && (input1 == NULL || input2 == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = te_ew_mul_one(params, input1[i], input2[i]);
    }
    return TE_OK;
}
