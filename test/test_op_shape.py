"""Data-movement operators: PAD/PADV2, RESHAPE, SQUEEZE, TRANSPOSE, CONCATENATION,
RESIZE_NEAREST_NEIGHBOR, STRIDED_SLICE, SLICE.

Two properties per operator, over randomly drawn configurations:

1. the NumPy reference equals TF Lite Micro (the oracle) on every drawn
   configuration (one single-op model per configuration);
2. the generated C equals the reference and TFLM (``mcuflow.verify.host``,
   compiled under ASan/UBSan). A C build costs a fraction of a second, so each
   drawn example packs a batch of independent configurations into one model.

Plus: the cases TFLM refuses are refused by us too, the C kernels reject bad
arguments, and the C nearest-neighbour index map equals the Python one.
"""

from __future__ import annotations

import ctypes
import itertools
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mcuflow.codegen.lower_shape import simplify_slice, simplify_transpose
from mcuflow.codegen.lowering import LoweringContext, lowering_for
from mcuflow.errors import McuflowError, UnsupportedError
from mcuflow.graph import GraphBuilder, Quantization
from mcuflow.reference import run_graph
from mcuflow.reference.shape import nearest_source_index
from mcuflow.tflite.writer import write_model
from mcuflow.verify.host import check_reference, random_inputs, verify_graph

ROOT = Path(__file__).resolve().parents[1]
TE = ROOT / "lib" / "TinyEngine"

REF_EXAMPLES = 300  # single-op models checked against TFLM, per operator
C_EXAMPLES = 6  # C builds per operator; each holds a batch of configurations
BATCH = (24, 40)  # configurations per C build: ~190 per operator in the default run

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# A batch failure names every configuration in it; shrinking C builds would take minutes.
C_SETTINGS = dict(SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])


# -- configurations -----------------------------------------------------------------


@dataclass
class Case:
    """One operator configuration that adds itself (inputs, op, output) to a builder."""

    desc: str
    add: Callable[[GraphBuilder, str], tuple[list[int], list[int]]]


def build(cases: list[Case], name: str = "shape"):
    b = GraphBuilder(name)
    ins, outs = [], []
    for k, c in enumerate(cases):
        i, o = c.add(b, f"c{k}_")
        ins += i
        outs += o
    return b.build(ins, outs)


dtypes = st.sampled_from(["int8"] * 4 + ["float32"])
scales = st.floats(1e-3, 2.0, allow_nan=False, allow_infinity=False)
zero_points = st.integers(-128, 127)


def quant_for(dtype: str, scale: float, zp: int) -> Quantization | None:
    return Quantization.make(scale, zp) if dtype == "int8" else None


@st.composite
def pad_cases(draw, paddings_dtype: str = "int32") -> Case:
    rank = draw(st.integers(1, 5))
    shape = draw(st.lists(st.integers(1, 4 if rank > 3 else 6), min_size=rank, max_size=rank))
    pads = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=rank, max_size=rank))
    dtype = draw(dtypes)
    v2 = draw(st.booleans())
    qin = quant_for(dtype, draw(scales), draw(zero_points))
    qout = quant_for(dtype, draw(scales), draw(zero_points))
    if dtype == "int8":
        const = draw(st.integers(-128, 127))
    else:
        const = draw(st.floats(-100, 100, width=32))
    out_shape = [s + a + c for s, (a, c) in zip(shape, pads)]

    def add(b: GraphBuilder, p: str):
        x = b.tensor(p + "x", shape, dtype, qin)
        y = b.tensor(p + "y", out_shape, dtype, qout)
        inputs = [x, b.const(p + "paddings", np.array(pads, dtype=paddings_dtype).reshape(rank, 2))]
        if v2:
            inputs.append(b.const(p + "value", np.array(const, dtype=dtype), qout))
        b.op("PADV2" if v2 else "PAD", inputs, [y])
        return [x], [y]

    return Case(f"{'PADV2' if v2 else 'PAD'} {dtype}{shape} pads={pads}" + (f" value={const}" if v2 else ""), add)


