"""CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: reference == TF Lite Micro == generated C.

Hypothesis draws whole operator configurations (shapes, kernel 1..7, stride
1..3, dilation 1..3, SAME/VALID, depth multiplier 1..3, groups, per-channel
or per-tensor scales, zero points, fused activations, with or without bias).
Several drawn configurations go into one graph (independent ops, one input
and one output each), so one host compile checks many of them: every
example is written to .tflite, run by TFLM (the oracle), by the NumPy
reference and by the generated C under ASan/UBSan, and all three must agree
byte for byte (``mcuflow.verify.host.verify_graph``).

A bias-less op is written with the bias omitted (two inputs) or as input -1;
TFLM crashes (segfault) on a DEPTHWISE_CONV_2D whose bias input is -1, so
depthwise ops always use the two-input form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcuflow.errors import UnsupportedError
from mcuflow.graph import Graph, GraphBuilder, Quantization
from mcuflow.quant import activation_range, per_channel_multipliers
from mcuflow.reference import run_graph
from mcuflow.reference.conv import out_size, pad_before
from mcuflow.verify.host import verify_graph

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# --- configurations -------------------------------------------------------------


@dataclass
class Quant:
    """Activation quantization and the scale draws of one op."""

    in_scale: float
    in_zp: int
    out_zp: int
    gain_log2: float  # output scale relative to the accumulator's typical size
    w_scale_spread: float  # log2 spread of per-channel weight scales
    per_channel: bool
    bias: bool
    bias_log2: float  # bias magnitude relative to the accumulator's typical size
    act: str
    seed: int


@dataclass
class ConvCfg:
    kind: str  # CONV_2D or DEPTHWISE_CONV_2D
    n: int
    h: int
    w: int
    cin: int
    cout: int  # conv: output channels; depthwise: depth multiplier * cin
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    padding: str
    groups: int  # conv only
    dm: int  # depthwise only
    q: Quant


@dataclass
class FcCfg:
    layout: str  # "2d": [b, in]; "flatten": [b, h, w, c] -> [b, out]; "keep": [a, b, in] -> [a, b, out]
    batch: tuple[int, ...]
    in_shape: tuple[int, ...]  # input shape without the batch dims (flattened to in_features)
    out_f: int
    w_zp: int  # per-tensor weights only
    q: Quant


quants = st.builds(
    Quant,
    in_scale=st.floats(-10, 0).map(lambda e: float(f32(2.0**e))),
    in_zp=st.integers(-128, 127),
    out_zp=st.integers(-128, 127),
    gain_log2=st.one_of(st.floats(-3, 3), st.floats(-12, 12)),
    w_scale_spread=st.floats(0, 4),
    per_channel=st.booleans(),
    bias=st.booleans(),
    bias_log2=st.floats(-4, 4),
    act=st.sampled_from(ACTS),
    seed=st.integers(0, 2**31 - 1),
)


@st.composite
def conv_cfgs(draw, kind: str, bias: bool | None = None):
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "VALID":
        h, w = draw(st.integers(eh, eh + 6)), draw(st.integers(ew, ew + 6))
    else:
        h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    n = draw(st.sampled_from([1, 1, 1, 2]))
    groups, dm = 1, 1
    if kind == "CONV_2D":
        groups = draw(st.sampled_from([1, 1, 1, 1, 2, 3]))
        cin = groups * draw(st.integers(1, 6 if groups == 1 else 3))
        cout = groups * draw(st.integers(1, 8 if groups == 1 else 3))
    else:
        cin = draw(st.integers(1, 8))
        dm = draw(st.integers(1, 3))
        cout = cin * dm
    q = draw(quants)
    if bias is not None:
        q.bias = bias
    return ConvCfg(kind, n, h, w, cin, cout, kh, kw, sh, sw, dh, dw, padding, groups, dm, q)


@st.composite
def fc_cfgs(draw):
    layout = draw(st.sampled_from(["2d", "2d", "flatten", "keep"]))
    if layout == "2d":
        batch, in_shape = (draw(st.integers(1, 4)),), (draw(st.integers(1, 64)),)
    elif layout == "flatten":
        batch = (draw(st.integers(1, 2)),)
        in_shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 6)))
    else:
        batch, in_shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))), (draw(st.integers(1, 32)),)
    q = draw(quants)
    w_zp = 0 if q.per_channel else draw(st.sampled_from([0, 0, 0]) | st.integers(-128, 127))
    return FcCfg(layout, batch, in_shape, draw(st.integers(1, 16)), w_zp, q)


# --- graph building ---------------------------------------------------------------


def _mac_quant(b: GraphBuilder, q: Quant, rng, n_out: int, taps: int, axis: int, w_zp: int = 0):
    """Weight quantization, output quantization and bias values of one MAC op."""
    spread = 2.0 ** rng.uniform(-q.w_scale_spread / 2, q.w_scale_spread / 2, n_out) if q.per_channel else np.ones(1)
    w_scales = f32(0.01 * spread)
    # Typical |accumulator| ~ sqrt(taps) * 74 * 74; aim the output at ~64 LSB, then skew by gain.
    typical = math.sqrt(taps) * 5500.0
    out_scale = float(f32(q.in_scale * float(np.mean(w_scales)) * typical / 64.0 * 2.0**q.gain_log2))
    out_scale = min(max(out_scale, 2.0**-20), 2.0**10)
    bias_scales = f32(q.in_scale * w_scales) if q.per_channel else f32(np.full(1, q.in_scale * w_scales[0]))
    bias = None
    if q.bias:
        mag = typical * 2.0**q.bias_log2
        bias = np.clip(np.round(rng.normal(0, mag, n_out)), -(2**24), 2**24).astype(np.int32)
    wq = Quantization.make(w_scales, w_zp, axis)
    return wq, out_scale, bias, bias_scales


def add_conv(b: GraphBuilder, c: ConvCfg, k: int) -> tuple[int, int]:
    q = c.q
    rng = np.random.default_rng(q.seed)
    x = b.tensor(f"x{k}", (c.n, c.h, c.w, c.cin), "int8", Quantization.make(q.in_scale, q.in_zp))
    if c.kind == "CONV_2D":
        fc = c.cin // c.groups
        wshape, axis, taps = (c.cout, c.kh, c.kw, fc), 0, c.kh * c.kw * fc
    else:
        wshape, axis, taps = (1, c.kh, c.kw, c.cout), 3, c.kh * c.kw
    wq, out_scale, bias, bias_scales = _mac_quant(b, q, rng, c.cout, taps, axis)
    w = b.const(f"w{k}", rng.integers(-127, 128, wshape).astype(np.int8), wq)
    ins = [x, w]
    if bias is not None:
        ins.append(b.const(f"b{k}", bias, Quantization.make(bias_scales, 0, 0)))
    elif c.kind == "CONV_2D" and q.seed % 2:
        ins.append(-1)  # omitted optional input; depthwise omits it by count (see the docstring)
    oh = out_size(c.padding, c.h, c.kh, c.sh, c.dh)
    ow = out_size(c.padding, c.w, c.kw, c.sw, c.dw)
    y = b.tensor(f"y{k}", (c.n, oh, ow, c.cout), "int8", Quantization.make(out_scale, q.out_zp))
    opts = {
        "padding": c.padding,
        "stride_h": c.sh,
        "stride_w": c.sw,
        "dilation_h_factor": c.dh,
        "dilation_w_factor": c.dw,
        "fused_activation_function": q.act,
    }
    if c.kind == "DEPTHWISE_CONV_2D":
        opts["depth_multiplier"] = c.dm
    b.op(c.kind, ins, [y], version=1, **opts)
    return x, y


def add_fc(b: GraphBuilder, c: FcCfg, k: int) -> tuple[int, int]:
    q = c.q
    rng = np.random.default_rng(q.seed)
    in_f = int(np.prod(c.in_shape))
    x = b.tensor(f"x{k}", c.batch + c.in_shape, "int8", Quantization.make(q.in_scale, q.in_zp))
    wq, out_scale, bias, bias_scales = _mac_quant(b, q, rng, c.out_f, in_f, 0, c.w_zp)
    w = b.const(f"w{k}", rng.integers(-127, 128, (c.out_f, in_f)).astype(np.int8), wq)
    ins = [x, w]
    ins.append(b.const(f"b{k}", bias, Quantization.make(bias_scales, 0, 0)) if bias is not None else -1)
    out_shape = c.batch + (c.out_f,) if c.layout == "keep" else (int(np.prod(c.batch)), c.out_f)
    y = b.tensor(f"y{k}", out_shape, "int8", Quantization.make(out_scale, q.out_zp))
    b.op("FULLY_CONNECTED", ins, [y], version=1, fused_activation_function=q.act,
         keep_num_dims=c.layout == "keep")
    return x, y


def build(cfgs, name: str) -> Graph:
    b = GraphBuilder(name)
    xs, ys = [], []
    for k, c in enumerate(cfgs):
        x, y = add_fc(b, c, k) if isinstance(c, FcCfg) else add_conv(b, c, k)
        xs.append(x)
        ys.append(y)
    return b.build(xs, ys)


def verify_random_on_board(graph: Graph, board: str, seed: int) -> None:
    """A drawn graph on an emulated board: bit-exact, or too large for that board (nothing to check)."""
    from mcuflow.device.harness import verify_on_board

    try:
        r = verify_on_board(graph, board, n_inputs=2, seed=seed)
    except Exception as e:
        if "does not fit" in str(e):
            return
        raise
    assert r["bit_exact"]


def check(cfgs, name: str, oracle: str = "tflm") -> None:
    if cfgs:
        verify_graph(build(cfgs, name), n_inputs=2, seed=len(cfgs), oracle=oracle)


# --- property tests: reference == oracle == generated C -----------------------------

# About 300 drawn configurations per operator in the default run (25 graphs of 8..20 ops;
# one host compile per graph keeps a configuration near 0.1 s in all).


@settings(max_examples=25, **SETTINGS)
@given(st.lists(conv_cfgs("CONV_2D"), min_size=8, max_size=20))
def test_conv2d(cfgs):
    check(cfgs, "conv")


@settings(max_examples=25, **SETTINGS)
@given(st.lists(conv_cfgs("DEPTHWISE_CONV_2D"), min_size=8, max_size=20))
def test_depthwise_conv2d(cfgs):
    check(cfgs, "dw")


@settings(max_examples=25, **SETTINGS)
@given(st.lists(fc_cfgs(), min_size=8, max_size=20))
def test_fully_connected(cfgs):
    check(cfgs, "fc")


@pytest.mark.slow
@settings(max_examples=400, **SETTINGS)
@given(st.lists(st.one_of(conv_cfgs("CONV_2D"), conv_cfgs("DEPTHWISE_CONV_2D"), fc_cfgs()),
                min_size=1, max_size=16))
def test_mac_ops_slow(cfgs):
    check(cfgs, "mac")


# --- targeted cases ------------------------------------------------------------------


def _q(**kw) -> Quant:
    base = {"in_scale": 0.05, "in_zp": -7, "out_zp": 3, "gain_log2": 0.0, "w_scale_spread": 2.0, "per_channel": True,
                "bias": True, "bias_log2": 0.0, "act": "NONE", "seed": 1}
    base.update(kw)
    return Quant(**base)


def _conv(kind="CONV_2D", **kw) -> ConvCfg:
    base = {"kind": kind, "n": 1, "h": 8, "w": 8, "cin": 3, "cout": 4, "kh": 3, "kw": 3, "sh": 1, "sw": 1, "dh": 1, "dw": 1, "padding": "SAME",
                "groups": 1, "dm": 1, "q": _q()}
    base.update(kw)
    if kind == "DEPTHWISE_CONV_2D":
        base["cout"] = base["cin"] * base["dm"]
    return ConvCfg(**base)


def test_same_padding_is_asymmetric():
    """Even input, stride 2, SAME: TFLite pads 0 on top/left and 1 at the bottom/right."""
    assert out_size("SAME", 8, 3, 2, 1) == 4
    assert pad_before("SAME", 8, 3, 2, 1) == 0  # total 1: all of it at the bottom
    assert pad_before("SAME", 7, 3, 2, 1) == 1
    assert pad_before("SAME", 8, 4, 1, 1) == 1  # total 3: 1 before, 2 after
    assert pad_before("SAME", 5, 3, 1, 3) == 3  # dilation widens the filter to 7
    check([_conv(h=8, w=8, sh=2, sw=2), _conv(h=8, w=6, kh=4, kw=4),
           _conv("DEPTHWISE_CONV_2D", h=8, w=8, sh=2, sw=2, cin=5, dm=2)], "asym")


def test_edge_multipliers_and_clamps():
    """Multipliers above 1 (left shift), tiny ones (shift < -31 -> 0), every activation."""
    cfgs = []
    for gain in (-40.0, -14.0, -8.0, 0.0, 8.0, 14.0):
        for act in ACTS:
            cfgs.append(_conv(q=_q(gain_log2=gain, act=act, out_zp=-128 if act == "RELU6" else 5)))
            cfgs.append(FcCfg("2d", (2,), (17,), 5, 0, _q(gain_log2=gain, act=act, per_channel=False)))
    check(cfgs, "edge")


def test_relu6_clamp_rounds_in_float32():
    """6 / scale == k + 0.5 in float32 but just below it in double: TFLM's clamp rounds up."""
    s = float(np.float32(6.0 / 52.5))
    assert activation_range("RELU6", s, -128) == (-128, -75)
    b = GraphBuilder("relu6")
    x = b.tensor("x", (1, 1), "int8", Quantization.make(1.0, 0))
    w = b.const("w", np.array([[127]], np.int8), Quantization.make(1.0, 0))
    y = b.tensor("y", (1, 1), "int8", Quantization.make(s, -128))
    b.op("FULLY_CONNECTED", [x, w, -1], [y], fused_activation_function="RELU6")
    verify_graph(b.build([x], [y]), n_inputs=3)


