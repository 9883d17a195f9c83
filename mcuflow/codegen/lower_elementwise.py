"""Lowerings of the element-wise family to ``te_elementwise.h`` kernels.

ADD, MUL, RELU, RELU6, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, QUANTIZE and
DEQUANTIZE. Every constant (multipliers, clamps, the lookup tables) comes
from the helpers the NumPy reference uses (:mod:`mcuflow.reference.elementwise`),
so the generated C and the reference agree by construction.

- ADD/MUL with equal operand shapes run flat; otherwise the broadcasting
  kernel gets both shapes and builds its loop nest itself. A flat ADD of at
  least :data:`ADD_TABLE_MIN_ELEMENTS` elements runs as ``te_add_table_s8``
  with its two 256-entry rescale tables (:func:`add_table`) as a const array:
  2 KiB of flash per ADD for about a tenth of the instructions; smaller ones
  keep ``te_add_s8`` and no table.
- RELU is a requantization (TFLM rescales to the output scale), or a plain
  clamp when input and output quantization are equal. RELU6 is always a
  clamp on the input scale, as TFLM computes it.
- LOGISTIC, TANH, HARD_SWISH and LEAKY_RELU are 256-byte tables in flash
  and one ``te_lut_s8``.

The same-size kernels are safe when the output aliases input 0, so those ops
are registered ``inplace=True``.
"""

from __future__ import annotations

import numpy as np

from ..graph import Graph, Op
from ..quant import multiply_by_quantized_multiplier_smaller_than_one_exp
from ..reference.elementwise import (
    AFFINE_QUANTIZE_OUTPUTS,
    AddParams,
    MulParams,
    RequantParams,
    add_params,
    broadcast_shape,
    hard_swish_table_for,
    leaky_relu_table_for,
    logistic_table_for,
    mul_params,
    relu6_range,
    relu_params,
    requantize_params,
    tanh_table_for,
    tensor_qparams,
)
from .lowering import LoweringContext, lower

#: te_elementwise.h TE_ELEMENTWISE_MAX_DIMS
MAX_DIMS = 6

#: te_elementwise.h TE_ADD_TABLE_SIZE
ADD_TABLE_SIZE = 512

#: Smallest flat ADD that gets a table: below it the 2 KiB of flash buy too few instructions.
ADD_TABLE_MIN_ELEMENTS = 256

#: QUANTIZE int -> int: (input dtype, output dtype) -> kernel.
REQUANTIZE_KERNELS = {
    ("int8", "int8"): "te_requantize_s8",
    ("int8", "uint8"): "te_requantize_s8_u8",
    ("uint8", "int8"): "te_requantize_u8_s8",
    ("int8", "int16"): "te_requantize_s8_s16",
    ("int16", "int8"): "te_requantize_s16_s8",
}
DEQUANTIZE_KERNELS = {"int8": "te_dequantize_s8_f32", "int16": "te_dequantize_s16_f32",
                      "uint8": "te_dequantize_u8_f32"}
QUANTIZE_F32_KERNELS = {"int8": "te_quantize_f32_s8", "int16": "te_quantize_f32_s16"}


def c_float(value) -> str:
    """An exact C float literal (hexadecimal) of a float32 value."""
    f = float(np.float32(value))
    if not np.isfinite(f):
        raise ValueError(f"non-finite constant {f}")
    return f"{f.hex()}f"


def _pair(a: int, b: int) -> str:
    return f"{{{int(a)}, {int(b)}}}"


def _shape(ctx: LoweringContext, shape) -> str:
    dims = [int(d) for d in shape]
    body = ", ".join(str(d) for d in dims) if dims else "0"
    return ctx.struct("te_broadcast_shape", rank=str(len(dims)), dims=f"{{{body}}}")


def _extended(shape, rank: int) -> tuple[int, ...]:
    return (1,) * (rank - len(shape)) + tuple(int(d) for d in shape)


def _add_struct(ctx: LoweringContext, p: AddParams) -> str:
    return ctx.struct(
        "te_add_params",
        input1_offset=str(p.input1_offset),
        input2_offset=str(p.input2_offset),
        left_shift=str(p.left_shift),
        input1_quant=_pair(p.input1_multiplier, p.input1_shift),
        input2_quant=_pair(p.input2_multiplier, p.input2_shift),
        output_quant=_pair(p.output_multiplier, p.output_shift),
        output_offset=str(p.output_offset),
        activation=_pair(p.act_min, p.act_max),
    )


