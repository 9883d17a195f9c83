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
    for (; i + 4 <= size; i += 4) {
        output[i] = t[input[i]];
        output[i + 1] = t[input[i + 1]];
        output[i + 2] = t[input[i + 2]];
        output[i + 3] = t[input[i + 3]];
    }
    for (; i < size; ++i) {
        output[i] = t[input[i]];
    }
    return TE_OK;
}
