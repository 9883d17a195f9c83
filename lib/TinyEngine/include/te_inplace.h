/**
 * @file te_inplace.h
 * @brief In-place kernels: the output overwrites the input in the same buffer.
 *
 * MCUNet's in-place depthwise convolution: with depth multiplier 1, output
 * channel `c` depends only on input channel `c`, and the output's channel-`c`
 * positions all belong to input channel `c` (the output has no more pixels
 * than the input), so every other input channel is intact when its turn
 * comes. Usually the kernel gathers channel `c`'s input rows into a small
 * ring of int16 rows and writes each output row straight over input rows
 * already gathered; where the shapes do not allow that (or with dilation)
 * it computes the channel into a one-channel scratch buffer (N * OH * OW
 * bytes) and copies it back. Peak memory for the op drops from input +
 * output to input + the ring (or one channel).
 *
 * Arithmetic is that of ::te_depthwise_conv2d_s8 (TF Lite Micro's
 * `DepthwiseConvPerChannel`), bit for bit.
 */
#ifndef TE_INPLACE_H
#define TE_INPLACE_H

#include "te_conv.h"
#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Scratch bytes ::te_depthwise_conv2d_inplace_s8 needs.
 *
 * Without dilation, filters up to 7x7, and when each output row can be written
 * over input rows already read (checked from the shapes), a ring of KH int16
 * rows: KH * W_r * 2 + 3 bytes, W_r = ((OW' - 1) * SW + KW + 2) rounded down to
 * even, OW' = OW rounded up to even, if that is no more than one output
 * channel; otherwise one output channel, N * OH * OW.
 * @param[in] params      Stride, padding, dilation (as for the kernel).
 * @param[in] input_dims  Input shape [N, H, W, C].
 * @param[in] filter_dims Filter shape [1, KH, KW, C].
 * @param[in] output_dims Output shape [N, OH, OW, C].
 * @return The byte count, or a negative value for invalid shapes.
 */
int32_t te_depthwise_conv2d_inplace_s8_get_buffer_size(const te_dw_conv_params *params, const te_dims *input_dims,
                                                       const te_dims *filter_dims, const te_dims *output_dims);

/**
 * @brief Depthwise 2-D convolution, int8, depth multiplier 1, output written over the input.
 *
 * @param[in]     ctx         Scratch, at least ::te_depthwise_conv2d_inplace_s8_get_buffer_size() bytes;
 *                            must not overlap `data`.
 * @param[in]     params      Offsets, stride, padding, dilation, clamp; `depth_multiplier` must be 1.
 * @param[in]     quant       Per-channel multiplier and shift, C entries each.
 * @param[in]     input_dims  Input shape [N, H, W, C].
 * @param[in,out] data        On entry the input, int8 [N, H, W, C]; on return the output,
 *                            int8 [N, OH, OW, C], from the same address.
 * @param[in]     filter_dims Filter shape [1, KH, KW, C].
 * @param[in]     filter      Filter data, int8 [1, KH, KW, C].
 * @param[in]     bias        Bias, int32 [C], or NULL for none.
 * @param[in]     output_dims Output shape [N, OH, OW, C]; N * OH * OW <= N * H * W.
 * @return ::TE_OK; ::TE_ERR_ARG for a NULL pointer or inconsistent shapes/parameters;
 *         ::TE_ERR_BUFFER when the scratch is too small or overlaps `data`.
 */
te_status te_depthwise_conv2d_inplace_s8(te_context ctx, const te_dw_conv_params *params,
                                         const te_per_channel_quant *quant, const te_dims *input_dims,
                                         int8_t *data, const te_dims *filter_dims, const int8_t *filter,
                                         const int32_t *bias, const te_dims *output_dims);

#ifdef __cplusplus
}
#endif

#endif /* TE_INPLACE_H */