def _mul_struct(ctx: LoweringContext, p: MulParams) -> str:
    return ctx.struct(
        "te_mul_params",
        input1_offset=str(p.input1_offset),
        input2_offset=str(p.input2_offset),
        output_quant=_pair(p.output_multiplier, p.output_shift),
        output_offset=str(p.output_offset),
        activation=_pair(p.act_min, p.act_max),
    )


def _requantize_struct(ctx: LoweringContext, p: RequantParams) -> str:
    return ctx.struct(
        "te_requantize_params",
        input_offset=str(-p.input_zero_point),
        output_offset=str(p.output_zero_point),
        quant=_pair(p.multiplier, p.shift),
        activation=_pair(p.act_min, p.act_max),
    )


def _binary(graph: Graph, op: Op, ctx: LoweringContext, params: str, flat_fn: str, broadcast_fn: str) -> None:
    a, b = op.inputs[0], op.inputs[1]
    y = op.outputs[0]
    ta, tb, ty = graph.tensors[a], graph.tensors[b], graph.tensors[y]
    out_shape = broadcast_shape(ta.shape, tb.shape, op)
    if ty.size == 0:
        return
    rank = len(out_shape)
    if _extended(ta.shape, rank) == _extended(tb.shape, rank):
        ctx.call(flat_fn, params, str(ty.size), ctx.tensor(a), ctx.tensor(b), ctx.tensor(y))
        return
    for i, t in ((a, ta), (b, tb)):
        # Broadcasting reads a smaller operand many times: it must not be overwritten.
        if t.size != ty.size and ctx.same_buffer(i, y):
            raise ctx.unsupported(f"output shares memory with broadcast operand '{t.name}'")
    if rank > MAX_DIMS:
        raise ctx.unsupported(f"rank {rank} broadcast (at most {MAX_DIMS})")
    ctx.call(broadcast_fn, params, _shape(ctx, ta.shape), ctx.tensor(a), _shape(ctx, tb.shape), ctx.tensor(b),
             ctx.tensor(y))


def add_table(p: AddParams) -> np.ndarray:
    """The ``te_add_s8_make_table`` table: each input's own rescale for every int8 value.

    Entry ``x + 128`` is input 1's value for ``x``, entry ``x + 384`` input 2's, computed
    exactly as the reference ``add_int8`` rescales each input before the sum.
    """
    x = np.arange(-128, 128, dtype=np.int64)
    t1 = multiply_by_quantized_multiplier_smaller_than_one_exp((x + p.input1_offset) << p.left_shift,
                                                               p.input1_multiplier, p.input1_shift)
    t2 = multiply_by_quantized_multiplier_smaller_than_one_exp((x + p.input2_offset) << p.left_shift,
                                                               p.input2_multiplier, p.input2_shift)
    table = np.concatenate([np.asarray(t1, dtype=np.int64), np.asarray(t2, dtype=np.int64)])
    if table.min() < -(1 << 31) or table.max() >= (1 << 31):
        raise ValueError("ADD rescale table does not fit int32")
    assert table.size == ADD_TABLE_SIZE
    return table.astype(np.int32)


def uses_add_table(graph: Graph, op: Op) -> bool:
    """Whether this ADD runs as ``te_add_table_s8`` (and so costs ADD_TABLE_SIZE int32 of flash)."""
    ta, tb, ty = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    rank = len(broadcast_shape(ta.shape, tb.shape, op))
    return ty.size >= ADD_TABLE_MIN_ELEMENTS and _extended(ta.shape, rank) == _extended(tb.shape, rank)


