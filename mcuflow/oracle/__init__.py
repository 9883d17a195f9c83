"""Oracles: other engines that run the same .tflite on the same inputs.

``tflm`` (TF Lite Micro through the ``tflite-micro`` package) is the oracle:
its reference kernels are the arithmetic every MCU deployment follows.
``litert`` (ai-edge-litert with the BUILTIN_REF resolver) is a second opinion;
it rounds FULLY_CONNECTED differently (see shared/TOOLCHAIN_NOTES.md).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass

import numpy as np

from ..errors import McuflowError


@dataclass
class OracleResult:
    outputs: list[np.ndarray]
    #: tensor index -> value of every non-constant tensor the oracle exposes
    tensors: dict[int, np.ndarray]


def _num_outputs(model: bytes) -> int:
    import tflite

    m = tflite.Model.GetRootAsModel(bytes(model), 0)
    return m.Subgraphs(0).OutputsLength()


def _arena_guess(model: bytes) -> int:
    return max(64 * 1024, len(model) * 4 + 4 * 1024 * 1024)


def run_tflm(model: bytes, inputs: list[np.ndarray], intermediates: bool = False,
             tensor_indices: list[int] | None = None) -> OracleResult:
    """Run TF Lite Micro on ``inputs`` (one array per model input)."""
    from tflite_micro.python.tflite_micro import runtime

    cfg = runtime.InterpreterConfig.kPreserveAllTensors if intermediates else runtime.InterpreterConfig.kAllocationRecording
    try:
        interp = runtime.Interpreter.from_bytes(bytes(model), arena_size=_arena_guess(model), intrepreter_config=cfg)
        for k, x in enumerate(inputs):
            interp.set_input(np.ascontiguousarray(x), k)
        interp.invoke()
    except (RuntimeError, ValueError) as e:
        raise McuflowError(f"TF Lite Micro refused the model: {e}") from e
    outs = [np.array(interp.get_output(k)) for k in range(_num_outputs(model))]
    tensors: dict[int, np.ndarray] = {}
    if intermediates and tensor_indices:
        for i in tensor_indices:
            t = interp.GetTensor(i, 0)
            # The binding returns {"dtype", "shape", "tensor_data"}.
            data = np.asarray(t["tensor_data"]) if isinstance(t, dict) else np.asarray(t)
            if isinstance(t, dict) and data.size == int(np.prod(t["shape"])):
                data = data.reshape(t["shape"])
            tensors[i] = data
    return OracleResult(outs, tensors)


def run_litert(model: bytes, inputs: list[np.ndarray], intermediates: bool = False,
               tensor_indices: list[int] | None = None) -> OracleResult:
    """Run ai-edge-litert with its reference (BUILTIN_REF) kernels."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_content=bytes(model),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=intermediates)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], np.ascontiguousarray(x))
    interp.invoke()
    outs = [np.array(interp.get_tensor(d["index"])) for d in interp.get_output_details()]
    tensors = {}
    if intermediates and tensor_indices:
        for i in tensor_indices:
            try:
                tensors[i] = np.array(interp.get_tensor(i))
            except Exception:
                pass
    return OracleResult(outs, tensors)


ORACLES = {"tflm": run_tflm, "litert": run_litert}


_ARENA_RE = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


def tflm_arena_bytes(model: bytes) -> dict[str, int]:
    """TF Lite Micro's arena use for a model: ``{"total", "head", "tail"}``.

    The package only prints it (to fd 2), so fd 2 is redirected to a file
    around ``print_allocations()``.
    """
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(bytes(model), arena_size=_arena_guess(model))
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            interp.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    return {k: int(v) for k, v in _ARENA_RE.findall(text)}