def test_fc_weight_zero_point_and_layouts():
    """Per-tensor FC applies the weight zero point (TFLM's filter offset); rank-4 input and keep_num_dims."""
    cfgs = [FcCfg("2d", (3,), (20,), 7, zp, _q(per_channel=False, bias=bool(zp % 2))) for zp in (-128, -5, 9, 127)]
    cfgs += [FcCfg("flatten", (2,), (3, 2, 4), 6, 0, _q()), FcCfg("keep", (2, 3), (11,), 4, 0, _q(bias=False))]
    check(cfgs, "fc_zp")


def test_grouped_conv_and_big_kernels():
    check([_conv(cin=6, cout=4, groups=2), _conv(cin=6, cout=9, groups=3, kh=7, kw=7, dh=3, dw=2, h=5, w=11),
           _conv(kh=7, kw=1, sh=3, sw=2, padding="VALID", h=9, w=4)], "groups")


def test_depthwise_without_bias():
    check([_conv("DEPTHWISE_CONV_2D", dm=3, q=_q(bias=False)),
           _conv("DEPTHWISE_CONV_2D", cin=1, dm=2, kh=5, kw=2, dh=2, q=_q(bias=False, act="RELU"))], "dw_nb")


def test_depthwise_against_litert():
    """Second opinion: LiteRT's reference kernels agree on depthwise (not on FC: it rounds once)."""
    check([_conv("DEPTHWISE_CONV_2D", dm=2, sh=2, q=_q(act="RELU6")),
           _conv("DEPTHWISE_CONV_2D", cin=4, kh=2, kw=5, dw=3, padding="VALID", h=6, w=14, q=_q(bias=False)),
           _conv(q=_q(per_channel=False))], "dw_lr", oracle="litert")


