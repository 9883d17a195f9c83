/**
 * @file te_inplace.h
 * @brief In-place kernels: the output overwrites the input in the same buffer.
 *
 * MCUNet's in-place depthwise convolution: with depth multiplier 1, output
 * channel `c` depends only on input channel `c`. The kernel computes one
 * output channel into a one-channel scratch buffer (N * OH * OW bytes), then
 * writes it back into the channel-`c` positions of the shared NHWC buffer.
 * Since the output has no more pixels than the input, those positions all
 * belong to input channel `c`, which is no longer needed: every other input
 * channel is intact when its turn comes, for any stride, padding or dilation.
 * Peak memory for the op drops from input + output to input + one channel.
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
 * @brief Scratch bytes ::te_depthwise_conv2d_inplace_s8 needs: one output channel.
 * @param[in] output_dims Output shape [N, OH, OW, C].
 * @return N * OH * OW, or a negative value for invalid shapes.
 */
int32_t te_depthwise_conv2d_inplace_s8_get_buffer_size(const te_dims *output_dims);

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
