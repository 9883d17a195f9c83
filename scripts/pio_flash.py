#!/usr/bin/env python3
"""`pio run -e <real board> -t upload`: flash the firmware with OpenOCD.

STM32 boards are flashed through their on-board ST-LINK; the Nano 33 BLE and
the Pico need an SWD probe speaking CMSIS-DAP (a second Pico as picoprobe, a
DAPLink). The Nano's image starts at 0x10000, above Arduino's bootloader, which
stays intact. The Pico image runs from SRAM: it is loaded, and the core starts
at its reset handler with the stack from its vector table.

Then measure it: `mcuflow run MODEL --board <board>` (the port is found) or
`nox -s bench -- --board <board>`.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
from pathlib import Path

OPENOCD_ARGS = {
    "disco_f746ng": ["-f", "board/stm32f746g-disco.cfg"],
    "nucleo_f411re": ["-f", "board/st_nucleo_f4.cfg"],
    "nucleo_h743zi": ["-f", "board/st_nucleo_h743zi.cfg"],
    "nucleo_l4r5zi": ["-f", "board/st_nucleo_l4.cfg"],
    "nano33ble": ["-f", "interface/cmsis-dap.cfg", "-c", "transport select swd", "-f", "target/nrf52.cfg"],
    "pico": ["-f", "interface/cmsis-dap.cfg", "-f", "target/rp2040.cfg", "-c", "adapter speed 5000"],
}
RAM_IMAGES = {"pico"}


def ram_entry(elf: Path) -> tuple[int, int]:
    """(initial SP, reset handler) from the vector table at the start of the first loaded segment."""
    data = elf.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1:
        raise SystemExit(f"{elf}: not a 32-bit ELF")
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for k in range(phnum):
        p_type, p_offset, _vaddr, _paddr, p_filesz = struct.unpack_from("<IIIII", data, phoff + k * phentsize)
        if p_type == 1 and p_filesz >= 8:  # PT_LOAD
            sp, reset = struct.unpack_from("<II", data, p_offset)
            return sp, reset & ~1
    raise SystemExit(f"{elf}: no loadable segment")


def command(board: str, elf: Path) -> list[str]:
    args = ["openocd", *OPENOCD_ARGS[board]]
    if board in RAM_IMAGES:
        sp, pc = ram_entry(elf)
        script = (f"init; reset halt; load_image {{{elf}}}; verify_image {{{elf}}}; "
                  f"reg sp {sp:#x}; reg pc {pc:#x}; resume; exit")
    else:
        script = f"program {{{elf}}} verify reset exit"
    return args + ["-c", script]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", required=True, choices=sorted(OPENOCD_ARGS))
    ap.add_argument("--elf", required=True)
    ap.add_argument("--dry-run", action="store_true", help="print the OpenOCD command only")
    args = ap.parse_args(argv)
    cmd = command(args.board, Path(args.elf))
    print(" ".join(cmd), flush=True)
    if args.dry_run:
        return 0
    if shutil.which("openocd") is None:
        print("OpenOCD is not installed: run `sudo apt-get install openocd` (or flash the .elf/.bin with your "
              "board's own tool), then `mcuflow run MODEL --board " + args.board + "`", file=sys.stderr)
        return 1
    rc = subprocess.call(cmd)
    if rc == 0:
        print(f"flashed {args.board}; measure it with: mcuflow run MODEL --board {args.board} "
              f"(or nox -s bench -- --board {args.board})")
    return rc


if __name__ == "__main__":
    sys.exit(main())
