"""In-place depthwise convolution: C kernel equals the out-of-place kernel; whole graphs stay bit-exact."""

from __future__ import annotations

import random
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

static uint32_t rng = 12345u;
static int32_t rnd(int32_t lo, int32_t hi) { rng = rng * 1664525u + 1013904223u; return lo + (int32_t)((rng >> 8) % (uint32_t)(hi - lo + 1)); }

/* n h w c kh kw sh sw ph pw dh dw oh ow */
static const int32_t cfg[][14] = {
%CONFIGS%
};

int main(void)
{
    int bad = 0;
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; ++k) {
        const int32_t *g = cfg[k];
        te_dims in = {g[0], g[1], g[2], g[3]}, f = {1, g[4], g[5], g[3]}, out = {g[0], g[12], g[13], g[3]};
        size_t n_in = (size_t)g[0] * g[1] * g[2] * g[3], n_out = (size_t)g[0] * g[12] * g[13] * g[3];
        size_t n_f = (size_t)g[4] * g[5] * g[3];
        int8_t *x = malloc(n_in), *buf = malloc(n_in), *ref = malloc(n_out), *w = malloc(n_f);
        int32_t *bias = malloc(sizeof(int32_t) * g[3]), *mult = malloc(sizeof(int32_t) * g[3]), *shift = malloc(sizeof(int32_t) * g[3]);
        for (size_t i = 0; i < n_in; ++i) x[i] = (int8_t)rnd(-128, 127);
        for (size_t i = 0; i < n_f; ++i) w[i] = (int8_t)rnd(-127, 127);
        for (int32_t c = 0; c < g[3]; ++c) { bias[c] = rnd(-5000, 5000); mult[c] = rnd(1 << 30, 0x7fffffff); shift[c] = rnd(-12, 0); }
        te_dw_conv_params p = {rnd(-127, 128), rnd(-128, 127), {g[6], g[7]}, {g[8], g[9]}, {g[10], g[11]}, 1,
                               {rnd(-128, -100), rnd(100, 127)}};
        if (k % 3 == 0) { p.activation.min = -128; p.activation.max = 127; }
        const int32_t need = te_depthwise_conv2d_inplace_s8_get_buffer_size(&p, &in, &f, &out);
        int8_t *chan = malloc((size_t)need);
        te_per_channel_quant q = {mult, shift};
        memcpy(buf, x, n_in);
        te_status s1 = te_depthwise_conv2d_s8((te_context){NULL, 0}, &p, &q, &in, x, &f, w, (k & 1) ? bias : NULL, &out, ref);
        te_status s2 = te_depthwise_conv2d_inplace_s8((te_context){chan, need},
                                                      &p, &q, &in, buf, &f, w, (k & 1) ? bias : NULL, &out);
        if (s1 != TE_OK || s2 != TE_OK || memcmp(ref, buf, n_out) != 0) {
            printf("config %u differs (status %d %d)\n", (unsigned)k, (int)s1, (int)s2);
            bad++;
        }
        /* a scratch one byte short is refused, not overrun */
        if (te_depthwise_conv2d_inplace_s8((te_context){chan, need - 1},
                                           &p, &q, &in, buf, &f, w, NULL, &out) != TE_ERR_BUFFER) bad++;
        free(x); free(buf); free(ref); free(w); free(bias); free(mult); free(shift); free(chan);
    }
    printf("%d bad of %u\n", bad, (unsigned)(sizeof cfg / sizeof cfg[0]));
    return bad != 0;
}
"""


def _configs(n: int, seed: int = 0) -> list[list[int]]:
    r = random.Random(seed)
    out = []
    while len(out) < n:
        b, h, w, c = r.choice([1, 1, 1, 2]), r.randint(1, 12), r.randint(1, 12), r.randint(1, 9)
        kh, kw = r.choice([1, 3, 5, 7]), r.choice([1, 3, 5, 7])
        sh, sw, dh, dw = r.randint(1, 3), r.randint(1, 3), r.choice([1, 1, 2]), r.choice([1, 1, 2])
        ph, pw = r.randint(0, kh // 2 + 1), r.randint(0, kw // 2 + 1)
        # output size for a padded input of h + 2 * ph (kernel skips out-of-image taps)
        oh = (h + 2 * ph - ((kh - 1) * dh + 1)) // sh + 1
        ow = (w + 2 * pw - ((kw - 1) * dw + 1)) // sw + 1
        if oh < 1 or ow < 1 or oh * ow > h * w:
            continue
        out.append([b, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow])
    return out


@pytest.mark.parametrize("dsp", [False, True], ids=["portable", "dsp_emulated"])
def test_inplace_kernel_equals_out_of_place_kernel(tmp_path, dsp):
    """300 random shapes/strides/paddings/dilations under ASan/UBSan: same bytes as te_depthwise_conv2d_s8."""
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    cfgs = _configs(300, seed=1 if dsp else 0)
    src = tmp_path / "t.c"
    src.write_text(HARNESS.replace("%CONFIGS%", ",\n".join("{" + ", ".join(map(str, c)) + "}" for c in cfgs)))
    libs = [str(p) for p in [TE / "src/convolution/te_depthwise_conv2d_s8.c",
                             TE / "src/convolution/te_depthwise_conv2d_inplace_s8.c"]]
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", *(["-DTE_EMULATE_DSP"] if dsp else []),
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-I", str(TE / "include"),
                    "-I", str(TE / "src"), str(src), *libs, "-o", str(exe)], check=True, capture_output=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 bad of 300" in r.stdout


@settings(deadline=None, max_examples=3)
@given(st.data())
def test_inplace_depthwise_graphs_are_bit_exact_with_tflm(data):
    """PAD + VALID depthwise (folded), SAME/VALID depthwise chains, forced in place: C == reference == TFLM."""
    from mcuflow.codegen import compile_model
    from mcuflow.factory.qnet import QNet
    from mcuflow.verify.host import verify_graph

    h = data.draw(st.integers(4, 14), label="h")
    w = data.draw(st.integers(4, 14), label="w")
    c = data.draw(st.integers(1, 12), label="c")
    n = QNet("dw_chain", seed=data.draw(st.integers(0, 1000), label="seed"))
    y = n.input((1, h, w, c))
    y = n.conv(y, c, 1, act="RELU")
    for _ in range(2):
        k = data.draw(st.sampled_from([3, 5]), label="k")
        s = data.draw(st.sampled_from([1, 2]), label="stride")
        act = data.draw(st.sampled_from(["NONE", "RELU", "RELU6"]), label="act")
        if s == 2 and data.draw(st.booleans(), label="explicit pad") and n.shape(y)[1] % 2 == 0 \
                and n.shape(y)[2] % 2 == 0:
            y = n.pad(y, [[0, 0], [k // 2 - 1, k // 2], [k // 2 - 1, k // 2], [0, 0]])
            y = n.dwconv(y, k, 2, padding="VALID", act=act)
        else:
            y = n.dwconv(y, k, s, padding=data.draw(st.sampled_from(["SAME", "VALID"]), label="padding")
                         if min(n.shape(y)[1:3]) >= k else "SAME", act=act)
    y = n.conv(y, 4, 1)
    n.output(y)
    g = n.to_graph()
    gen = compile_model(g, strategy="inplace")
    assert "te_depthwise_conv2d_inplace_s8" in gen.files["model.c"]
    verify_graph(g, n_inputs=2, strategy="inplace")


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["mcuflow", "inplace"])
@pytest.mark.parametrize("name", ["mobilenetv1_025_vww", "mcunet_like", "mcunet_det", "mobilenetv2_176"])
def test_factory_models_bit_exact_with_each_strategy(name, strategy):
    from mcuflow.factory import build
    from mcuflow.verify.host import verify_model

    verify_model(build(name), n_inputs=2, strategy=strategy)


def test_generated_code_runs_in_the_plans_order():
    """A different topological order (branches of mcunet_det swapped) is what the C runs, bit-exact."""
    from mcuflow.codegen import compile_model
    from mcuflow.factory import build
    from mcuflow.planner import plan_memory
    from mcuflow.planner.strategies import memory_greedy_order
    from mcuflow.verify.host import verify_model

    g = build("mcunet_det")
    order = memory_greedy_order(g)
    assert order != [op.index for op in g.ops]
    plan = plan_memory(g, order=order)
    gen = compile_model(g, plan=plan)
    assert [op for op, *_ in gen.trace] == [i for i in order for _ in g.ops[i].outputs]
    verify_model(g, n_inputs=1, plan=plan)
