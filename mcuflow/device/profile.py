"""Per-layer instruction counts on the emulated boards, DSP build against the portable build.

The firmware is built with ``-DMODEL_PROFILE`` (the generated model calls
``model_profile(i)`` after every op, which reads the board counter) and, for
the comparison, a second time with ``-DTE_FORCE_PORTABLE`` (lib/TinyEngine's
plain C kernels). Under QEMU ``-icount`` both are exact instruction counts.
Layers are grouped by kind: pointwise (1x1 CONV_2D), other CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED, everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..analysis import op_macs
from ..boards import get_board

PROFILE_FLAGS = ["-DMODEL_PROFILE"]
PORTABLE_FLAGS = ["-DTE_FORCE_PORTABLE"]


@dataclass
class LayerRow:
    op: int
    type: str
    kind: str
    macs: int
    instructions: int
    portable: int | None = None

    @property
    def per_mac(self) -> float | None:
        return self.instructions / self.macs if self.macs else None

    @property
    def ratio(self) -> float | None:
        return self.portable / self.instructions if self.portable and self.instructions else None


@dataclass
class ModelProfile:
    model: str
    board: str
    instructions: int  # the invoke, DSP build (profiling hooks included)
    portable_instructions: int | None
    macs: int
    matches_reference: bool
    layers: list[LayerRow] = field(default_factory=list)

    def by_kind(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for r in self.layers:
            d = out.setdefault(r.kind, {"layers": 0, "macs": 0, "instructions": 0, "portable": 0})
            d["layers"] += 1
            d["macs"] += r.macs
            d["instructions"] += r.instructions
            d["portable"] += r.portable or 0
        for d in out.values():
            d["per_mac"] = round(d["instructions"] / d["macs"], 3) if d["macs"] else None
            d["ratio"] = round(d["portable"] / d["instructions"], 2) if d["portable"] and d["instructions"] else None
            d["share"] = round(d["instructions"] / max(1, self.instructions), 3)
        return out

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "board": self.board,
            "macs": self.macs,
            "instructions": self.instructions,
            "portable_instructions": self.portable_instructions,
            "per_mac": round(self.instructions / self.macs, 3) if self.macs else None,
            "ratio": round(self.portable_instructions / self.instructions, 2) if self.portable_instructions else None,
            "matches_reference": self.matches_reference,
            "kinds": self.by_kind(),
            "layers": [
                {"op": r.op, "type": r.type, "kind": r.kind, "macs": r.macs, "instructions": r.instructions,
                 "per_mac": round(r.per_mac, 3) if r.per_mac else None, "portable": r.portable,
                 "ratio": round(r.ratio, 2) if r.ratio else None}
                for r in self.layers
            ],
        }


def layer_kind(graph, op) -> str:
    if op.type == "CONV_2D":
        w = graph.tensors[op.inputs[1]]
        return "pointwise" if w.shape[1] == 1 and w.shape[2] == 1 else "conv"
    if op.type == "DEPTHWISE_CONV_2D":
        w = graph.tensors[op.inputs[1]]
        return f"depthwise{w.shape[1]}x{w.shape[2]}"
    if op.type == "FULLY_CONNECTED":
        return "fc"
    return "other"


def _one(model, board, flags: list[str], seed: int):
    from .harness import _load_graph, _make_inputs, build_for, reference_outputs, run_firmware

    pm, fw = build_for(model, board, extra_cflags=flags)
    if pm.graph is None:
        pm.graph = _load_graph(model)
    inputs = _make_inputs(pm, None, None, seed)  # type: ignore[arg-type]
    res = run_firmware(fw, pm, inputs, seed=seed, profile=True)
    ref = reference_outputs(pm.graph, inputs)
    ok = all(a.tobytes() == np.asarray(w).tobytes() for a, w in zip(res.outputs, ref))
    b = fw.board
    counts = [(op, b.ticks_to_instructions(t)) for op, t in res.profile]
    return pm.graph, res, counts, ok


def profile_model(model, board: str = "mps2_an500", portable: bool = True, seed: int = 0,
                  name: str | None = None) -> ModelProfile:
    """Per-layer instructions of one inference on an emulated ``board`` (and of the portable build)."""
    b = get_board(board)
    graph, res, counts, ok = _one(model, b, PROFILE_FLAGS, seed)
    port_counts = None
    port_total = None
    if portable:
        _, pres, port_counts, pok = _one(model, b, PROFILE_FLAGS + PORTABLE_FLAGS, seed)
        ok = ok and pok
        port_total = pres.instructions
    port = dict(port_counts) if port_counts else {}
    rows = []
    for op_index, n in counts:
        op = graph.ops[op_index]
        rows.append(LayerRow(op_index, op.type, layer_kind(graph, op), op_macs(graph, op), int(n), port.get(op_index)))
    label = name or getattr(model, "name", None) or str(model)
    return ModelProfile(label, b.name, int(res.instructions or 0), port_total, int(sum(r.macs for r in rows)), ok, rows)


def format_profile(p: ModelProfile, layers: bool = True) -> str:
    lines = [f"{p.model} on {p.board}: {p.instructions} instructions, {p.macs} MACs, "
             f"{p.instructions / max(1, p.macs):.3f} per MAC"
             + (f"; portable {p.portable_instructions} ({p.portable_instructions / max(1, p.instructions):.2f}x)"
                if p.portable_instructions else "")
             + ("" if p.matches_reference else "  MISMATCH")]
    if layers:
        hdr = f"{'op':>4} {'type':18} {'kind':12} {'MACs':>10} {'instr':>11} {'per MAC':>8} {'portable':>11} {'ratio':>6}"
        lines += [hdr, "-" * len(hdr)]
        for r in p.layers:
            lines.append(f"{r.op:>4} {r.type[:18]:18} {r.kind:12} {r.macs:>10} {r.instructions:>11} "
                         f"{(f'{r.per_mac:.3f}' if r.per_mac else ''):>8} {r.portable if r.portable else '':>11} "
                         f"{(f'{r.ratio:.2f}' if r.ratio else ''):>6}")
    hdr = f"{'kind':12} {'layers':>6} {'MACs':>10} {'instr':>11} {'share':>6} {'per MAC':>8} {'ratio':>6}"
    lines += ["", hdr, "-" * len(hdr)]
    for k, d in sorted(p.by_kind().items()):
        lines.append(f"{k:12} {d['layers']:>6} {d['macs']:>10} {d['instructions']:>11} {d['share']:>6.3f} "
                     f"{(d['per_mac'] if d['per_mac'] is not None else ''):>8} {(d['ratio'] or ''):>6}")
    return "\n".join(lines)
