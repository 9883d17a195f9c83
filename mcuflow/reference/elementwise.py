"""Reference kernels of the element-wise family, bit-exact with TF Lite Micro.

ADD, MUL (int8, any scales and zero points, fused activations, NumPy-style
broadcasting), RELU, RELU6, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, QUANTIZE
and DEQUANTIZE, as TFLM's reference kernels compute them:

- ADD rescales both inputs to a common scale (``left_shift = 20``, multipliers
  from ``CalculateOpDataAdd``), sums, rescales to the output; every step is a
  ``MultiplyByQuantizedMultiplierSmallerThanOneExp`` (double rounding).
- MUL multiplies the offset inputs and rescales once with
  ``in1_scale * in2_scale / out_scale``.
- RELU requantizes input -> output scale, then clamps at the output's zero
  point. RELU6 does *not* requantize: TFLM clamps the raw input values to
  ``[input_zp, quantize(6.0, input scale)]`` and ignores the output's
  quantization.
- LOGISTIC, TANH, HARD_SWISH and LEAKY_RELU follow TFLM's fixed-point
  algorithms (gemmlowp's ``logistic``/``tanh`` on a Q4.27 input; the int16
  "reluish" HardSwish; two requantizations for LeakyRelu). Each depends on
  the input byte only, so it is computed once for all 256 int8 values
  (:func:`logistic_lut`, :func:`tanh_lut`, :func:`hard_swish_lut`,
  :func:`leaky_relu_lut`); the MCU kernel is a lookup in that table.
- QUANTIZE float32 -> int is ``round_half_away(x / scale) + zp`` in float32
  (``AffineQuantize``); int -> int is TFLM's ``Requantize``. DEQUANTIZE is
  ``float(double(scale) * (q - zp))``.

Quantization parameters are read as the float32 values the .tflite file holds,
and every constant is derived with TFLM's mix of float and double arithmetic.
The parameter helpers here are shared with ``codegen/lower_elementwise.py``
so the generated C and this reference always use the same constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import UnsupportedError
from ..graph import Graph, Op, Tensor
from ..quant import (
    INT32_MAX,
    INT32_MIN,
    QMAX,
    QMIN,
    activation_range,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
    quantize_multiplier,
    round_half_away,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from . import kernel

#: Fused activations TFLM's quantized ADD/MUL understand.
FUSED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
#: Highest rank of a *broadcasting* ADD/MUL (TFLM's reference kernels are
#: verified up to 6D; same-shape operands of any rank run flat).
MAX_BROADCAST_RANK = 6


# -- quantization parameters as the file holds them ----------------------------
def _f32(x) -> np.float32:
    return np.float32(x)


def tensor_qparams(t: Tensor, op: Op, what: str) -> tuple[np.float32, int]:
    """(float32 scale, zero point) of a per-tensor quantized tensor."""
    if t.quant is None or t.quant.scale.size == 0:
        raise UnsupportedError(f"{what} tensor '{t.name}' has no quantization", op.index, op.type)
    if t.quant.per_channel:
        raise UnsupportedError(f"{what} tensor '{t.name}' is per-channel quantized", op.index, op.type)
    return _f32(t.quant.s), t.quant.zp


def _require_dtype(t: Tensor, dtypes: tuple[str, ...], op: Op, what: str) -> None:
    if t.dtype not in dtypes:
        raise UnsupportedError(f"{what} dtype {t.dtype} (supported: {', '.join(dtypes)})", op.index, op.type)


def quantize_f32_scalar(value: float, scale: np.float32, zero_point: int) -> int:
    """``zp + (int)round(value / scale)`` with the division in float32, as TFLite's
    ``CalculateActivationRangeQuantized`` and ``FloatToQuantizedType`` do."""
    q = np.float32(np.float32(value) / np.float32(scale))
    return int(zero_point) + int(round_half_away(float(q)))


def fused_activation_range(activation: str | None, scale: np.float32, zero_point: int, op: Op,
                           dtype: str = "int8") -> tuple[int, int]:
    """TFLite ``CalculateActivationRangeQuantized`` (float32 division, as TFLite)."""
    act = activation or "NONE"
    if act not in FUSED_ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act}", op.index, op.type)
    return activation_range(act, float(scale), zero_point, dtype)


def _quantize_multiplier_smaller_than_one(real: float, op: Op, what: str) -> tuple[int, int]:
    """``QuantizeMultiplierSmallerThanOneExp``: TFLM aborts outside (0, 1)."""
    if not 0.0 < real < 1.0:
        raise UnsupportedError(f"{what} rescale factor {real:.6g} is outside (0, 1); TFLM rejects it",
                               op.index, op.type)
    m, s = quantize_multiplier(real)
    return m, s


# -- broadcasting ----------------------------------------------------------------
def broadcast_shape(shape1, shape2, op: Op) -> tuple[int, ...]:
    """NumPy/TFLite broadcast of two shapes (trailing dims aligned, 1 stretches)."""
    s1, s2 = tuple(int(d) for d in shape1), tuple(int(d) for d in shape2)
    rank = max(len(s1), len(s2))
    a = (1,) * (rank - len(s1)) + s1
    b = (1,) * (rank - len(s2)) + s2
    if a != b and rank > MAX_BROADCAST_RANK:
        raise UnsupportedError(f"rank {rank} broadcast (at most {MAX_BROADCAST_RANK})", op.index, op.type)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise UnsupportedError(f"shapes {s1} and {s2} do not broadcast", op.index, op.type)
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_binary_shapes(graph: Graph, op: Op) -> None:
    t1, t2 = graph.op_inputs(op)[:2]
    out = graph.op_outputs(op)[0]
    b = broadcast_shape(t1.shape, t2.shape, op)
    if int(np.prod(b, dtype=np.int64)) != out.size:
        raise UnsupportedError(f"output shape {out.shape} is not the broadcast of {t1.shape} and {t2.shape}",
                               op.index, op.type)


# -- ADD -----------------------------------------------------------------------
@dataclass(frozen=True)
class AddParams:
    """TFLM ``OpDataAdd`` for int8 (offsets are added to the raw values)."""

    input1_offset: int
    input2_offset: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    output_offset: int
    act_min: int
    act_max: int


def _binary_int8_qparams(graph: Graph, op: Op) -> tuple:
    """(scale, zero point) of input 1, input 2 and the output of an int8 ADD/MUL, each checked int8."""
    t1, t2 = graph.op_inputs(op)[:2]
    out = graph.op_outputs(op)[0]
    for t, what in ((t1, "input 1"), (t2, "input 2"), (out, "output")):
        _require_dtype(t, ("int8",), op, what)
    return (tensor_qparams(t1, op, "input 1"), tensor_qparams(t2, op, "input 2"),
            tensor_qparams(out, op, "output"))


def _binary_kernel(graph: Graph, op: Op, inputs: list, params, fn) -> list[np.ndarray]:
    """Shared body of the ADD and MUL kernels: check shapes, compute the params, apply, reshape."""
    _check_binary_shapes(graph, op)
    p = params(graph, op)
    out = graph.op_outputs(op)[0]
    return [fn(inputs[0], inputs[1], p).reshape(out.shape)]


def add_params(graph: Graph, op: Op) -> AddParams:
    """``CalculateOpDataAdd`` for int8 tensors."""
    (s1, z1), (s2, z2), (so, zo) = _binary_int8_qparams(graph, op)
    left_shift = 20
    twice_max = 2.0 * float(max(s1, s2))
    m1, sh1 = _quantize_multiplier_smaller_than_one(float(s1) / twice_max, op, "input 1")
    m2, sh2 = _quantize_multiplier_smaller_than_one(float(s2) / twice_max, op, "input 2")
    mo, sho = _quantize_multiplier_smaller_than_one(twice_max / ((1 << left_shift) * float(so)), op, "output")
    lo, hi = fused_activation_range(op.opt("fused_activation_function"), so, zo, op)
    return AddParams(-z1, -z2, left_shift, m1, sh1, m2, sh2, mo, sho, zo, lo, hi)


def add_int8(x1: np.ndarray, x2: np.ndarray, p: AddParams) -> np.ndarray:
    """TFLM ``AddFunc`` over NumPy-broadcast int8 arrays."""
    a = np.asarray(x1, dtype=np.int64) + p.input1_offset
    b = np.asarray(x2, dtype=np.int64) + p.input2_offset
    a = multiply_by_quantized_multiplier_smaller_than_one_exp(a << p.left_shift, p.input1_multiplier, p.input1_shift)
    b = multiply_by_quantized_multiplier_smaller_than_one_exp(b << p.left_shift, p.input2_multiplier, p.input2_shift)
    raw = multiply_by_quantized_multiplier_smaller_than_one_exp(a + b, p.output_multiplier, p.output_shift)
    return np.clip(raw + p.output_offset, p.act_min, p.act_max).astype(np.int8)


@kernel("ADD")
def add(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    return _binary_kernel(graph, op, inputs, add_params, add_int8)


# -- MUL -----------------------------------------------------------------------
@dataclass(frozen=True)
class MulParams:
    """TFLM ``OpDataMul`` for int8."""

    input1_offset: int
    input2_offset: int
    output_multiplier: int
    output_shift: int
    output_offset: int
    act_min: int
    act_max: int


#: Largest left shift a rescale may use: the C kernels shift a uint32 by it.
MAX_LEFT_SHIFT = 30


def _check_left_shift(shift: int, op: Op, what: str) -> None:
    if shift > MAX_LEFT_SHIFT:
        raise UnsupportedError(f"{what} rescale factor needs a left shift of {shift} (> {MAX_LEFT_SHIFT})",
                               op.index, op.type)


def mul_params(graph: Graph, op: Op) -> MulParams:
    """``CalculateOpDataMul`` for int8 tensors."""
    (s1, z1), (s2, z2), (so, zo) = _binary_int8_qparams(graph, op)
    m, sh = quantize_multiplier(float(s1) * float(s2) / float(so))
    _check_left_shift(sh, op, "output")
    lo, hi = fused_activation_range(op.opt("fused_activation_function"), so, zo, op)
    return MulParams(-z1, -z2, m, sh, zo, lo, hi)


def mul_int8(x1: np.ndarray, x2: np.ndarray, p: MulParams) -> np.ndarray:
    """TFLM ``MulElementwise`` over NumPy-broadcast int8 arrays."""
    a = np.asarray(x1, dtype=np.int64) + p.input1_offset
    b = np.asarray(x2, dtype=np.int64) + p.input2_offset
    raw = multiply_by_quantized_multiplier(a * b, p.output_multiplier, p.output_shift) + p.output_offset
    return np.clip(raw, p.act_min, p.act_max).astype(np.int8)


@kernel("MUL")
def mul(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    return _binary_kernel(graph, op, inputs, mul_params, mul_int8)


# -- requantize (RELU, QUANTIZE int -> int, LEAKY_RELU) ---------------------------
@dataclass(frozen=True)
class RequantParams:
    """``out = clamp(zp_out + MultiplyByQuantizedMultiplier(x - zp_in, m, shift))``."""

    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int

    @property
    def is_identity_scale(self) -> bool:
        """True when the multiplier is exactly 1.0 (then the rescale is exact)."""
        return self.multiplier == (1 << 30) and self.shift == 1


def requantize(x: np.ndarray, p: RequantParams) -> np.ndarray:
    v = np.asarray(x, dtype=np.int64) - p.input_zero_point
    return np.clip(multiply_by_quantized_multiplier(v, p.multiplier, p.shift) + p.output_zero_point,
                   p.act_min, p.act_max)


def relu_params(graph: Graph, op: Op) -> RequantParams:
    """TFLM ``CalculateReluOpData<int8_t>``."""
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, ("int8",), op, "input")
    _require_dtype(out, ("int8",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    so, zo = tensor_qparams(out, op, "output")
    m, sh = quantize_multiplier(float(si) / float(so))
    _check_left_shift(sh, op, "RELU")
    # act_min = zp + roundf(0 / scale) = zp; act_max: +infinity -> the type's max.
    return RequantParams(zi, zo, m, sh, max(QMIN["int8"], zo), QMAX["int8"])


@kernel("RELU")
def relu(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    p = relu_params(graph, op)
    return [requantize(inputs[0], p).astype(np.int8)]


def relu6_range(graph: Graph, op: Op) -> tuple[int, int]:
    """TFLM ``Relu6Prepare``: clamp bounds on the *input* scale (output quant unused)."""
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, ("int8",), op, "input")
    _require_dtype(out, ("int8",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    six = min(max(quantize_f32_scalar(6.0, si, zi), QMIN["int8"]), QMAX["int8"])
    return zi, six


@kernel("RELU6")
def relu6(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    lo, hi = relu6_range(graph, op)
    # TFLM compares val > upper first, so an empty range [lo > hi] yields upper.
    x = np.asarray(inputs[0], dtype=np.int64)
    y = np.where(x > hi, hi, np.where(x < lo, lo, x))
    return [y.astype(np.int8)]


# -- gemmlowp fixed point (int32 raw values held in int64 arrays) ---------------
def _srdhm(a, b):
    return saturating_rounding_doubling_high_mul(a, b)


def _sat_shift_left(x, exponent: int):
    """``SaturatingRoundingMultiplyByPOT<exponent>`` for exponent > 0 (int32)."""
    return np.clip(np.asarray(x, dtype=np.int64) << exponent, INT32_MIN, INT32_MAX)


def _rescale(x, src_bits: int, dst_bits: int):
    """gemmlowp ``Rescale<dst>`` of a FixedPoint<int32, src>."""
    e = src_bits - dst_bits
    if e > 0:
        return _sat_shift_left(x, e)
    if e < 0:
        return rounding_divide_by_pot(x, -e)
    return np.asarray(x, dtype=np.int64)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    constant_term = 1895147668  # exp(-1/8) in Q0.31
    constant_1_over_3 = 715827883
    x = wrap_int32(a + (1 << 28))  # a + 1/8
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(wrap_int32(_srdhm(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2), 1)
    return wrap_int32(constant_term + _srdhm(constant_term, wrap_int32(x + poly)))


# (exponent, exp(-2**exponent) in Q0.31) of gemmlowp's barrel shifter.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def _exp_on_negative_values(a, integer_bits: int):
    """gemmlowp ``exp_on_negative_values`` of FixedPoint<int32, integer_bits> (a <= 0)."""
    a = np.asarray(a, dtype=np.int64)
    frac_bits = 31 - integer_bits
    one_quarter = 1 << (frac_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap_int32((a & mask) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        _rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (frac_bits + exponent)
            result = np.where((remainder & bit) != 0, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))  # -32.0
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp ``one_over_one_plus_x_for_x_in_0_1`` (Newton-Raphson, Q2.29 internally)."""
    a = np.asarray(a, dtype=np.int64)
    s = a + INT32_MAX  # RoundingHalfSum(a, One) with One = INT32_MAX for Q0.31
    half_denominator = np.where(s >= 0, s + 1, s - 1)
    half_denominator = np.where(half_denominator >= 0, half_denominator // 2, -((-half_denominator) // 2))
    constant_48_over_17 = 1515870810
    constant_neg_32_over_17 = -1010580540
    one_q2 = 1 << 29  # F2::One()
    x = wrap_int32(constant_48_over_17 + _srdhm(half_denominator, constant_neg_32_over_17))
    for _ in range(3):
        half_denominator_times_x = _srdhm(half_denominator, x)
        one_minus = wrap_int32(one_q2 - half_denominator_times_x)
        x = wrap_int32(x + _rescale(_srdhm(x, one_minus), 4, 2))
    return _rescale(x, 1, 0)  # ExactMulByPot<-1>: Q2 raw read as Q1


def gemmlowp_logistic(a, integer_bits: int):
    """gemmlowp ``logistic`` of FixedPoint<int32, integer_bits>; returns Q0.31 raw."""
    a = np.asarray(a, dtype=np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, wrap_int32(-a))
    result_if_positive = _one_over_one_plus_x_for_x_in_0_1(
        _exp_on_negative_values(wrap_int32(-abs_input), integer_bits))
    result_if_negative = wrap_int32(INT32_MAX - result_if_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, result_if_positive, result_if_negative))


