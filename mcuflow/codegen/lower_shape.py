"""Lowering of the data-movement operators to ``te_shape.h`` kernels.

The numbers every kernel needs (paddings, permutation, source-index maps,
concatenation offsets) come from the same helpers the NumPy reference uses
(:mod:`mcuflow.reference.shape`), so the C and the reference agree by
construction; those helpers also make every check TF Lite Micro's Prepare makes.

The kernels move elements without looking at them, so a dtype without its own
variant is lowered as bytes: an element of ``k`` bytes is ``k`` int8 values
(a trailing dimension of size ``k``). PAD has typed variants for its fill
value (int8, float32); TRANSPOSE and the slices for speed (int16, float32).
"""

from __future__ import annotations

import numpy as np

from ..graph import DTYPE_ITEMSIZE, Graph, Op
from ..reference.shape import (
    MAX_RANK,
    check_same_size,
    concat_axis,
    pad_amounts,
    pad_value,
    resize_nearest_maps,
    slice_plan,
    transpose_perm,
)
from .lowering import LoweringContext, lower

_MAX = MAX_RANK  # te_shape.h TE_SHAPE_MAX_DIMS


def _c_list(values) -> str:
    vals = [int(v) for v in values]
    vals += [0] * (_MAX - len(vals))
    return "{" + ", ".join(str(v) for v in vals) + "}"


def _bytes_ptr(ctx: LoweringContext, index: int) -> str:
    return f"((int8_t *){ctx.raw(index)})"


def _c_float(v: float) -> str:
    f = float(np.float32(v))
    if np.isnan(f):
        return "NAN"
    if np.isinf(f):
        return "INFINITY" if f > 0 else "-INFINITY"
    return f"{f!r}f" if ("." in repr(f) or "e" in repr(f)) else f"{f!r}.0f"


# -- RESHAPE / SQUEEZE -------------------------------------------------------------


