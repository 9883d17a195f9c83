/**
 * @file te_shape.h
 * @brief Data-movement kernels: pad, transpose, concatenation, nearest-neighbour
 *        resize, and a plain copy (reshape, squeeze).
 *
 * None of these kernels computes on values: each moves elements, so the int8
 * and float32 variants share one implementation. They follow TF Lite Micro's
 * reference kernels bit for bit; TFLM never requantizes in these ops (its
 * CONCATENATION requires equal input and output quantization).
 *
 * Shapes up to ::TE_SHAPE_MAX_DIMS dimensions are given as arrays, outermost
 * first (NHWC order for 4-D); a caller with fewer dimensions sets `rank` and
 * fills the first `rank` entries. None of the kernels needs scratch memory.
 *
 * Unless a kernel says otherwise, its input and output must not overlap.
 */
#ifndef TE_SHAPE_H
#define TE_SHAPE_H

#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Highest rank the pad and transpose kernels accept (TF Lite Micro's limit). */
#define TE_SHAPE_MAX_DIMS 5

/**
 * @brief Copies `size` bytes; the regions may overlap (memmove semantics).
 *
 * Used for RESHAPE and SQUEEZE when the memory plan did not alias the output
 * to the input; `input == output` is a no-op.
 *
 * @param[in]  input  Source, any element type. NULL only when `size` is 0.
 * @param[out] output Destination. NULL only when `size` is 0.
 * @param[in]  size   Number of bytes, >= 0.
 * @return ::TE_OK, or ::TE_ERR_ARG for a negative size or a NULL pointer.
 */
te_status te_copy(const void *input, void *output, int32_t size);

/** Arguments of te_pad_s8() and te_pad_f32(). */
typedef struct {
    int32_t rank;                           /**< 1 .. ::TE_SHAPE_MAX_DIMS */
    int32_t input_shape[TE_SHAPE_MAX_DIMS]; /**< input dimensions, each >= 0 */
    int32_t before[TE_SHAPE_MAX_DIMS];      /**< elements added before each dimension, >= 0 */
    int32_t after[TE_SHAPE_MAX_DIMS];       /**< elements added after each dimension, >= 0 */
} te_pad_params;

/**
 * @brief Constant padding (TFLite PAD / PADV2), int8.
 *
 * `output_shape[d] = input_shape[d] + before[d] + after[d]`; every output
 * element outside the copied input is `pad_value`.
 *
 * @param[in]  params    Shape and paddings (see ::te_pad_params).
 * @param[in]  input     Input tensor, row-major `input_shape`.
 * @param[in]  pad_value Raw stored fill value: the output zero point for PAD,
 *                       the constant for PADV2.
 * @param[out] output    Output tensor, row-major output shape. May equal
 *                       `input` only when every padding is 0.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_pad_s8(const te_pad_params *params, const int8_t *input, int8_t pad_value, int8_t *output);

/** @brief te_pad_s8() for float32 tensors (PAD fills with 0.0f). */
te_status te_pad_f32(const te_pad_params *params, const float *input, float pad_value, float *output);

/** Arguments of te_transpose_s8() and te_transpose_f32(). */
typedef struct {
    int32_t rank;                           /**< 1 .. ::TE_SHAPE_MAX_DIMS */
    int32_t input_shape[TE_SHAPE_MAX_DIMS]; /**< input dimensions, each >= 0 */
    int32_t perm[TE_SHAPE_MAX_DIMS];        /**< output dim `d` is input dim `perm[d]`; a permutation of 0..rank-1 */
} te_transpose_params;

/**
 * @brief Transpose (TFLite TRANSPOSE), int8: `output[i_0..i_r] = input[j]`
 *        with `j[perm[d]] = i_d`.
 *
 * @param[in]  params Input shape and permutation (see ::te_transpose_params).
 * @param[in]  input  Input tensor, row-major `input_shape`.
 * @param[out] output Output tensor, row-major `input_shape[perm[d]]`; must not
 *                    overlap `input`.
 * @return ::TE_OK or ::TE_ERR_ARG (bad rank, shape, or permutation).
 */
te_status te_transpose_s8(const te_transpose_params *params, const int8_t *input, int8_t *output);

/** @brief te_transpose_s8() for int16 tensors. */
te_status te_transpose_s16(const te_transpose_params *params, const int16_t *input, int16_t *output);

/** @brief te_transpose_s8() for float32 tensors. */
te_status te_transpose_f32(const te_transpose_params *params, const float *input, float *output);

/**
 * Where one input of a concatenation goes in the output. View every tensor as
 * `[outer, inner]` with `outer` the product of the dimensions before the axis:
 * input row `o` (`input_inner` elements) lands at
 * `output + o * output_inner + offset`.
 */
typedef struct {
    int32_t outer;        /**< product of the dimensions before the axis, >= 0 */
    int32_t input_inner;  /**< this input's axis size times the product of the dimensions after it, >= 0 */
    int32_t output_inner; /**< the output's axis size times the product of the dimensions after it */
    int32_t offset;       /**< elements of earlier inputs in each output row; offset + input_inner <= output_inner */
} te_concat_params;

