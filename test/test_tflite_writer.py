"""The .tflite writer: hand-built single-op graphs must load and run in TF
Lite Micro (the oracle) and LiteRT, and read back to the same graph."""

from __future__ import annotations

import numpy as np
import pytest
import tflite

from mcuflow.graph import Graph, GraphBuilder, Quantization
from mcuflow.oracle import run_litert, run_tflm
from mcuflow.tflite.writer import CONVERTER_VERSIONS, options_table, write_model


def q(scale, zp=0, axis=0) -> Quantization:
    # float32-representable scales so a round trip through the file is exact
    return Quantization.make(np.float32(scale) if np.isscalar(scale) else np.asarray(scale, np.float32), zp, axis)


def act(b: GraphBuilder, name, shape, scale=0.05, zp=-3, dtype="int8"):
    return b.tensor(name, shape, dtype, q(scale, zp))


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)))


def _op(b: GraphBuilder, type_, ins, outs, **opts):
    b.op(type_, ins, outs, version=CONVERTER_VERSIONS.get(type_, 1), **opts)


# --- single-op graphs ------------------------------------------------------


def g_conv(name="CONV_2D"):
    r = rng_for(name)
    b = GraphBuilder(name)
    x = act(b, "x", (1, 9, 7, 3))
    ws = r.uniform(0.002, 0.01, 5).astype(np.float32)
    w = b.const("w", r.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8), q(ws, 0, 0))
    bias = b.const("bias", r.integers(-2000, 2000, 5).astype(np.int32), q(0.05 * ws, 0, 0))
    y = act(b, "y", (1, 5, 4, 5), 0.1, 4)
    _op(b, "CONV_2D", [x, w, bias], [y], padding="SAME", stride_w=2, stride_h=2,
        dilation_w_factor=1, dilation_h_factor=1, fused_activation_function="RELU6")
    return b.build([x], [y])


def g_dwconv(name="DEPTHWISE_CONV_2D"):
    r = rng_for(name)
    b = GraphBuilder(name)
    x = act(b, "x", (1, 8, 8, 6))
    ws = r.uniform(0.002, 0.01, 6).astype(np.float32)
    w = b.const("w", r.integers(-127, 128, (1, 3, 3, 6)).astype(np.int8), q(ws, 0, 3))
    bias = b.const("bias", r.integers(-2000, 2000, 6).astype(np.int32), q(0.05 * ws, 0, 0))
    y = act(b, "y", (1, 6, 6, 6), 0.1, 4)
    _op(b, "DEPTHWISE_CONV_2D", [x, w, bias], [y], padding="VALID", stride_w=1, stride_h=1,
        depth_multiplier=1, dilation_w_factor=1, dilation_h_factor=1, fused_activation_function="RELU")
    return b.build([x], [y])


def g_fc(name="FULLY_CONNECTED"):
    r = rng_for(name)
    b = GraphBuilder(name)
    x = act(b, "x", (1, 40))
    w = b.const("w", r.integers(-127, 128, (12, 40)).astype(np.int8), q(0.01))
    bias = b.const("bias", r.integers(-500, 500, 12).astype(np.int32), q(0.05 * 0.01))
    y = act(b, "y", (1, 12), 0.2, -10)
    _op(b, "FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function="NONE",
        keep_num_dims=False)
    return b.build([x], [y])


def g_binary(type_):
    def make():
        b = GraphBuilder(type_)
        x1 = act(b, "x1", (1, 4, 4, 8), 0.05, -3)
        x2 = act(b, "x2", (1, 1, 1, 8), 0.08, 7)  # broadcast, as in an SE block
        y = act(b, "y", (1, 4, 4, 8), 0.1, 1)
        _op(b, type_, [x1, x2], [y], fused_activation_function="NONE")
        return b.build([x1, x2], [y])
    return make


def g_pool(type_):
    def make():
        b = GraphBuilder(type_)
        x = act(b, "x", (1, 8, 8, 4))
        y = act(b, "y", (1, 4, 4, 4))
        _op(b, type_, [x], [y], padding="SAME", stride_w=2, stride_h=2, filter_width=3,
            filter_height=3, fused_activation_function="NONE")
        return b.build([x], [y])
    return make


def g_mean():
    b = GraphBuilder("MEAN")
    x = act(b, "x", (1, 5, 5, 8))
    axis = b.const("axis", np.array([1, 2], np.int32))
    y = act(b, "y", (1, 1, 1, 8), 0.03, 2)
    _op(b, "MEAN", [x, axis], [y], keep_dims=True)
    return b.build([x], [y])


