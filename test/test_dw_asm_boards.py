"""The depthwise assembly (te_dw_rows.h) on emulated boards, where it runs.

On optimised Arm builds the 3x3 ring sums, the unrolled small-map plane
rows and the four-output requantization are Thumb-2 assembly; the host
(TE_EMULATE_DSP, test_dw_inplace_fast.py) runs their C twins. So a fixed
graph of every specialisation runs on the emulated Cortex-M7 in the default
run, and random depthwise layers aimed at them on the M7 and M4 in the slow
run: plane rows of 1..6 output pairs at either stride, odd
widths, unequal strides, maps just past the plane's limits, rings on the
stack, in the output's tail and beyond a 64-output chunk, 5x5 and 7x7
filters, each activation (the clamped requantization).
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_op_conv import SETTINGS, _conv, _q, build, quants, verify_random_on_board

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and arm-none-eabi-gcc")


def _dw(h, w, cin, k=3, s=(1, 1), padding="SAME", act="NONE", seed=1):
    return _conv("DEPTHWISE_CONV_2D", h=h, w=w, cin=cin, kh=k, kw=k, sh=s[0], sw=s[1], padding=padding,
                 q=_q(act=act, seed=seed))


DW_SHAPES = [
    # the plane (26-column rows), stride 1: 1..6 pairs a row, odd and even
    # widths, stride 2 down the rows
    _dw(6, 6, 8, seed=2),
    _dw(5, 5, 5, act="RELU6", seed=3),
    _dw(12, 12, 4, seed=4),
    _dw(4, 11, 6, act="RELU", seed=5),
    _dw(8, 3, 4, seed=6),
    _dw(16, 2, 4, seed=7),
    _dw(25, 5, 4, seed=23),
    _dw(13, 7, 4, s=(2, 1), seed=8),
    _dw(3, 3, 8, seed=28),
    _dw(2, 2, 4, act="RELU6", seed=29),
    # the plane, stride 2: 1..6 pairs
    _dw(12, 12, 8, s=(2, 2), seed=9),
    _dw(9, 9, 4, s=(2, 2), padding="VALID", seed=10),
    _dw(8, 2, 4, s=(2, 2), seed=11),
    _dw(5, 13, 4, s=(2, 2), seed=14),
    _dw(17, 17, 8, s=(2, 2), padding="VALID", seed=19),
    _dw(10, 20, 4, s=(2, 2), seed=25),
    _dw(24, 24, 4, s=(2, 2), seed=30),
    # past the plane: four-channel loops, the rings
    _dw(6, 6, 4, s=(2, 2), seed=13),
    _dw(30, 2, 4, seed=12),
    _dw(30, 4, 4, seed=26),
    _dw(8, 20, 4, seed=24),
    _dw(24, 24, 8, act="RELU6", seed=15),
    _dw(20, 40, 4, s=(2, 2), seed=16),
    _dw(6, 100, 4, seed=17),
    _dw(4, 150, 4, seed=18),
    _dw(33, 33, 8, s=(2, 2), padding="VALID", seed=27),
    # wider filters
    _dw(12, 12, 8, k=5, seed=20),
    _dw(24, 24, 8, k=5, s=(2, 2), act="RELU", seed=21),
    _dw(10, 10, 4, k=7, seed=22),
]


@needs_qemu
def test_depthwise_assembly_on_m7():
    from mcuflow.device.harness import verify_on_board

    assert verify_on_board(build(DW_SHAPES, "dw_asm_fixed"), "mps2_an500", n_inputs=2)["bit_exact"]


@st.composite
def dw_asm_cfgs(draw):
    k = draw(st.sampled_from([3, 3, 3, 5, 7]))
    s = draw(st.sampled_from([(1, 1), (1, 1), (2, 2), (2, 1), (1, 2)]))
    if draw(st.booleans()):
        h, w = draw(st.integers(1, 30)), draw(st.integers(1, 24))  # the plane and its edges
    else:
        h, w = draw(st.integers(8, 40)), draw(st.integers(8, 140))  # the rings
    padding = "SAME" if h < k or w < k else draw(st.sampled_from(["SAME", "VALID"]))
    return _conv("DEPTHWISE_CONV_2D", h=h, w=w, cin=draw(st.integers(1, 12)), kh=k, kw=k, sh=s[0], sw=s[1],
                 padding=padding, q=draw(quants))


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["mps2_an500", "mps2_an386"])
@settings(max_examples=5, **SETTINGS)
@given(cfgs=st.lists(dw_asm_cfgs(), min_size=4, max_size=10))
def test_random_depthwise_on_boards(board, cfgs):
    verify_random_on_board(build(cfgs, "dw_asm_random"), board, seed=len(cfgs))
