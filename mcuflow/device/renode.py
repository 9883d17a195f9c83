"""Renode backend: the boards Renode models, console on a socket terminal.

Used when ``renode`` is on PATH (it is not installable from the registries
reachable here, so its tests skip with that reason). The scripts live in
firmware/renode/<board>.resc and take ``$elf`` and ``$port``. Renode has no
-icount: its counts are reported as cycles of its own timing model, not as
exact instruction counts.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from ..boards import Board
from .qemu import EmulatorError, free_port

RESC_DIR = Path(__file__).resolve().parents[2] / "firmware" / "renode"


def have_renode() -> bool:
    return shutil.which("renode") is not None


def renode_script(board: Board) -> Path:
    p = RESC_DIR / f"{board.name}.resc"
    if not p.exists():
        known = ", ".join(sorted(x.stem for x in RESC_DIR.glob("*.resc")))
        raise EmulatorError(f"no Renode script for {board.name} (Renode boards: {known})")
    return p


def renode_boards() -> list[str]:
    return sorted(p.stem for p in RESC_DIR.glob("*.resc"))


def renode_command(board: Board, elf: Path | str, port: int) -> list[str]:
    script = renode_script(board)
    commands = f"$elf=@{Path(elf).resolve()}; $port={port}; include @{script}"
    return ["renode", "--disable-xwt", "--console", "--plain", "-e", commands]


class RenodeBackend:
    """Same interface as QemuBackend: start() -> pyserial URL, reset(), stop()."""

    def __init__(self, board: Board, elf: Path | str):
        self.board = board
        self.elf = Path(elf)
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> str:
        if not have_renode():
            raise EmulatorError("renode not found on PATH")
        self.port = free_port()
        self.proc = subprocess.Popen(
            renode_command(self.board, self.elf, self.port),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout  # Renode (mono/.NET) starts in seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmulatorError(f"renode exited with status {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                return self.url
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise EmulatorError(f"renode did not open its console socket in {timeout:.0f} s")

    def reset(self) -> None:
        if self.proc and self.proc.stdin:
            self.proc.stdin.write(b"machine Reset\n")
            self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.write(b"quit\n")
                    self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> RenodeBackend:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
