"""Write a :class:`~mcuflow.graph.Graph` as a ``.tflite`` flatbuffer.

The model factory and the tests build graphs by hand; this turns them into
files that TF Lite Micro (the oracle) and LiteRT load. Operator options are
mapped generically: each snake_case key of ``op.options`` becomes a call to
the schema's ``<Table>Add<CamelKey>`` builder function, so an operator whose
options table we have not listed still works when its table is named after
the operator (``HARD_SWISH`` -> ``HardSwishOptions``).

Layout rules that runtimes rely on (see shared/TOOLCHAIN_NOTES.md): buffer 0
is the empty sentinel, file identifier ``TFL3``, model version 3, operator
codes >= 127 go in ``builtin_code`` with ``deprecated_builtin_code = 127``.
Constant data is 16-byte aligned inside the file.
"""

from __future__ import annotations

import functools
import inspect
import re

import flatbuffers
import numpy as np
import tflite

from ..errors import ModelError, UnsupportedError
from ..graph import Graph, Op, Tensor
from .enums import ENUM_FOR_KEY

#: Operator -> options table, where the table is not simply named after the op.
OPTIONS_TABLE = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "PADV2": "PadV2Options",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "LOCAL_RESPONSE_NORMALIZATION": "LocalResponseNormalizationOptions",
    "SPLIT_V": "SplitVOptions",
    "TOPK_V2": "TopKV2Options",
    "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions",
    "GATHER_ND": "GatherNdOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
    "SELECT_V2": "SelectV2Options",
    "REVERSE_V2": "ReverseV2Options",
}

#: Operators whose schema has no options table (or whose table is empty and
#: conventionally omitted by the converter).
NO_OPTIONS = {"RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH", "PRELU",
              "ELU", "FLOOR", "CEIL", "ROUND", "SQRT", "RSQRT", "LOG", "EXP"}

#: Op versions the TFLite converter writes for int8 models (TFLM ignores them;
#: LiteRT accepts any version it registers). ``write_model`` writes
#: ``op.version`` as given; the factory uses these.
CONVERTER_VERSIONS = {
    "CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4, "ADD": 2, "SUB": 2,
    "MUL": 2, "AVERAGE_POOL_2D": 2, "MAX_POOL_2D": 2, "MEAN": 2, "PAD": 2, "PADV2": 2,
    "RESHAPE": 1, "SQUEEZE": 1, "TRANSPOSE": 2, "CONCATENATION": 2, "SOFTMAX": 2,
    "LOG_SOFTMAX": 2, "LOGISTIC": 2, "HARD_SWISH": 1, "RELU": 2, "RELU6": 2,
    "RESIZE_NEAREST_NEIGHBOR": 3, "RESIZE_BILINEAR": 3, "QUANTIZE": 1, "DEQUANTIZE": 2,
    "STRIDED_SLICE": 2, "LEAKY_RELU": 2, "TANH": 2,
}

_NUMPY_DTYPE = {
    "int8": "<i1", "uint8": "<u1", "int16": "<i2", "int32": "<i4", "int64": "<i8",
    "float32": "<f4", "float16": "<f2", "float64": "<f8", "bool": "<u1",
}

_DATA_ALIGN = 16


