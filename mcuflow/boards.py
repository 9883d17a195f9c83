"""Board registry: what the planner, the firmware build and the harness need to know.

Emulated boards are QEMU machines that carry the SRAM/flash budget of a real
board, so that "fits" means the same thing on the emulator and on the chip
(QEMU's MPS2 machines have 4 MB of RAM; a real Cortex-M7 board has 320 KB).

``sram_bytes``/``flash_bytes`` are the whole budget of the chip. The firmware
keeps ``stack_bytes`` and ``firmware_ram_bytes`` of SRAM and
``firmware_flash_bytes`` of flash for itself; a model fits when its arena and
weights fit in what is left (:func:`check_fit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .errors import DoesNotFitError, McuflowError

KiB = 1024
MiB = 1024 * 1024


@dataclass(frozen=True)
class Board:
    name: str  # registry key == PlatformIO env name == firmware/boards/<name>/
    description: str
    core: str  # "cortex-m4", "cortex-m7", "cortex-m55", "cortex-m0plus"
    fpu: str | None  # -mfpu value, None for soft float (or implied, M55)
    float_abi: str  # "hard" or "soft"
    dsp: bool
    sram_bytes: int
    flash_bytes: int
    clock_hz: int  # the real chip's core clock, used to turn cycles into time
    console: str  # "driver@base" of the console UART (documentation and Renode)
    counter: str  # "dwt" (cycles) or "systick" (ticks; instructions under QEMU icount)
    ram_origin: int = 0x20000000
    flash_origin: int = 0x08000000
    stack_bytes: int = 8 * KiB
    firmware_ram_bytes: int = 4 * KiB  # frame buffers and firmware statics
    firmware_flash_bytes: int = 48 * KiB  # firmware + TinyEngine code (a budget, checked after the link)
    qemu_machine: str | None = None
    qemu_counter_hz: int = 0  # SysTick clock of the QEMU machine (CLKSOURCE=core)
    icount_shift: int = 0  # -icount shift: 2^N ns per instruction
    renode_platform: str | None = None  # platforms/... .repl shipped with Renode
    stands_for: str | None = None  # the real board whose budget an emulated one carries
    extra_cflags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def emulated(self) -> bool:
        return self.qemu_machine is not None

    @property
    def cpu_flags(self) -> list[str]:
        flags = ["-mthumb", f"-mcpu={self.core}"]
        if self.fpu:
            flags.append(f"-mfpu={self.fpu}")
        flags.append(f"-mfloat-abi={self.float_abi}")
        return flags

    @property
    def model_ram_budget(self) -> int:
        return self.sram_bytes - self.stack_bytes - self.firmware_ram_bytes

    @property
    def model_flash_budget(self) -> int:
        return self.flash_bytes - self.firmware_flash_bytes

    def ticks_to_instructions(self, ticks: int) -> int:
        """SysTick ticks under ``-icount shift=N`` -> executed instructions."""
        return round(ticks * 1e9 / (self.qemu_counter_hz * (1 << self.icount_shift)))


_M4F = dict(core="cortex-m4", fpu="fpv4-sp-d16", float_abi="hard", dsp=True)
_M7 = dict(core="cortex-m7", fpu="fpv5-d16", float_abi="hard", dsp=True)

# The M7 budget board; mps2_an500_ssram below is the same machine without the budget.
_MPS2_AN500 = Board(
    "mps2_an500",
    "QEMU MPS2 AN500 (Cortex-M7) with the STM32F746G-DISCO budget",
    **_M7,
    sram_bytes=320 * KiB,
    flash_bytes=1 * MiB,
    clock_hz=216_000_000,
    console="cmsdk_uart@0x40004000",
    counter="systick",
    flash_origin=0x00000000,
    qemu_machine="mps2-an500",
    qemu_counter_hz=25_000_000,
    icount_shift=6,
    stands_for="disco_f746ng",
)

BOARDS: dict[str, Board] = {
    b.name: b
    for b in [
        # --- emulated (QEMU) ---
        Board(
            "mps2_an386",
            "QEMU MPS2 AN386 (Cortex-M4F) with the NUCLEO-L4R5ZI budget",
            **_M4F,
            sram_bytes=640 * KiB,
            flash_bytes=2 * MiB,
            clock_hz=120_000_000,
            console="cmsdk_uart@0x40004000",
            counter="systick",
            flash_origin=0x00000000,
            qemu_machine="mps2-an386",
            qemu_counter_hz=25_000_000,
            icount_shift=6,
            stands_for="nucleo_l4r5zi",
        ),
        _MPS2_AN500,
        # A measuring board, not a budget: the M7 of mps2_an500 with all of QEMU's SSRAM
        # (ssram23, 4 MB at 0x20000000; ssram1, 4 MB at 0x0, as flash), so that models above an
        # MCU's budget (MobileNetV2-size) get per-layer instruction counts on the M7. It stands
        # for no real board: a model that fits here may fit no chip.
        replace(
            _MPS2_AN500,
            name="mps2_an500_ssram",
            description="QEMU MPS2 AN500 (Cortex-M7) with all of its 4 MB SSRAM: kernel measurements for models above "
            "an MCU's budget",
            sram_bytes=4 * MiB,
            flash_bytes=4 * MiB,
            stands_for=None,
        ),
        Board(
            "mps3_an547",
            "QEMU MPS3 AN547 (Cortex-M55, MVE) with its 512 KB ITCM / 512 KB DTCM",
            core="cortex-m55",
            fpu=None,
            float_abi="hard",
            dsp=True,
            sram_bytes=512 * KiB,
            flash_bytes=512 * KiB,
            clock_hz=32_000_000,
            console="cmsdk_uart@0x49303000",
            counter="systick",
            flash_origin=0x00000000,
            qemu_machine="mps3-an547",
            qemu_counter_hz=32_000_000,
            icount_shift=5,
        ),
        Board(
            "netduinoplus2",
            "QEMU Netduino Plus 2 (STM32F405, Cortex-M4F): 128 KB main SRAM / 1 MB flash",
            **_M4F,
            sram_bytes=128 * KiB,
            flash_bytes=1 * MiB,
            clock_hz=168_000_000,
            console="stm32_usart@0x40011000",
            counter="systick",
            qemu_machine="netduinoplus2",
            qemu_counter_hz=168_000_000,
            icount_shift=3,
            renode_platform="platforms/cpus/stm32f4.repl",
        ),
        # --- real boards (compile here; run where a user has one) ---
        Board(
            "disco_f746ng",
            "STM32F746G-DISCO (Cortex-M7 216 MHz), console USART1 on the ST-LINK VCP",
            **_M7,
            sram_bytes=320 * KiB,
            flash_bytes=1 * MiB,
            clock_hz=16_000_000,
            console="stm32_usart_v2@0x40011000",
            counter="dwt",
            renode_platform="platforms/boards/stm32f7_discovery-bb.repl",
        ),
        Board(
            "nucleo_f411re",
            "NUCLEO-F411RE (Cortex-M4F 100 MHz), console USART2 on the ST-LINK VCP",
            **_M4F,
            sram_bytes=128 * KiB,
            flash_bytes=512 * KiB,
            clock_hz=16_000_000,
            console="stm32_usart@0x40004400",
            counter="dwt",
        ),
        Board(
            "nucleo_h743zi",
            "NUCLEO-H743ZI (Cortex-M7 480 MHz), console USART3 on the ST-LINK VCP; model in AXI SRAM",
            **_M7,
            sram_bytes=512 * KiB,
            flash_bytes=2 * MiB,
            clock_hz=64_000_000,
            console="stm32_usart_v2@0x40004800",
            counter="dwt",
            ram_origin=0x24000000,
        ),
        Board(
            "nucleo_l4r5zi",
            "NUCLEO-L4R5ZI (Cortex-M4F 120 MHz), console LPUART1 on the ST-LINK VCP",
            **_M4F,
            sram_bytes=640 * KiB,
            flash_bytes=2 * MiB,
            clock_hz=4_000_000,
            console="stm32_lpuart@0x40008000",
            counter="dwt",
        ),
        Board(
            "nano33ble",
            "Arduino Nano 33 BLE (nRF52840, Cortex-M4F 64 MHz), console UART0 on D1/D0",
            **_M4F,
            sram_bytes=256 * KiB,
            flash_bytes=960 * KiB,
            clock_hz=64_000_000,
            console="nrf_uart@0x40002000",
            counter="dwt",
            flash_origin=0x00010000,
            renode_platform="platforms/cpus/nrf52840.repl",
        ),
        Board(
            "pico",
            "Raspberry Pi Pico (RP2040, Cortex-M0+), console UART0 on GP0/GP1; loaded to SRAM",
            core="cortex-m0plus",
            fpu=None,
            float_abi="soft",
            dsp=False,
            # Runs from SRAM (a RAM UF2; no second-stage flash bootloader): the
            # image and the model share the 264 KB.
            sram_bytes=264 * KiB,
            flash_bytes=2 * MiB,
            clock_hz=12_000_000,
            console="pl011@0x40034000",
            counter="systick",
            flash_origin=0x10000000,
        ),
    ]
}

# The clocks of real boards above are the clocks the firmware runs them at
# (reset oscillator, no PLL set-up yet), so that cycles -> ms is honest.


def get_board(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise McuflowError(f"unknown board {name!r}; known boards: {', '.join(sorted(BOARDS))}") from None


def emulated_boards() -> list[Board]:
    return [b for b in BOARDS.values() if b.emulated]


def check_fit(board: Board, arena_bytes: int, flash_weights_bytes: int) -> None:
    """Raise :class:`DoesNotFitError` naming the byte counts when a model is too big."""
    problems = []
    if arena_bytes > board.model_ram_budget:
        problems.append(
            f"arena needs {arena_bytes} B of SRAM but {board.name} leaves {board.model_ram_budget} B "
            f"({board.sram_bytes} B SRAM - {board.stack_bytes} B stack - {board.firmware_ram_bytes} B firmware); "
            f"{arena_bytes - board.model_ram_budget} B over"
        )
    if flash_weights_bytes > board.model_flash_budget:
        problems.append(
            f"weights need {flash_weights_bytes} B of flash but {board.name} leaves {board.model_flash_budget} B "
            f"({board.flash_bytes} B flash - {board.firmware_flash_bytes} B firmware); "
            f"{flash_weights_bytes - board.model_flash_budget} B over"
        )
    if problems:
        raise DoesNotFitError("model does not fit: " + "; ".join(problems))


def check_fits(report: dict, board: str | Board) -> None:
    """``check_fit`` from a codegen report.json dict (keys arena_bytes, flash_weights_bytes)."""
    b = get_board(board) if isinstance(board, str) else board
    check_fit(b, int(report["arena_bytes"]), int(report.get("flash_weights_bytes", 0)))
