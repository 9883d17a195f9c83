#include "te_shape_internal.h"

te_status te_concat_bytes(const te_concat_params *params, const uint8_t *input, uint8_t *output, size_t elem_size)
{
    if (params == NULL || input == NULL || output == NULL) {
        return TE_ERR_ARG;
    }
    const int32_t outer = params->outer;
    const int32_t in_inner = params->input_inner;
    const int32_t out_inner = params->output_inner;
    const int32_t offset = params->offset;
    if (outer < 0 || in_inner < 0 || offset < 0 || offset > out_inner - in_inner) {
        return TE_ERR_ARG;
    }
    const size_t row = (size_t)in_inner * elem_size;
    const size_t out_row = (size_t)out_inner * elem_size;
    uint8_t *dst = output + (size_t)offset * elem_size;
    for (int32_t o = 0; o < outer; ++o) {
        if (dst != input) {
            memcpy(dst, input, row);
        }
        input += row;
        dst += out_row;
    }
    return TE_OK;
}

te_status te_concat_s8(const te_concat_params *params, const int8_t *input, int8_t *output)
{
    return te_concat_bytes(params, (const uint8_t *)input, (uint8_t *)output, 1);
}

te_status te_concat_f32(const te_concat_params *params, const float *input, float *output)
{
    return te_concat_bytes(params, (const uint8_t *)input, (uint8_t *)output, sizeof(float));
}
