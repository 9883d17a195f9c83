"""`mcuflow run` and `mcuflow bench`: registered by mcuflow.cli's plugin hook."""

from __future__ import annotations

import argparse
import json


def cmd_run(args) -> int:
    from .harness import format_result, run_model

    res, d = run_model(args.model, args.board, port=args.port, seed=args.seed)
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        print(format_result(res, d))
    return 0 if d.get("matches_reference", True) else 1


def cmd_bench(args) -> int:
    from .harness import bench, format_bench

    models = args.models or None
    if models is None and args.factory:
        from ..factory import MODELS, build

        models = [build(n) for n in MODELS]
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
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser("bench", help="models x boards: instructions or cycles, per MAC, arena, stack, flash")
    s.add_argument("models", nargs="*", help=".tflite files (default: models/*.tflite, else the factory)")
    s.add_argument("--board", action="append", help="board name; repeatable (default: emulated M4, M7, STM32F4)")
    s.add_argument("--factory", action="store_true", help="bench the factory models")
    s.add_argument("--port", help="serial URL of a connected board")
    s.add_argument("--json-out", help="also write the rows as JSON to this file")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_bench)
