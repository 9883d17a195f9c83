"""Partial overlap: an op's output written partly over its dying input.

Some kernels read their input and write their output front to back, one
*unit* at a time (a pixel of a 1x1 convolution, an element of QUANTIZE or
DEQUANTIZE), so the output may start below the input and run over the part
of it already consumed. The kernels promise (``te_conv.h``:
``TE_POINTWISE_PIXELS_IN_FLIGHT``; ``te_elementwise.h``:
``TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT``) to overwrite no input byte before its
last read wherever a kernel that works on groups of at most ``G``
consecutive units in increasing order, and never reads a unit of an earlier
group again, would not (nothing is assumed about the order of reads and
writes inside a group). A faster kernel may take other orders where they
overwrite nothing still needed: the bound below is the contract, not the
loop.

So when any byte of output unit ``p`` is written, input units ``p - G + 1``
and later may still be read (``p`` and before are complete: its group
started at ``p - G + 1`` or later). With the input at byte ``I``, the
output at ``O``, ``a`` input and ``b`` output bytes per unit and ``P``
units, output unit ``p`` (bytes ``O + p*b .. O + (p+1)*b``) must end before
the first unit still to be read::

    O + (p + 1) * b <= I + max(p - G + 1, 0) * a      for every p in [0, P)

The right side minus the left is piecewise linear in ``p``, so the least
safe distance ``I - O`` is its value at one of the two corners::

    I - O >= max(min(G, P) * b, P * b - max(P - G, 0) * a)

An expanding op (``b > a``: a 1x1 expand conv, DEQUANTIZE int8 -> float)
then has its input at the tail of its output, sticking out by ``G`` input
units; a shrinking one (project conv, QUANTIZE float -> int8) writes its
output at the head of its input, starting ``G`` output units below it.
Either way the pair needs ``max(out, I - O + in)`` bytes instead of
``out + in``. The planner keeps ``I - O`` at this bound rounded up to the
arena alignment (:func:`overlap_distance`); :func:`check_overlaps` re-checks
a finished plan against the inequality itself.

Any other CONV_2D (kernel KxK, stride, padding, dilation: the first 3x3
stride-2 layer of most vision models, 1x1 stride-2 shortcuts) keeps the same
promise about its output pixels (``te_conv.h``:
``TE_CONV_PIXELS_IN_FLIGHT``), but what it still has to read is no longer a
linear function of the pixel: output pixel ``q`` reads its window, whose
lowest byte is ``lo(q)`` (first tap row and column inside the image). When
output pixel ``p`` is written, pixels ``p - G + 1`` and later may still read,
so everything from ``M(p) = min(lo(q) for q >= p - G + 1)`` up is live and::

    O + (p + 1) * b <= I + M(p)      for every p

which :func:`conv_still_read` and :func:`least_distance` evaluate pixel by
pixel (NumPy; a few microseconds per thousand pixels, cheap enough for the
NAS memory checks). The linear case above is ``lo(q) = q * a``. A stride-2
3x3 conv writes 64x64x8 from 128x128x3 at a distance of 144 bytes: the pair
takes 49,296 bytes instead of 81,920.
"""

from __future__ import annotations

import numpy as np

from ..graph import Graph, Op
from .plan import align

#: groups of output pixels a 1x1 stride-1 CONV_2D kernel works on (te_conv.h)
POINTWISE_PIXELS_IN_FLIGHT = 2
#: groups of output pixels any other CONV_2D kernel works on (te_conv.h)
CONV_PIXELS_IN_FLIGHT = 2
#: groups of elements QUANTIZE / DEQUANTIZE kernels work on (te_elementwise.h)
ELEMENTWISE_ELEMENTS_IN_FLIGHT = 1
#: output pixels beyond which a general CONV_2D is not checked pixel by pixel: the largest maps of
#: MCU models have ~16K pixels, and a malformed model with a batch of millions would spend seconds
#: here only to be refused later for not fitting (it plans without the overlap instead)
MAX_CHECKED_PIXELS = 1 << 20


def min_distance(units: int, in_unit: int, out_unit: int, in_flight: int) -> int:
    """Least ``input offset - output offset`` (bytes) for which no unit still to be read is overwritten."""
    if units <= 0:
        return 0
    g = max(1, in_flight)
    return max(min(g, units) * out_unit, units * out_unit - max(units - g, 0) * in_unit)