def test_per_channel_multipliers_use_double_product():
    """Conv and FC multipliers are double(in) * double(w[c]) / double(out), QuantizeMultiplier'd."""
    m, s = per_channel_multipliers(0.1, [0.25, 1e-12], 0.5)
    assert (int(m[0]), int(s[0])) == (1717986944, -4)  # 0.05 (float32 0.1 * 0.25 / 0.5)
    assert (int(m[1]), int(s[1])) == (0, 0)  # below 2^-31: zero


def test_unsupported_options_raise():
    b = GraphBuilder("bad")
    x = b.tensor("x", (1, 4, 4, 2), "int16", Quantization.make(0.1, 0))
    w = b.const("w", np.ones((2, 1, 1, 2), np.int8), Quantization.make(0.1, 0))
    y = b.tensor("y", (1, 4, 4, 2), "int16", Quantization.make(0.1, 0))
    b.op("CONV_2D", [x, w, -1], [y], padding="SAME", stride_h=1, stride_w=1, fused_activation_function="NONE")
    g = b.build([x], [y])
    with pytest.raises(UnsupportedError, match="int8"):
        run_graph(g, [np.zeros((1, 4, 4, 2), np.int16)])
    g.tensors[x].dtype = g.tensors[y].dtype = "int8"
    g.ops[0].options["fused_activation_function"] = "TANH"
    with pytest.raises(UnsupportedError, match="TANH"):
        run_graph(g, [np.zeros((1, 4, 4, 2), np.int8)])


