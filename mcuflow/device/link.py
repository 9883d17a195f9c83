"""Request/response over the framed protocol, with retries, through any pyserial URL.

``/dev/ttyACM0``, ``socket://127.0.0.1:4321`` and ``loop://`` are the same
code: :func:`serial.serial_for_url`. Every failure mode ends in a result or an
exception, never in a hang and never in silently wrong data:

- a corrupted, dropped or duplicated byte loses one frame (CRC); the request
  is retried after ``timeout``, and stale responses (old sequence numbers) are
  ignored;
- a device reset is seen as an unsolicited BOOT frame or as a response whose
  session id is not ours (a reset clears it) -> :class:`DeviceResetError`;
- a hard fault on the device -> :class:`DeviceFaultError`;
- no valid answer after all retries -> :class:`DeviceTimeoutError`.
"""

from __future__ import annotations

import random
import struct
import time

import serial

from ..errors import McuflowError
from . import protocol as P


class DeviceError(McuflowError):
    """The device answered with an error, or the link failed."""


class DeviceTimeoutError(DeviceError):
    pass


class DeviceResetError(DeviceError):
    pass


class DeviceFaultError(DeviceError):
    pass


class ModelMismatchError(DeviceError):
    pass


class RemoteError(DeviceError):
    def __init__(self, code: int, text: str):
        super().__init__(f"device error {code}: {text}")
        self.code = code


def _open(url: str, baudrate: int, wait: float = 5.0) -> serial.SerialBase:
    # An emulator's TCP port may take a moment to listen: retry refusals briefly.
    deadline = time.monotonic() + wait
    while True:
        try:
            return serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
        except serial.SerialException as e:
            if not url.startswith("socket://") or time.monotonic() > deadline:
                raise DeviceError(f"cannot open {url}: {e}") from None
            time.sleep(0.02)


class Link:
    def __init__(self, url: str, baudrate: int = 115200, timeout: float = 1.0, retries: int = 8):
        self.url = url
        self.port = _open(url, baudrate)
        self.reader = P.FrameReader()
        self.timeout = timeout
        self.retries = retries
        self.seq = random.randrange(256)
        self.session = 0
        self.pending: list[P.Frame] = []
        self.retransmits = 0
        self.boot_seen: P.Frame | None = None

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:
            pass

    def _read_frames(self, wait: float) -> list[P.Frame]:
        if self.pending:
            frames, self.pending = self.pending, []
            return frames
        self.port.timeout = max(0.001, min(wait, 0.05))
        n = getattr(self.port, "in_waiting", 0) or 1
        data = self.port.read(n)
        return self.reader.feed(data) if data else []

    def wait_boot(self, timeout: float = 5.0) -> P.DeviceInfo | None:
        """Waits for the BOOT frame a device sends after reset; None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for f in self._read_frames(deadline - time.monotonic()):
                if f.type == P.MSG_BOOT:
                    return P.DeviceInfo.parse(f.payload)
        return None

    def request(self, type_: int, payload: bytes = b"", timeout: float | None = None, retries: int | None = None) -> P.Frame:
        self.seq = (self.seq + 1) & 0xFF
        seq = self.seq
        frame = P.encode_frame(type_, seq, payload)
        timeout = self.timeout if timeout is None else timeout
        retries = self.retries if retries is None else retries
        for attempt in range(retries + 1):
            if attempt:
                self.retransmits += 1
            self.port.write(frame)
            self.port.flush()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for f in self._read_frames(deadline - time.monotonic()):
                    got = self._accept(f, type_, seq)
                    if got is not None:
                        return got
        raise DeviceTimeoutError(
            f"no valid answer to message 0x{type_:02x} after {retries + 1} tries of {timeout:.1f} s "
            f"({self.reader.bad_frames} corrupted frames seen)"
        )

    def _accept(self, f: P.Frame, type_: int, seq: int) -> P.Frame | None:
        if f.type == P.MSG_BOOT:
            self.boot_seen = f
            raise DeviceResetError("the device reset (it sent a fresh hello)")
        if f.type == P.MSG_FAULT:
            _, pc, kind = struct.unpack_from("<III", f.payload)
            raise DeviceFaultError(f"the device faulted (pc=0x{pc:08x}, kind {kind})")
        if f.seq != seq:
            return None  # answer to an earlier, retried request
        if type_ != P.MSG_HELLO:
            (session,) = struct.unpack_from("<I", f.payload) if len(f.payload) >= 4 else (None,)
            if session != self.session:
                raise DeviceResetError(f"the device reset (session 0x{session or 0:08x}, expected 0x{self.session:08x})")
        if f.type == P.MSG_ERROR:
            raise RemoteError(f.payload[4], f.payload[5:].decode("ascii", "replace"))
        if f.type != (type_ | P.MSG_RESPONSE):
            return None
        return f

    def hello(self, timeout: float | None = None) -> P.DeviceInfo:
        """Starts a session: the device answers with its info and echoes the session id."""
        session = random.randrange(1, 1 << 32)
        for _ in range(self.retries + 1):
            try:
                f = self.request(P.MSG_HELLO, struct.pack("<I", session), timeout=timeout)
            except DeviceResetError:
                continue  # a BOOT frame racing our first hello is fine: ask again
            info = P.DeviceInfo.parse(f.payload)
            if info.session != session:
                continue
            if info.proto_version != P.PROTO_VERSION:
                raise DeviceError(f"device speaks protocol {info.proto_version}, harness {P.PROTO_VERSION}")
            self.session = session
            return info
        raise DeviceTimeoutError("no hello from the device")
