#include "te_elementwise_internal.h"

te_status te_dequantize_s16_f32(float scale, int32_t zero_point, int32_t size, const int16_t *input, float *output)
{
    if (zero_point < INT16_MIN || zero_point > UINT16_MAX || size < 0 ||
        (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        /* Exact integer (<= 17 bits) times a float: one correctly rounded float
         * multiply equals TFLM's (float)((double)scale * value). */
        output[i] = scale * (float)((int32_t)input[i] - zero_point);
    }
    return TE_OK;
}
