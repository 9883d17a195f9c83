#include "te_shape_internal.h"

te_status te_resize_nearest_bytes(const te_dims *input_dims, const te_dims *output_dims, const int32_t *row_map,
                                  const int32_t *col_map, const uint8_t *input, uint8_t *output, size_t elem_size)
{
    if (input_dims == NULL || output_dims == NULL || row_map == NULL || col_map == NULL || input == NULL ||
        output == NULL) {
        return TE_ERR_ARG;
    }
    const int32_t batches = input_dims->n;
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t depth = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    if (batches < 0 || in_h < 0 || in_w < 0 || depth < 0 || out_h < 0 || out_w < 0 ||
        output_dims->n != batches || output_dims->c != depth) {
        return TE_ERR_ARG;
    }
    /* An out-of-range map entry would read outside the input: refuse up front. */
    for (int32_t y = 0; y < out_h; ++y) {
        if (row_map[y] < 0 || row_map[y] >= in_h) {
            return TE_ERR_ARG;
        }
    }
    for (int32_t x = 0; x < out_w; ++x) {
        if (col_map[x] < 0 || col_map[x] >= in_w) {
            return TE_ERR_ARG;
        }
    }
    if (input == output && batches > 0 && out_h > 0 && out_w > 0 && depth > 0) {
        return TE_ERR_ARG;
    }

    const size_t pixel = (size_t)depth * elem_size;
    const size_t in_row = (size_t)in_w * pixel;
    const size_t in_image = (size_t)in_h * in_row;
    uint8_t *dst = output;
    for (int32_t b = 0; b < batches; ++b) {
        const uint8_t *image = input + (size_t)b * in_image;
        for (int32_t y = 0; y < out_h; ++y) {
            const uint8_t *src_row = image + (size_t)row_map[y] * in_row;
            for (int32_t x = 0; x < out_w; ++x) {
                memcpy(dst, src_row + (size_t)col_map[x] * pixel, pixel);
                dst += pixel;
            }
        }
    }
    return TE_OK;
}

te_status te_resize_nearest_s8(const te_dims *input_dims, const te_dims *output_dims, const int32_t *row_map,
                               const int32_t *col_map, const int8_t *input, int8_t *output)
{
    return te_resize_nearest_bytes(input_dims, output_dims, row_map, col_map, (const uint8_t *)input,
                                   (uint8_t *)output, 1);
}

te_status te_resize_nearest_f32(const te_dims *input_dims, const te_dims *output_dims, const int32_t *row_map,
                                const int32_t *col_map, const float *input, float *output)
{
    return te_resize_nearest_bytes(input_dims, output_dims, row_map, col_map, (const uint8_t *)input,
                                   (uint8_t *)output, sizeof(float));
}
