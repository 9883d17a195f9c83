"""Run a model on a board (emulated or real) and get outputs, instructions, stack, arena.

Entry points the CLI and nox call:

- :func:`run_on_board` (model, board, inputs) -> :class:`DeviceResult`;
- :func:`run_model` for ``mcuflow run`` (random or given inputs, optional
  check against the NumPy reference);
- :func:`verify_on_board` for ``mcuflow verify --target BOARD``;
- :func:`bench` for ``nox -s bench``.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..boards import Board, check_fit, get_board
from ..errors import McuflowError, VerificationError
from . import protocol as P
from .build import Firmware, build_firmware, cache_dir
from .link import DeviceError, Link, ModelMismatchError, RemoteError
from .qemu import QemuBackend

CHUNK = P.MAX_PAYLOAD - 16


@dataclass
class DeviceResult:
    outputs: list[np.ndarray]
    instructions: int | None  # under QEMU -icount
    cycles: int | None  # on hardware with a cycle counter
    stack_bytes: int
    arena_bytes: int
    ticks: int = 0
    macs: int = 0
    flash_bytes: int = 0
    board: str = ""
    model_hash: str = ""
    clock_hz: int = 0
    retransmits: int = 0
    #: (op index, ticks) after every op, from a MODEL_PROFILE firmware
    profile: list[tuple[int, int]] = field(default_factory=list)

    @property
    def latency_ms(self) -> float:
        """Time at the board's clock (instructions are taken as cycles under emulation)."""
        n = self.cycles if self.cycles is not None else self.instructions
        return 1e3 * (n or 0) / self.clock_hz if self.clock_hz else float("nan")

    def to_json(self) -> dict:
        d = {
            "board": self.board,
            "macs": self.macs,
            "stack_bytes": self.stack_bytes,
            "arena_bytes": self.arena_bytes,
            "flash_bytes": self.flash_bytes,
            "latency_ms": round(self.latency_ms, 4),
            "outputs": [o.tolist() for o in self.outputs],
        }
        if self.cycles is not None:
            d["cycles"] = self.cycles
        else:
            d["instructions"] = self.instructions
        return d


@dataclass
class Session:
    """A link to one device running one firmware: raw bytes in, raw bytes out."""

    link: Link
    info: P.DeviceInfo
    board: Board
    emulated: bool
    last: P.InvokeResult | None = field(default=None)

    def set_inputs(self, inputs: list[bytes]) -> None:
        if len(inputs) != len(self.info.input_bytes):
            raise DeviceError(f"model has {len(self.info.input_bytes)} inputs, got {len(inputs)}")
        for i, (data, n) in enumerate(zip(inputs, self.info.input_bytes)):
            if len(data) != n:
                raise DeviceError(f"input {i} is {n} bytes on the device, got {len(data)}")
            for off in range(0, n, CHUNK):
                self.link.request(P.MSG_SET_INPUT, struct.pack("<BBHI", i, 0, 0, off) + data[off : off + CHUNK])

    def invoke(self, inputs: list[bytes], timeout: float = 120.0) -> P.InvokeResult:
        crc = P.crc32(b"".join(inputs))
        for attempt in range(3):
            try:
                f = self.link.request(P.MSG_INVOKE, struct.pack("<I", crc), timeout=timeout, retries=2)
            except RemoteError as e:
                if e.code == P.ERR_INPUT_CRC and attempt < 2:
                    self.set_inputs(inputs)  # a chunk went missing: send them all again
                    continue
                raise
            r = P.InvokeResult.parse(f.payload)
            if r.status != 0:
                raise DeviceError(f"model_invoke returned status {r.status}")
            if not r.guards_ok:
                raise DeviceError("the arena guard bytes were overwritten during inference")
            self.last = r
            return r
        raise DeviceError("the device kept reporting an input CRC mismatch")

    def get_outputs(self) -> list[bytes]:
        assert self.last is not None
        for _attempt in range(2):
            outs = []
            for i, n in enumerate(self.info.output_bytes):
                buf = bytearray()
                for off in range(0, n, CHUNK):
                    k = min(CHUNK, n - off)
                    f = self.link.request(P.MSG_GET_OUTPUT, struct.pack("<BBHI", i, 0, k, off))
                    buf += f.payload[4:]
                outs.append(bytes(buf))
            if P.crc32(b"".join(outs)) == self.last.output_crc:
                return outs
        raise DeviceError("output CRC mismatch after two reads")

    def run(self, inputs: list[bytes], timeout: float = 120.0) -> tuple[list[bytes], P.InvokeResult]:
        self.set_inputs(inputs)
        r = self.invoke(inputs, timeout)
        return self.get_outputs(), r

    def stats(self) -> P.Stats:
        return P.Stats.parse(self.link.request(P.MSG_STATS).payload)

    def count(self, ticks: int) -> tuple[int | None, int | None]:
        """(instructions, cycles) from counter ticks."""
        if self.emulated:
            return self.board.ticks_to_instructions(ticks), None
        if self.info.counter_kind in (P.COUNTER_CYCLES, P.COUNTER_SYSTICK):
            return None, ticks  # both count core clock cycles on hardware
        return None, None


