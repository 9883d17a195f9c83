"""Board budgets: refuse a model whose plan does not fit, before anything is written."""

from __future__ import annotations

from ..errors import DoesNotFitError


def sram_need(report: dict) -> int:
    """SRAM the generated model takes: the arena (scratch inside it) plus its guard bytes."""
    peak = report.get("peak_sram_bytes") or {}
    arena = int(peak.get("total", report.get("arena_bytes", 0)))
    return arena + int(peak.get("guard", 0))


def check_fits(report: dict, board) -> None:
    """Raise :class:`DoesNotFitError` when ``report`` (codegen's report.json) exceeds ``board``.

    The budget is the board's SRAM (flash) less what the firmware keeps for
    its stack and itself (:attr:`mcuflow.boards.Board.model_ram_budget`).
    """
    from ..boards import Board, get_board

    b = board if isinstance(board, Board) else get_board(board)
    problems = []
    need = sram_need(report)
    budget = b.model_ram_budget
    if need > budget:
        problems.append(f"needs {need} bytes of SRAM, budget {budget} after reserving stack/firmware "
                        f"({b.sram_bytes} - {b.stack_bytes} stack - {b.firmware_ram_bytes} firmware): "
                        f"{need - budget} bytes over")
    flash = int(report.get("flash_weights_bytes", 0))
    fbudget = b.model_flash_budget
    if flash > fbudget:
        problems.append(f"needs {flash} bytes of flash for weights, budget {fbudget} after reserving firmware "
                        f"({b.flash_bytes} - {b.firmware_flash_bytes}): {flash - fbudget} bytes over")
    if problems:
        raise DoesNotFitError(f"does not fit {b.name}: " + "; ".join(problems))
