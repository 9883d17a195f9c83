#include "te_elementwise_internal.h"

te_status te_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output)
{
    if (table == NULL || size < 0 || (size > 0 && (input == NULL || output == NULL))) {
        return TE_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
    return TE_OK;
}
