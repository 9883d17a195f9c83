"""Read a ``.tflite`` flatbuffer into the graph IR.

Parsing goes through the ``tflite`` package (flatc-generated from TFLite's
schema), so nothing here knows flatbuffer layouts. What this module adds is
distrust: every count and index is checked against the file before it is used,
so a truncated or corrupted model gives one :class:`ModelError` that names the
file and the part that is broken, never a crash, a hang or a huge allocation.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import tflite

from ..errors import ModelError
from ..graph import Graph, Op, Quantization, Tensor
from .enums import ENUM_FOR_KEY, enum_names

OPERATOR_NAMES = enum_names(tflite.BuiltinOperator)
OPTIONS_NAMES = enum_names(tflite.BuiltinOptions)
TENSOR_TYPE_NAMES = {k: v.lower() for k, v in enum_names(tflite.TensorType).items()}
# Enum-valued option fields (the writer's keys) and the names their values map to.
_ENUM_FIELDS = {key: enum_names(cls) for key, cls in ENUM_FOR_KEY.items()}
_SKIP_METHODS = re.compile(r"^(Init|GetRootAs.*|.*BufferHasIdentifier|.*AsNumpy|.*IsNone|.*Length)$")


def snake_case(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def read_model(source: str | Path | bytes, name: str | None = None) -> Graph:
    """Parse a model file (path or bytes) into a :class:`Graph`.

    Raises :class:`ModelError` for anything malformed; operator support is
    checked later, by the code generator.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = bytes(source)
        label = name or "<bytes>"
    else:
        path = Path(source)
        label = str(path)
        try:
            buf = path.read_bytes()
        except OSError as e:
            raise ModelError(f"{label}: cannot read: {e.strerror}") from e
        name = name or path.stem
    try:
        return _Reader(buf, label).graph(name or "model")
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - the flatbuffer API raises anything on bad bytes
        raise ModelError(f"{label}: malformed TFLite flatbuffer ({type(e).__name__}: {e})") from None