@st.composite
def transpose_cases(draw) -> Case:
    rank = draw(st.integers(1, 5))
    shape = draw(st.lists(st.integers(1, 4 if rank > 3 else 7), min_size=rank, max_size=rank))
    perm = draw(st.permutations(range(rank)))
    dtype = draw(st.sampled_from(["int8"] * 4 + ["float32", "int16"]))
    q = quant_for(dtype, draw(scales), draw(zero_points))

    def add(b: GraphBuilder, p: str):
        x = b.tensor(p + "x", shape, dtype, q)
        y = b.tensor(p + "y", [shape[d] for d in perm], dtype, q)
        b.op("TRANSPOSE", [x, b.const(p + "perm", np.array(perm, dtype=np.int32))], [y])
        return [x], [y]

    return Case(f"TRANSPOSE {dtype}{shape} perm={list(perm)}", add)


@st.composite
def concat_cases(draw) -> Case:
    rank = draw(st.integers(1, 4))
    base = draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))
    n = draw(st.integers(1, 5))
    axis = draw(st.integers(-rank, rank - 1))
    ax = axis % rank
    sizes = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    dtype = draw(st.sampled_from(["int8"] * 4 + ["float32", "int16", "int32"]))
    q = quant_for(dtype, draw(scales), draw(zero_points))
    shapes = [base[:ax] + [s] + base[ax + 1:] for s in sizes]
    out_shape = base[:ax] + [sum(sizes)] + base[ax + 1:]

    def add(b: GraphBuilder, p: str):
        xs = [b.tensor(f"{p}x{k}", s, dtype, q) for k, s in enumerate(shapes)]
        y = b.tensor(p + "y", out_shape, dtype, q)
        b.op("CONCATENATION", xs, [y], axis=axis, fused_activation_function="NONE")
        return xs, [y]

    return Case(f"CONCATENATION {dtype} {shapes} axis={axis}", add)


@st.composite
def resize_cases(draw) -> Case:
    n = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    c = draw(st.integers(1, 4))
    oh, ow = draw(st.integers(1, 17)), draw(st.integers(1, 17))
    ac, hp = draw(st.booleans()), draw(st.booleans())
    dtype = draw(st.sampled_from(["int8"] * 4 + ["float32", "int16"]))
    q = quant_for(dtype, draw(scales), draw(zero_points))

    def add(b: GraphBuilder, p: str):
        x = b.tensor(p + "x", (n, h, w, c), dtype, q)
        y = b.tensor(p + "y", (n, oh, ow, c), dtype, q)
        size = b.const(p + "size", np.array([oh, ow], dtype=np.int32))
        b.op("RESIZE_NEAREST_NEIGHBOR", [x, size], [y], align_corners=ac, half_pixel_centers=hp)
        return [x], [y]

    return Case(f"RESIZE_NEAREST_NEIGHBOR {dtype}[{n},{h},{w},{c}] -> {oh}x{ow} ac={ac} hpc={hp}", add)


@st.composite
def reshape_cases(draw) -> Case:
    dims = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    dtype = draw(dtypes)
    q = quant_for(dtype, draw(scales), draw(zero_points))
    squeeze = draw(st.booleans())
    # Input: the dims with some 1s inserted; output: squeezed, or regrouped.
    ones = draw(st.lists(st.integers(0, len(dims)), max_size=3))
    shape = list(dims)
    for pos in sorted(ones, reverse=True):
        shape.insert(pos, 1)
    if squeeze:
        unit = [d for d, s in enumerate(shape) if s == 1]
        chosen = draw(st.lists(st.sampled_from(unit), unique=True)) if unit else []
        gone = set(chosen) if chosen else set(unit)
        out_shape = [s for d, s in enumerate(shape) if d not in gone]
        if draw(st.booleans()):  # negative indices are legal squeeze dims
            chosen = [d - len(shape) for d in chosen]
        opts = {"squeeze_dims": chosen}
    else:
        cut = draw(st.integers(0, len(dims)))
        out_shape = [int(np.prod(dims[:cut], dtype=np.int64))] + draw(st.permutations(dims[cut:]))
        opts = {"new_shape": out_shape}

    def add(b: GraphBuilder, p: str):
        x = b.tensor(p + "x", shape, dtype, q)
        y = b.tensor(p + "y", out_shape, dtype, q)
        if squeeze:
            b.op("SQUEEZE", [x], [y], **opts)
        else:
            b.op("RESHAPE", [x, b.const(p + "shape", np.array(out_shape, dtype=np.int32))], [y], **opts)
        return [x], [y]

    return Case(f"{'SQUEEZE' if squeeze else 'RESHAPE'} {dtype}{shape} -> {out_shape} {opts}", add)