def open_session(url: str, board: Board, expected_hash: str | None = None, emulated: bool = False, timeout: float = 2.0) -> Session:
    link = Link(url, timeout=timeout)
    try:
        info = link.hello()
        if expected_hash and info.model_hash != expected_hash:
            raise ModelMismatchError(
                f"the device runs model {info.model_hash}, expected {expected_hash}: flash the firmware built for this model"
            )
        if info.board != board.name:
            raise DeviceError(f"the device is a {info.board}, expected {board.name}")
    except Exception:
        link.close()
        raise
    return Session(link, info, board, emulated)


# ---------------------------------------------------------------------------
# model -> generated C -> firmware


@dataclass
class PreparedModel:
    model_dir: Path
    report: dict
    graph: object | None  # mcuflow.graph.Graph when known


def _load_graph(model):
    from ..graph import Graph

    if isinstance(model, Graph):
        return model
    from ..tflite.reader import read_model

    return read_model(model)


def _model_key(model) -> str:
    from ..graph import Graph

    if isinstance(model, Graph):
        from ..tflite.writer import write_model

        data = write_model(model)
    else:
        data = Path(model).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _generate_cached(model) -> tuple[Path, dict | None]:
    """Generate into the cache under a name that says what was generated, not only from what.

    Two runs of the same model with different code generators (two checkouts,
    or a change in progress beside a clean tree) must not write into one
    directory: each generates into its own temporary directory, which is then
    renamed to ``<model hash>-<generated files hash>``; a run that finds that
    name taken uses the copy already there, which has the same bytes.
    """
    import shutil
    import tempfile

    from ..codegen import generate

    root = cache_dir() / "models"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".gen-", dir=root))
    report = generate(model, tmp, name="model")
    h = hashlib.sha256()
    for f in sorted(tmp.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(tmp).as_posix().encode() + b"\0" + f.read_bytes())
    d = root / f"{_model_key(model)}-{h.hexdigest()[:12]}"
    try:
        tmp.rename(d)
    except OSError:  # generated before, by this run's twin: identical files
        shutil.rmtree(tmp, ignore_errors=True)
    return d, report


def prepare_model(model, board: Board, out_dir: Path | str | None = None) -> PreparedModel:
    """Generate C for ``model`` (a .tflite path, a Graph, or a directory that already
    holds model.h/model.c/report.json) and check it fits ``board`` before any build."""
    if isinstance(model, (str, Path)) and Path(model).is_dir():
        d = Path(model)
        report = json.loads((d / "report.json").read_text())
        graph = None
    else:
        from ..codegen import generate

        graph = _load_graph(model)
        if out_dir:
            d = Path(out_dir)
            d.mkdir(parents=True, exist_ok=True)
            report = generate(model, d, name="model")
        else:
            d, report = _generate_cached(model)
        if not isinstance(report, dict):
            report = json.loads((d / "report.json").read_text())
    check_fit(board, int(report["arena_bytes"]), int(report.get("flash_weights_bytes", 0)))
    return PreparedModel(d, report, graph)


