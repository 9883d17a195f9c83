"""Partial overlap: a pointwise conv / QUANTIZE / DEQUANTIZE output written partly over its dying input.

* the distance formula is the least one the in-flight inequality allows (brute force);
* the C kernels give the same bytes with input and output overlapping at that
  distance as with separate buffers (ASan/UBSan, random shapes, both directions);
* plans with overlaps count the overlapped bytes once, stay valid, and a plan
  moved one alignment step too close is refused;
* whole models with overlaps stay bit-exact (slow).
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcuflow.graph import GraphBuilder, Quantization
from mcuflow.planner import plan_memory
from mcuflow.planner.overlap import (
    CONV_PIXELS_IN_FLIGHT,
    ELEMENTWISE_ELEMENTS_IN_FLIGHT,
    POINTWISE_PIXELS_IN_FLIGHT,
    check_overlaps,
    is_safe,
    min_distance,
    overlap_distance,
)
from mcuflow.planner.plan import align

TE = Path(__file__).resolve().parents[1] / "lib" / "TinyEngine"


# -- the inequality ---------------------------------------------------------------------


@settings(deadline=None, max_examples=300)
@given(st.integers(1, 40), st.integers(1, 9), st.integers(1, 9), st.integers(1, 4))
def test_min_distance_is_the_least_safe_distance(units, a, b, g):
    d = min_distance(units, a, b, g)
    assert is_safe(d, units, a, b, g)
    assert not is_safe(d - 1, units, a, b, g)
    assert is_safe(d + 5, units, a, b, g)  # farther apart is always safe


def test_in_flight_constants_match_the_headers():
    conv = (TE / "include" / "te_conv.h").read_text()
    ew = (TE / "include" / "te_elementwise.h").read_text()
    assert int(re.search(r"#define TE_POINTWISE_PIXELS_IN_FLIGHT (\d+)", conv).group(1)) == POINTWISE_PIXELS_IN_FLIGHT
    assert int(re.search(r"#define TE_ELEMENTWISE_ELEMENTS_IN_FLIGHT (\d+)", ew).group(1)) == \
        ELEMENTWISE_ELEMENTS_IN_FLIGHT
    assert int(re.search(r"#define TE_CONV_PIXELS_IN_FLIGHT (\d+)", conv).group(1)) == CONV_PIXELS_IN_FLIGHT


# -- C kernels at the least distance ------------------------------------------------------

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinyengine.h"

static uint32_t rng = 777u;
static int32_t rnd(int32_t lo, int32_t hi) { rng = rng * 1664525u + 1013904223u; return lo + (int32_t)((rng >> 8) % (uint32_t)(hi - lo + 1)); }

/* kind (0 conv, 1 quantize, 2 dequantize), n, h, w, in_c, out_c, distance (input - output bytes) */
static const int32_t cfg[][7] = {
%CONFIGS%
};

int main(void)
{
    int bad = 0;
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; ++k) {
        const int32_t *g = cfg[k];
        const int32_t pix = g[1] * g[2] * g[3], d = g[6];
        size_t in_bytes, out_bytes;
        if (g[0] == 0) { in_bytes = (size_t)pix * g[4]; out_bytes = (size_t)pix * g[5]; }
        else if (g[0] == 1) { in_bytes = (size_t)pix * 4; out_bytes = (size_t)pix; }
        else { in_bytes = (size_t)pix; out_bytes = (size_t)pix * 4; }
        size_t span = out_bytes > d + in_bytes ? out_bytes : d + in_bytes;
        /* exactly the span: ASan catches a byte outside it; 16-aligned for the float views */
        unsigned char *arena = aligned_alloc(16, (span + 15) / 16 * 16);
        unsigned char *x = malloc(in_bytes), *ref = malloc(out_bytes), *sep_in = malloc(in_bytes);
        unsigned char *out = arena, *in = arena + d;
        te_status s1 = TE_OK, s2 = TE_OK;
        if (g[0] == 0) {
            te_dims in_d = {g[1], g[2], g[3], g[4]}, f_d = {g[5], 1, 1, g[4]}, out_d = {g[1], g[2], g[3], g[5]};
            int8_t *w = malloc((size_t)g[4] * g[5]);
            int32_t *bias = malloc(sizeof(int32_t) * g[5]), *mult = malloc(sizeof(int32_t) * g[5]), *shift = malloc(sizeof(int32_t) * g[5]);
            for (int32_t i = 0; i < g[4] * g[5]; ++i) w[i] = (int8_t)rnd(-127, 127);
            for (int32_t c = 0; c < g[5]; ++c) { bias[c] = rnd(-5000, 5000); mult[c] = rnd(1 << 30, 0x7fffffff); shift[c] = rnd(-10, 0); }
            for (size_t i = 0; i < in_bytes; ++i) x[i] = (unsigned char)rnd(0, 255);
            te_conv_params p = {rnd(-127, 128), rnd(-128, 127), {1, 1}, {0, 0}, {1, 1}, {rnd(-128, -100), rnd(100, 127)}};
            te_per_channel_quant q = {mult, shift};
            int32_t sz = te_conv2d_s8_get_buffer_size(&in_d, &f_d, &out_d);
            int8_t *scr = malloc((size_t)sz + 1);
            memcpy(sep_in, x, in_bytes);
            s1 = te_conv2d_s8((te_context){scr, sz}, &p, &q, &in_d, (int8_t *)sep_in, &f_d, w, bias, &out_d, (int8_t *)ref);
            memmove(in, x, in_bytes);
            s2 = te_conv2d_s8((te_context){scr, sz}, &p, &q, &in_d, (int8_t *)in, &f_d, w, bias, &out_d, (int8_t *)out);
            free(w); free(bias); free(mult); free(shift); free(scr);
        } else if (g[0] == 1) {
            float *xf = (float *)sep_in;
            for (int32_t i = 0; i < pix; ++i) xf[i] = (float)rnd(-40000, 40000) / 128.0f;
            float scale = (float)rnd(1, 1000) / 997.0f;
            int32_t zp = rnd(-128, 127);
            s1 = te_quantize_f32_s8(scale, zp, pix, xf, (int8_t *)ref);
            memcpy(in, sep_in, in_bytes);
            s2 = te_quantize_f32_s8(scale, zp, pix, (const float *)in, (int8_t *)out);
        } else {
            for (size_t i = 0; i < in_bytes; ++i) sep_in[i] = (unsigned char)rnd(0, 255);
            float scale = (float)rnd(1, 1000) / 997.0f;
            int32_t zp = rnd(-128, 127);
            float *reff = aligned_alloc(16, (out_bytes + 15) / 16 * 16);
            s1 = te_dequantize_s8_f32(scale, zp, pix, (const int8_t *)sep_in, reff);
            memcpy(ref, reff, out_bytes);
            free(reff);
            memcpy(in, sep_in, in_bytes);
            s2 = te_dequantize_s8_f32(scale, zp, pix, (const int8_t *)in, (float *)out);
        }
        if (s1 != TE_OK || s2 != TE_OK || memcmp(ref, out, out_bytes) != 0) {
            printf("config %u differs (status %d %d)\n", (unsigned)k, (int)s1, (int)s2);
            bad++;
        }
        free(arena); free(x); free(ref); free(sep_in);
    }
    printf("%d bad of %u\n", bad, (unsigned)(sizeof cfg / sizeof cfg[0]));
    return bad != 0;
}
"""


