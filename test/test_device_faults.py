"""Fault injection on the serial link: every inference is correct or reported, none hangs.

A proxy between the harness and QEMU's UART corrupts, drops, duplicates and
delays bytes; the QEMU monitor resets the board mid-run.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from mcuflow.boards import get_board
from mcuflow.device.build import build_firmware, have_toolchain
from mcuflow.device.harness import open_session
from mcuflow.device.link import DeviceError, DeviceResetError, DeviceTimeoutError
from mcuflow.device.proxy import FaultConfig, FaultProxy
from mcuflow.device.qemu import QemuBackend, have_qemu

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(not (have_qemu() and have_toolchain()), reason="needs qemu-system-arm and arm-none-eabi-gcc"),
]

FAKE = Path(__file__).parent / "device_fixtures" / "fake_model"
BOARD = get_board("mps2_an386")


def expected(x: np.ndarray) -> bytes:
    q = int(np.trunc(int(x.astype(np.int32).sum()) / 64))
    return np.clip(x.astype(np.int32) * 3 - 5 + q, -128, 127).astype(np.int8).tobytes()


@pytest.fixture(scope="module")
def fw(tmp_path_factory):
    return build_firmware(FAKE, BOARD, tmp_path_factory.mktemp("fw"))


@pytest.fixture
def qemu(fw):
    with QemuBackend(BOARD, fw.elf) as q:
        yield q


def _proxy(q: QemuBackend, **kw) -> FaultProxy:
    return FaultProxy("127.0.0.1", q.port, **kw).start()


@pytest.mark.parametrize("seed", [1, 2])
def test_noisy_link_never_silently_wrong(qemu, seed):
    # ~0.2% of bytes damaged each way: most 300-byte frames need a retry now and then
    noise = FaultConfig(corrupt=0.001, drop=0.0005, duplicate=0.0005, delay=0.05, delay_s=(0.01, 0.15))
    proxy = _proxy(qemu, to_device=noise, to_host=FaultConfig(**vars(noise)), seed=seed)
    try:
        sess = None
        for _ in range(5):
            try:
                sess = open_session(proxy.url, BOARD, expected_hash="fa4e000000000001", emulated=True, timeout=0.3)
                break
            except DeviceTimeoutError:
                continue
        assert sess is not None
        rng = np.random.default_rng(seed)
        ok = failed = 0
        t0 = time.monotonic()
        for _ in range(12):
            x = rng.integers(-128, 128, 256, dtype=np.int8)
            try:
                outs, _ = sess.run([x.tobytes()], timeout=2.0)
            except DeviceError:
                failed += 1  # reported, not silent
                continue
            assert outs[0] == expected(x)  # every inference that returns is exact
            ok += 1
        assert time.monotonic() - t0 < 120
        assert ok >= 8, (ok, failed)
        injected = proxy.counts("to_device"), proxy.counts("to_host")
        assert sum(c.corrupted + c.dropped + c.duplicated for c in injected) > 0
        assert sess.link.retransmits > 0 or sess.link.reader.bad_frames > 0
        sess.link.close()
    finally:
        proxy.stop()


def test_reset_mid_run_is_detected(qemu):
    sess = open_session(qemu.url, BOARD, emulated=True, timeout=0.5)
    try:
        x = np.arange(256, dtype=np.int32).astype(np.int8)
        sess.set_inputs([x.tobytes()])
        qemu.reset()
        with pytest.raises(DeviceResetError):
            sess.invoke([x.tobytes()], timeout=2.0)
        # A fresh hello starts a new session on the rebooted device.
        sess.link.hello()
        outs, _ = sess.run([x.tobytes()], timeout=2.0)
        assert outs[0] == expected(x)
    finally:
        sess.link.close()


def test_reset_with_boot_frame_lost_is_detected_by_session(qemu):
    """Even when the BOOT frame is corrupted away, the session id in every answer shows the reset."""
    proxy = _proxy(qemu)
    try:
        sess = open_session(proxy.url, BOARD, emulated=True, timeout=0.3)
        x = np.ones(256, dtype=np.int8)
        sess.set_inputs([x.tobytes()])
        proxy.to_host.blackhole = True
        qemu.reset()
        time.sleep(0.3)  # the BOOT frame goes into the black hole
        proxy.to_host.blackhole = False
        with pytest.raises(DeviceResetError, match="session"):
            sess.invoke([x.tobytes()], timeout=2.0)
        sess.link.close()
    finally:
        proxy.stop()


def test_silent_device_times_out_quickly(qemu):
    proxy = _proxy(qemu, to_host=FaultConfig(blackhole=True))
    try:
        t0 = time.monotonic()
        with pytest.raises(DeviceTimeoutError):
            open_session(proxy.url, BOARD, timeout=0.2)
        assert time.monotonic() - t0 < 30
    finally:
        proxy.stop()


def test_lost_input_chunk_is_caught_by_input_crc(qemu):
    sess = open_session(qemu.url, BOARD, emulated=True, timeout=0.5)
    try:
        x = np.full(256, 7, dtype=np.int8)
        sess.set_inputs([np.zeros(256, np.int8).tobytes()])  # device holds different bytes
        # invoke() sees ERR_INPUT_CRC, resends the inputs, and then runs on the right data
        r = sess.invoke([x.tobytes()], timeout=2.0)
        assert r.status == 0
        assert sess.get_outputs()[0] == expected(x)
    finally:
        sess.link.close()