@lower("ADD", inplace=True)
def lower_add(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = add_params(graph, op)
    a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
    ty = graph.tensors[y]
    if uses_add_table(graph, op):
        table = ctx.const_array("add_table", add_table(p), "int32_t")
        ctx.call("te_add_table_s8", _add_struct(ctx, p), table, str(ty.size), ctx.tensor(a), ctx.tensor(b),
                 ctx.tensor(y))
        return
    _binary(graph, op, ctx, _add_struct(ctx, p), "te_add_s8", "te_add_broadcast_s8")


@lower("MUL", inplace=True)
def lower_mul(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    _binary(graph, op, ctx, _mul_struct(ctx, mul_params(graph, op)), "te_mul_s8", "te_mul_broadcast_s8")


@lower("RELU", inplace=True)
def lower_relu(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = relu_params(graph, op)
    x, y = op.inputs[0], op.outputs[0]
    size = graph.tensors[y].size
    if size == 0:
        return
    if p.is_identity_scale and p.input_zero_point == p.output_zero_point:
        # Equal quantization: the rescale is exact, RELU is a clamp at the zero point.
        ctx.call("te_clamp_s8", f"&(const te_activation){_pair(p.act_min, p.act_max)}", str(size),
                 ctx.tensor(x), ctx.tensor(y))
    else:
        ctx.call("te_requantize_s8", _requantize_struct(ctx, p), str(size), ctx.tensor(x), ctx.tensor(y))


@lower("RELU6", inplace=True)
def lower_relu6(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    lo, hi = relu6_range(graph, op)
    x, y = op.inputs[0], op.outputs[0]
    size = graph.tensors[y].size
    if size:
        ctx.call("te_clamp_s8", f"&(const te_activation){_pair(lo, hi)}", str(size), ctx.tensor(x), ctx.tensor(y))


def _lut(op: Op, ctx: LoweringContext, table: np.ndarray) -> None:
    x, y = op.inputs[0], op.outputs[0]
    size = ctx.graph.tensors[y].size
    if size:
        symbol = ctx.const_array("lut", np.asarray(table, dtype=np.int8), "int8_t")
        ctx.call("te_lut_s8", symbol, str(size), ctx.tensor(x), ctx.tensor(y))


@lower("LOGISTIC", inplace=True)
def lower_logistic(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    _lut(op, ctx, logistic_table_for(graph, op))


@lower("HARD_SWISH", inplace=True)
def lower_hard_swish(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    _lut(op, ctx, hard_swish_table_for(graph, op))


@lower("TANH", inplace=True)
def lower_tanh(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    _lut(op, ctx, tanh_table_for(graph, op))


@lower("LEAKY_RELU", inplace=True)
def lower_leaky_relu(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    _lut(op, ctx, leaky_relu_table_for(graph, op))


@lower("QUANTIZE")
def lower_quantize(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x, y = op.inputs[0], op.outputs[0]
    tx, ty = graph.tensors[x], graph.tensors[y]
    if tx.dtype == "float32":
        if ty.dtype not in AFFINE_QUANTIZE_OUTPUTS:
            raise ctx.unsupported(f"QUANTIZE float32 -> {ty.dtype}")
        scale, zp = tensor_qparams(ty, op, "output")
        if ty.size:
            ctx.call(QUANTIZE_F32_KERNELS[ty.dtype], c_float(scale), str(zp), str(ty.size), ctx.tensor(x),
                     ctx.tensor(y))
        return
    p = requantize_params(graph, op)
    fn = REQUANTIZE_KERNELS.get((tx.dtype, ty.dtype))
    if fn is None:
        raise ctx.unsupported(f"QUANTIZE {tx.dtype} -> {ty.dtype} has no TinyEngine kernel")
    if ty.nbytes > tx.nbytes and ctx.same_buffer(x, y):
        raise ctx.unsupported("widening QUANTIZE cannot run in place")
    if ty.size:
        ctx.call(fn, _requantize_struct(ctx, p), str(ty.size), ctx.tensor(x), ctx.tensor(y))


@lower("DEQUANTIZE")
def lower_dequantize(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x, y = op.inputs[0], op.outputs[0]
    tx, ty = graph.tensors[x], graph.tensors[y]
    fn = DEQUANTIZE_KERNELS.get(tx.dtype)
    if fn is None or ty.dtype != "float32":
        raise ctx.unsupported(f"DEQUANTIZE {tx.dtype} -> {ty.dtype}")
    scale, zp = tensor_qparams(tx, op, "input")
    if ctx.same_buffer(x, y):
        raise ctx.unsupported("DEQUANTIZE cannot run in place")
    if ty.size:
        ctx.call(fn, c_float(scale), str(zp), str(ty.size), ctx.tensor(x), ctx.tensor(y))
