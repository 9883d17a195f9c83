"""Supernet training under torchrun: 2 CPU processes, gloo backend, DistributedDataParallel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from mcuflow.nas import space as S
from mcuflow.nas.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def test_ddp_two_processes_gloo(tmp_path):
    bb = replace(S.QUICK_BACKBONE, depths=(1,), stages=(S.Stage(8, 2),), head_channels=16)
    cfg = TrainConfig(dataset="digits", width=0.5, resolution=8, backbone=bb.to_dict(), epochs=1, batch_size=16,
                      limit=200, progress=False, threads=1, n_random=1, checkpoint=str(tmp_path / "ck.pt"))
    (tmp_path / "cfg.json").write_text(json.dumps(asdict(cfg)))
    out = tmp_path / "supernet.pt"
    env = dict(os.environ, MCUFLOW_NAS_SAVE_ALL_RANKS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "0",
           "--rdzv_backend", "c10d", "--rdzv_endpoint", "localhost:0",
           "-m", "mcuflow.nas.train", str(tmp_path / "cfg.json"), str(out)]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert out.exists() and (tmp_path / "ck.pt").exists()
    s0 = torch.load(f"{out}.rank0", weights_only=True)
    s1 = torch.load(f"{out}.rank1", weights_only=True)
    # DDP averaged gradients: both replicas hold the same parameters after training
    for k in s0:
        if "running" in k or "num_batches" in k:
            continue  # BN statistics are per process (not synchronized), as in plain DDP
        assert torch.equal(s0[k], s1[k]), k
    assert "supernet epoch 1/1" in r.stdout + r.stderr
