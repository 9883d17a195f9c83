"""Reference kernels of the multiply-accumulate family: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED.

int8 activations, int8 weights, optional int32 bias, bit-exact with TF Lite
Micro's reference kernels (``ConvPerChannel``, ``DepthwiseConvPerChannel``,
``FullyConnected``/``FullyConnectedPerChannel``):

- every input value gets ``input_offset = -input_zero_point`` added; taps that
  fall outside the image are skipped, which is the same as reading the input
  zero point there;
- SAME padding is TFLite's: ``pad = total // 2`` at the top/left, the odd
  extra row/column at the bottom/right;
- the int32 accumulator (wrapping like TFLM's int32 arithmetic) gets the bias,
  is rescaled with ``MultiplyByQuantizedMultiplier``, offset by the output zero
  point and clamped to the fused activation's range.

The multiplier helpers here are shared with the lowering (``codegen/lower_conv.py``),
so the generated C and this reference always use the same constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnsupportedError
from ..graph import Graph, Op, Tensor
from ..quant import (
    activation_range,
    multiply_by_quantized_multiplier,
    per_channel_multipliers,
    wrap_int32,
)
from . import kernel

ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


# -- geometry ------------------------------------------------------------------
def out_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int) -> int:
    """TFLite ``ComputeOutSize``."""
    eff = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size + stride - eff) // stride
    raise ValueError(f"padding {padding!r}")


def pad_before(padding: str, in_size: int, filter_size: int, stride: int, dilation: int) -> int:
    """TFLite ``ComputePaddingWithOffset``: the top/left pad (extra goes bottom/right)."""
    if padding == "VALID":
        return 0
    out = out_size(padding, in_size, filter_size, stride, dilation)
    eff = (filter_size - 1) * dilation + 1
    total = max(0, (out - 1) * stride + eff - in_size)
    return total // 2


@dataclass(frozen=True)
class ConvGeometry:
    """Spatial parameters of a conv/depthwise op, resolved from its options and shapes."""

    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_h: int  # top
    pad_w: int  # left
    kernel_h: int
    kernel_w: int
    out_h: int
    out_w: int


def conv_geometry(graph: Graph, op: Op) -> ConvGeometry:
    """Strides, dilations and TFLite padding; checks the output tensor's shape."""
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError("input, filter and output must be 4-D (NHWC)", op.index, op.type)
    sh, sw = int(op.opt("stride_h", 1)), int(op.opt("stride_w", 1))
    dh, dw = int(op.opt("dilation_h_factor", 1) or 1), int(op.opt("dilation_w_factor", 1) or 1)
    padding = op.opt("padding", "SAME")
    if padding not in ("SAME", "VALID"):
        raise UnsupportedError(f"padding {padding}", op.index, op.type)
    if min(sh, sw, dh, dw) < 1:
        raise ModelError(f"operator {op.index} ({op.type}): stride and dilation must be >= 1")
    kh, kw = int(w.shape[1]), int(w.shape[2])
    in_h, in_w = int(x.shape[1]), int(x.shape[2])
    oh = out_size(padding, in_h, kh, sh, dh)
    ow = out_size(padding, in_w, kw, sw, dw)
    if (oh, ow) != (int(y.shape[1]), int(y.shape[2])) or oh < 1 or ow < 1:
        raise ModelError(
            f"operator {op.index} ({op.type}): output is {y.shape[1]}x{y.shape[2]}, "
            f"but {padding} padding gives {oh}x{ow}"
        )
    return ConvGeometry(
        sh, sw, dh, dw,
        pad_before(padding, in_h, kh, sh, dh), pad_before(padding, in_w, kw, sw, dw),
        kh, kw, oh, ow,
    )


# -- quantization --------------------------------------------------------------
@dataclass(frozen=True)
class MacQuant:
    """Everything a MAC kernel needs besides the data: offsets, multipliers, clamp."""

    input_offset: int  # -input zero point
    filter_offset: int  # -filter zero point (FULLY_CONNECTED only; conv ignores it as TFLM does)
    output_offset: int  # output zero point
    multiplier: np.ndarray  # int64 [out_channels] (per-tensor: all equal)
    shift: np.ndarray  # int64 [out_channels]
    act_min: int
    act_max: int
    per_channel: bool


