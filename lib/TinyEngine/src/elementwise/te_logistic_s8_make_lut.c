/*
 * Table of TFLM's int8 LOGISTIC (reference_integer_ops::Logistic): the input
 * difference is rescaled to Q4.27 and goes through gemmlowp's fixed-point
 * logistic. Sums wrap in unsigned arithmetic as TFLM's int32 would; none of
 * them overflows for inputs inside the radius.
 */
#include <float.h>

#include "te_elementwise_internal.h"

static int32_t wadd(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t wsub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0. */
static int32_t sat_shift_left(int32_t x, int32_t exponent)
{
    const int64_t v = (int64_t)x * ((int64_t)1 << exponent);
    return (int32_t)TE_CLAMP(v, INT32_MIN, INT32_MAX);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = wadd(a, 1 << 28); /* a + 1/8 */
    const int32_t x2 = te_srdhm(x, x);
    const int32_t x3 = te_srdhm(x2, x);
    const int32_t x4 = te_srdhm(x2, x2);
    const int32_t x4_over_4 = te_rdbpot(x4, 2);
    const int32_t poly = te_rdbpot(wadd(te_srdhm(wadd(x4_over_4, x3), constant_1_over_3), x2), 1);
    return wadd(constant_term, te_srdhm(constant_term, wadd(x, poly)));
}

/* exp(a) for a <= 0 given in Q4.27; result Q0.31. */
static int32_t exp_on_negative_values_q4(int32_t a)
{
    static const int32_t barrel[6] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401};
    const int32_t frac_bits = 27;
    const int32_t one_quarter = 1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter = wsub(a & (one_quarter - 1), one_quarter);
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_shift_left(a_mod_quarter_minus_one_quarter, 4));
    const int32_t remainder = wsub(a_mod_quarter_minus_one_quarter, a);
    /* exp(-2^k) factors for k = -2 .. 3 (4 integer bits: 2^4 does not occur). */
    for (int32_t k = 0; k < 6; ++k) {
        if (remainder & (1 << (frac_bits - 2 + k))) {
            result = te_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in (0, 1), Q0.31, by Newton-Raphson in Q2.29. */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x = wadd(constant_48_over_17, te_srdhm(half_denominator, constant_neg_32_over_17));
    for (int32_t i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = te_srdhm(half_denominator, x);
        const int32_t one_minus = wsub(1 << 29, half_denominator_times_x);
        x = wadd(x, sat_shift_left(te_srdhm(x, one_minus), 2));
    }
    return sat_shift_left(x, 1);
}

/* gemmlowp logistic of a Q4.27 value; result Q0.31. */
static int32_t logistic_q4(int32_t a)
{
    if (a == 0) {
        return 1 << 30;
    }
    const int32_t abs_a = a > 0 ? a : wsub(0, a);
    const int32_t positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values_q4(wsub(0, abs_a)));
    return a > 0 ? positive : wsub(INT32_MAX, positive);
}

te_status te_logistic_s8_make_lut(float input_scale, int32_t input_zero_point, int8_t *table)
{
    if (table == NULL || !(input_scale > 0.0f) || input_scale > FLT_MAX || input_zero_point < INT8_MIN ||
        input_zero_point > INT8_MAX) {
        return TE_ERR_ARG;
    }
    /* TFLM CalculateArithmeticOpDataLogistic: 4 integer bits. */
    int32_t left_shift;
    const double q = te_ew_frexp((double)input_scale * (double)(1 << 27), &left_shift);
    const int32_t multiplier = (int32_t)(int64_t)(q * 2147483648.0 + 0.5);
    if (left_shift < 0) {
        return TE_ERR_ARG; /* scale below 2^-28: TFLM's radius overflows */
    }
    /* CalculateInputRadius: floor(15 * 2^27 / 2^left_shift). Inside the radius the
     * rescale cannot overflow, and a non-zero radius implies left_shift <= 30. */
    const int32_t radius = left_shift >= 62 ? 0 : (int32_t)(((int64_t)15 << 27) >> left_shift);
    for (int32_t v = -128; v < 128; ++v) {
        const int32_t input = v - input_zero_point;
        int32_t out;
        if (input <= -radius) {
            out = INT8_MIN;
        } else if (input >= radius) {
            out = INT8_MAX;
        } else {
            const int32_t q0 = logistic_q4(te_requantize(input, multiplier, left_shift));
            out = TE_CLAMP(te_rdbpot(q0, 31 - 8) - 128, INT8_MIN, INT8_MAX);
        }
        table[v + 128] = (int8_t)out;
    }
    return TE_OK;
}
