"""The patched stage: which leading ops run tile by tile, on which grid, in which buffers.

A *stage* is a prefix ``ops[0..split]`` of the graph (file order) that reads
one 4-D int8 graph input and hands exactly one tensor (the output of its last
op) to the rest of the graph. Per tile of that output the generated code
copies the input window the tile needs into a patch buffer, runs every op of
the stage on patch buffers (halo recomputed), and copies the tile into the
full-size output; the rest of the graph then runs layer by layer.

:class:`PatchStage` holds every number the code generator emits: per tile and
per op the output block, the input block and the tile padding, and the
layout of the patch buffers inside one workspace (the stage op's scratch in
the memory plan), placed by the planner's first fit over their lifetimes
within one tile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis import op_macs
from ..errors import UnsupportedError
from ..graph import DTYPE_ITEMSIZE, Graph, Op
from ..planner.plan import ALIGN, Buffer, align, arena_of, check_placement, greedy_by_size
from .rf import ELEMENTWISE_OPS, PATCHABLE_OPS, OpTile, Rect, split_even, stage_tiles

#: Grids the automatic planner tries (rows x cols).
AUTO_GRIDS = tuple((n, n) for n in range(2, 9))


@dataclass(frozen=True)
class PatchSpec:
    """What the user asked for: a grid and the last op of the stage (None: the planner picks)."""

    rows: int = 0
    cols: int = 0
    layer: int | str | None = None
    auto: bool = False


def parse_patch(text: str | PatchSpec | None) -> PatchSpec | None:
    """``"auto"``, ``"4x4@7"`` (op index), ``"4x4@<tensor name>"`` or ``"4x4"`` (planner picks the layer)."""
    if text is None or isinstance(text, PatchSpec):
        return text
    s = str(text).strip()
    if s.lower() in ("", "none", "off"):
        return None
    if s.lower() == "auto":
        return PatchSpec(auto=True)
    grid, _, layer = s.partition("@")
    try:
        r, c = (int(v) for v in grid.lower().split("x"))
    except ValueError:
        raise UnsupportedError(f"--patch {s!r}: expected auto or NxM@LAYER (e.g. 4x4@5)") from None
    if r < 1 or c < 1 or r * c < 2:
        raise UnsupportedError(f"--patch {s!r}: the grid needs at least 2 tiles")
    lay: int | str | None = None
    if layer:
        lay = int(layer) if layer.lstrip("-").isdigit() else layer
    return PatchSpec(r, c, lay)


@dataclass
class WorkBuffer:
    """One patch-sized region of the workspace."""

    key: str  # "t<tensor>" (patch of a tensor), "w<op>_<input>" (input window), "s<op>" (op scratch)
    size: int
    first: int
    last: int
    offset: int = 0


@dataclass
class PatchStage:
    graph: Graph
    ops: list[Op]
    in_tensor: int
    out_tensor: int
    rows: int
    cols: int
    tiles: list[Rect]  # blocks of the stage output, row-major over the grid
    need: list[dict[int, Rect]]  # per tile: tensor -> block held in its patch buffer
    op_tiles: list[dict[int, OpTile]]  # per tile: op index -> its tile geometry
    windowed: set[tuple[int, int]] = field(default_factory=set)  # (op, input) read through a window copy
    buffers: dict[str, WorkBuffer] = field(default_factory=dict)
    workspace_bytes: int = 0
    _macs: int | None = field(default=None, repr=False)

    @property
    def split_op(self) -> int:
        return self.ops[-1].index

    @property
    def op_indices(self) -> list[int]:
        return [op.index for op in self.ops]

    def internal_tensors(self) -> set[int]:
        return {op.outputs[0] for op in self.ops} - {self.out_tensor}

    # -- figures ------------------------------------------------------------------
    def macs(self) -> int:
        """MACs of the stage run tile by tile (recomputed halo included)."""
        if self._macs is None:
            total = 0
            for op in self.ops:
                full = op_macs(self.graph, op)
                if full:
                    y = self.graph.tensors[op.outputs[0]]
                    px = sum(ot[op.index].out.h * ot[op.index].out.w for ot in self.op_tiles)
                    total += full * px // (y.shape[1] * y.shape[2])
            self._macs = total
        return self._macs

    def layer_macs(self) -> int:
        """MACs of the same ops run layer by layer."""
        return sum(op_macs(self.graph, op) for op in self.ops)

    def describe(self) -> dict:
        g = self.graph
        return {
            "grid": [self.rows, self.cols],
            "split_op": self.split_op,
            "split_tensor": g.tensors[self.out_tensor].name,
            "ops": self.op_indices,
            "input_tensor": self.in_tensor,
            "output_tensor": self.out_tensor,
            "tiles": len(self.tiles),
            "workspace_bytes": self.workspace_bytes,
            "stage_macs_patched": self.macs(),
            "stage_macs_layer_by_layer": self.layer_macs(),
            "max_tile": {g.tensors[t].name: [max(n[t].h for n in self.need), max(n[t].w for n in self.need)]
                         for t in [self.in_tensor] + [op.outputs[0] for op in self.ops]},
        }


# -- stage validity ---------------------------------------------------------------


def _is_4d_int8(graph: Graph, t: int) -> bool:
    x = graph.tensors[t]
    return x.dtype == "int8" and len(x.shape) == 4


def check_stage(graph: Graph, split: int) -> tuple[list[Op], int, int]:
    """(ops, input tensor, output tensor) of the stage ``ops[0..split]``; UnsupportedError says why not."""
    pos = op_position(graph, split)
    ops = graph.ops[: pos + 1]
    produced = {t for op in ops for t in op.outputs}
    ext: set[int] = set()
    batch = None
    for op in ops:
        if op.type not in PATCHABLE_OPS:
            raise UnsupportedError("operator cannot run patch by patch", op.index, op.type)
        if len(op.outputs) != 1:
            raise UnsupportedError("patches need single-output operators", op.index, op.type)
        acts = [x for x in op.inputs if x >= 0 and not graph.tensors[x].is_const]
        for t in acts + op.outputs:
            if not _is_4d_int8(graph, t):
                raise UnsupportedError(f"tensor {graph.tensors[t].name!r} is not 4-D int8", op.index, op.type)
            n = graph.tensors[t].shape[0]
            if batch is not None and n != batch:
                raise UnsupportedError("batch sizes differ inside the stage", op.index, op.type)
            batch = n
        if op.type in ELEMENTWISE_OPS:
            y = graph.tensors[op.outputs[0]]
            n_in = 2 if op.type == "ADD" else 1
            if len(acts) != n_in or any(graph.tensors[x].shape != y.shape for x in acts):
                raise UnsupportedError("element-wise op inside a patch needs same-shape activation inputs",
                                       op.index, op.type)
        elif len(acts) != 1 or acts[0] != op.inputs[0]:
            raise UnsupportedError("windowed op inside a patch needs one activation input", op.index, op.type)
        ext.update(x for x in acts if x not in produced)
    if len(ext) != 1 or next(iter(ext)) not in graph.inputs:
        raise UnsupportedError("a patched stage must read exactly one graph input")
    later = {x for op in graph.ops[pos + 1:] for x in op.inputs if x >= 0}
    escaping = {t for t in produced if t in later or t in graph.outputs}
    out = ops[-1].outputs[0]
    if escaping != {out}:
        names = ", ".join(sorted(graph.tensors[t].name for t in escaping - {out}))
        raise UnsupportedError(f"stage tensors {names or '(none)'} are used after the split; "
                               f"only the output of operator {split} may be")
    return ops, next(iter(ext)), out


def op_position(graph: Graph, index: int) -> int:
    """Position in ``graph.ops`` of the op with this index (passes may drop ops, never renumber)."""
    for k, op in enumerate(graph.ops):
        if op.index == index:
            return k
    raise UnsupportedError(f"patch layer {index} is not an operator of the graph")


def stage_splits(graph: Graph) -> list[int]:
    """Every op index that ends a valid stage."""
    ok = []
    for op in graph.ops:
        try:
            check_stage(graph, op.index)
        except UnsupportedError:
            if op.type not in PATCHABLE_OPS:
                break  # every longer prefix contains this op too
            continue
        ok.append(op.index)
    return ok


def resolve_layer(graph: Graph, layer: int | str) -> int:
    """Op index of ``layer``: an op index, or the name of the tensor an op writes."""
    if isinstance(layer, int):
        return layer if layer >= 0 else graph.ops[layer].index
    for op in graph.ops:
        if any(graph.tensors[t].name == layer for t in op.outputs):
            return op.index
    raise UnsupportedError(f"--patch: no operator writes a tensor named {layer!r}")


# -- tiling -----------------------------------------------------------------------


def build_stage(graph: Graph, split: int, rows: int, cols: int, windows: dict | None = None) -> PatchStage:
    """Tile geometry and workspace layout of the stage ending at op ``split`` on a rows x cols grid.

    ``windows`` caches each op's receptive-field windows across calls on one graph.
    """
    ops, t_in, t_out = check_stage(graph, split)
    y = graph.tensors[t_out]
    H, W = y.shape[1], y.shape[2]
    if rows > H or cols > W:
        raise UnsupportedError(f"a {rows}x{cols} grid does not fit the {H}x{W} output of operator {split}")
    tiles = [Rect(r0, r1, c0, c1) for (r0, r1) in split_even(H, rows) for (c0, c1) in split_even(W, cols)]
    need, op_tiles = [], []
    for tile in tiles:
        n, ot = stage_tiles(graph, ops, t_out, tile, windows)
        for t, rect in n.items():
            if rect.empty:
                raise UnsupportedError(f"a {rows}x{cols} grid leaves a tile with no rows of "
                                       f"{graph.tensors[t].name!r}")
        for o in ot.values():
            if o.needed.empty:
                raise UnsupportedError(f"a {rows}x{cols} grid leaves an op with an empty input window")
        need.append(n)
        op_tiles.append(ot)
    st = PatchStage(graph, ops, t_in, t_out, rows, cols, tiles, need, op_tiles)
    for op in ops:
        for x in op.inputs:
            if x >= 0 and not graph.tensors[x].is_const:
                if any(ot[op.index].needed != n[x] for ot, n in zip(op_tiles, need)):
                    st.windowed.add((op.index, x))
    _layout_workspace(st)
    return st


def _patch_bytes(graph: Graph, t: int, rects) -> int:
    x = graph.tensors[t]
    return max(r.h * r.w for r in rects) * x.shape[0] * x.shape[3] * DTYPE_ITEMSIZE[x.dtype]


def _layout_workspace(st: PatchStage) -> None:
    """Place patch buffers by their lifetimes within one tile (step 0: copy in, op k: step k + 1)."""
    from ..codegen.lowering import scratch_bytes

    g = st.graph
    n_ops = len(st.ops)
    last: dict[int, int] = {st.in_tensor: 0, st.out_tensor: n_ops + 1}
    first: dict[int, int] = {st.in_tensor: 0}
    bufs: list[WorkBuffer] = []
    for k, op in enumerate(st.ops, start=1):
        first[op.outputs[0]] = k
        last.setdefault(op.outputs[0], k)
        for x in op.inputs:
            if x >= 0 and not g.tensors[x].is_const:
                last[x] = max(last.get(x, k), k)
                if (op.index, x) in st.windowed:
                    size = _patch_bytes(g, x, [ot[op.index].needed for ot in st.op_tiles])
                    bufs.append(WorkBuffer(f"w{op.index}_{x}", align(size), k, k))
        s = scratch_bytes(g, op)
        if s > 0:
            bufs.append(WorkBuffer(f"s{op.index}", align(s), k, k))
    for t in first:
        bufs.append(WorkBuffer(f"t{t}", align(_patch_bytes(g, t, [n[t] for n in st.need])), first[t], last[t]))
    pb = [Buffer(b.key, b.size, b.first, b.last) for b in bufs]
    offsets = greedy_by_size(pb)
    check_placement(pb, offsets)
    for b in bufs:
        b.offset = offsets[b.key]
    st.buffers = {b.key: b for b in bufs}
    st.workspace_bytes = max(arena_of(pb, offsets), ALIGN)