def g_pad(type_):
    def make():
        b = GraphBuilder(type_)
        x = act(b, "x", (1, 5, 5, 3))
        pads = b.const("pads", np.array([[0, 0], [0, 1], [1, 1], [0, 0]], np.int32))
        ins = [x, pads]
        if type_ == "PADV2":
            ins.append(b.const("value", np.array([-3], np.int8), q(0.05, -3)))
        y = act(b, "y", (1, 6, 7, 3))
        _op(b, type_, ins, [y])
        return b.build([x], [y])
    return make


def g_reshape():
    b = GraphBuilder("RESHAPE")
    x = act(b, "x", (1, 2, 3, 4))
    shape = b.const("shape", np.array([1, 24], np.int32))
    y = act(b, "y", (1, 24))
    _op(b, "RESHAPE", [x, shape], [y], new_shape=[1, 24])
    return b.build([x], [y])


def g_squeeze():
    b = GraphBuilder("SQUEEZE")
    x = act(b, "x", (1, 1, 1, 10))
    y = act(b, "y", (1, 10))
    _op(b, "SQUEEZE", [x], [y], squeeze_dims=[1, 2])
    return b.build([x], [y])


def g_transpose():
    b = GraphBuilder("TRANSPOSE")
    x = act(b, "x", (1, 3, 4, 5))
    perm = b.const("perm", np.array([0, 3, 1, 2], np.int32))
    y = act(b, "y", (1, 5, 3, 4))
    _op(b, "TRANSPOSE", [x, perm], [y])
    return b.build([x], [y])


def g_concat():
    b = GraphBuilder("CONCATENATION")
    x1 = act(b, "x1", (1, 4, 4, 3))
    x2 = act(b, "x2", (1, 4, 4, 5))
    y = act(b, "y", (1, 4, 4, 8))
    _op(b, "CONCATENATION", [x1, x2], [y], axis=3, fused_activation_function="NONE")
    return b.build([x1, x2], [y])


def g_softmax():
    b = GraphBuilder("SOFTMAX")
    x = act(b, "x", (1, 10), 0.1, 5)
    y = act(b, "y", (1, 10), 1 / 256, -128)
    _op(b, "SOFTMAX", [x], [y], beta=1.0)
    return b.build([x], [y])


def g_log_softmax():
    b = GraphBuilder("LOG_SOFTMAX")
    x = act(b, "x", (1, 10), 0.1, 5)
    y = act(b, "y", (1, 10), 16 / 256, 127)
    _op(b, "LOG_SOFTMAX", [x], [y])
    return b.build([x], [y])


def g_unary(type_, out_scale=0.05, out_zp=-3):
    def make():
        b = GraphBuilder(type_)
        x = act(b, "x", (1, 4, 4, 8), 0.05, -3)
        y = act(b, "y", (1, 4, 4, 8), out_scale, out_zp)
        _op(b, type_, [x], [y])
        return b.build([x], [y])
    return make


def g_resize():
    b = GraphBuilder("RESIZE_NEAREST_NEIGHBOR")
    x = act(b, "x", (1, 3, 4, 2))
    size = b.const("size", np.array([6, 8], np.int32))
    y = act(b, "y", (1, 6, 8, 2))
    _op(b, "RESIZE_NEAREST_NEIGHBOR", [x, size], [y], align_corners=False, half_pixel_centers=False)
    return b.build([x], [y])


def g_quantize():
    b = GraphBuilder("QUANTIZE")
    x = b.tensor("x", (1, 16), "float32")
    y = act(b, "y", (1, 16), 0.02, 3)
    _op(b, "QUANTIZE", [x], [y])
    return b.build([x], [y])


def g_dequantize():
    b = GraphBuilder("DEQUANTIZE")
    x = act(b, "x", (1, 16), 0.02, 3)
    y = b.tensor("y", (1, 16), "float32")
    _op(b, "DEQUANTIZE", [x], [y])
    return b.build([x], [y])


