#include "te_elementwise_internal.h"

te_status te_requantize_s8_s16(const te_requantize_params *params, int32_t size, const int8_t *input,
                               int16_t *output)
{
    if (!te_ew_requantize_params_ok(params, INT16_MIN, INT16_MAX) || size < 0 ||
        (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = (int16_t)te_ew_requantize_one(params, input[i]);
    }
    return TE_OK;
}