/**
 * @brief Copies one input of a concatenation (TFLite CONCATENATION) into its
 *        slice of the output, int8. Call once per input.
 *
 * TFLM's int8 CONCATENATION requires every input's quantization to equal the
 * output's, so this is a pure copy.
 *
 * @param[in]  params Layout (see ::te_concat_params).
 * @param[in]  input  The input tensor, row-major.
 * @param[out] output The whole output tensor. A row already in place (the
 *                    input aliases its output slice) is left as it is.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_concat_s8(const te_concat_params *params, const int8_t *input, int8_t *output);

/** @brief te_concat_s8() for float32 tensors. */
te_status te_concat_f32(const te_concat_params *params, const float *input, float *output);

/**
 * Arguments of te_strided_slice_s8() and friends: a box of the input with a
 * step per dimension, indices already resolved (no negative indices, masks or
 * clamping left to apply; the code generator resolves them as TFLM does).
 */
typedef struct {
    int32_t rank;                           /**< 1 .. ::TE_SHAPE_MAX_DIMS */
    int32_t input_shape[TE_SHAPE_MAX_DIMS]; /**< input dimensions, each >= 0 */
    int32_t begin[TE_SHAPE_MAX_DIMS];       /**< first input index per dimension */
    int32_t stride[TE_SHAPE_MAX_DIMS];      /**< step per dimension, non-zero (negative walks backwards) */
    int32_t count[TE_SHAPE_MAX_DIMS];       /**< elements taken per dimension, >= 0 */
} te_slice_params;

/**
 * @brief Strided slice (TFLite STRIDED_SLICE and SLICE), int8.
 *
 * Output element `(i_0, .., i_r)` (row-major over `count`) is input element
 * `(begin[d] + i_d * stride[d])`. Shrunk dimensions are dimensions of count 1;
 * dropping them does not change the layout.
 *
 * @param[in]  params Box, steps and input shape (see ::te_slice_params); every
 *                    index touched must lie inside `input_shape`.
 * @param[in]  input  Input tensor, row-major `input_shape`.
 * @param[out] output Output tensor, `prod(count)` elements; must not overlap `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_strided_slice_s8(const te_slice_params *params, const int8_t *input, int8_t *output);

/** @brief te_strided_slice_s8() for int16 tensors. */
te_status te_strided_slice_s16(const te_slice_params *params, const int16_t *input, int16_t *output);

/** @brief te_strided_slice_s8() for float32 tensors. */
te_status te_strided_slice_f32(const te_slice_params *params, const float *input, float *output);

/**
 * @brief Nearest-neighbour resize (TFLite RESIZE_NEAREST_NEIGHBOR), int8.
 *
 * Output pixel `(y, x)` copies input pixel `(row_map[y], col_map[x])` of the
 * same batch, all channels. The maps carry the op's `align_corners` and
 * `half_pixel_centers` rules; build them with te_resize_nearest_map() (or
 * ahead of time, as the code generator does).
 *
 * @param[in]  input_dims  Input dimensions [N, H, W, C].
 * @param[in]  output_dims Output dimensions [N, OH, OW, C]; N and C equal the input's.
 * @param[in]  row_map     OH source rows, each in [0, H).
 * @param[in]  col_map     OW source columns, each in [0, W).
 * @param[in]  input       Input tensor [N, H, W, C].
 * @param[out] output      Output tensor [N, OH, OW, C]; must not overlap `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_resize_nearest_s8(const te_dims *input_dims, const te_dims *output_dims, const int32_t *row_map,
                               const int32_t *col_map, const int8_t *input, int8_t *output);

/** @brief te_resize_nearest_s8() for float32 tensors. */
te_status te_resize_nearest_f32(const te_dims *input_dims, const te_dims *output_dims, const int32_t *row_map,
                                const int32_t *col_map, const float *input, float *output);

/**
 * @brief Source index of every output row (or column) of a nearest-neighbour
 *        resize, computed as TF Lite Micro does (single-precision float).
 *
 * `scale = (align_corners && output_size > 1) ? (input_size - 1) / (output_size - 1)
 *                                             : input_size / output_size`,
 * `map[i] = min(f((i + (half_pixel_centers ? 0.5 : 0)) * scale), input_size - 1)`
 * with `f` = round half away from zero when `align_corners`, floor otherwise.
 *
 * @param[in]  input_size         Input extent, >= 1.
 * @param[in]  output_size        Output extent, >= 1.
 * @param[in]  align_corners      Non-zero for TFLite's `align_corners`.
 * @param[in]  half_pixel_centers Non-zero for TFLite's `half_pixel_centers`.
 * @param[out] map                `output_size` indices in [0, input_size).
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_resize_nearest_map(int32_t input_size, int32_t output_size, int32_t align_corners,
                                int32_t half_pixel_centers, int32_t *map);

#ifdef __cplusplus
}
#endif

#endif /* TE_SHAPE_H */
