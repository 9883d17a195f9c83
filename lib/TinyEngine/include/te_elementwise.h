/**
 * @file te_elementwise.h
 * @brief Element-wise kernels: ADD, MUL (with broadcasting), requantization
 *        (RELU, QUANTIZE int -> int), clamps (RELU6), 256-entry lookup tables
 *        (LOGISTIC, HARD_SWISH), QUANTIZE float -> int and DEQUANTIZE.
 *
 * Bit-exact with TF Lite Micro's reference kernels. The caller computes the
 * constants once, as TFLM's Prepare does (the mcuflow code generator does it
 * in Python); each parameter struct says how.
 *
 * Offsets follow te_types.h: an `input*_offset` is added to the raw input
 * (it is the negated zero point), an `output_offset` is added after the
 * rescale (it is the output zero point).
 *
 * Same-shape kernels take a flat element count. All of them may run in place:
 * `output` may equal any input (each element is read before it is written);
 * partial overlap is not allowed. Broadcasting kernels may write over an input
 * only when that input already has the full output shape. No kernel here needs
 * scratch memory.
 *
 * Speed (Cortex-M7): te_add_table_s8() replaces ADD's two input rescales with
 * table lookups (2 KiB of tables per ADD); ADD and MUL requantize their output
 * with one SMLAL when the output multiplier is above 2^30 and its right shift
 * in [2, 23] (what TF Lite's converter makes), and fall back to the generic
 * double rounding otherwise; MUL hoists a per-row constant operand, and runs
 * a squeeze-excite scale (a [..., C] tensor times a per-channel [1, ..., 1, C]
 * one, >= 4 pixels) channel by channel with the factor in a register and a
 * one-SMMLAR requantization (about 8 instructions an element on the M7 in
 * place, against 14.5 per pixel row). Results are the same bits either way.
 *
 * LOGISTIC, HARD_SWISH (and TANH, LEAKY_RELU) depend on the input byte only,
 * so they run as te_lut_s8() with a 256-entry table built once: ahead of time
 * by the code generator, or for LOGISTIC and HARD_SWISH on the device with
 * te_logistic_s8_make_lut() / te_hard_swish_s8_make_lut(), which give the
 * same bytes.
 */
#ifndef TE_ELEMENTWISE_H
#define TE_ELEMENTWISE_H

#include "te_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Promise of the kernels that change the element size between a float and a
 * byte (te_quantize_f32_s8(), te_dequantize_s8_f32(), te_dequantize_u8_f32()),
 * portable and any faster variant alike, that lets
 * the memory planner write the output partly over the input: elements are
 * processed in increasing order, in groups of at most this many elements, and
 * no input element of an earlier group is read after a later group's output is
 * written. With `a` input and `b` output bytes per element and `n` elements,
 * the output may then start `d = input - output` bytes below the input when
 * `d >= max(G * b, n * b - (n - G) * a)` (G = this value, n >= G): a shrinking
 * kernel (QUANTIZE float -> int8) writes at the head of its input, a widening
 * one (DEQUANTIZE int8 -> float) reads its input from the tail of its output.
 * The byte side is a character type, which C lets alias the floats, so the
 * compiler cannot move a read past a write either; the int16 kernels make no
 * such promise (strict aliasing would let the compiler reorder them).
 */
#define TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT 1

/** Highest rank te_add_broadcast_s8() and te_mul_broadcast_s8() accept (TF Lite Micro's 6D). */
#define TE_ELEMENTWISE_MAX_DIMS 6

/** A tensor shape for the broadcasting kernels, outermost dimension first. */
typedef struct {
    int32_t rank;                              /**< 0 (scalar) .. ::TE_ELEMENTWISE_MAX_DIMS */
    int32_t dims[TE_ELEMENTWISE_MAX_DIMS];     /**< the first `rank` entries are used, each >= 0 */
} te_broadcast_shape;

/**
 * Constants of an int8 ADD (TFLM `CalculateOpDataAdd`):
 *
 *     twice_max = 2 * max(s1, s2)                       (double)
 *     input1_quant = QuantizeMultiplierSmallerThanOneExp(s1 / twice_max)
 *     input2_quant = QuantizeMultiplierSmallerThanOneExp(s2 / twice_max)
 *     output_quant = QuantizeMultiplierSmallerThanOneExp(twice_max / (2^left_shift * s_out))
 *
 * Per element: `v_k = rescale((x_k + input_k_offset) << left_shift, input_k_quant)`,
 * `out = clamp(rescale(v_1 + v_2, output_quant) + output_offset, activation)`, each
 * rescale a SaturatingRoundingDoublingHighMul followed by a RoundingDivideByPOT.
 */
