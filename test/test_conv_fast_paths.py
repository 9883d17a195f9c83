"""The fast paths of te_conv2d_s8's DSP build (and the portable build on the same cases).

- Pointwise layers whose output overlaps the input go through free runs
  (te_pw_free_end: pixels whose outputs miss every input byte still to be
  read, channel pairs outside) and pixel pairs through the scratch copy in
  between. Here: the planner's expand (input at the tail of the output) and
  project (output at the head of the input) layouts at the least distance
  the promise allows and a little more, with the channel counts that have
  constant-length rows (8..48) and odd ones, against separate buffers.
- Shifts outside the folded requantization's range (the te_chq fallback)
  on the same layouts.
"""

from __future__ import annotations

import ctypes
import shutil

import numpy as np
import pytest
from test_dsp import _min_distance, _pw_lib

from mcuflow.quant import multiply_by_quantized_multiplier

CASES = [
    # n_pix, in_c, out_c
    (64, 8, 32),
    (50, 16, 48),
    (37, 24, 72),
    (40, 32, 16),
    (33, 48, 16),
    (45, 40, 160),
    (30, 64, 24),
    (21, 5, 7),
    (26, 3, 9),
    (19, 27, 6),
]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("dsp", [False, True])
@pytest.mark.parametrize("n_pix,in_c,out_c", CASES)
@pytest.mark.parametrize("shifts", ["folded", "wide"])
def test_pointwise_overlap_layouts(dsp, n_pix, in_c, out_c, shifts):
    lib = _pw_lib(dsp)
    rng = np.random.default_rng(n_pix * 1000 + in_c * 10 + out_c)
    x = rng.integers(-128, 128, n_pix * in_c).astype(np.int8)
    w = rng.integers(-127, 128, out_c * in_c).astype(np.int8)
    bias = rng.integers(-20000, 20000, out_c).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, out_c).astype(np.int32)
    lo, hi = (-11, -5) if shifts == "folded" else (-1, 2)
    shift = rng.integers(lo, hi, out_c).astype(np.int32)
    need = lib.pw_scratch(n_pix, in_c, out_c)
    scratch = np.zeros(need, np.int8)

    def ptr(a, t=ctypes.c_int8):
        return a.ctypes.data_as(ctypes.POINTER(t))

    def run(buf, in_at, out_at):
        st = lib.pw(ptr(buf), in_at, out_at, n_pix, in_c, out_c, ptr(w), ptr(bias, ctypes.c_int32),
                    ptr(mult, ctypes.c_int32), ptr(shift, ctypes.c_int32), 7, -3, ptr(scratch), need)
        assert st == 0

    sep = np.zeros(n_pix * (in_c + out_c), np.int8)
    sep[: n_pix * in_c] = x
    run(sep, 0, n_pix * in_c)
    want = sep[n_pix * in_c:].copy()
    least = _min_distance(n_pix, in_c, out_c, 2)
    for extra in (0, 1, 3, 4 * out_c + 1):
        d = least + extra
        base = d
        buf = np.zeros(base + max(n_pix * in_c, n_pix * out_c) + 16, np.int8)
        buf[base: base + n_pix * in_c] = x
        run(buf, base, base - d)
        got = buf[base - d: base - d + n_pix * out_c]
        assert got.tobytes() == want.tobytes(), (extra, d)


