#include "te_shape.h"

te_status te_resize_nearest_map(int32_t input_size, int32_t output_size, int32_t align_corners,
                                int32_t half_pixel_centers, int32_t *map)
{
    if (input_size < 1 || output_size < 1 || map == NULL) {
        return TE_ERR_ARG;
    }
    /* Single precision throughout, step by step, as TF Lite Micro computes it;
     * each assignment rounds to float (C99 drops any excess precision there). */
    float scale;
    if (align_corners && output_size > 1) {
        scale = (float)(input_size - 1) / (float)(output_size - 1);
    } else {
        scale = (float)input_size / (float)output_size;
    }
    const float offset = half_pixel_centers ? 0.5f : 0.0f;
    for (int32_t i = 0; i < output_size; ++i) {
        const float base = (float)i + offset;
        const float pos = base * scale;
        /* pos >= 0: truncation is floor, and pos - floor(pos) is exact. */
        int32_t v = (int32_t)pos;
        if (align_corners && pos - (float)v >= 0.5f) {
            ++v; /* std::round: halves away from zero */
        }
        if (v > input_size - 1) {
            v = input_size - 1;
        }
        if (half_pixel_centers && v < 0) {
            v = 0;
        }
        map[i] = v;
    }
    return TE_OK;
}