class _Reader:
    def __init__(self, buf: bytes, label: str):
        self.buf = buf
        self.label = label
        if len(buf) < 8:
            self.fail(f"file is {len(buf)} bytes, too short for a TFLite model")
        if buf[4:8] != b"TFL3":
            self.fail("not a TFLite model (file identifier is not 'TFL3')")
        self.model = tflite.Model.GetRootAsModel(buf, 0)

    def fail(self, what: str):
        raise ModelError(f"{self.label}: {what}")

    def count(self, n: int, what: str, min_bytes_each: int = 4) -> int:
        """A vector length that fits in the file (guards against huge loops)."""
        if n < 0 or n * min_bytes_each > len(self.buf):
            self.fail(f"{what} count {n} is impossible for a {len(self.buf)}-byte file")
        return n

    def graph(self, name: str) -> Graph:
        m = self.model
        n_sub = self.count(m.SubgraphsLength(), "subgraph")
        if n_sub != 1:
            self.fail(f"has {n_sub} subgraphs; only single-subgraph models are supported")
        sg = m.Subgraphs(0)
        buffers = self._buffers()
        opcodes = self._opcodes()
        n_t = self.count(sg.TensorsLength(), "tensor")
        tensors = [self._tensor(sg.Tensors(i), i, buffers) for i in range(n_t)]
        n_ops = self.count(sg.OperatorsLength(), "operator")
        ops = [self._op(sg.Operators(i), i, opcodes, n_t) for i in range(n_ops)]
        inputs = self._indices(sg.InputsAsNumpy(), n_t, "subgraph input")
        outputs = self._indices(sg.OutputsAsNumpy(), n_t, "subgraph output")
        if not inputs or not outputs:
            self.fail("the subgraph declares no inputs or no outputs")
        desc = m.Description()
        return Graph(name, tensors, ops, inputs, outputs, desc.decode(errors="replace") if desc else "")

    def _indices(self, arr, n_t: int, what: str, allow_missing: bool = False) -> list[int]:
        if isinstance(arr, int):  # the package returns 0 for an absent vector
            return []
        out = [int(x) for x in arr]
        for x in out:
            if x >= n_t or x < (-1 if allow_missing else 0):
                self.fail(f"{what} refers to tensor {x}, but the model has {n_t} tensors")
        return out

    def _buffers(self) -> list[np.ndarray | None]:
        m = self.model
        out = []
        for i in range(self.count(m.BuffersLength(), "buffer")):
            b = m.Buffers(i)
            data = b.DataAsNumpy()
            offset, size = b.Offset(), b.Size()
            if offset > 1 and size > 0:
                if offset + size > len(self.buf):
                    self.fail(f"buffer {i} lies outside the file (offset {offset}, {size} bytes)")
                data = np.frombuffer(self.buf, dtype=np.uint8, count=size, offset=offset)
            out.append(None if isinstance(data, int) or len(data) == 0 else np.asarray(data, dtype=np.uint8))
        return out

    def _opcodes(self) -> list[tuple[str, int]]:
        m = self.model
        out = []
        for i in range(self.count(m.OperatorCodesLength(), "operator code")):
            oc = m.OperatorCodes(i)
            code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
            if code == tflite.BuiltinOperator.CUSTOM:
                custom = oc.CustomCode()
                out.append((f"CUSTOM:{custom.decode(errors='replace') if custom else '?'}", oc.Version()))
            else:
                out.append((OPERATOR_NAMES.get(code, f"BUILTIN_{code}"), oc.Version()))
        return out

    def _tensor(self, t, index: int, buffers) -> Tensor:
        name = (t.Name() or b"").decode(errors="replace")
        shape_arr = t.ShapeAsNumpy()
        shape = tuple(int(d) for d in ([] if isinstance(shape_arr, int) else shape_arr))
        if len(shape) > 8 or any(d < 0 for d in shape):
            self.fail(f"tensor {index} ({name}) has an invalid shape {shape}")
        dtype = TENSOR_TYPE_NAMES.get(t.Type(), f"type{t.Type()}")
        quant = self._quant(t.Quantization(), index, name)
        data = None
        b = t.Buffer()
        if b >= len(buffers):
            self.fail(f"tensor {index} ({name}) refers to buffer {b}, but the model has {len(buffers)}")
        raw = buffers[b] if b > 0 else None
        if raw is not None:
            data = self._const_data(raw, dtype, shape, index, name)
        return Tensor(index, name, shape, dtype, quant, data)

    def _const_data(self, raw: np.ndarray, dtype: str, shape, index: int, name: str) -> np.ndarray:
        np_dtype = {"float32": "<f4", "int8": "i1", "uint8": "u1", "int16": "<i2", "int32": "<i4",
                    "int64": "<i8", "bool": "u1"}.get(dtype)
        if np_dtype is None:
            # Kept as raw bytes; the code generator rejects the dtype with the op that uses it.
            return raw.copy()
        itemsize = np.dtype(np_dtype).itemsize
        expect = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if raw.size != expect * itemsize:
            self.fail(f"tensor {index} ({name}) has {raw.size} data bytes, but {dtype}{list(shape)} needs {expect * itemsize}")
        return np.frombuffer(raw.tobytes(), dtype=np_dtype).astype(dtype).reshape(shape)

    def _quant(self, q, index: int, name: str) -> Quantization | None:
        if q is None:
            return None
        scale, zp = q.ScaleAsNumpy(), q.ZeroPointAsNumpy()
        if isinstance(scale, int) or len(scale) == 0:
            return None
        zp = np.zeros(len(scale), np.int64) if isinstance(zp, int) or len(zp) == 0 else np.asarray(zp, np.int64)
        if len(zp) not in (1, len(scale)):
            self.fail(f"tensor {index} ({name}) has {len(scale)} scales but {len(zp)} zero points")
        return Quantization.make(np.asarray(scale, np.float64), zp, int(q.QuantizedDimension()))

    def _op(self, o, index: int, opcodes, n_t: int) -> Op:
        oi = o.OpcodeIndex()
        if oi >= len(opcodes):
            self.fail(f"operator {index} uses opcode {oi}, but the model has {len(opcodes)}")
        op_type, version = opcodes[oi]
        inputs = self._indices(o.InputsAsNumpy(), n_t, f"operator {index} ({op_type}) input", allow_missing=True)
        outputs = self._indices(o.OutputsAsNumpy(), n_t, f"operator {index} ({op_type}) output")
        return Op(index, op_type, inputs, outputs, self._options(o, index, op_type), int(version))

    def _options(self, o, index: int, op_type: str) -> dict:
        otype = o.BuiltinOptionsType()
        if otype == 0:
            return {}
        cls_name = OPTIONS_NAMES.get(otype)
        cls = getattr(tflite, cls_name, None) if cls_name else None
        table = o.BuiltinOptions()
        if cls is None or table is None:
            self.fail(f"operator {index} ({op_type}) has unknown options type {otype}")
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        out = {}
        for meth in dir(cls):
            if meth.startswith("_") or _SKIP_METHODS.match(meth):
                continue
            key = snake_case(meth)
            if hasattr(opts, meth + "Length"):
                arr = getattr(opts, meth + "AsNumpy")()
                out[key] = [] if isinstance(arr, int) else [int(v) for v in arr]
                continue
            value = getattr(opts, meth)()
            if key in _ENUM_FIELDS:
                value = _ENUM_FIELDS[key].get(value, f"UNKNOWN_{value}")
            out[key] = value
        return out
