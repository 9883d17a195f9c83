"""Lowerings of the multiply-accumulate family: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED.

Every constant (padding, per-channel multipliers, clamps) comes from the same
helpers the NumPy reference uses (:mod:`mcuflow.reference.conv`), so the
generated C and the reference cannot drift apart. The kernels are declared in
``lib/TinyEngine/include/te_conv.h``.
"""

from __future__ import annotations

from ..graph import Graph, Op
from ..reference.conv import MacQuant, conv_geometry, depth_multiplier, fc_dims, mac_quant
from .lowering import LoweringContext, lower


def _no_scratch(graph: Graph, op: Op) -> int:
    # The fully connected kernels widen int8 on the fly and need none.
    return 0


def conv_scratch(graph: Graph, op: Op) -> int:
    """te_conv2d_s8_get_buffer_size (the DSP build's, which covers the portable build's overlap copies)."""
    out_c, kh, kw, fc = graph.tensors[op.inputs[1]].shape
    k = kh * kw * fc
    if kh == 1 and kw == 1:
        if out_c == fc:
            return (2 * k + 3) & ~3  # a layer run in place keeps the two-pixel copies (no arena growth)
        # The DSP path's widened filter pair and constants (te_pw_block_rqd), and the two-pixel copies.
        return 4 * ((k + 3) & ~3) + 68 + 2 * k
    if 4 <= k <= 128:
        # The DSP path's widened filter pair, its constants and the im2col rows of 4..64 pixels
        # (te_conv2d_rqd), all within 1/32 of the output's bytes so that the arena does not grow for it.
        base = 4 * ((k + 3) & ~3) + 68
        room = graph.tensors[op.outputs[0]].nbytes // 32 - base
        n_chunk = min(64, room // k) & ~1 if room > 0 else 0
        if n_chunk >= 4:
            return base + n_chunk * k
    return (2 * k + 3) & ~3


def conv_spare(graph: Graph, op: Op, overlapped: bool) -> tuple[int, int] | None:
    """The DSP pointwise path (te_pw_block_rqd) for 1x1 layers of as many outputs as inputs, where the plan
    has the bytes free at the op's step.

    conv_scratch leaves them the two-pixel copies only: the planner writes such a layer's output two
    pixels below its input (or in its own buffer), so it often sits at the busiest step, where the widened
    filter pair would raise the arena. Elsewhere the arena has room, and the fast path is 4-5x fewer
    instructions. Overlapped, the kernel copies as many pixels as the rest of the scratch holds before
    writing their outputs (each chunk widens every channel pair's filter rows again), so it asks for
    chunks of up to 128 pixels; apart, it reads the input in place and the copies go unused.
    """
    out_c, kh, kw, fc = graph.tensors[op.inputs[1]].shape
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if (kh, kw) != (1, 1) or out_c != fc or fc % 4 or len(x.shape) != 4 or tuple(x.shape[:3]) != tuple(y.shape[:3]):
        return None
    base = 4 * fc + 68  # te_pw_block_rqd's widened pair and constants (4 bytes for aligning a caller's pointer)
    if not overlapped:
        return base + 2 * fc, base + 2 * fc
    # Below 8 pixels a chunk, widening the filter again every chunk costs about what the fast loop saves.
    n_pix = x.shape[0] * x.shape[1] * x.shape[2]
    return base + min(8, (n_pix + 1) & ~1) * fc, base + min(128, (n_pix + 1) & ~1) * fc


def depthwise_scratch(graph: Graph, op: Op) -> int:
    """te_depthwise_conv2d_s8_get_buffer_size: one 4-channel group's taps widened to int16 pairs."""
    _, kh, kw, _ = graph.tensors[op.inputs[1]].shape
    return kh * kw * 8


def _bias(op: Op, ctx: LoweringContext, n_out: int) -> str:
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return "NULL"
    b = ctx.graph.tensors[op.inputs[2]]
    if b.size != n_out:
        raise ctx.unsupported(f"bias {b.name!r} has {b.size} values for {n_out} output channels")
    return ctx.tensor(op.inputs[2])


def _per_channel_quant(ctx: LoweringContext, q: MacQuant) -> str:
    mult = ctx.const_array("multiplier", q.multiplier, "int32_t")
    shift = ctx.const_array("shift", q.shift, "int32_t")
    return ctx.struct("te_per_channel_quant", multiplier=mult, shift=shift)


def _activation(q: MacQuant) -> str:
    return f"{{{q.act_min}, {q.act_max}}}"


def _tile(h: int, w: int) -> str:
    return f"{{{h}, {w}}}"


def _dims(n: int, h: int, w: int, c: int) -> str:
    return f"&(const te_dims){{{n}, {h}, {w}, {c}}}"


def _conv_params(ctx: LoweringContext, ct: str, g, q: MacQuant, **extra) -> str:
    """``te_conv_params`` / ``te_dw_conv_params``: offsets, stride, padding, dilation, ``extra``, activation."""
    return ctx.struct(
        ct,
        input_offset=q.input_offset,
        output_offset=q.output_offset,
        stride=_tile(g.stride_h, g.stride_w),
        padding=_tile(g.pad_h, g.pad_w),
        dilation=_tile(g.dilation_h, g.dilation_w),
        **extra,
        activation=_activation(q),
    )


def _mac_operands(graph: Graph, op: Op, ctx: LoweringContext, q: MacQuant, n_out: int) -> list[str]:
    """The arguments every conv kernel takes after its params: quant, input, filter, bias."""
    x, w = op.inputs[0], op.inputs[1]
    return [
        _per_channel_quant(ctx, q),
        ctx.dims(graph.tensors[x].shape),
        ctx.tensor(x),
        ctx.dims(graph.tensors[w].shape),
        ctx.tensor(w),
        _bias(op, ctx, n_out),
    ]


def depthwise_quant(graph: Graph, op: Op):
    """Geometry, per-channel quantization and depth multiplier of a DEPTHWISE_CONV_2D."""
    g = conv_geometry(graph, op)
    q = mac_quant(graph, op, quantized_axis=3)
    return g, q, depth_multiplier(graph, op)


def depthwise_params(ctx: LoweringContext, g, q: MacQuant, m: int) -> str:
    return _conv_params(ctx, "te_dw_conv_params", g, q, depth_multiplier=m)


@lower("CONV_2D", scratch=conv_scratch, spare=conv_spare)
def lower_conv2d(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    g = conv_geometry(graph, op)
    q = mac_quant(graph, op, quantized_axis=0)
    in_c = graph.tensors[x].shape[3]
    out_c, f_c = graph.tensors[w].shape[0], graph.tensors[w].shape[3]
    if in_c % f_c or out_c % (in_c // f_c):
        raise ctx.unsupported(f"{in_c} input channels do not split into groups of filter depth {f_c}")
    params = _conv_params(ctx, "te_conv_params", g, q)
    ctx.call(
        "te_conv2d_s8",
        ctx.scratch(),
        params,
        *_mac_operands(graph, op, ctx, q, out_c),
        ctx.dims(graph.tensors[y].shape),
        ctx.tensor(y),
    )


@lower("DEPTHWISE_CONV_2D", scratch=depthwise_scratch)
def lower_depthwise_conv2d(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    if ctx.same_buffer(x, y):  # the memory plan chose in place (MCUNet's one-channel scratch)
        from ..planner.inplace_dw import lower_depthwise_inplace

        return lower_depthwise_inplace(graph, op, ctx)
    g, q, m = depthwise_quant(graph, op)
    params = depthwise_params(ctx, g, q, m)
    ctx.call(
        "te_depthwise_conv2d_s8",
        ctx.scratch(),
        params,
        *_mac_operands(graph, op, ctx, q, graph.tensors[w].shape[3]),
        ctx.dims(graph.tensors[y].shape),
        ctx.tensor(y),
    )


@lower("FULLY_CONNECTED", scratch=_no_scratch)
def lower_fully_connected(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    if op.opt("weights_format", "DEFAULT") not in ("DEFAULT", None):
        raise ctx.unsupported(f"weights_format {op.opt('weights_format')}")
    batches, in_f, out_f = fc_dims(graph, op)
    q = mac_quant(graph, op, quantized_axis=0)
    params = ctx.struct(
        "te_fc_params",
        input_offset=q.input_offset,
        filter_offset=0 if q.per_channel else q.filter_offset,
        output_offset=q.output_offset,
        activation=_activation(q),
    )
    if q.per_channel:
        func, quant = "te_fully_connected_per_channel_s8", _per_channel_quant(ctx, q)
    else:
        func = "te_fully_connected_s8"
        quant = ctx.struct("te_quant", multiplier=int(q.multiplier[0]), shift=int(q.shift[0]))
    ctx.call(
        func,
        ctx.scratch(),
        params,
        quant,
        _dims(batches, 1, 1, in_f),
        ctx.tensor(x),
        _dims(out_f, 1, 1, in_f),
        ctx.tensor(w),
        _bias(op, ctx, out_f),
        _dims(batches, 1, 1, out_f),
        ctx.tensor(y),
    )