@lower("RESHAPE", "SQUEEZE", inplace=True)
def lower_reshape(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    check_same_size(graph, op)
    src, dst = op.inputs[0], op.outputs[0]
    nbytes = graph.tensors[dst].nbytes
    if nbytes == 0 or ctx.same_buffer(src, dst):
        return  # the plan aliased the output to the input: nothing moves
    ctx.call("te_copy", ctx.raw(src), ctx.raw(dst), str(nbytes))


# -- PAD / PADV2 -----------------------------------------------------------------


@lower("PAD", "PADV2")
def lower_pad(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype:
        raise ctx.unsupported(f"input {x.dtype} and output {y.dtype} types differ")
    if x.dtype not in ("int8", "float32"):
        raise ctx.unsupported(f"{x.dtype} tensors (int8 and float32 only)")
    if len(x.shape) == 0:
        raise ctx.unsupported("scalar input")
    pairs = pad_amounts(graph, op)
    value = pad_value(graph, op)
    if y.size == 0:
        return
    params = ctx.struct(
        "te_pad_params",
        rank=str(len(x.shape)),
        input_shape=_c_list(x.shape),
        before=_c_list(a for a, _ in pairs),
        after=_c_list(b for _, b in pairs),
    )
    if x.dtype == "int8":
        ctx.call("te_pad_s8", params, ctx.tensor(x.index), str(int(value)), ctx.tensor(y.index))
    else:
        ctx.call("te_pad_f32", params, ctx.tensor(x.index), _c_float(value), ctx.tensor(y.index))


# -- TRANSPOSE -------------------------------------------------------------------


def simplify_transpose(shape, perm) -> tuple[list[int], list[int]]:
    """The smallest equivalent transpose: drop size-1 dimensions, merge dimensions
    that stay neighbours in the same order. Returns (input_shape, perm)."""
    keep = [d for d in range(len(shape)) if shape[d] != 1]
    renum = {d: k for k, d in enumerate(keep)}
    shape = [int(shape[d]) for d in keep]
    perm = [renum[p] for p in perm if p in renum]
    groups: list[list[int]] = []  # runs of input dims, in output order
    for p in perm:
        if groups and groups[-1][-1] + 1 == p:
            groups[-1].append(p)
        else:
            groups.append([p])
    by_input = sorted(range(len(groups)), key=lambda g: groups[g][0])
    new_index = {g: k for k, g in enumerate(by_input)}
    new_shape = [int(np.prod([shape[d] for d in groups[g]])) for g in by_input]
    new_perm = [new_index[g] for g in range(len(groups))]
    return new_shape, new_perm


@lower("TRANSPOSE")
def lower_transpose(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype:
        raise ctx.unsupported(f"input {x.dtype} and output {y.dtype} types differ")
    perm = transpose_perm(graph, op)
    if y.size == 0:
        return
    shape, perm = simplify_transpose(x.shape, perm)
    if len(shape) <= 1:  # the order of elements does not change
        if not ctx.same_buffer(x.index, y.index):
            ctx.call("te_copy", ctx.raw(x.index), ctx.raw(y.index), str(y.nbytes))
        return
    typed = {"int16": "te_transpose_s16", "float32": "te_transpose_f32"}
    if x.dtype in typed:
        fn, src, dst = typed[x.dtype], ctx.tensor(x.index), ctx.tensor(y.index)
    else:  # bytes; wider integers carry their bytes as a trailing dimension that stays last
        k = DTYPE_ITEMSIZE[x.dtype]
        if k > 1:
            shape, perm = simplify_transpose(shape + [k], perm + [len(shape)])
        fn, src, dst = "te_transpose_s8", _bytes_ptr(ctx, x.index), _bytes_ptr(ctx, y.index)
    if len(shape) > _MAX:
        raise ctx.unsupported(f"{x.dtype} transpose of rank {len(shape)} after simplification")
    params = ctx.struct("te_transpose_params", rank=str(len(shape)), input_shape=_c_list(shape),
                        perm=_c_list(perm))
    ctx.call(fn, params, src, dst)


# -- CONCATENATION -------------------------------------------------------------------


@lower("CONCATENATION")
def lower_concatenation(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    axis = concat_axis(graph, op)
    y = graph.tensors[op.outputs[0]]
    if y.size == 0:
        return
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    after = int(np.prod(y.shape[axis + 1:], dtype=np.int64))
    if y.dtype == "float32":
        fn, k = "te_concat_f32", 1
        ptr = ctx.tensor
    else:  # int8 and any other dtype: as bytes
        fn, k = "te_concat_s8", DTYPE_ITEMSIZE[y.dtype]
        ptr = lambda i: _bytes_ptr(ctx, i)
    offset = 0
    for i in op.inputs:
        t = graph.tensors[i]
        inner = int(t.shape[axis]) * after * k
        if inner > 0 and outer > 0:
            params = ctx.struct("te_concat_params", outer=str(outer), input_inner=str(inner),
                                output_inner=str(int(y.shape[axis]) * after * k), offset=str(offset))
            ctx.call(fn, params, ptr(i), ptr(y.index))
        offset += inner


# -- RESIZE_NEAREST_NEIGHBOR -----------------------------------------------------------


@lower("RESIZE_NEAREST_NEIGHBOR")
def lower_resize_nearest(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    rows, cols = resize_nearest_maps(graph, op)
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if y.size == 0:
        return
    if x.dtype == "float32":
        fn, k, src, dst = "te_resize_nearest_f32", 1, ctx.tensor(x.index), ctx.tensor(y.index)
    else:  # int8 and any other dtype: a pixel is depth * itemsize bytes
        k = DTYPE_ITEMSIZE[x.dtype]
        fn, src, dst = "te_resize_nearest_s8", _bytes_ptr(ctx, x.index), _bytes_ptr(ctx, y.index)
    n, h, w, c = x.shape
    row_map = ctx.const_array("rows", rows, "int32_t")
    col_map = ctx.const_array("cols", cols, "int32_t")
    ctx.call(fn, ctx.dims((n, h, w, c * k)), ctx.dims((n, len(rows), len(cols), c * k)), row_map, col_map, src, dst)


# -- SLICE / STRIDED_SLICE ------------------------------------------------------------------


def simplify_slice(shape, begin, stride, count) -> tuple[list[int], list[int], list[int], list[int]]:
    """An equivalent, smaller slice: drop size-1 dimensions; merge a dimension taken
    whole and in order into the one before it when that one has stride 1."""
    dims = [[int(v) for v in d] for d in zip(shape, begin, stride, count) if d[0] != 1]
    merged: list[list[int]] = []
    for d in dims:
        size, b, s, n = d
        if merged and b == 0 and s == 1 and n == size and merged[-1][2] == 1:
            ps, pb, _, pn = merged[-1]
            merged[-1] = [ps * size, pb * size, 1, pn * size]
        else:
            merged.append(d)
    if not merged:
        merged = [[1, 0, 1, 1]]
    return tuple([d[k] for d in merged] for k in range(4))


@lower("SLICE", "STRIDED_SLICE")
def lower_strided_slice(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    begin, stride, count = slice_plan(graph, op)
    if y.size == 0:
        return
    shape = [int(v) for v in x.shape]
    if all(b == 0 and s == 1 and n == d for b, s, n, d in zip(begin, stride, count, shape)):
        if not ctx.same_buffer(x.index, y.index):
            ctx.call("te_copy", ctx.raw(x.index), ctx.raw(y.index), str(y.nbytes))
        return
    shape, begin, stride, count = simplify_slice(shape, begin, stride, count)
    typed = {"int16": "te_strided_slice_s16", "float32": "te_strided_slice_f32"}
    if x.dtype in typed:
        fn, src, dst = typed[x.dtype], ctx.tensor(x.index), ctx.tensor(y.index)
    else:  # bytes; wider integers carry their bytes as a trailing whole dimension
        k = DTYPE_ITEMSIZE[x.dtype]
        if k > 1:
            shape, begin, stride, count = simplify_slice(shape + [k], begin + [0], stride + [1], count + [k])
        fn, src, dst = "te_strided_slice_s8", _bytes_ptr(ctx, x.index), _bytes_ptr(ctx, y.index)
    if len(shape) > _MAX:
        raise ctx.unsupported(f"{x.dtype} slice of rank {len(shape)}")
    params = ctx.struct("te_slice_params", rank=str(len(shape)), input_shape=_c_list(shape), begin=_c_list(begin),
                        stride=_c_list(stride), count=_c_list(count))
    ctx.call(fn, params, src, dst)