def is_safe(distance: int, units: int, in_unit: int, out_unit: int, in_flight: int) -> bool:
    """The inequality itself, unit by unit (tests check :func:`min_distance` against it)."""
    g = max(1, in_flight)
    p = np.arange(units, dtype=np.int64)
    return bool(np.all((p + 1) * out_unit <= distance + np.maximum(p - g + 1, 0) * in_unit))


def least_distance(still_read: np.ndarray, out_unit: int) -> int:
    """Least ``I - O`` with ``(p + 1) * out_unit <= I - O + still_read[p]`` for every unit p (never below 0)."""
    if still_read.size == 0:
        return 0
    p = np.arange(1, still_read.size + 1, dtype=np.int64)
    return max(0, int(np.max(p * out_unit - still_read)))


def is_safe_general(distance: int, still_read: np.ndarray, out_unit: int) -> bool:
    p = np.arange(1, still_read.size + 1, dtype=np.int64)
    return bool(np.all(p * out_unit <= distance + still_read))


#: ``still_read`` entry of a unit after which nothing is read any more
_NOTHING = np.iinfo(np.int64).max // 4


def _first_tap(origin: np.ndarray, dilation: int, size: int, k: int) -> np.ndarray:
    """Per output position, the first input coordinate its window reads inside [0, size), or -1 for none."""
    first_k = np.where(origin >= 0, 0, (-origin + dilation - 1) // dilation)
    coord = origin + first_k * dilation
    return np.where((first_k < k) & (coord < size), coord, -1)


def conv_still_read(graph: Graph, op: Op, in_flight: int = CONV_PIXELS_IN_FLIGHT) -> np.ndarray | None:
    """``M(p)`` in bytes for every output pixel of a CONV_2D (module docstring), or None when not a plain
    int8 NHWC conv with constant weights."""
    from ..reference.conv import conv_geometry

    if len(op.inputs) < 2 or op.inputs[1] < 0 or len(op.outputs) != 1:
        return None
    x, w, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if x.dtype != "int8" or y.dtype != "int8" or len(x.shape) != 4 or len(y.shape) != 4 or len(w.shape) != 4:
        return None
    if any(i >= 0 and not graph.tensors[i].is_const for i in op.inputs[1:]):
        return None
    try:
        g = conv_geometry(graph, op)
    except Exception:  # noqa: BLE001 - a conv the lowering refuses gets no overlap
        return None
    n, h, wd, c = (int(d) for d in x.shape)
    if n * g.out_h * g.out_w > MAX_CHECKED_PIXELS:
        return None
    ys = _first_tap(np.arange(g.out_h, dtype=np.int64) * g.stride_h - g.pad_h, g.dilation_h, h, g.kernel_h)
    xs = _first_tap(np.arange(g.out_w, dtype=np.int64) * g.stride_w - g.pad_w, g.dilation_w, wd, g.kernel_w)
    lo = (ys[:, None] * wd + xs[None, :]) * c
    lo = np.where((ys[:, None] < 0) | (xs[None, :] < 0), _NOTHING, lo).reshape(-1)
    lo = (np.arange(n, dtype=np.int64)[:, None] * (h * wd * c) + lo[None, :]).reshape(-1)
    # suffix minimum: the lowest byte any later pixel still reads
    suffix = np.minimum.accumulate(lo[::-1])[::-1]
    shift = max(1, in_flight) - 1
    return np.concatenate([np.full(min(shift, suffix.size), suffix[0]), suffix[: suffix.size - shift]])


def pointwise_units(graph: Graph, op: Op) -> tuple[int, int, int, int] | None:
    """(units, input bytes per unit, output bytes per unit, units in flight) of an op that may
    write its output over its dying input, or None."""
    if not op.inputs or len(op.outputs) != 1 or op.inputs[0] < 0:
        return None
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.is_const:
        return None
    if op.type == "CONV_2D":
        return _conv1x1_units(graph, op)
    if op.type == "QUANTIZE" and x.dtype == "float32" and y.dtype == "int8" and x.size == y.size:
        return x.size, 4, 1, ELEMENTWISE_ELEMENTS_IN_FLIGHT
    if op.type == "DEQUANTIZE" and x.dtype == "int8" and y.dtype == "float32" and x.size == y.size:
        return x.size, 1, 4, ELEMENTWISE_ELEMENTS_IN_FLIGHT
    return None


def _conv1x1_units(graph: Graph, op: Op) -> tuple[int, int, int, int] | None:
    if len(op.inputs) < 2 or op.inputs[1] < 0:
        return None
    x, w, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if x.dtype != "int8" or y.dtype != "int8" or len(x.shape) != 4 or len(y.shape) != 4 or len(w.shape) != 4:
        return None
    if tuple(w.shape[1:3]) != (1, 1) or w.shape[3] != x.shape[3] or w.shape[0] != y.shape[3]:
        return None  # not 1x1, or grouped
    if tuple(x.shape[:3]) != tuple(y.shape[:3]):
        return None
    if any(int(op.opt(k, 1) or 1) != 1 for k in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor")):
        return None
    if any(i >= 0 and not graph.tensors[i].is_const for i in op.inputs[1:]):
        return None
    n, h, wd, c = (int(d) for d in x.shape)
    return n * h * wd, c, int(y.shape[3]), POINTWISE_PIXELS_IN_FLIGHT


def _least_safe_distance(graph: Graph, op: Op) -> int | None:
    u = pointwise_units(graph, op)
    if u is not None:
        return min_distance(*u)
    if op.type == "CONV_2D" and op.inputs and op.inputs[0] >= 0 and not graph.tensors[op.inputs[0]].is_const:
        m = conv_still_read(graph, op)
        if m is not None:
            return least_distance(m, int(graph.tensors[op.outputs[0]].shape[3]))
    return None


def _safe_at(graph: Graph, op: Op, distance: int) -> bool:
    u = pointwise_units(graph, op)
    if u is not None:
        return is_safe(distance, *u)
    if op.type == "CONV_2D":
        m = conv_still_read(graph, op)
        return m is not None and is_safe_general(distance, m, int(graph.tensors[op.outputs[0]].shape[3]))
    return False


def overlap_scratch(graph: Graph, op: Op) -> int:
    """Scratch bytes the kernel needs when its output overlaps its input: a pointwise conv copies the
    input pixels of the group in flight aside first (te_conv.h); the element-wise kernels need none."""
    if op.type == "CONV_2D" and pointwise_units(graph, op) is not None:
        return POINTWISE_PIXELS_IN_FLIGHT * int(graph.tensors[op.inputs[0]].shape[-1])
    return 0  # other convs read their input through the im2col rows they already have, or directly


def overlap_distance(graph: Graph, op: Op) -> int | None:
    """Aligned ``input offset - output offset`` for writing ``op``'s output over its dying input,
    or None when the op cannot, or when overlapping saves nothing."""
    d = _least_safe_distance(graph, op)
    if d is None:
        return None
    d = align(d)
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    xs, ys = align(x.nbytes), align(y.nbytes)
    if max(ys, d + xs) >= xs + ys:
        return None
    return d


def check_overlaps(graph: Graph, plan) -> None:
    """Raise if an op's input and output share bytes without a reason the kernels allow.

    Allowed: the same address where the plan says in place (aliases, in-place
    kernels, in-place depthwise), or a partial overlap at a distance that
    satisfies the kernel's in-flight inequality. Anything else is a planner bug.
    """
    for op in graph.ops:
        for t_out in op.outputs:
            if t_out < 0 or t_out not in plan.tensor_buffer:
                continue
            o = plan.tensor_offset(t_out)
            ob = graph.tensors[t_out].nbytes
            for t_in in op.inputs:
                if t_in < 0 or graph.tensors[t_in].is_const or t_in not in plan.tensor_buffer or t_in == t_out:
                    continue
                i = plan.tensor_offset(t_in)
                ib = graph.tensors[t_in].nbytes
                if not (i < o + ob and o < i + ib):
                    continue
                if i == o and plan.inplace.get(op.index) is not None:
                    continue
                ov = plan.overlaps.get(op.index)
                if ov is not None and ov[0] == t_in and ov[1] == t_out:
                    if _safe_at(graph, op, i - o):
                        continue
                raise AssertionError(f"op {op.index} ({op.type}): output tensor {t_out} at {o} overlaps "
                                     f"input tensor {t_in} at {i} unsafely")
