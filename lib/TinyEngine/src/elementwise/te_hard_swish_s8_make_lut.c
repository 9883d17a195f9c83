/*
 * Table of TFLM's int8 HARD_SWISH (reference_ops::HardSwish): 16-bit fixed
 * point, the input on a "hires" scale (x 2^7), a "reluish" factor in [0, 1]
 * from saturating rescales, then a truncating doubling high multiply. Every
 * 16-bit step narrows like C++'s int16_t assignments (modulo 2^16).
 */
#include <float.h>

#include "te_elementwise_internal.h"

static int16_t narrow16(int32_t x)
{
    return (int16_t)(uint16_t)(uint32_t)x;
}

/* gemmlowp SaturatingRoundingDoublingHighMul<int16_t>. */
static int16_t srdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return narrow16((ab + nudge) / (1 << 15));
}

/* TFLite SaturatingDoublingHighMul<int16_t>: truncates instead of rounding. */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return narrow16(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT<int16_t>; the mask is narrowed to 16 bits as in C++. */
static int16_t rdbpot16(int16_t x, int32_t exponent)
{
    const int16_t mask = narrow16((int32_t)(((int64_t)1 << exponent) - 1));
    const int16_t remainder = narrow16(x & mask);
    const int16_t threshold = narrow16((mask >> 1) + (x < 0 ? 1 : 0));
    return narrow16((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static int16_t saturating_left_shift16(int16_t x, int32_t amount)
{
    const int64_t v = (int64_t)x * ((int64_t)1 << amount);
    return (int16_t)TE_CLAMP(v, INT16_MIN, INT16_MAX);
}

/* TFLite DownScaleInt32ToInt16Multiplier. */
static int16_t downscale_multiplier(int32_t m)
{
    if (m >= INT32_MAX - (1 << 15)) {
        return INT16_MAX;
    }
    return (int16_t)((m + (1 << 15)) >> 16);
}

te_status te_hard_swish_s8_make_lut(float input_scale, int32_t input_zero_point, float output_scale,
                                    int32_t output_zero_point, int8_t *table)
{
    if (table == NULL || !(input_scale > 0.0f) || input_scale > FLT_MAX || !(output_scale > 0.0f) ||
        output_scale > FLT_MAX || input_zero_point < INT8_MIN || input_zero_point > INT8_MAX ||
        output_zero_point < INT8_MIN || output_zero_point > INT8_MAX) {
        return TE_ERR_ARG;
    }
    /*
     * HardSwishPrepare: float32 scales and products, the ratios divided in
     * double, as TF Lite Micro computes them (a float32 quotient rounds some
     * multipliers' 16-bit ties the other way; see mcuflow's hard_swish_params).
     */
    const float hires_input_scale = (1.0f / 128.0f) * input_scale;
    const float reluish_scale = 3.0f / 32768.0f;
    const double output_ratio = (double)hires_input_scale / (double)output_scale;
    const double reluish_ratio = (double)hires_input_scale / (double)reluish_scale;
    if (!(output_ratio > 0.0f) || !(reluish_ratio > 0.0f) || output_ratio > FLT_MAX || reluish_ratio > FLT_MAX) {
        return TE_ERR_ARG;
    }
    int32_t m, output_exponent, reluish_exponent;
    te_ew_quantize_multiplier(output_ratio, &m, &output_exponent);
    const int16_t output_multiplier = downscale_multiplier(m);
    te_ew_quantize_multiplier(reluish_ratio, &m, &reluish_exponent);
    const int16_t reluish_multiplier = downscale_multiplier(m);
    /* TFLM rejects output exponents > 0; the 16-bit shifts need the rest in range. */
    if (output_exponent > 0 || output_exponent < -31 || reluish_exponent < -31 || reluish_exponent > 31) {
        return TE_ERR_ARG;
    }
    for (int32_t v = -128; v < 128; ++v) {
        const int16_t input_value = narrow16(v - input_zero_point);
        const int16_t hires = narrow16(input_value * (1 << 7));
        const int16_t preshift = srdhm16(hires, output_multiplier);
        int16_t reluish = hires;
        if (reluish_exponent > 0) {
            reluish = saturating_left_shift16(reluish, reluish_exponent - 1);
        }
        reluish = srdhm16(reluish, reluish_multiplier);
        if (reluish_exponent > 0) {
            reluish = saturating_left_shift16(reluish, 1);
        }
        if (reluish_exponent < 0) {
            reluish = rdbpot16(reluish, -reluish_exponent);
        }
        reluish = narrow16((reluish + (1 << 15)) >> 1);
        const int16_t preshift_output = sdhm16(reluish, preshift);
        int16_t out = rdbpot16(preshift_output, -output_exponent);
        out = narrow16(out + output_zero_point);
        table[v + 128] = (int8_t)TE_CLAMP(out, INT8_MIN, INT8_MAX);
    }
    return TE_OK;
}
