"""Builds the firmware for one model and one board with arm-none-eabi-gcc directly.

This is the path tests and ``mcuflow run`` use (no PlatformIO start-up, object
cache keyed by content); ``pio run -e <board>`` builds the same sources with the
same flags through platforms/mcuflow-arm.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import DoesNotFitError, McuflowError

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"
TINYENGINE = REPO / "lib" / "TinyEngine"
GCC = "arm-none-eabi-gcc"

COMMON_CFLAGS = [
    "-std=c99",
    "-O2",
    "-g",
    "-Wall",
    "-Wextra",
    "-ffunction-sections",
    "-fdata-sections",
    "-fno-common",
]
LINK_FLAGS = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"]


class BuildError(McuflowError):
    """The compiler or linker failed."""


@dataclass
class Firmware:
    elf: Path
    board: Board
    text_bytes: int
    data_bytes: int
    bss_bytes: int

    @property
    def flash_bytes(self) -> int:
        return self.text_bytes + self.data_bytes


def cache_dir() -> Path:
    root = os.environ.get("MCUFLOW_CACHE") or Path.home() / ".cache" / "mcuflow"
    return Path(root)


def have_toolchain() -> bool:
    return shutil.which(GCC) is not None


def firmware_sources(board: Board) -> list[Path]:
    srcs = sorted((FIRMWARE / "app").glob("*.c"))
    srcs += sorted((FIRMWARE / "boards" / "common").glob("*.c"))
    srcs += sorted((FIRMWARE / "boards" / board.name).glob("*.c"))
    return srcs


def tinyengine_sources() -> list[Path]:
    return sorted((TINYENGINE / "src").rglob("*.c"))


def model_sources(model_dir: Path) -> list[Path]:
    return sorted(Path(model_dir).glob("*.c"))


def board_cflags(board: Board) -> list[str]:
    return board.cpu_flags + COMMON_CFLAGS + list(board.extra_cflags)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"{' '.join(cmd[:1])} failed:\n{r.stderr.strip()}")


def _headers(dirs: list[Path]) -> list[Path]:
    out = []
    for d in dirs:
        out += [p for p in Path(d).rglob("*.h")]
    return out


def build_firmware(model_dir: Path | str, board: Board, build_dir: Path | str | None = None,
                   extra_cflags: list[str] | tuple[str, ...] = ()) -> Firmware:
    """Compile firmware + TinyEngine + the generated model in ``model_dir``; link for ``board``.

    The link uses the board's linker script, which carries the real chip's
    SRAM/flash sizes: a model too big for the board fails here with ld's
    byte count (callers check the report first with boards.check_fit).
    ``extra_cflags`` (e.g. ``-DMODEL_PROFILE``, ``-DTE_FORCE_PORTABLE``) go to every compile.
    """
    if not have_toolchain():
        raise BuildError(f"{GCC} not found on PATH (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    model_dir = Path(model_dir)
    build_dir = Path(build_dir) if build_dir else cache_dir() / "firmware" / board.name
    obj_dir = cache_dir() / "objects" / board.name
    obj_dir.mkdir(parents=True, exist_ok=True)
    build_dir.mkdir(parents=True, exist_ok=True)

    inc_dirs = [FIRMWARE / "boards" / "common", FIRMWARE / "app", model_dir, TINYENGINE / "include", TINYENGINE / "src"]
    includes = [f"-I{d}" for d in inc_dirs]
    cflags = board_cflags(board) + list(extra_cflags)
    lib_digest = _digest(_headers([TINYENGINE]))
    all_digest = _digest(_headers(inc_dirs))

    jobs = []
    for src in firmware_sources(board) + model_sources(model_dir):
        jobs.append((src, all_digest))
    for src in tinyengine_sources():
        jobs.append((src, lib_digest))

    def compile_one(job: tuple[Path, str]) -> Path:
        src, hdr = job
        key = hashlib.sha256(("\0".join(cflags + includes) + hdr + str(src)).encode() + src.read_bytes()).hexdigest()
        obj = obj_dir / f"{src.stem}-{key[:20]}.o"
        if not obj.exists():
            tmp = obj.with_suffix(f".{os.getpid()}.tmp")
            _run([GCC, *cflags, *includes, "-c", str(src), "-o", str(tmp)])
            tmp.replace(obj)
        return obj

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        objs = list(pool.map(compile_one, jobs))

    # The ELF is named by what went into it and linked under a temporary name: concurrent builds that share
    # a build directory (two checkouts, or pytest workers, building one model) never run each other's image.
    link = [*board.cpu_flags, *LINK_FLAGS, f"-L{FIRMWARE / 'boards' / 'common'}", "-T",
            str(FIRMWARE / "boards" / board.name / "link.ld"), f"-Wl,--defsym=__stack_size={board.stack_bytes}"]
    ld_text = b"".join(p.read_bytes() for p in sorted((FIRMWARE / "boards").rglob("*.ld")))
    key = hashlib.sha256("\0".join(link + [o.name for o in objs]).encode() + ld_text).hexdigest()[:16]
    elf = build_dir / f"firmware-{key}.elf"
    tmp_elf = elf.with_suffix(f".{os.getpid()}.tmp")
    cmd = [GCC, *link, f"-Wl,-Map={build_dir / f'firmware-{key}.map'}", *map(str, objs), "-o", str(tmp_elf)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 0:
        tmp_elf.replace(elf)
    if r.returncode != 0:
        m = re.search(r"region `(\w+)' overflowed by (\d+) bytes", r.stderr)
        if m:
            raise DoesNotFitError(
                f"firmware for {board.name} does not fit: {m.group(1)} overflowed by {m.group(2)} bytes "
                f"(SRAM {board.sram_bytes} B, flash {board.flash_bytes} B)"
            )
        raise BuildError(f"link failed:\n{r.stderr.strip()}")
    text, data, bss = elf_sizes(elf)
    return Firmware(elf, board, text, data, bss)


def elf_sizes(elf: Path) -> tuple[int, int, int]:
    r = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(x) for x in r.stdout.splitlines()[1].split()[:3])
    return text, data, bss