# --- converter-made models (../shared/models; skipped when absent) ------------------

MAC_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def mac_ops_graph(g: Graph) -> tuple[Graph, list[int]]:
    """Every MAC op of ``g`` as an independent op of a new graph; also returns their input tensors in ``g``."""
    b = GraphBuilder(g.name.replace("-", "_") + "_mac" if g.name else "mac")
    xs, ys, src = [], [], []

    def copy(i: int, k: int) -> int:
        if i < 0:
            return -1
        t = g.tensors[i]
        return b.tensor(f"op{k}_{t.name}", t.shape, t.dtype, t.quant, t.data)

    for k, op in enumerate(o for o in g.ops if o.type in MAC_OPS):
        ins, outs = [copy(i, k) for i in op.inputs], [copy(i, k) for i in op.outputs]
        b.op(op.type, ins, outs, version=op.version, **op.options)
        xs.append(ins[0])
        ys.append(outs[0])
        src.append(op.inputs[0])
    return b.build(xs, ys), src


def _shared_model_params():
    from conftest import shared_models

    paths = shared_models()
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if "mobilenet" in p.stem else []) for p in paths]


@pytest.mark.parametrize("path", _shared_model_params())
def test_shared_model_mac_ops(path):
    """Each MAC op of a converter-made model, fed the activations TFLM computed for it in the full model."""
    from mcuflow.oracle import run_tflm
    from mcuflow.tflite.reader import read_model
    from mcuflow.verify.host import random_inputs

    g = read_model(path)
    sub, src = mac_ops_graph(g)
    if not sub.ops:
        pytest.skip("no MAC ops")
    full = run_tflm(path.read_bytes(), random_inputs(g, 1, seed=3)[0], intermediates=True, tensor_indices=src)
    missing = [i for i in src if i not in full.tensors and i not in g.inputs]
    assert not missing, f"TFLM did not expose tensors {missing}"
    inputs = [[np.asarray(full.tensors[i]).reshape(sub.tensors[x].shape) for i, x in zip(src, sub.inputs)]]
    verify_graph(sub, inputs=inputs)


