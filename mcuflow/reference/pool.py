"""Reference kernels of the pooling / reduction family: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN.

int8 in, int8 out, bit-exact with TF Lite Micro's reference kernels:

- pooling windows are clipped to the image (TFLite's ``padding_values`` put
  ``total // 2`` before, the odd extra after); MAX takes the largest in-image
  tap, AVERAGE sums the in-image taps and divides by their count, rounding
  half away from zero (``(sum +- count/2) / count`` with C's truncating
  division); both clamp to the fused activation. TFLM requires the output
  quantization to equal the input's, so no rescaling happens;
- MEAN sums the reduced axes in int32, subtracts ``zp_in * count``, folds
  ``1/count`` into the ``in_scale/out_scale`` multiplier (``(mult << s) /
  count``, shift - s with ``s = min(floor(log2 count), 32, 31 + shift)``) and
  requantizes with ``MultiplyByQuantizedMultiplier``. This is TFLM's
  ``QuantizedMeanOrSum``, and the TFLM we test against takes it even when input
  and output quantization are identical (older TFLM releases had a plain
  truncating ``sum / count`` path there, and a separate 4-D axes-[1, 2] kernel;
  checked against the oracle: the current one rounds half away from zero).

The parameter helpers (:func:`pool_params`, :func:`mean_params`) are shared
with the lowering (``codegen/lower_pool.py``) so C and reference use the same
constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from ..graph import Graph, Op
from ..quant import activation_range, multiply_by_quantized_multiplier, quantize_multiplier, wrap_int32
from . import kernel

ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def out_size(padding: str, in_size: int, filter_size: int, stride: int) -> int:
    """TFLite ``ComputeOutSize`` (no dilation for pooling)."""
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size + stride - filter_size) // stride
    raise ValueError(f"padding {padding!r}")


def pad_before(in_size: int, filter_size: int, stride: int, out: int) -> int:
    """TFLite ``ComputePaddingWithOffset``: padding before; the odd extra goes after."""
    total = (out - 1) * stride + filter_size - in_size
    return max(total, 0) // 2


def _f32(x: float) -> float:
    """A scale as TFLite holds it: a float32, widened to double."""
    return float(np.float32(x))


@dataclass(frozen=True)
class PoolParams:
    batch: int
    in_h: int
    in_w: int
    channels: int
    out_h: int
    out_w: int
    stride_h: int
    stride_w: int
    filter_h: int
    filter_w: int
    pad_h: int  # top
    pad_w: int  # left
    act_min: int
    act_max: int


def int8_io(graph: Graph, op: Op):
    """Input and output tensors of a one-input int8 op and its ``fail(why)``; raises unless both are int8."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]

    def fail(why: str) -> UnsupportedError:
        return UnsupportedError(why, op.index, op.type)

    if x.dtype != "int8" or y.dtype != "int8":
        raise fail(f"only int8 is supported, got {x.dtype} -> {y.dtype}")
    return x, y, fail


def pool_params(graph: Graph, op: Op) -> PoolParams:
    """Validate a pooling op the way TFLM's ``PoolingPrepare`` does and derive its constants."""
    x, y, fail = int8_io(graph, op)
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise fail(f"input and output must be 4-D NHWC, got {x.shape} -> {y.shape}")
    if x.quant is None or y.quant is None:
        raise fail("int8 tensors need quantization parameters")
    # TFLM's PoolingPrepare: |in_scale - out_scale| <= 1e-6 and equal zero points.
    if abs(_f32(x.quant.s) - _f32(y.quant.s)) > 1.0e-6 or x.quant.zp != y.quant.zp:
        raise fail(
            f"output quantization ({y.quant.s}, {y.quant.zp}) must equal the input's ({x.quant.s}, {x.quant.zp})")
    act = op.opt("fused_activation_function", "NONE")
    if act not in ACTIVATIONS:
        raise fail(f"fused activation {act} is not supported")
    padding = op.opt("padding", "VALID")
    if padding not in ("SAME", "VALID"):
        raise fail(f"padding {padding} is not supported")
    sh, sw = int(op.opt("stride_h", 1)), int(op.opt("stride_w", 1))
    fh, fw = int(op.opt("filter_height", 1)), int(op.opt("filter_width", 1))
    if min(sh, sw, fh, fw) < 1:
        raise fail(f"stride {sh}x{sw} and filter {fh}x{fw} must be positive")
    n, ih, iw, c = x.shape
    oh, ow = out_size(padding, ih, fh, sh), out_size(padding, iw, fw, sw)
    if y.shape != (n, oh, ow, c):
        raise fail(f"output shape {y.shape} does not match the computed {(n, oh, ow, c)}")
    if oh < 1 or ow < 1:
        raise fail(f"filter {fh}x{fw} does not fit the {ih}x{iw} input")
    lo, hi = activation_range(act, y.quant.s, y.quant.zp)
    return PoolParams(n, ih, iw, c, oh, ow, sh, sw, fh, fw,
                      pad_before(ih, fh, sh, oh), pad_before(iw, fw, sw, ow), lo, hi)