def _one_minus_x_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp ``one_minus_x_over_one_plus_x_for_x_in_0_1`` (Newton-Raphson, Q2.29 internally)."""
    a = np.asarray(a, dtype=np.int64)
    s = a + INT32_MAX
    half_denominator = np.where(s >= 0, s + 1, s - 1)
    half_denominator = np.where(half_denominator >= 0, half_denominator // 2, -((-half_denominator) // 2))
    one_q2 = 1 << 29
    x = wrap_int32(1515870810 + _srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = wrap_int32(one_q2 - _srdhm(half_denominator, x))
        x = wrap_int32(x + _rescale(_srdhm(x, one_minus), 4, 2))
    return _rescale(wrap_int32(x - one_q2), 2, 0)


def gemmlowp_tanh(a, integer_bits: int):
    """gemmlowp ``tanh`` of FixedPoint<int32, integer_bits>; returns Q0.31 raw."""
    a = np.asarray(a, dtype=np.int64)
    negative = a < 0
    n = np.where(negative, a, wrap_int32(-a))  # -|a|
    # neg_tanh_on_negative_values: ExactMulByPot<1> reads the raw value with one more integer bit.
    t = _one_minus_x_over_one_plus_x_for_x_in_0_1(_exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, wrap_int32(-t), t))


# -- LOGISTIC ------------------------------------------------------------------
def _frexp_multiplier(real: float) -> tuple[int, int]:
    """``q = frexp(real, &shift); multiplier = (int32)round(q * 2^31)`` without the 2^31 fix-up."""
    q, shift = math.frexp(real)
    return int(round_half_away(q * (1 << 31))), shift


@dataclass(frozen=True)
class LogisticParams:
    input_zero_point: int
    input_multiplier: int
    input_left_shift: int
    input_range_radius: int


def logistic_params(input_scale: float, input_zero_point: int) -> LogisticParams:
    """TFLM ``CalculateArithmeticOpDataLogistic`` for int8."""
    input_integer_bits = 4
    real = float(np.float32(input_scale)) * float(1 << (31 - input_integer_bits))
    m, shift = _frexp_multiplier(real)
    if shift < 0:
        raise ValueError(f"LOGISTIC input scale {input_scale:.6g} is below 2^-28")
    # CalculateInputRadius: floor(15 * 2^27 / 2^shift).
    radius = ((1 << input_integer_bits) - 1) * (1 << (31 - input_integer_bits)) >> shift
    return LogisticParams(int(input_zero_point), m, shift, radius)


@lru_cache(maxsize=1024)
def _logistic_lut_cached(scale: float, zero_point: int) -> bytes:
    p = logistic_params(scale, zero_point)
    x = np.arange(-128, 128, dtype=np.int64) - p.input_zero_point
    input_in_q4 = multiply_by_quantized_multiplier(x, p.input_multiplier, p.input_left_shift)
    q0 = gemmlowp_logistic(input_in_q4, 4)
    out = np.clip(rounding_divide_by_pot(q0, 31 - 8) - 128, -128, 127)
    out = np.where(x <= -p.input_range_radius, -128, np.where(x >= p.input_range_radius, 127, out))
    return out.astype(np.int8).tobytes()


def logistic_lut(input_scale: float, input_zero_point: int) -> np.ndarray:
    """TFLM int8 LOGISTIC on all 256 inputs: ``table[x + 128]`` is the output for ``x``.

    The output is always scale 1/256, zero point -128 (TFLM only checks the
    zero point and never reads the output scale).
    """
    return np.frombuffer(_logistic_lut_cached(float(np.float32(input_scale)), int(input_zero_point)),
                         dtype=np.int8).copy()


def lut_lookup(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    return table[np.asarray(x, dtype=np.int64) + 128]


@kernel("LOGISTIC")
def logistic(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    return [lut_lookup(inputs[0], logistic_table_for(graph, op))]


def logistic_table_for(graph: Graph, op: Op) -> np.ndarray:
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, ("int8",), op, "input")
    _require_dtype(out, ("int8",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    _, zo = tensor_qparams(out, op, "output")
    if zo != -128:
        raise UnsupportedError(f"LOGISTIC int8 output zero point must be -128 (is {zo})", op.index, op.type)
    try:
        return logistic_lut(si, zi)
    except ValueError as e:
        raise UnsupportedError(str(e), op.index, op.type) from e


# -- TANH ------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _tanh_lut_cached(scale: float, zero_point: int) -> bytes:
    p = logistic_params(scale, zero_point)  # TFLM's TANH Prepare computes the same Q4.27 rescale
    x = np.arange(-128, 128, dtype=np.int64) - p.input_zero_point
    q0 = gemmlowp_tanh(multiply_by_quantized_multiplier(x, p.input_multiplier, p.input_left_shift), 4)
    out = np.clip(rounding_divide_by_pot(q0, 31 - 7), -128, 127)
    out = np.where(x <= -p.input_range_radius, -128, np.where(x >= p.input_range_radius, 127, out))
    return out.astype(np.int8).tobytes()


def tanh_lut(input_scale: float, input_zero_point: int) -> np.ndarray:
    """TFLM int8 TANH on all 256 inputs (output scale 1/128, zero point 0; TFLM never
    reads the output quantization)."""
    return np.frombuffer(_tanh_lut_cached(float(np.float32(input_scale)), int(input_zero_point)),
                         dtype=np.int8).copy()


def tanh_table_for(graph: Graph, op: Op) -> np.ndarray:
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, ("int8",), op, "input")
    _require_dtype(out, ("int8",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    try:
        return tanh_lut(si, zi)
    except ValueError as e:
        raise UnsupportedError(str(e).replace("LOGISTIC", "TANH"), op.index, op.type) from e


@kernel("TANH")
def tanh(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    return [lut_lookup(inputs[0], tanh_table_for(graph, op))]


# -- LEAKY_RELU ------------------------------------------------------------------
def leaky_relu_lut(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
                   alpha: float) -> np.ndarray:
    """TFLM int8 LEAKY_RELU on all 256 inputs (``CalculateOpDataLeakyRelu``: the
    multipliers are double quotients of the float32 scales and alpha, as the
    current TF Lite Micro computes them (older releases divided in float32; the
    two differ when input_scale * alpha rounds in float32, e.g. alpha 1.5);
    a negative alpha negates the rescaled value)."""
    si, so, a = float(np.float32(input_scale)), float(np.float32(output_scale)), float(np.float32(alpha))
    with np.errstate(over="ignore", under="ignore"):
        alpha_real = si * a / so
        identity_real = si / so
    if not (np.isfinite(alpha_real) and np.isfinite(identity_real)):
        raise ValueError("LEAKY_RELU rescale factors overflow float32")
    m_alpha, sh_alpha = quantize_multiplier(alpha_real)
    m_id, sh_id = quantize_multiplier(identity_real)
    if max(sh_alpha, sh_id) > MAX_LEFT_SHIFT:
        raise ValueError(f"LEAKY_RELU rescale needs a left shift above {MAX_LEFT_SHIFT}")
    v = np.arange(-128, 128, dtype=np.int64) - int(input_zero_point)
    pos = multiply_by_quantized_multiplier(v, m_id, sh_id)
    neg = multiply_by_quantized_multiplier(v, abs(m_alpha), sh_alpha)
    neg = -neg if m_alpha < 0 else neg
    out = int(output_zero_point) + np.where(v >= 0, pos, neg)
    return np.clip(out, -128, 127).astype(np.int8)


def leaky_relu_table_for(graph: Graph, op: Op) -> np.ndarray:
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, ("int8",), op, "input")
    _require_dtype(out, ("int8",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    so, zo = tensor_qparams(out, op, "output")
    try:
        return leaky_relu_lut(si, zi, so, zo, float(op.opt("alpha", 0.2)))
    except ValueError as e:
        raise UnsupportedError(str(e), op.index, op.type) from e


@kernel("LEAKY_RELU")
def leaky_relu(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    return [lut_lookup(inputs[0], leaky_relu_table_for(graph, op))]


# -- HARD_SWISH (int16 fixed point) ---------------------------------------------
def _wrap16(x):
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _c_div_trunc(a, d: int):
    """C integer division (truncates toward zero) by a positive constant."""
    a = np.asarray(a, dtype=np.int64)
    return np.where(a >= 0, a // d, -((-a) // d))


def _srdhm16(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` on int16."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    res = _wrap16(_c_div_trunc(ab + nudge, 1 << 15))
    return np.where((a == -32768) & (b == -32768), 32767, res)


def _sdhm16(a, b):
    """TFLite ``SaturatingDoublingHighMul`` on int16 (truncating, no rounding)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    res = _wrap16(_c_div_trunc(a * b, 1 << 15))
    return np.where((a == -32768) & (b == -32768), 32767, res)


