"""Graph + MemoryPlan -> model-specific C (Jinja2 templates, no logic in them).

``render()`` is the whole back end: check that every op has a kernel, ask
each op for its scratch size, plan memory, lower each op to kernel calls, and
render ``<name>.h``, ``<name>.c``, ``<name>_weights.c`` and ``report.json``.
Nothing is written until everything above succeeded, so a failure leaves no
half-written output directory.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from ..analysis import op_macs, summarize
from ..errors import McuflowError, ModelError, UnsupportedError
from ..graph import Graph
from ..planner import DEFAULT_STRATEGY, MemoryPlan, plan_memory
from ..planner.plan import grow_scratch
from .lowering import ConstArray, LoweringContext, c_initializer, ctype, lowering_for, scratch_bytes, spare_scratch

TEMPLATES = Path(__file__).parent / "templates"
GUARD_BYTES = 16
SUPPORTED_IO_DTYPES = ("int8", "float32", "int16", "uint8", "int32")


@dataclass
class GeneratedModel:
    name: str
    files: dict[str, str]  # file name -> text
    report: dict
    plan: MemoryPlan
    graph: Graph
    trace: list[tuple[int, int, int, int]] = field(default_factory=list)  # (op, tensor, offset, bytes)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write atomically: all files appear together, or none do."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".mcuflow-", dir=out))
        try:
            for fname, text in self.files.items():
                (tmp / fname).write_text(text)
            paths = []
            for fname in self.files:
                dst = out / fname
                (tmp / fname).replace(dst)
                paths.append(dst)
            return paths
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def model_hash(model_bytes: bytes) -> str:
    return hashlib.sha256(model_bytes).hexdigest()[:16]


def check_supported(graph: Graph) -> None:
    """Raise :class:`UnsupportedError` for the first op or dtype we cannot compile."""
    for i in graph.inputs + graph.outputs:
        t = graph.tensors[i]
        if t.dtype not in SUPPORTED_IO_DTYPES:
            raise UnsupportedError(f"model input/output tensor '{t.name}' has dtype {t.dtype}")
    written = set(graph.inputs)
    for op in graph.ops:
        for i in op.inputs:
            if i >= 0 and not graph.tensors[i].is_const and i not in written:
                raise ModelError(f"operator {op.index} ({op.type}) reads tensor {i} '{graph.tensors[i].name}' "
                                 "before any operator writes it")
        written.update(op.outputs)
        lowering_for(op)
    for i in graph.outputs:
        if i not in written:
            raise ModelError(f"model output tensor {i} '{graph.tensors[i].name}' is never written")


def _c_ident(name: str) -> str:
    s = "".join(ch if ch.isalnum() else "_" for ch in name)
    if not s or s[0].isdigit():
        s = "m_" + s
    return s


def render(graph: Graph, model_bytes: bytes, name: str = "model", plan: MemoryPlan | None = None,
             strategy: str | None = None, optimize: bool = True, patch=None) -> GeneratedModel:
    """Lower a graph to C. ``model_bytes`` is the .tflite the graph came from (hashed).

    ``patch``: ``"auto"``, ``"4x4@<op index or tensor name>"`` or a
    :class:`mcuflow.patch.PatchChoice` runs the first stage tile by tile
    (:mod:`mcuflow.patch`); ``"auto"`` stays layer by layer when patches do not
    lower the peak.
    """
    name = _c_ident(name)
    check_supported(graph)
    if optimize and plan is None:
        from ..passes import optimize as run_passes

        graph = run_passes(graph)  # e.g. PAD folded into the conv; tensor and op indices unchanged
    patch_choice = None
    if patch is not None:
        from ..patch import prepare

        graph, patch_choice = prepare(graph, patch, strategy or DEFAULT_STRATEGY)
        if patch_choice is not None:
            plan = patch_choice.plan
    scratch = {}
    for op in graph.ops:
        try:
            scratch[op.index] = scratch_bytes(graph, op)
        except McuflowError:
            raise
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"operator {op.index} ({op.type}): inconsistent model ({type(e).__name__}: {e})") from None
    if plan is None:
        plan = plan_memory(graph, scratch, strategy or DEFAULT_STRATEGY)
    wants = {}
    for op in graph.ops:
        want = spare_scratch(graph, op, op.index in plan.overlaps)
        if want is not None:
            wants[op.index] = want
    if wants:
        plan = grow_scratch(plan, wants)

    weights: dict[int, ConstArray] = {}

    def tensor_expr(i: int) -> str:
        t = graph.tensors[i]
        if t.is_const:
            if i not in weights:
                weights[i] = ConstArray(f"{name}_t{i}", ctype(t.dtype), np.asarray(t.data).reshape(-1))
            return weights[i].symbol
        return f"({name}_arena + {plan.tensor_offset(i)})"

    steps = []
    consts: list[ConstArray] = []
    used: set = set()
    trace = []
    by_index = {op.index: op for op in graph.ops}
    for op in (by_index[i] for i in (plan.order or list(by_index))):  # the plan chooses the execution order
        off = plan.scratch_offset(op.index)
        ctx = LoweringContext(graph, op, tensor_expr,
                              scratch_expr=f"({name}_arena + {off})" if off is not None else "NULL",
                              scratch_size=plan.scratch_bytes(op.index), symbol_prefix=name, _used_symbols=used)
        try:
            lowering_for(op).fn(graph, op, ctx)
        except McuflowError:
            raise
        except Exception as e:  # noqa: BLE001 - a malformed graph must name its op, not crash
            raise ModelError(f"operator {op.index} ({op.type}): inconsistent model "
                             f"({type(e).__name__}: {e})") from None
        consts += ctx.consts
        out_shapes = ", ".join("x".join(map(str, graph.tensors[t].shape)) for t in op.outputs)
        steps.append({"index": op.index, "type": op.type, "comment": f"{op.type} -> {out_shapes}",
                      "statements": ctx.statements})
        for t in op.outputs:
            trace.append((op.index, t, plan.tensor_offset(t), graph.tensors[t].nbytes))

    all_consts = list(weights.values()) + consts
    arrays = [{"symbol": c.symbol, "ctype": c.ctype, "count": int(c.values.size),
               "init": c_initializer(c.values, c.ctype)} for c in all_consts]
    flash_weights = int(sum(c.values.size * np.dtype(_np_dtype(c.ctype)).itemsize for c in all_consts))

    def io(i: int) -> dict:
        t = graph.tensors[i]
        return {"offset": plan.tensor_offset(i), "bytes": t.nbytes, "name": t.name, "dtype": t.dtype,
                "shape": list(t.shape)}

    summary = summarize(graph)
    report = {
        "name": name,
        "model_hash": model_hash(model_bytes),
        "macs": summary["macs"],
        "params": summary["params"],
        "arena_bytes": plan.arena_bytes,
        "scratch_bytes": int(sum(plan.scratch_bytes(op.index) for op in graph.ops)),
        # scratch lives inside the arena (only during its op): "scratch" is the largest such buffer
        "peak_sram_bytes": {"total": plan.arena_bytes, "arena": plan.arena_bytes,
                            "scratch": plan.peak_scratch_bytes, "guard": 2 * GUARD_BYTES},
        "flash_weights_bytes": flash_weights,
        "plan": {"strategy": plan.strategy, "lower_bound_bytes": plan.lower_bound,
                 "gap": round(plan.gap, 4), "order": list(plan.order),
                 "inplace_ops": sorted(plan.inplace), "notes": list(plan.notes)},
        "inputs": [io(i) for i in graph.inputs],
        "outputs": [io(i) for i in graph.outputs],
        "layers": [dict(row, live_bytes=plan.step_live_bytes[row["index"]] if plan.step_live_bytes else 0)
                   for row in summary["layers"]],
    }
    if patch_choice is not None:  # figures of the patched schedule (halo recomputation included)
        report["macs"] = patch_choice.macs
        report["patch"] = patch_choice.report()
    tmpl = dict(
        name=name,
        NAME=name.upper(),
        arena_bytes=max(plan.arena_bytes, 16),
        guard_bytes=GUARD_BYTES,
        hash=report["model_hash"],
        macs=report["macs"],
        inputs=[io(i) for i in graph.inputs],
        outputs=[io(i) for i in graph.outputs],
        arrays=arrays,
        steps=steps,
        trace=[{"op": o, "tensor": t, "offset": off, "bytes": nb} for o, t, off, nb in trace],
        description=f"{graph.name}: {len(graph.ops)} ops, {report['macs']} MACs",
    )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    files = {
        f"{name}.h": env.get_template("model.h.j2").render(**tmpl),
        f"{name}.c": env.get_template("model.c.j2").render(**tmpl),
        f"{name}_weights.c": env.get_template("model_weights.c.j2").render(**tmpl),
        "report.json": json.dumps(report, indent=2) + "\n",
    }
    return GeneratedModel(name, files, report, plan, graph, trace)


def _np_dtype(ct: str) -> str:
    return {"int8_t": "int8", "uint8_t": "uint8", "int16_t": "int16", "int32_t": "int32", "int64_t": "int64",
            "float": "float32"}[ct]


def compile_model(source, out_dir: str | Path | None = None, name: str | None = None, **kw) -> GeneratedModel:
    """Read a model (path, bytes or Graph) and generate; writes to ``out_dir`` when given."""
    graph, model_bytes = load(source)
    gen = render(graph, model_bytes, name=name or "model", **kw)
    if out_dir is not None:
        gen.write(out_dir)
    return gen


def generate(model, out_dir: str | Path, name: str = "model", **kw) -> dict:
    """Generate C for a model (path, bytes or Graph) into ``out_dir``; returns report.json's content."""
    return compile_model(model, out_dir, name=name, **kw).report


def load(source) -> tuple[Graph, bytes]:
    """(graph, model bytes) from a path, bytes, or a Graph (written with our writer)."""
    from ..tflite.reader import read_model

    if isinstance(source, Graph):
        from ..tflite.writer import write_model

        return source, write_model(source)
    if isinstance(source, (bytes, bytearray)):
        return read_model(bytes(source)), bytes(source)
    path = Path(source)
    graph = read_model(path)
    return graph, path.read_bytes()


__all__ = ["GeneratedModel", "check_supported", "compile_model", "generate", "load", "op_macs", "render"]
