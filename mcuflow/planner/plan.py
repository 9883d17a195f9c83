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

from dataclasses import dataclass, field
from typing import Callable, Protocol

from ..graph import Graph

ALIGN = 16


def align(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


@dataclass
class Buffer:
    """One thing the arena must hold: a tensor group (``tensor >= 0``) or an op's scratch."""

    key: str  # "t<first tensor of the group>" or "s<op index>"
    size: int
    first: int  # first step it must be live; -1 = before the first op
    last: int  # last step it must be live
    tensor: int = -1
    op: int = -1
    members: tuple[int, ...] = ()  # tensors sharing this buffer

    def overlaps(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


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
    #: op index -> the input tensor its output overwrites (in place / alias)
    inplace: dict[int, int] = field(default_factory=dict)

    def tensor_offset(self, index: int) -> int:
        return self.offsets[self.tensor_buffer.get(index, f"t{index}")]

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
                 groups: dict[int, int] | None = None) -> tuple[list[Buffer], dict[int, str]]:
    """Buffers with their live ranges; ``groups`` maps a tensor to the tensor whose buffer it shares."""
    ranges = tensor_ranges(graph, order)
    groups = groups or {}
    pos = {op_index: s for s, op_index in enumerate(order)}

    def root(t: int) -> int:
        while t in groups:
            t = groups[t]
        return t

    members: dict[int, list[int]] = {}
    for t in ranges:
        members.setdefault(root(t), []).append(t)
    bufs = []
    tensor_buffer = {}
    for r, ts in members.items():
        key = f"t{r}"
        size = max(align(graph.tensors[t].nbytes) for t in ts)
        first = min(ranges[t][0] for t in ts)
        last = max(ranges[t][1] for t in ts)
        bufs.append(Buffer(key, size, first, last, tensor=r, members=tuple(sorted(ts))))
        for t in ts:
            tensor_buffer[t] = key
    for op, size in scratch.items():
        if size > 0 and op in pos:
            bufs.append(Buffer(f"s{op}", align(size), pos[op], pos[op], op=op))
    return bufs, tensor_buffer


def lifetimes(graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> list[Buffer]:
    """Buffers with their live ranges, one per tensor (no sharing), in ``order``."""
    return make_buffers(graph, execution_positions(graph, order), scratch)[0]


def step_live(bufs: list[Buffer], n_steps: int) -> list[int]:
    """Live bytes at each step (indexed by step)."""
    live = [0] * n_steps
    for b in bufs:
        for s in range(max(b.first, 0), min(b.last, n_steps - 1) + 1):
            live[s] += b.size
    return live


# -- placement -------------------------------------------------------------------

Placement = Callable[[list[Buffer]], dict[str, int]]


def first_fit(bufs_in_order: list[Buffer], best_fit: bool = False) -> dict[str, int]:
    """Place buffers one by one at the lowest offset (or the tightest gap) free
    of every already-placed buffer whose lifetime overlaps."""
    placed: list[tuple[int, Buffer]] = []
    offsets: dict[str, int] = {}
    for b in bufs_in_order:
        conflicts = sorted(((off, o) for off, o in placed if o.overlaps(b)), key=lambda p: (p[0], p[1].key))
        off, chosen, chosen_gap = 0, None, None
        for c_off, c in conflicts:
            if off + b.size <= c_off:
                if not best_fit:
                    chosen = off
                    break
                gap = c_off - off
                if chosen is None or gap < chosen_gap:
                    chosen, chosen_gap = off, gap
            off = max(off, c_off + c.size)
        if chosen is None:
            chosen = off
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
                if oa < ob + b.size and ob < oa + a.size:
                    raise AssertionError(f"buffers {a.key} and {b.key} overlap in time and space")
        if offsets[a.key] % ALIGN:
            raise AssertionError(f"buffer {a.key} at unaligned offset {offsets[a.key]}")


# -- strategies -------------------------------------------------------------------


class Strategy(Protocol):
    """The planner interface: graph + scratch sizes + execution order -> plan."""

    def __call__(self, graph: Graph, scratch: dict[int, int], order: list[int] | None = None) -> MemoryPlan: ...


def build_plan(name: str, graph: Graph, order: list[int], scratch: dict[int, int], groups: dict[int, int],
               inplace: dict[int, int], placement: Placement, notes: list[str] | None = None) -> MemoryPlan:
    """Buffers from (order, sharing decisions), placed by ``placement``."""
    bufs, tensor_buffer = make_buffers(graph, order, scratch, groups)
    offsets = placement(bufs)
    check_placement(bufs, offsets)
    live_by_step = step_live(bufs, len(order))
    live = [0] * (max((op.index for op in graph.ops), default=-1) + 1)  # by op index (passes may drop ops)
    for s, op_index in enumerate(order):
        live[op_index] = live_by_step[s]
    return MemoryPlan(name, arena_of(bufs, offsets), offsets, {b.key: b for b in bufs}, live,
                      list(notes or []), list(order), tensor_buffer, dict(inplace))


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
