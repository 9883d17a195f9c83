"""Verify generated C on the host against the oracle and the NumPy reference.

The generated model is compiled with the host gcc (optionally under
ASan/UBSan) together with lib/TinyEngine, and a small driver that runs every
input set and dumps every op's output from the arena right after the op ran
(the ``<NAME>_TRACE`` hook). So a mismatch is reported at the first op whose
output differs, not at the model output.

lib/TinyEngine is compiled once per flag set into a cached static archive;
each model then costs one small compile and link.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import McuflowError, VerificationError
from ..graph import Graph
from ..oracle import ORACLES
from ..reference import run_graph

ROOT = Path(__file__).resolve().parents[2]
TE_DIR = ROOT / "lib" / "TinyEngine"
WARN = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "{name}.h"

extern const int32_t {name}_trace_table[][4];
extern const int32_t {name}_trace_count;
static FILE *trace_out;

void {name}_trace(int op_index)
{{
    for (int32_t k = 0; k < {name}_trace_count; k++) {{
        if ({name}_trace_table[k][0] == op_index) {{
            fwrite({name}_arena_base() + {name}_trace_table[k][2], 1, (size_t){name}_trace_table[k][3], trace_out);
        }}
    }}
}}

/* argv: inputs.bin (N concatenated input sets), outputs.bin, trace.bin, N */
int main(int argc, char **argv)
{{
    if (argc != 5) return 64;
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    trace_out = fopen(argv[3], "wb");
    int n = atoi(argv[4]);
    if (!in || !out || !trace_out) return 65;
    if ({name}_init() != TE_OK) return 66;
    for (int s = 0; s < n; s++) {{
        for (int i = 0; i < {NAME}_NUM_INPUTS; i++) {{
            if (fread({name}_input(i), 1, (size_t){name}_input_bytes(i), in) != (size_t){name}_input_bytes(i)) return 67;
        }}
        te_status st = {name}_invoke();
        if (st != TE_OK) {{ fprintf(stderr, "invoke failed with status %d\n", (int)st); return 68; }}
        for (int i = 0; i < {NAME}_NUM_OUTPUTS; i++) {{
            fwrite({name}_output(i), 1, (size_t){name}_output_bytes(i), out);
        }}
        if (!{name}_guards_intact()) {{ fprintf(stderr, "arena guard bytes overwritten\n"); return 69; }}
    }}
    fclose(in); fclose(out); fclose(trace_out);
    return 0;
}}
"""


