/**
 * @file te_conv.h
 * @brief Multiply-accumulate kernels: 2-D convolution, depthwise convolution, fully connected.
 *
 * int8 activations and weights, int32 bias, bit-exact with TF Lite Micro's
 * reference kernels (`ConvPerChannel`, `DepthwiseConvPerChannel`,
 * `FullyConnected`, `FullyConnectedPerChannel`). For every output value:
 *
 *     acc = sum over taps (input + input_offset) * filter        (int32)
 *     acc = acc + bias[c]                                         (bias may be NULL)
 *     out = clamp(MultiplyByQuantizedMultiplier(acc, m[c], s[c]) + output_offset,
 *                 activation.min, activation.max)
 *
 * Taps that fall outside the input image (padding) are skipped, which is the
 * same as reading the input zero point there. Padding is given as the top/left
 * amount only: TF Lite's SAME padding puts the odd extra row/column at the
 * bottom/right, which follows from the output size.
 *
 * Every kernel takes caller-owned scratch memory (`te_context`) sized by its
 * `*_get_buffer_size()`; the portable kernels need none (size 0, `buf` may be
 * NULL), but callers must still ask, as faster variants may.
 */
#ifndef TE_CONV_H
#define TE_CONV_H

#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Promise of every pointwise kernel (::te_conv2d_s8 with a 1x1 filter,
 * stride 1, no padding, no groups), portable and DSP alike, that lets the
 * memory planner overlap such a layer's output with its input: no input byte
 * is overwritten before its last read whenever the output starts at least as
 * far below the input as a kernel needs that produces output pixels in
 * increasing order, in groups of at most this many pixels, reads all of a
 * group's input pixels before writing any of its outputs, and never reads an
 * earlier group's pixels again. The portable kernel is literally that kernel
 * (with overlap it copies each group's input pixels into its scratch buffer
 * first, so it needs ::te_conv2d_s8_get_buffer_size() bytes of scratch). The
 * DSP kernel does the same except over stretches of pixels whose outputs end
 * below the first input byte still to be read: those it computes in any
 * order, which the promise allows because they overwrite nothing still needed.
 * Elsewhere it copies as many pixels as its scratch holds (an even number,
 * from an even pixel) before writing any of their outputs, which writes every
 * output after at least the reads the kernel above makes before it.
 */
#define TE_POINTWISE_PIXELS_IN_FLIGHT 2

/**
 * Promise of ::te_conv2d_s8 for every other shape (any filter size, stride,
 * padding, dilation), portable and DSP alike: output pixels (n, oy, ox) are
 * produced in increasing order, in groups of at most this many consecutive
 * pixels, and once a pixel's outputs are being written only the windows of
 * that group's pixels and later ones are read. So the output may start below
 * the input and run over the part of it no later window reads: the planner
 * (mcuflow/planner/overlap.py) computes, pixel by pixel, the least distance
 * that keeps every byte a later window reads intact. No extra scratch is
 * needed (the DSP path takes the im2col rows of a group, or of up to 64
 * pixels starting on an even one, before writing any of their outputs, so
 * every output is written after at least the windows the order above reads).
 */
#define TE_CONV_PIXELS_IN_FLIGHT 2

/** Parameters of ::te_conv2d_s8. */
typedef struct {
    int32_t input_offset;     /**< Added to every input value: -input zero point, [-127, 128]. */
    int32_t output_offset;    /**< Output zero point, [-128, 127]. */
    te_tile stride;           /**< Stride, >= 1. */
    te_tile padding;          /**< Top (h) and left (w) padding, >= 0. */
    te_tile dilation;         /**< Dilation, >= 1. */
    te_activation activation; /**< Output clamp, -128 <= min <= max <= 127. */
} te_conv_params;

/** Parameters of ::te_depthwise_conv2d_s8. */
typedef struct {
    int32_t input_offset;     /**< Added to every input value: -input zero point, [-127, 128]. */
    int32_t output_offset;    /**< Output zero point, [-128, 127]. */
    te_tile stride;           /**< Stride, >= 1. */
    te_tile padding;          /**< Top (h) and left (w) padding, >= 0. */
    te_tile dilation;         /**< Dilation, >= 1. */
    int32_t depth_multiplier; /**< Output channels per input channel, >= 1. */
    te_activation activation; /**< Output clamp, -128 <= min <= max <= 127. */
} te_dw_conv_params;

/** Parameters of ::te_fully_connected_s8 and ::te_fully_connected_per_channel_s8. */
typedef struct {
    int32_t input_offset;     /**< Added to every input value: -input zero point, [-127, 128]. */
    int32_t filter_offset;    /**< Added to every weight: -weight zero point, [-127, 128]; must be 0 per channel. */
    int32_t output_offset;    /**< Output zero point, [-128, 127]. */
    te_activation activation; /**< Output clamp, -128 <= min <= max <= 127. */
} te_fc_params;