def _check_int8(op: Op, *tensors: Tensor | None) -> None:
    for t in tensors:
        if t is None:
            continue
        if t.dtype != "int8":
            raise UnsupportedError(f"tensor {t.name!r} is {t.dtype}; only int8 is supported", op.index, op.type)
        if t.quant is None:
            raise UnsupportedError(f"tensor {t.name!r} is not quantized", op.index, op.type)


def mac_quant(graph: Graph, op: Op, quantized_axis: int) -> MacQuant:
    """Offsets, per-output-channel multipliers and the activation clamp of a MAC op.

    Multipliers follow TFLM: ``double(in_scale) * double(w_scale[c]) /
    double(out_scale)`` (scales as stored, float32) through
    ``QuantizeMultiplier``; a per-tensor filter uses its one scale for every
    channel (TFLM's conv does exactly that; its per-tensor FULLY_CONNECTED
    computes the same double expression).
    """
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    _check_int8(op, x, w, y)
    b = graph.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if b is not None and b.dtype != "int32":
        raise UnsupportedError(f"bias {b.name!r} is {b.dtype}; only int32 is supported", op.index, op.type)
    if x.quant.per_channel or y.quant.per_channel:
        raise UnsupportedError("per-channel quantized activations", op.index, op.type)
    n_out = int(w.shape[quantized_axis])
    scales = np.asarray(w.quant.scale, dtype=np.float64)
    if scales.size not in (1, n_out):
        raise ModelError(
            f"operator {op.index} ({op.type}): filter has {scales.size} scales for {n_out} output channels"
        )
    per_channel = scales.size > 1
    if per_channel and int(w.quant.axis) != quantized_axis:
        raise UnsupportedError(
            f"filter quantized along axis {w.quant.axis}; expected {quantized_axis}", op.index, op.type
        )
    mult, shift = per_channel_multipliers(x.quant.s, scales, y.quant.s)
    if not per_channel:
        mult = np.full(n_out, mult[0], dtype=np.int64)
        shift = np.full(n_out, shift[0], dtype=np.int64)
    act = op.opt("fused_activation_function", "NONE") or "NONE"
    if act not in ACTIVATIONS:
        raise UnsupportedError(f"fused activation {act}", op.index, op.type)
    lo, hi = activation_range(act, y.quant.s, y.quant.zp, "int8")
    return MacQuant(
        input_offset=-x.quant.zp,
        filter_offset=-int(w.quant.zero_point[0]),
        output_offset=y.quant.zp,
        multiplier=mult,
        shift=shift,
        act_min=int(lo),
        act_max=int(hi),
        per_channel=per_channel,
    )


def requantize(acc: np.ndarray, bias, q: MacQuant) -> np.ndarray:
    """int32 accumulator [..., C] -> int8 output, as TFLM's tail of every MAC kernel."""
    acc = np.asarray(acc, dtype=np.int64)
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64).reshape(-1)
    acc = wrap_int32(acc)
    # TFLM adds the zero point in int32 too (wrapping, in practice).
    out = wrap_int32(multiply_by_quantized_multiplier(acc, q.multiplier, q.shift) + q.output_offset)
    return np.clip(out, q.act_min, q.act_max).astype(np.int8)


