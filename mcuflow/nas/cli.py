"""``mcuflow nas space|train|search|export|zoo|run`` (torch is imported only when a command needs it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _floats(s: str) -> tuple[float, ...]:
    return tuple(float(x) for x in s.split(","))


def _ints(s: str) -> tuple[int, ...]:
    return tuple(int(x) for x in s.split(","))


def _config(args):
    from .pipeline import RunConfig
    from .search import SearchConfig

    kw = {}
    for key in ("board", "dataset", "seed", "threads"):
        if getattr(args, key, None) is not None:
            kw[key] = getattr(args, key)
    for key in ("widths", "resolutions", "space_samples", "supernet_epochs", "finetune_epochs", "limit", "name",
                "out_dir", "work_dir", "stem_stride", "n_random", "batch_size", "val_limit"):
        v = getattr(args, key, None)
        if v is not None:
            kw[key] = v
    cfg = RunConfig.quick_config(**kw) if getattr(args, "quick", False) else RunConfig(**kw)
    if getattr(args, "population", None) or getattr(args, "generations", None):
        s = cfg.search
        cfg.search = SearchConfig(population=args.population or s.population,
                                  generations=args.generations or s.generations, seed=cfg.seed,
                                  max_latency_ms=getattr(args, "max_latency_ms", None))
    if getattr(args, "no_baseline", False):
        cfg.baseline = False
    if getattr(args, "no_board", False):
        cfg.verify_board = False
    return cfg


def _meta(cfg):
    from .pipeline import _dataset_meta

    return cfg.backbone(*_dataset_meta(cfg.dataset))


def cmd_space(args) -> int:
    from . import space as S
    from .memory import budget_for
    from .search import optimize_space

    cfg = _config(args)
    budget = budget_for(cfg.board)
    bb = _meta(cfg)
    spaces = [S.SpaceChoice(w, r) for w in cfg.widths for r in cfg.resolutions]
    sp, stats = optimize_space(bb, budget, spaces, cfg.space_samples, cfg.seed, plot=args.plot)
    result = {"board": budget.name, "sram_budget": budget.sram_bytes, "flash_budget": budget.flash_bytes,
              "chosen": {"width": sp.width, "resolution": sp.resolution},
              "spaces": [s.to_dict() for s in stats], "plot": args.plot}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for s in stats:
            mark = "  <- chosen" if s.space == sp else ""
            print(f"{s.space.key:>12}: {s.fitting:>4}/{s.sampled} fit, mean {s.mean_macs / 1e6:7.3f} MMACs{mark}")
        if args.plot:
            print(f"FLOPs CDFs: {args.plot}")
    return 0


def cmd_train(args) -> int:
    import torch

    from .train import TrainConfig, train

    cfg = _config(args)
    bb = _meta(cfg)
    tcfg = TrainConfig(dataset=cfg.dataset, width=args.width, resolution=args.resolution, backbone=bb.to_dict(),
                       epochs=args.epochs, seed=cfg.seed, limit=cfg.limit, checkpoint=args.checkpoint,
                       threads=cfg.threads, resume=not args.no_resume)
    if args.torchrun_config:
        Path(args.torchrun_config).write_text(json.dumps(tcfg.__dict__, indent=1))
        print(f"wrote {args.torchrun_config}; run: torchrun --nproc_per_node N -m mcuflow.nas.train "
              f"{args.torchrun_config} {args.output}")
        return 0
    model = train(tcfg)
    torch.save(model.state_dict(), args.output)
    print(f"supernet weights: {args.output}")
    return 0


def _load_supernet(path: str, bb, width: float):
    import torch

    from .supernet import SuperNet

    m = SuperNet(bb, width)
    state = torch.load(path, map_location="cpu", weights_only=False)
    m.load_state_dict(state.get("model", state) if isinstance(state, dict) and "model" in state else state)
    return m


def cmd_search(args) -> int:
    from . import space as S
    from .data import load_dataset
    from .memory import budget_for
    from .search import evolve
    from .train import evaluate

    cfg = _config(args)
    bb = _meta(cfg)
    budget = budget_for(cfg.board)
    sp = S.SpaceChoice(args.width, args.resolution)
    model = _load_supernet(args.supernet, bb, args.width)
    data = load_dataset(cfg.dataset, args.resolution, seed=cfg.seed, limit=cfg.limit)
    xv, yv = data.x_val[:cfg.val_limit], data.y_val[:cfg.val_limit]
    res = evolve(bb, sp, budget, lambda a: evaluate(model, a, xv, yv, calib=data.x_train, calib_batches=2),
                 cfg.search)
    out = {"arch": res.best.arch.to_dict(), "val_accuracy": res.best.acc, "arena_bytes": res.best.arena_bytes,
           "flash_bytes": res.best.flash_bytes, "macs": res.best.macs, "backbone": bb.to_dict(),
           "history": res.history}
    Path(args.output).write_text(json.dumps(out, indent=1))
    print(f"best subnet (val {res.best.acc:.4f}, {res.best.macs / 1e6:.2f} MMACs): {args.output}")
    return 0


def cmd_export(args) -> int:
    from . import space as S
    from .data import load_dataset
    from .pipeline import finalize

    cfg = _config(args)
    found = json.loads(Path(args.arch).read_text())
    arch = S.Arch.from_dict(found["arch"])
    bb = S.Backbone.from_dict(found["backbone"])
    model = _load_supernet(args.supernet, bb, arch.width)
    data = load_dataset(cfg.dataset, arch.resolution, seed=cfg.seed, limit=cfg.limit)
    blob, acc_f, acc_q, _ = finalize(model, arch, bb, data, cfg, Path(args.output).stem)
    Path(args.output).write_bytes(blob)
    print(f"{args.output}: held-out accuracy float {acc_f:.4f}, int8 {acc_q:.4f}")
    if args.verify:
        from ..verify.host import verify_model

        r = verify_model(blob, n_inputs=3)
        print(f"bit-exact on the host: {r.n_inputs} inputs, {r.compared_tensors} tensors")
    return 0


def cmd_run(args) -> int:
    from .pipeline import run

    card = run(_config(args))
    if args.json:
        print(json.dumps(card, indent=1))
    return 0


def _common(p: argparse.ArgumentParser, board_default: str | None = "netduinoplus2") -> None:
    p.add_argument("--board", default=board_default, help="board (mcuflow.boards) or generic_64k")
    p.add_argument("--dataset", default="mnist", help="mnist | digits | PATH.npz | image folder")
    p.add_argument("--quick", action="store_true", help="tiny settings that finish in minutes on 2 cores")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--limit", type=int, default=None, help="use only this many images")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--widths", type=_floats, default=None, help="candidate width multipliers, e.g. 0.5,0.75,1.0")
    p.add_argument("--resolutions", type=_ints, default=None, help="candidate resolutions, e.g. 12,16,20")
    p.add_argument("--stem-stride", type=int, default=None,
                   help="override the backbone's stem stride (2 for inputs upsampled to 64-128 px)")


def cmd_zoo(args) -> int:
    from .zoo import refresh, table

    if args.refresh:
        for line in refresh(args.models_dir) or ["every card already matches the compiler"]:
            print(line)
    print(table(args.models_dir))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    nas = sub.add_parser("nas", help="TinyNAS: search, train and export models that fit a board")
    ns = nas.add_subparsers(dest="nas_command", required=True)

    p = ns.add_parser("space", help="search-space optimization: FLOPs CDFs of (width, resolution) spaces")
    _common(p)
    p.add_argument("--space-samples", type=int, default=None)
    p.add_argument("--plot", default=None, help="write the CDF plot (PNG) here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_space)

    p = ns.add_parser("train", help="train a weight-sharing supernet (sandwich rule; resumable)")
    _common(p)
    p.add_argument("--width", type=float, required=True)
    p.add_argument("--resolution", type=int, required=True)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--checkpoint", default=None, help="resumable checkpoint path")
    p.add_argument("--no-resume", action="store_true")
    p.add_argument("-o", "--output", default="supernet.pt")
    p.add_argument("--torchrun-config", default=None,
                   help="only write a JSON config for `torchrun -m mcuflow.nas.train CONFIG OUT`")
    p.set_defaults(fn=cmd_train)

    p = ns.add_parser("search", help="evolutionary search under the board's SRAM/flash (planner in the loop)")
    _common(p)
    p.add_argument("--supernet", required=True)
    p.add_argument("--width", type=float, required=True)
    p.add_argument("--resolution", type=int, required=True)
    p.add_argument("--population", type=int, default=None)
    p.add_argument("--generations", type=int, default=None)
    p.add_argument("--max-latency-ms", type=float, default=None)
    p.add_argument("-o", "--output", default="arch.json")
    p.set_defaults(fn=cmd_search)

    p = ns.add_parser("export", help="PTQ int8 export of a found subnet to .tflite (our writer)")
    _common(p)
    p.add_argument("--supernet", required=True, help="weights (supernet or fine-tuned)")
    p.add_argument("--arch", required=True, help="arch.json from `nas search`")
    p.add_argument("--verify", action="store_true", help="also check bit-exact on the host")
    p.add_argument("-o", "--output", default="model.tflite")
    p.set_defaults(fn=cmd_export)

    p = ns.add_parser("zoo", help="the zoo's table; --refresh rewrites the cards' engine figures")
    p.add_argument("--models-dir", default="models")
    p.add_argument("--refresh", action="store_true",
                   help="recompile every zoo model and write its MACs, peak SRAM and flash back to its card")
    p.set_defaults(fn=cmd_zoo)

    p = ns.add_parser("run", help="everything: space, supernet, search, fine-tune, int8, verify, card")
    _common(p)
    p.add_argument("--name", default=None)
    p.add_argument("--out-dir", default=None, help="where the .tflite, card and plot go (default models/)")
    p.add_argument("--work-dir", default=None,
                   help="checkpoints; runs sharing it reuse a supernet already trained for the same space")
    p.add_argument("--space-samples", type=int, default=None)
    p.add_argument("--supernet-epochs", type=int, default=None)
    p.add_argument("--finetune-epochs", type=int, default=None)
    p.add_argument("--n-random", type=int, default=None, help="random subnets per sandwich step")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--val-limit", type=int, default=None, help="validation images scoring each candidate")
    p.add_argument("--population", type=int, default=None)
    p.add_argument("--generations", type=int, default=None)
    p.add_argument("--max-latency-ms", type=float, default=None)
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--no-board", action="store_true", help="skip the emulated-board check")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_run)
