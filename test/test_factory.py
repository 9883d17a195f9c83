"""The model factory: every model loads and runs in TF Lite Micro, has the
structure of the model it imitates, respects TFLite's quantization rules,
stays MCU-sized, and its int8 arithmetic follows its float calibration net."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mcuflow.factory import MODELS, build, build_net, write_all
from mcuflow.graph import Graph
from mcuflow.oracle import run_litert, run_tflm, tflm_arena_bytes
from mcuflow.tflite.writer import write_model

EXPECTED_OPS = {
    "resnet8": {"CONV_2D", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"},
    "dscnn_kws": {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"},
    "mobilenetv1_025_vww": {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE",
                            "FULLY_CONNECTED", "SOFTMAX"},
    "fc_autoencoder": {"FULLY_CONNECTED"},
    "mcunet_like": {"PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "HARD_SWISH", "MEAN", "RELU", "LOGISTIC",
                    "MUL", "ADD", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"},
    "mcunet_det": {"PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "RESIZE_NEAREST_NEIGHBOR",
                   "CONCATENATION", "RESHAPE", "TRANSPOSE", "LOGISTIC"},
    "mobilenetv2_176": {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"},
    "resnet8_float_io": {"QUANTIZE", "CONV_2D", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED",
                         "SOFTMAX", "DEQUANTIZE"},
    "mcunet_like_float_io": {"QUANTIZE", "PAD", "HARD_SWISH", "MUL", "LOGISTIC", "DEQUANTIZE"},
}

INPUT_SHAPES = {
    "resnet8": (1, 32, 32, 3), "dscnn_kws": (1, 49, 10, 1), "mobilenetv1_025_vww": (1, 96, 96, 3),
    "fc_autoencoder": (1, 640), "mcunet_like": (1, 96, 96, 3), "mcunet_det": (1, 128, 128, 3),
    "mobilenetv2_176": (1, 176, 176, 3), "resnet8_float_io": (1, 32, 32, 3),
    "mcunet_like_float_io": (1, 96, 96, 3),
}

#: tensors TFLite wants to share quantization with the op's (first) input
SAME_QUANT_OPS = {"AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "SQUEEZE", "PAD", "PADV2", "TRANSPOSE",
                  "RESIZE_NEAREST_NEIGHBOR", "STRIDED_SLICE", "CONCATENATION"}


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    return {name: build(name) for name in MODELS}


@pytest.fixture(scope="module")
def models(graphs) -> dict[str, bytes]:
    return {name: write_model(g) for name, g in graphs.items()}


def random_inputs(g: Graph, seed: int) -> list[np.ndarray]:
    r = np.random.default_rng(seed)
    out = []
    for i in g.inputs:
        t = g.tensors[i]
        if t.dtype == "float32":
            out.append(r.uniform(-1, 1, t.shape).astype(np.float32))
        else:
            out.append(r.integers(-128, 128, t.shape).astype(np.int8))
    return out


def test_registry_has_every_required_model():
    assert set(EXPECTED_OPS) <= set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loads_and_runs_in_tflm(name, graphs, models):
    g = graphs[name]
    outs = [run_tflm(models[name], random_inputs(g, s)).outputs[0] for s in range(2)]
    want = g.tensors[g.outputs[0]]
    for o in outs:
        assert o.shape == want.shape and str(o.dtype) == want.dtype


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loads_in_litert(name, graphs, models):
    g = graphs[name]
    out = run_litert(models[name], random_inputs(g, 0)).outputs[0]
    assert out.shape == g.tensors[g.outputs[0]].shape


@pytest.mark.parametrize("name", sorted(MODELS))
def test_structure(name, graphs):
    g = graphs[name]
    types = Counter(op.type for op in g.ops)
    assert EXPECTED_OPS[name] <= set(types), set(EXPECTED_OPS[name]) - set(types)
    assert g.tensors[g.inputs[0]].shape == INPUT_SHAPES[name]
    if name.endswith("_float_io"):
        assert g.ops[0].type == "QUANTIZE" and g.ops[-1].type == "DEQUANTIZE"
        assert g.tensors[g.inputs[0]].dtype == "float32"
        assert g.tensors[g.outputs[0]].dtype == "float32"
    else:
        assert all(g.tensors[i].dtype == "int8" for i in g.inputs + g.outputs)
    if name.startswith("mcunet_like"):
        # PAD feeding a VALID stride-2 conv or depthwise, as in MCUNet exports
        pads = [op for op in g.ops if op.type == "PAD"]
        for p in pads:
            (consumer,) = g.consumers(p.outputs[0])
            assert consumer.opt("padding") == "VALID" and consumer.opt("stride_w") == 2
        # residual ADDs and a broadcast MUL (squeeze-excite)
        muls = [op for op in g.ops if op.type == "MUL"]
        assert any(g.tensors[op.inputs[1]].shape[1:3] == (1, 1) for op in muls)
    if name == "resnet8":
        assert types["ADD"] == 3
    if name == "dscnn_kws":
        assert types["DEPTHWISE_CONV_2D"] == 4


@pytest.mark.parametrize("name", sorted(MODELS))
def test_quantization_rules(name, graphs):
    g = graphs[name]
    for op in g.ops:
        ins = g.op_inputs(op)
        out = g.op_outputs(op)[0]
        if op.type in ("SOFTMAX", "LOGISTIC"):
            assert (out.quant.s, out.quant.zp) == (1 / 256, -128), op.type
        if op.type in SAME_QUANT_OPS:
            sources = ins if op.type == "CONCATENATION" else ins[:1]
            for t in sources:
                assert (t.quant.s, t.quant.zp) == (out.quant.s, out.quant.zp), (op.index, op.type)
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            x, w = ins[0], ins[1]
            assert w.dtype == "int8" and np.all(w.quant.zero_point == 0)
            assert np.abs(w.data.astype(np.int32)).max() <= 127
            axis = 3 if op.type == "DEPTHWISE_CONV_2D" else 0
            if w.quant.per_channel:
                assert w.quant.axis == axis and w.quant.scale.size == w.shape[axis]
            if len(ins) > 2 and ins[2] is not None:
                b = ins[2]
                assert b.dtype == "int32" and np.all(b.quant.zero_point == 0)
                np.testing.assert_allclose(b.quant.scale, x.quant.s * w.quant.scale, rtol=1e-6)
        for t in ins + [out]:
            if t is not None and t.dtype == "int8" and not t.is_const:
                assert -128 <= t.quant.zp <= 127 and t.quant.s > 0


@pytest.mark.parametrize("name", sorted(MODELS))
def test_mcu_sized(name, graphs):
    weights = sum(t.nbytes for t in graphs[name].tensors if t.is_const)
    assert weights < 1_000_000


def test_mobilenetv2_176_has_a_memory_heavy_first_stage(graphs, models):
    head = tflm_arena_bytes(models["mobilenetv2_176"])["head"]
    assert 250_000 < head < 700_000
    g = graphs["mobilenetv2_176"]
    biggest = max(g.activation_tensors(), key=lambda t: t.nbytes)
    assert biggest.shape[1:3] == (88, 88)


def test_deterministic_per_seed():
    a = write_model(build("dscnn_kws", seed=3))
    assert a == write_model(build("dscnn_kws", seed=3))
    assert a != write_model(build("dscnn_kws", seed=4))


def test_write_all(tmp_path):
    paths = write_all(tmp_path, names=["resnet8", "fc_autoencoder"])
    assert [p.name for p in paths] == ["resnet8.tflite", "fc_autoencoder.tflite"]
    assert paths[0].read_bytes()[4:8] == b"TFL3"


def test_unknown_model_is_named():
    with pytest.raises(KeyError, match="resnet8"):
        build("resnet9")


def _tensor_value(v) -> np.ndarray:
    # the tflite-micro package returns {"dtype", "shape", "tensor_data"} per tensor
    if isinstance(v, np.ndarray) and v.dtype == object:
        v = v.item()
    if isinstance(v, dict):
        v = np.asarray(v["tensor_data"]).reshape(v["shape"])
    return np.asarray(v)


@pytest.mark.parametrize("name", sorted(set(MODELS) - {"mobilenetv2_176"}))
def test_int8_graph_follows_the_float_net(name):
    """TFLM's dequantized intermediates stay within a few percent of the float
    calibration net: checks the factory's float ops (padding, pooling, resize,
    layouts) and its quantization together."""
    net, g = build_net(name)
    x = net.acts[net.inputs[0]].value[:1]
    t_in = g.tensors[g.inputs[0]]
    if t_in.dtype == "int8":
        x = np.clip(np.round(x / t_in.quant.s) + t_in.quant.zp, -128, 127).astype(np.int8)
    res = run_tflm(write_model(g), [x], intermediates=True, tensor_indices=list(net.tensor_index.values()))
    checked = 0
    for a, t in net.tensor_index.items():
        if t not in res.tensors:
            continue
        tq = g.tensors[t].quant
        got = (_tensor_value(res.tensors[t]).astype(np.float64) - tq.zp) * tq.s
        ref = net.acts[a].value[:1].reshape(got.shape)
        err = np.abs(got - ref).max() / max(float(ref.max() - ref.min()), 1e-6)
        assert err < 0.15, (net.acts[a].name, err)
        checked += 1
    assert checked >= len(g.ops) // 2


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_through_reader(name, graphs, models):
    from mcuflow.tflite.reader import read_model

    g = graphs[name]
    g2 = read_model(models[name])
    assert [op.type for op in g2.ops] == [op.type for op in g.ops]
    for ta, tb in zip(g.tensors, g2.tensors, strict=True):
        assert (ta.name, ta.shape, ta.dtype, ta.is_const) == (tb.name, tb.shape, tb.dtype, tb.is_const)
        if ta.is_const:
            np.testing.assert_array_equal(ta.data, tb.data)
    x = random_inputs(g, 5)
    np.testing.assert_array_equal(run_tflm(write_model(g2), x).outputs[0], run_tflm(models[name], x).outputs[0])
