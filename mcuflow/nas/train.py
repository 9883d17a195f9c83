"""Supernet training (sandwich rule), fixed-subnet fine-tuning, evaluation.

* Sandwich rule (BigNAS / OFA): each step trains the largest subnet, the
  smallest, and ``n_random`` random ones on the same batch, gradients summed.
* Subnets are chosen by a generator seeded with (seed, epoch, step), so every
  DDP rank trains the same subnets without talking about it.
* Checkpoints (model, optimizer, scheduler, epoch) are written each epoch and
  ``resume=True`` continues from the last one.
* Runs under ``torchrun`` as is: when ``WORLD_SIZE`` > 1 it joins the process
  group (gloo on CPU), wraps the model in DistributedDataParallel and shards
  the data with a DistributedSampler.

Command line for torchrun: ``python -m mcuflow.nas.train CONFIG.json``.
"""

from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import space as S
from .data import Dataset, load_dataset, to_tensor
from .supernet import SuperNet, recalibrate_bn


@dataclass
class TrainConfig:
    dataset: str = "mnist"
    width: float = 1.0
    resolution: int = 28
    backbone: dict = field(default_factory=lambda: S.DEFAULT_BACKBONE.to_dict())
    epochs: int = 4
    batch_size: int = 64
    lr: float = 0.05
    weight_decay: float = 4e-5
    n_random: int = 2
    seed: int = 0
    limit: int | None = None  # use only this many images (quick runs)
    checkpoint: str | None = None
    resume: bool = True
    threads: int = 0  # torch threads (0: leave torch's default)
    arch: dict | None = None  # train this fixed subnet instead of the supernet (fine-tune / baseline)
    init: str | None = None  # start from these weights (state dict path)
    progress: bool = True
    stop_after: int | None = None  # stop after this many epochs (time-sliced runs; resume later)

    def space(self) -> S.SpaceChoice:
        return S.SpaceChoice(self.width, self.resolution)

    def bb(self) -> S.Backbone:
        return S.Backbone.from_dict(self.backbone)


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _dist() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("gloo")
    if world > 1:
        return torch.distributed.get_rank(), world
    return 0, 1


def _bar(iterable, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, file=sys.stderr)


def _augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random shifts of up to 2 pixels (zero fill), cheap and digit-safe."""
    _, _, h, w = x.shape
    pad = F.pad(x, (2, 2, 2, 2))
    dx, dy = torch.randint(0, 5, (2,), generator=g).tolist()
    return pad[:, :, dy:dy + h, dx:dx + w]


def step_archs(bb: S.Backbone, sp: S.SpaceChoice, seed: int, epoch: int, step: int, n_random: int) -> list[S.Arch]:
    rng = random.Random(hash((seed, epoch, step)) & 0xFFFFFFFF)
    return [S.largest(bb, sp), S.smallest(bb, sp)] + [S.sample(bb, sp, rng) for _ in range(n_random)]


def train(cfg: TrainConfig, data: Dataset | None = None, log=print) -> SuperNet:
    """Train the supernet (``cfg.arch`` None) or one fixed subnet; returns the (unwrapped) model."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rank, world = _dist()
    seed_all(cfg.seed)
    bb, sp = cfg.bb(), cfg.space()
    data = data or load_dataset(cfg.dataset, cfg.resolution, seed=cfg.seed, limit=cfg.limit)
    model = SuperNet(bb, cfg.width)
    if cfg.init:
        model.load_state_dict(torch.load(cfg.init, map_location="cpu", weights_only=True))
    fixed = S.Arch.from_dict(cfg.arch) if cfg.arch else None
    x_all, y_all = to_tensor(data.x_train), torch.from_numpy(data.y_train)
    ds = torch.utils.data.TensorDataset(x_all, y_all)
    sampler = None
    if world > 1:
        sampler = torch.utils.data.distributed.DistributedSampler(ds, world, rank, shuffle=True, seed=cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + rank)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=sampler is None,
                                         sampler=sampler, generator=gen, drop_last=True)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay, nesterov=True)
    steps = max(1, len(loader)) * cfg.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps, pct_start=0.15)
    start = 0
    aug_state = None
    ckpt = Path(cfg.checkpoint) if cfg.checkpoint else None
    if ckpt and cfg.resume and ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["epoch"]
        gen.set_state(state["gen"])
        aug_state = state.get("aug")
        if rank == 0:
            log(f"resumed {ckpt} at epoch {start}/{cfg.epochs}")
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
    aug = torch.Generator().manual_seed(cfg.seed * 7 + 1 + rank)
    if start and aug_state is not None:
        aug.set_state(aug_state)
    end = cfg.epochs if cfg.stop_after is None else min(cfg.epochs, cfg.stop_after)
    for epoch in range(start, end):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        total, seen = 0.0, 0
        desc = f"{'subnet' if fixed else 'supernet'} epoch {epoch + 1}/{cfg.epochs}"
        for step, (xb, yb) in enumerate(_bar(loader, len(loader), desc, cfg.progress and rank == 0)):
            xb = _augment(xb, aug)
            archs = [fixed] if fixed else step_archs(bb, sp, cfg.seed, epoch, step, cfg.n_random)
            opt.zero_grad(set_to_none=True)
            for a in archs:
                loss = F.cross_entropy(net(xb, a), yb)
                loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(yb)
            seen += len(yb)
        if rank == 0:
            log(f"{desc}: loss {total / max(seen, 1):.4f}")
            if ckpt:
                ckpt.parent.mkdir(parents=True, exist_ok=True)
                tmp = ckpt.with_suffix(".tmp")
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                            "epoch": epoch + 1, "gen": gen.get_state(), "aug": aug.get_state(), "config": asdict(cfg)}, tmp)
                tmp.replace(ckpt)
        if world > 1:
            torch.distributed.barrier()
    return model


@torch.no_grad()
def evaluate(model: SuperNet, arch: S.Arch, x: np.ndarray, y: np.ndarray, calib: np.ndarray | None = None,
             calib_batches: int = 8, batch: int = 250) -> float:
    """Top-1 accuracy of ``arch``; with ``calib`` images, BN statistics are recalibrated first."""
    if calib is not None:
        xs = to_tensor(calib)
        recalibrate_bn(model, arch, [xs[i:i + 64] for i in range(0, min(len(xs), 64 * calib_batches), 64)])
    model.eval()
    xt = to_tensor(x)
    correct = 0
    for i in range(0, len(y), batch):
        correct += int((model(xt[i:i + batch], arch).argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / max(len(y), 1)


def save_config(cfg: TrainConfig, path: Path) -> None:
    path.write_text(json.dumps(asdict(cfg), indent=1))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cfg = TrainConfig(**json.loads(Path(argv[0]).read_text()))
    out = Path(argv[1]) if len(argv) > 1 else None
    model = train(cfg)
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    if out and rank == 0:
        torch.save(model.state_dict(), out)
    if out and os.environ.get("MCUFLOW_NAS_SAVE_ALL_RANKS"):  # lets the DDP test compare replicas
        torch.save(model.state_dict(), f"{out}.rank{rank}")
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
