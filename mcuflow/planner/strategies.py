"""Our memory strategies: sharing decisions, placement search, execution order.

``inplace``: TF Lite Micro's greedy placement, plus buffer sharing:

* RESHAPE/SQUEEZE outputs alias their input (nothing moves);
* an op whose lowering declares ``inplace=True`` (ADD, MUL, activations...)
  writes its output over input 0 when that input dies at the op;
* DEPTHWISE_CONV_2D with depth multiplier 1 writes its output over its dying
  input channel by channel through a one-channel scratch buffer (MCUNet's
  in-place depthwise; :mod:`mcuflow.planner.inplace_dw`), scratch that lives
  only for its own step.

``mcuflow`` (the default): the same sharing, placed by a search over
placement heuristics (first fit and best fit over several buffer orderings,
then a seeded local search over the ordering when the lower bound is not yet
reached), over which depthwise ops really need to run in place (each costs a
copy), and over execution orders of branching graphs (file order and a
memory-greedy topological order), keeping the smallest arena.
"""

from __future__ import annotations

import random
import time

from ..graph import Graph, Op
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
    """Bytes of the one-channel buffer of an in-place depthwise conv (N*OH*OW), 0 if it cannot run in place."""
    if op.type != "DEPTHWISE_CONV_2D" or len(op.inputs) < 2:
        return 0
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != "int8" or y.dtype != "int8" or len(x.shape) != 4 or len(y.shape) != 4:
        return 0
    if x.shape[3] != y.shape[3] or x.shape[0] != y.shape[0] or y.nbytes > x.nbytes or x.is_const:
        return 0
    if any(i >= 0 and not graph.tensors[i].is_const for i in op.inputs[1:]):
        return 0
    return int(y.shape[0] * y.shape[1] * y.shape[2])


def decide_sharing(graph: Graph, order: list[int], scratch: dict[int, int], elementwise: bool = True,
                   depthwise: bool | set[int] = True) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Which tensors share a buffer. Returns (groups: tensor -> tensor it shares with,
    inplace: op -> overwritten input, scratch with in-place depthwise buffers added).

    An op may overwrite input 0 only when no tensor of that input's buffer is
    read after the op (nor is a graph output), so nothing still needed is lost.
    """
    ranges = tensor_ranges(graph, order)
    by_index = {op.index: op for op in graph.ops}
    parent: dict[int, int] = {}
    last: dict[int, int] = {t: r[1] for t, r in ranges.items()}
    size: dict[int, int] = {t: align(graph.tensors[t].nbytes) for t in ranges}
    inplace: dict[int, int] = {}
    scratch = dict(scratch)

    def root(t: int) -> int:
        while t in parent:
            t = parent[t]
        return t

    def join(out: int, into: int) -> None:
        r = root(into)
        parent[out] = r
        last[r] = max(last[r], last[out])
        size[r] = max(size[r], size[out])

    outputs = set(graph.outputs)
    inputs = set(graph.inputs)
    for s, op_index in enumerate(order):
        op = by_index[op_index]
        if not op.inputs or not op.outputs or op.inputs[0] < 0 or len(op.outputs) != 1:
            continue
        t, out = op.inputs[0], op.outputs[0]
        tt, ot = graph.tensors[t], graph.tensors[out]
        if tt.is_const or out in inputs or t not in ranges or out not in ranges or root(out) != out:
            continue
        r = root(t)
        if op.type in ALIAS_OPS and _lowering_inplace(op):
            if ot.nbytes == tt.nbytes:
                join(out, t)
                inplace[op.index] = t
            continue
        others = [i for i in op.inputs[1:] if i >= 0 and not graph.tensors[i].is_const]
        if last[r] != s or any(root(i) == r and i != t for i in others):
            continue  # input still needed later (or read through another alias)
        if elementwise and _lowering_inplace(op) and op.type not in ALIAS_OPS:
            if ot.dtype == tt.dtype and ot.size == tt.size and tuple(ot.shape) == tuple(tt.shape):
                join(out, t)
                inplace[op.index] = t
            continue
        if op.type == "DEPTHWISE_CONV_2D" and (depthwise is True or (depthwise and op.index in depthwise)):
            buf = depthwise_inplace_scratch(graph, op)
            if buf and align(ot.nbytes) <= size[r] and out not in outputs:
                join(out, t)
                inplace[op.index] = t
                scratch[op.index] = buf
    return parent, inplace, scratch


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


def _quick_arena(graph: Graph, order: list[int], scratch: dict[int, int], depthwise) -> tuple[int, int]:
    groups, _, sc = decide_sharing(graph, order, scratch, depthwise=depthwise)
    bufs, _ = make_buffers(graph, order, sc, groups)
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


def _plan_for_order(graph: Graph, order: list[int], scratch: dict[int, int], budget_s: float) -> MemoryPlan:
    # Depthwise in place costs a copy of every output channel: keep it only where it lowers the arena.
    by_index = {op.index: op for op in graph.ops}
    dw = {i for i in decide_sharing(graph, order, scratch)[1] if by_index[i].type == "DEPTHWISE_CONV_2D"}
    best, _ = _quick_arena(graph, order, scratch, dw)
    for i in sorted(dw):
        trial = dw - {i}
        a, _ = _quick_arena(graph, order, scratch, trial)
        if a <= best:
            dw, best = trial, a
    groups, inplace, sc = decide_sharing(graph, order, scratch, depthwise=dw)
    bufs, _ = make_buffers(graph, order, sc, groups)
    lb = _lower_bound(bufs, len(order))
    notes = [f"in-place depthwise on ops {sorted(dw)}"] if dw else []
    return build_plan("mcuflow", graph, order, sc, groups, inplace,
                      lambda b: search_placement(b, lb, budget_s), notes)


def mcuflow_strategy(graph: Graph, scratch: dict[int, int], order: list[int] | None = None,
                     budget_s: float = 0.3) -> MemoryPlan:
    """Ours: sharing + placement search + (when no order is given) execution-order choice."""
    orders = [execution_positions(graph, order)] if order is not None else candidate_orders(graph)
    best: MemoryPlan | None = None
    for o in orders:
        p = _plan_for_order(graph, o, scratch, budget_s)
        if best is None or p.arena_bytes < best.arena_bytes:
            best = p
        if best.arena_bytes <= best.lower_bound:
            break
    return best


STRATEGIES["inplace"] = inplace_strategy
STRATEGIES["mcuflow"] = mcuflow_strategy
