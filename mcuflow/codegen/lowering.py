"""Lowering: one graph op -> TinyEngine kernel calls, as C text.

Each operator family registers a lowering with :func:`lower`. A lowering reads
the op and its tensors, computes every constant the kernel needs (fixed-point
multipliers, clamps, lookup tables) in Python, and emits calls through the
:class:`LoweringContext`. It never decides where a tensor lives: pointers come
from ``ctx.tensor(i)``, which the memory plan resolves, so the planner can
change placement without touching a lowering.

A family may also register ``scratch=fn(graph, op) -> bytes`` so the planner
reserves that many scratch bytes for the op (``ctx.scratch()`` returns the
pointer at render time), and ``spare=fn(graph, op, overlapped) -> (least, most)``
for a faster path that wants more: the op gets up to ``most`` bytes where the
finished plan has at least ``least`` free in one piece at its step
(:func:`mcuflow.planner.plan.grow_scratch`), so the arena never grows for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import UnsupportedError
from ..graph import Graph, Op

LowerFn = Callable[[Graph, Op, "LoweringContext"], None]
ScratchFn = Callable[[Graph, Op], int]
SpareFn = Callable[[Graph, Op, bool], "tuple[int, int] | None"]


@dataclass
class Lowering:
    fn: LowerFn
    scratch: ScratchFn | None = None
    #: Output may share memory with input 0 (the planner may place it there).
    inplace: bool = False
    #: (least, most) scratch bytes of a faster path, taken only where the plan has them free.
    spare: SpareFn | None = None


LOWERINGS: dict[str, Lowering] = {}


def lower(*op_types: str, scratch: ScratchFn | None = None, inplace: bool = False, spare: SpareFn | None = None):
    """Register a lowering for one or more TFLite operator names."""

    def register(fn: LowerFn) -> LowerFn:
        for t in op_types:
            LOWERINGS[t] = Lowering(fn, scratch, inplace, spare)
        return fn

    return register


def load_lowerings() -> dict[str, Lowering]:
    # Importing the family modules registers their lowerings.
    from . import lower_conv, lower_elementwise, lower_pool, lower_shape, lower_softmax  # noqa: F401

    return LOWERINGS


def lowering_for(op: Op) -> Lowering:
    load_lowerings()
    low = LOWERINGS.get(op.type)
    if low is None:
        raise UnsupportedError("operator has no TinyEngine kernel", op.index, op.type)
    return low


def scratch_bytes(graph: Graph, op: Op) -> int:
    low = lowering_for(op)
    return int(low.scratch(graph, op)) if low.scratch else 0


def spare_scratch(graph: Graph, op: Op, overlapped: bool) -> tuple[int, int] | None:
    """(least, most) scratch bytes of the op's faster path, or None (see ``spare`` in :func:`lower`)."""
    low = lowering_for(op)
    return low.spare(graph, op, overlapped) if low.spare else None


_CTYPES = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "float32": "float",
    "bool": "uint8_t",
}


def ctype(dtype: str) -> str:
    return _CTYPES[dtype]


@dataclass
class ConstArray:
    symbol: str
    ctype: str
    values: np.ndarray  # flat


def _c_number(v, ct: str) -> str:
    if ct == "float":
        f = float(v)
        if np.isnan(f):
            return "NAN"
        if np.isinf(f):
            return "INFINITY" if f > 0 else "-INFINITY"
        return repr(f) + "f" if "e" in repr(f) or "." in repr(f) else repr(f) + ".0f"
    iv = int(v)
    if ct in ("int32_t",) and iv == -(2**31):
        return "INT32_MIN"
    if ct == "int64_t":
        return f"INT64_C({iv})"
    return str(iv)


def c_initializer(values: np.ndarray, ct: str, per_line: int = 24) -> str:
    """Brace-initializer body for a flat array (rows of ``per_line`` values)."""
    flat = np.asarray(values).reshape(-1)
    items = [_c_number(v, ct) for v in flat.tolist()]
    rows = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n    ".join(rows)


@dataclass
class LoweringContext:
    """What a lowering may ask of the code generator.

    ``tensor_expr`` maps a tensor index to a C pointer expression (arena
    offset or const symbol); the code generator fills it from the plan.
    """

    graph: Graph
    op: Op
    tensor_expr: Callable[[int], str]
    scratch_expr: str = "NULL"
    scratch_size: int = 0
    consts: list[ConstArray] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    symbol_prefix: str = "model"
    _used_symbols: set = field(default_factory=set)

    # -- pointers -------------------------------------------------------------
    def tensor(self, index: int) -> str:
        """C expression of the tensor's data pointer, typed by its dtype."""
        t = self.graph.tensors[index]
        return f"(({ctype(t.dtype)} *){self.tensor_expr(index)})"

    def raw(self, index: int) -> str:
        """Untyped (``void *``/``uint8_t *``) pointer expression of a tensor."""
        return self.tensor_expr(index)

    def same_buffer(self, a: int, b: int) -> bool:
        """True when the plan put two tensors at the same address (aliasing / in place)."""
        return self.tensor_expr(a) == self.tensor_expr(b)

    def scratch(self) -> str:
        """A ``te_context`` compound literal for this op's scratch buffer."""
        return f"(te_context){{{self.scratch_expr}, {self.scratch_size}}}"

    # -- constants ------------------------------------------------------------
    def const_array(self, hint: str, values, ct: str) -> str:
        """Put an array in flash; returns its symbol."""
        base = f"{self.symbol_prefix}_op{self.op.index}_{hint}"
        symbol, k = base, 1
        while symbol in self._used_symbols:
            k += 1
            symbol = f"{base}{k}"
        self._used_symbols.add(symbol)
        self.consts.append(ConstArray(symbol, ct, np.asarray(values).reshape(-1)))
        return symbol

    @staticmethod
    def struct(ct: str, **fields) -> str:
        """A pointer to a C99 compound literal: ``&(const ct){.a = 1, ...}``."""
        body = ", ".join(f".{k} = {v}" for k, v in fields.items())
        return f"&(const {ct}){{{body}}}"

    @staticmethod
    def dims(shape) -> str:
        """``te_dims`` literal for a shape, NHWC; lower ranks fill leading 1s."""
        s = [int(d) for d in shape]
        if len(s) > 4:
            raise ValueError(f"rank {len(s)} does not fit te_dims")
        s = [1] * (4 - len(s)) + s
        return f"&(const te_dims){{{s[0]}, {s[1]}, {s[2]}, {s[3]}}}"

    # -- statements -----------------------------------------------------------
    def call(self, func: str, *args: str) -> None:
        """Emit a kernel call whose ``te_status`` is checked."""
        self.statements.append(f"TE_CHECK({func}({', '.join(args)}));")

    def stmt(self, code: str) -> None:
        """Emit a raw statement (e.g. a memcpy for a copy that is not aliased away)."""
        self.statements.append(code)

    def unsupported(self, what: str) -> UnsupportedError:
        return UnsupportedError(what, self.op.index, self.op.type)
