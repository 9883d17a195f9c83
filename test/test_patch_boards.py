"""Patched schedules on the emulated boards: every patchable factory model, on every board it fits."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mcuflow.errors import DoesNotFitError
from mcuflow.factory import MODELS, build

BOARDS = ("mps2_an500", "mps2_an386", "netduinoplus2")
PATCHABLE = [n for n in MODELS if not n.endswith("_float_io")]

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="QEMU or the Arm toolchain is not installed (python scripts/bootstrap.py)")


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", PATCHABLE)
def test_patched_factory_model_bit_exact_on_board(name, board, tmp_path):
    from mcuflow.codegen import load, render
    from mcuflow.device.harness import reference_outputs, run_model
    from mcuflow.passes import optimize
    from mcuflow.patch import plan_patch
    from mcuflow.planner.budget import check_fits
    from mcuflow.verify.host import random_inputs

    graph, model_bytes = load(build(name))
    if plan_patch(optimize(graph), "auto") is None:
        pytest.skip(f"{name}: patches do not lower the peak")
    gen = render(graph, model_bytes, patch="auto")
    try:
        check_fits(gen.report, board)
    except DoesNotFitError as e:
        pytest.skip(str(e))
    gen.write(tmp_path)
    for inputs in random_inputs(graph, 2, seed=5):
        res, _ = run_model(tmp_path, board, inputs=inputs, check=False)
        ref = reference_outputs(graph, inputs)
        for got, want in zip(res.outputs, ref):
            assert got.tobytes() == np.asarray(want).tobytes(), f"{name} patched differs on {board}"


@pytest.mark.slow
@pytest.mark.parametrize("name,board,seed", [("mcunet_like", "mps2_an500", 0), ("mobilenetv1_025_vww", "mps2_an386", 1),
                                              ("resnet8", "netduinoplus2", 2), ("mcunet_det", "mps2_an500", 3)])
def test_random_tiling_bit_exact_on_board(name, board, seed, tmp_path):
    """A random split layer and a random (non-square too) grid, run on the emulated board."""
    from mcuflow.codegen import load, render
    from mcuflow.device.harness import reference_outputs, run_model
    from mcuflow.passes import optimize
    from mcuflow.patch.stage import stage_splits
    from mcuflow.verify.host import random_inputs

    rng = np.random.default_rng(seed)
    graph, model_bytes = load(build(name))
    g = optimize(graph)

    def out_hw(op_index: int) -> tuple[int, int]:
        shape = g.tensors[g.ops[op_index].outputs[0]].shape
        return int(shape[1]), int(shape[2])

    splits = [s for s in stage_splits(g) if min(out_hw(s)) >= 2]
    assert splits, f"{name} has no patchable prefix"
    split = int(rng.choice(splits))
    h, w = out_hw(split)
    rows, cols = int(rng.integers(2, min(h, 5) + 1)), int(rng.integers(2, min(w, 5) + 1))
    try:
        gen = render(graph, model_bytes, patch=f"{rows}x{cols}@{split}")
    except Exception as e:  # noqa: BLE001 - a grid the planner refuses (e.g. a tile of pure padding) is no test
        pytest.skip(f"{rows}x{cols}@{split} refused: {e}")
    gen.write(tmp_path)
    inputs = random_inputs(graph, 1, seed=seed)[0]
    res, _ = run_model(tmp_path, board, inputs=inputs, check=False)
    for got, want in zip(res.outputs, reference_outputs(graph, inputs)):
        assert got.tobytes() == np.asarray(want).tobytes(), f"{name} {rows}x{cols}@{split} differs on {board}"
