/**
 * @file te_patch.h
 * @brief Patch-based inference (MCUNetV2): strided window copies between a
 *        full feature map and a small patch buffer.
 *
 * A patched stage runs its first layers tile by tile. Per tile the generated
 * code copies the input window the tile needs (its receptive field, halo
 * included) out of the full input into a patch buffer, runs the stage's
 * kernels on patch buffers, and copies the finished tile into the full-size
 * output. Both copies are ::te_copy_window_s8. The copy moves bytes only, so
 * other element types are copied as int8 with `c` multiplied by the element size.
 */
#ifndef TE_PATCH_H
#define TE_PATCH_H

#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A block of rows and columns of a feature map. */
typedef struct {
    int32_t y; /**< first row, >= 0 */
    int32_t x; /**< first column, >= 0 */
    int32_t h; /**< rows, >= 1 */
    int32_t w; /**< columns, >= 1 */
} te_window;

/**
 * @brief Copies a block of rows x columns (all batches, all channels) from one
 *        NHWC feature map to a position in another.
 *
 * `dst[b, dst_y + i, dst_x + j, :] = src[b, window.y + i, window.x + j, :]` for
 * `i < window.h`, `j < window.w`. Rows of `window.w * c` bytes are contiguous in
 * both maps, so each is one memcpy.
 *
 * @param[in]  src_dims Source shape [N, H, W, C], each >= 1.
 * @param[in]  src      Source data, int8 [N, H, W, C].
 * @param[in]  window   The block of the source to copy; must lie inside it.
 * @param[in]  dst_dims Destination shape [N, H2, W2, C]: same N and C as the source.
 * @param[out] dst      Destination data, int8 [N, H2, W2, C]; must not overlap the source.
 * @param[in]  dst_y    Row of the destination the block's first row goes to, >= 0.
 * @param[in]  dst_x    Column of the destination the block's first column goes to, >= 0.
 * @return ::TE_OK, or ::TE_ERR_ARG for a NULL pointer, mismatched N or C, or a
 *         block that does not fit inside the source or the destination.
 */
te_status te_copy_window_s8(const te_dims *src_dims, const int8_t *src, const te_window *window,
                            const te_dims *dst_dims, int8_t *dst, int32_t dst_y, int32_t dst_x);

#ifdef __cplusplus
}
#endif

#endif /* TE_PATCH_H */
