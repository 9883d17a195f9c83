"""SOFTMAX (int8 -> int8 / int16) and LOG_SOFTMAX: reference == TF Lite Micro == TinyEngine C.

Hypothesis draws shapes (1..4-D, rows up to 300 long), input scales over
three decades, zero points, betas from 0.01 to 10 and the input values
themselves: uniform over int8, clustered near the row maximum (where the
fixed-point exp and reciprocal matter most), constant rows, two-level rows.

Checks, as for the pooling family: reference vs TFLM (cheap, many configs),
the C kernels against the reference through ctypes under UBSan (with and
without the precomputed exp table), and whole generated C under ASan/UBSan
against reference and TFLM. The gemmlowp fixed-point helpers are also
checked directly against their defining real functions.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass

import numpy as np
import pytest
import te_ctypes as te
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcuflow import fixedpoint as fp
from mcuflow.errors import UnsupportedError
from mcuflow.graph import Graph, GraphBuilder, Quantization
from mcuflow.reference import run_graph
from mcuflow.reference.softmax import (
    SoftmaxParams,
    log_softmax_params,
    softmax_exp_table,
    softmax_params,
    softmax_rows,
)
from mcuflow.tflite.writer import write_model
from mcuflow.verify.host import check_reference, verify_graph

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}

OUT_QUANT = {
    ("SOFTMAX", "int8"): (1 / 256, -128),
    ("SOFTMAX", "int16"): (1 / 65536, -32768),
    ("LOG_SOFTMAX", "int8"): (16 / 256, 127),
}


@dataclass
class SoftmaxCfg:
    kind: str  # SOFTMAX or LOG_SOFTMAX
    out_dtype: str
    shape: tuple[int, ...]
    scale: float
    zp: int
    beta: float
    values: str  # how inputs are drawn (see make_input)


@st.composite
def softmax_cfgs(draw, kinds=("SOFTMAX", "LOG_SOFTMAX")) -> SoftmaxCfg:
    kind = draw(st.sampled_from(kinds))
    out_dtype = draw(st.sampled_from(["int8", "int16"])) if kind == "SOFTMAX" else "int8"
    rank = draw(st.integers(1, 4))
    outer = draw(st.lists(st.integers(1, 4), min_size=rank - 1, max_size=rank - 1))
    depth = draw(st.one_of(st.integers(1, 16), st.integers(17, 300)))
    scale = float(np.float32(2.0 ** draw(st.floats(-10.0, 2.0))))
    beta = float(np.float32(2.0 ** draw(st.floats(-6.5, 3.3)))) if kind == "SOFTMAX" else 1.0
    values = draw(st.sampled_from(["uniform", "near_max", "constant", "two_level"]))
    return SoftmaxCfg(kind, out_dtype, tuple(outer) + (depth,), scale, draw(st.integers(-128, 127)), beta, values)


def make_input(cfg: SoftmaxCfg, rng: np.random.Generator) -> np.ndarray:
    shape = cfg.shape
    if cfg.values == "uniform":
        return rng.integers(-128, 128, shape).astype(np.int8)
    top = int(rng.integers(-128, 128))
    if cfg.values == "near_max":
        spread = int(rng.integers(1, 40))
        return np.clip(top - rng.integers(0, spread + 1, shape), -128, 127).astype(np.int8)
    if cfg.values == "constant":
        return np.full(shape, top, np.int8)
    low = int(rng.integers(-128, top + 1))
    return np.where(rng.random(shape) < 0.5, top, low).astype(np.int8)


def add_op(b: GraphBuilder, k: int, cfg: SoftmaxCfg) -> tuple[int, int]:
    x = b.tensor(f"x{k}", cfg.shape, "int8", Quantization.make(cfg.scale, cfg.zp))
    y = b.tensor(f"y{k}", cfg.shape, cfg.out_dtype, Quantization.make(*OUT_QUANT[(cfg.kind, cfg.out_dtype)]))
    if cfg.kind == "SOFTMAX":
        b.op("SOFTMAX", [x], [y], version=2, beta=cfg.beta)
    else:
        b.op("LOG_SOFTMAX", [x], [y], version=2)
    return x, y


def build(cfgs: list[SoftmaxCfg]) -> Graph:
    b = GraphBuilder("softmax")
    ins, outs = [], []
    for k, cfg in enumerate(cfgs):
        x, y = add_op(b, k, cfg)
        ins.append(x)
        outs.append(y)
    return b.build(ins, outs)


def inputs_for(cfgs: list[SoftmaxCfg], seed: int, n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[make_input(c, rng) for c in cfgs] for _ in range(n)]


# -- reference vs TFLM -------------------------------------------------------------------


@settings(max_examples=250, **SETTINGS)
@given(cfgs=st.lists(softmax_cfgs(), min_size=1, max_size=5), seed=st.integers(0, 2**16))
def test_reference_matches_tflm(cfgs, seed):
    g = build(cfgs)
    check_reference(g, write_model(g), inputs_for(cfgs, seed, 2), intermediates=False)


@pytest.mark.slow
@settings(max_examples=2000, **SETTINGS)
@given(cfgs=st.lists(softmax_cfgs(), min_size=1, max_size=5), seed=st.integers(0, 2**16))
def test_reference_matches_tflm_slow(cfgs, seed):
    g = build(cfgs)
    check_reference(g, write_model(g), inputs_for(cfgs, seed, 3), intermediates=False)


def test_reference_matches_tflm_on_every_diff():
    """One row holding every int8 value: each diff 0..-255 once, for a spread of scales and betas."""
    cfgs = [SoftmaxCfg("SOFTMAX", dt, (256,), s, 0, beta, "uniform")
            for dt in ("int8", "int16") for s in (1 / 256, 0.01, 0.05, 0.2) for beta in (0.3, 1.0, 2.5)]
    cfgs += [SoftmaxCfg("LOG_SOFTMAX", "int8", (256,), s, 0, 1.0, "uniform") for s in (1 / 512, 0.01, 0.05, 0.2, 1.5)]
    g = build(cfgs)
    row = np.arange(-128, 128, dtype=np.int8)
    check_reference(g, write_model(g), [[row.copy() for _ in cfgs], [row[::-1].copy() for _ in cfgs]],
                    intermediates=False)


# -- C kernels (ctypes) vs reference ----------------------------------------------------------


class CSoftmaxParams(ctypes.Structure):
    _fields_ = [("input_multiplier", ctypes.c_int32), ("input_left_shift", ctypes.c_int32),
                ("diff_min", ctypes.c_int32), ("exp_table", ctypes.c_void_p)]


class CLogSoftmaxParams(ctypes.Structure):
    _fields_ = [("input_multiplier", ctypes.c_int32), ("input_left_shift", ctypes.c_int32),
                ("reverse_scaling_divisor", ctypes.c_int32), ("reverse_scaling_right_shift", ctypes.c_int32),
                ("diff_min", ctypes.c_int32)]


@pytest.fixture(scope="module")
def lib():
    return te.build(["softmax"])


def c_softmax_params(p: SoftmaxParams, table: np.ndarray | None) -> CSoftmaxParams:
    return CSoftmaxParams(p.input_multiplier, p.input_left_shift, p.diff_min,
                          None if table is None else table.ctypes.data)


def run_c(lib, g: Graph, x: np.ndarray, use_table: bool, in_place: bool = False) -> np.ndarray:
    op = g.ops[0]
    y = g.tensors[op.outputs[0]]
    if op.type == "SOFTMAX":
        p = softmax_params(g, op)
        table = None
        if use_table:
            table = np.zeros(256, np.int32)
            assert lib.te_softmax_s8_exp_table(ctypes.byref(c_softmax_params(p, None)), te.ptr(table)) == 0
            # The C table builder and the Python one (the lowering's) agree bit for bit.
            np.testing.assert_array_equal(table, softmax_exp_table(p.input_multiplier, p.input_left_shift, p.diff_min))
        params = c_softmax_params(p, table)
        fn = lib.te_softmax_s8 if y.dtype == "int8" else lib.te_softmax_s8_s16
    else:
        p = log_softmax_params(g, op)
        params = CLogSoftmaxParams(p.input_multiplier, p.input_left_shift, p.reverse_scaling_divisor,
                                   p.reverse_scaling_right_shift, p.diff_min)
        fn = lib.te_log_softmax_s8
    if in_place:
        # Output starts where the input is (int16: the buffer holds the larger output).
        buf = np.zeros(y.nbytes, np.uint8)
        buf[:x.size] = x.reshape(-1).view(np.uint8)
        src = buf.ctypes.data
        status = fn(ctypes.byref(params), p.outer, p.depth, ctypes.c_void_p(src), ctypes.c_void_p(src))
        out = buf.view(y.dtype).reshape(y.shape)
    else:
        out = np.zeros(y.shape, y.dtype)
        status = fn(ctypes.byref(params), p.outer, p.depth, te.ptr(x), te.ptr(out))
    assert status == 0
    return out


@settings(max_examples=600, **SETTINGS)
@given(cfg=softmax_cfgs(), seed=st.integers(0, 2**16), use_table=st.booleans(), in_place=st.booleans())
def test_c_kernel_matches_reference(lib, cfg, seed, use_table, in_place):
    g = build([cfg])
    x = inputs_for([cfg], seed, 1)[0][0]
    want = run_graph(g, [x])[g.outputs[0]]
    np.testing.assert_array_equal(run_c(lib, g, x, use_table, in_place), want)


@pytest.mark.slow
@settings(max_examples=4000, **SETTINGS)
@given(cfg=softmax_cfgs(), seed=st.integers(0, 2**16), use_table=st.booleans(), in_place=st.booleans())
def test_c_kernel_matches_reference_slow(lib, cfg, seed, use_table, in_place):
    test_c_kernel_matches_reference.hypothesis.inner_test(lib, cfg, seed, use_table, in_place)


def test_c_kernel_long_constant_rows(lib):
    """Rows past TFLM's limits (its output shift check, its Q12 sum): C and reference clamp alike."""
    for depth in (512, 600, 5000):
        for kind, dt in (("SOFTMAX", "int8"), ("SOFTMAX", "int16"), ("LOG_SOFTMAX", "int8")):
            cfg = SoftmaxCfg(kind, dt, (2, depth), 0.1, 0, 1.0, "constant")
            g = build([cfg])
            x = np.full(cfg.shape, 7, np.int8)
            want = run_graph(g, [x])[g.outputs[0]]
            for use_table in (False, True):
                np.testing.assert_array_equal(run_c(lib, g, x, use_table), want)


