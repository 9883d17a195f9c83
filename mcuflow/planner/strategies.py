"""Our memory strategies: sharing decisions, placement search, execution order.

``inplace``: TF Lite Micro's greedy placement, plus buffer sharing:

* RESHAPE/SQUEEZE outputs alias their input (nothing moves);
* an op whose lowering declares ``inplace=True`` (ADD, MUL, activations...)
  writes its output over input 0 when that input dies at the op;
* DEPTHWISE_CONV_2D with depth multiplier 1 writes its output over its dying
  input channel by channel through a one-channel scratch buffer (MCUNet's
  in-place depthwise; :mod:`mcuflow.planner.inplace_dw`), scratch that lives
  only for its own step.

``mcuflow`` (the default) adds partial overlap (:mod:`mcuflow.planner.overlap`):
a 1x1 stride-1 CONV_2D, QUANTIZE float32 -> int8 or DEQUANTIZE int8 -> float32
whose input dies at the op writes its output over the part of the input
already read, at the least distance the kernels' in-flight contract allows
(an expand conv reads its input from the tail of its output, a project conv
writes at the head of its input). Such a group of tensors is one buffer of
several parts at fixed offsets, so each step counts the overlapped bytes once.
Overlaps are added from the busiest step down where they do not raise the
arena (chains of them drift apart and can pack worse), then pruned with the
in-place depthwise choices. ``mcuflow-no-overlap`` is the same without them.

Both ``mcuflow`` strategies: the same sharing, placed by a search over
placement heuristics (first fit and best fit over several buffer orderings,
then a seeded local search over the ordering when the lower bound is not yet
reached), over which depthwise ops really need to run in place (each costs a
copy), and over execution orders of branching graphs (file order and a
memory-greedy topological order), keeping the smallest arena.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from ..graph import Graph, Op
from .overlap import overlap_distance, overlap_scratch
from .plan import (
    STRATEGIES,
    Buffer,
    MemoryPlan,
    align,
    arena_of,
    build_plan,
    execution_positions,
    first_fit,
    greedy_by_size,
    make_buffers,
    step_live,
    tensor_ranges,
)

ALIAS_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


# -- sharing decisions -------------------------------------------------------------


def _lowering_inplace(op: Op) -> bool:
    from ..codegen.lowering import LOWERINGS, load_lowerings

    load_lowerings()
    low = LOWERINGS.get(op.type)
    return bool(low and low.inplace)


def depthwise_inplace_scratch(graph: Graph, op: Op) -> int:
    """Scratch bytes of an in-place depthwise conv (its row ring, or one channel: N*OH*OW), 0 if it cannot run in place."""
    if op.type != "DEPTHWISE_CONV_2D" or len(op.inputs) < 2:
        return 0
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != "int8" or y.dtype != "int8" or len(x.shape) != 4 or len(y.shape) != 4:
        return 0
    if x.shape[3] != y.shape[3] or x.shape[0] != y.shape[0] or y.nbytes > x.nbytes or x.is_const:
        return 0
    if any(i >= 0 and not graph.tensors[i].is_const for i in op.inputs[1:]):
        return 0
    from ..errors import McuflowError
    from .inplace_dw import op_scratch_bytes

    try:
        return op_scratch_bytes(graph, op)
    except McuflowError:
        return 0


@dataclass
class Sharing:
    """Which tensors share memory, and how."""

    groups: dict[int, int]  # tensor -> tensor whose buffer it shares
    inplace: dict[int, int]  # op -> the input its output overwrites
    scratch: dict[int, int]  # scratch sizes, in-place depthwise buffers added
    rel: dict[int, int] = field(default_factory=dict)  # tensor -> byte offset from groups[tensor] (0 if absent)
    overlaps: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # op -> (input, output, distance)


def decide_sharing(graph: Graph, order: list[int], scratch: dict[int, int], elementwise: bool = True,
                   depthwise: bool | set[int] = True) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """(groups, inplace, scratch) of :func:`share` without partial overlaps."""
    sh = share(graph, order, scratch, elementwise, depthwise, overlap=False)
    return sh.groups, sh.inplace, sh.scratch


def share(graph: Graph, order: list[int], scratch: dict[int, int], elementwise: bool = True,
          depthwise: bool | set[int] = True, overlap: bool | set[int] = True,
          alias_latest: bool = False) -> Sharing:
    """Which tensors share a buffer, which ops run in place, which overlap partly.

    An op may overwrite input 0 only when no tensor of that input's buffer is
    read after the op (nor is a graph output), so nothing still needed is lost.
    ``depthwise``/``overlap``: True for every op that can, or the op indices
    allowed to (in-place depthwise; partial overlap, :mod:`.overlap`).
    ``alias_latest``: an element-wise op with two dying inputs (a residual
    ADD) writes over the one produced last instead of input 0. The kernels
    allow either; which is better depends on the chain of fixed offsets each
    input already belongs to (a skip tensor tied to the block's input by
    partial overlaps makes one long rigid group), so the strategy tries both.
    """
    ranges = tensor_ranges(graph, order)
    by_index = {op.index: op for op in graph.ops}
    parent: dict[int, int] = {}
    rel: dict[int, int] = {}
    last: dict[int, int] = {t: r[1] for t, r in ranges.items()}
    size: dict[int, int] = {t: align(graph.tensors[t].nbytes) for t in ranges}
    inplace: dict[int, int] = {}
    overlaps: dict[int, tuple[int, int, int]] = {}
    scratch = dict(scratch)

    def root(t: int) -> int:
        while t in parent:
            t = parent[t]
        return t

    def join(out: int, into: int, offset: int = 0) -> None:
        # ``out`` lives ``offset`` bytes from ``into`` (which may itself sit off its root)
        r = root(into)
        parent[out] = into
        if offset:
            rel[out] = offset
        last[r] = max(last[r], last[out])
        size[r] = max(size[r], size[out])

    def allowed(flag: bool | set[int], op_index: int) -> bool:
        return flag is True or bool(flag and op_index in flag)

    outputs = set(graph.outputs)
    inputs = set(graph.inputs)
    for s, op_index in enumerate(order):
        op = by_index[op_index]
        if not op.inputs or not op.outputs or op.inputs[0] < 0 or len(op.outputs) != 1:
            continue
        t, out = op.inputs[0], op.outputs[0]
        if alias_latest and elementwise and op.type not in ALIAS_OPS and _lowering_inplace(op):
            t = _latest_dying_input(graph, op, s, ranges, root, last)
        tt, ot = graph.tensors[t], graph.tensors[out]
        if tt.is_const or out in inputs or t not in ranges or out not in ranges or root(out) != out:
            continue
        r = root(t)
        if op.type in ALIAS_OPS and _lowering_inplace(op):
            if ot.nbytes == tt.nbytes:
                join(out, t)
                inplace[op.index] = t
            continue
        others = [i for i in op.inputs if i >= 0 and i != t and not graph.tensors[i].is_const]
        if last[r] != s or any(root(i) == r and i != t for i in others):
            continue  # input still needed later (or read through another alias)
        if elementwise and _lowering_inplace(op) and op.type not in ALIAS_OPS:
            if ot.dtype == tt.dtype and ot.size == tt.size and tuple(ot.shape) == tuple(tt.shape):
                join(out, t)
                inplace[op.index] = t
            continue
        if op.type == "DEPTHWISE_CONV_2D" and allowed(depthwise, op.index):
            buf = depthwise_inplace_scratch(graph, op)
            if buf and align(ot.nbytes) <= size[r] and out not in outputs:
                join(out, t)
                inplace[op.index] = t
                scratch[op.index] = buf
            continue
        if allowed(overlap, op.index):
            d = overlap_distance(graph, op)
            if d is not None:
                join(out, t, -d)  # the output starts d bytes below its input
                inplace[op.index] = t
                overlaps[op.index] = (t, out, d)
                scratch[op.index] = max(scratch.get(op.index, 0), overlap_scratch(graph, op))
    return Sharing(parent, inplace, scratch, rel, overlaps)


def _latest_dying_input(graph: Graph, op: Op, step: int, ranges, root, last) -> int:
    """The non-constant input of ``op`` produced last that dies at ``step`` and has the output's shape,
    or input 0 when none does."""
    out = graph.tensors[op.outputs[0]]
    cands = [i for i in dict.fromkeys(op.inputs) if i >= 0 and i in ranges and not graph.tensors[i].is_const
             and tuple(graph.tensors[i].shape) == tuple(out.shape) and graph.tensors[i].dtype == out.dtype
             and last[root(i)] == step]
    cands = [i for i in cands if not any(root(j) == root(i) for j in op.inputs if j >= 0 and j != i)]
    return max(cands, key=lambda i: ranges[i][0]) if cands else op.inputs[0]


def overlap_candidates(graph: Graph, order: list[int], scratch: dict[int, int]) -> set[int]:
    """Ops whose output could partly overlap their dying input in this order."""
    return set(share(graph, order, scratch, overlap=True).overlaps)


# -- placement search ----------------------------------------------------------------


def _heuristic_orders(bufs: list[Buffer]) -> list[list[Buffer]]:
    n_steps = max((b.last for b in bufs), default=0) + 2
    live = step_live([Buffer(b.key, b.size, b.first + 1, b.last + 1) for b in bufs], n_steps + 1)
    peak_step = max(range(len(live)), key=lambda s: live[s]) - 1 if live else 0

    def at_peak(b: Buffer) -> int:
        return 0 if b.first <= peak_step <= b.last else 1

    keys = [
        lambda b: (-b.size, b.first, b.key),  # TF Lite Micro
        lambda b: (-b.size, -(b.last - b.first), b.key),
        lambda b: (-(b.last - b.first), -b.size, b.key),
        lambda b: (-b.size * (b.last - b.first + 1), b.key),
        lambda b: (b.first, -b.size, b.key),
        lambda b: (at_peak(b), -b.size, b.key),
        lambda b: (at_peak(b), b.first, b.key),
        lambda b: (-max(live[max(b.first + 1, 0):b.last + 2], default=0), -b.size, b.key),
    ]
    return [sorted(bufs, key=k) for k in keys]


def search_placement(bufs: list[Buffer], lower_bound: int, budget_s: float = 0.4, seed: int = 0,
                     exhaustive_below: int = 7) -> dict[str, int]:
    """The best placement found: heuristics, exhaustive orderings for tiny graphs, then local search."""
    best_off: dict[str, int] | None = None
    best_arena = None
    best_order: list[Buffer] = []

    def consider(order: list[Buffer], best_fit: bool) -> bool:
        nonlocal best_off, best_arena, best_order
        off = first_fit(order, best_fit)
        a = arena_of(bufs, off)
        if best_arena is None or a < best_arena:
            best_off, best_arena, best_order = off, a, order
        return best_arena <= lower_bound

    for order in _heuristic_orders(bufs):
        for bf in (False, True):
            if consider(order, bf):
                return best_off
    if len(bufs) <= exhaustive_below:
        from itertools import permutations

        for perm in permutations(bufs):
            if consider(list(perm), False):
                return best_off
        return best_off
    rng = random.Random(seed)
    deadline = time.monotonic() + budget_s
    cur = list(best_order)
    cur_arena = best_arena
    n = len(cur)
    while time.monotonic() < deadline and n > 1:
        cand = list(cur)
        i, j = rng.randrange(n), rng.randrange(n)
        if rng.random() < 0.5:
            cand[i], cand[j] = cand[j], cand[i]
        else:
            cand.insert(j, cand.pop(i))
        off = first_fit(cand)
        a = arena_of(bufs, off)
        if a <= cur_arena:
            cur, cur_arena = cand, a
            if a < best_arena:
                best_off, best_arena = off, a
                if a <= lower_bound:
                    break
    return best_off


def _lower_bound(bufs: list[Buffer], n_steps: int) -> int:
    return max(step_live(bufs, n_steps), default=0)


def _quick_arena(graph: Graph, order: list[int], scratch: dict[int, int], depthwise,
                 overlap: bool | set[int] = False, alias_latest: bool = False) -> tuple[int, int]:
    sh = share(graph, order, scratch, depthwise=depthwise, overlap=overlap, alias_latest=alias_latest)
    bufs, _ = make_buffers(graph, order, sh.scratch, sh.groups, sh.rel)
    lb = _lower_bound(bufs, len(order))
    best = min(arena_of(bufs, first_fit(o, bf)) for o in _heuristic_orders(bufs) for bf in (False, True))
    return best, lb


# -- execution order -----------------------------------------------------------------


def memory_greedy_order(graph: Graph) -> list[int]:
    """A topological order that, among ready ops, runs the one that frees the most
    bytes net of what it allocates (ties: file order): finishes a branch before
    opening the next, so fewer tensors wait."""
    by_index = {op.index: op for op in graph.ops}
    produced = set(graph.inputs)
    remaining_uses: dict[int, int] = {}
    for op in graph.ops:
        for t in set(op.inputs):
            if t >= 0 and not graph.tensors[t].is_const:
                remaining_uses[t] = remaining_uses.get(t, 0) + 1
    keep = set(graph.outputs)
    done: list[int] = []
    pending = [op.index for op in graph.ops]
    while pending:
        ready = [i for i in pending
                 if all(t < 0 or graph.tensors[t].is_const or t in produced for t in by_index[i].inputs)]

        def delta(i: int) -> tuple[int, int]:
            op = by_index[i]
            alloc = sum(graph.tensors[t].nbytes for t in op.outputs)
            freed = sum(graph.tensors[t].nbytes for t in set(op.inputs)
                        if t >= 0 and not graph.tensors[t].is_const and remaining_uses.get(t) == 1 and t not in keep)
            return (alloc - freed, i)

        nxt = min(ready, key=delta)
        op = by_index[nxt]
        for t in set(op.inputs):
            if t in remaining_uses:
                remaining_uses[t] -= 1
        produced.update(op.outputs)
        done.append(nxt)
        pending.remove(nxt)
    return done


def candidate_orders(graph: Graph) -> list[list[int]]:
    orders = [[op.index for op in graph.ops]]
    g = memory_greedy_order(graph)
    if g not in orders:
        orders.append(g)
    return orders


# -- strategies -------------------------------------------------------------------


def inplace_strategy(graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> MemoryPlan:
    """Sharing (aliases, in place, in-place depthwise) with TF Lite Micro's greedy placement."""
    order = execution_positions(graph, order)
    groups, inplace, sc = decide_sharing(graph, order, scratch)
    return build_plan("inplace", graph, order, sc, groups, inplace, greedy_by_size)