# Layers of as many outputs as inputs: the code generator hands them whatever scratch the plan has free at
# their step (lower_conv.conv_spare), from the two-pixel copies up to the widened pair plus 64 copied pixels.
SAME_C = [(64, 8), (37, 8), (41, 16), (30, 32), (9, 64), (20, 12), (16, 24)]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("dsp", [False, True])
@pytest.mark.parametrize("n_pix,c", SAME_C)
@pytest.mark.parametrize("act", ["full", "relu6"])
def test_pointwise_same_channels_with_spare_scratch(dsp, n_pix, c, act):
    lib = _pw_lib(dsp)
    rng = np.random.default_rng(n_pix * 100 + c)
    x = rng.integers(-128, 128, n_pix * c).astype(np.int8)
    w = rng.integers(-127, 128, c * c).astype(np.int8)
    bias = rng.integers(-20000, 20000, c).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, c).astype(np.int32)
    shift = rng.integers(-11, -5, c).astype(np.int32)
    lo, hi = (-128, 127) if act == "full" else (-128, -128 + 48)

    def ptr(a, t=ctypes.c_int8):
        return a.ctypes.data_as(ctypes.POINTER(t))

    def run(buf, in_at, out_at, scratch, at, size):
        st = lib.pw_act(ptr(buf), in_at, out_at, n_pix, c, c, ptr(w), ptr(bias, ctypes.c_int32),
                        ptr(mult, ctypes.c_int32), ptr(shift, ctypes.c_int32), 7, -3, lo, hi,
                        ptr(scratch[at:]), size)
        assert st == 0

    least = lib.pw_scratch(n_pix, c, c)
    base = 4 * c + 68
    sep = np.zeros(n_pix * 2 * c, np.int8)
    sep[: n_pix * c] = x
    run(sep, 0, n_pix * c, np.zeros(least, np.int8), 0, least)
    want = sep[n_pix * c:].copy()
    # The bytes every build and scratch size must give: the reference's.
    acc = (x.reshape(n_pix, c).astype(np.int64) + 7) @ w.reshape(c, c).T.astype(np.int64) + bias
    ref = multiply_by_quantized_multiplier(acc, mult.astype(np.int64), shift)
    ref = np.clip(ref - 3, lo, hi).astype(np.int8).reshape(-1)
    assert want.tobytes() == ref.tobytes()
    # Scratch sizes: the copies only, the widened pair with 2 / 8 / an odd count / 64 copied pixels, and a pointer
    # off word alignment (the kernel aligns it and the room shrinks).
    for size in (least, base + 2 * c, base + 8 * c, base + 7 * c + 3, base + 64 * c):
        for at in (0, 1, 3):
            scratch = np.zeros(size + 4, np.int8)
            # Apart, fully in place, and at the planner's distance (two pixels).
            for d in (None, 0, 2 * c, 2 * c + 4):
                if d is None:
                    buf = np.zeros(n_pix * 2 * c, np.int8)
                    buf[: n_pix * c] = x
                    run(buf, 0, n_pix * c, scratch, at, size)
                    got = buf[n_pix * c:]
                else:
                    buf = np.zeros(d + n_pix * c + 16, np.int8)
                    buf[d: d + n_pix * c] = x
                    run(buf, d, 0, scratch, at, size)
                    got = buf[: n_pix * c]
                assert got.tobytes() == want.tobytes(), (size, at, d)


# --- whole layers against TF Lite Micro and the reference, DSP path emulated and portable -------------------------

def _mac_layers():
    from test_op_conv import ACTS, FcCfg, _conv, _q

    cfgs = []
    # Pointwise: the constant-length rows (8..48, offset folded into the bias), others, odd pixel and channel counts.
    for k, cin in enumerate((8, 16, 24, 32, 40, 48, 64, 13, 4)):
        act = ACTS[k % len(ACTS)]
        cfgs.append(_conv(h=5, w=5 + k % 2, cin=cin, cout=6 + k % 3, kh=1, kw=1, padding="VALID",
                          q=_q(act=act, in_zp=(37 * k) % 256 - 128, out_zp=-128 if act == "RELU6" else 9 - k, seed=k)))
    # Layers that are one pixel (squeeze-excite), 1x1 stride 2, the first layer of a vision model (3 channels,
    # 3x3, stride 2, SAME and VALID), and a left-shift layer (gain > 1: not te_rqf).
    cfgs.append(_conv(h=1, w=1, cin=16, cout=10, kh=1, kw=1, padding="VALID", q=_q(seed=20)))
    cfgs.append(_conv(h=7, w=7, cin=16, cout=9, kh=1, kw=1, sh=2, sw=2, padding="VALID", q=_q(seed=21)))
    cfgs.append(_conv(h=9, w=10, cin=3, cout=8, sh=2, sw=2, padding="SAME", q=_q(seed=22)))
    cfgs.append(_conv(h=9, w=9, cin=3, cout=7, sh=2, sw=2, padding="VALID", q=_q(seed=23, act="RELU6", out_zp=-128)))
    cfgs.append(_conv(h=6, w=6, cin=16, cout=6, q=_q(seed=24, gain_log2=-9.0)))
    # Fully connected: per channel, per tensor with a weight zero point, row tails, short rows.
    cfgs.append(FcCfg("2d", (2,), (72,), 18, 0, _q(seed=30)))
    cfgs.append(FcCfg("2d", (1,), (18,), 9, 0, _q(seed=31, act="RELU")))
    cfgs.append(FcCfg("2d", (3,), (37,), 5, 11, _q(seed=32, per_channel=False)))
    cfgs.append(FcCfg("2d", (1,), (3,), 4, -3, _q(seed=33, per_channel=False, gain_log2=-9.0)))
    return cfgs


@pytest.mark.parametrize("dsp", [False, True])
def test_fast_paths_bit_exact(dsp):
    from test_op_conv import build

    from mcuflow.verify.host import verify_graph

    verify_graph(build(_mac_layers(), "fast"), n_inputs=2, seed=5, dsp_emulation=dsp)