def _rdbpot16(x, exponent: int):
    """gemmlowp ``RoundingDivideByPOT`` on int16 (mask computed as int16, as C++ does)."""
    x = np.asarray(x, dtype=np.int64)
    mask = int(_wrap16((1 << exponent) - 1))
    remainder = _wrap16(x & mask)
    threshold = _wrap16((mask >> 1) + (x < 0).astype(np.int64))
    return _wrap16((x >> exponent) + (remainder > threshold).astype(np.int64))


def _sat_left_shift16(x, amount: int):
    return np.clip(np.asarray(x, dtype=np.int64) * (1 << amount), -32768, 32767)


def downscale_int32_to_int16_multiplier(m32: int) -> int:
    """TFLite ``DownScaleInt32ToInt16Multiplier`` (round to nearest, saturate)."""
    if m32 >= INT32_MAX - (1 << 15):
        return 32767
    return (m32 + (1 << 15)) >> 16


@dataclass(frozen=True)
class HardSwishParams:
    input_zero_point: int
    output_zero_point: int
    output_multiplier_fixedpoint_int16: int
    output_multiplier_exponent: int
    reluish_multiplier_fixedpoint_int16: int
    reluish_multiplier_exponent: int


#: Exponent ranges the int16 arithmetic is defined for (TFLM shifts by them).
HARD_SWISH_RELUISH_EXPONENT_RANGE = (-31, 31)
HARD_SWISH_OUTPUT_EXPONENT_RANGE = (-31, 0)


