"""QEMU backend: one emulated board per instance, its console UART on a TCP socket.

``-icount shift=N,align=off,sleep=off`` makes virtual time a pure function of
the instructions executed, so SysTick tick counts (and the instruction counts
derived from them) are exactly repeatable. ``nodelay=on`` on the TCP chardev
takes a round trip from ~44 ms to under 1 ms. ``MCUFLOW_QEMU_ARGS`` appends
switches to every QEMU command line (``scripts/qemu_profile.py`` uses it for an
instruction profile per function).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ..boards import Board
from ..errors import McuflowError

QEMU = "qemu-system-arm"


class EmulatorError(McuflowError):
    """The emulator is missing or did not start."""


def have_qemu() -> bool:
    return shutil.which(QEMU) is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(board: Board, elf: Path | str, serial: str, monitor: str | None = None, icount: bool = True) -> list[str]:
    """The qemu-system-arm command line for ``board`` running ``elf``; ``serial`` is a chardev spec."""
    if not board.qemu_machine:
        raise EmulatorError(f"{board.name} is a real board; QEMU cannot run it")
    cmd = [QEMU, "-M", board.qemu_machine, "-nographic", "-kernel", str(elf), "-serial", serial]
    cmd += ["-monitor", monitor or "none"]
    cmd += ["-semihosting-config", "enable=on,target=native"]
    if icount:
        cmd += ["-icount", f"shift={board.icount_shift},align=off,sleep=off"]
    # Extra switches for whoever studies a run (e.g. "-d in_asm,exec,nochain -D trace.log" to see where
    # the instructions go); they come last so that they can override ours.
    cmd += shlex.split(os.environ.get("MCUFLOW_QEMU_ARGS", ""))
    return cmd


class QemuBackend:
    """Starts QEMU with the console on ``socket://127.0.0.1:PORT`` and stops it cleanly."""

    def __init__(self, board: Board, elf: Path | str, icount: bool = True):
        self.board = board
        self.elf = Path(elf)
        self.icount = icount
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.monitor_port = 0

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        if not have_qemu():
            raise EmulatorError(f"{QEMU} not found on PATH (apt-get install qemu-system-arm)")
        for _attempt in range(3):
            self.port, self.monitor_port = free_port(), free_port()
            serial = f"tcp:127.0.0.1:{self.port},server=on,wait=on,nodelay=on"
            monitor = f"tcp:127.0.0.1:{self.monitor_port},server=on,wait=off,nodelay=on"
            cmd = qemu_command(self.board, self.elf, serial, monitor, self.icount)
            # stderr to a file, never a pipe nobody drains (a full pipe would stall QEMU)
            self._err = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    # QEMU is listening once the monitor port accepts; the serial
                    # port (wait=on) is the one the harness connects to.
                    with socket.create_connection(("127.0.0.1", self.monitor_port), timeout=0.5):
                        return self.url
                except OSError:
                    time.sleep(0.02)
            err = b""
            if self.proc.poll() is not None:
                self._err.seek(0)
                err = self._err.read()
                if b"Address already in use" in err:
                    continue  # lost a port race with another process: try new ports
            self.stop()
            raise EmulatorError(f"QEMU did not start for {self.board.name}: {err.decode(errors='replace').strip()}")
        raise EmulatorError("QEMU could not bind a TCP port")

    def reset(self) -> None:
        """Resets the emulated board, as pressing its reset button would."""
        with socket.create_connection(("127.0.0.1", self.monitor_port), timeout=2) as s:
            s.sendall(b"system_reset\n")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        self.proc = None

    def __enter__(self) -> QemuBackend:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
