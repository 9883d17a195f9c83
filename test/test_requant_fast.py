"""The hoisted / one-sum requantizations of the MAC kernels equal te_requantize bit for bit.

te_chq_rq (per-channel constants hoisted out of pixel loops, both roundings
folded into one 64-bit multiply-accumulate) and te_requantize_fast are
compared with te_requantize (the C twin of TF Lite's
MultiplyByQuantizedMultiplier) on every shift in [-31, 31], TF Lite-style
multipliers in (2^30, 2^31) plus edge multipliers (2^30, 0, INT32_MIN,
negative), edge and random int32 accumulators and biases: 50 million
comparisons each, under ASan/UBSan.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TE = Path(__file__).resolve().parents[1] / "lib" / "TinyEngine"

HARNESS = r"""#include <stdio.h>
#include "convolution/te_mac_dsp.h"
static uint64_t st = 88172645463325252ull;
static uint32_t rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return (uint32_t)st; }
int main(void)
{
    static const int32_t edges[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 1 << 30, -(1 << 30), 12345, -12345};
    long bad = 0, n = 0, modes[3] = {0, 0, 0};
    for (int32_t shift = -31; shift <= 31; ++shift) {
        for (int mi = 0; mi < 400; ++mi) {
            int32_t m;
            switch (mi) {
            case 0: m = 1 << 30; break; case 1: m = (1 << 30) + 1; break; case 2: m = INT32_MAX; break;
            case 3: m = 0; break; case 4: m = INT32_MIN; break; case 5: m = -5; break;
            default: m = (int32_t)((1u << 30) | (rnd() & 0x3fffffffu)); if (mi % 17 == 0) m = (int32_t)rnd();
            }
            int32_t bias_v = (int32_t)rnd() >> (rnd() % 32);
            te_per_channel_quant pq = {&m, &shift};
            te_chq q = te_chq_of(&bias_v, &pq, 0);
            modes[q.mode]++;
            for (int k = 0; k < 2000; ++k) {
                int32_t x = k < 13 ? edges[k] : (int32_t)rnd() >> (rnd() % 32);
                int32_t want = te_requantize((int32_t)((uint32_t)x + (uint32_t)bias_v), m, shift);
                int32_t got = te_chq_rq(x, q);
                int32_t got2 = te_requantize_fast((int32_t)((uint32_t)x + (uint32_t)bias_v), m, shift);
                if (got2 != want) { if (bad < 10) printf("fast x=%d m=%d shift=%d want %d got %d\n", x, m, shift, want, got2); bad++; }
                n++;
                if (want != got) { if (bad < 10) printf("x=%d m=%d shift=%d want %d got %d\n", x, m, shift, want, got); bad++; }
            }
        }
    }
    printf("%ld bad of %ld (modes %ld %ld %ld)\n", bad, n, modes[0], modes[1], modes[2]);
    return bad != 0;
}
"""


def test_fast_requantization_equals_te_requantize(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    src = tmp_path / "t.c"
    src.write_text(HARNESS)
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-I", str(TE / "include"),
                    "-I", str(TE / "src"), str(src), "-o", str(exe)], check=True, capture_output=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("0 bad of 50400000"), r.stdout


RQF_HARNESS = r"""#include <stdio.h>
#include "convolution/te_mac_dsp.h"
static uint64_t st = 88172645463325252ull;
static uint32_t rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return (uint32_t)st; }
int main(void)
{
    static const int32_t edges[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 1 << 30, -(1 << 30), 12345, -12345};
    static const int32_t offs[] = {-128, -127, -1, 0, 1, 5, 127};
    long bad = 0, n = 0;
    for (int32_t shift = -23; shift <= -2; ++shift) {
        for (int mi = 0; mi < 300; ++mi) {
            int32_t m = mi == 0 ? (1 << 30) + 1 : mi == 1 ? INT32_MAX : (int32_t)((1u << 30) | (rnd() & 0x3fffffffu));
            if (m == (1 << 30)) m++;
            const int32_t out_off = mi < 7 ? offs[mi] : (int32_t)(rnd() % 256) - 128;
            te_per_channel_quant pq = {&m, &shift};
            if (!te_rqf_layer_ok(&pq, 1)) { printf("layer_ok refused m=%d shift=%d\n", m, shift); return 1; }
            te_rqf q = te_rqf_of(&pq, 0, out_off);
            te_activation full = {-128, 127}, relu = {-5, 100};
            for (int k = 0; k < 3000; ++k) {
                int32_t s = k < 13 ? edges[k] : (int32_t)rnd() >> (rnd() % 32);
                int32_t r = te_requantize(s, m, shift);
                int32_t want = (int32_t)((uint32_t)r + (uint32_t)out_off);
                int32_t got = te_rqf_rq(s, q);
                int32_t wf = want < -128 ? -128 : want > 127 ? 127 : want;
                int32_t wr = want < -5 ? -5 : want > 100 ? 100 : want;
                n++;
                if (got != want || te_rqf_out(s, q, full, 1) != wf || te_rqf_out(s, q, relu, 0) != wr) {
                    if (bad < 10) printf("s=%d m=%d shift=%d off=%d want %d got %d\n", s, m, shift, out_off, want, got);
                    bad++;
                }
            }
        }
    }
    /* Outside [-23, -2] or multipliers <= 2^30: the layer keeps te_chq. */
    int32_t m = 1 << 30, sh = -5, m2 = (1 << 30) + 7, sh1 = -1, sh24 = -24, sh0 = 0;
    te_per_channel_quant a = {&m, &sh}, b = {&m2, &sh1}, c = {&m2, &sh24}, d = {&m2, &sh0};
    if (te_rqf_layer_ok(&a, 1) || te_rqf_layer_ok(&b, 1) || te_rqf_layer_ok(&c, 1) || te_rqf_layer_ok(&d, 1)) bad++;
    printf("%ld bad of %ld\n", bad, n);
    return bad != 0;
}
"""


@pytest.mark.parametrize("dsp", ["-DTE_EMULATE_DSP"])
def test_folded_requantization_equals_te_requantize(tmp_path, dsp):
    """te_rqf (the conv kernels' requantization with bias sign, rounding and output offset folded into one
    SMLAL start value) equals te_requantize + output offset, clamped, for every shift it accepts."""
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    src = tmp_path / "t.c"
    src.write_text(RQF_HARNESS)
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", dsp,
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-I", str(TE / "include"),
                    "-I", str(TE / "src"), str(src), "-o", str(exe)], check=True, capture_output=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("0 bad of 19800000"), r.stdout
