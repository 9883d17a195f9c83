"""Graph passes run before planning and lowering.

Passes never renumber tensors or ops: a fused op keeps its index and its
output tensor, and a removed op's output is simply never produced, so
op-by-op verification against the original graph still lines up.

* :func:`fuse_pad_into_conv`: a PAD/PADV2 that pads H and W with the input
  zero point, read only by a VALID CONV_2D/DEPTHWISE_CONV_2D, is folded into
  the convolution's own padding (the kernels skip out-of-image taps, which is
  reading the zero point). The padded copy never exists in SRAM.
* RESHAPE/SQUEEZE need no pass: the planner aliases them
  (:mod:`mcuflow.planner.strategies`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..graph import Graph, Op
from ..reference.conv import out_size, pad_before

CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _same_quant(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return (np.array_equal(np.asarray(a.scale, dtype=np.float32), np.asarray(b.scale, dtype=np.float32))
            and np.array_equal(np.asarray(a.zero_point), np.asarray(b.zero_point)))


def _fusable(graph: Graph, pad: Op, conv: Op) -> str | None:
    """The padding mode the conv takes on the PAD's input, or None when the fusion would change results."""
    from ..reference.shape import pad_amounts, pad_value

    x, y = graph.tensors[pad.inputs[0]], graph.tensors[pad.outputs[0]]
    if x.dtype != "int8" or y.dtype != "int8" or len(x.shape) != 4 or x.quant is None:
        return None
    if not _same_quant(x.quant, y.quant) or len(x.quant.zero_point) != 1:
        return None
    try:
        pairs = pad_amounts(graph, pad)
        value = int(pad_value(graph, pad))
    except Exception:  # noqa: BLE001 - a pad the lowering would refuse is left alone
        return None
    if value != x.quant.zp or pairs[0] != (0, 0) or pairs[3] != (0, 0):
        return None
    if conv.opt("padding", "SAME") != "VALID" or conv.inputs[0] != pad.outputs[0]:
        return None
    w = graph.tensors[conv.inputs[1]]
    out = graph.tensors[conv.outputs[0]]
    if len(w.shape) != 4 or len(out.shape) != 4:
        return None
    for d, k, s, dil in ((1, w.shape[1], conv.opt("stride_h", 1), conv.opt("dilation_h_factor", 1) or 1),
                         (2, w.shape[2], conv.opt("stride_w", 1), conv.opt("dilation_w_factor", 1) or 1)):
        n = int(x.shape[d])
        # The kernels take the top/left pad; bottom/right follows from the output size.
        if out_size("SAME", n, int(k), int(s), int(dil)) != out.shape[d]:
            return None
        if pad_before("SAME", n, int(k), int(s), int(dil)) != pairs[d][0]:
            return None
    return "SAME"


def fuse_pad_into_conv(graph: Graph) -> Graph:
    """A copy of ``graph`` with zero-point PADs folded into the VALID convs that read them."""
    consumers: dict[int, list[Op]] = {}
    for op in graph.ops:
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)
    drop: set[int] = set()
    replace: dict[int, Op] = {}
    for op in graph.ops:
        if op.type not in ("PAD", "PADV2") or op.outputs[0] in graph.outputs:
            continue
        users = consumers.get(op.outputs[0], [])
        if len(users) != 1 or users[0].type not in CONVS or users[0].index in replace:
            continue
        conv = users[0]
        mode = _fusable(graph, op, conv)
        if mode is None:
            continue
        drop.add(op.index)
        replace[conv.index] = dataclasses.replace(
            conv, inputs=[op.inputs[0]] + list(conv.inputs[1:]), options=dict(conv.options, padding=mode))
    if not drop:
        return graph
    ops = [replace.get(op.index, op) for op in graph.ops if op.index not in drop]
    return dataclasses.replace(graph, ops=ops)


PASSES = (fuse_pad_into_conv,)


def optimize(graph: Graph) -> Graph:
    """Every pass, in order."""
    for p in PASSES:
        graph = p(graph)
    return graph


def strip_float_io(graph: Graph) -> Graph:
    """``--int8-io``: drop the QUANTIZE after a float32 input and the DEQUANTIZE before a
    float32 output, so the device takes and returns the int8 tensors (as TinyEngine does).

    The int8 tensors become the graph's inputs/outputs; their quantization
    (in report.json) tells the caller how to convert. Indices are unchanged.
    """
    drop: set[int] = set()
    inputs, outputs = list(graph.inputs), list(graph.outputs)
    consumers: dict[int, list[Op]] = {}
    for op in graph.ops:
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)
    for k, t in enumerate(inputs):
        users = consumers.get(t, [])
        if graph.tensors[t].dtype == "float32" and len(users) == 1 and users[0].type == "QUANTIZE" \
                and t not in outputs:
            q = users[0].outputs[0]
            if graph.tensors[q].dtype in ("int8", "int16", "uint8"):
                inputs[k] = q
                drop.add(users[0].index)
    for k, t in enumerate(outputs):
        prod = next((op for op in graph.ops if t in op.outputs), None)
        if prod is not None and prod.type == "DEQUANTIZE" and graph.tensors[t].dtype == "float32" \
                and len(consumers.get(t, [])) == 0:
            src = prod.inputs[0]
            if not graph.tensors[src].is_const and src not in outputs:
                outputs[k] = src
                drop.add(prod.index)
    if not drop:
        return graph
    return dataclasses.replace(graph, ops=[op for op in graph.ops if op.index not in drop], inputs=inputs,
                               outputs=outputs)
