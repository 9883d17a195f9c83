"""Memory planning: where every activation tensor and scratch buffer lives.

A strategy turns the graph, an execution order and per-op scratch sizes into a
:class:`MemoryPlan`. Code generation only reads the plan (offsets, arena size),
so strategies are swappable and comparable side by side, as TF Lite Micro's
memory-planner interface allows.
"""

from __future__ import annotations

from .plan import Buffer, MemoryPlan, lifetimes, plan_memory, STRATEGIES  # noqa: F401
