"""TinyNAS search space, exporter skeleton and memory check (no torch needed)."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcuflow.analysis import graph_macs
from mcuflow.nas import space as S
from mcuflow.nas.graph_export import build_graph
from mcuflow.nas.memory import budget_for, check, measure
from mcuflow.nas.search import optimize_space, plot_cdfs

BB = S.DEFAULT_BACKBONE


def _arch(seed: int, width: float, res: int, bb=BB) -> S.Arch:
    return S.sample(bb, S.SpaceChoice(width, res), random.Random(seed))


@settings(deadline=None, max_examples=6)
@given(seed=st.integers(0, 10_000), width=st.sampled_from([0.5, 0.75, 1.0]), res=st.sampled_from([12, 16, 20]))
def test_layers_agree_with_graph(seed, width, res):
    """The analytic layer list (MACs, params) is the exported graph's."""
    a = _arch(seed, width, res)
    g = build_graph(a, BB)
    assert graph_macs(g) == S.macs(a, BB)
    consts = sum(t.size for t in g.tensors if t.is_const and t.name.endswith(("weights", "bias")))
    assert consts == S.params(a, BB)
    assert len(a.ks) == len(BB.stages) * BB.max_depth
    assert all(k in BB.kernels for k in a.ks) and all(e in BB.expands for e in a.es)
    assert all(d in BB.depths for d in a.ds)
    # residual ADDs appear exactly where stride 1 and channels match
    n_add = sum(1 for op in g.ops if op.type == "ADD")
    assert n_add == sum(1 for lay in S.layers(a, BB) if lay.residual_from >= 0)


def test_mutation_and_crossover_stay_in_space():
    rng = random.Random(0)
    sp = S.SpaceChoice(0.75, 16)
    a, b = S.sample(BB, sp, rng), S.sample(BB, sp, rng)
    for _ in range(50):
        c = S.crossover(S.mutate(a, BB, rng, 0.5), b, rng)
        assert c.width == 0.75 and c.resolution == 16
        assert all(k in BB.kernels for k in c.ks) and all(d in BB.depths for d in c.ds)
    assert S.macs(S.largest(BB, sp), BB) > S.macs(S.smallest(BB, sp), BB)


def test_fast_memory_check_is_conservative_and_quick():
    """The search's fast strategy never promises less SRAM than the code generator's planner."""
    import time

    rng = random.Random(1)
    archs = [S.sample(BB, S.SpaceChoice(rng.choice([0.5, 1.0]), rng.choice([12, 20])), rng) for _ in range(6)]
    t = time.perf_counter()
    fast = [measure(a, BB) for a in archs]
    per_check = (time.perf_counter() - t) / len(archs)
    for a, f in zip(archs, fast):
        full = measure(a, BB, strategy="default")
        assert f.arena_bytes >= full.arena_bytes
        assert f.flash_bytes == full.flash_bytes
    assert per_check < 1.0  # ~15 ms unloaded; generous for a busy CI machine


def test_skeleton_compiles_and_report_matches():
    from mcuflow.codegen import compile_model

    a = _arch(3, 0.5, 12)
    g = build_graph(a, BB)
    rep = compile_model(g).report
    m = measure(a, BB, strategy="default")
    assert rep["arena_bytes"] == m.arena_bytes
    assert rep["macs"] == m.macs
    assert rep["flash_weights_bytes"] == m.flash_bytes


def test_budgets_and_check():
    b64, b128 = budget_for("generic_64k"), budget_for("netduinoplus2")
    assert b64.sram_bytes < b128.sram_bytes
    big = S.largest(BB, S.SpaceChoice(1.5, 28))
    assert not check(big, BB, b64).fits
    small = S.smallest(BB, S.SpaceChoice(0.5, 12))
    assert check(small, BB, b64).fits


def test_space_optimization_prefers_bigger_fitting_space(tmp_path):
    spaces = [S.SpaceChoice(0.5, 12), S.SpaceChoice(1.0, 16), S.SpaceChoice(2.0, 28)]
    budget = budget_for("generic_64k")
    chosen, stats = optimize_space(BB, budget, spaces, n_samples=8, seed=0, plot=str(tmp_path / "cdf.png"))
    assert chosen == S.SpaceChoice(1.0, 16)  # the 2.0/28 space does not fit 64 KB
    assert stats[2].fitting == 0
    assert (tmp_path / "cdf.png").stat().st_size > 1000
    plot_cdfs(stats, chosen, budget, str(tmp_path / "again.png"))


def test_cli_help_without_torch():
    code = ("import sys, mcuflow.cli as c\n"
            "try:\n    c.main(['nas', 'run', '--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "--board" in r.stdout


@pytest.mark.parametrize("board", ["generic_64k"])
def test_cli_space(board, tmp_path, capsys):
    from mcuflow.cli import main

    main(["nas", "space", "--board", board, "--quick", "--space-samples", "4", "--plot", str(tmp_path / "p.png")])
    assert "chosen" in capsys.readouterr().out
