"""Memory planning: where every activation tensor and scratch buffer lives.

A strategy turns the graph, an execution order and per-op scratch sizes into a
:class:`MemoryPlan`. Code generation only reads the plan (order, offsets,
arena size), so strategies are swappable and comparable side by side, as TF
Lite Micro's memory-planner interface allows. ``greedy`` is TF Lite Micro's
baseline; ``mcuflow`` (the default) shares buffers in place, lets pointwise
and float<->int8 conversion outputs partly overlap their dying inputs
(:mod:`.overlap`), and searches placements and execution orders
(:mod:`.strategies`); ``mcuflow-no-overlap`` is the same without overlaps.
"""

from __future__ import annotations

from . import strategies  # noqa: F401  (registers inplace and mcuflow)
from .plan import DEFAULT_STRATEGY, STRATEGIES, Buffer, MemoryPlan, lifetimes, plan_memory  # noqa: F401


def bench_memory(models=None, tflm: bool = True) -> list[dict]:
    """Rows of ``mcuflow bench-memory`` (see :func:`mcuflow.report.memory.bench_memory`)."""
    from ..report.memory import bench_memory as _bench

    return _bench(models, tflm=tflm)
