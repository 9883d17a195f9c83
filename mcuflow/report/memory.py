"""Memory profile of a model: our plan against TF Lite Micro's, per layer.

``profile()`` plans a model with every strategy and asks TF Lite Micro (the
``tflite-micro`` package, ``print_allocations``) for its arena. TF Lite
Micro's per-layer live bytes are those of its planner's buffers: one per
tensor, no sharing, original graph (no PAD folding); its ``head`` equals our
``greedy`` arena. ``plot()`` draws the per-layer profile as MCUNet's figures
do; ``bench_memory()`` is the table of ``mcuflow bench-memory``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..graph import Graph


@dataclass
class LayerRow:
    index: int
    type: str
    output_shape: list[int]
    ours: int  # live bytes while this op runs under our plan (0: fused away)
    tflm: int  # live bytes under TF Lite Micro's planner
    inplace: bool = False
    fused: bool = False


@dataclass
class MemoryProfile:
    name: str
    strategy: str
    ours: int  # arena bytes, scratch included
    scratch: int  # largest scratch buffer (inside the arena)
    lower_bound: int
    greedy: int  # TF Lite Micro's placement on our side (same as TFLM's head)
    inplace: int  # sharing + greedy placement, no search
    tflm: dict[str, int] | None  # {"total", "head", "tail"} from TF Lite Micro, None if unavailable
    layers: list[LayerRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        return (self.ours - self.lower_bound) / self.lower_bound if self.lower_bound else 0.0

    def ratio(self, key: str = "total") -> float | None:
        """TF Lite Micro's arena / ours."""
        if not self.tflm or key not in self.tflm or not self.ours:
            return None
        return self.tflm[key] / self.ours

    def as_dict(self) -> dict:
        return {
            "model": self.name, "strategy": self.strategy, "ours": self.ours, "scratch": self.scratch,
            "lower_bound": self.lower_bound, "gap": round(self.gap, 4), "greedy": self.greedy,
            "inplace": self.inplace, "tflm": self.tflm,
            "ratio_tflm_total": _r(self.ratio("total")), "ratio_tflm_head": _r(self.ratio("head")),
            "ratio_greedy": _r(self.greedy / self.ours if self.ours else None),
            "layers": [vars(r) for r in self.layers], "notes": self.notes,
        }


def _r(x):
    return None if x is None else round(x, 3)


def _scratch(graph: Graph, notes: list[str]) -> dict[int, int]:
    from ..codegen.lowering import scratch_bytes
    from ..errors import McuflowError

    out = {}
    for op in graph.ops:
        try:
            out[op.index] = scratch_bytes(graph, op)
        except McuflowError as e:
            notes.append(f"no scratch size for op {op.index} ({op.type}): {e}")
            out[op.index] = 0
    return out


def profile(graph: Graph, model_bytes: bytes | None = None, name: str | None = None, strategy: str | None = None,
            tflm: bool = True) -> MemoryProfile:
    """Plan ``graph`` with our default strategy and the baselines; ask TF Lite Micro for its arena."""
    from ..passes import optimize
    from ..planner import DEFAULT_STRATEGY, plan_memory

    strategy = strategy or DEFAULT_STRATEGY
    notes: list[str] = []
    opt = optimize(graph)
    plan = plan_memory(opt, _scratch(opt, notes), strategy)
    scratch_orig = _scratch(graph, [])
    greedy = plan_memory(graph, scratch_orig, "greedy")
    inplace = plan_memory(opt, _scratch(opt, []), "inplace")
    tf = None
    if tflm:
        try:
            from ..oracle import tflm_arena_bytes
            from ..tflite.writer import write_model

            tf = tflm_arena_bytes(model_bytes if model_bytes is not None else write_model(graph)) or None
        except Exception as e:  # noqa: BLE001 - the comparison is optional; say why it is missing
            notes.append(f"TF Lite Micro arena unavailable: {e}")
    kept = {op.index for op in opt.ops}
    layers = []
    for op in graph.ops:
        shape = list(graph.tensors[op.outputs[0]].shape) if op.outputs else []
        fused = op.index not in kept
        layers.append(LayerRow(op.index, op.type, shape, 0 if fused else plan.step_live_bytes[op.index],
                               greedy.step_live_bytes[op.index], op.index in plan.inplace, fused))
    return MemoryProfile(name or graph.name, plan.strategy, plan.arena_bytes, plan.peak_scratch_bytes,
                         plan.lower_bound, greedy.arena_bytes, inplace.arena_bytes, tf, layers,
                         notes + plan.notes)


def format_profile(p: MemoryProfile) -> str:
    lines = [f"{'#':>4}  {'operator':<22} {'output':<16} {'ours':>10} {'TFLM':>10}"]
    for r in p.layers:
        mark = " fused" if r.fused else (" in place" if r.inplace else "")
        lines.append(f"{r.index:>4}  {r.type:<22} {'x'.join(map(str, r.output_shape)):<16} "
                     f"{r.ours:>10,} {r.tflm:>10,}{mark}")
    return "\n".join(lines + [format_summary(p)])


def format_summary(p: MemoryProfile) -> str:
    """Totals: our arena, lower bound and gap, TF Lite Micro's arena and the ratio."""
    lines = []
    lines.append(f"ours ({p.strategy}): {p.ours:,} B arena (scratch up to {p.scratch:,} B inside), "
                 f"lower bound {p.lower_bound:,} B, gap {p.gap:.1%}")
    if p.tflm:
        lines.append(f"TF Lite Micro: {p.tflm.get('total', 0):,} B arena ({p.tflm.get('head', 0):,} B tensors + "
                     f"{p.tflm.get('tail', 0):,} B persistent); ratio {p.ratio('total'):.2f}x "
                     f"(tensors only: {p.ratio('head'):.2f}x)")
    lines.append(f"greedy on our side: {p.greedy:,} B; sharing without search: {p.inplace:,} B")
    return "\n".join(lines)


