"""Lowering of an in-place DEPTHWISE_CONV_2D (the plan put output over input).

Called from the depthwise lowering when ``ctx.same_buffer(input, output)``;
the constants come from the same helpers as the ordinary depthwise lowering
(:mod:`mcuflow.reference.conv`). The plan reserved the op's one-channel
scratch (N * OH * OW bytes, :func:`.strategies.depthwise_inplace_scratch`).
"""

from __future__ import annotations

from ..graph import Graph, Op
from ..reference.conv import conv_geometry, depth_multiplier, mac_quant


def lower_depthwise_inplace(graph: Graph, op: Op, ctx) -> None:
    from ..codegen.lower_conv import _activation, _bias, _per_channel_quant, _tile

    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    g = conv_geometry(graph, op)
    q = mac_quant(graph, op, quantized_axis=3)
    if depth_multiplier(graph, op) != 1:
        raise ctx.unsupported("in-place depthwise with depth multiplier != 1")
    ys = graph.tensors[y].shape
    need = int(ys[0] * ys[1] * ys[2])
    if ctx.scratch_size < need:
        raise ctx.unsupported(f"in-place depthwise needs {need} scratch bytes, the plan gave {ctx.scratch_size}")
    params = ctx.struct(
        "te_dw_conv_params",
        input_offset=q.input_offset,
        output_offset=q.output_offset,
        stride=_tile(g.stride_h, g.stride_w),
        padding=_tile(g.pad_h, g.pad_w),
        dilation=_tile(g.dilation_h, g.dilation_w),
        depth_multiplier=1,
        activation=_activation(q),
    )
    ctx.call(
        "te_depthwise_conv2d_inplace_s8",
        ctx.scratch(),
        params,
        _per_channel_quant(ctx, q),
        ctx.dims(graph.tensors[x].shape),
        ctx.tensor(x),
        ctx.dims(graph.tensors[w].shape),
        ctx.tensor(w),
        _bias(op, ctx, graph.tensors[w].shape[3]),
        ctx.dims(ys),
    )
