"""Patch-based inference (MCUNetV2): run the memory-heavy first stage tile by tile.

* :mod:`.rf` - receptive fields: the exact input block (and border padding)
  an output tile needs, through CONV_2D, DEPTHWISE_CONV_2D, pooling, PAD,
  ADD and element-wise activations, any kernel/stride/dilation, TFLite's
  asymmetric SAME padding.
* :mod:`.stage` - which prefix of ops forms a patchable stage, the tile
  geometry on a grid, the patch workspace layout, the patched MACs.
* :mod:`.codegen` - the ``PATCH_STAGE`` op standing for the stage and its C
  tile loop.
* here - the planner: :func:`plan_patch` picks (split layer, grid) that
  minimize the memory plan's arena under a limit on extra MACs, or checks the
  user's choice; :func:`prepare` is what ``mcuflow.codegen.render(patch=...)``
  calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis import graph_macs
from ..errors import McuflowError, UnsupportedError
from ..graph import Graph
from ..planner import MemoryPlan, plan_memory
from .codegen import STAGE_OP, patched_graph
from .stage import AUTO_GRIDS, PatchSpec, PatchStage, build_stage, parse_patch, resolve_layer, stage_splits

DEFAULT_MAX_EXTRA_MACS = 0.15
#: Candidates are first placed with this fast strategy; the best REFINE get the requested one.
SCREEN_STRATEGY = "inplace"
REFINE = 3

__all__ = [
    "DEFAULT_MAX_EXTRA_MACS",
    "STAGE_OP",
    "PatchChoice",
    "PatchSpec",
    "PatchStage",
    "format_patch",
    "format_patch_summary",
    "layer_by_layer",
    "parse_patch",
    "patch_summary",
    "patched_graph",
    "plan_patch",
    "prepare",
]


def graph_scratch(graph: Graph) -> dict[int, int]:
    """Scratch bytes per op; ops without a lowering yet count 0 (for planning figures only)."""
    from ..codegen.lowering import scratch_bytes

    out = {}
    for op in graph.ops:
        try:
            out[op.index] = scratch_bytes(graph, op)
        except McuflowError:
            out[op.index] = 0
    return out


@dataclass
class PatchChoice:
    """A patched schedule and the layer-by-layer one it replaces."""

    stage: PatchStage
    graph: Graph  # the graph with the stage as one PATCH_STAGE op
    plan: MemoryPlan  # memory plan of ``graph``
    macs: int  # whole model, patched (halo recomputation included)
    baseline_peak: int  # arena of the best layer-by-layer plan
    baseline_macs: int
    baseline_strategy: str = ""
    candidates: list[dict] = field(default_factory=list)  # what the planner tried

    @property
    def peak(self) -> int:
        return self.plan.arena_bytes

    @property
    def extra_macs(self) -> float:
        return self.macs / self.baseline_macs - 1.0 if self.baseline_macs else 0.0

    def report(self) -> dict:
        """report.json's ``patch`` entry."""
        return dict(self.stage.describe(), peak_sram_bytes=self.peak, macs=self.macs,
                    extra_macs=round(self.extra_macs, 6),
                    layer_by_layer={"peak_sram_bytes": self.baseline_peak, "macs": self.baseline_macs,
                                    "strategy": self.baseline_strategy},
                    reduction=round(self.baseline_peak / self.peak, 3) if self.peak else 0.0)


def layer_by_layer(graph: Graph, strategy: str | None = None) -> tuple[int, str]:
    """(arena, strategy) of the best layer-by-layer plan: ``strategy``, or the best registered one."""
    from ..planner import STRATEGIES

    scratch = graph_scratch(graph)
    names = [strategy] if strategy else sorted(STRATEGIES)
    best = None
    for name in names:
        arena = plan_memory(graph, scratch, name).arena_bytes
        if best is None or arena < best[0]:
            best = (arena, name)
    return best


def _evaluate(graph: Graph, stage: PatchStage, strategy: str) -> tuple[Graph, MemoryPlan, int]:
    pg = patched_graph(graph, stage)
    plan = plan_memory(pg, graph_scratch(pg), strategy)
    macs = graph_macs(pg) + stage.macs()
    return pg, plan, macs