def hard_swish_params(input_scale: float, input_zero_point: int,
                      output_scale: float, output_zero_point: int) -> HardSwishParams:
    """TFLM ``HardSwishPrepare`` for int8.

    The scales are float32 and so are their products, but the two ratios are
    divided in double: TF Lite Micro gives exactly that where a float32
    quotient would round a multiplier's 16-bit tie the other way (input scale
    1.0, output 3.5742686: float32 gives 24 for input 84, TF Lite Micro 23;
    ai-edge-litert's reference kernel divides in float32 and gives 24).
    """
    with np.errstate(over="ignore", under="ignore"):
        hires_input_scale = np.float32(np.float32(1.0 / 128.0) * np.float32(input_scale))
        reluish_scale = np.float32(3.0) / np.float32(32768.0)
        output_multiplier = float(hires_input_scale) / float(np.float32(output_scale))
        reluish_multiplier = float(hires_input_scale) / float(reluish_scale)
    for r in (output_multiplier, reluish_multiplier):
        if not (0.0 < r <= float(np.finfo(np.float32).max)):
            raise ValueError(f"HARD_SWISH scales {input_scale:.6g} -> {output_scale:.6g} give a float32 "
                             f"rescale factor of {r} (not finite and positive)")
    m_out, e_out = quantize_multiplier(output_multiplier)
    m_rel, e_rel = quantize_multiplier(reluish_multiplier)
    lo, hi = HARD_SWISH_OUTPUT_EXPONENT_RANGE
    if not lo <= e_out <= hi:
        raise ValueError(f"HARD_SWISH output/input scale ratio gives exponent {e_out} (TFLM needs {lo}..{hi})")
    lo, hi = HARD_SWISH_RELUISH_EXPONENT_RANGE
    if not lo <= e_rel <= hi:
        raise ValueError(f"HARD_SWISH input scale {input_scale:.6g} gives reluish exponent {e_rel} "
                         f"(supported {lo}..{hi})")
    return HardSwishParams(int(input_zero_point), int(output_zero_point),
                           downscale_int32_to_int16_multiplier(m_out), e_out,
                           downscale_int32_to_int16_multiplier(m_rel), e_rel)