/**
 * @brief Scratch bytes ::te_conv2d_s8 needs for these shapes.
 * @param[in] input_dims  Input shape [N, H, W, C_in].
 * @param[in] filter_dims Filter shape [C_out, KH, KW, C_in / groups].
 * @param[in] output_dims Output shape [N, OH, OW, C_out].
 * @return Bytes of scratch for this build, or a negative value for invalid shapes. With the DSP
 *         path, for K = KH * KW * C_f rounded up to 4 as K4: 1x1 filters with C_out != C_f take
 *         4 * K4 + 68 + 2 * K (a channel pair's filter rows widened to int16, their constants, the
 *         copies of two input pixels an overlapping output needs); other filters with 4 <= K <= 128
 *         take 4 * K4 + 68 plus the im2col rows of n pixels, n the even number up to 64 that keeps
 *         the whole within 1/32 of the output's bytes, where n >= 4; all others take 2 * K rounded up
 *         to 4 (two im2col rows, or two pixels' copies). The portable build needs 2 * K for 1x1
 *         filters (the overlap copies) and 0 otherwise. Less scratch is not an error except for an
 *         overlapping pointwise layer without room for two input pixels: the DSP build then falls
 *         back to slower loops. More is used where it helps: a pointwise layer with C_out == C_f (sized
 *         2 * K here, so an in-place layer at the memory peak costs no more than its copies) takes the
 *         fast path with 4 * K4 + 68 + 2 * K, and an overlapping one then copies as many input pixels
 *         as the rest holds at a time (mcuflow's code generator hands it what the arena has free at
 *         that step).
 */
int32_t te_conv2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims,
                                     const te_dims *output_dims);

/**
 * @brief 2-D convolution, int8, per-channel requantization, optional groups.
 *
 * Output channel `oc` reads input channels `[g * C_f, (g + 1) * C_f)` with
 * `C_f = filter_dims->c`, `g = oc / (C_out / groups)` and
 * `groups = C_in / C_f` (1 for an ordinary convolution).
 *
 * @param[in]  ctx         Scratch memory, at least ::te_conv2d_s8_get_buffer_size() bytes.
 * @param[in]  params      Offsets, stride, padding, dilation, clamp.
 * @param[in]  quant       Per-output-channel multiplier and shift, C_out entries each
 *                         (a per-tensor filter repeats one pair).
 * @param[in]  input_dims  Input shape [N, H, W, C_in].
 * @param[in]  input       Input data, int8 [N, H, W, C_in].
 * @param[in]  filter_dims Filter shape [C_out, KH, KW, C_f]; C_in must be a multiple of C_f
 *                         and C_out a multiple of C_in / C_f.
 * @param[in]  filter      Filter data, int8 [C_out, KH, KW, C_f].
 * @param[in]  bias        Bias, int32 [C_out], or NULL for none.
 * @param[in]  output_dims Output shape [N, OH, OW, C_out].
 * @param[out] output      Output data, int8 [N, OH, OW, C_out]; may start below the input and overlap
 *                         its already-consumed part (see ::TE_POINTWISE_PIXELS_IN_FLIGHT and
 *                         ::TE_CONV_PIXELS_IN_FLIGHT), otherwise must not overlap it.
 * @return ::TE_OK, ::TE_ERR_BUFFER for an overlapping pointwise layer without its scratch, or
 *         ::TE_ERR_ARG for a NULL pointer or inconsistent shapes/parameters.
 */
te_status te_conv2d_s8(te_context ctx, const te_conv_params *params, const te_per_channel_quant *quant,
                       const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                       const int8_t *filter, const int32_t *bias, const te_dims *output_dims, int8_t *output);

/**
 * @brief Scratch bytes ::te_depthwise_conv2d_s8 needs for these shapes.
 * @param[in] input_dims  Input shape [N, H, W, C_in].
 * @param[in] filter_dims Filter shape [1, KH, KW, C_out].
 * @param[in] output_dims Output shape [N, OH, OW, C_out].
 * @return Bytes of scratch for this build: KH * KW * 8 where the DSP path runs (depth multiplier 1,
 *         4 or more channels), else 0; or a negative value for invalid shapes.
 */
int32_t te_depthwise_conv2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims,
                                               const te_dims *output_dims);

