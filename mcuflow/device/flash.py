"""Flash a real board's firmware with OpenOCD (used by `pio run -t upload` and the harness).

STM32 boards are flashed through their on-board ST-LINK; the Nano 33 BLE and
the Pico need an SWD probe speaking CMSIS-DAP (a second Pico as picoprobe, a
DAPLink). The Nano's image starts at 0x10000, above Arduino's bootloader, which
stays intact. The Pico image runs from SRAM: it is loaded, and the core starts
at its reset handler with the stack from its vector table.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

from ..errors import McuflowError

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
        raise McuflowError(f"{elf}: not a 32-bit ELF")
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for k in range(phnum):
        p_type, p_offset, _vaddr, _paddr, p_filesz = struct.unpack_from("<IIIII", data, phoff + k * phentsize)
        if p_type == 1 and p_filesz >= 8:  # PT_LOAD
            sp, reset = struct.unpack_from("<II", data, p_offset)
            return sp, reset & ~1
    raise McuflowError(f"{elf}: no loadable segment")


def command(board: str, elf: Path) -> list[str]:
    args = ["openocd", *OPENOCD_ARGS[board]]
    if board in RAM_IMAGES:
        sp, pc = ram_entry(elf)
        script = (f"init; reset halt; load_image {{{elf}}}; verify_image {{{elf}}}; "
                  f"reg sp {sp:#x}; reg pc {pc:#x}; resume; exit")
    else:
        script = f"program {{{elf}}} verify reset exit"
    return args + ["-c", script]


def flash(board: str, elf: Path | str) -> None:
    """Flash ``elf`` to the connected ``board``; a clear error when OpenOCD or the probe is missing."""
    if board not in OPENOCD_ARGS:
        raise McuflowError(f"{board}: no flashing recipe (boards: {', '.join(sorted(OPENOCD_ARGS))})")
    if shutil.which("openocd") is None:
        raise McuflowError(f"flashing {board} needs OpenOCD: run `sudo apt-get install openocd` "
                           "(or flash the firmware with your own tool and pass --no-flash)")
    r = subprocess.run(command(board, Path(elf)), capture_output=True, text=True)
    if r.returncode != 0:
        tail = " ".join(r.stderr.strip().splitlines()[-3:])
        raise McuflowError(f"OpenOCD could not flash {board} (is it connected?): {tail}")