def g_strided_slice():
    b = GraphBuilder("STRIDED_SLICE")
    x = act(b, "x", (1, 6, 6, 4))
    begin = b.const("begin", np.array([0, 1, 0, 0], np.int32))
    end = b.const("end", np.array([1, 5, 6, 4], np.int32))
    strides = b.const("strides", np.array([1, 2, 3, 1], np.int32))
    y = act(b, "y", (1, 2, 2, 4))
    _op(b, "STRIDED_SLICE", [x, begin, end, strides], [y], begin_mask=0, end_mask=0,
        ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0)
    return b.build([x], [y])


def g_broadcast_to():
    # BROADCAST_TO is op code 130: exercises builtin_code vs deprecated_builtin_code
    b = GraphBuilder("BROADCAST_TO")
    x = act(b, "x", (1, 1, 4))
    shape = b.const("shape", np.array([1, 3, 4], np.int32))
    y = act(b, "y", (1, 3, 4))
    _op(b, "BROADCAST_TO", [x, shape], [y])
    return b.build([x], [y])


CASES = {
    "CONV_2D": g_conv,
    "DEPTHWISE_CONV_2D": g_dwconv,
    "FULLY_CONNECTED": g_fc,
    "ADD": g_binary("ADD"),
    "MUL": g_binary("MUL"),
    "AVERAGE_POOL_2D": g_pool("AVERAGE_POOL_2D"),
    "MAX_POOL_2D": g_pool("MAX_POOL_2D"),
    "MEAN": g_mean,
    "PAD": g_pad("PAD"),
    "PADV2": g_pad("PADV2"),
    "RESHAPE": g_reshape,
    "SQUEEZE": g_squeeze,
    "TRANSPOSE": g_transpose,
    "CONCATENATION": g_concat,
    "SOFTMAX": g_softmax,
    "LOG_SOFTMAX": g_log_softmax,
    "LOGISTIC": g_unary("LOGISTIC", 1 / 256, -128),
    "HARD_SWISH": g_unary("HARD_SWISH", 0.04, -20),
    "RELU": g_unary("RELU"),
    "RELU6": g_unary("RELU6"),
    "RESIZE_NEAREST_NEIGHBOR": g_resize,
    "QUANTIZE": g_quantize,
    "DEQUANTIZE": g_dequantize,
    "STRIDED_SLICE": g_strided_slice,
    "BROADCAST_TO": g_broadcast_to,
}


def random_inputs(graph: Graph, seed: int = 0) -> list[np.ndarray]:
    r = np.random.default_rng(seed)
    out = []
    for i in graph.inputs:
        t = graph.tensors[i]
        if t.dtype == "float32":
            out.append(r.uniform(-2, 2, t.shape).astype(np.float32))
        else:
            out.append(r.integers(-128, 128, t.shape).astype(np.int8))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_loads_and_runs_in_tflm(case):
    g = CASES[case]()
    model = write_model(g)
    res = run_tflm(model, random_inputs(g))
    out = g.tensors[g.outputs[0]]
    assert res.outputs[0].shape == out.shape
    assert str(res.outputs[0].dtype) == out.dtype


@pytest.mark.parametrize("case", sorted(set(CASES) - {"FULLY_CONNECTED", "BROADCAST_TO"}))
def test_tflm_and_litert_agree(case):
    # LiteRT's reference kernels match TFLM except FULLY_CONNECTED's rounding;
    # its BUILTIN_REF resolver has no BROADCAST_TO
    g = CASES[case]()
    model = write_model(g)
    for seed in range(2):
        ins = random_inputs(g, seed)
        a = run_tflm(model, ins).outputs[0]
        b = run_litert(model, ins).outputs[0]
        np.testing.assert_array_equal(a, b)


def test_fully_connected_loads_in_litert():
    g = g_fc()
    out = run_litert(write_model(g), random_inputs(g)).outputs[0]
    assert out.shape == (1, 12)


def test_file_layout():
    g = g_broadcast_to()
    model = write_model(g)
    assert model[4:8] == b"TFL3"
    m = tflite.Model.GetRootAsModel(model, 0)
    assert m.Version() == 3
    assert m.Buffers(0).DataLength() == 0
    code = m.OperatorCodes(0)
    assert code.BuiltinCode() == tflite.BuiltinOperator.BROADCAST_TO
    assert code.DeprecatedBuiltinCode() == 127
    g2 = g_conv()
    m2 = tflite.Model.GetRootAsModel(write_model(g2), 0)
    code = m2.OperatorCodes(0)
    assert code.BuiltinCode() == code.DeprecatedBuiltinCode() == tflite.BuiltinOperator.CONV_2D
    assert code.Version() == CONVERTER_VERSIONS["CONV_2D"]