def _configs(n: int, seed: int) -> list[tuple[int, ...]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        kind = k % 4 if k % 4 < 3 else 0  # conv twice as often
        nb, h, w = rng.choice([1, 1, 2]), rng.randint(1, 6), rng.randint(1, 6)
        pix = nb * h * w
        if kind == 0:
            cin, cout = rng.randint(1, 40), rng.randint(1, 40)
            if rng.random() < 0.3:
                cout = cin + rng.choice([-1, 1]) if cin > 1 else 2
            a, b, g = cin, cout, POINTWISE_PIXELS_IN_FLIGHT
        else:
            cin = cout = 1
            a, b = (4, 1) if kind == 1 else (1, 4)
            g = ELEMENTWISE_ELEMENTS_IN_FLIGHT
        d = min_distance(pix, a, b, g)
        if kind == 1:
            d = (d + 3) // 4 * 4  # the float input must stay 4-byte aligned
        if k % 3 == 2:
            d = align(d)  # the distance the planner uses
        out.append((kind, nb, h, w, cin, cout, d))
    return out


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_kernels_at_the_least_distance_equal_separate_buffers(tmp_path):
    cfgs = _configs(240, seed=3)
    src = HARNESS.replace("%CONFIGS%", ",\n".join("{" + ", ".join(map(str, c)) + "}" for c in cfgs))
    (tmp_path / "h.c").write_text(src)
    srcs = sorted(str(p) for p in (TE / "src").rglob("*.c"))
    exe = tmp_path / "h"
    subprocess.run(["gcc", "-std=c11", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-I", str(TE / "include"), "-I", str(TE / "src"), str(tmp_path / "h.c"), *srcs, "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 bad of 240" in r.stdout


# -- plans -----------------------------------------------------------------------------------


def _q(s=0.05, zp=0):
    return Quantization([s], [zp])


def _pointwise_chain(h=8, w=8, cin=8, mid=48, cout=8, float_io=False):
    """[QUANTIZE] -> 1x1 expand -> 1x1 project [-> DEQUANTIZE]."""
    rng = np.random.default_rng(0)
    b = GraphBuilder("pw")
    if float_io:
        xf = b.tensor("xf", [1, h, w, cin], "float32")
        x = b.tensor("x", [1, h, w, cin], "int8", _q())
        b.op("QUANTIZE", [xf], [x])
    else:
        x = b.tensor("x", [1, h, w, cin], "int8", _q())
    prev, c_prev = x, cin
    for k, c in enumerate((mid, cout)):
        wt = b.const(f"w{k}", rng.integers(-127, 128, (c, 1, 1, c_prev), dtype=np.int8), Quantization([0.02] * c, [0] * c, 0))
        bias = b.const(f"b{k}", rng.integers(-500, 500, (c,), dtype=np.int32), Quantization([0.001] * c, [0] * c, 0))
        y = b.tensor(f"y{k}", [1, h, w, c], "int8", _q(0.1, 3))
        b.op("CONV_2D", [prev, wt, bias], [y], padding="VALID", stride_w=1, stride_h=1,
             fused_activation_function="NONE", dilation_w_factor=1, dilation_h_factor=1)
        prev, c_prev = y, c
    if float_io:
        yf = b.tensor("yf", [1, h, w, cout], "float32")
        b.op("DEQUANTIZE", [prev], [yf])
        return b.build([xf], [yf])
    return b.build([x], [prev])


def _scratch(graph):
    from mcuflow.codegen.lowering import scratch_bytes

    return {op.index: scratch_bytes(graph, op) for op in graph.ops}


def test_expand_and_project_overlap_and_the_bound_counts_bytes_once():
    g = _pointwise_chain()
    sc = _scratch(g)
    plan = plan_memory(g, sc, "mcuflow")
    exact = plan_memory(g, sc, "mcuflow-no-overlap")
    assert set(plan.overlaps) == {0, 1}
    pix = 64
    d_expand = align(min_distance(pix, 8, 48, POINTWISE_PIXELS_IN_FLIGHT))
    d_project = align(min_distance(pix, 48, 8, POINTWISE_PIXELS_IN_FLIGHT))
    assert plan.overlaps[0][2] == d_expand and plan.overlaps[1][2] == d_project
    # the busiest step: the expand, its input at the tail of its output, plus the op's scratch
    assert plan.step_live_bytes[0] == max(pix * 48, d_expand + pix * 8) + align(sc[0])
    assert plan.step_live_bytes[1] == max(pix * 8, d_project + pix * 48) + align(sc[1])
    assert plan.arena_bytes == plan.lower_bound < exact.arena_bytes
    for op in (0, 1):
        i, o, d = plan.overlaps[op]
        assert plan.tensor_offset(i) - plan.tensor_offset(o) == d


def test_float_io_conversions_overlap_their_neighbours():
    g = _pointwise_chain(mid=16, float_io=True)  # the float tensors are the largest
    plan = plan_memory(g, _scratch(g), "mcuflow")
    exact = plan_memory(g, _scratch(g), "mcuflow-no-overlap")
    kinds = {op.type for op in g.ops if op.index in plan.overlaps}
    assert {"QUANTIZE", "DEQUANTIZE"} <= kinds
    assert plan.arena_bytes == plan.lower_bound == 16 + 8 * 8 * 8 * 4 < exact.arena_bytes
    # QUANTIZE: the int8 copy starts 16 bytes below the float input instead of beside it
    q = next(op for op in g.ops if op.type == "QUANTIZE")
    assert overlap_distance(g, q) == 16
    assert plan.step_live_bytes[q.index] == 16 + 8 * 8 * 8 * 4


def test_a_plan_one_step_too_close_is_refused():
    g = _pointwise_chain()
    plan = plan_memory(g, _scratch(g), "mcuflow")
    check_overlaps(g, plan)
    i = plan.overlaps[0][0]
    key = plan.tensor_buffer[i]
    plan.buffers[key].member_offsets[i] -= 16  # input 16 bytes closer to the output's start
    with pytest.raises(AssertionError, match="unsafely"):
        check_overlaps(g, plan)


def test_an_input_read_later_is_never_overlapped():
    """A residual input (read again by the ADD) keeps its own bytes: only dying inputs overlap."""
    rng = np.random.default_rng(1)
    b = GraphBuilder("res")
    x = b.tensor("x", [1, 4, 4, 8], "int8", _q())
    wt = b.const("w", rng.integers(-127, 128, (8, 1, 1, 8), dtype=np.int8), Quantization([0.02] * 8, [0] * 8, 0))
    y = b.tensor("y", [1, 4, 4, 8], "int8", _q())
    b.op("CONV_2D", [x, wt], [y], padding="VALID", stride_w=1, stride_h=1, fused_activation_function="NONE",
         dilation_w_factor=1, dilation_h_factor=1)
    z = b.tensor("z", [1, 4, 4, 8], "int8", _q())
    b.op("ADD", [x, y], [z], fused_activation_function="NONE")
    g = b.build([x], [z])
    plan = plan_memory(g, _scratch(g), "mcuflow")
    assert 0 not in plan.overlaps


# -- whole models (slow) ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mcunet_like", "mcunet_det", "mobilenetv1_025_vww", "mobilenetv2_176",
                                   "mcunet_like_float_io", "resnet8_float_io", "dscnn_kws"])
def test_factory_models_with_overlaps_stay_bit_exact(model):
    from mcuflow.codegen import load, render
    from mcuflow.factory import build
    from mcuflow.verify.host import verify_model

    g = build(model)
    gen = render(*load(g))
    assert gen.plan.arena_bytes == gen.plan.lower_bound
    assert verify_model(g, n_inputs=2, sanitize=True).outputs_equal
    # every overlap the kernels allow, not only those that lower the arena
    assert verify_model(g, n_inputs=1, sanitize=True, strategy="overlap-all").outputs_equal


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobilenetv2_035_96", "mobilenetv2_035_96_float_io", "dscnn_kws"])
def test_shared_models_with_overlaps_stay_bit_exact(name):
    from mcuflow.verify.host import verify_model

    path = Path("/work/shared/models") / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"{path} not present")
    assert verify_model(str(path), n_inputs=2, sanitize=True).outputs_equal
    assert verify_model(str(path), n_inputs=1, sanitize=True, strategy="overlap-all").outputs_equal


