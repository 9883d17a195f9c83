#include "te_shape_internal.h"

te_status te_transpose_bytes(const te_transpose_params *params, const uint8_t *input, uint8_t *output,
                             size_t elem_size)
{
    if (params == NULL || input == NULL || output == NULL) {
        return TE_ERR_ARG;
    }
    size_t count = 0;
    const int32_t rank = params->rank;
    if (!te_shape_valid(rank, params->input_shape, &count)) {
        return TE_ERR_ARG;
    }
    int32_t seen = 0;
    for (int32_t d = 0; d < rank; ++d) {
        const int32_t p = params->perm[d];
        if (p < 0 || p >= rank || (seen & (1 << p))) {
            return TE_ERR_ARG;
        }
        seen |= 1 << p;
    }
    if (count == 0) {
        return TE_OK;
    }
    if (input == output) {
        return TE_ERR_ARG;
    }

    /* Input stride (bytes) of each input dimension. */
    size_t in_stride[TE_SHAPE_MAX_DIMS];
    in_stride[rank - 1] = elem_size;
    for (int32_t d = rank - 2; d >= 0; --d) {
        in_stride[d] = in_stride[d + 1] * (size_t)params->input_shape[d + 1];
    }
    /* Walk the output in order over five dimensions (leading ones of size 1);
     * `step[d]` is how far the input moves for one step of output dim d. */
    const int32_t lead = TE_SHAPE_MAX_DIMS - rank;
    int32_t n[TE_SHAPE_MAX_DIMS];
    size_t step[TE_SHAPE_MAX_DIMS];
    for (int32_t d = 0; d < TE_SHAPE_MAX_DIMS; ++d) {
        if (d < lead) {
            n[d] = 1;
            step[d] = 0;
        } else {
            const int32_t p = params->perm[d - lead];
            n[d] = params->input_shape[p];
            step[d] = in_stride[p];
        }
    }

    uint8_t *dst = output;
    const size_t s4 = step[4];
    const int32_t n4 = n[4];
    for (int32_t i0 = 0; i0 < n[0]; ++i0) {
        const uint8_t *p0 = input + (size_t)i0 * step[0];
        for (int32_t i1 = 0; i1 < n[1]; ++i1) {
            const uint8_t *p1 = p0 + (size_t)i1 * step[1];
            for (int32_t i2 = 0; i2 < n[2]; ++i2) {
                const uint8_t *p2 = p1 + (size_t)i2 * step[2];
                for (int32_t i3 = 0; i3 < n[3]; ++i3) {
                    const uint8_t *src = p2 + (size_t)i3 * step[3];
                    if (s4 == elem_size) {
                        /* The innermost dimension stays innermost: one run. */
                        memcpy(dst, src, (size_t)n4 * elem_size);
                        dst += (size_t)n4 * elem_size;
                    } else if (elem_size == 1) {
                        /* Indexed from src: stepping past the last element
                         * could leave the input array. */
                        for (int32_t i4 = 0; i4 < n4; ++i4) {
                            *dst++ = src[(size_t)i4 * s4];
                        }
                    } else {
                        for (int32_t i4 = 0; i4 < n4; ++i4) {
                            memcpy(dst, src + (size_t)i4 * s4, elem_size);
                            dst += elem_size;
                        }
                    }
                }
            }
        }
    }
    return TE_OK;
}

te_status te_transpose_s8(const te_transpose_params *params, const int8_t *input, int8_t *output)
{
    return te_transpose_bytes(params, (const uint8_t *)input, (uint8_t *)output, 1);
}

te_status te_transpose_s16(const te_transpose_params *params, const int16_t *input, int16_t *output)
{
    return te_transpose_bytes(params, (const uint8_t *)input, (uint8_t *)output, sizeof(int16_t));
}

te_status te_transpose_f32(const te_transpose_params *params, const float *input, float *output)
{
    return te_transpose_bytes(params, (const uint8_t *)input, (uint8_t *)output, sizeof(float));
}
