"""Reference kernels of the softmax family: SOFTMAX and LOG_SOFTMAX (int8 input).

Bit-exact with TF Lite Micro's reference kernels, which work along the last
axis with gemmlowp fixed point (:mod:`mcuflow.fixedpoint`):

SOFTMAX (int8 -> int8, scale 1/256, zero point -128; or int8 -> int16, scale
1/65536, zero point -32768): ``diff = x - max(row)``; diffs below ``diff_min``
count as exp = 0; the others are rescaled to Q5.26 by ``beta * in_scale``
(``PreprocessSoftmaxScaling``), exponentiated (``exp_on_negative_values``),
summed in Q12.19, inverted (``GetReciprocal``) and multiplied back, then
rounded down to the output width and offset by the type's minimum.

LOG_SOFTMAX (int8 -> int8, scale 16/256, zero point 127, beta 1): the same
sum of exps, then ``log_x_for_x_greater_than_or_equal_to_1`` in Q5.26 and
``diff - log(sum)`` rounded to Q4 and offset by 127.

exp(diff) depends only on ``diff`` in [-255, 0], so :func:`softmax_exp_table`
precomputes it; the lowering may store that table in flash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fixedpoint as fp
from ..errors import UnsupportedError
from ..graph import Graph, Op
from ..quant import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_greater_than_one,
    rounding_divide_by_pot,
    wrap_int32,
)
from . import kernel
from .pool import int8_io

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12
LOG_OUTPUT_INTEGER_BITS = 4


def _f32(x: float) -> float:
    return float(np.float32(x))


@dataclass(frozen=True)
class SoftmaxParams:
    outer: int
    depth: int
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    output_dtype: str  # "int8" or "int16"


def softmax_params(graph: Graph, op: Op) -> SoftmaxParams:
    """Validate SOFTMAX as TFLM's ``SoftmaxPrepare`` does and derive its constants."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]

    def fail(why: str) -> UnsupportedError:
        return UnsupportedError(why, op.index, op.type)

    if x.dtype != "int8" or y.dtype not in ("int8", "int16"):
        raise fail(f"only int8 -> int8/int16 is supported, got {x.dtype} -> {y.dtype}")
    if x.quant is None or y.quant is None:
        raise fail("quantized tensors need quantization parameters")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise fail(f"input {x.shape} and output {y.shape} shapes must match")
    out_s = np.float32(y.quant.s)
    if y.dtype == "int8":
        if y.quant.zp != -128 or out_s != np.float32(1.0 / 256):
            raise fail(f"int8 output must have scale 1/256 and zero point -128, got ({y.quant.s}, {y.quant.zp})")
    else:
        if y.quant.zp != -32768 or abs(float(out_s) - 1.0 / 65536) > 0.001 / 65536:
            raise fail(f"int16 output must have scale 1/65536 and zero point -32768, got ({y.quant.s}, {y.quant.zp})")
    beta = _f32(op.opt("beta", 1.0))
    mult, shift = fp.preprocess_softmax_scaling(beta, _f32(x.quant.s), SCALED_DIFF_INTEGER_BITS)
    if shift < 0:
        raise fail(f"beta * input scale = {beta * x.quant.s:g} is too small (needs a left shift >= 0)")
    diff_min = -fp.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    depth = int(x.shape[-1])
    outer = int(np.prod(x.shape[:-1], dtype=np.int64)) if len(x.shape) > 1 else 1
    return SoftmaxParams(outer, depth, mult, shift, diff_min, y.dtype)


def softmax_exp_table(input_multiplier: int, input_left_shift: int, diff_min: int) -> np.ndarray:
    """exp(beta * in_scale * diff) in Q0.31 for diff = 0, -1, ..., -255 (entry ``-diff``).

    Diffs below ``diff_min`` get 0, which the kernels treat exactly like TFLM's
    skipped terms (they add nothing and produce the output minimum).
    """
    diffs = -np.arange(256, dtype=np.int64)
    rescaled = multiply_by_quantized_multiplier_greater_than_one(
        np.maximum(diffs, diff_min), input_multiplier, input_left_shift)
    table = fp.exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS)
    return np.where(diffs >= diff_min, table, 0).astype(np.int64)


