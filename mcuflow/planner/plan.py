"""The plan record, buffer lifetimes, and the planner interface.

A *strategy* takes the graph, per-op scratch sizes and an execution order and
returns a :class:`MemoryPlan`. Code generation reads only the plan: the order
to run the ops in, the offset of every tensor and scratch buffer, and the
arena size. Strategies are registered in :data:`STRATEGIES` so they can be
compared side by side (``mcuflow bench-memory``).

Vocabulary:

* a *step* is a position in the execution order (step ``s`` runs
  ``order[s]``); graph inputs are live from step -1, graph outputs to step
  ``n`` (after the last op, so the caller can read them);
* a *buffer* is one region of the arena: a group of tensors that share
  memory (aliases such as RESHAPE, or an op's output written over its dying
  input: in place), or an op's scratch, live only during its own step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from ..graph import Graph

ALIGN = 16


def align(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


@dataclass(frozen=True, order=True)
class Part:
    """One tensor of a buffer: ``size`` bytes at ``rel`` bytes from the buffer's start, live ``first..last``."""

    rel: int
    size: int
    first: int
    last: int


@dataclass
class Buffer:
    """One thing the arena must hold: a tensor group (``tensor >= 0``) or an op's scratch.

    A group's tensors sit at fixed offsets from one another (``member_offsets``):
    0 for all of them when they share memory exactly (aliases, in place), or
    apart where an op writes its output partly over its dying input (partial
    overlap, see :mod:`mcuflow.planner.overlap`). ``parts`` are those tensors
    with their own lifetimes, so a group only claims the bytes its live
    tensors use at each step; ``size``/``first``/``last`` are its bounding box.
    """

    key: str  # "t<first tensor of the group>" or "s<op index>"
    size: int
    first: int  # first step it must be live; -1 = before the first op
    last: int  # last step it must be live
    tensor: int = -1
    op: int = -1
    members: tuple[int, ...] = ()  # tensors sharing this buffer
    parts: tuple[Part, ...] = ()  # empty: one part, the whole box
    member_offsets: dict[int, int] = field(default_factory=dict)  # tensor -> byte offset in the buffer

    def __post_init__(self) -> None:
        if not self.parts:
            self.parts = (Part(0, self.size, self.first, self.last),)

    def overlaps(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last

    def live_bytes(self, step: int) -> int:
        """Bytes this buffer occupies at ``step``: the union of its live parts (overlapping bytes once)."""
        spans = sorted((p.rel, p.rel + p.size) for p in self.parts if p.first <= step <= p.last)
        total, end = 0, None
        for a, b in spans:
            if end is None or a >= end:
                total += b - a
                end = b
            elif b > end:
                total += b - end
                end = b
        return total


@dataclass
class MemoryPlan:
    strategy: str
    arena_bytes: int
    offsets: dict[str, int]  # buffer key -> byte offset in the arena
    buffers: dict[str, Buffer]
    #: live bytes while each op runs (tensors + scratch), indexed by op index
    step_live_bytes: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: op indices in the order the generated code runs them
    order: list[int] = field(default_factory=list)
    #: tensor index -> key of the buffer it lives in
    tensor_buffer: dict[int, str] = field(default_factory=dict)
    #: op index -> the input tensor its output overwrites (in place / alias / partial overlap)
    inplace: dict[int, int] = field(default_factory=dict)
    #: op index -> (input, output, least input offset - output offset) where the output partly
    #: overlaps its dying input (:mod:`mcuflow.planner.overlap`)
    overlaps: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def tensor_offset(self, index: int) -> int:
        key = self.tensor_buffer.get(index, f"t{index}")
        b = self.buffers.get(key)
        return self.offsets[key] + (b.member_offsets.get(index, 0) if b is not None else 0)

    def scratch_offset(self, op_index: int) -> int | None:
        return self.offsets.get(f"s{op_index}")

    def scratch_bytes(self, op_index: int) -> int:
        b = self.buffers.get(f"s{op_index}")
        return b.size if b else 0

    @property
    def lower_bound(self) -> int:
        """No placement of these buffers can use less than the busiest step."""
        return max(self.step_live_bytes, default=0)

    @property
    def gap(self) -> float:
        """How far the placement is above the lower bound (0.0 = optimal)."""
        lb = self.lower_bound
        return (self.arena_bytes - lb) / lb if lb else 0.0

    @property
    def peak_step_op(self) -> int | None:
        """Index of the op whose step has the most live bytes."""
        if not self.step_live_bytes:
            return None
        return max(range(len(self.step_live_bytes)), key=lambda i: self.step_live_bytes[i])

    @property
    def peak_scratch_bytes(self) -> int:
        return max((b.size for b in self.buffers.values() if b.op >= 0), default=0)

    def scratch_at_peak(self) -> int:
        """Scratch bytes live at the busiest step (part of the arena)."""
        op = self.peak_step_op
        return self.scratch_bytes(op) if op is not None else 0


def execution_positions(graph: Graph, order: list[int] | None) -> list[int]:
    """``order`` checked to be a topological order of all ops (default: file order)."""
    if order is None:
        return [op.index for op in graph.ops]
    if sorted(order) != sorted(op.index for op in graph.ops):
        raise ValueError("execution order must list every op exactly once")
    produced = set(graph.inputs)
    by_index = {op.index: op for op in graph.ops}
    for i in order:
        op = by_index[i]
        for t in op.inputs:
            if t >= 0 and not graph.tensors[t].is_const and t not in produced:
                raise ValueError(f"op {i} runs before tensor {t} is produced")
        produced.update(op.outputs)
    return list(order)


def tensor_ranges(graph: Graph, order: list[int]) -> dict[int, tuple[int, int]]:
    """tensor -> (first step, last step) of every activation tensor."""
    n = len(order)
    pos = {op_index: s for s, op_index in enumerate(order)}
    by_index = {op.index: op for op in graph.ops}
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in graph.inputs:
        first[i] = -1
        last[i] = -1
    for op_index in order:
        op = by_index[op_index]
        s = pos[op_index]
        for t in op.outputs:
            first.setdefault(t, s)
            last[t] = max(last.get(t, s), s)
        for t in op.inputs:
            if t >= 0 and not graph.tensors[t].is_const:
                first.setdefault(t, s)
                last[t] = max(last.get(t, s), s)
    for t in graph.outputs:
        last[t] = n
    return {t: (first[t], last[t]) for t in first}


def make_buffers(graph: Graph, order: list[int], scratch: dict[int, int],
                 groups: dict[int, int] | None = None,
                 rel: dict[int, int] | None = None) -> tuple[list[Buffer], dict[int, str]]:
    """Buffers with their live ranges; ``groups`` maps a tensor to the tensor whose buffer it shares,
    ``rel`` the byte offset of a tensor from that tensor (0 when absent: exact sharing)."""
    ranges = tensor_ranges(graph, order)
    groups = groups or {}
    rel = rel or {}
    pos = {op_index: s for s, op_index in enumerate(order)}

    def root(t: int) -> tuple[int, int]:
        off = 0
        while t in groups:
            off += rel.get(t, 0)
            t = groups[t]
        return t, off

    members: dict[int, list[tuple[int, int]]] = {}
    for t in ranges:
        r, off = root(t)
        members.setdefault(r, []).append((t, off))
    bufs = []
    tensor_buffer = {}
    for r, ts in members.items():
        key = f"t{r}"
        base = min(off for _, off in ts)
        offs = {t: off - base for t, off in ts}
        parts = tuple(sorted(Part(offs[t], align(graph.tensors[t].nbytes), ranges[t][0], ranges[t][1]) for t, _ in ts))
        size = max(p.rel + p.size for p in parts)
        first = min(p.first for p in parts)
        last = max(p.last for p in parts)
        bufs.append(Buffer(key, size, first, last, tensor=r, members=tuple(sorted(offs)), parts=parts,
                           member_offsets=offs if any(offs.values()) else {}))
        for t, _ in ts:
            tensor_buffer[t] = key
    for op, size in scratch.items():
        if size > 0 and op in pos:
            bufs.append(Buffer(f"s{op}", align(size), pos[op], pos[op], op=op))
    return bufs, tensor_buffer


def lifetimes(graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> list[Buffer]:
    """Buffers with their live ranges, one per tensor (no sharing), in ``order``."""
    return make_buffers(graph, execution_positions(graph, order), scratch)[0]


def step_live(bufs: list[Buffer], n_steps: int) -> list[int]:
    """Live bytes at each step (indexed by step); a buffer's overlapping parts count once."""
    live = [0] * n_steps
    for b in bufs:
        if len(b.parts) == 1:
            for s in range(max(b.first, 0), min(b.last, n_steps - 1) + 1):
                live[s] += b.size
        else:
            for s in range(max(b.first, 0), min(b.last, n_steps - 1) + 1):
                live[s] += b.live_bytes(s)
    return live


# -- placement -------------------------------------------------------------------

Placement = Callable[[list[Buffer]], dict[str, int]]


def first_fit(bufs_in_order: list[Buffer], best_fit: bool = False) -> dict[str, int]:
    """Place buffers one by one at the lowest offset (or the tightest gap) free
    of every already-placed buffer whose lifetime overlaps.

    A buffer of several parts (a group with partial overlaps) needs each part
    free of every placed part live at the same time, at its fixed offset.
    """
    placed: list[tuple[int, Buffer]] = []
    offsets: dict[str, int] = {}
    for b in bufs_in_order:
        # offsets x forbidden by a placed part q for a part p of b: lo < x < hi
        forbidden = []
        single = len(b.parts) == 1
        for off, o in placed:
            if not o.overlaps(b):
                continue
            if single and len(o.parts) == 1:
                forbidden.append((off - b.size, off + o.size))
                continue
            for q in o.parts:
                for p in b.parts:
                    if p.first <= q.last and q.first <= p.last:
                        forbidden.append((off + q.rel - p.rel - p.size, off + q.rel + q.size - p.rel))
        forbidden.sort()
        x, chosen, chosen_gap = 0, None, None
        for lo, hi in forbidden:
            if x <= lo:
                if not best_fit:
                    chosen = x
                    break
                if chosen is None or lo - x < chosen_gap:
                    chosen, chosen_gap = x, lo - x
            x = max(x, hi)
        if chosen is None:
            chosen = x
        offsets[b.key] = chosen
        placed.append((chosen, b))
    return offsets


def greedy_by_size(bufs: list[Buffer]) -> dict[str, int]:
    """TF Lite Micro's greedy planner: largest first, lowest gap among overlapping buffers."""
    return first_fit(sorted(bufs, key=lambda b: (-b.size, b.first, b.key)))


def arena_of(bufs: list[Buffer], offsets: dict[str, int]) -> int:
    return max((offsets[b.key] + b.size for b in bufs), default=0)


def check_placement(bufs: list[Buffer], offsets: dict[str, int]) -> None:
    """Raise if two buffers live at the same time share a byte (a planner bug)."""
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            if a.overlaps(b):
                oa, ob = offsets[a.key], offsets[b.key]
                for p in a.parts:
                    for q in b.parts:
                        if (p.first <= q.last and q.first <= p.last and oa + p.rel < ob + q.rel + q.size
                                and ob + q.rel < oa + p.rel + p.size):
                            raise AssertionError(f"buffers {a.key} and {b.key} overlap in time and space")
        if offsets[a.key] % ALIGN or offsets[a.key] < 0:
            raise AssertionError(f"buffer {a.key} at unaligned offset {offsets[a.key]}")


def free_spans(plan: MemoryPlan, step: int, skip: str | None = None) -> list[tuple[int, int]]:
    """``[lo, hi)`` byte ranges of the arena that no buffer but ``skip`` occupies at ``step``."""
    used = []
    for key, b in plan.buffers.items():
        if key == skip or not b.first <= step <= b.last:
            continue
        off = plan.offsets[key]
        used += [(off + p.rel, off + p.rel + p.size) for p in b.parts if p.first <= step <= p.last]
    spans, x = [], 0
    for lo, hi in sorted(used):
        if lo > x:
            spans.append((x, lo))
        x = max(x, hi)
    if x < plan.arena_bytes:
        spans.append((x, plan.arena_bytes))
    return spans


def grow_scratch(plan: MemoryPlan, wants: dict[int, tuple[int, int]]) -> MemoryPlan:
    """A copy of ``plan`` whose op ``i`` has between ``wants[i] = (least, most)`` bytes of scratch where
    the arena has that much free in one piece at its step (the largest such piece, up to ``most``), and
    its planned scratch elsewhere.

    For kernels that run faster with more scratch than they need (:func:`mcuflow.codegen.lowering.lower`'s
    ``spare``): asking the placement search for it would raise the arena wherever the op sits at the
    busiest step, but most steps are far below it, and a scratch buffer lives only for its own step, so
    whatever is free there is the op's to take without moving anything else or growing the arena.
    """
    out = replace(plan, offsets=dict(plan.offsets), buffers=dict(plan.buffers),
                  step_live_bytes=list(plan.step_live_bytes))
    pos = {op_index: s for s, op_index in enumerate(plan.order)}
    for op_index, (least, most) in sorted(wants.items()):
        key = f"s{op_index}"
        have = out.scratch_bytes(op_index)
        if op_index not in pos or most <= have or least > most:
            continue
        best = None
        for lo, hi in free_spans(out, pos[op_index], skip=key):
            lo = align(lo)
            size = min(hi - lo, align(most)) // ALIGN * ALIGN
            if size >= max(least, have + 1) and (best is None or size > best[1]):
                best = (lo, size)
        if best is None:
            continue
        out.offsets[key] = best[0]
        out.buffers[key] = Buffer(key, best[1], pos[op_index], pos[op_index], op=op_index)
        if op_index < len(out.step_live_bytes):
            out.step_live_bytes[op_index] += best[1] - have
    check_placement(list(out.buffers.values()), out.offsets)
    return out


# -- strategies -------------------------------------------------------------------


class Strategy(Protocol):
    """The planner interface: graph + scratch sizes + execution order -> plan."""

    def __call__(self, graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> MemoryPlan: ...


def build_plan(name: str, graph: Graph, order: list[int], scratch: dict[int, int], groups: dict[int, int],
               inplace: dict[int, int], placement: Placement, notes: list[str] | None = None,
               rel: dict[int, int] | None = None,
               overlaps: dict[int, tuple[int, int, int]] | None = None) -> MemoryPlan:
    """Buffers from (order, sharing decisions), placed by ``placement``."""
    bufs, tensor_buffer = make_buffers(graph, order, scratch, groups, rel)
    offsets = placement(bufs)
    check_placement(bufs, offsets)
    live_by_step = step_live(bufs, len(order))
    live = [0] * (max((op.index for op in graph.ops), default=-1) + 1)  # by op index (passes may drop ops)
    for s, op_index in enumerate(order):
        live[op_index] = live_by_step[s]
    plan = MemoryPlan(name, arena_of(bufs, offsets), offsets, {b.key: b for b in bufs}, live,
                      list(notes or []), list(order), tensor_buffer, dict(inplace), dict(overlaps or {}))
    from .overlap import check_overlaps

    check_overlaps(graph, plan)
    return plan


def greedy_strategy(graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> MemoryPlan:
    """Baseline as TF Lite Micro plans: one buffer per tensor, greedy by size."""
    order = execution_positions(graph, order)
    return build_plan("greedy", graph, order, scratch, {}, {}, greedy_by_size)


STRATEGIES: dict[str, Strategy] = {"greedy": greedy_strategy}
DEFAULT_STRATEGY = "mcuflow"


def plan_memory(graph: Graph, scratch: dict[int, int] | None = None, strategy: str = DEFAULT_STRATEGY,
                order: list[int] | None = None) -> MemoryPlan:
    """Plan ``graph`` with a registered strategy (``greedy``, ``inplace``, ``mcuflow``)."""
    from . import strategies  # noqa: F401  (registers the other strategies)

    try:
        fn = STRATEGIES[strategy]
    except KeyError:
        raise ValueError(f"unknown memory strategy {strategy!r}; known: {', '.join(sorted(STRATEGIES))}") from None
    return fn(graph, dict(scratch or {}), order)
