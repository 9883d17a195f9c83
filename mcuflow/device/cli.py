"""`mcuflow run` and `mcuflow bench`: registered by mcuflow.cli's plugin hook."""

from __future__ import annotations

import argparse
import json


def cmd_run(args) -> int:
    from .harness import format_result, run_model

    res, d = run_model(args.model, args.board, port=args.port, seed=args.seed, flash=not args.no_flash)
    prof = None
    if args.per_layer:
        from .profile import format_profile, profile_model

        prof = profile_model(args.model, args.board, seed=args.seed)
        d["per_layer"] = prof.to_json()
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        print(format_result(res, d))
        if prof is not None:
            print()
            print(format_profile(prof))
    return 0 if d.get("matches_reference", True) else 1


def cmd_bench_per_layer(args, models) -> int:
    from ..factory import MODELS, build
    from .harness import default_bench_models
    from .profile import format_profile, profile_model

    if models is None:
        models = default_bench_models() or [build(n) for n in MODELS]
    boards = args.board or ["mps2_an386", "mps2_an500"]
    out = []
    for m in models:
        for b in boards:
            try:
                p = profile_model(m, b, name=getattr(m, "name", None))
            except Exception as e:  # noqa: BLE001  (a model that does not fit one board)
                print(f"{getattr(m, 'name', m)} on {b}: {e}".splitlines()[0])
                continue
            out.append(p.to_json())
            if not args.json:
                print(format_profile(p, layers=not args.summary))
                print()
    if args.json:
        print(json.dumps(out, indent=2))
    if args.json_out:
        from pathlib import Path

        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0 if all(r["matches_reference"] for r in out) else 1


def cmd_bench(args) -> int:
    from .harness import bench, format_bench

    models = args.models or None
    if models is None and args.factory:
        from ..factory import MODELS, build

        models = [build(n) for n in MODELS]
    if args.per_layer:
        return cmd_bench_per_layer(args, models)
    rows = bench(models, boards=args.board or None, port=args.port, json_out=args.json_out)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_bench(rows))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("run", help="build the firmware, run one inference on a board or its emulator")
    s.add_argument("model")
    s.add_argument("--board", required=True, help="board name (see mcuflow.boards)")
    s.add_argument("--port", help="serial URL of a connected board (/dev/ttyACM0, socket://host:port)")
    s.add_argument("--seed", type=int, default=0, help="seed of the random input")
    s.add_argument("--no-flash", action="store_true",
                   help="a real board already runs this model's firmware: do not flash it (OpenOCD)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--per-layer", action="store_true",
                   help="emulated boards: instructions per layer, per MAC, and vs the portable C build")
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser("bench", help="models x boards: instructions or cycles, per MAC, arena, stack, flash")
    s.add_argument("models", nargs="*", help=".tflite files (default: models/*.tflite, else the factory)")
    s.add_argument("--board", action="append", help="board name; repeatable (default: emulated M4, M7, STM32F4)")
    s.add_argument("--factory", action="store_true", help="bench the factory models")
    s.add_argument("--port", help="serial URL of a connected board")
    s.add_argument("--json-out", help="also write the rows as JSON to this file")
    s.add_argument("--json", action="store_true")
    s.add_argument("--per-layer", action="store_true",
                   help="per-layer instructions, per MAC and DSP/portable ratio (default boards: emulated M4, M7)")
    s.add_argument("--summary", action="store_true", help="with --per-layer: totals per layer kind only")
    s.set_defaults(fn=cmd_bench)
