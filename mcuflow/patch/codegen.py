"""Code generation for a patched stage: one ``PATCH_STAGE`` op and its tile loop.

:func:`patched_graph` replaces the stage's ops by one op ``PATCH_STAGE``
(input: the graph input, output: the stage output) whose scratch is the patch
workspace. The memory planner then sees exactly what the patched schedule
holds: the full input and the full stage output live together with the patch
buffers during the loop, and the rest of the graph is planned layer by layer.

The ``PATCH_STAGE`` lowering emits a C loop over the tiles. Numbers that
differ between tiles (block sizes, window origins, paddings at the image
border) come from one const table in flash, one row per tile; numbers equal
for every tile are literals. Windowed ops (conv, depthwise, pooling, PAD) are
emitted here with the tile's padding; element-wise ops reuse their registered
lowering with the element count made a run-time value.
"""

from __future__ import annotations

import dataclasses
import re

from ..codegen.lowering import LoweringContext, lower, lowering_for
from ..errors import UnsupportedError
from ..graph import Graph, Op
from ..reference.conv import conv_geometry, depth_multiplier, mac_quant
from ..reference.pool import pool_params
from ..reference.shape import pad_amounts, pad_value
from .rf import ELEMENTWISE_OPS, Rect
from .stage import PatchStage, op_position

STAGE_OP = "PATCH_STAGE"
#: Element count the element-wise lowerings see; replaced by the tile's run-time count.
_SENTINEL = 1000003


def patched_graph(graph: Graph, stage: PatchStage) -> Graph:
    """The graph with the stage's ops replaced by one ``PATCH_STAGE`` op, which keeps the split op's index."""
    pos = op_position(graph, stage.split_op)
    ops = [Op(stage.split_op, STAGE_OP, [stage.in_tensor], [stage.out_tensor], {"patch": stage})]
    ops += graph.ops[pos + 1:]
    return dataclasses.replace(graph, ops=ops)


def _stage_scratch(graph: Graph, op: Op) -> int:
    return op.options["patch"].workspace_bytes


class _TileValues:
    """Per-tile integers: a literal when every tile agrees, else a column of the tile table."""

    def __init__(self, n_tiles: int):
        self.n = n_tiles
        self.columns: list[tuple[int, ...]] = []

    def __call__(self, values) -> str:
        vals = tuple(int(v) for v in values)
        assert len(vals) == self.n
        if all(v == vals[0] for v in vals):
            return str(vals[0])
        if vals not in self.columns:
            self.columns.append(vals)
        return f"pt[{self.columns.index(vals)}]"

    def table(self) -> list[int]:
        return [col[k] for k in range(self.n) for col in self.columns]


@lower(STAGE_OP, scratch=_stage_scratch)
def lower_patch_stage(graph: Graph, op: Op, ctx: LoweringContext) -> None:
    st: PatchStage = op.options["patch"]
    _StageEmitter(st, ctx).emit()