def test_c_rejects_bad_arguments(lib):
    x = np.zeros(8, np.int8)
    out = np.zeros(8, np.int8)
    good = CSoftmaxParams(1 << 30, 20, -100, None)
    assert lib.te_softmax_s8(ctypes.byref(good), 1, 8, te.ptr(x), te.ptr(out)) == 0
    for bad in (CSoftmaxParams(0, 20, -100, None), CSoftmaxParams(1 << 30, -1, -100, None),
                CSoftmaxParams(1 << 30, 32, -100, None), CSoftmaxParams(1 << 30, 20, 1, None)):
        assert lib.te_softmax_s8(ctypes.byref(bad), 1, 8, te.ptr(x), te.ptr(out)) == -1
        assert lib.te_softmax_s8_exp_table(ctypes.byref(bad), te.ptr(np.zeros(256, np.int32))) == -1
    assert lib.te_softmax_s8(ctypes.byref(good), 0, 8, te.ptr(x), te.ptr(out)) == -1
    assert lib.te_softmax_s8(ctypes.byref(good), 1, 0, te.ptr(x), te.ptr(out)) == -1
    assert lib.te_softmax_s8(ctypes.byref(good), 1, 8, None, te.ptr(out)) == -1
    assert lib.te_softmax_s8(None, 1, 8, te.ptr(x), te.ptr(out)) == -1
    assert lib.te_softmax_s8_exp_table(ctypes.byref(good), None) == -1
    lgood = CLogSoftmaxParams(1 << 30, 20, 1 << 30, 0, -100)
    assert lib.te_log_softmax_s8(ctypes.byref(lgood), 1, 8, te.ptr(x), te.ptr(out)) == 0
    for bad in (CLogSoftmaxParams(1 << 30, 0, 1 << 30, 0, -100), CLogSoftmaxParams(1 << 30, 20, 0, 0, -100),
                CLogSoftmaxParams(1 << 30, 20, 1 << 30, -1, -100), CLogSoftmaxParams(1 << 30, 20, 1 << 30, 0, 3)):
        assert lib.te_log_softmax_s8(ctypes.byref(bad), 1, 8, te.ptr(x), te.ptr(out)) == -1