def _prune(graph: Graph, order: list[int], scratch: dict[int, int], dw: set[int], ov: set[int],
           deadline: float, al: bool = False) -> tuple[set[int], set[int]]:
    """Drop in-place depthwise ops (each costs a copy per channel) and partial overlaps that do not
    lower the arena."""
    best, _ = _quick_arena(graph, order, scratch, dw, ov, al)
    for kind, i in [("dw", i) for i in sorted(dw)] + [("ov", i) for i in sorted(ov)]:
        if time.monotonic() > deadline:
            break
        tdw, tov = (dw - {i}, ov) if kind == "dw" else (dw, ov - {i})
        a, _ = _quick_arena(graph, order, scratch, tdw, tov, al)
        if a <= best:
            dw, ov, best = tdw, tov, a
    return dw, ov


def _choose_overlaps(graph: Graph, order: list[int], scratch: dict[int, int], dw: set[int], candidates: set[int],
                     deadline: float, al: bool = False) -> set[int]:
    """Partial overlaps worth having, added one at a time from the busiest step down.

    Each overlap ties its output to its input at a fixed distance, and chains of
    them drift apart (every output sits below its input), which can make the
    group impossible to pack: so an overlap is kept only where it does not
    raise the arena or the lower bound of the heuristic placements.
    """
    if not candidates:
        return set()
    sh = share(graph, order, scratch, depthwise=dw, overlap=False, alias_latest=al)
    bufs, _ = make_buffers(graph, order, sh.scratch, sh.groups, sh.rel)
    live = step_live(bufs, len(order))
    pos = {op_index: s for s, op_index in enumerate(order)}
    ov: set[int] = set()
    cur = _quick_arena(graph, order, scratch, dw, ov, al)
    for i in sorted(candidates, key=lambda i: (-live[pos[i]], pos[i])):
        if time.monotonic() > deadline:
            break
        trial = _quick_arena(graph, order, scratch, dw, ov | {i}, al)
        if trial[0] > cur[0] and trial[1] < cur[1]:
            # A lower bound the heuristics miss (the chain of offsets is awkward to pack): ask the
            # local search before giving the overlap up.
            trial = (_searched_arena(graph, order, scratch, dw, ov | {i}, trial[1], al), trial[1])
        if trial[0] <= cur[0] and trial[1] <= cur[1]:
            ov, cur = ov | {i}, trial
    return ov


