#include "te_mul_fast.h"

te_status te_mul_s8(const te_mul_params *params, int32_t size, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    if (!te_ew_mul_params_ok(params) || size < 0 ||
        (size > 0 && (input1 == NULL || input2 == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    if (te_mul_fast_ok(params)) {
        te_mul_row_fast(params, size, input1, 1, input2, 1, output);
        return TE_OK;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = te_ew_mul_one(params, input1[i], input2[i]);
    }
    return TE_OK;
}