@pytest.mark.parametrize("model", ["mcunet_like", "mcunet_det", "mobilenetv1_025_vww"])
def test_overlaps_lower_the_peak_of_mobilenet_style_models(model):
    """At the lower bound of the schedule, below the plan without overlaps; mcunet_like >= 2x below greedy
    (TF Lite Micro's placement)."""
    from mcuflow.factory import build
    from mcuflow.passes import optimize

    raw = build(model)
    g = optimize(raw)
    sc = _scratch(g)
    plan = plan_memory(g, sc, "mcuflow")
    exact = plan_memory(g, sc, "mcuflow-no-overlap")
    assert plan.arena_bytes == plan.lower_bound < exact.arena_bytes
    check_overlaps(g, plan)
    if model == "mcunet_like":
        greedy = plan_memory(raw, _scratch(raw), "greedy")
        assert greedy.arena_bytes >= 2 * plan.arena_bytes


# -- any CONV_2D: windows, strides, padding -------------------------------------------------

CONV_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinyengine.h"

static uint32_t rng = 4242u;
static int32_t rnd(int32_t lo, int32_t hi) { rng = rng * 1664525u + 1013904223u; return lo + (int32_t)((rng >> 8) % (uint32_t)(hi - lo + 1)); }

/* n, h, w, cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, distance (input - output bytes) */
static const int32_t cfg[][16] = {
%CONFIGS%
};