@st.composite
def strided_slice_cases(draw) -> Case:
    rank = draw(st.integers(1, 4))
    shape = draw(st.lists(st.integers(1, 6), min_size=rank, max_size=rank))
    begin = [draw(st.integers(-n - 2, n + 2)) for n in shape]
    end = [draw(st.integers(-n - 2, n + 2)) for n in shape]
    strides = [draw(st.sampled_from([1, 1, 1, 2, 3, -1, -2, -3])) for _ in shape]
    bits = st.integers(0, (1 << rank) - 1)
    begin_mask, end_mask, shrink = draw(bits), draw(bits), draw(bits)
    # Shrink only where the index exists, forwards, and not together with begin_mask
    # (TFLM lets the mask move a shrunk index; NumPy, our shape oracle, cannot say that).
    shrink &= ~begin_mask
    shrink &= sum(1 << d for d in range(rank) if strides[d] > 0)  # TFLM writes nothing otherwise
    shrink &= sum(1 << d for d in range(rank) if -shape[d] <= begin[d] < shape[d])
    dtype = draw(st.sampled_from(["int8"] * 4 + ["float32", "int16", "int32"]))
    q = quant_for(dtype, draw(scales), draw(zero_points))
    index = tuple(
        begin[d] if shrink >> d & 1 else
        slice(None if begin_mask >> d & 1 else begin[d], None if end_mask >> d & 1 else end[d], strides[d])
        for d in range(rank))
    out_shape = list(np.zeros(shape)[index].shape)
    if 0 in out_shape:  # TFLM does not run empty tensors; take the whole of a dimension instead
        begin_mask |= (1 << rank) - 1
        end_mask |= (1 << rank) - 1
        shrink = 0
        out_shape = [-(-n // abs(s)) for n, s in zip(shape, strides)]
    opts = dict(begin_mask=begin_mask, end_mask=end_mask, shrink_axis_mask=shrink, ellipsis_mask=0,
                new_axis_mask=0, offset=False)

    def add(b: GraphBuilder, p: str):
        x = b.tensor(p + "x", shape, dtype, q)
        y = b.tensor(p + "y", out_shape, dtype, q)
        consts = [b.const(p + n, np.array(v, np.int32))
                  for n, v in (("begin", begin), ("end", end), ("strides", strides))]
        b.op("STRIDED_SLICE", [x, *consts], [y], **opts)
        return [x], [y]

    return Case(f"STRIDED_SLICE {dtype}{shape} begin={begin} end={end} strides={strides} {opts}", add)


@st.composite
def slice_cases(draw) -> Case:
    rank = draw(st.integers(1, 5))
    shape = draw(st.lists(st.integers(1, 4 if rank > 3 else 6), min_size=rank, max_size=rank))
    begin = [draw(st.integers(0, n - 1)) for n in shape]
    size = [draw(st.sampled_from([-1, draw(st.integers(1, n - b))])) for n, b in zip(shape, begin)]
    idx = draw(st.sampled_from(["int32", "int32", "int64"]))
    dtype = draw(st.sampled_from(["int8"] * 4 + ["float32", "int16", "int32"]))
    q = quant_for(dtype, draw(scales), draw(zero_points))
    out_shape = [n - b if s == -1 else s for n, b, s in zip(shape, begin, size)]

    def add(b: GraphBuilder, p: str):
        x = b.tensor(p + "x", shape, dtype, q)
        y = b.tensor(p + "y", out_shape, dtype, q)
        b.op("SLICE", [x, b.const(p + "begin", np.array(begin, idx)), b.const(p + "size", np.array(size, idx))], [y])
        return [x], [y]

    return Case(f"SLICE {dtype}{shape} begin={begin} size={size} ({idx})", add)


STRATEGIES = {
    "pad": pad_cases(),
    "transpose": transpose_cases(),
    "concat": concat_cases(),
    "resize_nearest": resize_cases(),
    "reshape": reshape_cases(),
    "strided_slice": strided_slice_cases(),
    "slice": slice_cases(),
}


def _ref_vs_tflm(case: Case, seed: int = 0) -> None:
    g = build([case])
    model = write_model(g)
    try:
        check_reference(g, model, random_inputs(g, 1, seed), intermediates=False)
    except McuflowError as e:
        raise AssertionError(f"{case.desc}: {e}") from None


# -- 1. reference == TFLM ---------------------------------------------------------------


@pytest.mark.parametrize("op", sorted(STRATEGIES))
def test_reference_matches_tflm(op):
    @settings(max_examples=REF_EXAMPLES, **SETTINGS)
    @given(STRATEGIES[op])
    def run(case):
        _ref_vs_tflm(case)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("op", sorted(STRATEGIES))
def test_reference_matches_tflm_many(op):
    @settings(max_examples=3000, **SETTINGS)
    @given(STRATEGIES[op], st.integers(0, 2**16))
    def run(case, seed):
        _ref_vs_tflm(case, seed)

    run()


# -- 2. generated C == reference == TFLM ------------------------------------------------------


def _c_batch(cases: list[Case], n_inputs: int = 2) -> None:
    g = build(cases, "shape_batch")
    try:
        verify_graph(g, n_inputs=n_inputs, intermediates=False)
    except McuflowError as e:
        msg = str(e)
        raise AssertionError(msg + "\nconfigurations:\n" + "\n".join(f"  c{k}: {c.desc}" for k, c in enumerate(cases)))


@pytest.mark.parametrize("op", sorted(STRATEGIES))
def test_generated_c_matches(op):
    @settings(max_examples=C_EXAMPLES, **C_SETTINGS)
    @given(st.lists(STRATEGIES[op], min_size=BATCH[0], max_size=BATCH[1]))
    def run(cases):
        _c_batch(cases)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("op", sorted(STRATEGIES))
def test_generated_c_matches_many(op):
    @settings(max_examples=150, **C_SETTINGS)
    @given(st.lists(STRATEGIES[op], min_size=BATCH[0], max_size=BATCH[1]))
    def run(cases):
        _c_batch(cases, n_inputs=3)

    run()


def test_mixed_chain_matches():
    """Ops feeding each other: pad -> transpose -> concat -> resize -> reshape."""
    q = Quantization.make(0.05, -4)
    b = GraphBuilder("chain")
    x = b.tensor("x", (1, 3, 4, 2), "int8", q)
    p = b.tensor("p", (1, 5, 5, 2), "int8", q)
    b.op("PAD", [x, b.const("pads", np.array([[0, 0], [1, 1], [0, 1], [0, 0]], np.int32))], [p])
    t = b.tensor("t", (1, 5, 5, 2), "int8", q)
    b.op("TRANSPOSE", [p, b.const("perm", np.array([0, 2, 1, 3], np.int32))], [t])
    c = b.tensor("c", (1, 5, 5, 4), "int8", q)
    b.op("CONCATENATION", [p, t], [c], axis=-1, fused_activation_function="NONE")
    r = b.tensor("r", (1, 9, 3, 4), "int8", q)
    b.op("RESIZE_NEAREST_NEIGHBOR", [c, b.const("size", np.array([9, 3], np.int32))], [r],
         align_corners=False, half_pixel_centers=True)
    y = b.tensor("y", (27, 4), "int8", q)
    b.op("RESHAPE", [r, b.const("shape", np.array([27, 4], np.int32))], [y], new_shape=[27, 4])
    verify_graph(b.build([x], [y]), n_inputs=3)


# -- 3. what TFLM refuses, we refuse ------------------------------------------------------------


def _tflm_refuses(g) -> bool:
    from mcuflow.oracle import run_tflm

    try:
        run_tflm(write_model(g), random_inputs(g, 1)[0])
    except McuflowError:
        return True
    return False


def _concat_graph(qs, act="NONE"):
    b = GraphBuilder("concat")
    xs = [b.tensor(f"x{k}", (1, 2, 3), "int8", Quantization.make(s, z)) for k, (s, z) in enumerate(qs[:-1])]
    y = b.tensor("y", (1, 2, 3 * len(xs)), "int8", Quantization.make(*qs[-1]))
    b.op("CONCATENATION", xs, [y], axis=2, fused_activation_function=act)
    return b.build(xs, [y])


@pytest.mark.parametrize(
    "qs,act",
    [
        ([(0.1, 0), (0.1, 3), (0.1, 0)], "NONE"),  # zero points differ
        ([(0.1, 0), (0.1, 0), (0.2, 0)], "NONE"),  # scales differ
        ([(0.1, 0), (0.1, 0), (0.1, 0)], "RELU"),  # fused activation
    ],
)
def test_concat_refusals_match_tflm(qs, act):
    g = _concat_graph(qs, act)
    assert _tflm_refuses(g)
    with pytest.raises(UnsupportedError):
        run_graph(g, random_inputs(g, 1)[0])
    with pytest.raises(UnsupportedError):
        lowering_for(g.ops[0]).fn(g, g.ops[0], _ctx(g))


@settings(max_examples=40, **SETTINGS)
@given(pad_cases(paddings_dtype="int64"))
def test_pad_int64_paddings(case):
    """int64 paddings: our kernels take their values. TFLM reads them as int32
    (it refuses almost every such model); where it accepts one, we agree."""
    g = build([case])
    xs = random_inputs(g, 1)[0]
    ref = run_graph(g, xs)[g.outputs[0]]
    if not _tflm_refuses(g):
        from mcuflow.oracle import run_tflm

        np.testing.assert_array_equal(run_tflm(write_model(g), xs).outputs[0], ref)
    expect = _pad_numpy(g, xs[0])
    np.testing.assert_array_equal(ref, expect)


def _pad_numpy(g, x):
    op = g.ops[0]
    pads = g.tensors[op.inputs[1]].data.astype(np.int64)
    y = g.tensors[op.outputs[0]]
    if op.type == "PADV2":
        value = g.tensors[op.inputs[2]].data.reshape(-1)[0]
    else:
        value = y.quant.zp if y.dtype == "int8" else 0
    return np.pad(x, [tuple(p) for p in pads.tolist()], constant_values=value).astype(y.dtype)


def test_pad_int64_paddings_generated_c():
    q = Quantization.make(0.1, 7)
    b = GraphBuilder("pad64")
    x = b.tensor("x", (2, 3, 4), "int8", q)
    y = b.tensor("y", (3, 5, 4), "int8", q)
    b.op("PAD", [x, b.const("p", np.array([[1, 0], [0, 2], [0, 0]], np.int64))], [y])
    g = b.build([x], [y])
    from mcuflow.codegen import render
    from mcuflow.verify.host import build_and_run

    xs = random_inputs(g, 2)
    run = build_and_run(render(g, write_model(g)), xs)
    for k, one in enumerate(xs):
        np.testing.assert_array_equal(np.asarray(run.outputs[k][0]).reshape(3, 5, 4), _pad_numpy(g, one[0]))


def test_transpose_rank6_refused():
    b = GraphBuilder("t6")
    x = b.tensor("x", (1, 2, 1, 2, 1, 2), "int8", Quantization.make(0.1, 0))
    y = b.tensor("y", (2, 1, 2, 1, 2, 1), "int8", Quantization.make(0.1, 0))
    b.op("TRANSPOSE", [x, b.const("perm", np.array([5, 4, 3, 2, 1, 0], np.int32))], [y])
    g = b.build([x], [y])
    with pytest.raises(UnsupportedError):
        run_graph(g, random_inputs(g, 1)[0])


# -- 4. lowering details ----------------------------------------------------------------


def _ctx(g, alias: bool = False) -> LoweringContext:
    def expr(i: int) -> str:
        t = g.tensors[i]
        if t.is_const:
            return f"model_t{i}"
        return "(arena + 0)" if alias else f"(arena + {16 * i})"

    return LoweringContext(g, g.ops[0], expr)


@pytest.mark.parametrize("op_type", ["RESHAPE", "SQUEEZE"])
def test_aliased_reshape_emits_nothing(op_type):
    b = GraphBuilder("r")
    x = b.tensor("x", (1, 4, 1, 3), "int8", Quantization.make(0.1, 0))
    y = b.tensor("y", (4, 3), "int8", Quantization.make(0.1, 0))
    ins = [x] if op_type == "SQUEEZE" else [x, b.const("s", np.array([4, 3], np.int32))]
    b.op(op_type, ins, [y])
    g = b.build([x], [y])
    assert lowering_for(g.ops[0]).inplace
    ctx = _ctx(g, alias=True)
    lowering_for(g.ops[0]).fn(g, g.ops[0], ctx)
    assert ctx.statements == []
    ctx = _ctx(g, alias=False)
    lowering_for(g.ops[0]).fn(g, g.ops[0], ctx)
    assert len(ctx.statements) == 1 and "te_copy(" in ctx.statements[0]


@settings(max_examples=200, **SETTINGS)
@given(st.integers(1, 6).flatmap(lambda r: st.tuples(
    st.lists(st.integers(1, 3), min_size=r, max_size=r), st.permutations(range(r)))))
def test_simplify_transpose_is_equivalent(shape_perm):
    shape, perm = shape_perm
    x = np.arange(int(np.prod(shape))).reshape(shape)
    s2, p2 = simplify_transpose(shape, list(perm))
    assert len(s2) <= len(shape)
    want = np.transpose(x, perm).reshape(-1)
    got = np.transpose(x.reshape(s2) if s2 else x.reshape(()), p2).reshape(-1)
    np.testing.assert_array_equal(got, want)


@settings(max_examples=300, **SETTINGS)
@given(st.integers(1, 6).flatmap(lambda r: st.lists(st.integers(1, 4), min_size=r, max_size=r)).flatmap(
    lambda shape: st.tuples(st.just(shape), *[st.tuples(st.integers(0, n - 1), st.sampled_from([1, 1, 2, -1]),
                                                        st.integers(1, n)) for n in shape])))
def test_simplify_slice_is_equivalent(drawn):
    shape, *per_dim = drawn
    begin, stride, count = [], [], []
    for n, (b, s, c) in zip(shape, per_dim):
        # Keep the walk inside the dimension.
        c = min(c, (n - b - 1) // s + 1 if s > 0 else b // -s + 1)
        begin.append(b)
        stride.append(s)
        count.append(c)
    x = np.arange(int(np.prod(shape))).reshape(shape)

    def take(arr, b, s, c):
        return arr[np.ix_(*[bb + ss * np.arange(cc) for bb, ss, cc in zip(b, s, c)])].reshape(-1)

    s2, b2, st2, c2 = simplify_slice(shape, begin, stride, count)
    assert len(s2) <= len(shape)
    np.testing.assert_array_equal(take(x.reshape(s2), b2, st2, c2), take(x, begin, stride, count))


# -- 5. the C kernels on their own ----------------------------------------------------------


@pytest.fixture(scope="module")
def te_shape_lib(tmp_path_factory) -> ctypes.CDLL:
    out = tmp_path_factory.mktemp("te_shape") / "libte_shape.so"
    srcs = sorted(str(p) for p in (TE / "src" / "shape").glob("*.c"))
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC",
           "-I", str(TE / "include"), "-I", str(TE / "src"), *srcs, "-o", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return ctypes.CDLL(str(out))


def test_resize_map_c_matches_python(te_shape_lib):
    fn = te_shape_lib.te_resize_nearest_map
    fn.argtypes = [ctypes.c_int32] * 4 + [ctypes.POINTER(ctypes.c_int32)]
    checked = 0
    for in_size, out_size in itertools.product(range(1, 70), range(1, 70)):
        buf = (ctypes.c_int32 * out_size)()
        for ac, hp in itertools.product((0, 1), (0, 1)):
            assert fn(in_size, out_size, ac, hp, buf) == 0
            want = nearest_source_index(in_size, out_size, bool(ac), bool(hp))
            assert list(buf) == want.tolist(), (in_size, out_size, ac, hp)
            checked += 1
    assert checked == 69 * 69 * 4


class _Pad(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int32), ("input_shape", ctypes.c_int32 * 5),
                ("before", ctypes.c_int32 * 5), ("after", ctypes.c_int32 * 5)]


class _Transpose(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int32), ("input_shape", ctypes.c_int32 * 5), ("perm", ctypes.c_int32 * 5)]


class _Concat(ctypes.Structure):
    _fields_ = [("outer", ctypes.c_int32), ("input_inner", ctypes.c_int32),
                ("output_inner", ctypes.c_int32), ("offset", ctypes.c_int32)]


class _Slice(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int32), ("input_shape", ctypes.c_int32 * 5), ("begin", ctypes.c_int32 * 5),
                ("stride", ctypes.c_int32 * 5), ("count", ctypes.c_int32 * 5)]


