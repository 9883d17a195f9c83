"""Lowering of an in-place DEPTHWISE_CONV_2D (the plan put output over input).

Called from the depthwise lowering when ``ctx.same_buffer(input, output)``;
the constants come from the ordinary depthwise lowering's own helpers
(:mod:`mcuflow.codegen.lower_conv`, which takes them from :mod:`mcuflow.reference.conv`). The plan reserved the op's one-channel
scratch (N * OH * OW bytes, :func:`.strategies.depthwise_inplace_scratch`).
"""

from __future__ import annotations

from ..graph import Graph, Op


def lower_depthwise_inplace(graph: Graph, op: Op, ctx) -> None:
    from ..codegen.lower_conv import _mac_operands, depthwise_params, depthwise_quant

    w, y = op.inputs[1], op.outputs[0]
    g, q, m = depthwise_quant(graph, op)
    if m != 1:
        raise ctx.unsupported("in-place depthwise with depth multiplier != 1")
    ys = graph.tensors[y].shape
    need = int(ys[0] * ys[1] * ys[2])
    if ctx.scratch_size < need:
        raise ctx.unsupported(f"in-place depthwise needs {need} scratch bytes, the plan gave {ctx.scratch_size}")
    params = depthwise_params(ctx, g, q, 1)
    ctx.call(
        "te_depthwise_conv2d_inplace_s8",
        ctx.scratch(),
        params,
        *_mac_operands(graph, op, ctx, q, graph.tensors[w].shape[3]),
        ctx.dims(ys),
    )
