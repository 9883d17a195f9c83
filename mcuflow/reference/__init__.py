"""NumPy reference kernels, bit-exact with TF Lite Micro's reference kernels.

One function per operator, registered with :func:`kernel`. A kernel gets the
graph, the op, and one NumPy array per op input (``None`` for an omitted
optional input; constant tensors come as their data) and returns one array per
op output, with the output tensor's dtype and shape.

:func:`run_graph` runs a whole model and returns every tensor it computed, so
verification can compare intermediates too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import UnsupportedError
from ..graph import Graph, Op

KernelFn = Callable[[Graph, Op, list], list]
KERNELS: dict[str, KernelFn] = {}


def kernel(*op_types: str):
    """Register a reference kernel for one or more TFLite operator names."""

    def register(fn: KernelFn) -> KernelFn:
        for t in op_types:
            KERNELS[t] = fn
        return fn

    return register


def _load_kernels() -> None:
    # Importing the modules registers their kernels.
    from . import conv, elementwise, pool, shape, softmax  # noqa: F401


def run_op(graph: Graph, op: Op, inputs: list) -> list[np.ndarray]:
    if not KERNELS:
        _load_kernels()
    fn = KERNELS.get(op.type)
    if fn is None:
        raise UnsupportedError("no reference kernel", op.index, op.type)
    outs = fn(graph, op, inputs)
    for t_index, arr in zip(op.outputs, outs):
        t = graph.tensors[t_index]
        if tuple(arr.shape) != tuple(t.shape) or str(arr.dtype) != t.dtype:
            raise AssertionError(
                f"reference {op.type} (op {op.index}) returned {arr.dtype}{arr.shape}, expected {t.dtype}{t.shape}"
            )
    return outs


def run_graph(graph: Graph, inputs: list[np.ndarray]) -> dict[int, np.ndarray]:
    """Run every op in order; returns tensor index -> value for all computed tensors."""
    values: dict[int, np.ndarray] = {}
    for i, x in zip(graph.inputs, inputs):
        t = graph.tensors[i]
        values[i] = np.asarray(x, dtype=t.dtype).reshape(t.shape)
    for op in graph.ops:
        args = []
        for i in op.inputs:
            if i < 0:
                args.append(None)
            elif graph.tensors[i].is_const:
                args.append(graph.tensors[i].data)
            else:
                args.append(values[i])
        for i, v in zip(op.outputs, run_op(graph, op, args)):
            values[i] = v
    return values