# -- generated C vs reference vs TFLM --------------------------------------------------------


@settings(max_examples=20, **SETTINGS)
@given(cfgs=st.lists(softmax_cfgs(), min_size=3, max_size=8), seed=st.integers(0, 2**16))
def test_generated_c_matches(cfgs, seed):
    verify_graph(build(cfgs), inputs=inputs_for(cfgs, seed, 2), intermediates=False)


@pytest.mark.slow
@settings(max_examples=150, **SETTINGS)
@given(cfgs=st.lists(softmax_cfgs(), min_size=3, max_size=10), seed=st.integers(0, 2**16))
def test_generated_c_matches_slow(cfgs, seed):
    verify_graph(build(cfgs), inputs=inputs_for(cfgs, seed, 3), intermediates=False)


def test_generated_c_uses_exp_table_for_large_softmax():
    from mcuflow.codegen import compile_model

    small = compile_model(build([SoftmaxCfg("SOFTMAX", "int8", (1, 10), 0.1, 0, 1.0, "uniform")]))
    large = compile_model(build([SoftmaxCfg("SOFTMAX", "int8", (4, 100), 0.1, 0, 1.0, "uniform")]))
    assert "exp_table = NULL" in small.files["model.c"]
    assert "_exp" in large.files["model_weights.c"] or "_exp" in large.files["model.c"]


