#include "te_elementwise_internal.h"

te_status te_quantize_f32_s16(float scale, int32_t zero_point, int32_t size, const float *input, int16_t *output)
{
    if (!(scale > 0.0f) || zero_point < INT16_MIN || zero_point > INT16_MAX || size < 0 ||
        (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        const int64_t q = te_ew_round_quotient(input[i], scale) + zero_point;
        output[i] = (int16_t)TE_CLAMP(q, INT16_MIN, INT16_MAX);
    }
    return TE_OK;
}
