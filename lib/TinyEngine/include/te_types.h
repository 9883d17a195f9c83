/**
 * @file te_types.h
 * @brief Types shared by every TinyEngine kernel.
 *
 * Conventions (as CMSIS-NN): activations are int8 in NHWC order; a kernel never
 * allocates, its scratch memory is the caller's (see each kernel's
 * `*_get_buffer_size()`); kernels validate their arguments and return a
 * ::te_status instead of asserting.
 *
 * Offsets follow TF Lite Micro: an `input_offset` is *added* to every input
 * value (it is the negated input zero point), an `output_offset` is added after
 * requantization (it is the output zero point).
 */
#ifndef TE_TYPES_H
#define TE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status returned by every kernel. */
typedef enum {
    TE_OK = 0,              /**< Success. */
    TE_ERR_ARG = -1,        /**< An argument is out of range or inconsistent. */
    TE_ERR_BUFFER = -2,     /**< The scratch buffer is missing or too small. */
    TE_ERR_UNSUPPORTED = -3 /**< A valid configuration this build does not implement. */
} te_status;

/** Tensor dimensions, NHWC. Lower-rank tensors set unused leading dims to 1. */
typedef struct {
    int32_t n; /**< batch */
    int32_t h; /**< height */
    int32_t w; /**< width */
    int32_t c; /**< channels */
} te_dims;

/** A pair of spatial values (stride, dilation, padding). */
typedef struct {
    int32_t h;
    int32_t w;
} te_tile;

/** Clamp of the quantized output (fused activation). */
typedef struct {
    int32_t min;
    int32_t max;
} te_activation;

/** Caller-owned scratch memory. `buf` may be NULL when `size` is 0. */
typedef struct {
    void *buf;
    int32_t size;
} te_context;

/** One fixed-point multiplier: real = multiplier * 2^(shift - 31). */
typedef struct {
    int32_t multiplier;
    int32_t shift;
} te_quant;

/** Per-channel fixed-point multipliers, one entry per output channel. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
} te_per_channel_quant;

#ifdef __cplusplus
}
#endif

#endif /* TE_TYPES_H */
