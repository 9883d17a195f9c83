"""TFLite's fixed-point arithmetic, in NumPy, bit for bit.

These are the primitives TF Lite Micro's reference kernels (and CMSIS-NN) are
built from. Every function works on scalars or on int64 arrays; values are
kept in int64 so nothing wraps silently, and results are the int32 values the
C code computes.

The C twins live in ``lib/TinyEngine/src/te_internal.h``; both sides must
change together.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplier``: real -> (Q31 multiplier, shift).

    ``real ~= multiplier * 2**(shift - 31)``. A positive shift is a left shift.
    """
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    q_fixed = int(round_half_away(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    # TFLite (non-double-rounding builds clamp to 30); TFLM keeps the value.
    return q_fixed, shift


def quantize_multiplier_smaller_than_one(real_multiplier: float) -> tuple[int, int]:
    """``QuantizeMultiplierSmallerThanOneExp``: shift is <= 0."""
    m, s = quantize_multiplier(real_multiplier)
    return m, s


def round_half_away(x: float) -> float:
    """C's ``round()``/``std::round``: halves go away from zero."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` on int32 values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    # C++ integer division truncates toward zero.
    num = ab + nudge
    res = np.where(num >= 0, num >> 31, -((-num) >> 31))
    return np.where(overflow, INT32_MAX, res).astype(np.int64)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp ``RoundingDivideByPOT``: round half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLite ``MultiplyByQuantizedMultiplier`` (the double-rounding form TFLM uses).

    ``x`` is int32-valued, ``multiplier`` Q31, ``shift`` the exponent from
    :func:`quantize_multiplier`. Broadcasts like NumPy.
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.where(shift > 0, shift, 0)
    right = np.where(shift > 0, 0, -shift)
    shifted = _wrap_int32(x * (np.int64(1) << left))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def multiply_by_quantized_multiplier_smaller_than_one_exp(x, multiplier, shift):
    """``MultiplyByQuantizedMultiplierSmallerThanOneExp`` (shift <= 0)."""
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -np.asarray(shift))


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, left_shift):
    """``MultiplyByQuantizedMultiplierGreaterThanOne`` (left_shift >= 0)."""
    x = np.asarray(x, dtype=np.int64)
    return saturating_rounding_doubling_high_mul(_wrap_int32(x * (np.int64(1) << np.asarray(left_shift))), multiplier)


def _wrap_int32(x):
    """Two's-complement wrap to int32, as C's int32 arithmetic does."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def wrap_int32(x):
    return _wrap_int32(x)


def saturate(x, lo: int, hi: int):
    return np.clip(np.asarray(x, dtype=np.int64), lo, hi)


#: Ranges of the int types TFLite quantizes to.
QMIN = {"int8": -128, "uint8": 0, "int16": -32768, "int32": INT32_MIN}
QMAX = {"int8": 127, "uint8": 255, "int16": 32767, "int32": INT32_MAX}


def activation_range(activation: str, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """TFLite ``CalculateActivationRangeQuantized`` for a fused activation.

    Returns the (min, max) clamp of the quantized output.
    """
    qmin, qmax = QMIN[dtype], QMAX[dtype]

    def q(v: float) -> int:
        # TFLite's Quantize() divides in float32 (f / scale, both float): a
        # double division rounds differently when the quotient is near k + 0.5.
        return zero_point + int(round_half_away(float(np.float32(v) / np.float32(scale))))

    if activation in (None, "NONE"):
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, q(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"fused activation {activation} is not supported")


def per_channel_multipliers(input_scale: float, weight_scales, output_scale: float):
    """Per-channel (multiplier, shift) arrays as TFLite's ``PopulateConvolutionQuantizationParams``.

    The effective scale is computed in double (``input * weight / output``)
    and quantized per channel.
    """
    ws = np.atleast_1d(np.asarray(weight_scales, dtype=np.float64))
    mult = np.zeros(ws.size, dtype=np.int64)
    shift = np.zeros(ws.size, dtype=np.int64)
    for c, w in enumerate(ws):
        # TFLM: effective_output_scale = input_scale * filter_scale / output_scale,
        # with input_scale and output_scale as float promoted to double.
        eff = float(np.float64(np.float32(input_scale)) * np.float64(np.float32(w)) / np.float64(np.float32(output_scale)))
        mult[c], shift[c] = quantize_multiplier(eff)
    return mult, shift