# -- kernels -------------------------------------------------------------------
def _patches(x: np.ndarray, g: ConvGeometry, input_offset: int) -> np.ndarray:
    """[N, OH, OW, KH, KW, C] int64 of ``input + input_offset``, 0 where the tap is outside."""
    n, h, w, c = x.shape
    xs = x.astype(np.int64) + input_offset
    need_h = (g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1
    need_w = (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1
    padded = np.zeros((n, max(need_h, g.pad_h + h), max(need_w, g.pad_w + w), c), dtype=np.int64)
    padded[:, g.pad_h : g.pad_h + h, g.pad_w : g.pad_w + w, :] = xs
    out = np.empty((n, g.out_h, g.out_w, g.kernel_h, g.kernel_w, c), dtype=np.int64)
    for ky in range(g.kernel_h):
        y0 = ky * g.dilation_h
        for kx in range(g.kernel_w):
            x0 = kx * g.dilation_w
            out[:, :, :, ky, kx, :] = padded[
                :,
                y0 : y0 + (g.out_h - 1) * g.stride_h + 1 : g.stride_h,
                x0 : x0 + (g.out_w - 1) * g.stride_w + 1 : g.stride_w,
                :,
            ]
    return out


def _bias(op: Op, inputs: list):
    return inputs[2] if len(inputs) > 2 else None


@kernel("CONV_2D")
def conv2d(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    """TFLM ``ConvPerChannel``: filter [OC, KH, KW, IC/groups], bias [OC]."""
    x, w = inputs[0], inputs[1]
    g = conv_geometry(graph, op)
    q = mac_quant(graph, op, quantized_axis=0)
    n, _, _, ic = x.shape
    oc, _, _, fic = w.shape
    if fic < 1 or ic % fic or oc % (ic // fic):
        raise ModelError(f"operator {op.index} (CONV_2D): {ic} input channels, filter depth {fic}, {oc} outputs")
    groups = ic // fic
    p = _patches(x, g, q.input_offset)  # [N, OH, OW, KH, KW, IC]
    p = p.reshape(n, g.out_h, g.out_w, g.kernel_h, g.kernel_w, groups, fic)
    wg = w.astype(np.int64).reshape(groups, oc // groups, g.kernel_h, g.kernel_w, fic)
    acc = np.einsum("nhwyxgc,goyxc->nhwgo", p, wg, optimize=True).reshape(n, g.out_h, g.out_w, oc)
    return [requantize(acc, _bias(op, inputs), q)]


@kernel("DEPTHWISE_CONV_2D")
def depthwise_conv2d(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    """TFLM ``DepthwiseConvPerChannel``: filter [1, KH, KW, IC*M], output channel ``ic*M + m``."""
    x, w = inputs[0], inputs[1]
    g = conv_geometry(graph, op)
    q = mac_quant(graph, op, quantized_axis=3)
    n, _, _, ic = x.shape
    oc = w.shape[3]
    m = depth_multiplier(graph, op)
    p = _patches(x, g, q.input_offset)  # [N, OH, OW, KH, KW, IC]
    wm = w.astype(np.int64).reshape(g.kernel_h, g.kernel_w, ic, m)
    acc = np.einsum("nhwyxc,yxcm->nhwcm", p, wm, optimize=True).reshape(n, g.out_h, g.out_w, oc)
    return [requantize(acc, _bias(op, inputs), q)]


def depth_multiplier(graph: Graph, op: Op) -> int:
    """The depth multiplier, checked against the shapes (TFLM trusts the option)."""
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    ic, oc = int(x.shape[3]), int(w.shape[3])
    m = int(op.opt("depth_multiplier", 0) or 0)
    if w.shape[0] != 1 or m < 1 or ic * m != oc or y.shape[3] != oc:
        raise ModelError(
            f"operator {op.index} (DEPTHWISE_CONV_2D): input depth {ic} x depth_multiplier {m} "
            f"does not match filter depth {oc} / output depth {y.shape[3]}"
        )
    return m


def fc_dims(graph: Graph, op: Op) -> tuple[int, int, int]:
    """(batches, in_features, out_features) of FULLY_CONNECTED, as TFLM derives them."""
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    if len(w.shape) != 2:
        raise UnsupportedError(f"filter of rank {len(w.shape)}; expected [out, in]", op.index, op.type)
    out_f, in_f = int(w.shape[0]), int(w.shape[1])
    if not y.shape or int(y.shape[-1]) != out_f:
        raise ModelError(f"operator {op.index} (FULLY_CONNECTED): output {y.shape} does not end in {out_f}")
    batches = y.size // out_f
    if x.size != batches * in_f:
        raise ModelError(
            f"operator {op.index} (FULLY_CONNECTED): input of {x.size} values is not {batches} x {in_f}"
        )
    return batches, in_f, out_f


@kernel("FULLY_CONNECTED")
def fully_connected(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    """TFLM ``FullyConnected``: input flattened to [batches, in], weights [out, in]."""
    x, w = inputs[0], inputs[1]
    if op.opt("weights_format", "DEFAULT") not in ("DEFAULT", None):
        raise UnsupportedError(f"weights_format {op.opt('weights_format')}", op.index, op.type)
    batches, in_f, _out_f = fc_dims(graph, op)
    q = mac_quant(graph, op, quantized_axis=0)
    xs = x.astype(np.int64).reshape(batches, in_f) + q.input_offset
    ws = w.astype(np.int64) + (0 if q.per_channel else q.filter_offset)
    acc = xs @ ws.T
    y = graph.tensors[op.outputs[0]]
    return [requantize(acc, _bias(op, inputs), q).reshape(y.shape)]
