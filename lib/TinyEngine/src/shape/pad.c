#include "te_shape_internal.h"

te_status te_pad_bytes(const te_pad_params *params, const uint8_t *input, const uint8_t *pad_value,
                       uint8_t *output, size_t elem_size)
{
    if (params == NULL || input == NULL || output == NULL) {
        return TE_ERR_ARG;
    }
    size_t in_count = 0;
    if (!te_shape_valid(params->rank, params->input_shape, &in_count)) {
        return TE_ERR_ARG;
    }

    /* Left-align to five dimensions; the leading ones carry no padding. */
    const int32_t lead = TE_SHAPE_MAX_DIMS - params->rank;
    int32_t in[TE_SHAPE_MAX_DIMS], lo[TE_SHAPE_MAX_DIMS], out[TE_SHAPE_MAX_DIMS];
    int any_pad = 0;
    for (int32_t d = 0; d < TE_SHAPE_MAX_DIMS; ++d) {
        const int32_t s = d - lead;
        in[d] = s >= 0 ? params->input_shape[s] : 1;
        lo[d] = s >= 0 ? params->before[s] : 0;
        const int32_t hi = s >= 0 ? params->after[s] : 0;
        if (lo[d] < 0 || hi < 0 || in[d] > INT32_MAX - lo[d] - hi) {
            return TE_ERR_ARG;
        }
        any_pad |= (lo[d] | hi) != 0;
        out[d] = in[d] + lo[d] + hi;
    }
    if (!any_pad) {
        if (input != output) {
            memmove(output, input, in_count * elem_size);
        }
        return TE_OK;
    }
    if (input == output) {
        return TE_ERR_ARG;
    }

    /* Bytes in one step of each output dimension: a whole padded slab is one fill. */
    size_t block[TE_SHAPE_MAX_DIMS];
    block[TE_SHAPE_MAX_DIMS - 1] = elem_size;
    for (int32_t d = TE_SHAPE_MAX_DIMS - 2; d >= 0; --d) {
        block[d] = block[d + 1] * (size_t)out[d + 1];
    }
    const size_t row_in = (size_t)in[4] * elem_size;
    const size_t row_lo = (size_t)lo[4];
    const size_t row_hi = (size_t)(out[4] - in[4] - lo[4]);

    const uint8_t *src = input;
    uint8_t *dst = output;
    for (int32_t i0 = 0; i0 < out[0]; ++i0) {
        if (i0 < lo[0] || i0 >= lo[0] + in[0]) {
            te_shape_fill(dst, pad_value, elem_size, block[0] / elem_size);
            dst += block[0];
            continue;
        }
        for (int32_t i1 = 0; i1 < out[1]; ++i1) {
            if (i1 < lo[1] || i1 >= lo[1] + in[1]) {
                te_shape_fill(dst, pad_value, elem_size, block[1] / elem_size);
                dst += block[1];
                continue;
            }
            for (int32_t i2 = 0; i2 < out[2]; ++i2) {
                if (i2 < lo[2] || i2 >= lo[2] + in[2]) {
                    te_shape_fill(dst, pad_value, elem_size, block[2] / elem_size);
                    dst += block[2];
                    continue;
                }
                for (int32_t i3 = 0; i3 < out[3]; ++i3) {
                    if (i3 < lo[3] || i3 >= lo[3] + in[3]) {
                        te_shape_fill(dst, pad_value, elem_size, block[3] / elem_size);
                        dst += block[3];
                        continue;
                    }
                    te_shape_fill(dst, pad_value, elem_size, row_lo);
                    dst += row_lo * elem_size;
                    memcpy(dst, src, row_in);
                    dst += row_in;
                    src += row_in;
                    te_shape_fill(dst, pad_value, elem_size, row_hi);
                    dst += row_hi * elem_size;
                }
            }
        }
    }
    return TE_OK;
}

te_status te_pad_s8(const te_pad_params *params, const int8_t *input, int8_t pad_value, int8_t *output)
{
    return te_pad_bytes(params, (const uint8_t *)input, (const uint8_t *)&pad_value, (uint8_t *)output, 1);
}

te_status te_pad_f32(const te_pad_params *params, const float *input, float pad_value, float *output)
{
    return te_pad_bytes(params, (const uint8_t *)input, (const uint8_t *)&pad_value, (uint8_t *)output,
                        sizeof(float));
}
