"""gemmlowp fixed-point math (exp, reciprocal, log) in NumPy, bit for bit.

TF Lite's quantized SOFTMAX and LOG_SOFTMAX are built from gemmlowp's
``FixedPoint<int32_t, IntegerBits>`` type: a raw int32 read as
``raw * 2**-(31 - IntegerBits)``. Here a fixed-point value is just its raw
int32 (held in int64 arrays) and the integer-bit count is passed explicitly.
Every function works element-wise on scalars or arrays.

The C twins live in ``lib/TinyEngine/src/softmax/te_fixedpoint.h``; both
sides must change together. :mod:`mcuflow.quant` holds the primitives these
build on (``saturating_rounding_doubling_high_mul``, ``rounding_divide_by_pot``).
"""

from __future__ import annotations

import math

import numpy as np

from .quant import (
    INT32_MAX,
    INT32_MIN,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)

# Constants gemmlowp spells as raw Q0.31 / Q2.29 integers.
_EXP_M1_8 = 1895147668  # exp(-1/8), Q0.31
_ONE_THIRD = 715827883  # 1/3, Q0.31
#: exp(-2**e) in Q0.31, for e = -2 .. 4 (the barrel shifter of exp_on_negative_values).
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))
_48_OVER_17 = 1515870810  # Q2.29
_NEG_32_OVER_17 = -1010580540  # Q2.29
_LOG_2 = 1488522236
_SQRT_SQRT_HALF = 1805811301
_SQRT_HALF = 1518500250
_ONE_QUARTER = 536870912
_ALPHA_N = 117049297
_ALPHA_D = 127690142
_ALPHA_I = 1057819769
_ALPHA_F = 638450708


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def mul(a, b):
    """Fixed-point product (integer bits add up): ``SaturatingRoundingDoublingHighMul``."""
    return saturating_rounding_doubling_high_mul(a, b)


def add(a, b):
    """gemmlowp ``Add`` on int32: plain (wrapping) addition."""
    return wrap_int32(_i64(a) + _i64(b))


def sub(a, b):
    return wrap_int32(_i64(a) - _i64(b))


def one(integer_bits: int) -> int:
    """``FixedPoint<int32, IntegerBits>::One()`` (saturates to the max raw for 0 bits)."""
    return INT32_MAX if integer_bits == 0 else 1 << (31 - integer_bits)


def constant_pot(integer_bits: int, exponent: int) -> int:
    """``ConstantPOT<exponent>``: ``2**exponent`` in the given format."""
    return 1 << (31 - integer_bits + exponent)


def saturating_rounding_multiply_by_pot(x, exponent: int):
    """gemmlowp ``SaturatingRoundingMultiplyByPOT``: saturating left shift, or rounding right shift."""
    x = _i64(x)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    res = x << exponent
    res = np.where(x > threshold, INT32_MAX, res)
    return np.where(x < -threshold, INT32_MIN, res).astype(np.int64)


def rescale(x, src_integer_bits: int, dst_integer_bits: int):
    """gemmlowp ``Rescale<dst>``: change the integer-bit count, saturating/rounding."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def rounding_half_sum(a, b):
    """gemmlowp ``RoundingHalfSum`` on int32: (a + b) / 2 rounded half away from zero."""
    s = _i64(a) + _i64(b)
    num = s + np.where(s >= 0, 1, -1)
    # C++ division truncates toward zero.
    return np.where(num >= 0, num // 2, -((-num) // 2)).astype(np.int64)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """exp(a) for a in [-1/4, 0), Q0.31 in and out (a Taylor series around -1/8)."""
    x = add(a, constant_pot(0, -3))
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    poly = saturating_rounding_multiply_by_pot(add(mul(add(x4_over_4, x3), _ONE_THIRD), x2), -1)
    return add(_EXP_M1_8, mul(_EXP_M1_8, add(x, poly)))


def exp_on_negative_values(a, integer_bits: int):
    """gemmlowp ``exp_on_negative_values``: exp(a) for a <= 0 in Q(integer_bits); result Q0.31."""
    a = _i64(a)
    frac_bits = 31 - integer_bits
    one_quarter = constant_pot(integer_bits, -2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = sub(a & mask, one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = sub(a_mod_quarter_minus_one_quarter, a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (frac_bits + exponent)
            result = np.where((remainder & bit) != 0, mul(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, one(0), result).astype(np.int64)


def one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp ``one_over_one_plus_x_for_x_in_0_1``: 1/(1+a), Q0.31 in and out (Newton-Raphson)."""
    half_denominator = rounding_half_sum(a, one(0))
    x = add(_48_OVER_17, mul(half_denominator, _NEG_32_OVER_17))  # Q2.29
    for _ in range(3):
        half_denominator_times_x = mul(half_denominator, x)  # Q2.29
        one_minus = sub(one(2), half_denominator_times_x)
        x = add(x, rescale(mul(x, one_minus), 4, 2))
    # ExactMulByPot<-1> turns Q2.29 into Q1.30 with the same raw value.
    return rescale(x, 1, 0)


def count_leading_zeros32(x):
    """``CountLeadingZeros`` of the value as uint32 (32 for zero)."""
    u = _i64(x) & 0xFFFFFFFF
    out = np.full(u.shape, 32, dtype=np.int64)
    # Find the highest set bit without float logs (exact for all 32-bit values).
    for k in range(31, -1, -1):
        hit = (out == 32) & (((u >> k) & 1) == 1)
        out = np.where(hit, 31 - k, out)
    return out


