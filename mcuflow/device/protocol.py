"""Host side of the framed serial protocol (mirrors firmware/app/proto.h).

A frame is ``COBS(header | payload | crc32) + b"\\x00"``: header is
``<HBB`` (payload length, type, sequence number), crc32 is zlib's CRC-32 of
header and payload. COBS reserves 0x00 as the frame boundary, so any
corrupted, dropped or duplicated byte costs exactly one frame, which its CRC
rejects, and the receiver resynchronises at the next delimiter.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PROTO_VERSION = 1
MAX_PAYLOAD = 512

MSG_HELLO = 0x01
MSG_SET_INPUT = 0x02
MSG_INVOKE = 0x03
MSG_GET_OUTPUT = 0x04
MSG_STATS = 0x05
MSG_PROFILE = 0x06  # per-op counter readings of the last invoke (MODEL_PROFILE firmware)
MSG_RESPONSE = 0x80
MSG_BOOT = 0xB0
MSG_ERROR = 0xEE
MSG_FAULT = 0xEF

ERR_INPUT_CRC = 4

COUNTER_CYCLES = 0
COUNTER_SYSTICK = 1


def crc32(data: bytes, crc: int = 0) -> int:
    return zlib.crc32(data, crc) & 0xFFFFFFFF


def cobs_encode(data: bytes) -> bytes:
    out = bytearray()
    start, n = 0, len(data)
    while start <= n:
        end = start
        while end < n and data[end] != 0 and end - start < 254:
            end += 1
        code = end - start + 1
        out.append(code)
        out += data[start:end]
        if code == 0xFF:
            start = end
            if start == n:
                break
        else:
            start = end + 1
    return bytes(out)


def cobs_decode(data: bytes) -> bytes | None:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        i += 1
        if code == 0 or i + code - 1 > n:
            return None
        out += data[i : i + code - 1]
        i += code - 1
        if code < 0xFF and i < n:
            out.append(0)
    return bytes(out)


def encode_frame(type_: int, seq: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} B exceeds {MAX_PAYLOAD}")
    raw = struct.pack("<HBB", len(payload), type_, seq & 0xFF) + payload
    raw += struct.pack("<I", crc32(raw))
    return cobs_encode(raw) + b"\x00"


@dataclass
class Frame:
    type: int
    seq: int
    payload: bytes


def decode_frame(encoded: bytes) -> Frame | None:
    """One frame without its delimiter -> Frame, or None when malformed or its CRC fails."""
    raw = cobs_decode(encoded)
    if raw is None or len(raw) < 8:
        return None
    length, type_, seq = struct.unpack_from("<HBB", raw)
    if length + 8 != len(raw):
        return None
    (crc,) = struct.unpack_from("<I", raw, 4 + length)
    if crc32(raw[: 4 + length]) != crc:
        return None
    return Frame(type_, seq, raw[4 : 4 + length])


class FrameReader:
    """Splits a byte stream into frames; counts the bad ones it drops."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[Frame]:
        self.buf += data
        frames = []
        while True:
            k = self.buf.find(0)
            if k < 0:
                if len(self.buf) > 4 * MAX_PAYLOAD:
                    # no delimiter for far longer than any frame: garbage
                    self.buf.clear()
                    self.bad_frames += 1
                break
            chunk = bytes(self.buf[:k])
            del self.buf[: k + 1]
            if not chunk:
                continue
            f = decode_frame(chunk)
            if f is None:
                self.bad_frames += 1
            else:
                frames.append(f)
        return frames


@dataclass
class DeviceInfo:
    """The HELLO/BOOT payload: what firmware and model the device runs."""

    proto_version: int
    counter_kind: int
    max_payload: int
    cpu_hz: int
    counter_hz: int
    arena_bytes: int
    flash_bytes: int
    static_ram_bytes: int
    stack_reserved: int
    session: int
    macs: int
    model_hash: str
    input_bytes: list[int]
    output_bytes: list[int]
    board: str

    @classmethod
    def parse(cls, p: bytes) -> DeviceInfo:
        (ver, kind, maxp, cpu_hz, cnt_hz, arena, flash, sram, stack, session, macs_lo, macs_hi) = struct.unpack_from(
            "<BBHIIIIIIIII", p
        )
        model_hash = p[40:56].decode("ascii", "replace").strip()
        n_in, n_out, name_len = p[56], p[57], p[58]
        off = 60
        ins = list(struct.unpack_from(f"<{n_in}I", p, off))
        off += 4 * n_in
        outs = list(struct.unpack_from(f"<{n_out}I", p, off))
        off += 4 * n_out
        board = p[off : off + name_len].decode("ascii", "replace")
        return cls(
            ver, kind, maxp, cpu_hz, cnt_hz, arena, flash, sram, stack, session,
            macs_lo | (macs_hi << 32), model_hash, ins, outs, board,
        )  # fmt: skip


@dataclass
class InvokeResult:
    session: int
    status: int
    ticks: int
    stack_bytes: int
    output_crc: int
    guards_ok: bool

    @classmethod
    def parse(cls, p: bytes) -> InvokeResult:
        session, status, lo, hi, stack, ocrc = struct.unpack_from("<IiIIII", p)
        return cls(session, status, lo | (hi << 32), stack, ocrc, bool(p[24]))


@dataclass
class Stats:
    session: int
    ticks: int
    stack_bytes: int
    arena_bytes: int
    invocations: int
    stack_reserved: int
    guards_ok: bool

    @classmethod
    def parse(cls, p: bytes) -> Stats:
        session, lo, hi, stack, arena, inv, reserved = struct.unpack_from("<IIIIIII", p)
        return cls(session, lo | (hi << 32), stack, arena, inv, reserved, bool(p[28]))