# --- C argument checks ------------------------------------------------------------------

C_ARG_CHECKS = r"""
#include <stdio.h>
#include "tinyengine.h"

#define EXPECT(cond) do { if (!(cond)) { printf("failed: %s (line %d)\n", #cond, __LINE__); return 1; } } while (0)

int main(void)
{
    int8_t in[2 * 4 * 4 * 6] = {0}, out[2 * 4 * 4 * 6] = {0}, w[6 * 3 * 3 * 6] = {0};
    int32_t mult[12], shift[12], bias[12] = {0};
    for (int i = 0; i < 12; i++) { mult[i] = 1 << 30; shift[i] = 0; }
    const te_per_channel_quant pq = {mult, shift};
    const te_context none = {NULL, 0};
    const te_dims in_d = {2, 4, 4, 6}, out_d = {2, 4, 4, 6}, w_d = {6, 3, 3, 6}, w_grp = {6, 3, 3, 4};
    te_conv_params cp = {0, 0, {1, 1}, {1, 1}, {1, 1}, {-128, 127}};

    EXPECT(te_conv2d_s8_get_buffer_size(&in_d, &w_d, &out_d) == 0);
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_d, w, bias, &out_d, out) == TE_OK);
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_d, w, NULL, &out_d, out) == TE_OK);
    EXPECT(te_conv2d_s8(none, NULL, &pq, &in_d, in, &w_d, w, bias, &out_d, out) == TE_ERR_ARG);
    EXPECT(te_conv2d_s8(none, &cp, NULL, &in_d, in, &w_d, w, bias, &out_d, out) == TE_ERR_ARG);
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, NULL, &w_d, w, bias, &out_d, out) == TE_ERR_ARG);
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_grp, w, bias, &out_d, out) == TE_ERR_ARG); /* 6 % 4 */
    cp.stride.h = 0;
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_d, w, bias, &out_d, out) == TE_ERR_ARG);
    cp.stride.h = 1;
    cp.activation.min = 5; cp.activation.max = 4;
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_d, w, bias, &out_d, out) == TE_ERR_ARG);
    cp.activation.min = -128; cp.activation.max = 127;
    cp.input_offset = 129;
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_d, w, bias, &out_d, out) == TE_ERR_ARG);
    cp.input_offset = 0;
    const te_dims bad_n = {1, 4, 4, 6};
    EXPECT(te_conv2d_s8(none, &cp, &pq, &in_d, in, &w_d, w, bias, &bad_n, out) == TE_ERR_ARG);

    te_dw_conv_params dp = {0, 0, {1, 1}, {1, 1}, {1, 1}, 2, {-128, 127}};
    const te_dims dw_in = {1, 4, 4, 3}, dw_w = {1, 3, 3, 6}, dw_out = {1, 4, 4, 6};
    EXPECT(te_depthwise_conv2d_s8_get_buffer_size(&dw_in, &dw_w, &dw_out) == 0);
    EXPECT(te_depthwise_conv2d_s8(none, &dp, &pq, &dw_in, in, &dw_w, w, NULL, &dw_out, out) == TE_OK);
    dp.depth_multiplier = 1;
    EXPECT(te_depthwise_conv2d_s8(none, &dp, &pq, &dw_in, in, &dw_w, w, bias, &dw_out, out) == TE_ERR_ARG);
    dp.depth_multiplier = 2;
    dp.dilation.w = 0;
    EXPECT(te_depthwise_conv2d_s8(none, &dp, &pq, &dw_in, in, &dw_w, w, bias, &dw_out, out) == TE_ERR_ARG);

    te_fc_params fp = {3, 0, -2, {-128, 127}};
    const te_quant q1 = {1 << 30, -2};
    const te_dims fc_in = {2, 1, 1, 10}, fc_w = {7, 1, 1, 10}, fc_out = {2, 1, 1, 7}, fc_bad = {2, 1, 1, 6};
    EXPECT(te_fully_connected_s8_get_buffer_size(&fc_w) == 0);
    EXPECT(te_fully_connected_s8(none, &fp, &q1, &fc_in, in, &fc_w, w, bias, &fc_out, out) == TE_OK);
    EXPECT(te_fully_connected_s8(none, &fp, &q1, &fc_in, in, &fc_w, w, bias, &fc_bad, out) == TE_ERR_ARG);
    EXPECT(te_fully_connected_s8(none, &fp, NULL, &fc_in, in, &fc_w, w, bias, &fc_out, out) == TE_ERR_ARG);
    EXPECT(te_fully_connected_per_channel_s8(none, &fp, &pq, &fc_in, in, &fc_w, w, NULL, &fc_out, out) == TE_OK);
    fp.filter_offset = 4;
    EXPECT(te_fully_connected_s8(none, &fp, &q1, &fc_in, in, &fc_w, w, bias, &fc_out, out) == TE_OK);
    EXPECT(te_fully_connected_per_channel_s8(none, &fp, &pq, &fc_in, in, &fc_w, w, bias, &fc_out, out) == TE_ERR_ARG);
    printf("ok\n");
    return 0;
}
"""