def _windows(p: PoolParams, x: np.ndarray, fill: int):
    """Yields, per filter tap, the tap's values for every output position and whether it is in the image."""
    ys = np.arange(p.out_h) * p.stride_h - p.pad_h
    xs = np.arange(p.out_w) * p.stride_w - p.pad_w
    for ky in range(p.filter_h):
        iy = ys + ky
        vy = (iy >= 0) & (iy < p.in_h)
        for kx in range(p.filter_w):
            ix = xs + kx
            vx = (ix >= 0) & (ix < p.in_w)
            valid = vy[:, None] & vx[None, :]  # [out_h, out_w]
            vals = x[:, np.clip(iy, 0, p.in_h - 1)][:, :, np.clip(ix, 0, p.in_w - 1)]
            yield np.where(valid[None, :, :, None], vals, fill), valid


@kernel("MAX_POOL_2D")
def max_pool_2d(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    p = pool_params(graph, op)
    x = np.asarray(inputs[0], dtype=np.int64)
    best = np.full((p.batch, p.out_h, p.out_w, p.channels), -128, dtype=np.int64)
    for vals, _ in _windows(p, x, -128):
        best = np.maximum(best, vals)
    return [np.clip(best, p.act_min, p.act_max).astype(np.int8)]


@kernel("AVERAGE_POOL_2D")
def average_pool_2d(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    p = pool_params(graph, op)
    x = np.asarray(inputs[0], dtype=np.int64)
    acc = np.zeros((p.batch, p.out_h, p.out_w, p.channels), dtype=np.int64)
    count = np.zeros((p.out_h, p.out_w), dtype=np.int64)
    for vals, valid in _windows(p, x, 0):
        acc += vals
        count += valid
    if (count == 0).any():
        # TFLM's AveragePool returns false (an error) for a window with no in-image tap.
        raise UnsupportedError("a pooling window lies entirely in the padding", op.index, op.type)
    cnt = count[None, :, :, None]
    half = cnt // 2
    # C++: acc > 0 ? (acc + n/2) / n : (acc - n/2) / n, with truncating division.
    pos = (acc + half) // cnt
    neg = -((-(acc - half)) // cnt)
    avg = np.where(acc > 0, pos, neg)
    return [np.clip(avg, p.act_min, p.act_max).astype(np.int8)]


# -- MEAN ----------------------------------------------------------------------


@dataclass(frozen=True)
class MeanParams:
    in_shape: tuple[int, ...]
    axes: tuple[int, ...]  # resolved: non-negative, unique, sorted
    count: int  # elements reduced into each output
    input_zp: int
    output_zp: int
    multiplier: int  # in_scale / out_scale / count
    shift: int


def resolve_axes(axis_values, rank: int) -> tuple[int, ...]:
    """TFLite ``ResolveAxis``: negative axes wrap, duplicates drop."""
    out: list[int] = []
    for a in np.asarray(axis_values).reshape(-1).tolist():
        a = int(a)
        cur = a + rank if a < 0 else a
        if not 0 <= cur < rank:
            raise ValueError(f"axis {a} out of range for rank {rank}")
        if cur not in out:
            out.append(cur)
    return tuple(sorted(out))


def fold_count_into_multiplier(multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """TFLite's ``QuantizedMeanOrSum``: fold ``1/count`` into (multiplier, shift)."""
    s = count.bit_length() - 1  # 63 - CountLeadingZeros(uint64 count)
    s = min(s, 32)
    s = min(s, 31 + shift)
    return (multiplier << s) // count, shift - s


def mean_params(graph: Graph, op: Op) -> MeanParams:
    x, y, fail = int8_io(graph, op)
    if x.quant is None or y.quant is None:
        raise fail("int8 tensors need quantization parameters")
    if len(op.inputs) < 2 or op.inputs[1] < 0 or not graph.tensors[op.inputs[1]].is_const:
        raise fail("the axis input must be a constant tensor")
    if graph.tensors[op.inputs[1]].dtype != "int32":
        raise fail(f"the axis input must be int32 (TFLM's check), got {graph.tensors[op.inputs[1]].dtype}")
    if not 1 <= len(x.shape) <= 4:
        raise fail(f"input rank {len(x.shape)} is not supported (1..4)")
    try:
        axes = resolve_axes(graph.tensors[op.inputs[1]].data, len(x.shape))
    except ValueError as e:
        raise fail(str(e)) from None
    if not axes:
        raise fail("an empty axis list is not supported")
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    keep = [d for i, d in enumerate(x.shape) if i not in axes]
    if int(np.prod(keep, dtype=np.int64)) != y.size:
        raise fail(f"output shape {y.shape} does not match reducing {x.shape} over {axes}")
    if count < 1:
        raise fail("cannot reduce an empty axis")
    in_s, out_s = _f32(x.quant.s), _f32(y.quant.s)
    mult, shift = fold_count_into_multiplier(*quantize_multiplier(in_s / out_s), count)
    return MeanParams(tuple(x.shape), axes, count, x.quant.zp, y.quant.zp, mult, shift)


@kernel("MEAN")
def mean(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    p = mean_params(graph, op)
    y = graph.tensors[op.outputs[0]]
    x = np.asarray(inputs[0], dtype=np.int64).reshape(p.in_shape)
    total = wrap_int32(x.sum(axis=p.axes))  # TFLM accumulates in int32
    shifted = wrap_int32(total - p.input_zp * p.count)
    out = multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift) + p.output_zp
    out = np.clip(out, -128, 127)
    return [out.astype(np.int8).reshape(y.shape)]
