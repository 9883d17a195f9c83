"""The plan record, tensor lifetimes, and the strategy registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..graph import Graph

ALIGN = 16


def align(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


@dataclass
class Buffer:
    """One thing the arena must hold: a tensor (``tensor >= 0``) or an op's scratch."""

    key: str  # "t<index>" or "s<op index>"
    size: int
    first: int  # first step (op index) it must be live; -1 = before the first op
    last: int  # last step it must be live
    tensor: int = -1
    op: int = -1

    def overlaps(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    strategy: str
    arena_bytes: int
    offsets: dict[str, int]  # buffer key -> byte offset in the arena
    buffers: dict[str, Buffer]
    #: per op step: bytes of the buffers live at that step (tensors + scratch)
    step_live_bytes: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def tensor_offset(self, index: int) -> int:
        return self.offsets[f"t{index}"]

    def scratch_offset(self, op_index: int) -> int | None:
        return self.offsets.get(f"s{op_index}")

    def scratch_bytes(self, op_index: int) -> int:
        b = self.buffers.get(f"s{op_index}")
        return b.size if b else 0

    @property
    def lower_bound(self) -> int:
        """No placement of these buffers can use less than the busiest step."""
        return max(self.step_live_bytes, default=0)


def lifetimes(graph: Graph, scratch: dict[int, int]) -> list[Buffer]:
    """Buffers with their live ranges, in execution order ``graph.ops``.

    Graph inputs are live from before the first op; graph outputs to after the
    last, so the caller can read them after ``invoke``.
    """
    n = len(graph.ops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in graph.inputs:
        first[i] = -1
        last[i] = -1
    for op in graph.ops:
        for t in op.outputs:
            first.setdefault(t, op.index)
            last[t] = max(last.get(t, op.index), op.index)
        for t in op.inputs:
            if t >= 0 and not graph.tensors[t].is_const:
                last[t] = max(last.get(t, op.index), op.index)
                first.setdefault(t, op.index)
    for t in graph.outputs:
        last[t] = n
    bufs = [Buffer(f"t{t}", align(graph.tensors[t].nbytes), first[t], last[t], tensor=t) for t in first]
    bufs += [Buffer(f"s{op}", align(size), op, op, op=op) for op, size in scratch.items() if size > 0]
    return bufs


def step_live(bufs: list[Buffer], n_ops: int) -> list[int]:
    return [sum(b.size for b in bufs if b.first <= s <= b.last) for s in range(n_ops)]


def greedy_by_size(bufs: list[Buffer]) -> dict[str, int]:
    """TF Lite Micro's greedy planner: largest first, lowest gap among overlapping buffers."""
    placed: list[tuple[int, Buffer]] = []
    offsets: dict[str, int] = {}
    for b in sorted(bufs, key=lambda b: (-b.size, b.first, b.key)):
        conflicts = sorted(((off, o) for off, o in placed if o.overlaps(b)), key=lambda p: (p[0], p[1].key))
        off = 0
        for c_off, c in conflicts:
            if off + b.size <= c_off:
                break
            off = max(off, c_off + c.size)
        offsets[b.key] = off
        placed.append((off, b))
    return offsets


Strategy = Callable[[list[Buffer]], dict[str, int]]
STRATEGIES: dict[str, Strategy] = {"greedy": greedy_by_size}


def plan_memory(graph: Graph, scratch: dict[int, int] | None = None, strategy: str = "greedy") -> MemoryPlan:
    scratch = scratch or {}
    bufs = lifetimes(graph, scratch)
    offsets = STRATEGIES[strategy](bufs)
    arena = max((offsets[b.key] + b.size for b in bufs), default=0)
    return MemoryPlan(strategy, arena, offsets, {b.key: b for b in bufs}, step_live(bufs, len(graph.ops)))