def test_c_kernels_validate_arguments(tmp_path):
    """NULL pointers, inconsistent shapes and out-of-range parameters return TE_ERR_ARG, never crash."""
    import subprocess

    from mcuflow.verify.host import SANITIZE, TE_DIR, WARN, tinyengine_archive

    cflags = WARN + ["-O1", "-g"] + SANITIZE
    lib = tinyengine_archive(cflags)
    src = tmp_path / "args.c"
    src.write_text(C_ARG_CHECKS)
    exe = tmp_path / "args"
    subprocess.run(["gcc", *cflags, "-I", str(TE_DIR / "include"), str(src), str(lib), "-lm", "-o", str(exe)],
                   check=True)
    r = subprocess.run([str(exe)], check=False, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


def test_filter_zero_point_ignored_where_tflm_ignores_it():
    """TFLM's conv, depthwise and per-channel FC kernels never read the weight zero point."""
    g = build([_conv(), _conv(q=_q(per_channel=False)), _conv("DEPTHWISE_CONV_2D", dm=2),
               FcCfg("2d", (2,), (9,), 4, 0, _q())], "wzp")
    for op in g.ops:
        w = g.tensors[op.inputs[1]]
        w.quant.zero_point = w.quant.zero_point + 5
    verify_graph(g, n_inputs=2)
