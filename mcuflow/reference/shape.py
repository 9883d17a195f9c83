"""Reference kernels for data-movement operators, as TF Lite Micro runs them.

None of these ops does arithmetic on the values: TFLM moves bytes. In
particular, for int8 it never requantizes:

- CONCATENATION copies bytes. For int8 TFLM's Prepare requires every input's
  scale (as float32) and zero point to equal the output's (desktop TFLite
  would rescale instead); models that break this are refused, as TFLM refuses
  them. Any fused activation other than NONE is refused too.
- PAD fills with the output zero point (int8) or 0 (other types); PADV2 with
  its scalar constant, taken as raw stored value.
- RESHAPE / SQUEEZE / TRANSPOSE / RESIZE_NEAREST_NEIGHBOR copy values.

The helpers that turn an op into concrete numbers (paddings, permutation, the
nearest-neighbour source indices...) live here and are shared with the
lowering (``mcuflow/codegen/lower_shape.py``), so the C and the reference
cannot disagree on them.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..graph import Graph, Op
from . import kernel

#: Highest rank TFLM's PAD and TRANSPOSE accept.
MAX_RANK = 5
#: Highest rank TFLM's CONCATENATION accepts.
CONCAT_MAX_RANK = 4
#: TFLM's CONCATENATION takes at most this many inputs.
CONCAT_MAX_INPUTS = 10


def _unsupported(op: Op, what: str) -> UnsupportedError:
    return UnsupportedError(what, op.index, op.type)


def _const_data(graph: Graph, op: Op, k: int, what: str) -> np.ndarray:
    if k >= len(op.inputs) or op.inputs[k] < 0:
        raise _unsupported(op, f"missing {what} tensor")
    t = graph.tensors[op.inputs[k]]
    if t.data is None:
        raise _unsupported(op, f"non-constant {what} tensor is not supported")
    return np.asarray(t.data)


# -- PAD / PADV2 ---------------------------------------------------------------


def pad_amounts(graph: Graph, op: Op) -> list[tuple[int, int]]:
    """Per-dimension (before, after) paddings of a PAD/PADV2, checked against the shapes."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    p = _const_data(graph, op, 1, "paddings")
    if p.dtype not in (np.int32, np.int64):
        raise _unsupported(op, f"paddings of type {p.dtype} (only int32/int64)")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise _unsupported(op, f"rank {rank} input (TFLM pads at most {MAX_RANK}-D)")
    if p.size != 2 * rank or len(y.shape) != rank:
        raise _unsupported(op, f"paddings of shape {p.shape} for a rank-{rank} input")
    pairs = [(int(a), int(b)) for a, b in p.reshape(rank, 2).tolist()]
    for d, (a, b) in enumerate(pairs):
        if a < 0 or b < 0:
            raise _unsupported(op, f"negative padding {a, b} on dimension {d}")
        if x.shape[d] + a + b != y.shape[d]:
            raise _unsupported(op, f"output dimension {d} is {y.shape[d]}, paddings give {x.shape[d] + a + b}")
    return pairs


def pad_value(graph: Graph, op: Op):
    """The fill value of a PAD/PADV2 as a scalar of the output dtype (raw stored value)."""
    y = graph.tensors[op.outputs[0]]
    if op.type == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        c = _const_data(graph, op, 2, "constant_values")
        if c.size != 1:
            raise _unsupported(op, "constant_values must be a scalar")
        if str(c.dtype) != y.dtype:
            raise _unsupported(op, f"constant_values of type {c.dtype} for a {y.dtype} tensor")
        ct = graph.tensors[op.inputs[2]]
        if y.dtype == "int8" and ct.quant is not None and y.quant is not None:
            if ct.quant.zp != y.quant.zp or np.float32(ct.quant.s) != np.float32(y.quant.s):
                raise _unsupported(op, "constant_values quantization differs from the output's")
        return np.asarray(c).reshape(-1)[0]
    if y.dtype == "int8":
        zp = y.quant.zp if y.quant is not None else 0
        if not -128 <= zp <= 127:
            raise _unsupported(op, f"output zero point {zp} outside int8")
        return np.int8(zp)
    return np.zeros((), dtype=y.dtype)[()]


