#include "te_elementwise_internal.h"

te_status te_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *input, int8_t *output)
{
    if (!(scale > 0.0f) || zero_point < INT8_MIN || zero_point > INT8_MAX || size < 0 ||
        (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        /* Read before the write: the output may start at the input's address. */
        const int64_t q = te_ew_round_quotient(input[i], scale) + zero_point;
        output[i] = (int8_t)TE_CLAMP(q, INT8_MIN, INT8_MAX);
    }
    return TE_OK;
}