def plan_patch(graph: Graph, spec: PatchSpec | str | None = "auto", strategy: str = "mcuflow",
               max_extra_macs: float = DEFAULT_MAX_EXTRA_MACS, baseline_strategy: str | None = None,
               require_gain: bool = True) -> PatchChoice | None:
    """Choose (or check) the split layer and grid; None when patching cannot lower the peak.

    ``spec``: ``"auto"``, ``"4x4@5"``, ``"4x4"`` (layer chosen), or a :class:`PatchSpec`.
    Auto minimizes the arena of ``strategy``'s plan of the patched graph among
    every valid split and every grid of :data:`AUTO_GRIDS` whose extra MACs stay
    within ``max_extra_macs``; ties go to fewer MACs. A fixed layer and grid is
    taken as given (no MAC limit) and must be valid.
    """
    spec = parse_patch(spec)
    if spec is None:
        return None
    base_macs = graph_macs(graph)
    base_peak, base_name = layer_by_layer(graph, baseline_strategy)
    if spec.layer is not None and not spec.auto:
        split = resolve_layer(graph, spec.layer)
        stage = build_stage(graph, split, spec.rows, spec.cols)
        pg, plan, macs = _evaluate(graph, stage, strategy)
        return PatchChoice(stage, pg, plan, macs, base_peak, base_macs, base_name)
    grids = [(spec.rows, spec.cols)] if not spec.auto else list(AUTO_GRIDS)
    splits = stage_splits(graph)
    if not splits:
        if spec.auto:
            return None
        raise UnsupportedError("no prefix of the graph can run patch by patch (it must start at a 4-D int8 "
                               "input with conv/depthwise/pool/pad/add/activation ops)")
    tried = []
    screened = []
    windows: dict = {}
    for rows, cols in grids:
        for split in splits:
            try:
                stage = build_stage(graph, split, rows, cols, windows)
            except UnsupportedError:
                continue
            stage_extra = stage.macs() - stage.layer_macs()
            extra = stage_extra / base_macs if base_macs else 0.0
            row = {"split_op": split, "grid": [rows, cols], "extra_macs": round(extra, 6)}
            tried.append(row)
            if extra > max_extra_macs:
                # A longer stage only widens every earlier op's halo: extra MACs never shrink.
                break
            # Screen with the fast placement; the requested strategy refines the best few.
            pg, plan, macs = _evaluate(graph, stage, SCREEN_STRATEGY)
            row["screen_peak_bytes"] = plan.arena_bytes
            screened.append(((plan.arena_bytes, macs), stage, row))
    screened.sort(key=lambda c: c[0])
    best = None
    for _, stage, row in screened[:REFINE]:
        pg, plan, macs = _evaluate(graph, stage, strategy)
        row["peak_sram_bytes"] = plan.arena_bytes
        key = (plan.arena_bytes, macs)
        if best is None or key < best[0]:
            best = (key, PatchChoice(stage, pg, plan, macs, base_peak, base_macs, base_name))
    if best is None:
        if spec.auto:
            return None
        raise UnsupportedError(f"no split fits a {spec.rows}x{spec.cols} grid within "
                               f"{max_extra_macs:.0%} extra MACs")
    choice = best[1]
    choice.candidates = tried
    if require_gain and spec.auto and choice.peak >= base_peak:
        return None
    return choice


def prepare(graph: Graph, patch, strategy: str = "mcuflow",
            max_extra_macs: float = DEFAULT_MAX_EXTRA_MACS) -> tuple[Graph, PatchChoice | None]:
    """(graph to generate code for, the choice) for ``render(patch=...)``; the graph itself when no patch pays."""
    if isinstance(patch, PatchChoice):
        return patch.graph, patch
    choice = plan_patch(graph, patch, strategy, max_extra_macs)
    return (choice.graph, choice) if choice else (graph, None)


def patch_summary(graph: Graph, patch="auto", strategy: str = "mcuflow",
                  max_extra_macs: float = DEFAULT_MAX_EXTRA_MACS) -> dict:
    """Peak SRAM and MACs with and without patches (``mcuflow inspect --memory``)."""
    from ..passes import optimize

    graph = optimize(graph)  # as render() does before planning
    choice = plan_patch(graph, patch, strategy, max_extra_macs, require_gain=False)
    base_peak, base_name = layer_by_layer(graph)
    out = {"layer_by_layer": {"peak_sram_bytes": base_peak, "macs": graph_macs(graph), "strategy": base_name}}
    if choice is None:
        out["patched"] = None
        out["note"] = "no prefix of this graph can run patch by patch"
        return out
    out["patched"] = choice.report()
    return out


def format_patch(p: dict) -> str:
    """One line for a report.json ``patch`` entry."""
    lbl = p["layer_by_layer"]
    return (f"patches {p['grid'][0]}x{p['grid'][1]} up to op {p['split_op']} ({p['split_tensor']}): "
            f"peak SRAM {p['peak_sram_bytes']:,} B vs {lbl['peak_sram_bytes']:,} B layer by layer "
            f"({p['reduction']:.2f}x less), {p['macs']:,} MACs vs {lbl['macs']:,} "
            f"({100 * p['extra_macs']:+.1f}%)")


def format_patch_summary(s: dict) -> str:
    """Lines for ``mcuflow inspect --memory``: peak SRAM and MACs with and without patches."""
    lbl = s["layer_by_layer"]
    head = (f"layer by layer ({lbl['strategy']}): peak SRAM {lbl['peak_sram_bytes']:,} B, {lbl['macs']:,} MACs")
    if not s.get("patched"):
        return head + f"\npatch-based: {s.get('note', 'not applicable')}"
    line = format_patch(s["patched"])
    if s["patched"]["peak_sram_bytes"] >= lbl["peak_sram_bytes"]:
        line += "; no gain, so compile --patch auto stays layer by layer"
    return head + "\n" + line