def get_reciprocal(x, x_integer_digits: int):
    """TF Lite ``GetReciprocal``: returns (Q0.31 1/x scaled into [0.5, 1), num_bits_over_unit)."""
    x = _i64(x)
    headroom_plus_one = count_leading_zeros32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = ((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF
    shifted_sum_minus_one = wrap_int32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def saturating_rounding_multiply_by_pot_param(x, exponent):
    """TF Lite ``SaturatingRoundingMultiplyByPOTParam`` (run-time exponent).

    TF Lite only passes exponents >= 0 for inputs in contract; a negative one
    (a log of a sum that overflowed int32) is a rounding right shift here, as
    in the C twin, so both stay defined and equal.
    """
    x = _i64(x)
    exponent = _i64(exponent)
    pos = np.maximum(exponent, 0)
    threshold = (np.int64(1) << (31 - pos)) - 1
    res = wrap_int32(x << pos)
    res = np.where(x > threshold, INT32_MAX, res)
    res = np.where(x < -threshold, INT32_MIN, res)
    res = np.where(exponent < 0, rounding_divide_by_pot(x, np.maximum(-exponent, 0)), res)
    return np.where(exponent == 0, x, res).astype(np.int64)


def saturating_add(a, b):
    """TF Lite ``SaturatingAddNonGemmlowp`` on int32."""
    return np.clip(_i64(a) + _i64(b), INT32_MIN, INT32_MAX)


def saturating_sub(a, b):
    return np.clip(_i64(a) - _i64(b), INT32_MIN, INT32_MAX)


def log_x_for_x_greater_than_or_equal_to_1(x, input_integer_bits: int, output_integer_bits: int):
    """TF Lite ``log_x_for_x_greater_than_or_equal_to_1_impl``: log(x), Q(in) -> Q(out)."""
    accum_bits = output_integer_bits + 1
    shifted_quarter = rescale(_ONE_QUARTER, 0, accum_bits)
    z_a = _i64(x)  # reinterpreted as Q0.31
    z_a_headroom_plus_1 = count_leading_zeros32(z_a)
    r_a_tmp = saturating_rounding_multiply_by_pot_param(z_a, z_a_headroom_plus_1 - 1)
    r_a_raw = saturating_rounding_multiply_by_pot_param(mul(r_a_tmp, _SQRT_HALF), 1)
    z_a_pow_2_adj = saturating_add(
        saturating_rounding_multiply_by_pot_param(input_integer_bits - z_a_headroom_plus_1, 31 - accum_bits),
        shifted_quarter)
    z_b = mul(z_a, _SQRT_HALF)
    z_b_headroom = count_leading_zeros32(z_b) - 1
    r_b_raw = saturating_rounding_multiply_by_pot_param(z_a, z_b_headroom)
    z_b_pow_2_adj = saturating_sub(
        saturating_rounding_multiply_by_pot_param(input_integer_bits - z_b_headroom, 31 - accum_bits),
        shifted_quarter)
    r = np.minimum(r_a_raw, r_b_raw)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)

    p = rounding_half_sum(r, _SQRT_SQRT_HALF)
    q = sub(r, _SQRT_SQRT_HALF)
    q = add(q, q)
    common_sq = mul(q, q)
    num = add(mul(q, r), mul(mul(q, common_sq), _ALPHA_N))
    denom_minus_one_0 = add(mul(p, add(add(_ALPHA_I, q), mul(_ALPHA_D, common_sq))), mul(_ALPHA_F, q))
    recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0)
    num_scaled = rescale(num, 0, accum_bits)
    return rescale(add(mul(z_pow_2_adj, _LOG_2), mul(num_scaled, recip_denom)), accum_bits, output_integer_bits)


# -- Softmax parameter preparation (TF Lite Micro's Prepare) --------------------


def preprocess_softmax_scaling(beta: float, input_scale: float, input_integer_bits: int) -> tuple[int, int]:
    """TF Lite ``PreprocessSoftmaxScaling`` (double-rounding build): (multiplier, left_shift).

    ``beta`` and ``input_scale`` are the float32 values stored in the model.
    """
    max_real_multiplier = float((1 << 31) - 1)
    real = min(float(beta) * float(input_scale) * float(1 << (31 - input_integer_bits)), max_real_multiplier)
    return quantize_multiplier(real)


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """TF Lite ``CalculateInputRadius``: largest |diff| whose rescaled value still fits."""
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1) * float(1 << (total_signed_bits - input_integer_bits))
                          / float(1 << input_left_shift))
    return math.floor(max_input_rescaled)


def preprocess_log_softmax_scaling_exp(beta: float, input_scale: float, input_integer_bits: int):
    """TF Lite ``PreprocessLogSoftmaxScalingExp``.

    Returns (multiplier, left_shift, reverse_scaling_divisor, reverse_scaling_left_shift);
    the last is <= 0.
    """
    multiplier, left_shift = preprocess_softmax_scaling(beta, input_scale, input_integer_bits)
    real_reverse = float(1 << (31 - left_shift)) / float(multiplier)
    divisor, reverse_shift = quantize_multiplier(real_reverse)
    return multiplier, left_shift, divisor, reverse_shift
