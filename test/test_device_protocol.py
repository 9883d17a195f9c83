"""Framing of the device protocol: COBS, CRC, resynchronisation after damage (no QEMU needed)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcuflow.boards import BOARDS, check_fit, get_board
from mcuflow.device import protocol as P
from mcuflow.errors import DoesNotFitError


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=1200))
def test_cobs_round_trip_and_no_zero(data):
    enc = P.cobs_encode(data)
    assert 0 not in enc
    assert P.cobs_decode(enc) == data


@settings(deadline=None, max_examples=200)
@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=P.MAX_PAYLOAD))
def test_frame_round_trip(type_, seq, payload):
    wire = P.encode_frame(type_, seq, payload)
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    frames = P.FrameReader().feed(wire)
    assert len(frames) == 1
    assert (frames[0].type, frames[0].seq, frames[0].payload) == (type_, seq, payload)


@settings(deadline=None, max_examples=200)
@given(st.data())
def test_damaged_frame_is_rejected_and_next_frame_survives(data):
    payload = data.draw(st.binary(min_size=1, max_size=300))
    wire = bytearray(P.encode_frame(3, 7, payload))
    kind = data.draw(st.sampled_from(["flip", "drop", "dup"]))
    k = data.draw(st.integers(0, len(wire) - 2))  # never the delimiter itself
    if kind == "flip":
        wire[k] ^= data.draw(st.integers(1, 255))
    elif kind == "drop":
        del wire[k]
    else:
        wire.insert(k, wire[k])
    good = P.encode_frame(4, 8, b"next")
    reader = P.FrameReader()
    frames = reader.feed(bytes(wire) + good)
    # The damaged frame never decodes to a different frame: it is dropped, or
    # (a flip that turned a byte into 0x00) split into pieces that all fail CRC.
    assert frames[-1].payload == b"next"
    assert all((f.type, f.seq, f.payload) == (3, 7, payload) for f in frames[:-1])


def test_stream_in_random_pieces():
    rng = random.Random(1)
    msgs = [(rng.randrange(256), i & 0xFF, rng.randbytes(rng.randrange(0, 500))) for i in range(50)]
    wire = b"".join(P.encode_frame(t, s, p) for t, s, p in msgs)
    reader = P.FrameReader()
    got = []
    i = 0
    while i < len(wire):
        n = rng.randrange(1, 64)
        got += reader.feed(wire[i : i + n])
        i += n
    assert [(f.type, f.seq, f.payload) for f in got] == msgs


def test_payload_limit():
    with pytest.raises(ValueError):
        P.encode_frame(1, 0, bytes(P.MAX_PAYLOAD + 1))


def test_crc_is_zlib():
    assert P.crc32(b"123456789") == 0xCBF43926


def test_board_budgets_and_fit_message():
    assert get_board("mps2_an500").sram_bytes == 320 * 1024
    assert get_board("mps2_an500").stands_for == "disco_f746ng"
    for b in BOARDS.values():
        assert b.model_ram_budget > 0 and b.model_flash_budget > 0
        if b.emulated:
            assert b.qemu_counter_hz * (1 << b.icount_shift) >= 1e9  # >= 1 tick per instruction
    b = get_board("nucleo_f411re")
    with pytest.raises(DoesNotFitError, match=r"arena needs 200000 B .* B over"):
        check_fit(b, 200_000, 1000)
    check_fit(b, 1000, 1000)


ROOT = Path(__file__).resolve().parents[1]


def _ld_regions(board: str) -> dict[str, tuple[int, int]]:
    text = (ROOT / "firmware" / "boards" / board / "link.ld").read_text()
    return {m[0]: (int(m[1], 16), int(m[2]) * 1024)
            for m in re.findall(r"^\s*(\w+) \(\w+\) : ORIGIN = (0x[0-9A-Fa-f]+), LENGTH = (\d+)K", text, re.M)}


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_wired_alike_everywhere(name):
    """Each registry board has its firmware folder, link.ld with the registry's sizes, a board JSON
    with the same maxima and a platformio.ini env building that folder with that link.ld."""
    b = get_board(name)
    assert f'"{name}"' in (ROOT / "firmware" / "boards" / name / "board.c").read_text()  # the name BOOT reports
    regions = _ld_regions(name)
    if "FLASH" in regions:  # pico runs from SRAM: one region
        assert regions["FLASH"] == (b.flash_origin, b.flash_bytes)
    ram = regions.get("RAM") or regions["SRAM"]
    assert ram == (b.ram_origin, b.sram_bytes)
    upload = json.loads((ROOT / "platforms" / "mcuflow-arm" / "boards" / f"{name}.json").read_text())["upload"]
    assert (upload["maximum_ram_size"], upload["maximum_size"]) == (b.sram_bytes, b.flash_bytes)
    ini = (ROOT / "platformio.ini").read_text()
    env = re.search(rf"^\[env:{name}\]\n(.*?)(?=^\[|\Z)", ini, re.M | re.S).group(1)
    assert f"board = {name}\n" in env and f"+<boards/{name}/>" in env
    assert f"firmware/boards/{name}/link.ld" in env
    if b.emulated:
        assert f"--board {name} " in env and f"    {b.qemu_machine}\n" in env


def test_measuring_m7_board_is_mps2_an500_with_all_ssram():
    """mps2_an500_ssram: mps2_an500's core, flags, counter, console and icount, QEMU's 4 MB + 4 MB,
    standing for no real board (its budget is QEMU's, not a chip's)."""
    a, s = get_board("mps2_an500"), get_board("mps2_an500_ssram")
    same = ("core", "fpu", "float_abi", "dsp", "clock_hz", "console", "counter", "ram_origin", "flash_origin",
            "stack_bytes", "firmware_ram_bytes", "firmware_flash_bytes", "qemu_machine", "qemu_counter_hz",
            "icount_shift", "extra_cflags")
    assert {f: getattr(s, f) for f in same} == {f: getattr(a, f) for f in same}
    assert (s.sram_bytes, s.flash_bytes, s.stands_for) == (4 * 1024 * 1024, 4 * 1024 * 1024, None)
    check_fit(s, 372_448, 600_000)  # mobilenetv2_176 layer by layer
    with pytest.raises(DoesNotFitError):
        check_fit(a, 372_448, 600_000)