def cache_dir() -> Path:
    d = Path(os.environ.get("MCUFLOW_CACHE", Path(tempfile.gettempdir()) / "mcuflow-cache"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise McuflowError(f"command failed: {' '.join(cmd[:3])} ...\n{r.stderr[-4000:]}")


def tinyengine_sources() -> list[Path]:
    return sorted((TE_DIR / "src").rglob("*.c"))


def tinyengine_archive(cflags: list[str], cc: str = "gcc") -> Path:
    """Compile lib/TinyEngine once per (sources, flags) and cache the archive."""
    srcs = tinyengine_sources()
    h = hashlib.sha256(" ".join([cc] + cflags).encode())
    for p in srcs + sorted((TE_DIR / "include").glob("*.h")) + sorted((TE_DIR / "src").rglob("*.h")):
        h.update(str(p.relative_to(TE_DIR)).encode())
        h.update(p.read_bytes())
    lib = cache_dir() / f"libtinyengine-{h.hexdigest()[:16]}.a"
    if lib.exists():
        return lib
    work = Path(tempfile.mkdtemp(prefix="te-build-", dir=cache_dir()))
    try:
        objs = []
        for k, src in enumerate(srcs):
            obj = work / f"{k}_{src.stem}.o"
            _run([cc, *cflags, "-I", str(TE_DIR / "include"), "-I", str(TE_DIR / "src"), "-c", str(src), "-o", str(obj)])
            objs.append(str(obj))
        tmp_lib = work / "lib.a"
        _run(["ar", "rcs", str(tmp_lib), *objs] if objs else ["ar", "rcs", str(tmp_lib)])
        os.replace(tmp_lib, lib)  # atomic: parallel test workers may race here
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lib


@dataclass
class HostRun:
    outputs: list[list[np.ndarray]]  # per input set, per model output
    traces: list[dict[int, np.ndarray]]  # per input set: tensor index -> bytes after its op


@dataclass
class VerifyResult:
    n_inputs: int
    ops: int
    compared_tensors: int
    oracle: str
    outputs_equal: bool = True
    notes: list[str] = field(default_factory=list)


#: Compiles lib/TinyEngine's DSP (Armv7E-M SIMD) paths on the host, with the intrinsics emulated in C.
DSP_EMULATION = ["-DTE_EMULATE_DSP"]


def build_and_run(gen, inputs: list[list[np.ndarray]], sanitize: bool = True, opt: str = "-O1",
                  extra_cflags: list[str] | None = None) -> HostRun:
    """Compile a :class:`~mcuflow.codegen.GeneratedModel` with the host gcc and run it.

    ``extra_cflags`` go to both the library and the model (e.g. :data:`DSP_EMULATION`)."""
    name = gen.name
    cflags = WARN + [opt, "-g"] + (SANITIZE if sanitize else []) + list(extra_cflags or [])
    lib = tinyengine_archive(cflags)
    work = Path(tempfile.mkdtemp(prefix="verify-", dir=cache_dir()))
    try:
        for fname, text in gen.files.items():
            (work / fname).write_text(text)
        (work / "driver.c").write_text(DRIVER.format(name=name, NAME=name.upper()))
        exe = work / "model_host"
        _run(["gcc", *cflags, f"-D{name.upper()}_TRACE", "-I", str(work), "-I", str(TE_DIR / "include"),
              str(work / f"{name}.c"), str(work / f"{name}_weights.c"), str(work / "driver.c"), str(lib),
              "-lm", "-o", str(exe)])
        blob = b"".join(np.ascontiguousarray(x).tobytes() for s in inputs for x in s)
        (work / "in.bin").write_bytes(blob)
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
        r = subprocess.run([str(exe), str(work / "in.bin"), str(work / "out.bin"), str(work / "trace.bin"),
                            str(len(inputs))], capture_output=True, text=True, env=env, timeout=600)
        if r.returncode != 0:
            raise VerificationError(f"generated code failed on the host (exit {r.returncode}): {r.stderr[-3000:]}")
        return _parse(gen, inputs, (work / "out.bin").read_bytes(), (work / "trace.bin").read_bytes())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parse(gen, inputs, out_blob: bytes, trace_blob: bytes) -> HostRun:
    g = gen.graph
    outs, traces = [], []
    pos, tpos = 0, 0
    for _ in inputs:
        per = []
        for i in g.outputs:
            t = g.tensors[i]
            per.append(np.frombuffer(out_blob, dtype=t.dtype, count=t.size, offset=pos).reshape(t.shape))
            pos += t.nbytes
        outs.append(per)
        tr = {}
        for _, t_index, _, nbytes in gen.trace:
            t = g.tensors[t_index]
            tr[t_index] = np.frombuffer(trace_blob, dtype=t.dtype, count=t.size, offset=tpos).reshape(t.shape)
            tpos += nbytes
        traces.append(tr)
    return HostRun(outs, traces)


def random_inputs(graph: Graph, n: int, seed: int = 0) -> list[list[np.ndarray]]:
    """n input sets covering the full int8 range (floats: dequantized int8 grid plus noise)."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(n):
        one = []
        for i in graph.inputs:
            t = graph.tensors[i]
            if t.dtype == "float32":
                q = quant_of_float_input(graph, i)
                scale, zp = (q.s, q.zp) if q else (1.0 / 64, 0)
                x = (rng.integers(-128, 128, t.shape) - zp) * scale + rng.uniform(-0.5, 0.5, t.shape) * scale
                one.append(x.astype(np.float32))
            else:
                info = np.iinfo(t.dtype)
                one.append(rng.integers(info.min, int(info.max) + 1, t.shape, dtype=np.int64).astype(t.dtype))
        sets.append(one)
    return sets


def quant_of_float_input(graph: Graph, tensor_index: int):
    """Quantization of the QUANTIZE op that consumes a float input, if any."""
    for op in graph.consumers(tensor_index):
        if op.type == "QUANTIZE":
            return graph.tensors[op.outputs[0]].quant
    return None


def _compare(what: str, graph: Graph, op_index: int, t_index: int, got: np.ndarray, want: np.ndarray,
             got_name: str, want_name: str, input_set: int) -> None:
    got = np.asarray(got)
    want = np.asarray(want).reshape(got.shape) if np.asarray(want).size == got.size else np.asarray(want)
    if got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want, equal_nan=got.dtype.kind == "f"):
        return
    op = graph.ops[op_index] if op_index >= 0 else None
    t = graph.tensors[t_index]
    where = f"operator {op_index} ({op.type})" if op else "model input"
    if got.shape != want.shape or got.dtype != want.dtype:
        detail = f"{got_name} gives {got.dtype}{list(got.shape)}, {want_name} {want.dtype}{list(want.shape)}"
    else:
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        bad = int(np.count_nonzero(got != want))
        first = np.unravel_index(int(np.argmax(got != want)), got.shape)
        detail = (f"{bad} of {got.size} values differ (max |diff| {diff.max():g}); first at {list(map(int, first))}: "
                  f"{got_name} {got[first]} vs {want_name} {want[first]}")
    raise VerificationError(f"{what}: {where}, tensor {t_index} '{t.name}', input set {input_set}: {detail}")


def _compare_one_input(graph: Graph, k: int, ref: dict, res, oracle: str, host: HostRun | None = None) -> int:
    """Compare one input set op by op; the first op whose output differs is the one blamed.

    With ``host``, the C trace is held to the reference and the C outputs to the
    oracle; without, only the reference is held to the oracle. Returns how many
    tensor comparisons were made.
    """
    count = 0
    for op in graph.ops:
        for t in op.outputs:
            # A graph pass may fuse an op away (PAD into conv): its output never exists in C,
            # so only the reference is held to the oracle there.
            if host is not None and t in host.traces[k]:
                _compare("generated C vs reference", graph, op.index, t, host.traces[k][t], ref[t], "C",
                         "reference", k)
                count += 1
            if t in res.tensors and t not in graph.outputs:
                _compare("reference vs oracle", graph, op.index, t, ref[t], res.tensors[t], "reference", oracle, k)
                count += 1
    for j, t in enumerate(graph.outputs):
        prod = graph.producer(t)
        pi = prod.index if prod else -1
        _compare("reference vs oracle", graph, pi, t, ref[t], res.outputs[j], "reference", oracle, k)
        if host is not None:
            _compare("generated C vs oracle", graph, pi, t, host.outputs[k][j], res.outputs[j], "C", oracle, k)
        count += 1 + (host is not None)
    return count


def check_reference(graph: Graph, model_bytes: bytes, inputs: list[list[np.ndarray]], oracle: str = "tflm",
                    intermediates: bool = True) -> int:
    """Compare the NumPy reference with the oracle (no C). Returns the number of tensors compared."""
    run_oracle = ORACLES[oracle]
    act = [t.index for t in graph.activation_tensors()]
    count = 0
    for k, one in enumerate(inputs):
        res = run_oracle(model_bytes, one, intermediates=intermediates, tensor_indices=act)
        count += _compare_one_input(graph, k, run_graph(graph, one), res, oracle)
    return count


def verify_model(source, n_inputs: int = 3, seed: int = 0, sanitize: bool = True, oracle: str = "tflm",
                 inputs: list[list[np.ndarray]] | None = None, intermediates: bool = True,
                 extra_cflags: list[str] | None = None, dsp_emulation: bool = False,
                 **codegen_kw) -> VerifyResult:
    """Generated C == NumPy reference == oracle, byte for byte, on ``n_inputs`` random inputs.

    ``source`` is a path, model bytes or a Graph. Raises
    :class:`VerificationError` naming the first differing operator and tensor.
    ``dsp_emulation`` builds lib/TinyEngine's DSP paths (intrinsics emulated in C);
    ``extra_cflags`` are added to the host compile.
    """
    extra_cflags = list(extra_cflags or []) + (DSP_EMULATION if dsp_emulation else [])
    from ..codegen import load, render

    graph, model_bytes = load(source)
    gen = render(graph, model_bytes, **codegen_kw)
    inputs = inputs if inputs is not None else random_inputs(graph, n_inputs, seed)
    host = build_and_run(gen, inputs, sanitize=sanitize, extra_cflags=extra_cflags)
    run_oracle = ORACLES[oracle]
    act = [t.index for t in graph.activation_tensors()]
    compared = 0
    for k, one in enumerate(inputs):
        res = run_oracle(model_bytes, one, intermediates=intermediates, tensor_indices=act)
        compared += _compare_one_input(graph, k, run_graph(graph, one), res, oracle, host)
    return VerifyResult(len(inputs), len(graph.ops), compared, oracle)


def verify_graph(graph: Graph, n_inputs: int = 3, seed: int = 0, sanitize: bool = True, oracle: str = "tflm",
                 **kw) -> VerifyResult:
    """:func:`verify_model` for a hand-built graph (written with our writer for the oracle)."""
    return verify_model(graph, n_inputs=n_inputs, seed=seed, sanitize=sanitize, oracle=oracle, **kw)
