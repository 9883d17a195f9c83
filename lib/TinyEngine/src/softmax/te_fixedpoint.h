/*
 * gemmlowp fixed-point math used by softmax and log-softmax, bit for bit.
 *
 * A fixed-point value is a raw int32 read as raw * 2^-(31 - integer_bits);
 * the integer-bit count is passed explicitly instead of gemmlowp's template
 * parameter. gemmlowp's plain additions are int32 additions that TF Lite
 * relies on not overflowing; they are done in uint32 here so that even
 * out-of-contract inputs stay defined C.
 *
 * The Python twin is mcuflow/fixedpoint.py; change both together.
 */
#ifndef TE_FIXEDPOINT_H
#define TE_FIXEDPOINT_H

#include <stdint.h>

#include "te_internal.h"

#define TE_FP_SCALED_DIFF_BITS 5 /* Q5.26 exp input: exp(-16) is negligible */
#define TE_FP_ACCUM_BITS 12      /* Q12.19 sum of exps: 4096 terms of <= 1 */

static inline int32_t te_fp_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t te_fp_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline int32_t te_fp_sat_add(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + b;
    return (int32_t)TE_CLAMP(s, (int64_t)INT32_MIN, (int64_t)INT32_MAX);
}

static inline int32_t te_fp_sat_sub(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a - b;
    return (int32_t)TE_CLAMP(s, (int64_t)INT32_MIN, (int64_t)INT32_MAX);
}