int main(void)
{
    int bad = 0;
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; ++k) {
        const int32_t *g = cfg[k];
        const size_t in_bytes = (size_t)g[0] * g[1] * g[2] * g[3], out_bytes = (size_t)g[0] * g[13] * g[14] * g[4];
        const size_t d = (size_t)g[15];
        const size_t span = out_bytes > d + in_bytes ? out_bytes : d + in_bytes;
        int8_t *arena = malloc(span), *x = malloc(in_bytes), *ref = malloc(out_bytes);
        te_dims in_d = {g[0], g[1], g[2], g[3]}, f_d = {g[4], g[5], g[6], g[3]}, out_d = {g[0], g[13], g[14], g[4]};
        const size_t wn = (size_t)g[4] * g[5] * g[6] * g[3];
        int8_t *w = malloc(wn);
        int32_t *bias = malloc(sizeof(int32_t) * g[4]), *mult = malloc(sizeof(int32_t) * g[4]), *shift = malloc(sizeof(int32_t) * g[4]);
        for (size_t i = 0; i < wn; ++i) w[i] = (int8_t)rnd(-127, 127);
        for (int32_t c = 0; c < g[4]; ++c) { bias[c] = rnd(-5000, 5000); mult[c] = rnd(1 << 30, 0x7fffffff); shift[c] = rnd(-10, 0); }
        for (size_t i = 0; i < in_bytes; ++i) x[i] = (int8_t)rnd(-128, 127);
        te_conv_params p = {rnd(-127, 128), rnd(-128, 127), {g[7], g[8]}, {g[9], g[10]}, {g[11], g[12]},
                            {rnd(-128, -100), rnd(100, 127)}};
        te_per_channel_quant q = {mult, shift};
        int32_t sz = te_conv2d_s8_get_buffer_size(&in_d, &f_d, &out_d);
        int8_t *scr = malloc((size_t)sz + 1);
        te_status s1 = te_conv2d_s8((te_context){scr, sz}, &p, &q, &in_d, x, &f_d, w, bias, &out_d, ref);
        memcpy(arena + d, x, in_bytes);
        te_status s2 = te_conv2d_s8((te_context){scr, sz}, &p, &q, &in_d, arena + d, &f_d, w, bias, &out_d, arena);
        if (s1 != TE_OK || s2 != TE_OK || memcmp(ref, arena, out_bytes) != 0) {
            printf("config %u differs (status %d %d)\n", (unsigned)k, (int)s1, (int)s2);
            bad++;
        }
        free(arena); free(x); free(ref); free(w); free(bias); free(mult); free(shift); free(scr);
    }
    printf("%d bad of %u\n", bad, (unsigned)(sizeof cfg / sizeof cfg[0]));
    return bad != 0;
}
"""


def _conv_graph(n, h, w, cin, cout, k, s, d, padding):
    from mcuflow.reference.conv import out_size

    rng = np.random.default_rng(0)
    oh, ow = (out_size(padding, size, kk, s, d) for size, kk in ((h, k[0]), (w, k[1])))
    b = GraphBuilder("c")
    x = b.tensor("x", [n, h, w, cin], "int8", _q())
    wt = b.const("w", rng.integers(-127, 128, (cout, k[0], k[1], cin), dtype=np.int8),
                 Quantization([0.02] * cout, [0] * cout, 0))
    y = b.tensor("y", [n, oh, ow, cout], "int8", _q(0.1, 3))
    b.op("CONV_2D", [x, wt], [y], padding=padding, stride_w=s, stride_h=s, fused_activation_function="NONE",
         dilation_w_factor=d, dilation_h_factor=d)
    return b.build([x], [y]), oh, ow


def _conv_configs(count: int, seed: int) -> list[tuple[int, ...]]:
    from mcuflow.planner.overlap import conv_still_read, least_distance
    from mcuflow.reference.conv import conv_geometry

    rng = random.Random(seed)
    out = []
    while len(out) < count:
        k = (rng.choice([1, 2, 3, 5]), rng.choice([1, 3, 5]))
        s, d = rng.choice([1, 2, 2, 3]), rng.choice([1, 1, 2])
        n, h, w = rng.choice([1, 1, 2]), rng.randint(1, 11), rng.randint(1, 11)
        cin, cout = rng.randint(1, 12), rng.randint(1, 20)
        padding = rng.choice(["SAME", "VALID"])
        try:
            g, oh, ow = _conv_graph(n, h, w, cin, cout, k, s, d, padding)
            geo = conv_geometry(g, g.ops[0])
        except Exception:  # noqa: BLE001 - a VALID window larger than the image
            continue
        m = conv_still_read(g, g.ops[0])
        dist = least_distance(m, cout)
        if rng.random() < 0.3:
            dist = align(dist)
        out.append((n, h, w, cin, cout, k[0], k[1], s, s, geo.pad_h, geo.pad_w, d, d, oh, ow, dist))
    return out


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("dsp", [False, True], ids=["portable", "dsp-emulated"])
def test_any_conv_at_the_least_distance_equals_separate_buffers(tmp_path, dsp):
    """Stride-2 3x3 stems, strided 1x1 shortcuts, dilation, padding: the output written over the consumed
    part of the input at the planner's least distance gives the same bytes (ASan checks the span)."""
    cfgs = _conv_configs(160, seed=5)
    src = CONV_HARNESS.replace("%CONFIGS%", ",\n".join("{" + ", ".join(map(str, c)) + "}" for c in cfgs))
    (tmp_path / "h.c").write_text(src)
    srcs = sorted(str(p) for p in (TE / "src").rglob("*.c"))
    exe = tmp_path / "h"
    flags = ["-DTE_EMULATE_DSP"] if dsp else []
    subprocess.run(["gcc", "-std=c11", "-O1", "-g", *flags, "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-I", str(TE / "include"), "-I", str(TE / "src"), str(tmp_path / "h.c"),
                    *srcs, "-o", str(exe)], check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 bad of 160" in r.stdout


def test_a_conv_one_byte_closer_than_the_least_distance_would_be_unsafe():
    """The least distance is tight: one byte less and some window still to be read is overwritten."""
    from mcuflow.planner.overlap import conv_still_read, is_safe_general, least_distance

    g, _, _ = _conv_graph(1, 16, 16, 3, 8, (3, 3), 2, 1, "SAME")
    m = conv_still_read(g, g.ops[0])
    dist = least_distance(m, 8)
    assert dist > 0 and is_safe_general(dist, m, 8) and not is_safe_general(dist - 1, m, 8)


def test_stride2_stem_overlaps_its_input():
    """mcunet_det's stem (128x128x3 -> 64x64x8, 3x3 stride 2): the pair takes the input plus 144 bytes."""
    from mcuflow.planner.overlap import overlap_distance

    g, _, _ = _conv_graph(1, 128, 128, 3, 8, (3, 3), 2, 1, "SAME")
    assert overlap_distance(g, g.ops[0]) == 144


# -- spare scratch: free bytes at a step go to the op's faster path -----------------------------------------------


@pytest.mark.parametrize("model,ops", [("mcunet_det", {3}), ("mobilenetv1_025_vww", {6, 10, 14, 26})])
def test_spare_scratch_takes_only_free_bytes(model, ops):
    """Pointwise layers of as many outputs as inputs get the DSP fast path's scratch where their step has it
    free, in one piece that no live buffer touches; the arena and every other buffer stay where they were."""
    from mcuflow.codegen.lowering import spare_scratch
    from mcuflow.factory import build
    from mcuflow.passes import optimize
    from mcuflow.planner.plan import check_placement, free_spans, grow_scratch

    g = optimize(build(model))
    plan = plan_memory(g, _scratch(g), "mcuflow")
    wants = {op.index: spare_scratch(g, op, op.index in plan.overlaps) for op in g.ops}
    wants = {i: w for i, w in wants.items() if w is not None}
    assert ops <= set(wants)
    grown = grow_scratch(plan, wants)
    assert grown.arena_bytes == plan.arena_bytes and grown.lower_bound <= grown.arena_bytes
    check_placement(list(grown.buffers.values()), grown.offsets)
    for key, off in plan.offsets.items():
        if not key.startswith("s") or int(key[1:]) not in wants:
            assert grown.offsets[key] == off and grown.buffers[key].size == plan.buffers[key].size
    for i in ops:
        least, most = wants[i]
        assert least <= grown.scratch_bytes(i) <= align(most)
        step = plan.order.index(i)
        at = grown.scratch_offset(i)
        assert any(lo <= at and at + grown.scratch_bytes(i) <= hi
                   for lo, hi in free_spans(plan, step, skip=f"s{i}"))
        assert plan.scratch_bytes(i) < least  # the plan alone: the copies only


def test_spare_scratch_is_not_taken_where_the_step_is_full():
    """dscnn_kws's 64-channel layers sit at steps with a few hundred bytes free: they keep the copies."""
    from mcuflow.codegen.lowering import spare_scratch
    from mcuflow.factory import build
    from mcuflow.passes import optimize
    from mcuflow.planner.plan import grow_scratch

    g = optimize(build("dscnn_kws"))
    plan = plan_memory(g, _scratch(g), "mcuflow")
    wants = {op.index: spare_scratch(g, op, op.index in plan.overlaps) for op in g.ops}
    wants = {i: w for i, w in wants.items() if w is not None}
    assert wants
    grown = grow_scratch(plan, wants)
    assert grown.arena_bytes == plan.arena_bytes
    for i in wants:
        assert grown.scratch_bytes(i) == plan.scratch_bytes(i)
