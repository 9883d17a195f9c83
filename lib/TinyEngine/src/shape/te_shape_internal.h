/*
 * Private helpers of the data-movement kernels. Each kernel is written once
 * over bytes with an element size, then wrapped per element type: the values
 * are never looked at, so the int8 and float32 results are the same moves.
 */
#ifndef TE_SHAPE_INTERNAL_H
#define TE_SHAPE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "te_shape.h"

/* Writes `count` copies of the `elem_size`-byte value at `value`. */
static inline void te_shape_fill(uint8_t *dst, const uint8_t *value, size_t elem_size, size_t count)
{
    if (elem_size == 1) {
        memset(dst, value[0], count);
        return;
    }
    for (size_t i = 0; i < count; ++i) {
        memcpy(dst + i * elem_size, value, elem_size);
    }
}

/* Checks a rank and a shape; on success writes the element count to *count. */
static inline int te_shape_valid(int32_t rank, const int32_t *shape, size_t *count)
{
    if (rank < 1 || rank > TE_SHAPE_MAX_DIMS) {
        return 0;
    }
    size_t n = 1;
    for (int32_t d = 0; d < rank; ++d) {
        if (shape[d] < 0) {
            return 0;
        }
        n *= (size_t)shape[d];
    }
    *count = n;
    return 1;
}

te_status te_pad_bytes(const te_pad_params *params, const uint8_t *input, const uint8_t *pad_value,
                       uint8_t *output, size_t elem_size);
te_status te_transpose_bytes(const te_transpose_params *params, const uint8_t *input, uint8_t *output,
                             size_t elem_size);
te_status te_strided_slice_bytes(const te_slice_params *params, const uint8_t *input, uint8_t *output,
                                 size_t elem_size);
te_status te_concat_bytes(const te_concat_params *params, const uint8_t *input, uint8_t *output, size_t elem_size);
te_status te_resize_nearest_bytes(const te_dims *input_dims, const te_dims *output_dims, const int32_t *row_map,
                                  const int32_t *col_map, const uint8_t *input, uint8_t *output, size_t elem_size);

#endif /* TE_SHAPE_INTERNAL_H */