def _camel(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def options_table(op_type: str) -> str | None:
    """The BuiltinOptions table name for an operator, or None when it has none."""
    if op_type in NO_OPTIONS:
        return None
    if op_type in OPTIONS_TABLE:
        return OPTIONS_TABLE[op_type]
    name = _camel(op_type.lower()) + "Options"
    if hasattr(tflite.BuiltinOptions, name):
        return name
    return None


def builtin_code(op_type: str) -> int:
    try:
        return int(getattr(tflite.BuiltinOperator, op_type))
    except AttributeError:
        raise UnsupportedError(f"unknown TFLite builtin operator {op_type!r}") from None


def _enum_value(table: str, key: str, value: str) -> int:
    cls = ENUM_FOR_KEY.get(key)
    if cls is None:
        # e.g. ("FullyConnectedOptions", "weights_format") -> FullyConnectedOptionsWeightsFormat
        cls = getattr(tflite, table + _camel(key), None) or getattr(tflite, _camel(key), None)
    if cls is None or not hasattr(cls, value):
        raise UnsupportedError(f"{table}.{key}: unknown enum value {value!r}")
    return int(getattr(cls, value))


@functools.cache
def _vector_elem_size(start_fn) -> int:
    """Element size of an options vector, read from its Start...Vector builder."""
    m = re.search(r"StartVector\((\d+)", inspect.getsource(start_fn))
    return int(m.group(1)) if m else 4


def _prepend_scalars(b: flatbuffers.Builder, values, size: int, floating: bool) -> None:
    prepend = {
        (1, False): b.PrependInt8, (2, False): b.PrependInt16, (4, False): b.PrependInt32,
        (8, False): b.PrependInt64, (4, True): b.PrependFloat32, (8, True): b.PrependFloat64,
    }[(size, floating)]
    for v in reversed(list(values)):
        prepend(float(v) if floating else int(v))


def _int32_vector(b: flatbuffers.Builder, values) -> int:
    values = [int(v) for v in values]
    b.StartVector(4, len(values), 4)
    _prepend_scalars(b, values, 4, False)
    return b.EndVector()


def _build_options(b: flatbuffers.Builder, op: Op) -> tuple[int, int]:
    """Returns (BuiltinOptions type, table offset); (0, 0) for no options."""
    table = options_table(op.type)
    if table is None:
        if op.options:
            raise UnsupportedError(f"options {sorted(op.options)} given but the op has no options table",
                                   op.index, op.type)
        return 0, 0
    # Vectors (and strings) must be built before the table is started.
    vectors: dict[str, int] = {}
    for key, value in op.options.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            start = getattr(tflite, f"{table}Start{_camel(key)}Vector", None)
            if start is None:
                raise UnsupportedError(f"{table} has no vector field {key!r}", op.index, op.type)
            arr = np.asarray(value)
            size = _vector_elem_size(start)
            start(b, int(arr.size))
            _prepend_scalars(b, arr.reshape(-1).tolist(), size, arr.dtype.kind == "f")
            vectors[key] = b.EndVector()
    getattr(tflite, f"{table}Start")(b)
    for key, value in op.options.items():
        add = getattr(tflite, f"{table}Add{_camel(key)}", None)
        if add is None:
            raise UnsupportedError(f"{table} has no field {key!r}", op.index, op.type)
        if key in vectors:
            add(b, vectors[key])
        elif isinstance(value, str):
            add(b, _enum_value(table, key, value))
        elif isinstance(value, (bool, np.bool_)):
            add(b, bool(value))
        elif isinstance(value, (int, np.integer)):
            add(b, int(value))
        elif isinstance(value, (float, np.floating)):
            add(b, float(value))
        else:
            raise UnsupportedError(f"{table}.{key}: cannot write value {value!r}", op.index, op.type)
    offset = getattr(tflite, f"{table}End")(b)
    return int(getattr(tflite.BuiltinOptions, table)), offset


def _tensor_bytes(t: Tensor) -> bytes:
    dt = _NUMPY_DTYPE.get(t.dtype)
    if dt is None:
        raise UnsupportedError(f"tensor {t.name!r}: cannot write dtype {t.dtype}")
    data = np.asarray(t.data)
    if data.size != t.size:
        raise ModelError(f"tensor {t.name!r}: {data.size} values for shape {t.shape}")
    return np.ascontiguousarray(data.reshape(-1)).astype(dt).tobytes()


def _buffer(b: flatbuffers.Builder, payload: bytes | None) -> int:
    data = None
    if payload:
        # A ubyte vector aligned to 16 so kernels may read weights in place.
        b.StartVector(1, len(payload), _DATA_ALIGN)
        b.head = b.head - len(payload)
        b.Bytes[b.head:b.head + len(payload)] = payload
        data = b.EndVector()
    tflite.BufferStart(b)
    if data is not None:
        tflite.BufferAddData(b, data)
    return tflite.BufferEnd(b)


def _quantization(b: flatbuffers.Builder, t: Tensor) -> int | None:
    q = t.quant
    if q is None:
        return None
    scale = np.asarray(q.scale, dtype=np.float64).reshape(-1)
    zp = np.asarray(q.zero_point, dtype=np.int64).reshape(-1)
    tflite.QuantizationParametersStartScaleVector(b, scale.size)
    _prepend_scalars(b, scale.tolist(), 4, True)
    scale_off = b.EndVector()
    tflite.QuantizationParametersStartZeroPointVector(b, zp.size)
    _prepend_scalars(b, zp.tolist(), 8, False)
    zp_off = b.EndVector()
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale_off)
    tflite.QuantizationParametersAddZeroPoint(b, zp_off)
    tflite.QuantizationParametersAddQuantizedDimension(b, int(q.axis))
    return tflite.QuantizationParametersEnd(b)


