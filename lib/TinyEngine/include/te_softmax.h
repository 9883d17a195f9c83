/**
 * @file te_softmax.h
 * @brief Softmax and log-softmax along the last dimension, int8 input.
 *
 * Bit-exact with TF Lite Micro's reference kernels (`reference_ops::Softmax`,
 * `reference_ops::LogSoftmax`), which use gemmlowp fixed point: per row,
 * `diff = x - max(row)` in [-255, 0]; diffs below `diff_min` count as
 * exp = 0; the others are scaled to Q5.26 by `beta * input_scale`,
 * exponentiated, summed in Q12.19 and normalized with a fixed-point
 * reciprocal (softmax) or logarithm (log-softmax).
 *
 * The caller computes the constants once (TFLM's Prepare):
 *
 *     (input_multiplier, input_left_shift) = QuantizeMultiplier(min(beta * in_scale * 2^26, 2^31 - 1))
 *     diff_min = -floor(31 * 2^26 / 2^input_left_shift)
 *
 * Since exp depends only on the diff, softmax can read it from a 256-entry
 * table (te_softmax_s8_exp_table()); a code generator may store that table in
 * flash. The results are identical with and without it.
 *
 * Rows are `depth` contiguous values; `outer` rows follow each other. None of
 * the kernels needs scratch memory. The int8 -> int8 kernels may run in place
 * (`output == input`); partial overlap is not allowed.
 */
#ifndef TE_SOFTMAX_H
#define TE_SOFTMAX_H

#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parameters of ::te_softmax_s8 and ::te_softmax_s8_s16. */
typedef struct {
    int32_t input_multiplier; /**< Q31 multiplier of beta * input_scale * 2^26, > 0. */
    int32_t input_left_shift; /**< Its left shift, [0, 31]. */
    int32_t diff_min;         /**< Diffs below this count as exp = 0; <= 0. */
    /**
     * Optional exp table, 256 entries, `exp_table[-diff]` for diff in [-255, 0], from
     * te_softmax_s8_exp_table() with the same multiplier, shift and diff_min. NULL: computed per element.
     */
    const int32_t *exp_table;
} te_softmax_params;

/**
 * @brief Fills the 256-entry exp table of a softmax: Q0.31 exp(diff) for diff = 0, -1, ..., -255.
 *
 * Entries for diffs below `diff_min` are 0. `params->exp_table` is ignored.
 *
 * @param[in]  params Multiplier, shift and diff_min (see ::te_softmax_params).
 * @param[out] table  256 int32 values.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_softmax_s8_exp_table(const te_softmax_params *params, int32_t *table);

/**
 * @brief Softmax (TFLite SOFTMAX), int8 -> int8. Output scale 1/256, zero point -128.
 *
 * @param[in]  params Constants (see ::te_softmax_params).
 * @param[in]  outer  Number of rows, >= 1 (product of all but the last dimension).
 * @param[in]  depth  Row length, >= 1 (the last dimension). Rows longer than 256
 *                    with many equal maxima overflow TFLM's output exponent; the
 *                    kernel then clamps it (TFLM stops with a check failure).
 * @param[in]  input  Input, [outer, depth].
 * @param[out] output Output, [outer, depth]; may be `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_softmax_s8(const te_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                        int8_t *output);

/**
 * @brief Softmax, int8 -> int16. Output scale 1/65536, zero point -32768.
 *
 * @param[in]  params Constants (see ::te_softmax_params).
 * @param[in]  outer  Number of rows, >= 1.
 * @param[in]  depth  Row length, >= 1.
 * @param[in]  input  Input, [outer, depth].
 * @param[out] output Output, [outer, depth]; may start at the same address as `input`
 *                    (rows and values are written back to front).
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_softmax_s8_s16(const te_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                            int16_t *output);

/** Parameters of ::te_log_softmax_s8 (TFLM's Prepare with beta = 1). */
typedef struct {
    int32_t input_multiplier;            /**< As ::te_softmax_params, with beta = 1. */
    int32_t input_left_shift;            /**< [1, 31]. */
    int32_t reverse_scaling_divisor;     /**< QuantizeMultiplier(2^(31 - input_left_shift) / input_multiplier). */
    int32_t reverse_scaling_right_shift; /**< Minus its shift, >= 0. */
    int32_t diff_min;                    /**< As ::te_softmax_params. */
} te_log_softmax_params;

/**
 * @brief Log-softmax (TFLite LOG_SOFTMAX), int8 -> int8. Output scale 16/256, zero point 127.
 *
 * @param[in]  params Constants (see ::te_log_softmax_params).
 * @param[in]  outer  Number of rows, >= 1.
 * @param[in]  depth  Row length, >= 1 (TFLM's Q12 sum holds up to 4096 terms).
 * @param[in]  input  Input, [outer, depth].
 * @param[out] output Output, [outer, depth]; may be `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_log_softmax_s8(const te_log_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                            int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TE_SOFTMAX_H */
