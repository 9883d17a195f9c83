"""Receptive fields: which input rows/columns an output tile of an op needs.

Heights and widths are independent, so everything here works on one axis at
a time with half-open ranges ``(start, stop)``. For a windowed op (CONV_2D,
DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D) output index ``o`` reads input
indices ``o * stride - pad_before + k * dilation`` for ``k < kernel``, where
``pad_before`` is TFLite's top/left padding (SAME's odd extra row goes to the
bottom/right: it follows from the output size, so it never appears here).

A tile's window is clipped to the image. What the clip removes *before* the
image is the padding the kernel must apply to the tile (``pad``); what it
removes after the image the kernel skips by itself, since the tile's input
ends exactly where the image does. A tile inside the image gets no padding:
padding only at true image borders.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedError
from ..graph import Graph, Op
from ..reference.conv import conv_geometry
from ..reference.pool import pool_params
from ..reference.shape import pad_amounts

Range = tuple[int, int]  # half-open [start, stop)

WINDOW_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
#: Ops whose output element depends only on the same element of each input.
ELEMENTWISE_OPS = ("ADD", "RELU", "RELU6", "RELU_N1_TO_1", "HARD_SWISH", "LOGISTIC", "QUANTIZE", "TANH")
PATCHABLE_OPS = WINDOW_OPS + ("PAD",) + ELEMENTWISE_OPS


@dataclass(frozen=True)
class AxisWindow:
    """How one op maps output indices to input indices along one spatial axis."""

    stride: int = 1
    kernel: int = 1  # effective extent: (k - 1) * dilation + 1
    pad_before: int = 0  # image padding before index 0 (TFLite top/left)
    in_size: int = 0
    is_pad_op: bool = False  # PAD: output o is input o - pad_before, or the fill value

    def needed(self, out: Range) -> tuple[Range, int]:
        """(input range an output range reads, padding the tile's kernel applies before it)."""
        o0, o1 = out
        if o1 <= o0:
            raise ValueError(f"empty output range {out}")
        if self.is_pad_op:
            i0 = min(max(o0 - self.pad_before, 0), self.in_size)
            i1 = min(max(o1 - self.pad_before, 0), self.in_size)
            before = min(max(self.pad_before - o0, 0), o1 - o0)
            return (i0, i1), before
        start = o0 * self.stride - self.pad_before
        stop = (o1 - 1) * self.stride - self.pad_before + self.kernel
        i0, i1 = max(start, 0), min(stop, self.in_size)
        return (i0, i1), i0 - start


def axis_windows(graph: Graph, op: Op) -> tuple[AxisWindow, AxisWindow]:
    """(height, width) windows of a patchable op; raises UnsupportedError for others."""
    if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        g = conv_geometry(graph, op)
        x = graph.tensors[op.inputs[0]]
        return (AxisWindow(g.stride_h, (g.kernel_h - 1) * g.dilation_h + 1, g.pad_h, x.shape[1]),
                AxisWindow(g.stride_w, (g.kernel_w - 1) * g.dilation_w + 1, g.pad_w, x.shape[2]))
    if op.type in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        p = pool_params(graph, op)
        return (AxisWindow(p.stride_h, p.filter_h, p.pad_h, p.in_h),
                AxisWindow(p.stride_w, p.filter_w, p.pad_w, p.in_w))
    if op.type == "PAD":
        pairs = pad_amounts(graph, op)
        x = graph.tensors[op.inputs[0]]
        if len(pairs) != 4 or pairs[0] != (0, 0):
            raise UnsupportedError("patches need a 4-D PAD that does not pad the batch", op.index, op.type)
        return (AxisWindow(pad_before=pairs[1][0], in_size=x.shape[1], is_pad_op=True),
                AxisWindow(pad_before=pairs[2][0], in_size=x.shape[2], is_pad_op=True))
    if op.type in ELEMENTWISE_OPS:
        x = graph.tensors[op.inputs[0]]
        return AxisWindow(in_size=x.shape[1]), AxisWindow(in_size=x.shape[2])
    raise UnsupportedError("operator cannot run patch by patch", op.index, op.type)


@dataclass(frozen=True)
class Rect:
    """A block of rows [r0, r1) and columns [c0, c1) of a feature map."""

    r0: int
    r1: int
    c0: int
    c1: int

    @property
    def h(self) -> int:
        return self.r1 - self.r0

    @property
    def w(self) -> int:
        return self.c1 - self.c0

    @property
    def empty(self) -> bool:
        return self.h <= 0 or self.w <= 0

    def hull(self, other: Rect | None) -> Rect:
        if other is None:
            return self
        return Rect(min(self.r0, other.r0), max(self.r1, other.r1), min(self.c0, other.c0), max(self.c1, other.c1))


@dataclass(frozen=True)
class OpTile:
    """One op on one tile: output block, the input block it reads, the tile's kernel padding."""

    out: Rect
    needed: Rect  # of every non-constant input (element-wise: equal to ``out``)
    pad_top: int
    pad_left: int


def op_tile(graph: Graph, op: Op, out: Rect, windows: dict | None = None) -> OpTile:
    """The input block and tile padding an output block of ``op`` needs (``windows``: a cache)."""
    if windows is None:
        windows = {}
    if op.index not in windows:
        windows[op.index] = axis_windows(graph, op)
    wh, ww = windows[op.index]
    (r0, r1), pt = wh.needed((out.r0, out.r1))
    (c0, c1), pl = ww.needed((out.c0, out.c1))
    return OpTile(out, Rect(r0, r1, c0, c1), pt, pl)


def stage_tiles(graph: Graph, ops: list[Op], out_tensor: int, tile: Rect,
                windows: dict | None = None) -> tuple[dict[int, Rect], dict[int, OpTile]]:
    """Backward pass over a stage for one output tile of ``out_tensor``.

    Returns (tensor -> block of it the tile needs, op index -> its OpTile).
    A tensor read by several ops of the stage gets the hull of their needs;
    each op computes its output's whole block.
    """
    need: dict[int, Rect] = {out_tensor: tile}
    tiles: dict[int, OpTile] = {}
    for op in reversed(ops):
        y = op.outputs[0]
        if y not in need:
            raise UnsupportedError("output is not used by the patched stage", op.index, op.type)
        ot = op_tile(graph, op, need[y], windows)
        if ot.needed.empty:  # e.g. a tile of a PAD's output that is all padding
            raise UnsupportedError("a tile of its output reads no input (all padding); use fewer tiles",
                                   op.index, op.type)
        tiles[op.index] = ot
        for x in op.inputs:
            if x >= 0 and not graph.tensors[x].is_const:
                need[x] = ot.needed.hull(need.get(x))
    return need, tiles


def split_even(size: int, parts: int) -> list[Range]:
    """``size`` indices in ``parts`` contiguous ranges differing by at most one (larger first)."""
    base, extra = divmod(size, parts)
    out, start = [], 0
    for k in range(parts):
        n = base + (1 if k < extra else 0)
        out.append((start, start + n))
        start += n
    return out
