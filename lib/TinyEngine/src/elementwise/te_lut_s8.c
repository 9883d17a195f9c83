#include "te_elementwise_internal.h"

te_status te_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output)
{
    if (table == NULL || size < 0 || (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    /* Biased so the signed byte indexes it directly (one load with a register offset). */
    const int8_t *t = table + 128;
    int32_t i = 0;
    /* Each element is read before it is written: an output equal to the input stays correct. */
    for (; i + 8 <= size; i += 8) {
        output[i] = t[input[i]];
        output[i + 1] = t[input[i + 1]];
        output[i + 2] = t[input[i + 2]];
        output[i + 3] = t[input[i + 3]];
        output[i + 4] = t[input[i + 4]];
        output[i + 5] = t[input[i + 5]];
        output[i + 6] = t[input[i + 6]];
        output[i + 7] = t[input[i + 7]];
    }
    for (; i < size; ++i) {
        output[i] = t[input[i]];
    }
    return TE_OK;
}