def softmax_rows(x: np.ndarray, p: SoftmaxParams, table: np.ndarray | None = None) -> np.ndarray:
    """Softmax of int8 rows ``x`` ([outer, depth]) as int64 output values."""
    x = np.asarray(x, dtype=np.int64).reshape(p.outer, p.depth)
    if table is None:
        table = softmax_exp_table(p.input_multiplier, p.input_left_shift, p.diff_min)
    diff = x - x.max(axis=1, keepdims=True)
    exps = table[-diff]  # Q0.31; 0 where diff < diff_min
    terms = fp.rescale(exps, 0, ACCUMULATION_INTEGER_BITS)
    sums = wrap_int32(terms.sum(axis=1))  # Q12.19, int32 as in TFLM
    scale, bits_over_unit = fp.get_reciprocal(sums, ACCUMULATION_INTEGER_BITS)
    bits = 8 if p.output_dtype == "int8" else 16
    # TFLM aborts when this leaves [0, 31] (int8 rows over 256 values with many
    # equal maxima); the C kernel clamps it, and so does the reference.
    exponent = np.clip(bits_over_unit + 31 - bits, 0, 31)
    lo = -(1 << (bits - 1))
    hi = (1 << (bits - 1)) - 1
    out = rounding_divide_by_pot(fp.mul(scale[:, None], exps), exponent[:, None]) + lo
    out = np.clip(out, lo, hi)
    return np.where(diff >= p.diff_min, out, lo)


@kernel("SOFTMAX")
def softmax(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    p = softmax_params(graph, op)
    y = graph.tensors[op.outputs[0]]
    return [softmax_rows(inputs[0], p).astype(y.dtype).reshape(y.shape)]


# -- LOG_SOFTMAX ---------------------------------------------------------------


@dataclass(frozen=True)
class LogSoftmaxParams:
    outer: int
    depth: int
    input_multiplier: int
    input_left_shift: int
    reverse_scaling_divisor: int
    reverse_scaling_right_shift: int  # >= 0
    diff_min: int


def log_softmax_params(graph: Graph, op: Op) -> LogSoftmaxParams:
    """Validate LOG_SOFTMAX as TFLM's ``CalculateOpData`` does and derive its constants."""
    x, y, fail = int8_io(graph, op)
    if x.quant is None or y.quant is None:
        raise fail("int8 tensors need quantization parameters")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise fail(f"input {x.shape} and output {y.shape} shapes must match")
    if np.float32(y.quant.s) != np.float32(16.0 / 256) or y.quant.zp != 127:
        raise fail(f"output must have scale 16/256 and zero point 127, got ({y.quant.s}, {y.quant.zp})")
    mult, shift, divisor, reverse_shift = fp.preprocess_log_softmax_scaling_exp(
        1.0, _f32(x.quant.s), SCALED_DIFF_INTEGER_BITS)
    if shift < 1 or not (0 < divisor) or reverse_shift > 0:
        raise fail(f"input scale {x.quant.s:g} is out of the supported range")
    diff_min = -fp.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    depth = int(x.shape[-1])
    outer = int(np.prod(x.shape[:-1], dtype=np.int64)) if len(x.shape) > 1 else 1
    return LogSoftmaxParams(outer, depth, mult, shift, divisor, -reverse_shift, diff_min)


def log_softmax_rows(x: np.ndarray, p: LogSoftmaxParams) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64).reshape(p.outer, p.depth)
    diff = x - x.max(axis=1, keepdims=True)
    included = diff >= p.diff_min
    # Excluded diffs are never rescaled by TFLM; any in-range value works for them here.
    diff_q5 = multiply_by_quantized_multiplier(np.where(included, diff, 0), p.input_multiplier, p.input_left_shift)
    exps = fp.exp_on_negative_values(diff_q5, SCALED_DIFF_INTEGER_BITS)
    terms = np.where(included, fp.rescale(exps, 0, ACCUMULATION_INTEGER_BITS), 0)
    sums = wrap_int32(terms.sum(axis=1))
    log_sum = fp.log_x_for_x_greater_than_or_equal_to_1(sums, ACCUMULATION_INTEGER_BITS, SCALED_DIFF_INTEGER_BITS)
    shifted_log_sum = log_sum + (-(1 << 31))
    adjusted_diff_min = np.maximum(
        p.diff_min - 1,
        multiply_by_quantized_multiplier(shifted_log_sum, p.reverse_scaling_divisor, -p.reverse_scaling_right_shift))
    out = rounding_divide_by_pot(
        wrap_int32(diff_q5 - log_sum[:, None]), 31 - SCALED_DIFF_INTEGER_BITS - LOG_OUTPUT_INTEGER_BITS) + 127
    out = np.clip(out, -128, 127)
    return np.where(diff > adjusted_diff_min[:, None], out, -128)


@kernel("LOG_SOFTMAX")
def log_softmax(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    p = log_softmax_params(graph, op)
    y = graph.tensors[op.outputs[0]]
    return [log_softmax_rows(inputs[0], p).astype(np.int8).reshape(y.shape)]
