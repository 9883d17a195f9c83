#include "te_elementwise_internal.h"

te_status te_requantize_u8_s8(const te_requantize_params *params, int32_t size, const uint8_t *input, int8_t *output)
{
    if (!te_ew_requantize_params_ok(params, INT8_MIN, INT8_MAX) || size < 0 || (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = (int8_t)te_ew_requantize_one(params, input[i]);
    }
    return TE_OK;
}
