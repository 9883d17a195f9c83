#include "te_shape_internal.h"

te_status te_strided_slice_bytes(const te_slice_params *params, const uint8_t *input, uint8_t *output,
                                 size_t elem_size)
{
    if (params == NULL || input == NULL || output == NULL) {
        return TE_ERR_ARG;
    }
    size_t in_count = 0;
    const int32_t rank = params->rank;
    if (!te_shape_valid(rank, params->input_shape, &in_count)) {
        return TE_ERR_ARG;
    }
    const int32_t lead = TE_SHAPE_MAX_DIMS - rank;
    int32_t n[TE_SHAPE_MAX_DIMS];
    ptrdiff_t step[TE_SHAPE_MAX_DIMS]; /* bytes per output step, signed */
    size_t first = 0;                  /* byte offset of the first element */
    size_t out_count = 1;
    ptrdiff_t stride_bytes = (ptrdiff_t)elem_size; /* input stride of dim d, bytes */
    for (int32_t d = TE_SHAPE_MAX_DIMS - 1; d >= 0; --d) {
        if (d < lead) {
            n[d] = 1;
            step[d] = 0;
            continue;
        }
        const int32_t s = d - lead;
        const int32_t size = params->input_shape[s];
        const int32_t begin = params->begin[s];
        const int32_t stride = params->stride[s];
        const int32_t count = params->count[s];
        if (count < 0 || stride == 0) {
            return TE_ERR_ARG;
        }
        if (count > 0) {
            /* Both ends of the walk must lie inside the dimension. */
            const int64_t last = (int64_t)begin + (int64_t)(count - 1) * stride;
            if (begin < 0 || begin >= size || last < 0 || last >= size) {
                return TE_ERR_ARG;
            }
        }
        n[d] = count;
        step[d] = (ptrdiff_t)stride * stride_bytes;
        first += (size_t)(count > 0 ? begin : 0) * (size_t)stride_bytes;
        out_count *= (size_t)count;
        stride_bytes *= (ptrdiff_t)size;
    }
    if (out_count == 0) {
        return TE_OK;
    }
    if (input == output) {
        return TE_ERR_ARG;
    }

    const int contiguous = step[4] == (ptrdiff_t)elem_size;
    const size_t run = (size_t)n[4] * elem_size;
    uint8_t *dst = output;
    const uint8_t *base = input + first;
    for (int32_t i0 = 0; i0 < n[0]; ++i0) {
        const uint8_t *p0 = base + i0 * step[0];
        for (int32_t i1 = 0; i1 < n[1]; ++i1) {
            const uint8_t *p1 = p0 + i1 * step[1];
            for (int32_t i2 = 0; i2 < n[2]; ++i2) {
                const uint8_t *p2 = p1 + i2 * step[2];
                for (int32_t i3 = 0; i3 < n[3]; ++i3) {
                    const uint8_t *src = p2 + i3 * step[3];
                    if (contiguous) {
                        memcpy(dst, src, run);
                        dst += run;
                    } else {
                        /* Index from src each time: stepping past the last
                         * element could leave the array (negative strides). */
                        for (int32_t i4 = 0; i4 < n[4]; ++i4) {
                            memcpy(dst, src + i4 * step[4], elem_size);
                            dst += elem_size;
                        }
                    }
                }
            }
        }
    }
    return TE_OK;
}

te_status te_strided_slice_s8(const te_slice_params *params, const int8_t *input, int8_t *output)
{
    return te_strided_slice_bytes(params, (const uint8_t *)input, (uint8_t *)output, 1);
}

te_status te_strided_slice_s16(const te_slice_params *params, const int16_t *input, int16_t *output)
{
    return te_strided_slice_bytes(params, (const uint8_t *)input, (uint8_t *)output, sizeof(int16_t));
}

te_status te_strided_slice_f32(const te_slice_params *params, const float *input, float *output)
{
    return te_strided_slice_bytes(params, (const uint8_t *)input, (uint8_t *)output, sizeof(float));
}
