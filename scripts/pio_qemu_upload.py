#!/usr/bin/env python3
"""`pio run -e <emulated env> -t upload`: run the firmware in QEMU and show the result.

Starts QEMU with -icount through the mcuflow harness, sends a random input
(or --input FILE.npy), and prints the output, the prediction, the instruction
count (and the time at the real board's clock), the stack high-water mark and
the arena. Checks the output against the NumPy reference when the model is known.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from mcuflow.boards import get_board
from mcuflow.device.build import Firmware, elf_sizes
from mcuflow.device.harness import PreparedModel, format_result, reference_outputs, run_firmware
from mcuflow.errors import McuflowError


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", required=True)
    ap.add_argument("--elf", required=True)
    ap.add_argument("--model-dir", required=True, help="the generated model ($BUILD_DIR/model)")
    ap.add_argument("--model", help="custom_model (for the reference check)")
    ap.add_argument("--port", help="serial URL instead of starting QEMU")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        board = get_board(args.board)
        elf = Path(args.elf)
        fw = Firmware(elf, board, *elf_sizes(elf))
        model_dir = Path(args.model_dir)
        pm = PreparedModel(model_dir, json.loads((model_dir / "report.json").read_text()), None)
        if not args.model and (model_dir / ".source").exists():
            args.model = (model_dir / ".source").read_text().strip()
        if args.model:
            try:
                from mcuflow.codegen import load

                spec = args.model
                if spec.startswith("factory:"):
                    from mcuflow.factory import build

                    pm.graph = build(spec.split(":", 1)[1])
                else:
                    path = Path(spec) if Path(spec).is_absolute() else Path(__file__).resolve().parents[1] / spec
                    if not path.is_dir():
                        pm.graph, _ = load(path)
            except Exception as e:  # the run still works without the reference
                print(f"(no reference check: {e})")
        res = run_firmware(fw, pm, None, port=args.port, seed=args.seed)
        d = res.to_json()
        d["macs"] = int(pm.report.get("macs", res.macs))
        d["prediction"] = int(np.argmax(res.outputs[0])) if res.outputs else None
        if pm.graph is not None:
            from mcuflow.device.harness import _make_inputs

            inputs = _make_inputs(pm, None, None, args.seed)  # type: ignore[arg-type]
            ref = reference_outputs(pm.graph, inputs)
            d["matches_reference"] = all(a.tobytes() == np.asarray(w).tobytes() for a, w in zip(res.outputs, ref))
        print(format_result(res, d))
        return 0 if d.get("matches_reference", True) else 1
    except McuflowError as e:
        print(f"mcuflow: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
