"""DSP (Armv7E-M SIMD) paths of lib/TinyEngine: bit-exact on the host and on emulated boards.

On the host the paths are compiled with ``-DTE_EMULATE_DSP`` (te_dsp.h's C
twins of SXTB16/SXTAB16/SMLAD/SMLABB/SMLATT) under ASan/UBSan and compared op
by op with the NumPy reference and TF Lite Micro. On the emulated Cortex-M4/M7
boards the real instructions run (slow tests). Also: the pointwise kernel's
overlap promise (TE_POINTWISE_PIXELS_IN_FLIGHT) both paths keep.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_op_conv import SETTINGS, _conv, _q, build, conv_cfgs, fc_cfgs, quants, verify_random_on_board

from mcuflow.factory import build as factory_build
from mcuflow.verify.host import WARN, cache_dir, tinyengine_archive, verify_graph, verify_model

FAST_MODELS = ["resnet8", "dscnn_kws", "mcunet_like", "fc_autoencoder"]
ALL_MODELS = FAST_MODELS + ["mobilenetv1_025_vww", "mobilenetv2_176", "mcunet_det"]


@pytest.mark.parametrize("name", FAST_MODELS)
def test_factory_model_dsp_emulated(name):
    r = verify_model(factory_build(name), n_inputs=2, dsp_emulation=True)
    assert r.compared_tensors > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_MODELS)
def test_factory_model_dsp_emulated_all(name):
    verify_model(factory_build(name), n_inputs=3, seed=1, dsp_emulation=True)


# Channel counts of 4+ reach the SIMD bodies (4 int8 per word, 4-channel depthwise groups); the tails
# (odd channels, K % 4) run too.
@settings(max_examples=12, **SETTINGS)
@given(st.lists(st.one_of(conv_cfgs("CONV_2D"), conv_cfgs("DEPTHWISE_CONV_2D"), fc_cfgs()), min_size=8, max_size=16))
def test_random_mac_ops_dsp_emulated(cfgs):
    verify_graph(build(cfgs, "dsp_mac"), n_inputs=2, seed=len(cfgs), dsp_emulation=True)


@pytest.mark.slow
@settings(max_examples=150, **SETTINGS)
@given(st.lists(st.one_of(conv_cfgs("CONV_2D"), conv_cfgs("DEPTHWISE_CONV_2D"), fc_cfgs()), min_size=8, max_size=20))
def test_random_mac_ops_dsp_emulated_slow(cfgs):
    verify_graph(build(cfgs, "dsp_mac"), n_inputs=2, seed=len(cfgs), dsp_emulation=True)


# --- the pointwise overlap promise ------------------------------------------------------------------------

HARNESS = r"""
#include <string.h>
#include "tinyengine.h"
/* Pointwise conv with the output placed `dist` bytes below the input in one buffer (dist may be 0). */
int pw(int8_t *buf, int32_t in_at, int32_t out_at, int32_t n_pix, int32_t in_c, int32_t out_c,
       const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t in_off,
       int32_t out_off, int8_t *scratch, int32_t scratch_size)
{
    te_conv_params p = {in_off, out_off, {1, 1}, {0, 0}, {1, 1}, {-128, 127}};
    te_per_channel_quant q = {mult, shift};
    te_dims id = {1, 1, n_pix, in_c}, fd = {out_c, 1, 1, in_c}, od = {1, 1, n_pix, out_c};
    te_context ctx = {scratch, scratch_size};
    return (int)te_conv2d_s8(ctx, &p, &q, &id, buf + in_at, &fd, w, bias, &od, buf + out_at);
}
/* pw with a clamp other than int8's whole range. */
int pw_act(int8_t *buf, int32_t in_at, int32_t out_at, int32_t n_pix, int32_t in_c, int32_t out_c,
           const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t in_off,
           int32_t out_off, int32_t act_min, int32_t act_max, int8_t *scratch, int32_t scratch_size)
{
    te_conv_params p = {in_off, out_off, {1, 1}, {0, 0}, {1, 1}, {act_min, act_max}};
    te_per_channel_quant q = {mult, shift};
    te_dims id = {1, 1, n_pix, in_c}, fd = {out_c, 1, 1, in_c}, od = {1, 1, n_pix, out_c};
    te_context ctx = {scratch, scratch_size};
    return (int)te_conv2d_s8(ctx, &p, &q, &id, buf + in_at, &fd, w, bias, &od, buf + out_at);
}
int pw_scratch(int32_t n_pix, int32_t in_c, int32_t out_c)
{
    te_dims id = {1, 1, n_pix, in_c}, fd = {out_c, 1, 1, in_c}, od = {1, 1, n_pix, out_c};
    return te_conv2d_s8_get_buffer_size(&id, &fd, &od);
}
int pixels_in_flight(void) { return TE_POINTWISE_PIXELS_IN_FLIGHT; }
"""


def _pw_lib(dsp: bool) -> ctypes.CDLL:
    flags = WARN + ["-O1", "-g", "-fPIC"] + (["-DTE_EMULATE_DSP"] if dsp else [])
    lib = tinyengine_archive(flags)
    root = Path(__file__).resolve().parents[1] / "lib" / "TinyEngine"
    tag = hashlib.sha256(HARNESS.encode()).hexdigest()[:8]
    out = cache_dir() / f"pw_overlap_{'dsp' if dsp else 'portable'}_{lib.stem}_{tag}.so"
    if not out.exists():
        src = cache_dir() / f"pw_overlap_{lib.stem}.{os.getpid()}.c"
        src.write_text(HARNESS)
        # Built under a name of this process's own, then renamed: parallel test workers may build it at once.
        tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        subprocess.run(["gcc", *flags, "-shared", "-I", str(root / "include"), str(src), str(lib), "-o", str(tmp)],
                       check=True, capture_output=True)
        os.replace(tmp, out)
    return ctypes.CDLL(str(out))


def _min_distance(n_pix: int, in_c: int, out_c: int, group: int) -> int:
    """Least d (output starts d bytes below the input) that the promise makes safe: a group's outputs
    may not reach input pixels of any later group."""
    d = 0
    for g0 in range(0, n_pix, group):
        end = min(g0 + group, n_pix)
        if end < n_pix:
            d = max(d, end * out_c - end * in_c)
    return d


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("dsp", [False, True])
@settings(max_examples=40, deadline=None)
@given(n_pix=st.integers(1, 9), in_c=st.integers(1, 12), out_c=st.integers(1, 12), extra=st.integers(0, 3),
       seed=st.integers(0, 2**31 - 1))
def test_pointwise_overlap_promise(dsp, n_pix, in_c, out_c, extra, seed):
    lib = _pw_lib(dsp)
    assert lib.pixels_in_flight() == 2
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, n_pix * in_c).astype(np.int8)
    w = rng.integers(-127, 128, out_c * in_c).astype(np.int8)
    bias = rng.integers(-5000, 5000, out_c).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, out_c).astype(np.int32)
    shift = rng.integers(-10, -5, out_c).astype(np.int32)
    need = lib.pw_scratch(n_pix, in_c, out_c)
    assert need >= 2 * in_c
    scratch = np.zeros(need, np.int8)
    P = ctypes.POINTER(ctypes.c_int8)

    def ptr(a, t=ctypes.c_int8):
        return a.ctypes.data_as(ctypes.POINTER(t))

    def run(buf, in_at, out_at):
        st_ = lib.pw(ptr(buf), in_at, out_at, n_pix, in_c, out_c, ptr(w), ptr(bias, ctypes.c_int32),
                     ptr(mult, ctypes.c_int32), ptr(shift, ctypes.c_int32), 7, -3, ptr(scratch), need)
        assert st_ == 0

    # Apart: the expected output.
    size = n_pix * (in_c + out_c)
    sep = np.zeros(size, np.int8)
    sep[: n_pix * in_c] = x
    run(sep, 0, n_pix * in_c)
    want = sep[n_pix * in_c:].copy()
    # Overlapping at the least distance the promise allows (plus a little).
    d = _min_distance(n_pix, in_c, out_c, 2) + extra
    base = d
    buf = np.zeros(base + max(n_pix * in_c, n_pix * out_c) + 16, np.int8)
    buf[base: base + n_pix * in_c] = x
    run(buf, base, base - d)
    got = buf[base - d: base - d + n_pix * out_c]
    assert got.tobytes() == want.tobytes()
    del P


# --- emulated boards: the real instructions -------------------------------------------------------------

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and arm-none-eabi-gcc")


@needs_qemu
@pytest.mark.parametrize("board", ["mps2_an500"])
def test_profile_dscnn_on_m7(board):
    from mcuflow.device.profile import format_profile, profile_model

    p = profile_model(factory_build("dscnn_kws"), board, name="dscnn_kws")
    assert p.matches_reference
    assert p.portable_instructions and p.instructions < p.portable_instructions
    assert sum(r.instructions for r in p.layers) <= p.instructions
    assert "per MAC" in format_profile(p)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an500", "netduinoplus2"])
@pytest.mark.parametrize("name", ["resnet8", "dscnn_kws", "mcunet_like", "mobilenetv1_025_vww"])
def test_factory_models_bit_exact_on_boards(board, name):
    from mcuflow.device.harness import verify_on_board

    try:
        r = verify_on_board(factory_build(name), board, n_inputs=2)
    except Exception as e:
        if "does not fit" in str(e):
            pytest.skip(str(e)[:200])
        raise
    assert r["bit_exact"]


# --- the pointwise / small-row conv assembly ---------------------------------------------------------------
# te_conv2d_s8.c's pixel-pair loops are Thumb-2 assembly on optimised Arm builds: the host (TE_EMULATE_DSP)
# runs their C twin, so only a board runs the instructions themselves. The drawn shapes aim at what the
# kernels specialise on: 1x1 rows of 8..48 bytes (unrolled), other multiples of 8 (short loops), odd
# lengths, out_c = in_c (the copy path), odd output channels, 1..3-pixel maps; and small-row general convs
# (3x3 stride 2 over 1..8 channels: rows of 9..72 bytes, the first layer of vision models).


@st.composite
def asm_conv_cfgs(draw):
    q = draw(quants)
    if draw(st.booleans()):
        cin = draw(st.one_of(st.integers(8, 48), st.sampled_from([56, 64, 96, 160]), st.integers(1, 200)))
        cout = draw(st.one_of(st.just(cin), st.integers(1, 40)))
        h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        return _conv(h=h, w=w, cin=cin, cout=cout, kh=1, kw=1, padding="VALID", q=q)
    cin = draw(st.integers(1, 8))
    h, w = draw(st.integers(3, 24)), draw(st.integers(3, 24))
    return _conv(h=h, w=w, cin=cin, cout=draw(st.integers(1, 24)), sh=2, sw=2,
                 padding=draw(st.sampled_from(["SAME", "VALID"])), q=q)


@settings(max_examples=6, **SETTINGS)
@given(st.lists(asm_conv_cfgs(), min_size=6, max_size=12))
def test_random_pointwise_and_small_row_convs_dsp_emulated(cfgs):
    verify_graph(build(cfgs, "dsp_pw"), n_inputs=2, seed=len(cfgs), dsp_emulation=True)


#: one of each specialisation, with each activation: a fixed graph for the default run's board check
ASM_SHAPES = [
    _conv(h=12, w=10, cin=8, cout=32, kh=1, kw=1, padding="VALID", q=_q(act="RELU6", seed=2)),
    _conv(h=9, w=9, cin=16, cout=8, kh=1, kw=1, padding="VALID", q=_q(seed=3)),
    _conv(h=10, w=7, cin=24, cout=7, kh=1, kw=1, padding="VALID", q=_q(act="RELU", seed=4)),
    _conv(h=6, w=7, cin=48, cout=48, kh=1, kw=1, padding="VALID", q=_q(seed=5)),
    _conv(h=8, w=5, cin=64, cout=13, kh=1, kw=1, padding="VALID", q=_q(act="RELU6", seed=6)),
    _conv(h=1, w=1, cin=40, cout=16, kh=1, kw=1, padding="VALID", q=_q(seed=7)),
    _conv(h=7, w=7, cin=13, cout=5, kh=1, kw=1, padding="VALID", q=_q(seed=8)),
    _conv(h=24, w=24, cin=3, cout=16, sh=2, sw=2, padding="SAME", q=_q(act="RELU6", seed=9)),
    _conv(h=15, w=17, cin=1, cout=8, sh=2, sw=2, padding="VALID", q=_q(seed=10)),
]


@needs_qemu
def test_pointwise_and_small_row_conv_assembly_on_m7():
    from mcuflow.device.harness import verify_on_board

    assert verify_on_board(build(ASM_SHAPES, "asm_fixed"), "mps2_an500", n_inputs=2)["bit_exact"]


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["mps2_an500", "mps2_an386"])
@settings(max_examples=5, **SETTINGS)
@given(cfgs=st.lists(asm_conv_cfgs(), min_size=4, max_size=10))
def test_random_pointwise_and_small_row_convs_on_boards(board, cfgs):
    verify_random_on_board(build(cfgs, "asm_random"), board, seed=len(cfgs))