def build_for(model, board: Board | str, out_dir: Path | str | None = None,
              extra_cflags: list[str] | tuple[str, ...] = ()) -> tuple[PreparedModel, Firmware]:
    board = get_board(board) if isinstance(board, str) else board
    pm = prepare_model(model, board, out_dir)
    key = str(pm.model_dir) + " ".join(extra_cflags)
    fw_dir = cache_dir() / "firmware" / board.name / hashlib.sha256(key.encode()).hexdigest()[:12]
    return pm, build_firmware(pm.model_dir, board, fw_dir, extra_cflags=extra_cflags)


def _to_bytes(x) -> bytes:
    return np.ascontiguousarray(x).tobytes()


def run_on_board(
    model,
    board: Board | str,
    inputs: list[np.ndarray] | None = None,
    port: str | None = None,
    timeout: float = 120.0,
) -> DeviceResult:
    """Build the firmware for ``model`` and run one inference on ``board``.

    ``model``: .tflite path, Graph, or a directory with generated C. Emulated
    boards start QEMU unless ``port`` (a pyserial URL) is given; real boards
    need ``port``. ``inputs``: one array per model input (random when None).
    """
    board = get_board(board) if isinstance(board, str) else board
    pm, fw = build_for(model, board)
    return run_firmware(fw, pm, inputs, port=port, timeout=timeout)


def run_firmware(
    fw: Firmware,
    pm: PreparedModel,
    inputs=None,
    port: str | None = None,
    timeout: float = 120.0,
    seed: int = 0,
    emulator: str = "qemu",
    profile: bool = False,
) -> DeviceResult:
    """Run a built firmware: on the device at ``port``, else in ``emulator`` ("qemu" or "renode")."""
    board = fw.board
    backend = None
    if port is None:
        if emulator == "renode":
            from .renode import RenodeBackend

            backend = RenodeBackend(board, fw.elf)
        elif board.emulated:
            backend = QemuBackend(board, fw.elf)
        else:
            from .ports import find_port

            port = find_port(board.name)
        if backend is not None:
            port = backend.start()
    try:
        # Only QEMU's -icount makes ticks exact instruction counts.
        sess = open_session(port, board, expected_hash=pm.report.get("model_hash"), emulated=isinstance(backend, QemuBackend))
        try:
            in_arrays = _make_inputs(pm, sess.info, inputs, seed)
            outs, r = sess.run([_to_bytes(x) for x in in_arrays], timeout=timeout)
            layers = read_profile(sess) if profile else []
        finally:
            sess.link.close()
    finally:
        if backend:
            backend.stop()
    out_arrays = _shape_outputs(pm, outs)
    instr, cycles = sess.count(r.ticks)
    return DeviceResult(
        outputs=out_arrays,
        instructions=instr,
        cycles=cycles,
        stack_bytes=r.stack_bytes,
        arena_bytes=sess.info.arena_bytes,
        ticks=r.ticks,
        macs=sess.info.macs,
        flash_bytes=sess.info.flash_bytes,
        board=board.name,
        model_hash=sess.info.model_hash,
        clock_hz=board.clock_hz,
        retransmits=sess.link.retransmits,
        profile=layers,
    )


def read_profile(sess: Session) -> list[tuple[int, int]]:
    """(op index, ticks) of every op of the last invoke (a MODEL_PROFILE firmware; else empty)."""
    out: list[tuple[int, int]] = []
    while True:
        p = sess.link.request(P.MSG_PROFILE, struct.pack("<H", len(out))).payload
        total, n = struct.unpack_from("<HH", p, 4)
        for k in range(n):
            out.append(struct.unpack_from("<HI", p, 8 + 6 * k))
        if n == 0 or len(out) >= total:
            return out


def _make_inputs(pm: PreparedModel, info: P.DeviceInfo, inputs, seed: int) -> list[np.ndarray]:
    g = pm.graph
    if inputs is not None:
        if g is not None:
            return [np.asarray(x, dtype=g.tensors[i].dtype).reshape(g.tensors[i].shape) for x, i in zip(inputs, g.inputs)]
        return [np.asarray(x) for x in inputs]
    rng = np.random.default_rng(seed)
    if g is None:
        return [rng.integers(-128, 128, n, dtype=np.int8) for n in info.input_bytes]
    arrs = []
    for i in g.inputs:
        t = g.tensors[i]
        if t.dtype == "int8":
            arrs.append(rng.integers(-128, 128, t.shape, dtype=np.int8))
        elif t.dtype == "uint8":
            arrs.append(rng.integers(0, 256, t.shape, dtype=np.uint8))
        else:
            arrs.append(rng.uniform(-1, 1, t.shape).astype(t.dtype))
    return arrs