typedef struct {
    int32_t input1_offset;    /**< -zero point of input 1, [-127, 128] */
    int32_t input2_offset;    /**< -zero point of input 2, [-127, 128] */
    int32_t left_shift;       /**< 20 for int8 (TFLM), [0, 22] */
    te_quant input1_quant;    /**< multiplier >= 0, shift in [-31, 0] */
    te_quant input2_quant;    /**< multiplier >= 0, shift in [-31, 0] */
    te_quant output_quant;    /**< multiplier >= 0, shift in [-31, 0] */
    int32_t output_offset;    /**< zero point of the output, [-128, 127] */
    te_activation activation; /**< output clamp (fused activation), within [-128, 127] */
} te_add_params;

/**
 * Constants of an int8 MUL (TFLM `CalculateOpDataMul`):
 * `output_quant = QuantizeMultiplier(s1 * s2 / s_out)` (double). Per element:
 * `out = clamp(MultiplyByQuantizedMultiplier((x1 + input1_offset) * (x2 + input2_offset),
 * output_quant) + output_offset, activation)`.
 */
typedef struct {
    int32_t input1_offset;    /**< -zero point of input 1, [-127, 128] */
    int32_t input2_offset;    /**< -zero point of input 2, [-127, 128] */
    te_quant output_quant;    /**< multiplier >= 0, shift in [-31, 31] */
    int32_t output_offset;    /**< zero point of the output */
    te_activation activation; /**< output clamp (fused activation), within [-128, 127] */
} te_mul_params;

/**
 * Constants of a requantization (TFLM `Requantize`, and RELU's `ReluQuantized`):
 * `out = clamp(MultiplyByQuantizedMultiplier(x + input_offset, quant) + output_offset, activation)`
 * with `quant = QuantizeMultiplier(s_in / s_out)` (double). For QUANTIZE the clamp is the
 * output type's range; for RELU it is `[max(-128, zp_out), 127]`.
 */
typedef struct {
    int32_t input_offset;     /**< -zero point of the input */
    int32_t output_offset;    /**< zero point of the output */
    te_quant quant;           /**< multiplier >= 0, shift in [-31, 31] */
    te_activation activation; /**< output clamp, within the output type's range */
} te_requantize_params;

/**
 * @brief ADD of two int8 tensors of the same shape (TFLite ADD).
 *
 * @param[in]  params Constants (see ::te_add_params).
 * @param[in]  size   Number of elements, >= 0.
 * @param[in]  input1 First input, `size` values.
 * @param[in]  input2 Second input, `size` values.
 * @param[out] output Output, `size` values; may equal `input1` or `input2`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_add_s8(const te_add_params *params, int32_t size, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

/** Entries of a te_add_table_s8() table: 256 rescaled values of input 1, then 256 of input 2. */
#define TE_ADD_TABLE_SIZE 512

/**
 * @brief Builds the te_add_table_s8() table: `table[x + 128]` is input 1's rescaled value
 *        `rescale((x + input1_offset) << left_shift, input1_quant)` for x in [-128, 127],
 *        `table[x + 384]` input 2's.
 *
 * TFLM rescales each ADD input with a factor of its own before the sum, so that
 * rescale depends on the input byte alone. The mcuflow code generator computes the
 * same table in Python and stores it as a const array in flash
 * (::TE_ADD_TABLE_SIZE int32, 2 KiB per ADD); a caller without it may build it
 * once at init (into RAM) with this function.
 *
 * @param[in]  params Constants (see ::te_add_params).
 * @param[out] table  ::TE_ADD_TABLE_SIZE values.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_add_s8_make_table(const te_add_params *params, int32_t *table);

/**
 * @brief te_add_s8() through the table of te_add_s8_make_table(): two lookups, one add and the
 *        output requantization per element (about ten times fewer instructions on a Cortex-M7).
 *
 * Bit-exact with te_add_s8() for the same `params` when `table` was built from them.
 * Same aliasing rules: `output` may equal `input1` or `input2`, partial overlap is not allowed.
 *
 * @param[in]  params Constants (see ::te_add_params).
 * @param[in]  table  ::TE_ADD_TABLE_SIZE values from te_add_s8_make_table() (or the code generator).
 * @param[in]  size   Number of elements, >= 0.
 * @param[in]  input1 First input, `size` values.
 * @param[in]  input2 Second input, `size` values.
 * @param[out] output Output, `size` values; may equal `input1` or `input2`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_add_table_s8(const te_add_params *params, const int32_t *table, int32_t size, const int8_t *input1,
                          const int8_t *input2, int8_t *output);

/**
 * @brief ADD with NumPy/TFLite broadcasting: trailing dimensions are aligned and a
 *        dimension of 1 stretches to the other operand's size.
 *
 * The output shape is the broadcast of the two input shapes; its data is row-major.
 *
 * @param[in]  params       Constants (see ::te_add_params).
 * @param[in]  input1_shape Shape of `input1`, rank <= ::TE_ELEMENTWISE_MAX_DIMS.
 * @param[in]  input1       First input, row-major.
 * @param[in]  input2_shape Shape of `input2`.
 * @param[in]  input2       Second input, row-major.
 * @param[out] output       Output, row-major broadcast shape; may equal an input whose
 *                          shape already is the output shape.
 * @return ::TE_OK, or ::TE_ERR_ARG when an argument is invalid or the shapes do not broadcast.
 */
