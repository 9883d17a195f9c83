"""Depthwise row-ring kernels (te_dw_rows.h): both depthwise kernels against a naive TF Lite-style loop.

The in-place kernel and the out-of-place kernel are compared byte for byte
with a direct transcription of TF Lite Micro's DepthwiseConvPerChannel
(te_requantize per output), portable and with the DSP path emulated, under
ASan/UBSan, over shapes that take the ring (large enough maps), the
one-channel fallback, kernels 1..7, strides 1..3, paddings, dilation,
odd channel counts and batches. The Python scratch formula equals the C one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TE = Path(__file__).resolve().parents[1] / "lib" / "TinyEngine"

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinyengine.h"
#include "te_internal.h"

static uint32_t rng = 777u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng = rng * 1664525u + 1013904223u;
    const uint32_t r = rng ^ (rng >> 15) * 2654435761u;
    return (int32_t)((int64_t)lo + (int64_t)(r % (uint64_t)((int64_t)hi - lo + 1)));
}

/* n h w c kh kw sh sw ph pw dh dw oh ow full_act quant_kind */
static const int32_t cfg[][16] = {
%CONFIGS%
};

static void naive(const int32_t *g, const te_dw_conv_params *p, const int32_t *mult, const int32_t *shift,
                  const int8_t *x, const int8_t *w, const int32_t *bias, int8_t *y)
{
    for (int32_t b = 0; b < g[0]; ++b)
    for (int32_t oy = 0; oy < g[12]; ++oy)
    for (int32_t ox = 0; ox < g[13]; ++ox)
    for (int32_t c = 0; c < g[3]; ++c) {
        int32_t acc = 0;
        for (int32_t ky = 0; ky < g[4]; ++ky)
        for (int32_t kx = 0; kx < g[5]; ++kx) {
            const int32_t iy = oy * g[6] - g[8] + ky * g[10], ix = ox * g[7] - g[9] + kx * g[11];
            if (iy < 0 || iy >= g[1] || ix < 0 || ix >= g[2]) continue;
            acc += ((int32_t)x[(((size_t)b * g[1] + iy) * g[2] + ix) * g[3] + c] + p->input_offset) *
                   (int32_t)w[((size_t)ky * g[5] + kx) * g[3] + c];
        }
        if (bias) acc = (int32_t)((uint32_t)acc + (uint32_t)bias[c]);
        int32_t v = te_requantize(acc, mult[c], shift[c]) + p->output_offset;
        v = v < p->activation.min ? p->activation.min : v > p->activation.max ? p->activation.max : v;
        y[(((size_t)b * g[12] + oy) * g[13] + ox) * g[3] + c] = (int8_t)v;
    }
}

int main(void)
{
    int bad = 0;
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; ++k) {
        const int32_t *g = cfg[k];
        te_dims in = {g[0], g[1], g[2], g[3]}, f = {1, g[4], g[5], g[3]}, out = {g[0], g[12], g[13], g[3]};
        size_t n_in = (size_t)g[0] * g[1] * g[2] * g[3], n_out = (size_t)g[0] * g[12] * g[13] * g[3];
        size_t n_f = (size_t)g[4] * g[5] * g[3];
        int8_t *x = malloc(n_in), *buf = malloc(n_in), *ref = malloc(n_out), *y = malloc(n_out), *w = malloc(n_f);
        int32_t *bias = malloc(sizeof(int32_t) * g[3]), *mult = malloc(sizeof(int32_t) * g[3]), *shift = malloc(sizeof(int32_t) * g[3]);
        for (size_t i = 0; i < n_in; ++i) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < n_f; ++i) w[i] = (int8_t)rnd(-128, 127);
        for (int32_t c = 0; c < g[3]; ++c) {
            bias[c] = rnd(-30000, 30000);
            mult[c] = rnd((1 << 30) + 1, 0x7fffffff);
            shift[c] = rnd(-14, -1);
            if (g[15] == 1) { shift[c] = rnd(-31, 2); }           /* left shifts, huge right shifts */
            if (g[15] == 2) { mult[c] = rnd(1 << 20, 1 << 30); }  /* multipliers the fast form does not take */
            if (g[15] == 3) { bias[c] = rnd(-2000000000, 2000000000); }
        }
        te_dw_conv_params p = {rnd(-127, 128), rnd(-128, 127), {g[6], g[7]}, {g[8], g[9]}, {g[10], g[11]}, 1,
                               {rnd(-128, -60), rnd(40, 127)}};
        if (g[14]) { p.activation.min = -128; p.activation.max = 127; }
        te_per_channel_quant q = {mult, shift};
        const int32_t *bp = (k & 1) ? bias : NULL;
        naive(g, &p, mult, shift, x, w, bp, ref);
        /* out-of-place, with its DSP scratch */
        int32_t ns = te_depthwise_conv2d_s8_get_buffer_size(&in, &f, &out);
        uint32_t *scr = malloc((size_t)(ns > 0 ? ns : 4));
        memset(y, 0x5a, n_out);
        te_status s1 = te_depthwise_conv2d_s8((te_context){scr, ns}, &p, &q, &in, x, &f, w, bp, &out, y);
        if (s1 != TE_OK || memcmp(ref, y, n_out) != 0) { printf("config %u: out-of-place differs (%d)\n", (unsigned)k, (int)s1); bad++; }
        /* in place */
        const int32_t need = te_depthwise_conv2d_inplace_s8_get_buffer_size(&p, &in, &f, &out);
        printf("scratch %u %d\n", (unsigned)k, (int)need);
        int8_t *chan = malloc((size_t)need + 1);
        memcpy(buf, x, n_in);
        te_status s2 = te_depthwise_conv2d_inplace_s8((te_context){chan + (k & 2 ? 1 : 0), need}, &p, &q, &in, buf, &f, w, bp, &out);
        if (s2 != TE_OK || memcmp(ref, buf, n_out) != 0) { printf("config %u: in-place differs (%d)\n", (unsigned)k, (int)s2); bad++; }
        if (te_depthwise_conv2d_inplace_s8((te_context){chan, need - 1}, &p, &q, &in, buf, &f, w, bp, &out) != TE_ERR_BUFFER) {
            printf("config %u: short scratch accepted\n", (unsigned)k); bad++;
        }
        free(x); free(buf); free(ref); free(y); free(w); free(bias); free(mult); free(shift); free(chan); free(scr);
    }
    printf("%d bad of %u\n", bad, (unsigned)(sizeof cfg / sizeof cfg[0]));
    return bad != 0;
}
"""


