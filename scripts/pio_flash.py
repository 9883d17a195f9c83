#!/usr/bin/env python3
"""`pio run -e <real board> -t upload`: flash the firmware with OpenOCD (mcuflow.device.flash).

Then measure it: `mcuflow run MODEL --board <board>` (the port is found) or
`nox -s bench -- --board <board>`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcuflow.device.flash import OPENOCD_ARGS, command, flash
from mcuflow.errors import McuflowError


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", required=True, choices=sorted(OPENOCD_ARGS))
    ap.add_argument("--elf", required=True)
    ap.add_argument("--dry-run", action="store_true", help="print the OpenOCD command only")
    args = ap.parse_args(argv)
    print(" ".join(command(args.board, Path(args.elf))), flush=True)
    if args.dry_run:
        return 0
    try:
        flash(args.board, args.elf)
    except McuflowError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"flashed {args.board}; measure it with: mcuflow run MODEL --board {args.board} "
          f"(or nox -s bench -- --board {args.board})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