def plot(p: MemoryProfile, path: str | Path) -> Path:
    """PNG of per-layer live bytes, ours vs TF Lite Micro, with both arenas marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = list(range(len(p.layers)))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.16 * len(x) + 3), 3.6), dpi=110)
    ax.bar([i - 0.2 for i in x], [r.tflm / 1024 for r in p.layers], width=0.4, label="TF Lite Micro", color="#bbbbbb")
    ax.bar([i + 0.2 for i in x], [r.ours / 1024 for r in p.layers], width=0.4, label="mcuflow", color="#d9534f")
    tf_arena = (p.tflm or {}).get("total")
    if tf_arena:
        ax.axhline(tf_arena / 1024, color="#777777", ls="--", lw=1, label=f"TFLM arena {tf_arena / 1024:.0f} kB")
    ax.axhline(p.ours / 1024, color="#d9534f", ls="--", lw=1, label=f"mcuflow arena {p.ours / 1024:.0f} kB")
    ax.set_xlabel("layer")
    ax.set_ylabel("live SRAM (kB)")
    ax.set_title(f"{p.name}: per-layer memory")
    ax.set_xticks(x[:: max(1, len(x) // 20)])
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# -- bench -----------------------------------------------------------------------


def _load(model) -> tuple[str, Graph, bytes]:
    from ..codegen import load

    if isinstance(model, str) and not model.endswith(".tflite") and not Path(model).exists():
        from ..factory import build
        from ..tflite.writer import write_model

        g = build(model)
        return model, g, write_model(g)
    g, b = load(model)
    return (Path(model).stem if isinstance(model, (str, Path)) else g.name), g, b


def bench_memory(models=None, tflm: bool = True, patch: bool = True) -> list[dict]:
    """One row per model (factory names, paths or Graphs): ours, greedy, TFLM, lower bound, ratios.

    With ``patch``, also the best patch-based schedule (peak SRAM and extra MACs).
    """
    if models is None:
        from ..factory import MODELS

        models = list(MODELS)
    rows = []
    for m in models:
        name, g, b = _load(m)
        p = profile(g, b, name=name, tflm=tflm)
        d = p.as_dict()
        d.pop("layers")
        if patch:
            from ..patch import patch_summary

            ps = patch_summary(g, "auto")
            pt = ps.get("patched")
            gain = pt is not None and pt["peak_sram_bytes"] < ps["layer_by_layer"]["peak_sram_bytes"]
            d["patch"] = {"peak_sram_bytes": pt["peak_sram_bytes"], "macs": pt["macs"],
                          "grid": pt["grid"], "split_op": pt["split_op"], "reduction": pt["reduction"],
                          "extra_macs": pt["extra_macs"],
                          "layer_by_layer_bytes": ps["layer_by_layer"]["peak_sram_bytes"]} if gain else None
        best = min(d["ours"], (d.get("patch") or {}).get("peak_sram_bytes", d["ours"]))
        total = (d.get("tflm") or {}).get("total")
        d["best"] = best
        d["ratio_tflm_best"] = total / best if total and best else None
        rows.append(d)
    return rows


def format_bench(rows: list[dict]) -> str:
    head = (f"{'model':<22} {'ours':>9} {'lower bd':>9} {'gap':>6} {'greedy':>9} {'TFLM head':>10} "
            f"{'TFLM total':>10} {'xTFLM':>6} {'xhead':>6} {'xgreedy':>7} {'best':>9} {'xTFLM best':>10}")
    out = [head, "-" * len(head)]
    for r in rows:
        tf = r["tflm"] or {}

        def f(v):
            return f"{v:.2f}" if v is not None else "-"

        out.append(f"{r['model']:<22} {r['ours']:>9,} {r['lower_bound']:>9,} {r['gap']:>6.1%} {r['greedy']:>9,} "
                   f"{tf.get('head', 0):>10,} {tf.get('total', 0):>10,} {f(r['ratio_tflm_total']):>6} "
                   f"{f(r['ratio_tflm_head']):>6} {f(r['ratio_greedy']):>7} {r.get('best', r['ours']):>9,} "
                   f"{f(r.get('ratio_tflm_best')):>10}")
    out.append("bytes; ours = arena incl. scratch, layer by layer; xTFLM = TFLM total arena / ours; xhead = TFLM "
               "tensor arena / ours;\nbest = the lower of ours and the patch-based schedule below (what `mcuflow "
               "compile --patch auto`, or `--board` when layer by layer does not fit, generates)")
    patched = [r for r in rows if r.get("patch")]
    if patched:
        out += ["", f"{'patch-based (MCUNetV2)':<22} {'layer-by-layer':>14} {'patched':>9} {'grid':>6} {'split':>6} "
                f"{'less SRAM':>9} {'extra MACs':>10}"]
        for r in patched:
            p = r["patch"]
            grid = f"{p['grid'][0]}x{p['grid'][1]}"
            out.append(f"{r['model']:<22} {p['layer_by_layer_bytes']:>14,} {p['peak_sram_bytes']:>9,} {grid:>6} "
                       f"{p['split_op']:>6} {p['reduction']:>8.2f}x {100 * p['extra_macs']:>+9.1f}%")
    return "\n".join(out)
