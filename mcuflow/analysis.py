"""Static figures of a graph: MACs and parameter/flash bytes per op."""

from __future__ import annotations

from .graph import Graph, Op


def op_macs(graph: Graph, op: Op) -> int:
    """Multiply-accumulates of one op (0 for ops that do not multiply weights)."""
    ins = graph.op_inputs(op)
    out = graph.tensors[op.outputs[0]] if op.outputs else None
    if op.type == "CONV_2D" and ins[1] is not None:
        _, kh, kw, cin = ins[1].shape
        return out.size * kh * kw * cin
    if op.type == "DEPTHWISE_CONV_2D" and ins[1] is not None:
        _, kh, kw, _ = ins[1].shape
        return out.size * kh * kw
    if op.type == "FULLY_CONNECTED" and ins[1] is not None:
        return out.size * ins[1].shape[-1]
    return 0


def graph_macs(graph: Graph) -> int:
    return sum(op_macs(graph, op) for op in graph.ops)


def const_tensors(graph: Graph) -> list[int]:
    used = {i for op in graph.ops for i in op.inputs if i >= 0}
    return [t.index for t in graph.tensors if t.is_const and t.index in used]


def param_count(graph: Graph) -> int:
    return int(sum(graph.tensors[i].size for i in const_tensors(graph)))


def const_bytes(graph: Graph) -> int:
    return int(sum(graph.tensors[i].nbytes for i in const_tensors(graph)))


def shape_str(shape) -> str:
    return "x".join(str(int(d)) for d in shape) if len(shape) else "scalar"


def summarize(graph: Graph) -> dict:
    rows = []
    for op in graph.ops:
        outs = graph.op_outputs(op)
        rows.append({
            "index": op.index,
            "type": op.type,
            "output": outs[0].name if outs else "",
            "output_shape": [int(d) for d in outs[0].shape] if outs else [],
            "macs": op_macs(graph, op),
            "params": int(sum(graph.tensors[i].size for i in op.inputs if i >= 0 and graph.tensors[i].is_const)),
        })
    return {
        "name": graph.name,
        "ops": len(graph.ops),
        "tensors": len(graph.tensors),
        "macs": int(sum(r["macs"] for r in rows)),
        "params": param_count(graph),
        "const_bytes": const_bytes(graph),
        "tensor_table": [_tinfo(graph, t.index) for t in graph.tensors],
        "inputs": [_tinfo(graph, i) for i in graph.inputs],
        "outputs": [_tinfo(graph, i) for i in graph.outputs],
        "layers": rows,
    }


def _tinfo(graph: Graph, i: int) -> dict:
    t = graph.tensors[i]
    d = {"index": t.index, "name": t.name, "shape": [int(x) for x in t.shape], "dtype": t.dtype,
         "bytes": t.nbytes, "const": t.is_const}
    if t.quant is not None:
        d["scale"] = float(t.quant.s)
        d["zero_point"] = int(t.quant.zp)
        d["per_channel"] = bool(t.quant.per_channel)
    return d