# -- fixed-point helpers against the real functions -------------------------------------------


def test_exp_on_negative_values_is_exp():
    x = -np.concatenate([np.linspace(0, 16, 2001), np.array([0.25, 0.5, 1, 2, 4, 8])])
    raw = np.round(x * (1 << 26)).astype(np.int64)
    got = fp.exp_on_negative_values(raw, 5) / 2.0**31
    assert np.max(np.abs(got - np.exp(raw / 2.0**26))) < 3e-7  # 4th-order Taylor: x^5/120 at 1/8
    assert int(fp.exp_on_negative_values(0, 5)) == 2**31 - 1


def test_one_over_one_plus_x_and_reciprocal():
    a = np.linspace(0, 1, 1001)[:-1]
    raw = np.round(a * 2**31).astype(np.int64)
    got = fp.one_over_one_plus_x_for_x_in_0_1(raw) / 2.0**31
    assert np.max(np.abs(got - 1 / (1 + raw / 2**31))) < 1e-8
    for v in (1.0, 1.5, 3.0, 100.25, 4000.0):
        r, bits = fp.get_reciprocal(int(v * (1 << 19)), 12)
        assert abs(int(r) / 2.0**31 / 2.0**int(bits) - 1 / v) < 1e-7 / v


def test_log_is_log():
    for v in (1.0, 1.5, 2.0, math.e, 10.0, 100.0, 4095.0):
        got = int(fp.log_x_for_x_greater_than_or_equal_to_1(int(v * (1 << 19)), 12, 5)) / 2.0**26
        assert abs(got - math.log(v)) < 1e-6


def test_softmax_sums_to_one():
    g = build([SoftmaxCfg("SOFTMAX", "int16", (1, 5), 0.1, 0, 1.0, "uniform")])
    x = np.array([[10, 0, -20, 5, 5]], np.int8)
    y = run_graph(g, [x])[g.outputs[0]].astype(np.int64) + 32768
    want = np.exp(0.1 * (x - x.max())) / np.exp(0.1 * (x - x.max())).sum()
    assert np.max(np.abs(y / 65536 - want)) < 2e-5


# -- TFLM's Prepare checks --------------------------------------------------------------------


@pytest.mark.parametrize("kind,dtype,scale,zp", [
    ("SOFTMAX", "int8", 1 / 128, -128), ("SOFTMAX", "int8", 1 / 256, 0), ("SOFTMAX", "int16", 1 / 32768, 0),
    ("LOG_SOFTMAX", "int8", 1 / 32, 127), ("LOG_SOFTMAX", "int8", 16 / 256, 0),
])
def test_output_quantization_is_checked(kind, dtype, scale, zp):
    b = GraphBuilder()
    x = b.tensor("x", (1, 4), "int8", Quantization.make(0.1, 0))
    y = b.tensor("y", (1, 4), dtype, Quantization.make(scale, zp))
    b.op(kind, [x], [y], **({"beta": 1.0} if kind == "SOFTMAX" else {}))
    g = b.build([x], [y])
    with pytest.raises(UnsupportedError, match="scale"):
        run_graph(g, [np.zeros((1, 4), np.int8)])


def test_softmax_rows_clamp_matches_documented_limit():
    # A 600-long constant row overflows TFLM's output shift (it would abort); both sides clamp to 31.
    p = SoftmaxParams(1, 600, *fp.preprocess_softmax_scaling(1.0, 0.1, 5), -10**6, "int8")
    out = softmax_rows(np.zeros((1, 600), np.int64), p)
    assert out.min() >= -128 and out.max() <= 127