te_status te_add_broadcast_s8(const te_add_params *params, const te_broadcast_shape *input1_shape,
                              const int8_t *input1, const te_broadcast_shape *input2_shape, const int8_t *input2,
                              int8_t *output);

/**
 * @brief MUL of two int8 tensors of the same shape (TFLite MUL).
 *
 * @param[in]  params Constants (see ::te_mul_params).
 * @param[in]  size   Number of elements, >= 0.
 * @param[in]  input1 First input, `size` values.
 * @param[in]  input2 Second input, `size` values.
 * @param[out] output Output, `size` values; may equal `input1` or `input2`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_mul_s8(const te_mul_params *params, int32_t size, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

/**
 * @brief MUL with broadcasting (see te_add_broadcast_s8() for the shape rules).
 *
 * @param[in]  params       Constants (see ::te_mul_params).
 * @param[in]  input1_shape Shape of `input1`, rank <= ::TE_ELEMENTWISE_MAX_DIMS.
 * @param[in]  input1       First input, row-major.
 * @param[in]  input2_shape Shape of `input2`.
 * @param[in]  input2       Second input, row-major.
 * @param[out] output       Output, row-major broadcast shape; may equal an input whose
 *                          shape already is the output shape.
 * @return ::TE_OK, or ::TE_ERR_ARG when an argument is invalid or the shapes do not broadcast.
 */
te_status te_mul_broadcast_s8(const te_mul_params *params, const te_broadcast_shape *input1_shape,
                              const int8_t *input1, const te_broadcast_shape *input2_shape, const int8_t *input2,
                              int8_t *output);

/**
 * @brief Requantization int8 -> int8: RELU (TFLM rescales to the output scale, then
 *        clamps at the output zero point) and QUANTIZE int8 -> int8.
 *
 * @param[in]  params Constants (see ::te_requantize_params); clamp within [-128, 127].
 * @param[in]  size   Number of elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output, `size` values; may equal `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_requantize_s8(const te_requantize_params *params, int32_t size, const int8_t *input, int8_t *output);

/**
 * @brief QUANTIZE int8 -> uint8 (see te_requantize_s8()); clamp within [0, 255].
 * @param[in]  params Constants.
 * @param[in] size Elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output; may equal `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_requantize_s8_u8(const te_requantize_params *params, int32_t size, const int8_t *input,
                              uint8_t *output);

/**
 * @brief QUANTIZE uint8 -> int8 (see te_requantize_s8()); clamp within [-128, 127].
 * @param[in]  params Constants.
 * @param[in] size Elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output; may equal `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_requantize_u8_s8(const te_requantize_params *params, int32_t size, const uint8_t *input,
                              int8_t *output);

/**
 * @brief QUANTIZE int8 -> int16 (see te_requantize_s8()); clamp within [-32768, 32767].
 * @param[in]  params Constants.
 * @param[in] size Elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output, must not overlap `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_requantize_s8_s16(const te_requantize_params *params, int32_t size, const int8_t *input,
                               int16_t *output);

/**
 * @brief QUANTIZE int16 -> int8 (see te_requantize_s8()); clamp within [-128, 127].
 * @param[in]  params Constants.
 * @param[in] size Elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output; may start at `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_requantize_s16_s8(const te_requantize_params *params, int32_t size, const int16_t *input,
                               int8_t *output);

/**
 * @brief Clamp of raw int8 values (TFLite RELU6; also RELU when input and output
 *        quantization are equal): `x > max ? max : (x < min ? min : x)`, TFLM's order.
 *
 * TFLM's RELU6 never rescales: it clamps to `[zp_in, quantize(6.0, s_in, zp_in)]`
 * on the *input* scale.
 *
 * @param[in]  range  Bounds, within [-128, 127].
 * @param[in]  size   Number of elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output, `size` values; may equal `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_clamp_s8(const te_activation *range, int32_t size, const int8_t *input, int8_t *output);

/**
 * @brief Table lookup: `output[i] = table[input[i] + 128]` (LOGISTIC, HARD_SWISH).
 *
 * @param[in]  table  256 values; `table[0]` is the output for input -128.
 * @param[in]  size   Number of elements, >= 0.
 * @param[in]  input  Input, `size` values.
 * @param[out] output Output, `size` values; may equal `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output);

/**
 * @brief Builds the te_lut_s8() table of int8 LOGISTIC (TFLM's gemmlowp fixed-point
 *        logistic on a Q4.27 input), for all 256 inputs.
 *
 * The output quantization is TFLite's fixed scale 1/256, zero point -128 (TFLM
 * requires that zero point and never reads the output scale).
 *
 * @param[in]  input_scale      Input scale, as stored in the model (float), >= 2^-28.
 * @param[in]  input_zero_point Input zero point, [-128, 127].
 * @param[out] table            256 values.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_logistic_s8_make_lut(float input_scale, int32_t input_zero_point, int8_t *table);

/**
 * @brief Builds the te_lut_s8() table of int8 HARD_SWISH (TFLM's int16 "reluish"
 *        algorithm, constants from `HardSwishPrepare` in float32), for all 256 inputs.
 *
 * @param[in]  input_scale       Input scale (float), > 0.
 * @param[in]  input_zero_point  Input zero point, [-128, 127].
 * @param[in]  output_scale      Output scale (float), > 0; TFLM requires
 *                               `input_scale / 128 / output_scale < 1` (roughly).
 * @param[in]  output_zero_point Output zero point, [-128, 127].
 * @param[out] table             256 values.
 * @return ::TE_OK, or ::TE_ERR_ARG for scales TFLM rejects or this kernel cannot represent.
 */
