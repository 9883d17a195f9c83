"""``mcuflow bench-memory``: registered by mcuflow.cli's plugin hook."""

from __future__ import annotations

import json


def cmd_bench_memory(args) -> int:
    from ..report.memory import bench_memory, format_bench

    rows = bench_memory(args.models or None, tflm=not args.no_tflm, patch=not args.no_patch)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_bench(rows))
    return 0


def register(sub) -> None:
    s = sub.add_parser("bench-memory",
                       help="peak SRAM per model: ours, greedy baseline, TF Lite Micro arena, lower bound, ratios")
    s.add_argument("models", nargs="*", help="factory model names or .tflite paths (default: every factory model)")
    s.add_argument("--no-tflm", action="store_true", help="skip asking TF Lite Micro for its arena")
    s.add_argument("--no-patch", action="store_true", help="skip the patch-based schedule columns")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_bench_memory)