class _StageEmitter:
    def __init__(self, st: PatchStage, ctx: LoweringContext):
        self.st, self.ctx, self.g = st, ctx, st.graph
        self.v = _TileValues(len(st.tiles))
        self.body: list[str] = []

    # -- helpers --------------------------------------------------------------------
    def buf(self, key: str) -> str:
        return f"((int8_t *){self.ctx.scratch_expr} + {self.st.buffers[key].offset})"

    def dims(self, t: int, rects: list[Rect]) -> str:
        x = self.g.tensors[t]
        return (f"&(const te_dims){{{x.shape[0]}, {self.v([r.h for r in rects])}, "
                f"{self.v([r.w for r in rects])}, {x.shape[3]}}}")

    def window(self, rects: list[Rect], origin: list[Rect] | None = None) -> str:
        oy = [r.r0 - (o.r0 if origin else 0) for r, o in zip(rects, origin or rects)]
        ox = [r.c0 - (o.c0 if origin else 0) for r, o in zip(rects, origin or rects)]
        return (f"&(const te_window){{{self.v(oy)}, {self.v(ox)}, {self.v([r.h for r in rects])}, "
                f"{self.v([r.w for r in rects])}}}")

    def call(self, func: str, *args: str) -> None:
        self.body.append(f"TE_CHECK({func}({', '.join(args)}));")

    def scratch(self, op: Op) -> str:
        b = self.st.buffers.get(f"s{op.index}")
        return f"(te_context){{{self.buf(b.key)}, {b.size}}}" if b else "(te_context){NULL, 0}"

    def need(self, t: int) -> list[Rect]:
        return [n[t] for n in self.st.need]

    def op_input(self, op: Op, x: int) -> tuple[str, str]:
        """(pointer, dims) of the block of ``x`` that ``op`` reads, window-copied when it differs per tile."""
        needed = [ot[op.index].needed for ot in self.st.op_tiles]
        if (op.index, x) not in self.st.windowed:
            return self.buf(f"t{x}"), self.dims(x, needed)
        dst = self.buf(f"w{op.index}_{x}")
        self.call("te_copy_window_s8", self.dims(x, self.need(x)), self.buf(f"t{x}"),
                  self.window(needed, self.need(x)), self.dims(x, needed), dst, "0", "0")
        return dst, self.dims(x, needed)

    # -- the loop -------------------------------------------------------------------
    def emit(self) -> None:
        st, ctx = self.st, self.ctx
        t_in, t_out = st.in_tensor, st.out_tensor
        x = self.g.tensors[t_in]
        self.body.append(f"/* tile: copy the input window ({st.rows}x{st.cols} grid) */")
        self.call("te_copy_window_s8", ctx.dims(x.shape), ctx.tensor(t_in), self.window(self.need(t_in)),
                  self.dims(t_in, self.need(t_in)), self.buf(f"t{t_in}"), "0", "0")
        for op in st.ops:
            self.body.append(f"/* op {op.index}: {op.type} on the tile */")
            self.emit_op(op)
        y = self.g.tensors[t_out]
        self.body.append("/* tile: write into the full output */")
        self.call("te_copy_window_s8", self.dims(t_out, self.need(t_out)), self.buf(f"t{t_out}"),
                  self.window(self.need(t_out), self.need(t_out)), ctx.dims(y.shape), ctx.tensor(t_out),
                  self.v([r.r0 for r in st.tiles]), self.v([r.c0 for r in st.tiles]))
        head = [f"for (int32_t pk = 0; pk < {len(st.tiles)}; ++pk) {{"]
        if self.v.columns:
            sym = ctx.const_array("patch_tiles", self.v.table(), "int32_t")
            head.append(f"    const int32_t *pt = {sym} + pk * {len(self.v.columns)};")
        ctx.statements.extend(head + ["    " + s for s in self.body] + ["}"])

    def emit_op(self, op: Op) -> None:
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            self.emit_mac(op)
        elif op.type in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            self.emit_pool(op)
        elif op.type == "PAD":
            self.emit_pad(op)
        elif op.type in ELEMENTWISE_OPS:
            self.emit_elementwise(op)
        else:  # stage.check_stage admits no other op
            raise UnsupportedError("operator cannot run patch by patch", op.index, op.type)

    def tile_geometry(self, op: Op):
        ots = [ot[op.index] for ot in self.st.op_tiles]
        pad = f"{{{self.v([o.pad_top for o in ots])}, {self.v([o.pad_left for o in ots])}}}"
        return ots, pad

    def emit_mac(self, op: Op) -> None:
        g, ctx = self.g, self.ctx
        xi, wi, y = op.inputs[0], op.inputs[1], op.outputs[0]
        geo = conv_geometry(g, op)
        dw = op.type == "DEPTHWISE_CONV_2D"
        q = mac_quant(g, op, quantized_axis=3 if dw else 0)
        ots, pad = self.tile_geometry(op)
        x_ptr, x_dims = self.op_input(op, xi)
        common = dict(input_offset=q.input_offset, output_offset=q.output_offset,
                      stride=f"{{{geo.stride_h}, {geo.stride_w}}}", padding=pad,
                      dilation=f"{{{geo.dilation_h}, {geo.dilation_w}}}")
        if dw:
            params = ctx.struct("te_dw_conv_params", **common, depth_multiplier=depth_multiplier(g, op),
                                activation=f"{{{q.act_min}, {q.act_max}}}")
        else:
            params = ctx.struct("te_conv_params", **common, activation=f"{{{q.act_min}, {q.act_max}}}")
        mult = ctx.const_array("multiplier", q.multiplier, "int32_t")
        shift = ctx.const_array("shift", q.shift, "int32_t")
        quant = ctx.struct("te_per_channel_quant", multiplier=mult, shift=shift)
        bias = ctx.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else "NULL"
        self.call("te_depthwise_conv2d_s8" if dw else "te_conv2d_s8", self.scratch(op), params, quant, x_dims,
                  x_ptr, ctx.dims(g.tensors[wi].shape), ctx.tensor(wi), bias,
                  self.dims(y, [o.out for o in ots]), self.buf(f"t{y}"))

    def emit_pool(self, op: Op) -> None:
        p = pool_params(self.g, op)
        ots, pad = self.tile_geometry(op)
        xi, y = op.inputs[0], op.outputs[0]
        x_ptr, x_dims = self.op_input(op, xi)
        params = self.ctx.struct("te_pool_params", stride=f"{{{p.stride_h}, {p.stride_w}}}", padding=pad,
                                 filter=f"{{{p.filter_h}, {p.filter_w}}}",
                                 activation=f"{{{p.act_min}, {p.act_max}}}")
        out = (self.dims(y, [o.out for o in ots]), self.buf(f"t{y}"))
        if op.type == "MAX_POOL_2D":
            self.call("te_maxpool_s8", params, x_dims, x_ptr, *out)
        else:
            self.call("te_avgpool_s8", self.scratch(op), params, x_dims, x_ptr, *out)

    def emit_pad(self, op: Op) -> None:
        g = self.g
        pairs = pad_amounts(g, op)
        value = int(pad_value(g, op))
        ots, _ = self.tile_geometry(op)
        xi, y = op.inputs[0], op.outputs[0]
        x_ptr, _ = self.op_input(op, xi)
        n, c = g.tensors[xi].shape[0], g.tensors[xi].shape[3]
        v = self.v
        shape = f"{{{n}, {v([o.needed.h for o in ots])}, {v([o.needed.w for o in ots])}, {c}, 0}}"
        before = f"{{0, {v([o.pad_top for o in ots])}, {v([o.pad_left for o in ots])}, {pairs[3][0]}, 0}}"
        after = (f"{{0, {v([o.out.h - o.needed.h - o.pad_top for o in ots])}, "
                 f"{v([o.out.w - o.needed.w - o.pad_left for o in ots])}, {pairs[3][1]}, 0}}")
        params = self.ctx.struct("te_pad_params", rank=4, input_shape=shape, before=before, after=after)
        self.call("te_pad_s8", params, x_ptr, f"(int8_t){value}", self.buf(f"t{y}"))

    def emit_elementwise(self, op: Op) -> None:
        """The op's own lowering on tensors of ``_SENTINEL`` elements, the count then made per tile."""
        g, ctx = self.g, self.ctx
        y = op.outputs[0]
        acts = [x for x in op.inputs if x >= 0 and not g.tensors[x].is_const]
        ptrs: dict[int, str] = {}
        for x in dict.fromkeys(acts):
            ptrs[x] = self.op_input(op, x)[0]
        ptrs[y] = self.buf(f"t{y}")
        tensors = list(g.tensors)
        for t in ptrs:
            tensors[t] = dataclasses.replace(tensors[t], shape=(1, 1, 1, _SENTINEL))
        tg = dataclasses.replace(g, tensors=tensors)
        sb = self.st.buffers.get(f"s{op.index}")
        sub = LoweringContext(tg, op, lambda i: ptrs[i] if i in ptrs else ctx.tensor_expr(i),
                              scratch_expr=f"({ctx.scratch_expr} + {sb.offset})" if sb else "NULL",
                              scratch_size=sb.size if sb else 0,
                              symbol_prefix=ctx.symbol_prefix, _used_symbols=ctx._used_symbols)
        lowering_for(op).fn(tg, op, sub)
        yt = g.tensors[y]
        outs = [o[op.index].out for o in self.st.op_tiles]
        count = self.v([r.h * r.w * yt.shape[0] * yt.shape[3] for r in outs])
        pattern = re.compile(rf"\b{_SENTINEL}\b")
        if not any(pattern.search(s) for s in sub.statements) or any(str(_SENTINEL * k) in s for s in
                                                                     sub.statements for k in (2, 4)):
            raise UnsupportedError("its lowering does not take a plain element count; cannot patch it",
                                   op.index, op.type)
        ctx.consts.extend(sub.consts)
        for s in sub.statements:
            self.body.append(pattern.sub(f"({count})", s))