def _shape_outputs(pm: PreparedModel, outs: list[bytes]) -> list[np.ndarray]:
    g = pm.graph
    if g is None:
        return [np.frombuffer(b, dtype=np.int8).copy() for b in outs]
    res = []
    for b, i in zip(outs, g.outputs):
        t = g.tensors[i]
        res.append(np.frombuffer(b, dtype=t.dtype).reshape(t.shape).copy())
    return res


# ---------------------------------------------------------------------------
# CLI / nox entry points


def reference_outputs(graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
    from ..reference import run_graph

    values = run_graph(graph, inputs)
    return [values[i] for i in graph.outputs]


def verify_on_board(
    model, board: Board | str, n_inputs: int = 3, seed: int = 0, port: str | None = None
) -> dict:
    """``mcuflow verify MODEL --target BOARD``: ``n_inputs`` random inputs on the board;
    every output byte must equal the NumPy reference (bit-exact with TFLM).

    Raises VerificationError naming the output and input set; returns a JSON-able
    summary (board, inputs, instructions|cycles per run, stack, arena)."""
    board = get_board(board) if isinstance(board, str) else board
    pm, fw = build_for(model, board)
    if pm.graph is None:
        pm.graph = _load_graph(model)
    graph = pm.graph
    results = []
    rng = np.random.default_rng(seed)
    for k in range(n_inputs):
        inputs = _make_inputs(pm, None, None, int(rng.integers(1 << 31)))  # type: ignore[arg-type]
        res = run_firmware(fw, pm, inputs, port=port)
        for j, (got, want) in enumerate(zip(res.outputs, reference_outputs(graph, inputs))):
            if got.tobytes() != np.asarray(want).tobytes():
                diff = int(np.count_nonzero(got != want))
                raise VerificationError(
                    f"{board.name}: output {j} differs from the reference on input set {k} "
                    f"({diff} of {got.size} values)"
                )
        results.append(res)
    counts = [r.cycles if r.cycles is not None else r.instructions for r in results]
    return {
        "model": str(model) if not hasattr(model, "tensors") else getattr(model, "name", "graph"),
        "target": board.name,
        "inputs": n_inputs,
        "bit_exact": True,
        ("cycles" if results and results[0].cycles is not None else "instructions"): counts,
        "stack_bytes": max((r.stack_bytes for r in results), default=0),
        "arena_bytes": results[0].arena_bytes if results else 0,
        "macs": int(pm.report.get("macs", 0)),
    }


def run_model(
    model,
    board: str,
    port: str | None = None,
    inputs: list[np.ndarray] | None = None,
    seed: int = 0,
    check: bool = True,
    flash: bool = True,
) -> tuple[DeviceResult, dict]:
    """``mcuflow run MODEL --board BOARD [--port URL] [--json]``.

    A real board is flashed with this model's firmware first (OpenOCD) unless
    ``flash`` is False. Returns the result and the JSON dict (keys ``macs``,
    ``instructions`` or ``cycles``, ``stack_bytes``, ``arena_bytes``,
    ``latency_ms``, ``outputs``, ``prediction``, ``matches_reference``)."""
    b = get_board(board)
    pm, fw = build_for(model, b)
    if flash and not b.emulated:
        from .flash import flash as flash_elf

        flash_elf(b.name, fw.elf)
    if pm.graph is None and not Path(model).is_dir():
        pm.graph = _load_graph(model)
    if inputs is None and pm.graph is not None:
        inputs = _make_inputs(pm, None, None, seed)  # type: ignore[arg-type]
    res = run_firmware(fw, pm, inputs, port=port, seed=seed)
    d = res.to_json()
    d["macs"] = int(pm.report.get("macs", res.macs))
    d["prediction"] = int(np.argmax(res.outputs[0])) if res.outputs else None
    if check and pm.graph is not None and inputs is not None:
        ref = reference_outputs(pm.graph, inputs)
        d["matches_reference"] = all(a.tobytes() == np.asarray(w).tobytes() for a, w in zip(res.outputs, ref))
    return res, d


def format_result(res: DeviceResult, d: dict) -> str:
    count = f"{res.cycles} cycles" if res.cycles is not None else f"{res.instructions} instructions"
    lines = [
        f"board        {res.board}",
        f"prediction   {d.get('prediction')}",
        f"latency      {count} ({res.latency_ms:.3f} ms at {res.clock_hz / 1e6:g} MHz)",
        f"MACs         {d['macs']}",
        f"SRAM         arena {res.arena_bytes} B + stack {res.stack_bytes} B",
        f"flash        {res.flash_bytes} B",
    ]
    if "matches_reference" in d:
        lines.append(f"reference    {'bit-exact' if d['matches_reference'] else 'MISMATCH'}")
    return "\n".join(lines)


def bench(
    models: list[Path | str] | None = None,
    boards: list[str] | None = None,
    port: str | None = None,
    json_out: Path | str | None = None,
) -> list[dict]:
    """``nox -s bench``: every model on every board (emulated by default, or the one at
    ``port``). Returns rows (model, board, macs, instructions|cycles, per_mac, arena,
    stack, flash, status); models that do not fit are rows with status "does not fit"."""
    from ..errors import DoesNotFitError

    if models is None:
        models = default_bench_models()
    if not models:
        from ..factory import MODELS, build

        models = [build(n) for n in MODELS]
    if boards is None:
        boards = ["mps2_an386", "mps2_an500", "netduinoplus2"]
    rows = []
    for m in models:
        for bname in boards:
            row = {"model": getattr(m, "name", None) or Path(str(m)).stem, "board": bname}
            try:
                res, d = run_model(m, bname, port=port)
                n = res.cycles if res.cycles is not None else res.instructions
                row.update(
                    macs=d["macs"],
                    **({"cycles": res.cycles} if res.cycles is not None else {"instructions": res.instructions}),
                    per_mac=round(n / d["macs"], 3) if d["macs"] else None,
                    arena_bytes=res.arena_bytes,
                    stack_bytes=res.stack_bytes,
                    flash_bytes=res.flash_bytes,
                    status="ok" if d.get("matches_reference", True) else "MISMATCH",
                )
            except DoesNotFitError as e:
                row["status"] = f"does not fit: {e}"
            except McuflowError as e:
                row["status"] = f"error: {e}"
            rows.append(row)
    if json_out:
        Path(json_out).write_text(json.dumps(rows, indent=2))
    return rows


def default_bench_models() -> list[Path]:
    repo = Path(__file__).resolve().parents[2]
    found = sorted((repo / "models").glob("*.tflite"))
    shared = repo.parent / "shared" / "models"
    if not found and shared.is_dir():
        found = sorted(shared.glob("*.tflite"))
    return found


def format_bench(rows: list[dict]) -> str:
    hdr = f"{'model':28} {'board':14} {'MACs':>10} {'instr/cyc':>12} {'per MAC':>8} {'arena':>8} {'stack':>6} {'flash':>8}  status"
    lines = [hdr, "-" * len(hdr)]
    for r in rows:
        n = r.get("instructions", r.get("cycles", ""))
        lines.append(
            f"{r['model'][:28]:28} {r['board']:14} {r.get('macs', ''):>10} {n if n is not None else '':>12} "
            f"{r.get('per_mac', '') or '':>8} {r.get('arena_bytes', ''):>8} {r.get('stack_bytes', ''):>6} "
            f"{r.get('flash_bytes', ''):>8}  {r['status'][:80]}"
        )
    return "\n".join(lines)


__all__ = [
    "DeviceResult",
    "Session",
    "bench",
    "build_for",
    "format_bench",
    "format_result",
    "open_session",
    "prepare_model",
    "run_firmware",
    "run_model",
    "run_on_board",
    "verify_on_board",
]