def _searched_arena(graph: Graph, order: list[int], scratch: dict[int, int], depthwise, overlap: set[int],
                    lower_bound: int, al: bool = False, budget_s: float = 0.1) -> int:
    sh = share(graph, order, scratch, depthwise=depthwise, overlap=overlap, alias_latest=al)
    bufs, _ = make_buffers(graph, order, sh.scratch, sh.groups, sh.rel)
    return arena_of(bufs, search_placement(bufs, lower_bound, budget_s))


def _plan_for_order(graph: Graph, order: list[int], scratch: dict[int, int], budget_s: float,
                    overlap: bool = True, name: str = "mcuflow", al: bool = False) -> MemoryPlan:
    by_index = {op.index: op for op in graph.ops}
    full = share(graph, order, scratch, overlap=overlap, alias_latest=al)
    dw = {i for i in full.inplace if by_index[i].type == "DEPTHWISE_CONV_2D"}
    # The choices compare heuristic placements only. Overlaps are chosen with every depthwise op in
    # place (together they lower the busiest steps), then both are pruned back to what pays.
    t = max(1.0, 4 * budget_s)
    ov = _choose_overlaps(graph, order, scratch, dw, set(full.overlaps), time.monotonic() + t, al)
    dw, ov = _prune(graph, order, scratch, dw, ov, time.monotonic() + t, al)
    sh = share(graph, order, scratch, depthwise=dw, overlap=ov, alias_latest=al)
    bufs, _ = make_buffers(graph, order, sh.scratch, sh.groups, sh.rel)
    lb = _lower_bound(bufs, len(order))
    notes = [f"in-place depthwise on ops {sorted(dw)}"] if dw else []
    if sh.overlaps:
        notes.append(f"output partly over the dying input on ops {sorted(sh.overlaps)}")
    return build_plan(name, graph, order, sh.scratch, sh.groups, sh.inplace,
                      lambda b: search_placement(b, lb, budget_s), notes, sh.rel, sh.overlaps)


