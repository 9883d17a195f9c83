"""Instructions per firmware function for one inference on an emulated board.

    python scripts/qemu_profile.py MODEL.tflite --board mps2_an500 [--top 30]

Runs ``mcuflow run`` with QEMU logging every translated block (``in_asm``) and
every block executed (``exec,nochain``), then charges each execution the
block's instruction count under the symbol QEMU printed for it. Exact for the
guest instructions (no sampling); counts include the serial I/O around the
inference, so compare kernels, not totals. The per-layer counts that
``mcuflow run --per-layer`` prints are the figures to report; this says where
inside a layer they go.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_IN = re.compile(r"^IN:\s*(\S*)")
_INSN = re.compile(r"^0x([0-9a-f]+):")
_TRACE = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")


def profile(log: Path) -> collections.Counter:
    """Instructions per symbol in a QEMU ``-d in_asm,exec,nochain`` log."""
    size: dict[int, tuple[str, int]] = {}
    per_symbol: collections.Counter = collections.Counter()
    block_pc, block_sym, block_n = None, "", 0
    with open(log, errors="replace") as f:
        for line in f:
            m = _TRACE.match(line)
            if m:
                sym, n = size.get(int(m.group(1), 16), ("?", 0))
                per_symbol[sym] += n
                continue
            m = _IN.match(line)
            if m:
                block_pc, block_sym, block_n = None, m.group(1) or "?", 0
                continue
            m = _INSN.match(line)
            if m:
                if block_pc is None:
                    block_pc = int(m.group(1), 16)
                block_n += 1
                size[block_pc] = (block_sym, block_n)
    return per_symbol


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--board", default="mps2_an500")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--keep-log", help="keep the QEMU log at this path")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(args.keep_log or Path(tmp) / "qemu.log")
        env = dict(os.environ, MCUFLOW_QEMU_ARGS=f"-d in_asm,exec,nochain -D {log}")
        subprocess.run([sys.executable, "-m", "mcuflow.cli", "run", args.model, "--board", args.board], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        counts = profile(log)
    total = sum(counts.values())
    print(f"{'instructions':>14}  {'share':>6}  function")
    for sym, n in counts.most_common(args.top):
        print(f"{n:>14,}  {n / total:6.3f}  {sym}")
    print(f"{total:>14,}  {1:6.3f}  (all, serial I/O included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