/**
 * @brief Depthwise 2-D convolution, int8, per-channel requantization.
 *
 * Output channel `ic * depth_multiplier + m` convolves input channel `ic`
 * with filter channel `ic * depth_multiplier + m`.
 *
 * @param[in]  ctx         Scratch memory, at least ::te_depthwise_conv2d_s8_get_buffer_size() bytes.
 * @param[in]  params      Offsets, stride, padding, dilation, depth multiplier, clamp.
 * @param[in]  quant       Per-output-channel multiplier and shift, C_out entries each.
 * @param[in]  input_dims  Input shape [N, H, W, C_in].
 * @param[in]  input       Input data, int8 [N, H, W, C_in].
 * @param[in]  filter_dims Filter shape [1, KH, KW, C_out], C_out = C_in * depth_multiplier.
 * @param[in]  filter      Filter data, int8 [1, KH, KW, C_out].
 * @param[in]  bias        Bias, int32 [C_out], or NULL for none.
 * @param[in]  output_dims Output shape [N, OH, OW, C_out].
 * @param[out] output      Output data, int8 [N, OH, OW, C_out]; must not overlap the input.
 * @return ::TE_OK, or ::TE_ERR_ARG for a NULL pointer or inconsistent shapes/parameters.
 */
te_status te_depthwise_conv2d_s8(te_context ctx, const te_dw_conv_params *params,
                                 const te_per_channel_quant *quant, const te_dims *input_dims,
                                 const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                                 const int32_t *bias, const te_dims *output_dims, int8_t *output);

/**
 * @brief Scratch bytes the fully connected kernels need for these shapes.
 * @param[in] filter_dims Filter shape: n = out_features, h * w * c = in_features.
 * @return Bytes of scratch (0 for the portable kernels), or a negative value for invalid shapes.
 */
int32_t te_fully_connected_s8_get_buffer_size(const te_dims *filter_dims);

/**
 * @brief Fully connected layer, int8, one (per-tensor) requantization multiplier.
 *
 * The input is read as a [batches, in_features] matrix, whatever its shape.
 *
 * @param[in]  ctx         Scratch memory, at least ::te_fully_connected_s8_get_buffer_size() bytes.
 * @param[in]  params      Input, filter and output offsets, clamp.
 * @param[in]  quant       The multiplier and shift of every output.
 * @param[in]  input_dims  Input shape: n = batches, h * w * c = in_features.
 * @param[in]  input       Input data, int8 [batches, in_features].
 * @param[in]  filter_dims Filter shape: n = out_features, h * w * c = in_features.
 * @param[in]  filter      Filter data, int8 [out_features, in_features].
 * @param[in]  bias        Bias, int32 [out_features], or NULL for none.
 * @param[in]  output_dims Output shape: n = batches, h * w * c = out_features.
 * @param[out] output      Output data, int8 [batches, out_features]; must not overlap the input.
 * @return ::TE_OK, or ::TE_ERR_ARG for a NULL pointer or inconsistent shapes/parameters.
 */
te_status te_fully_connected_s8(te_context ctx, const te_fc_params *params, const te_quant *quant,
                                const te_dims *input_dims, const int8_t *input, const te_dims *filter_dims,
                                const int8_t *filter, const int32_t *bias, const te_dims *output_dims,
                                int8_t *output);

/**
 * @brief Fully connected layer, int8, per-output-channel requantization.
 *
 * As ::te_fully_connected_s8 with one multiplier per output feature. The
 * weights are symmetric: `params->filter_offset` must be 0 (TF Lite Micro
 * ignores the weight zero point of per-channel filters).
 *
 * @param[in]  ctx         Scratch memory, at least ::te_fully_connected_s8_get_buffer_size() bytes.
 * @param[in]  params      Input and output offsets (filter_offset 0), clamp.
 * @param[in]  quant       Per-output multiplier and shift, out_features entries each.
 * @param[in]  input_dims  Input shape: n = batches, h * w * c = in_features.
 * @param[in]  input       Input data, int8 [batches, in_features].
 * @param[in]  filter_dims Filter shape: n = out_features, h * w * c = in_features.
 * @param[in]  filter      Filter data, int8 [out_features, in_features].
 * @param[in]  bias        Bias, int32 [out_features], or NULL for none.
 * @param[in]  output_dims Output shape: n = batches, h * w * c = out_features.
 * @param[out] output      Output data, int8 [batches, out_features]; must not overlap the input.
 * @return ::TE_OK, or ::TE_ERR_ARG for a NULL pointer or inconsistent shapes/parameters.
 */
te_status te_fully_connected_per_channel_s8(te_context ctx, const te_fc_params *params,
                                            const te_per_channel_quant *quant, const te_dims *input_dims,
                                            const int8_t *input, const te_dims *filter_dims,
                                            const int8_t *filter, const int32_t *bias,
                                            const te_dims *output_dims, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TE_CONV_H */