/* CountLeadingZeros of a uint32 (32 for zero). */
static inline int te_fp_clz32(uint32_t x)
{
    if (x == 0u) {
        return 32;
    }
#if defined(__GNUC__)
    return __builtin_clz(x);
#else
    int n = 0;
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/*
 * SaturatingRoundingMultiplyByPOT (and its run-time Param form): exponent > 0
 * is a saturating left shift, exponent < 0 a rounding right shift; |exponent| <= 31.
 */
static inline int32_t te_fp_mul_pot(int32_t x, int exponent)
{
    if (exponent == 0) {
        return x;
    }
    if (exponent < 0) {
        return te_rdbpot(x, -exponent);
    }
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* Rescale<dst>(FixedPoint<src>). */
static inline int32_t te_fp_rescale(int32_t x, int src_integer_bits, int dst_integer_bits)
{
    return te_fp_mul_pot(x, src_integer_bits - dst_integer_bits);
}

/* RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
static inline int32_t te_fp_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8. */
static inline int32_t te_fp_exp_quarter(int32_t a)
{
    const int32_t exp_m1_8 = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = te_fp_add(a, (int32_t)1 << 28);
    const int32_t x2 = te_srdhm(x, x);
    const int32_t x3 = te_srdhm(x2, x);
    const int32_t x4 = te_srdhm(x2, x2);
    const int32_t x4_over_4 = te_rdbpot(x4, 2);
    const int32_t poly = te_rdbpot(te_fp_add(te_srdhm(te_fp_add(x4_over_4, x3), one_third), x2), 1);
    return te_fp_add(exp_m1_8, te_srdhm(exp_m1_8, te_fp_add(x, poly)));
}

/*
 * exp_on_negative_values: exp(a) for a <= 0 in Q(integer_bits).(31 - integer_bits),
 * 0 <= integer_bits <= 29; result Q0.31.
 */
static inline int32_t te_fp_exp_on_negative_values(int32_t a, int integer_bits)
{
    /* exp(-2^e) in Q0.31 for e = -2 .. 4: one factor per set bit of the integer part. */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter = te_fp_sub(a & (one_quarter - 1), one_quarter);
    int32_t result = te_fp_exp_quarter(te_fp_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
    const int32_t remainder = te_fp_sub(a_mod_quarter_minus_one_quarter, a);
    for (int e = -2; e <= 4; e++) {
        if (integer_bits > e && (remainder & (int32_t)(1u << (frac_bits + e))) != 0) {
            result = te_srdhm(result, barrel[e + 2]);
        }
    }
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) {
        result = 0;
    }
    return a == 0 ? INT32_MAX : result;
}

/* one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a), Q0.31 in and out (Newton-Raphson). */
static inline int32_t te_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t c48_over_17 = 1515870810;   /* Q2.29 */
    const int32_t cneg32_over_17 = -1010580540; /* Q2.29 */
    const int32_t half_denominator = te_fp_rounding_half_sum(a, INT32_MAX);
    int32_t x = te_fp_add(c48_over_17, te_srdhm(half_denominator, cneg32_over_17));
    for (int i = 0; i < 3; i++) {
        const int32_t half_denominator_times_x = te_srdhm(half_denominator, x);
        const int32_t one_minus = te_fp_sub((int32_t)1 << 29, half_denominator_times_x);
        x = te_fp_add(x, te_fp_rescale(te_srdhm(x, one_minus), 4, 2));
    }
    /* x / 2 as Q1.30 (same raw), then to Q0.31. */
    return te_fp_rescale(x, 1, 0);
}

/*
 * GetReciprocal: for x > 0 in Q(integer_digits), returns 1/x scaled into
 * Q0.31 and the number of bits the scaling moved (*num_bits_over_unit).
 */
static inline int32_t te_fp_get_reciprocal(int32_t x, int integer_digits, int *num_bits_over_unit)
{
    const int headroom_plus_one = te_fp_clz32((uint32_t)x);
    *num_bits_over_unit = integer_digits - headroom_plus_one;
    const uint32_t shifted = headroom_plus_one >= 32 ? 0u : ((uint32_t)x << headroom_plus_one);
    return te_fp_one_over_one_plus_x((int32_t)(shifted - 0x80000000u));
}

/*
 * log_x_for_x_greater_than_or_equal_to_1: log(x) for x >= 1 in Q(input_bits);
 * result in Q(output_bits). x must be > 0.
 */
static inline int32_t te_fp_log_x_ge_1(int32_t x, int input_bits, int output_bits)
{
    const int32_t log_2 = 1488522236;
    const int32_t sqrt_sqrt_half = 1805811301;
    const int32_t sqrt_half = 1518500250;
    const int32_t one_quarter = 536870912;
    const int32_t alpha_n = 117049297;
    const int32_t alpha_d = 127690142;
    const int32_t alpha_i = 1057819769;
    const int32_t alpha_f = 638450708;
    /* One extra integer bit of headroom while accumulating. */
    const int accum_bits = output_bits + 1;
    const int32_t shifted_quarter = te_fp_rescale(one_quarter, 0, accum_bits);

    const int32_t z_a = x; /* reinterpreted as Q0.31 */
    const int z_a_headroom_plus_1 = te_fp_clz32((uint32_t)z_a);
    const int32_t r_a_tmp = te_fp_mul_pot(z_a, z_a_headroom_plus_1 - 1);
    const int32_t r_a_raw = te_fp_mul_pot(te_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj =
        te_fp_sat_add(te_fp_mul_pot(input_bits - z_a_headroom_plus_1, 31 - accum_bits), shifted_quarter);

    const int32_t z_b = te_srdhm(z_a, sqrt_half);
    const int z_b_headroom = te_fp_clz32((uint32_t)z_b) - 1;
    const int32_t r_b_raw = te_fp_mul_pot(z_a, z_b_headroom);
    const int32_t z_b_pow_2_adj =
        te_fp_sat_sub(te_fp_mul_pot(input_bits - z_b_headroom, 31 - accum_bits), shifted_quarter);

    const int32_t r = TE_MIN(r_a_raw, r_b_raw);
    const int32_t z_pow_2_adj = TE_MAX(z_a_pow_2_adj, z_b_pow_2_adj);

    const int32_t p = te_fp_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = te_fp_sub(r, sqrt_sqrt_half);
    q = te_fp_add(q, q);
    const int32_t common_sq = te_srdhm(q, q);
    const int32_t num = te_fp_add(te_srdhm(q, r), te_srdhm(te_srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one =
        te_fp_add(te_srdhm(p, te_fp_add(te_fp_add(alpha_i, q), te_srdhm(alpha_d, common_sq))), te_srdhm(alpha_f, q));
    const int32_t recip_denom = te_fp_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = te_fp_rescale(num, 0, accum_bits);
    return te_fp_rescale(te_fp_add(te_srdhm(z_pow_2_adj, log_2), te_srdhm(num_scaled, recip_denom)), accum_bits,
                         output_bits);
}

/* MultiplyByQuantizedMultiplierGreaterThanOne for a softmax diff (left_shift >= 0). */
static inline int32_t te_fp_scale_diff(int32_t diff, int32_t multiplier, int32_t left_shift)
{
    return te_srdhm((int32_t)((uint32_t)diff << left_shift), multiplier);
}

#endif /* TE_FIXEDPOINT_H */
