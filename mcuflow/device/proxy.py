"""Fault-injection TCP proxy between the harness and a device's socket (QEMU's UART).

Each direction independently corrupts (flips bits in), drops, duplicates and
delays bytes with the given probabilities, from a seeded RNG so a failing run
can be replayed. ``blackhole`` stops all traffic in one direction (a hung
device). Counters say what was injected.

    with FaultProxy("127.0.0.1", qemu_port, FaultConfig(corrupt=1e-3)) as proxy:
        session = open_session(proxy.url, board)
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class FaultConfig:
    corrupt: float = 0.0  # per byte: XOR with a random non-zero mask
    drop: float = 0.0  # per byte
    duplicate: float = 0.0  # per byte
    delay: float = 0.0  # per chunk: probability of holding it back
    delay_s: tuple[float, float] = (0.01, 0.1)
    blackhole: bool = False


@dataclass
class FaultCounts:
    bytes: int = 0
    corrupted: int = 0
    dropped: int = 0
    duplicated: int = 0
    delayed: int = 0


@dataclass
class _Direction:
    config: FaultConfig
    counts: FaultCounts = field(default_factory=FaultCounts)


class FaultProxy:
    def __init__(self, host: str, port: int, to_device: FaultConfig | None = None, to_host: FaultConfig | None = None, seed: int = 0):
        self.upstream = (host, port)
        self.dirs = {"to_device": _Direction(to_device or FaultConfig()), "to_host": _Direction(to_host or FaultConfig())}
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.socks: list[socket.socket] = []
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    @property
    def to_device(self) -> FaultConfig:
        return self.dirs["to_device"].config

    @property
    def to_host(self) -> FaultConfig:
        return self.dirs["to_host"].config

    def counts(self, direction: str) -> FaultCounts:
        return self.dirs[direction].counts

    def start(self) -> FaultProxy:
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                client, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            up = self._connect_upstream()
            for s in (client, up):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.socks.append(s)
            for src, dst, name in ((client, up, "to_device"), (up, client, "to_host")):
                t = threading.Thread(target=self._pump, args=(src, dst, self.dirs[name]), daemon=True)
                t.start()
                self.threads.append(t)
            return  # one connection per proxy: that is all a harness opens

    def _connect_upstream(self) -> socket.socket:
        deadline = time.monotonic() + 5
        while True:
            try:
                return socket.create_connection(self.upstream, timeout=5)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _mangle(self, data: bytes, d: _Direction) -> bytes:
        c = d.config
        out = bytearray()
        with self.lock:
            for b in data:
                d.counts.bytes += 1
                r = self.rng.random()
                if r < c.drop:
                    d.counts.dropped += 1
                    continue
                r -= c.drop
                if r < c.corrupt:
                    d.counts.corrupted += 1
                    b ^= self.rng.randrange(1, 256)
                elif r - c.corrupt < c.duplicate:
                    d.counts.duplicated += 1
                    out.append(b)
                out.append(b)
        return bytes(out)

    def _pump(self, src: socket.socket, dst: socket.socket, d: _Direction) -> None:
        src.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                data = src.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if d.config.blackhole:
                continue
            data = self._mangle(data, d)
            with self.lock:
                hold = self.rng.random() < d.config.delay
                wait = self.rng.uniform(*d.config.delay_s)
            if hold:
                d.counts.delayed += 1
                time.sleep(wait)
            try:
                dst.sendall(data)
            except OSError:
                break
        self.stopping.set()

    def stop(self) -> None:
        self.stopping.set()
        for s in self.socks + [self.server]:
            try:
                s.close()
            except OSError:
                pass
        for t in self.threads:
            t.join(timeout=1)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
