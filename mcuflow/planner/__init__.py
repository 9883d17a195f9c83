"""Memory planning: where every activation tensor and scratch buffer lives.

A strategy turns the graph, an execution order and per-op scratch sizes into a
:class:`MemoryPlan`. Code generation only reads the plan (order, offsets,
arena size), so strategies are swappable and comparable side by side, as TF
Lite Micro's memory-planner interface allows. ``greedy`` is TF Lite Micro's
baseline; ``mcuflow`` (the default) shares buffers in place and searches
placements and execution orders (:mod:`.strategies`).
"""

from __future__ import annotations

from . import strategies  # noqa: F401  (registers inplace and mcuflow)
from .plan import DEFAULT_STRATEGY, STRATEGIES, Buffer, MemoryPlan, lifetimes, plan_memory  # noqa: F401
