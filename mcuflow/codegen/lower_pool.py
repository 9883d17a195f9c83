"""Lowering of MAX_POOL_2D, AVERAGE_POOL_2D and MEAN to ``te_pool.h`` kernels.

Every constant (padding, clamp, the mean's folded multiplier) comes from the
helpers the NumPy reference uses (:mod:`mcuflow.reference.pool`), which also
make the checks TF Lite Micro's Prepare makes, so C and reference agree by
construction.
"""

from __future__ import annotations

from ..graph import Graph, Op
from ..reference.pool import PoolParams, mean_params, pool_params
from .lowering import LoweringContext, lower

#: te_avgpool_s8 / te_mean_s8 keep int32 sums: 128 * taps must fit.
MAX_TAPS = 1 << 23


def _pool_struct(ctx: LoweringContext, p: PoolParams) -> str:
    return ctx.struct(
        "te_pool_params",
        stride=f"{{{p.stride_h}, {p.stride_w}}}",
        padding=f"{{{p.pad_h}, {p.pad_w}}}",
        filter=f"{{{p.filter_h}, {p.filter_w}}}",
        activation=f"{{{p.act_min}, {p.act_max}}}",
    )


def _in_out_dims(graph: Graph, op: Op) -> tuple[tuple, tuple]:
    return graph.tensors[op.inputs[0]].shape, graph.tensors[op.outputs[0]].shape


@lower("MAX_POOL_2D")
def lower_max_pool(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = pool_params(graph, op)
    x, y = op.inputs[0], op.outputs[0]
    in_shape, out_shape = _in_out_dims(graph, op)
    ctx.call("te_maxpool_s8", _pool_struct(ctx, p), ctx.dims(in_shape), ctx.tensor(x), ctx.dims(out_shape),
             ctx.tensor(y))


def _avgpool_scratch(graph: Graph, op: Op) -> int:
    return 4 * int(graph.tensors[op.outputs[0]].shape[-1])


@lower("AVERAGE_POOL_2D", scratch=_avgpool_scratch)
def lower_average_pool(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = pool_params(graph, op)
    if p.filter_h * p.filter_w > MAX_TAPS:
        raise ctx.unsupported(f"a {p.filter_h}x{p.filter_w} window has more than {MAX_TAPS} taps")
    x, y = op.inputs[0], op.outputs[0]
    in_shape, out_shape = _in_out_dims(graph, op)
    ctx.call("te_avgpool_s8", ctx.scratch(), _pool_struct(ctx, p), ctx.dims(in_shape), ctx.tensor(x),
             ctx.dims(out_shape), ctx.tensor(y))


def _mean_reduce_flags(graph: Graph, op: Op) -> list[int]:
    """Per NHWC dimension of the input padded to 4-D with leading 1s: 1 if reduced."""
    p = mean_params(graph, op)
    lead = 4 - len(p.in_shape)
    return [1 if (d - lead) in p.axes else 0 for d in range(4)]


def _mean_scratch(graph: Graph, op: Op) -> int:
    flags = _mean_reduce_flags(graph, op)
    return 0 if flags[3] else 4 * int(graph.tensors[op.inputs[0]].shape[-1])


@lower("MEAN", scratch=_mean_scratch)
def lower_mean(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    p = mean_params(graph, op)
    if p.count > MAX_TAPS:
        raise ctx.unsupported(f"reducing {p.count} values per output (more than {MAX_TAPS})")
    n, h, w, c = _mean_reduce_flags(graph, op)
    params = ctx.struct(
        "te_mean_params",
        reduce=f"{{{n}, {h}, {w}, {c}}}",
        input_offset=str(-p.input_zp),
        output_offset=str(p.output_zp),
        quant=f"{{{p.multiplier}, {p.shift}}}",
    )
    ctx.call("te_mean_s8", ctx.scratch(), params, ctx.dims(p.in_shape), ctx.tensor(op.inputs[0]),
             ctx.tensor(op.outputs[0]))
