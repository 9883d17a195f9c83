"""Lowering of an in-place DEPTHWISE_CONV_2D (the plan put output over input).

Called from the depthwise lowering when ``ctx.same_buffer(input, output)``;
the constants come from the ordinary depthwise lowering's own helpers
(:mod:`mcuflow.codegen.lower_conv`, which takes them from :mod:`mcuflow.reference.conv`). The plan reserved the op's
scratch (:func:`inplace_scratch_bytes` via :func:`.strategies.depthwise_inplace_scratch`): a ring of KH int16 rows
where the kernel writes each output row straight over input rows it has read, else one output channel (N * OH * OW).
"""

from __future__ import annotations

from ..graph import Graph, Op

KMAX = 7  # largest filter side of the kernel's row ring (TE_DW_KMAX)


def ring_width(out_w: int, stride_w: int, k_w: int) -> int:
    """int16 elements of one ring row (te_dw_ring_width): an even number of outputs, one pair read past."""
    owe = (out_w + 1) & ~1
    return ((owe - 1) * stride_w + k_w + 2) & ~1


def direct_ok(n: int, in_h: int, in_w: int, out_h: int, out_w: int, k_h: int, s_h: int, p_h: int) -> bool:
    """te_dw_direct_ok: every output row only overwrites input rows the ring has already gathered."""
    for b in range(n):
        for oy in range(out_h):
            y_next = min(max(oy * s_h - p_h + k_h, 0), in_h)
            if (b * out_h + oy + 1) * out_w > (b * in_h + y_next) * in_w:
                return False
    return True


def inplace_scratch_bytes(n: int, in_h: int, in_w: int, out_h: int, out_w: int, k_h: int, k_w: int, s_h: int,
                          s_w: int, p_h: int, d_h: int, d_w: int) -> int:
    """te_depthwise_conv2d_inplace_s8_get_buffer_size: the ring's bytes, or one output channel."""
    chan = n * out_h * out_w
    if d_h != 1 or d_w != 1 or k_h > KMAX or k_w > KMAX or p_h < 0:
        return chan
    if not direct_ok(n, in_h, in_w, out_h, out_w, k_h, s_h, p_h):
        return chan
    lanes = 4 if (k_h, k_w) == (3, 3) else k_h  # a 3x3 ring interleaves its rows with a zero lane
    ring = lanes * ring_width(out_w, s_w, k_w) * 2 + 3
    return ring if ring <= chan else chan


def op_scratch_bytes(graph: Graph, op: Op) -> int:
    """inplace_scratch_bytes for a DEPTHWISE_CONV_2D of this graph."""
    from ..reference.conv import conv_geometry

    g = conv_geometry(graph, op)
    xs = graph.tensors[op.inputs[0]].shape
    return inplace_scratch_bytes(int(xs[0]), int(xs[1]), int(xs[2]), g.out_h, g.out_w, g.kernel_h, g.kernel_w,
                                 g.stride_h, g.stride_w, g.pad_h, g.dilation_h, g.dilation_w)


def lower_depthwise_inplace(graph: Graph, op: Op, ctx) -> None:
    from ..codegen.lower_conv import _mac_operands, depthwise_params, depthwise_quant

    w, y = op.inputs[1], op.outputs[0]
    g, q, m = depthwise_quant(graph, op)
    if m != 1:
        raise ctx.unsupported("in-place depthwise with depth multiplier != 1")
    ys = graph.tensors[y].shape
    need = op_scratch_bytes(graph, op)
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