te_status te_hard_swish_s8_make_lut(float input_scale, int32_t input_zero_point, float output_scale,
                                    int32_t output_zero_point, int8_t *table);

/**
 * @brief QUANTIZE float32 -> int8 (TFLM `AffineQuantize`):
 *        `clamp(round_half_away(x / scale) + zero_point, -128, 127)`, the division in float.
 *
 * NaN maps to the zero point and quotients beyond the int32 range saturate (TFLM's
 * conversion is undefined there).
 *
 * @param[in]  scale      Output scale (float), > 0.
 * @param[in]  zero_point Output zero point, [-128, 127].
 * @param[in]  size       Number of elements, >= 0.
 * @param[in]  input      Input, `size` floats.
 * @param[out] output     Output, `size` values; may start at the address of `input`, or below it
 *                        (see ::TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT).
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *input, int8_t *output);

/**
 * @brief QUANTIZE float32 -> int16, as te_quantize_f32_s8() with the int16 range.
 * @param[in]  scale Output scale, > 0.
 * @param[in] zero_point Output zero point.
 * @param[in]  size  Elements, >= 0.
 * @param[in] input Input floats.
 * @param[out] output Output; may start at the address of `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_quantize_f32_s16(float scale, int32_t zero_point, int32_t size, const float *input, int16_t *output);

/**
 * @brief DEQUANTIZE int8 -> float32 (TFLM `Dequantize`): `(float)((double)scale * (x - zero_point))`.
 *
 * Computed as one float multiply, which rounds the same exact product once (the
 * product of a float and a 9-bit integer is exact in double).
 *
 * @param[in]  scale      Input scale (float).
 * @param[in]  zero_point Input zero point.
 * @param[in]  size       Number of elements, >= 0.
 * @param[in]  input      Input, `size` values.
 * @param[out] output     Output, `size` floats; must not overlap `input`, except as
 *                        ::TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT allows (input at the tail).
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_dequantize_s8_f32(float scale, int32_t zero_point, int32_t size, const int8_t *input, float *output);

/**
 * @brief DEQUANTIZE int16 -> float32, as te_dequantize_s8_f32().
 * @param[in] scale Input scale.
 * @param[in] zero_point Input zero point.
 * @param[in] size Elements, >= 0.
 * @param[in] input Input values.
 * @param[out] output Output floats; must not overlap `input`.
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_dequantize_s16_f32(float scale, int32_t zero_point, int32_t size, const int16_t *input,
                                float *output);

/**
 * @brief DEQUANTIZE uint8 -> float32, as te_dequantize_s8_f32().
 * @param[in] scale Input scale.
 * @param[in] zero_point Input zero point.
 * @param[in] size Elements, >= 0.
 * @param[in] input Input values.
 * @param[out] output Output floats; must not overlap `input`, except as
 *                    ::TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT allows (input at the tail).
 * @return ::TE_OK or ::TE_ERR_ARG.
 */
te_status te_dequantize_u8_f32(float scale, int32_t zero_point, int32_t size, const uint8_t *input,
                               float *output);

#ifdef __cplusplus
}
#endif

#endif /* TE_ELEMENTWISE_H */
