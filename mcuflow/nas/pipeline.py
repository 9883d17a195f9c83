"""``mcuflow nas run``: space optimization -> supernet -> evolution -> fine-tune -> int8 -> verify -> card.

Every stage is a function the CLI's single-stage commands reuse. The final
model is compiled with the code generator's own planner (not the search's
fast strategy) and must fit the board; it is checked bit-exact on the host
(generated C == NumPy reference == TF Lite Micro) and, when the board is an
emulated one and QEMU plus the Arm toolchain are present, on the emulated
board against TF Lite Micro.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import space as S
from .memory import Budget, budget_for, check
from .search import SearchConfig, evolve, optimize_space


@dataclass
class RunConfig:
    board: str = "netduinoplus2"
    dataset: str = "mnist"
    name: str | None = None
    out_dir: str = "models"
    work_dir: str | None = None  # checkpoints (default: <out_dir>/.nas-work/<name>)
    quick: bool = False
    seed: int = 0
    widths: tuple[float, ...] = (0.5, 0.75, 1.0)
    resolutions: tuple[int, ...] = (12, 16, 20)
    space_samples: int = 100
    supernet_epochs: int = 3
    finetune_epochs: int = 2
    batch_size: int = 64
    lr: float = 0.05
    limit: int | None = 3000
    search: SearchConfig = field(default_factory=lambda: SearchConfig(population=16, generations=4))
    val_limit: int = 300
    calib_images: int = 256
    verify_inputs: int = 3
    verify_board: bool = True
    baseline: bool = True
    threads: int = 1
    stem_stride: int | None = None  # override the backbone's (2: inputs upsampled to 64-128 px, as in the zoo)
    n_random: int = 2  # random subnets per sandwich step (besides the largest and the smallest)

    @classmethod
    def quick_config(cls, **kw) -> RunConfig:
        base = dict(quick=True, widths=(0.5, 1.0), resolutions=(12, 16), space_samples=20, supernet_epochs=4,
                    finetune_epochs=2, limit=1200, search=SearchConfig(population=6, generations=2), val_limit=100,
                    calib_images=64, verify_inputs=2)
        base.update(kw)
        return cls(**base)

    def backbone(self, in_channels: int, num_classes: int) -> S.Backbone:
        from dataclasses import replace

        bb = S.QUICK_BACKBONE if self.quick else S.DEFAULT_BACKBONE
        bb = replace(bb, in_channels=in_channels, num_classes=num_classes)
        return replace(bb, stem_stride=self.stem_stride) if self.stem_stride else bb


def _log(msg: str) -> None:
    print(msg, flush=True)


def _dataset_meta(name: str) -> tuple[int, int]:
    from .data import load_dataset

    d = load_dataset(name, 8, limit=64)
    n_cls = int(max(d.y_train.max(), d.y_test.max(), d.y_val.max())) + 1
    if name in ("mnist", "digits"):
        n_cls = 10
    return d.channels, n_cls


def baseline_arch(bb: S.Backbone, budget: Budget, resolution: int, max_width: float,
                  resolutions: tuple[int, ...] = ()) -> S.Arch | None:
    """Hand-scaled MobileNetV2: 3x3 kernels, expand 6 (the space's largest), deepest stages;
    the width multiplier shrinks in 0.05 steps from the largest candidate until the model fits.
    When no width >= 0.2 fits at the searched resolution (channel counts stop shrinking at
    4, so the high-resolution activations do not), the next lower candidate resolution is
    tried, as someone scaling MobileNetV2 by hand would do."""
    n = len(bb.stages) * bb.max_depth
    for r in [resolution] + sorted((x for x in resolutions if x < resolution), reverse=True):
        w = max_width
        while w >= 0.2 - 1e-9:
            a = S.Arch(round(w, 2), r, [min(bb.kernels)] * n, [max(bb.expands)] * n,
                       [max(bb.depths)] * len(bb.stages))
            if check(a, bb, budget).fits:
                return a
            w -= 0.05
    return None


def train_baseline(cfg: RunConfig, bb: S.Backbone, budget: Budget, resolution: int, data, tcfg, name: str,
                   log=_log) -> dict:
    """The hand-scaled MobileNetV2 for the same budget, trained from scratch for the supernet +
    fine-tune epochs on the same split (resized to its own resolution) and quantized the same way."""
    from .data import load_dataset
    from .train import TrainConfig, train

    ba = baseline_arch(bb, budget, resolution, max(cfg.widths), tuple(cfg.resolutions))
    if ba is None:
        return {"status": "no MobileNetV2 width >= 0.2 fits at any candidate resolution"}
    if ba.resolution != resolution:
        data = load_dataset(cfg.dataset, ba.resolution, seed=cfg.seed, limit=cfg.limit)
    bcfg = TrainConfig(**{**asdict(tcfg), "width": ba.width, "resolution": ba.resolution,
                          "epochs": cfg.supernet_epochs + cfg.finetune_epochs,
                          "arch": ba.to_dict(), "checkpoint": None, "init": None})
    bmodel = train(bcfg, data, log=lambda m: log("      " + m))
    _, bf, bi, _ = finalize(bmodel, ba, bb, data, cfg, name + "_baseline")
    bm = check(ba, bb, budget, strategy="default")
    log(f"      baseline w{ba.width} r{ba.resolution}: float {bf:.4f}, int8 {bi:.4f}")
    return {"arch": ba.to_dict(), "width": ba.width, "resolution": ba.resolution,
            "accuracy": bi, "accuracy_float": bf, "macs": bm.macs, "params": S.params(ba, bb),
            "peak_sram_bytes": bm.arena_bytes, "flash_bytes": bm.flash_bytes,
            "training": f"from scratch, {bcfg.epochs} epochs (supernet + fine-tune epochs), batch {bcfg.batch_size}"}


def finalize(model, arch: S.Arch, bb: S.Backbone, data, cfg: RunConfig, name: str):
    """Recalibrate BN, fold, PTQ int8, write bytes; returns (bytes, float_acc, int8_acc, folded float acc)."""
    from ..tflite.writer import write_model
    from .data import to_tensor
    from .export import float_folded_accuracy, int8_accuracy, to_int8_graph
    from .supernet import recalibrate_bn
    from .train import evaluate

    xs = to_tensor(data.x_train[:512])
    recalibrate_bn(model, arch, [xs[i:i + 64] for i in range(0, len(xs), 64)])
    acc_float = evaluate(model, arch, data.x_test, data.y_test)
    folded = model.folded_layers(arch)
    acc_folded = float_folded_accuracy(arch, bb, folded, data.x_test, data.y_test)
    graph = to_int8_graph(arch, bb, folded, data.x_train[:cfg.calib_images], name=name)
    blob = write_model(graph)
    acc_int8 = int8_accuracy(blob, data.x_test, data.y_test)
    return blob, acc_float, acc_int8, acc_folded


def verify_on_board(path: Path, board: str, data, n: int = 2) -> dict:
    """Outputs of the emulated board == TF Lite Micro on real test images (skipped when impossible)."""
    from .. import boards
    from ..oracle import run_tflm

    b = boards.BOARDS.get(board)
    if b is None or not b.emulated:
        return {"status": "skipped", "why": f"{board} is not an emulated board"}
    import shutil

    if not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        return {"status": "skipped", "why": "qemu-system-arm or arm-none-eabi-gcc missing"}
    try:
        from ..device.harness import run_on_board
    except ImportError as e:
        return {"status": "skipped", "why": f"mcuflow.device unavailable: {e}"}
    blob = path.read_bytes()
    checked = 0
    for i in range(n):
        q = (data.x_test[i:i + 1].astype(np.int16) - 128).astype(np.int8)
        got = run_on_board(str(path), b, inputs=[q])
        want = run_tflm(blob, [q]).outputs[0]
        if not np.array_equal(np.asarray(got.outputs[0]).reshape(want.shape), want):
            return {"status": "MISMATCH", "image": i, "board": got.outputs[0].tolist(), "tflm": want.tolist()}
        checked += 1
    return {"status": "bit-exact", "inputs": checked, "instructions": got.instructions,
            "latency_ms": round(got.latency_ms, 3), "stack_bytes": got.stack_bytes}


def run(cfg: RunConfig, log=_log) -> dict:
    import torch

    from ..codegen import compile_model
    from ..verify.host import verify_model
    from .data import load_dataset
    from .train import TrainConfig, evaluate, train

    t0 = time.time()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    budget = budget_for(cfg.board)
    name = cfg.name or f"tinynas_{cfg.board}"
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(cfg.work_dir) if cfg.work_dir else out / ".nas-work" / name
    work.mkdir(parents=True, exist_ok=True)
    in_ch, n_cls = _dataset_meta(cfg.dataset)
    bb = cfg.backbone(in_ch, n_cls)
    log(f"[1/6] search-space optimization for {budget.name}: {budget.sram_bytes} B SRAM, "
        f"{budget.flash_bytes} B flash for the model")
    spaces = [S.SpaceChoice(w, r) for w in cfg.widths for r in cfg.resolutions]
    t = time.time()
    plot = out / f"{name}_spaces.png"
    sp, stats = optimize_space(bb, budget, spaces, cfg.space_samples, cfg.seed, plot=str(plot))
    n_checks = cfg.space_samples * len(spaces)
    checks_per_min = n_checks / max(time.time() - t, 1e-9) * 60
    log(f"      chose {sp.key} ({n_checks} memory checks, {checks_per_min:,.0f}/min); CDFs in {plot}")

    data = load_dataset(cfg.dataset, sp.resolution, seed=cfg.seed, limit=cfg.limit)
    tcfg = TrainConfig(dataset=cfg.dataset, width=sp.width, resolution=sp.resolution, backbone=bb.to_dict(),
                       epochs=cfg.supernet_epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed,
                       limit=cfg.limit, checkpoint=str(work / f"supernet_{sp.key}_s{bb.stem_stride}.pt"),
                       threads=cfg.threads, n_random=cfg.n_random)
    log(f"[2/6] supernet training: {len(data.y_train)} images, {cfg.supernet_epochs} epochs (sandwich rule)")
    supernet = train(tcfg, data, log=lambda m: log("      " + m))
    supernet_state = {k: v.clone() for k, v in supernet.state_dict().items()}
    torch.save(supernet_state, work / f"supernet_{sp.key}_s{bb.stem_stride}_weights.pt")

    log(f"[3/6] evolutionary search (population {cfg.search.population}, {cfg.search.generations} generations)")
    xv, yv = data.x_val[:cfg.val_limit], data.y_val[:cfg.val_limit]

    def acc_fn(a: S.Arch) -> float:
        return evaluate(supernet, a, xv, yv, calib=data.x_train, calib_batches=2)

    res = evolve(bb, sp, budget, acc_fn, cfg.search, log=lambda m: log("      " + m))
    arch = res.best.arch
    log(f"      best {arch.key()} val {res.best.acc:.4f}, {res.best.macs / 1e6:.2f} MMACs "
        f"({res.evaluated} evaluated, {res.memory_checks} memory checks, {res.rejected} rejected)")

    log(f"[4/6] fine-tune {cfg.finetune_epochs} epochs, PTQ int8 per-channel, export")
    init = work / "init.pt"
    torch.save(supernet_state, init)
    ft = TrainConfig(**{**asdict(tcfg), "epochs": cfg.finetune_epochs, "lr": cfg.lr * 0.2, "arch": arch.to_dict(),
                        "init": str(init), "checkpoint": None})
    model = train(ft, data, log=lambda m: log("      " + m)) if cfg.finetune_epochs else supernet
    blob, acc_float, acc_int8, acc_folded = finalize(model, arch, bb, data, cfg, name)
    path = out / f"{name}.tflite"
    path.write_bytes(blob)
    log(f"      held-out accuracy: float {acc_float:.4f}, int8 {acc_int8:.4f} -> {path}")

    log("[5/6] fits-board check (code generator's planner) and bit-exact verification")
    gen = compile_model(blob, name=name)
    rep = gen.report
    arena, flash_w = int(rep["arena_bytes"]), int(rep["flash_weights_bytes"])
    budget.require(name, arena, flash_w)
    vr = verify_model(blob, n_inputs=cfg.verify_inputs, seed=cfg.seed)
    host = {"status": "bit-exact", "inputs": vr.n_inputs, "ops": vr.ops, "compared_tensors": vr.compared_tensors}
    log(f"      fits: arena {arena} B <= {budget.sram_bytes} B, weights {flash_w} B <= {budget.flash_bytes} B; "
        f"host bit-exact on {vr.n_inputs} inputs ({vr.compared_tensors} tensors)")
    board_check = verify_on_board(path, cfg.board, data) if cfg.verify_board else {"status": "not requested"}
    log(f"      emulated board: {board_check}")

    baseline = None
    if cfg.baseline:
        log("[6/6] baseline: hand-scaled MobileNetV2 trained the same way")
        baseline = train_baseline(cfg, bb, budget, sp.resolution, data, tcfg, name, log)

    card = {
        "name": name,
        "board": budget.name,
        "board_is_registered": budget.registered,
        "budget": {"board_sram_bytes": budget.board_sram, "model_sram_bytes": budget.sram_bytes,
                   "model_flash_bytes": budget.flash_bytes},
        "accuracy": acc_int8,
        "accuracy_float": acc_float,
        "accuracy_float_bn_folded": acc_folded,
        "macs": int(rep["macs"]),
        "params": S.params(arch, bb),
        "peak_sram_bytes": arena,
        "flash_bytes": flash_w,
        "model_bytes": len(blob),
        "dataset": {**data.summary(), "source": cfg.dataset, "split_seed": cfg.seed,
                    "accuracy_on": "test (held out; never used for search or calibration)"},
        "arch": arch.to_dict(),
        "backbone": bb.to_dict(),
        "quantization": "int8 PTQ: per-channel symmetric weights, per-tensor asymmetric activations "
                        f"calibrated on {cfg.calib_images} training images",
        "search": {
            "space_candidates": [s.to_dict() for s in stats],
            "space_chosen": {"width": sp.width, "resolution": sp.resolution},
            "space_samples": cfg.space_samples,
            "memory_checks_per_min": round(checks_per_min),
            "supernet_epochs": cfg.supernet_epochs,
            "finetune_epochs": cfg.finetune_epochs,
            "sandwich_random_subnets": tcfg.n_random,
            "batch_size": cfg.batch_size,
            "evolution": {**cfg.search.to_dict(), "history": res.history, "evaluated": res.evaluated,
                          "memory_checks": res.memory_checks, "rejected": res.rejected,
                          "val_accuracy_supernet": res.best.acc},
            "quick": cfg.quick,
            "images_used": cfg.limit,
        },
        "verification": {"host": host, "emulated_board": board_check},
        "baseline_mobilenetv2": baseline,
        "seconds": round(time.time() - t0, 1),
    }
    card_path = out / f"{name}.json"
    card_path.write_text(json.dumps(card, indent=1))
    log(f"done in {card['seconds']} s: {path}, {card_path}")
    return card
