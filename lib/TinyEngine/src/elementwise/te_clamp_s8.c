#include "te_elementwise_internal.h"

te_status te_clamp_s8(const te_activation *range, int32_t size, const int8_t *input, int8_t *output)
{
    if (range == NULL || range->min < INT8_MIN || range->min > INT8_MAX || range->max < INT8_MIN ||
        range->max > INT8_MAX || size < 0 || (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    const int8_t lo = (int8_t)range->min;
    const int8_t hi = (int8_t)range->max;
    for (int32_t i = 0; i < size; ++i) {
        const int8_t v = input[i];
        /* TFLM's order: the upper bound wins when the range is empty. */
        output[i] = v > hi ? hi : (v < lo ? lo : v);
    }
    return TE_OK;
}