@lru_cache(maxsize=1024)
def _hard_swish_lut_cached(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> bytes:
    p = hard_swish_params(in_scale, in_zp, out_scale, out_zp)
    input_value = _wrap16(np.arange(-128, 128, dtype=np.int64) - p.input_zero_point)
    hires = _wrap16(input_value * (1 << 7))
    preshift = _srdhm16(hires, p.output_multiplier_fixedpoint_int16)
    reluish = hires
    if p.reluish_multiplier_exponent > 0:
        reluish = _sat_left_shift16(reluish, p.reluish_multiplier_exponent - 1)
    reluish = _srdhm16(reluish, p.reluish_multiplier_fixedpoint_int16)
    if p.reluish_multiplier_exponent > 0:
        reluish = _sat_left_shift16(reluish, 1)
    if p.reluish_multiplier_exponent < 0:
        reluish = _rdbpot16(reluish, -p.reluish_multiplier_exponent)
    reluish = _wrap16((reluish + (1 << 15)) >> 1)
    preshift_output = _sdhm16(reluish, preshift)
    out = _rdbpot16(preshift_output, -p.output_multiplier_exponent)
    out = _wrap16(out + p.output_zero_point)
    return np.clip(out, -128, 127).astype(np.int8).tobytes()


def hard_swish_lut(input_scale: float, input_zero_point: int, output_scale: float,
                   output_zero_point: int) -> np.ndarray:
    """TFLM int8 HARD_SWISH on all 256 inputs: ``table[x + 128]`` is the output for ``x``."""
    key = (float(np.float32(input_scale)), int(input_zero_point), float(np.float32(output_scale)),
           int(output_zero_point))
    return np.frombuffer(_hard_swish_lut_cached(*key), dtype=np.int8).copy()


def hard_swish_table_for(graph: Graph, op: Op) -> np.ndarray:
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, ("int8",), op, "input")
    _require_dtype(out, ("int8",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    so, zo = tensor_qparams(out, op, "output")
    try:
        return hard_swish_lut(si, zi, so, zo)
    except ValueError as e:
        raise UnsupportedError(str(e), op.index, op.type) from e


@kernel("HARD_SWISH")
def hard_swish(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    return [lut_lookup(inputs[0], hard_swish_table_for(graph, op))]


# -- QUANTIZE / DEQUANTIZE ------------------------------------------------------
#: int -> int conversions TFLM's QUANTIZE implements (input dtype, output dtype).
REQUANTIZE_PAIRS = {
    ("int8", "int8"), ("int8", "uint8"), ("uint8", "int8"), ("int8", "int16"), ("int16", "int8"),
    ("int16", "int16"), ("int8", "int32"), ("int16", "int32"), ("int32", "int8"), ("int32", "int16"),
}
#: float -> int outputs of TFLM's QUANTIZE.
AFFINE_QUANTIZE_OUTPUTS = ("int8", "int16")


def affine_quantize(x: np.ndarray, scale: float, zero_point: int, dtype: str) -> np.ndarray:
    """TFLM ``AffineQuantize``: ``clamp(round_half_away(x / scale) + zp)``, division in float32.

    Values whose quotient does not fit int32 (and NaN) are undefined in TFLM;
    here they saturate (NaN -> the zero point), which is what the C kernel does.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to +-inf saturates below, as documented
        q = np.asarray(x, dtype=np.float32) / np.float32(scale)
    q = q.astype(np.float64)
    r = np.where(q >= 0, np.floor(q + 0.5), -np.floor(-q + 0.5))
    r = np.where(np.isnan(r), 0.0, r)
    r = np.clip(r, -(2.0**31), 2.0**31 - 1).astype(np.int64)
    return np.clip(r + int(zero_point), QMIN[dtype], QMAX[dtype]).astype(dtype)


def requantize_params(graph: Graph, op: Op) -> RequantParams:
    """QUANTIZE int -> int: ``effective_scale = in_scale / out_scale`` (double)."""
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    if (t.dtype, out.dtype) not in REQUANTIZE_PAIRS:
        raise UnsupportedError(f"QUANTIZE {t.dtype} -> {out.dtype}", op.index, op.type)
    si, zi = tensor_qparams(t, op, "input")
    so, zo = tensor_qparams(out, op, "output")
    m, sh = quantize_multiplier(float(si) / float(so))
    _check_left_shift(sh, op, "QUANTIZE")
    return RequantParams(zi, zo, m, sh, QMIN[out.dtype], QMAX[out.dtype])


@kernel("QUANTIZE")
def quantize(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    if t.dtype == "float32":
        if out.dtype not in AFFINE_QUANTIZE_OUTPUTS:
            raise UnsupportedError(f"QUANTIZE float32 -> {out.dtype}", op.index, op.type)
        so, zo = tensor_qparams(out, op, "output")
        return [affine_quantize(inputs[0], so, zo, out.dtype)]
    p = requantize_params(graph, op)
    return [requantize(inputs[0], p).astype(out.dtype)]


#: Input dtypes TFLM's DEQUANTIZE reads (output float32).
DEQUANTIZE_INPUTS = ("int8", "int16", "uint8")


def dequantize_values(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """TFLM ``Dequantize``: ``float(double(scale) * (q - zp))``."""
    v = np.asarray(x, dtype=np.int64) - int(zero_point)
    return (np.float64(np.float32(scale)) * v.astype(np.float64)).astype(np.float32)


@kernel("DEQUANTIZE")
def dequantize(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    t, out = graph.op_inputs(op)[0], graph.op_outputs(op)[0]
    _require_dtype(t, DEQUANTIZE_INPUTS, op, "input")
    _require_dtype(out, ("float32",), op, "output")
    si, zi = tensor_qparams(t, op, "input")
    return [dequantize_values(inputs[0], si, zi)]