def test_constant_data_is_aligned_and_little_endian():
    g = g_conv()
    model = write_model(g)
    m = tflite.Model.GetRootAsModel(model, 0)
    sg = m.Subgraphs(0)
    for ti in range(sg.TensorsLength()):
        t = sg.Tensors(ti)
        buf = m.Buffers(t.Buffer())
        if buf.DataLength() == 0:
            assert not g.tensors[ti].is_const
            continue
        tab = buf._tab
        start = tab.Vector(tab.Offset(4))
        assert start % 16 == 0
        raw = bytes(model[start:start + buf.DataLength()])
        want = g.tensors[ti].data
        got = np.frombuffer(raw, dtype=np.dtype(want.dtype).newbyteorder("<")).reshape(want.shape)
        np.testing.assert_array_equal(got, want)


def test_per_channel_quantization_fields():
    g = g_dwconv()
    m = tflite.Model.GetRootAsModel(write_model(g), 0)
    t = m.Subgraphs(0).Tensors(1)
    qp = t.Quantization()
    assert qp.ScaleLength() == 6 and qp.ZeroPointLength() == 6
    assert qp.QuantizedDimension() == 3
    np.testing.assert_allclose(qp.ScaleAsNumpy(), g.tensors[1].quant.scale, rtol=1e-7)


def test_options_table_names():
    assert options_table("CONV_2D") == "Conv2DOptions"
    assert options_table("AVERAGE_POOL_2D") == "Pool2DOptions"
    assert options_table("MEAN") == "ReducerOptions"
    assert options_table("HARD_SWISH") == "HardSwishOptions"
    assert options_table("STRIDED_SLICE") == "StridedSliceOptions"
    assert options_table("LOGISTIC") is None


def test_unknown_option_is_reported():
    from mcuflow.errors import UnsupportedError

    g = g_conv()
    g.ops[0].options["no_such_field"] = 1
    with pytest.raises(UnsupportedError, match="no_such_field"):
        write_model(g)


# --- round trip through the reader ---------------------------------------------


def _read_model():
    try:
        from mcuflow.tflite.reader import read_model
    except ImportError:
        pytest.skip("mcuflow.tflite.reader not available yet")
    return read_model


def _same_option(a, b) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)):
        return list(np.asarray(a).reshape(-1)) == list(np.asarray(b).reshape(-1))
    if isinstance(a, float):
        return np.float32(a) == np.float32(b)
    return a == b


def assert_same_graph(a: Graph, b: Graph) -> None:
    assert list(a.inputs) == list(b.inputs)
    assert list(a.outputs) == list(b.outputs)
    assert len(a.tensors) == len(b.tensors)
    for ta, tb in zip(a.tensors, b.tensors):
        assert (ta.name, tuple(ta.shape), ta.dtype) == (tb.name, tuple(tb.shape), tb.dtype)
        assert (ta.quant is None) == (tb.quant is None), ta.name
        if ta.quant is not None:
            np.testing.assert_array_equal(ta.quant.scale.astype(np.float32), tb.quant.scale.astype(np.float32))
            np.testing.assert_array_equal(ta.quant.zero_point, tb.quant.zero_point)
            if ta.quant.per_channel:
                assert ta.quant.axis == tb.quant.axis
        assert ta.is_const == tb.is_const, ta.name
        if ta.is_const:
            np.testing.assert_array_equal(np.asarray(ta.data), np.asarray(tb.data))
            assert np.asarray(ta.data).dtype == np.asarray(tb.data).dtype
    assert len(a.ops) == len(b.ops)
    for oa, ob in zip(a.ops, b.ops):
        assert (oa.type, list(oa.inputs), list(oa.outputs), oa.version) == \
            (ob.type, list(ob.inputs), list(ob.outputs), ob.version)
        for k, v in oa.options.items():  # the reader may add schema defaults
            assert k in ob.options, (oa.type, k)
            assert _same_option(v, ob.options[k]), (oa.type, k, v, ob.options[k])


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_through_reader(case):
    read_model = _read_model()
    g = CASES[case]()
    g2 = read_model(write_model(g))
    assert_same_graph(g, g2)
    # and writing what was read gives a model that behaves the same
    ins = random_inputs(g)
    np.testing.assert_array_equal(run_tflm(write_model(g2), ins).outputs[0],
                                  run_tflm(write_model(g), ins).outputs[0])