class _Dims(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int32), ("h", ctypes.c_int32), ("w", ctypes.c_int32), ("c", ctypes.c_int32)]


def _arr(vals):
    return (ctypes.c_int32 * 5)(*(list(vals) + [0] * (5 - len(vals))))


def test_c_kernels_reject_bad_arguments(te_shape_lib):
    lib = te_shape_lib
    a = (ctypes.c_int8 * 256)()
    b = (ctypes.c_int8 * 256)()
    ERR = -1

    def pad(rank, shape, lo, hi, src=a, dst=b):
        return lib.te_pad_s8(ctypes.byref(_Pad(rank, _arr(shape), _arr(lo), _arr(hi))), src, ctypes.c_int8(0), dst)

    assert pad(2, [2, 3], [1, 0], [0, 1]) == 0
    assert pad(0, [], [], []) == ERR
    assert pad(6, [1] * 5, [0] * 5, [0] * 5) == ERR
    assert pad(2, [2, -1], [0, 0], [0, 0]) == ERR
    assert pad(2, [2, 3], [0, -1], [0, 0]) == ERR
    assert pad(2, [2, 3], [1, 0], [0, 0], dst=a) == ERR  # padding in place is impossible
    assert pad(2, [2, 3], [0, 0], [0, 0], dst=a) == 0  # ... a copy in place is nothing
    assert lib.te_pad_s8(None, a, ctypes.c_int8(0), b) == ERR

    def tr(rank, shape, perm, dst=b):
        return lib.te_transpose_s8(ctypes.byref(_Transpose(rank, _arr(shape), _arr(perm))), a, dst)

    assert tr(3, [2, 3, 4], [2, 0, 1]) == 0
    assert tr(3, [2, 3, 4], [2, 0, 0]) == ERR
    assert tr(3, [2, 3, 4], [3, 0, 1]) == ERR
    assert tr(3, [2, 3, 4], [-1, 0, 1]) == ERR
    assert tr(3, [2, 3, 4], [2, 0, 1], dst=a) == ERR

    def cat(outer, inner, out_inner, offset):
        return lib.te_concat_s8(ctypes.byref(_Concat(outer, inner, out_inner, offset)), a, b)

    assert cat(2, 3, 8, 5) == 0
    assert cat(2, 3, 8, 6) == ERR
    assert cat(-1, 3, 8, 0) == ERR
    assert cat(2, 3, 8, -1) == ERR

    rows = (ctypes.c_int32 * 4)(0, 1, 1, 2)
    cols_ok = (ctypes.c_int32 * 2)(0, 1)
    cols_bad = (ctypes.c_int32 * 2)(0, 2)
    din, dout = _Dims(1, 3, 2, 4), _Dims(1, 4, 2, 4)
    rs = lib.te_resize_nearest_s8
    assert rs(ctypes.byref(din), ctypes.byref(dout), rows, cols_ok, a, b) == 0
    assert rs(ctypes.byref(din), ctypes.byref(dout), rows, cols_bad, a, b) == ERR
    assert rs(ctypes.byref(din), ctypes.byref(_Dims(1, 4, 2, 3)), rows, cols_ok, a, b) == ERR
    assert rs(ctypes.byref(din), ctypes.byref(dout), rows, cols_ok, a, a) == ERR

    def ss(shape, begin, stride, count, dst=b):
        p = _Slice(len(shape), _arr(shape), _arr(begin), _arr(stride), _arr(count))
        return lib.te_strided_slice_s8(ctypes.byref(p), a, dst)

    assert ss([5, 6], [4, 0], [-2, 3], [3, 2]) == 0
    assert ss([5, 6], [4, 0], [-2, 3], [3, 3]) == ERR  # walks past the end
    assert ss([5, 6], [4, 0], [-2, 0], [3, 2]) == ERR  # stride 0
    assert ss([5, 6], [5, 0], [1, 1], [1, 2]) == ERR  # begin outside
    assert ss([5, 6], [4, 0], [-2, 3], [-1, 2]) == ERR
    assert ss([5, 6], [9, 0], [1, 1], [0, 2]) == 0  # empty: nothing read
    assert ss([5, 6], [4, 0], [-2, 3], [3, 2], dst=a) == ERR

    assert lib.te_copy(a, b, -1) == ERR
    assert lib.te_copy(None, b, 4) == ERR
    assert lib.te_copy(None, None, 0) == 0
    assert lib.te_resize_nearest_map(0, 3, 0, 0, rows) == ERR