def _out(size: int, k: int, s: int, d: int, p: int) -> int:
    return (size + 2 * p - ((k - 1) * d + 1)) // s + 1


@st.composite
def configs(draw):
    n = draw(st.sampled_from([1, 1, 1, 2]))
    h, w = draw(st.integers(1, 40), label="h"), draw(st.integers(1, 40), label="w")
    c = draw(st.integers(1, 11), label="c")
    kh = draw(st.sampled_from([1, 2, 3, 3, 3, 5, 5, 7, 8]), label="kh")
    kw = kh if draw(st.booleans()) else draw(st.sampled_from([1, 3, 4, 5, 7]), label="kw")
    sh, sw = draw(st.sampled_from([1, 1, 2, 2, 3])), draw(st.sampled_from([1, 1, 2, 2, 3]))
    dh, dw = (1, 1) if draw(st.integers(0, 5)) else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    ph, pw = draw(st.integers(0, kh // 2 + 1)), draw(st.integers(0, kw // 2 + 1))
    oh, ow = _out(h, kh, sh, dh, ph), _out(w, kw, sw, dw, pw)
    if oh < 1 or ow < 1 or oh * ow > h * w:
        oh, ow, ph, pw, sh, sw, dh, dw, kh, kw = h, w, 0, 0, 1, 1, 1, 1, 1, 1
    full = draw(st.integers(0, 1))
    qk = draw(st.sampled_from([0, 0, 0, 1, 2, 3]))
    return [n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, full, qk]


def _run(tmp_path, cfgs, dsp: bool) -> str:
    src = tmp_path / "t.c"
    src.write_text(HARNESS.replace("%CONFIGS%", ",\n".join("{" + ", ".join(map(str, c)) + "}" for c in cfgs)))
    libs = [str(TE / "src/convolution/te_depthwise_conv2d_s8.c"),
            str(TE / "src/convolution/te_depthwise_conv2d_inplace_s8.c")]
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
                    *(["-DTE_EMULATE_DSP"] if dsp else []),
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-I", str(TE / "include"),
                    "-I", str(TE / "src"), str(src), *libs, "-o", str(exe)], check=True, capture_output=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"0 bad of {len(cfgs)}" in r.stdout
    return r.stdout


FIXED = [
    # mcunet-like layers: 3x3 s1/s2, 5x5, 7x7, SAME padding, one or both paths
    [1, 48, 48, 8, 3, 3, 1, 1, 1, 1, 1, 1, 48, 48, 1, 0],
    [1, 48, 48, 8, 3, 3, 2, 2, 0, 0, 1, 1, 24, 24, 0, 0],
    [1, 24, 24, 5, 3, 3, 2, 2, 1, 1, 1, 1, 12, 12, 1, 0],
    [1, 24, 24, 7, 5, 5, 1, 1, 2, 2, 1, 1, 24, 24, 1, 0],
    [1, 23, 21, 9, 5, 5, 2, 2, 2, 2, 1, 1, 12, 11, 0, 0],
    [2, 20, 20, 3, 7, 7, 1, 1, 3, 3, 1, 1, 20, 20, 1, 0],
    [1, 30, 30, 4, 7, 7, 2, 2, 3, 3, 1, 1, 15, 15, 0, 0],
    [2, 17, 33, 6, 3, 3, 1, 2, 1, 1, 1, 1, 17, 17, 1, 1],
    [1, 40, 40, 3, 3, 3, 1, 1, 1, 1, 1, 1, 40, 40, 1, 2],
    [1, 40, 40, 3, 5, 5, 1, 1, 2, 2, 1, 1, 40, 40, 0, 3],
]


@pytest.mark.parametrize("dsp", [False, True], ids=["portable", "dsp_emulated"])
def test_fixed_layers(tmp_path, dsp):
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    _run(tmp_path, FIXED, dsp)


@settings(deadline=None, max_examples=3, derandomize=True)
@given(st.lists(configs(), min_size=60, max_size=60), st.booleans())
def test_random_shapes(tmp_path_factory, cfgs, dsp):
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    from mcuflow.planner.inplace_dw import inplace_scratch_bytes

    out = _run(tmp_path_factory.mktemp("dw"), cfgs, dsp)
    sizes = {int(a): int(b) for _, a, b in (line.split() for line in out.splitlines() if line.startswith("scratch"))}
    for k, g in enumerate(cfgs):
        n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = g[:14]
        assert sizes[k] == inplace_scratch_bytes(n, h, w, oh, ow, kh, kw, sh, sw, ph, dh, dw), g
