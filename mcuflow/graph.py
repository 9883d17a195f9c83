"""The graph IR every stage of the pipeline shares.

``tflite -> graph -> planner -> codegen``: the reader fills these records,
passes rewrite them, the planner places their tensors, the code generator
renders them. Records are plain dataclasses; operator options are a dict with
snake_case keys taken from the TFLite schema (``stride_w``, ``padding`` as
``"SAME"``/``"VALID"``, ``fused_activation_function`` as ``"NONE"``,
``"RELU"``, ``"RELU6"``, ``"RELU_N1_TO_1"``...), so a pass or a kernel reads
them without knowing the flatbuffer API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: TFLite tensor dtypes we can meet, by the name used everywhere in mcuflow.
DTYPE_ITEMSIZE = {
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "float32": 4,
    "bool": 1,
}


@dataclass
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``.

    ``scale`` and ``zero_point`` have one entry per tensor, or one per slice
    along ``axis`` (per-channel weights).
    """

    scale: np.ndarray  # float64 1-D
    zero_point: np.ndarray  # int64 1-D
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @classmethod
    def make(cls, scale, zero_point=0, axis: int = 0) -> Quantization:
        s = np.atleast_1d(np.asarray(scale, dtype=np.float64))
        z = np.atleast_1d(np.asarray(zero_point, dtype=np.int64))
        if z.size == 1 and s.size > 1:
            z = np.zeros(s.size, dtype=np.int64) + z[0]
        return cls(s, z, axis)

    @property
    def s(self) -> float:
        """The per-tensor scale (first entry)."""
        return float(self.scale[0])

    @property
    def zp(self) -> int:
        """The per-tensor zero point (first entry)."""
        return int(self.zero_point[0])


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quantization | None = None
    data: np.ndarray | None = None  # constant tensors only

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * DTYPE_ITEMSIZE[self.dtype]


@dataclass
class Op:
    index: int
    type: str  # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[int]  # tensor indices; -1 marks an omitted optional input
    outputs: list[int]
    options: dict = field(default_factory=dict)
    version: int = 1

    def opt(self, key: str, default=None):
        return self.options.get(key, default)


@dataclass
class Graph:
    name: str
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    description: str = ""

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def op_inputs(self, op: Op) -> list[Tensor | None]:
        return [self.tensors[i] if i >= 0 else None for i in op.inputs]

    def op_outputs(self, op: Op) -> list[Tensor]:
        return [self.tensors[i] for i in op.outputs]

    def producer(self, tensor_index: int) -> Op | None:
        for op in self.ops:
            if tensor_index in op.outputs:
                return op
        return None

    def consumers(self, tensor_index: int) -> list[Op]:
        return [op for op in self.ops if tensor_index in op.inputs]

    def activation_tensors(self) -> list[Tensor]:
        """Tensors that live in RAM: every non-constant tensor an op touches."""
        seen: dict[int, Tensor] = {}
        for i in self.inputs:
            seen[i] = self.tensors[i]
        for op in self.ops:
            for i in list(op.inputs) + list(op.outputs):
                if i >= 0 and not self.tensors[i].is_const:
                    seen[i] = self.tensors[i]
        return list(seen.values())


class GraphBuilder:
    """Builds a :class:`Graph` by hand: the model factory and the tests use it.

    >>> b = GraphBuilder("tiny")
    >>> x = b.tensor("x", (1, 4), "int8", Quantization.make(0.1, -3))
    >>> y = b.tensor("y", (1, 4), "int8", Quantization.make(0.1, -3))
    >>> b.op("RELU", [x], [y])
    >>> g = b.build(inputs=[x], outputs=[y])
    """

    def __init__(self, name: str = "model"):
        self.name = name
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []

    def tensor(self, name, shape, dtype, quant: Quantization | None = None, data=None) -> int:
        if data is not None:
            data = np.asarray(data)
            if tuple(data.shape) != tuple(shape):
                data = data.reshape(shape)
        t = Tensor(len(self.tensors), name, tuple(int(d) for d in shape), dtype, quant, data)
        self.tensors.append(t)
        return t.index

    def const(self, name, data: np.ndarray, quant: Quantization | None = None) -> int:
        data = np.asarray(data)
        return self.tensor(name, data.shape, str(data.dtype), quant, data)

    def op(self, type_: str, inputs, outputs, version: int = 1, **options) -> int:
        self.ops.append(Op(len(self.ops), type_, list(inputs), list(outputs), dict(options), version))
        return len(self.ops) - 1

    def build(self, inputs, outputs) -> Graph:
        return Graph(self.name, self.tensors, self.ops, list(inputs), list(outputs))
