/**
 * @file te_pool.h
 * @brief Pooling and reduction kernels: max pool, average pool, mean.
 *
 * int8 in, int8 out, bit-exact with TF Lite Micro's reference kernels
 * (`reference_integer_ops::MaxPool`, `AveragePool`, `QuantizedMeanOrSum`).
 *
 * Pooling: a window of `filter` taps starts at `out * stride - padding`;
 * taps outside the input image are skipped (not read as zero). Padding is the
 * top/left amount only: TF Lite's SAME padding puts the odd extra row/column at
 * the bottom/right, which follows from the output size. TFLM requires the
 * output quantization to equal the input's, so pooling never rescales:
 *
 *     max:     out = clamp(max over in-image taps, activation)
 *     average: out = clamp(round(sum / count), activation),  count = in-image taps,
 *              round(s / n) = s > 0 ? (s + n/2) / n : (s - n/2) / n  (C division)
 *
 * Mean reduces any set of the four NHWC dimensions:
 *
 *     out = clamp(MultiplyByQuantizedMultiplier(sum + input_offset * count, m, s)
 *                 + output_offset, -128, 127)
 *
 * where (m, s) is in_scale / out_scale / count folded the way TFLM folds it
 * (see ::te_mean_params).
 *
 * All three walk a window four channels at a time with the sums or maxima in
 * registers; on Armv7E-M (TE_DSP) one word load feeds SXTAB16 (sums in 16-bit
 * lanes, widened to int32 at least every 256 pixels, so exact) or SSUB8 + SEL
 * (four maxima). A mean over H and W (global average pooling) takes that path.
 *
 * Scratch memory is the caller's: ask `*_get_buffer_size()` and pass a
 * ::te_context of at least that many bytes (4-byte aligned).
 * Input and output must not overlap.
 */
#ifndef TE_POOL_H
#define TE_POOL_H

#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parameters of ::te_maxpool_s8 and ::te_avgpool_s8. */
typedef struct {
    te_tile stride;           /**< Stride, >= 1. */
    te_tile padding;          /**< Top (h) and left (w) padding, >= 0. */
    te_tile filter;           /**< Window size, >= 1; h * w <= 2^23 for the average. */
    te_activation activation; /**< Output clamp, -128 <= min <= max <= 127. */
} te_pool_params;

/**
 * @brief Max pooling (TFLite MAX_POOL_2D), int8.
 *
 * @param[in]  params      Stride, padding, window and clamp (see ::te_pool_params).
 * @param[in]  input_dims  Input dimensions [N, H, W, C], each >= 1.
 * @param[in]  input       Input tensor, layout [N, H, W, C].
 * @param[in]  output_dims Output dimensions [N, H_out, W_out, C] (N and C as the input's).
 * @param[out] output      Output tensor, layout [N, H_out, W_out, C].
 * @return ::TE_OK, or ::TE_ERR_ARG for inconsistent arguments or a window
 *         with no tap inside the image.
 */
te_status te_maxpool_s8(const te_pool_params *params, const te_dims *input_dims, const int8_t *input,
                        const te_dims *output_dims, int8_t *output);

/**
 * @brief Scratch bytes ::te_avgpool_s8 needs: one int32 accumulator per channel.
 *
 * @param[in] output_dims Output dimensions [N, H_out, W_out, C].
 * @return `4 * C`, or -1 for invalid dimensions.
 */
int32_t te_avgpool_s8_get_buffer_size(const te_dims *output_dims);

/**
 * @brief Average pooling (TFLite AVERAGE_POOL_2D), int8.
 *
 * Divides by the number of in-image taps of each window (TFLM's count), not
 * by the window size.
 *
 * @param[in]  ctx         Scratch of at least te_avgpool_s8_get_buffer_size() bytes, 4-byte aligned.
 * @param[in]  params      Stride, padding, window and clamp (see ::te_pool_params).
 * @param[in]  input_dims  Input dimensions [N, H, W, C], each >= 1.
 * @param[in]  input       Input tensor, layout [N, H, W, C].
 * @param[in]  output_dims Output dimensions [N, H_out, W_out, C] (N and C as the input's).
 * @param[out] output      Output tensor, layout [N, H_out, W_out, C].
 * @return ::TE_OK; ::TE_ERR_BUFFER when the scratch is missing or too small;
 *         ::TE_ERR_ARG for inconsistent arguments or a window with no tap
 *         inside the image (TFLM fails there too); ::TE_ERR_UNSUPPORTED for a
 *         window over 2^23 taps (its int32 sum could overflow).
 */
te_status te_avgpool_s8(te_context ctx, const te_pool_params *params, const te_dims *input_dims,
                        const int8_t *input, const te_dims *output_dims, int8_t *output);

/** Parameters of ::te_mean_s8. */
typedef struct {
    te_dims reduce;        /**< Per NHWC dimension: 1 to reduce it, 0 to keep it. */
    int32_t input_offset;  /**< Added to every input value: -input zero point, [-127, 128]. */
    int32_t output_offset; /**< Output zero point, [-128, 127]. */
    /**
     * in_scale / out_scale / count as TFLM builds it: (m0, s0) = QuantizeMultiplier(in_scale / out_scale),
     * k = min(floor(log2(count)), 32, 31 + s0), multiplier = (m0 << k) / count, shift = s0 - k (>= -31).
     */
    te_quant quant;
} te_mean_params;

/**
 * @brief Scratch bytes ::te_mean_s8 needs: one int32 per channel when C is kept, else 0.
 *
 * @param[in] input_dims Input dimensions [N, H, W, C].
 * @param[in] params     The reduced dimensions (only `reduce` is read).
 * @return Bytes, or -1 for invalid arguments.
 */
int32_t te_mean_s8_get_buffer_size(const te_dims *input_dims, const te_mean_params *params);

/**
 * @brief Mean over some of the dimensions (TFLite MEAN), int8.
 *
 * Lower-rank tensors are given with leading 1s (a [B, K] tensor is
 * [1, 1, B, K]). The output holds the kept dimensions in order, so keep_dims
 * does not change its layout. Sums are int32 (count * 128 must fit).
 *
 * @param[in]  ctx        Scratch of at least te_mean_s8_get_buffer_size() bytes, 4-byte aligned.
 * @param[in]  params     Reduced dimensions, offsets and multiplier (see ::te_mean_params).
 * @param[in]  input_dims Input dimensions [N, H, W, C], each >= 1.
 * @param[in]  input      Input tensor, layout [N, H, W, C].
 * @param[out] output     Output tensor: the kept dimensions, row-major.
 * @return ::TE_OK, ::TE_ERR_BUFFER (scratch too small) or ::TE_ERR_ARG.
 */
te_status te_mean_s8(te_context ctx, const te_mean_params *params, const te_dims *input_dims, const int8_t *input,
                     int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TE_POOL_H */