def _tensor_type(dtype: str) -> int:
    name = dtype.upper()
    if not hasattr(tflite.TensorType, name):
        raise UnsupportedError(f"no TFLite tensor type for dtype {dtype!r}")
    return int(getattr(tflite.TensorType, name))


def _vector_of_offsets(b: flatbuffers.Builder, start_fn, offsets: list[int]) -> int:
    start_fn(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def write_model(graph: Graph) -> bytes:
    """Serialize ``graph`` to ``.tflite`` bytes (one subgraph).

    Constant tensors (``data`` set) each get their own buffer; activations
    point at the empty buffer 0. ``op.version`` is written as given.
    """
    b = flatbuffers.Builder(1024 + sum(t.nbytes for t in graph.tensors if t.is_const))

    # Buffers: 0 is the empty sentinel; one per constant tensor after it.
    buffer_of: dict[int, int] = {}
    payloads: list[bytes | None] = [None]
    for t in graph.tensors:
        if t.is_const:
            buffer_of[t.index] = len(payloads)
            payloads.append(_tensor_bytes(t))
    # Build back to front so the biggest data lands at the end of the file.
    buffer_offs = [_buffer(b, p) for p in reversed(payloads)][::-1]

    # Operator codes, in order of first use.
    codes: list[tuple[str, int]] = []
    code_index: dict[tuple[str, int], int] = {}
    for op in graph.ops:
        key = (op.type, int(op.version))
        if key not in code_index:
            code_index[key] = len(codes)
            codes.append(key)
    code_offs = []
    for op_type, version in codes:
        code = builtin_code(op_type)
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, max(1, version))
        code_offs.append(tflite.OperatorCodeEnd(b))

    # Tensors.
    tensor_offs = []
    for t in graph.tensors:
        if t.index != len(tensor_offs):
            raise ModelError(f"tensor {t.name!r} has index {t.index}, expected {len(tensor_offs)}")
        name = b.CreateString(t.name)
        tflite.TensorStartShapeVector(b, len(t.shape))
        _prepend_scalars(b, t.shape, 4, False)
        shape = b.EndVector()
        quant = _quantization(b, t)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, _tensor_type(t.dtype))
        tflite.TensorAddBuffer(b, buffer_of.get(t.index, 0))
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        tensor_offs.append(tflite.TensorEnd(b))

    # Operators.
    op_offs = []
    for op in graph.ops:
        try:
            opt_type, opt_off = _build_options(b, op)
        except UnsupportedError as e:
            if e.op_index is None:
                raise UnsupportedError(str(e), op.index, op.type) from None
            raise
        ins = _int32_vector(b, op.inputs)
        outs = _int32_vector(b, op.outputs)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, code_index[(op.type, int(op.version))])
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if opt_type:
            tflite.OperatorAddBuiltinOptionsType(b, opt_type)
            tflite.OperatorAddBuiltinOptions(b, opt_off)
        op_offs.append(tflite.OperatorEnd(b))

    tensors_vec = _vector_of_offsets(b, tflite.SubGraphStartTensorsVector, tensor_offs)
    ops_vec = _vector_of_offsets(b, tflite.SubGraphStartOperatorsVector, op_offs)
    in_vec = _int32_vector(b, graph.inputs)
    out_vec = _int32_vector(b, graph.outputs)
    sg_name = b.CreateString(graph.name)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    tflite.SubGraphAddOperators(b, ops_vec)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)

    subgraphs_vec = _vector_of_offsets(b, tflite.ModelStartSubgraphsVector, [subgraph])
    codes_vec = _vector_of_offsets(b, tflite.ModelStartOperatorCodesVector, code_offs)
    buffers_vec = _vector_of_offsets(b, tflite.ModelStartBuffersVector, buffer_offs)
    desc = b.CreateString(graph.description or f"mcuflow: {graph.name}")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, desc)
    tflite.ModelAddBuffers(b, buffers_vec)
    model = tflite.ModelEnd(b)
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def save_model(graph: Graph, path) -> None:
    """Write ``graph`` to ``path`` as a .tflite file."""
    from pathlib import Path

    Path(path).write_bytes(write_model(graph))