@kernel("PAD", "PADV2")
def pad(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    x = np.asarray(inputs[0])
    y = graph.tensors[op.outputs[0]]
    if str(x.dtype) != y.dtype:
        raise _unsupported(op, f"input {x.dtype} and output {y.dtype} types differ")
    pairs = pad_amounts(graph, op)
    out = np.full(y.shape, pad_value(graph, op), dtype=y.dtype)
    out[tuple(slice(a, a + n) for (a, _), n in zip(pairs, x.shape))] = x
    return [out]


# -- RESHAPE / SQUEEZE -----------------------------------------------------------


def check_same_size(graph: Graph, op: Op) -> None:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if x.size != y.size or x.dtype != y.dtype:
        raise _unsupported(op, f"{x.dtype}{list(x.shape)} cannot become {y.dtype}{list(y.shape)}")


@kernel("RESHAPE", "SQUEEZE")
def reshape(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    check_same_size(graph, op)
    y = graph.tensors[op.outputs[0]]
    return [np.asarray(inputs[0]).reshape(y.shape).copy()]


# -- TRANSPOSE -----------------------------------------------------------------


def transpose_perm(graph: Graph, op: Op) -> list[int]:
    """The permutation of a TRANSPOSE: output dimension ``i`` is input dimension ``perm[i]``."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    perm = [int(v) for v in _const_data(graph, op, 1, "perm").reshape(-1).tolist()]
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise _unsupported(op, f"rank {rank} input (TFLM transposes at most {MAX_RANK}-D)")
    if sorted(perm) != list(range(rank)):
        raise _unsupported(op, f"perm {perm} is not a permutation of {rank} dimensions")
    if tuple(x.shape[p] for p in perm) != tuple(y.shape):
        raise _unsupported(op, f"perm {perm} of {list(x.shape)} does not give {list(y.shape)}")
    return perm


@kernel("TRANSPOSE")
def transpose(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    perm = transpose_perm(graph, op)
    return [np.ascontiguousarray(np.transpose(np.asarray(inputs[0]), perm))]


# -- CONCATENATION -----------------------------------------------------------------


def concat_axis(graph: Graph, op: Op) -> int:
    """The non-negative concatenation axis, after every check TFLM's Prepare makes."""
    y = graph.tensors[op.outputs[0]]
    xs = [graph.tensors[i] for i in op.inputs]
    rank = len(y.shape)
    act = op.opt("fused_activation_function", "NONE")
    if act != "NONE":
        raise _unsupported(op, f"fused activation {act} (TFLM's CONCATENATION accepts only NONE)")
    if not xs or len(xs) > CONCAT_MAX_INPUTS:
        raise _unsupported(op, f"{len(xs)} inputs (TFLM accepts 1 to {CONCAT_MAX_INPUTS})")
    if rank > CONCAT_MAX_RANK:
        raise _unsupported(op, f"rank {rank} (TFLM concatenates at most {CONCAT_MAX_RANK}-D)")
    axis = int(op.opt("axis", 0))
    if axis < 0:
        axis += rank
    if not 0 <= axis < max(rank, 1):
        raise _unsupported(op, f"axis {op.opt('axis')} for rank {rank}")
    for t in xs:
        if t.dtype != y.dtype:
            raise _unsupported(op, f"input {t.name} is {t.dtype}, output is {y.dtype}")
        if len(t.shape) != rank or any(a != b for d, (a, b) in enumerate(zip(t.shape, y.shape)) if d != axis):
            raise _unsupported(op, f"input shape {list(t.shape)} does not fit output {list(y.shape)} on axis {axis}")
        if y.dtype in ("int8", "int16") and t.quant is not None and y.quant is not None:
            if t.quant.zp != y.quant.zp or np.float32(t.quant.s) != np.float32(y.quant.s):
                raise _unsupported(
                    op,
                    f"input {t.name} quantization (scale {t.quant.s:g}, zero point {t.quant.zp}) differs from the "
                    f"output's (scale {y.quant.s:g}, zero point {y.quant.zp}); TFLM requires them equal",
                )
    if sum(t.shape[axis] for t in xs) != y.shape[axis]:
        raise _unsupported(op, "input sizes along the axis do not add up to the output's")
    return axis


@kernel("CONCATENATION")
def concatenation(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    axis = concat_axis(graph, op)
    y = graph.tensors[op.outputs[0]]
    return [np.concatenate([np.asarray(x) for x in inputs], axis=axis).astype(y.dtype, copy=False)]


# -- RESIZE_NEAREST_NEIGHBOR -----------------------------------------------------------


def nearest_source_index(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """Source index of every output row (or column), exactly as TFLM computes it.

    TFLM works in float32: ``scale`` is a float32 quotient, the position is
    ``(i + offset) * scale`` in float32, then floor (or ``round`` half away from
    zero when ``align_corners``), clamped to ``in_size - 1`` (and to 0 with
    half-pixel centers).
    """
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    pos = (np.arange(out_size, dtype=np.float32) + offset) * scale  # float32 ops, as in C
    pos64 = pos.astype(np.float64)
    if align_corners:
        # std::round on a non-negative float: half away from zero; exact in float64.
        idx = np.floor(pos64 + 0.5)
    else:
        idx = np.floor(pos64)
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    if half_pixel_centers:
        idx = np.maximum(idx, 0)
    return idx.astype(np.int32)


def resize_nearest_maps(graph: Graph, op: Op) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) source-index maps of a RESIZE_NEAREST_NEIGHBOR, after TFLM's checks."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise _unsupported(op, "input and output must be 4-D (TFLM)")
    size = _const_data(graph, op, 1, "size")
    if size.dtype != np.int32 or size.shape != (2,):
        raise _unsupported(op, f"size must be a const int32 tensor of 2 values, got {size.dtype}{list(size.shape)}")
    out_h, out_w = (int(v) for v in size.tolist())
    if (y.shape[0], y.shape[1], y.shape[2], y.shape[3]) != (x.shape[0], out_h, out_w, x.shape[3]):
        raise _unsupported(op, f"output shape {list(y.shape)} does not match size {[out_h, out_w]}")
    if x.dtype != y.dtype:
        raise _unsupported(op, f"input {x.dtype} and output {y.dtype} types differ")
    ac = bool(op.opt("align_corners", False))
    hp = bool(op.opt("half_pixel_centers", False))
    return (
        nearest_source_index(x.shape[1], out_h, ac, hp),
        nearest_source_index(x.shape[2], out_w, ac, hp),
    )


@kernel("RESIZE_NEAREST_NEIGHBOR")
def resize_nearest_neighbor(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    rows, cols = resize_nearest_maps(graph, op)
    x = np.asarray(inputs[0])
    return [np.ascontiguousarray(x[:, rows][:, :, cols])]


# -- STRIDED_SLICE / SLICE -------------------------------------------------------------------


def _resolve_start(start: int, size: int, stride: int, masked: bool) -> int:
    if start < 0:
        start += size
    start = min(max(start, 0), size) if stride > 0 else min(max(start, -1), size - 1)
    if masked:
        start = 0 if stride > 0 else size - 1
    return start


def _resolve_stop(stop: int, size: int, stride: int, masked: bool) -> int:
    if stop < 0:
        stop += size
    stop = min(max(stop, 0), size) if stride > 0 else min(max(stop, -1), size - 1)
    if masked:
        stop = size if stride > 0 else -1
    return stop


def slice_plan(graph: Graph, op: Op) -> tuple[list[int], list[int], list[int]]:
    """(begin, stride, count) per input dimension of a SLICE or STRIDED_SLICE.

    Output element ``(i_0, ..)`` of the un-shrunk output is input element
    ``(begin[d] + i_d * stride[d])``; ``count[d]`` elements per dimension. The
    output tensor is that box with the shrunk dimensions dropped. Follows TFLM's
    index resolution (negative indices, clamping, masks) and its checks.
    """
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    rank = len(x.shape)
    if x.dtype != y.dtype:
        raise _unsupported(op, f"input {x.dtype} and output {y.dtype} types differ")
    if not 1 <= rank <= MAX_RANK:
        raise _unsupported(op, f"rank {rank} input (1 to {MAX_RANK})")
    shape = [int(s) for s in x.shape]
    if op.type == "SLICE":
        b = _const_data(graph, op, 1, "begin")
        s = _const_data(graph, op, 2, "size")
        if b.dtype != s.dtype or b.dtype not in (np.int32, np.int64) or b.size != rank or s.size != rank:
            raise _unsupported(op, f"begin/size must be int32 or int64 vectors of {rank} values")
        begin, counts = [], []
        for d, (bv, sv) in enumerate(zip(b.reshape(-1).tolist(), s.reshape(-1).tolist())):
            if not 0 <= bv <= shape[d]:
                raise _unsupported(op, f"begin {bv} outside dimension {d} of size {shape[d]}")
            n = shape[d] - bv if sv == -1 else sv
            if not 0 <= n <= shape[d] - bv:
                raise _unsupported(op, f"size {sv} from {bv} outside dimension {d} of size {shape[d]}")
            begin.append(int(bv))
            counts.append(int(n))
        if tuple(counts) != tuple(y.shape):
            raise _unsupported(op, f"output shape {list(y.shape)} is not the slice {counts}")
        return begin, [1] * rank, counts

    if rank > 4:
        raise _unsupported(op, f"rank {rank} input (TFLM's STRIDED_SLICE takes at most 4-D)")
    arrays = [_const_data(graph, op, k, name) for k, name in ((1, "begin"), (2, "end"), (3, "strides"))]
    for a, name in zip(arrays, ("begin", "end", "strides")):
        if a.dtype != np.int32 or a.size != rank:
            raise _unsupported(op, f"{name} must be an int32 vector of {rank} values")
    starts, stops, strides = (a.reshape(-1).tolist() for a in arrays)
    for key in ("ellipsis_mask", "new_axis_mask"):
        if int(op.opt(key, 0) or 0):
            raise _unsupported(op, f"{key} (TFLM ignores it)")
    if op.opt("offset", False):
        raise _unsupported(op, "offset=true (TFLM ignores it)")
    begin_mask = int(op.opt("begin_mask", 0) or 0)
    end_mask = int(op.opt("end_mask", 0) or 0)
    shrink = int(op.opt("shrink_axis_mask", 0) or 0)
    begin, counts, out_shape = [], [], []
    for d in range(rank):
        stride = int(strides[d])
        if stride == 0:
            raise _unsupported(op, f"stride 0 on dimension {d}")
        start = _resolve_start(int(starts[d]), shape[d], stride, bool(begin_mask >> d & 1))
        if shrink >> d & 1:
            if stride < 0:
                # TFLM sets end = start + 1 and then walks backwards from start: it
                # writes nothing, leaving the output undefined.
                raise _unsupported(op, f"shrink_axis on dimension {d} with negative stride {stride}")
            if not 0 <= start < shape[d]:
                raise _unsupported(op, f"shrunk index {starts[d]} outside dimension {d} of size {shape[d]}")
            stop = start + 1
        else:
            stop = _resolve_stop(int(stops[d]), shape[d], stride, bool(end_mask >> d & 1))
        n = max(0, -((start - stop) // stride)) if stride > 0 else max(0, -((stop - start) // -stride))
        begin.append(start)
        counts.append(n)
        if not shrink >> d & 1:
            out_shape.append(n)
    if tuple(out_shape) != tuple(y.shape):
        raise _unsupported(op, f"output shape {list(y.shape)} is not the slice {out_shape}")
    return begin, [int(s) for s in strides], counts


@kernel("SLICE", "STRIDED_SLICE")
def strided_slice(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    begin, stride, counts = slice_plan(graph, op)
    y = graph.tensors[op.outputs[0]]
    x = np.asarray(inputs[0])
    index = np.ix_(*[b + s * np.arange(n, dtype=np.int64) for b, s, n in zip(begin, stride, counts)])
    return [np.ascontiguousarray(x[index]).reshape(y.shape)]
