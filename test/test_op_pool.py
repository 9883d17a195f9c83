"""MAX_POOL_2D, AVERAGE_POOL_2D, MEAN: reference == TF Lite Micro == TinyEngine C.

Hypothesis draws whole operator configurations: pooling shapes, windows 1..6
(larger than the input under SAME too), strides 1..4, SAME/VALID (TFLite's
asymmetric padding), scales, zero points, fused activations; MEAN over any
set of axes of 1..4-D tensors (negative and repeated axes, keep_dims on and
off), with identical or different input/output quantization.

Three layers of checks:

- the NumPy reference against TFLM (``check_reference``; cheap, many configs);
- the C kernels against the reference, called directly through ctypes under
  UBSan (cheap, many configs, plus argument checks);
- whole generated C under ASan/UBSan against reference and TFLM
  (``verify_graph``); several configs share one graph and so one compile.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
import pytest
import te_ctypes as te
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcuflow.errors import UnsupportedError
from mcuflow.graph import Graph, GraphBuilder, Quantization
from mcuflow.reference import run_graph
from mcuflow.reference.pool import fold_count_into_multiplier, mean_params, out_size, pool_params
from mcuflow.tflite.writer import write_model
from mcuflow.verify.host import check_reference, random_inputs, verify_graph

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


# -- configurations ---------------------------------------------------------------


@dataclass
class PoolCfg:
    kind: str
    shape: tuple[int, int, int, int]
    filter: tuple[int, int]
    stride: tuple[int, int]
    padding: str
    act: str
    scale: float
    zp: int

    def out_shape(self) -> tuple[int, int, int, int]:
        n, h, w, c = self.shape
        return (n, out_size(self.padding, h, self.filter[0], self.stride[0]),
                out_size(self.padding, w, self.filter[1], self.stride[1]), c)


@dataclass
class MeanCfg:
    shape: tuple[int, ...]
    axes: list[int]  # as written in the model (may be negative or repeated)
    keep_dims: bool
    in_scale: float
    in_zp: int
    out_scale: float
    out_zp: int

    def out_shape(self) -> tuple[int, ...]:
        r = len(self.shape)
        red = {a % r for a in self.axes}
        if self.keep_dims:
            return tuple(1 if i in red else d for i, d in enumerate(self.shape))
        return tuple(d for i, d in enumerate(self.shape) if i not in red)


scales = st.floats(-10.0, 0.5).map(lambda e: float(np.float32(2.0 ** e)))
zero_points = st.integers(-128, 127)


@st.composite
def pool_cfgs(draw) -> PoolCfg:
    kind = draw(st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]))
    n, h, w, c = draw(st.integers(1, 2)), draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.integers(1, 8))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    fmax_h, fmax_w = (6, 6) if padding == "SAME" else (min(6, h), min(6, w))
    f = (draw(st.integers(1, fmax_h)), draw(st.integers(1, fmax_w)))
    s = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return PoolCfg(kind, (n, h, w, c), f, s, padding, draw(st.sampled_from(ACTS)), draw(scales), draw(zero_points))


@st.composite
def mean_cfgs(draw) -> MeanCfg:
    if draw(st.booleans()):  # the common case: global average pooling of NHWC
        shape = (draw(st.integers(1, 2)), draw(st.integers(1, 16)), draw(st.integers(1, 16)), draw(st.integers(1, 12)))
        axes = draw(st.sampled_from([[1, 2], [2, 1], [-3, -2], [1, 2, 2]]))
    else:
        rank = draw(st.integers(1, 4))
        shape = tuple(draw(st.lists(st.integers(1, 9), min_size=rank, max_size=rank)))
        picked = draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank + 1))
        axes = [a - rank if draw(st.booleans()) else a for a in picked]
    in_scale, in_zp = draw(scales), draw(zero_points)
    if draw(st.integers(0, 2)) == 0:
        out_scale, out_zp = in_scale, in_zp
    else:
        out_scale = float(np.float32(in_scale * 2.0 ** draw(st.floats(-4.0, 4.0))))
        out_zp = draw(zero_points)
    return MeanCfg(shape, axes, draw(st.booleans()), in_scale, in_zp, out_scale, out_zp)


def add_pool(b: GraphBuilder, k: int, cfg: PoolCfg) -> tuple[int, int]:
    q = Quantization.make(cfg.scale, cfg.zp)
    x = b.tensor(f"x{k}", cfg.shape, "int8", q)
    y = b.tensor(f"y{k}", cfg.out_shape(), "int8", Quantization.make(cfg.scale, cfg.zp))
    b.op(cfg.kind, [x], [y], version=2, padding=cfg.padding, stride_w=cfg.stride[1], stride_h=cfg.stride[0],
         filter_width=cfg.filter[1], filter_height=cfg.filter[0], fused_activation_function=cfg.act)
    return x, y


def add_mean(b: GraphBuilder, k: int, cfg: MeanCfg) -> tuple[int, int]:
    x = b.tensor(f"x{k}", cfg.shape, "int8", Quantization.make(cfg.in_scale, cfg.in_zp))
    axis = b.const(f"axis{k}", np.array(cfg.axes, dtype=np.int32))
    y = b.tensor(f"y{k}", cfg.out_shape(), "int8", Quantization.make(cfg.out_scale, cfg.out_zp))
    b.op("MEAN", [x, axis], [y], version=2, keep_dims=cfg.keep_dims)
    return x, y


def build(cfgs: list) -> Graph:
    """Independent ops, one graph input and output each."""
    b = GraphBuilder("pool")
    ins, outs = [], []
    for k, cfg in enumerate(cfgs):
        x, y = (add_mean if isinstance(cfg, MeanCfg) else add_pool)(b, k, cfg)
        ins.append(x)
        outs.append(y)
    return b.build(ins, outs)


any_cfgs = st.lists(st.one_of(pool_cfgs(), mean_cfgs()), min_size=1, max_size=6)


# -- reference vs TFLM ---------------------------------------------------------------


@settings(max_examples=250, **SETTINGS)
@given(cfgs=any_cfgs, seed=st.integers(0, 2**16))
def test_reference_matches_tflm(cfgs, seed):
    g = build(cfgs)
    check_reference(g, write_model(g), random_inputs(g, 2, seed), intermediates=False)


@pytest.mark.slow
@settings(max_examples=1500, **SETTINGS)
@given(cfgs=any_cfgs, seed=st.integers(0, 2**16))
def test_reference_matches_tflm_slow(cfgs, seed):
    g = build(cfgs)
    check_reference(g, write_model(g), random_inputs(g, 3, seed), intermediates=False)


# -- C kernels (ctypes) vs reference ------------------------------------------------


class PoolParams(ctypes.Structure):
    _fields_ = [("stride", te.Tile), ("padding", te.Tile), ("filter", te.Tile), ("activation", te.Activation)]


class MeanParams(ctypes.Structure):
    _fields_ = [("reduce", te.Dims), ("input_offset", ctypes.c_int32), ("output_offset", ctypes.c_int32),
                ("quant", te.Quant)]


@pytest.fixture(scope="module")
def lib():
    return te.build(["pooling"])


def run_pool_c(lib, g: Graph, x: np.ndarray) -> tuple[int, np.ndarray]:
    op = g.ops[0]
    p = pool_params(g, op)
    params = PoolParams(te.Tile(p.stride_h, p.stride_w), te.Tile(p.pad_h, p.pad_w), te.Tile(p.filter_h, p.filter_w),
                        te.Activation(p.act_min, p.act_max))
    out = np.full(g.tensors[op.outputs[0]].shape, 99, dtype=np.int8)
    din, dout = te.dims(x.shape), te.dims(out.shape)
    if op.type == "MAX_POOL_2D":
        st_ = lib.te_maxpool_s8(ctypes.byref(params), ctypes.byref(din), te.ptr(x), ctypes.byref(dout), te.ptr(out))
    else:
        size = lib.te_avgpool_s8_get_buffer_size(ctypes.byref(dout))
        assert size == 4 * x.shape[-1]
        ctx, _keep = te.scratch(size)
        st_ = lib.te_avgpool_s8(ctx, ctypes.byref(params), ctypes.byref(din), te.ptr(x), ctypes.byref(dout),
                                te.ptr(out))
    return st_, out


def mean_c_params(g: Graph) -> tuple[MeanParams, te.Dims]:
    p = mean_params(g, g.ops[0])
    lead = 4 - len(p.in_shape)
    flags = [1 if (d - lead) in p.axes else 0 for d in range(4)]
    params = MeanParams(te.Dims(*flags), -p.input_zp, p.output_zp, te.Quant(p.multiplier, p.shift))
    return params, te.dims(p.in_shape)


def run_mean_c(lib, g: Graph, x: np.ndarray) -> tuple[int, np.ndarray]:
    params, din = mean_c_params(g)
    out = np.full(g.tensors[g.ops[0].outputs[0]].shape, 99, dtype=np.int8)
    size = lib.te_mean_s8_get_buffer_size(ctypes.byref(din), ctypes.byref(params))
    assert size == (0 if params.reduce.c else 4 * din.c)
    ctx, _keep = te.scratch(size)
    st_ = lib.te_mean_s8(ctx, ctypes.byref(params), ctypes.byref(din), te.ptr(x), te.ptr(out))
    return st_, out


@settings(max_examples=600, **SETTINGS)
@given(cfg=st.one_of(pool_cfgs(), mean_cfgs()), seed=st.integers(0, 2**16))
def test_c_kernel_matches_reference(lib, cfg, seed):
    g = build([cfg])
    x = random_inputs(g, 1, seed)[0][0]
    want = run_graph(g, [x])[g.outputs[0]]
    status, got = (run_mean_c if isinstance(cfg, MeanCfg) else run_pool_c)(lib, g, x)
    assert status == 0
    np.testing.assert_array_equal(got, want)


@pytest.mark.slow
@settings(max_examples=3000, **SETTINGS)
@given(cfg=st.one_of(pool_cfgs(), mean_cfgs()), seed=st.integers(0, 2**16))
def test_c_kernel_matches_reference_slow(lib, cfg, seed):
    test_c_kernel_matches_reference.hypothesis.inner_test(lib, cfg, seed)


def test_c_kernel_extremes(lib):
    """Saturated inputs, a 1x1 identity pool, a window over the whole image, a big mean."""
    cases = [
        PoolCfg("AVERAGE_POOL_2D", (1, 9, 9, 3), (9, 9), (1, 1), "VALID", "NONE", 0.1, -128),
        PoolCfg("AVERAGE_POOL_2D", (1, 4, 4, 2), (1, 1), (1, 1), "SAME", "NONE", 0.1, 0),
        PoolCfg("MAX_POOL_2D", (1, 5, 3, 2), (6, 6), (3, 3), "SAME", "RELU", 0.02, 127),
        MeanCfg((1, 64, 64, 3), [1, 2], False, 0.05, -128, 0.01, 127),
        MeanCfg((2, 3, 700), [-1], True, 0.5, 127, 0.5, 127),
    ]
    for cfg in cases:
        g = build([cfg])
        for fill in (-128, 127, 0):
            x = np.full(g.tensors[g.inputs[0]].shape, fill, dtype=np.int8)
            want = run_graph(g, [x])[g.outputs[0]]
            status, got = (run_mean_c if isinstance(cfg, MeanCfg) else run_pool_c)(lib, g, x)
            assert status == 0
            np.testing.assert_array_equal(got, want)


def test_c_rejects_bad_arguments(lib):
    g = build([PoolCfg("AVERAGE_POOL_2D", (1, 4, 4, 3), (2, 2), (2, 2), "VALID", "NONE", 0.1, 0)])
    p = pool_params(g, g.ops[0])
    x = np.zeros((1, 4, 4, 3), np.int8)
    out = np.zeros((1, 2, 2, 3), np.int8)
    din, dout = te.dims(x.shape), te.dims(out.shape)
    good = PoolParams(te.Tile(2, 2), te.Tile(0, 0), te.Tile(2, 2), te.Activation(p.act_min, p.act_max))
    ctx, _keep = te.scratch(12)
    assert lib.te_avgpool_s8(ctx, ctypes.byref(good), ctypes.byref(din), te.ptr(x), ctypes.byref(dout),
                             te.ptr(out)) == 0
    small, _k2 = te.scratch(8)
    assert lib.te_avgpool_s8(small, ctypes.byref(good), ctypes.byref(din), te.ptr(x), ctypes.byref(dout),
                             te.ptr(out)) == -2  # TE_ERR_BUFFER
    for bad in (
        PoolParams(te.Tile(0, 2), te.Tile(0, 0), te.Tile(2, 2), te.Activation(-128, 127)),
        PoolParams(te.Tile(2, 2), te.Tile(-1, 0), te.Tile(2, 2), te.Activation(-128, 127)),
        PoolParams(te.Tile(2, 2), te.Tile(0, 0), te.Tile(2, 0), te.Activation(-128, 127)),
        PoolParams(te.Tile(2, 2), te.Tile(0, 0), te.Tile(2, 2), te.Activation(5, 4)),
        PoolParams(te.Tile(2, 2), te.Tile(0, 0), te.Tile(2, 2), te.Activation(-129, 127)),
        PoolParams(te.Tile(2, 2), te.Tile(9, 0), te.Tile(2, 2), te.Activation(-128, 127)),  # empty window
    ):
        assert lib.te_maxpool_s8(ctypes.byref(bad), ctypes.byref(din), te.ptr(x), ctypes.byref(dout),
                                 te.ptr(out)) == -1
        assert lib.te_avgpool_s8(ctx, ctypes.byref(bad), ctypes.byref(din), te.ptr(x), ctypes.byref(dout),
                                 te.ptr(out)) == -1
    wrong_c = te.dims((1, 2, 2, 4))
    assert lib.te_maxpool_s8(ctypes.byref(good), ctypes.byref(din), te.ptr(x), ctypes.byref(wrong_c),
                             te.ptr(out)) == -1
    assert lib.te_maxpool_s8(ctypes.byref(good), ctypes.byref(din), None, ctypes.byref(dout), te.ptr(out)) == -1

    gm = build([MeanCfg((1, 3, 3, 4), [1, 2], True, 0.1, 0, 0.2, 0)])
    params, dm = mean_c_params(gm)
    xm = np.zeros((1, 3, 3, 4), np.int8)
    om = np.zeros(4, np.int8)
    assert lib.te_mean_s8(te.Context(None, 0), ctypes.byref(params), ctypes.byref(dm), te.ptr(xm), te.ptr(om)) == -2
    params.reduce.c = 2
    assert lib.te_mean_s8_get_buffer_size(ctypes.byref(dm), ctypes.byref(params)) == -1
    assert lib.te_mean_s8(te.Context(None, 0), ctypes.byref(params), ctypes.byref(dm), te.ptr(xm), te.ptr(om)) == -1


# -- generated C vs reference vs TFLM ----------------------------------------------------


@settings(max_examples=25, **SETTINGS)
@given(cfgs=st.lists(st.one_of(pool_cfgs(), mean_cfgs()), min_size=4, max_size=8), seed=st.integers(0, 2**16))
def test_generated_c_matches(cfgs, seed):
    verify_graph(build(cfgs), n_inputs=2, seed=seed, intermediates=False)


@pytest.mark.slow
@settings(max_examples=150, **SETTINGS)
@given(cfgs=st.lists(st.one_of(pool_cfgs(), mean_cfgs()), min_size=4, max_size=10), seed=st.integers(0, 2**16))
def test_generated_c_matches_slow(cfgs, seed):
    verify_graph(build(cfgs), n_inputs=3, seed=seed, intermediates=False)


# -- semantics and errors ---------------------------------------------------------------------


def test_average_rounds_half_away_from_zero():
    # 1x2 window over [a, b]: TFLM rounds (a + b) / 2 half away from zero.
    cfg = PoolCfg("AVERAGE_POOL_2D", (1, 1, 2, 1), (1, 2), (1, 1), "VALID", "NONE", 0.1, 0)
    g = build([cfg])
    for a, b, want in ((1, 2, 2), (-1, -2, -2), (-1, 2, 1), (1, -2, -1), (3, 3, 3), (-3, 4, 1), (3, -4, -1)):
        x = np.array([a, b], np.int8).reshape(1, 1, 2, 1)
        assert int(run_graph(g, [x])[g.outputs[0]].reshape(-1)[0]) == want


def test_same_padding_is_asymmetric():
    # 4 wide, 2x2 window, stride 2, SAME: no padding; 5 wide: the extra column is at the right.
    cfg = PoolCfg("MAX_POOL_2D", (1, 1, 5, 1), (1, 2), (1, 2), "SAME", "NONE", 0.1, 0)
    g = build([cfg])
    assert pool_params(g, g.ops[0]).pad_w == 0
    x = np.array([1, 2, 3, 4, 5], np.int8).reshape(1, 1, 5, 1)
    assert run_graph(g, [x])[g.outputs[0]].reshape(-1).tolist() == [2, 4, 5]


def test_relu6_clamp_near_half_steps_matches_tflm():
    """6 / scale within a float32 rounding of k + 0.5: TFLite quantizes the clamp in float32."""
    cfgs = [PoolCfg(kind, (1, 2, 2, 1), (1, 1), (1, 1), "VALID", "RELU6", s, -128)
            for kind in ("MAX_POOL_2D", "AVERAGE_POOL_2D")
            for s in (0.2448979616165161, 0.23529411852359772, 0.2181818187236786)]
    g = build(cfgs)
    check_reference(g, write_model(g), [[np.full((1, 2, 2, 1), 127, np.int8) for _ in cfgs]], intermediates=False)


def test_pool_rejects_requantization():
    b = GraphBuilder()
    x = b.tensor("x", (1, 4, 4, 1), "int8", Quantization.make(0.1, 0))
    y = b.tensor("y", (1, 2, 2, 1), "int8", Quantization.make(0.2, 0))
    b.op("AVERAGE_POOL_2D", [x], [y], padding="VALID", stride_w=2, stride_h=2, filter_width=2, filter_height=2,
         fused_activation_function="NONE")
    g = b.build([x], [y])
    with pytest.raises(UnsupportedError, match="must equal the input"):
        run_graph(g, [np.zeros((1, 4, 4, 1), np.int8)])


def test_mean_fold_matches_tflm_formula():
    # count 49 (7x7 global pool) with in/out scale ratio 1: (2^30, 1) -> shift 5, (2^30 << 5) // 49.
    assert fold_count_into_multiplier(1 << 30, 1, 49) == (((1 << 30) << 5) // 49, -4)
    # The fold never shifts below -31.
    m, s = fold_count_into_multiplier(1 << 30, -30, 1 << 20)
    assert s >= -31 and m == ((1 << 30) << 1) // (1 << 20)


def test_mean_rejects_non_constant_axis():
    b = GraphBuilder()
    x = b.tensor("x", (1, 2, 2, 3), "int8", Quantization.make(0.1, 0))
    ax = b.tensor("axis", (2,), "int32")
    y = b.tensor("y", (1, 3), "int8", Quantization.make(0.1, 0))
    b.op("MEAN", [x, ax], [y], keep_dims=False)
    g = b.build([x, ax], [y])
    with pytest.raises(UnsupportedError, match="constant"):
        mean_params(g, g.ops[0])


# == window loops: four channels in registers, DSP path (emulated on the host) ============
@pytest.fixture(scope="module", params=["portable", "dsp"])
def any_lib(request):
    """The kernels built as they are, and with TE_EMULATE_DSP (the SXTAB16 / SSUB8+SEL window loops)."""
    if request.param == "portable":
        return te.build(["pooling"])
    saved = te.CFLAGS
    te.CFLAGS = saved + ["-DTE_EMULATE_DSP"]
    try:
        return te.build(["pooling"])
    finally:
        te.CFLAGS = saved


@settings(max_examples=300, **SETTINGS)
@given(cfg=st.one_of(pool_cfgs(), mean_cfgs()), seed=st.integers(0, 2**16))
def test_c_kernel_matches_reference_both_paths(any_lib, cfg, seed):
    test_c_kernel_matches_reference.hypothesis.inner_test(any_lib, cfg, seed)


@pytest.mark.parametrize("cfg", [
    # more than 256 pixels in one window row: the 16-bit lane sums are flushed in between
    MeanCfg((1, 2, 300, 5), [1, 2], True, 0.05, -3, 0.04, 7),
    MeanCfg((2, 17, 19, 13), [1, 2], False, 0.02, 100, 0.02, 100),
    MeanCfg((1, 6, 6, 240), [1, 2], False, 0.1, -128, 0.05, 3),
    PoolCfg("AVERAGE_POOL_2D", (1, 1, 300, 8), (1, 300), (1, 1), "VALID", "NONE", 0.1, 0),
    PoolCfg("AVERAGE_POOL_2D", (1, 8, 8, 64), (8, 8), (8, 8), "VALID", "NONE", 0.1, 5),
    PoolCfg("AVERAGE_POOL_2D", (1, 7, 5, 11), (3, 2), (2, 1), "SAME", "RELU6", 0.05, -20),
    PoolCfg("MAX_POOL_2D", (1, 8, 8, 64), (3, 3), (1, 1), "SAME", "NONE", 0.1, 0),
    PoolCfg("MAX_POOL_2D", (2, 9, 7, 7), (2, 3), (2, 2), "VALID", "RELU", 0.05, 10),
], ids=lambda c: f"{type(c).__name__}{c.shape}")
def test_c_window_loops_saturated_and_random(any_lib, cfg):
    g = build([cfg])
    shape = g.tensors[g.inputs[0]].shape
    rng = np.random.default_rng(7)
    fills = [np.full(shape, v, dtype=np.int8) for v in (-128, 127, 0)]
    for x in fills + [rng.integers(-128, 128, shape).astype(np.int8)]:
        want = run_graph(g, [x])[g.outputs[0]]
        status, got = (run_mean_c if isinstance(cfg, MeanCfg) else run_pool_c)(any_lib, g, x)
        assert status == 0
        np.testing.assert_array_equal(got, want)