def mcuflow_strategy(graph: Graph, scratch: dict[int, int], order: list[int] | None = None,
                     budget_s: float = 0.3, overlap: bool = True) -> MemoryPlan:
    """Ours: sharing (partial overlaps included) + placement search + (when no order is given)
    execution-order choice."""
    orders = [execution_positions(graph, order)] if order is not None else candidate_orders(graph)
    best: MemoryPlan | None = None
    name = "mcuflow" if overlap else "mcuflow-no-overlap"
    for o in orders:
        for al in (False, True):
            p = _plan_for_order(graph, o, scratch, budget_s, overlap, name, al)
            if best is None or p.arena_bytes < best.arena_bytes:
                best = p
            if best.arena_bytes <= best.lower_bound and (al or not _has_binary_inplace(graph)):
                return best
    return best


def _has_binary_inplace(graph: Graph) -> bool:
    """Whether ``alias_latest`` could change anything: some in-place op has two non-constant inputs."""
    return any(op.type not in ALIAS_OPS and _lowering_inplace(op)
               and sum(1 for i in op.inputs if i >= 0 and not graph.tensors[i].is_const) > 1 for op in graph.ops)


def mcuflow_no_overlap_strategy(graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> MemoryPlan:
    """``mcuflow`` without partial overlaps (outputs never share bytes with a differently sized input)."""
    return mcuflow_strategy(graph, scratch, order, overlap=False)


def overlap_all_strategy(graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> MemoryPlan:
    """Every sharing decision taken, every partial overlap included, greedy placement: not the smallest
    arena, but the plan that overlaps the most, so verification exercises every overlapping kernel."""
    order = execution_positions(graph, order)
    sh = share(graph, order, scratch, overlap=True)
    return build_plan("overlap-all", graph, order, sh.scratch, sh.groups, sh.inplace, greedy_by_size,
                      [f"output partly over the dying input on ops {sorted(sh.overlaps)}"], sh.rel, sh.overlaps)


STRATEGIES["inplace"] = inplace_strategy
STRATEGIES["overlap-all"] = overlap_all_strategy
STRATEGIES["mcuflow"] = mcuflow_strategy
STRATEGIES["mcuflow-no-overlap"] = mcuflow_no_overlap_strategy
