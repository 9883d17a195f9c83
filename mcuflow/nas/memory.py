"""Memory check with the project's planner in the loop, and board budgets.

``check(arch, bb, budget)`` builds the subnet's int8 skeleton graph, asks
every op's lowering for its scratch size and runs the same
:func:`mcuflow.planner.plan_memory` the code generator uses. That is fast
(about 15 ms per subnet with the planner's in-place strategy, i.e. several
thousand checks per minute on one core), so the search needs no analytic proxy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph_export import build_graph
from .space import Arch, Backbone, layer_macs, layers

KiB = 1024


@dataclass(frozen=True)
class Budget:
    """What a model may use on a board (after stack and firmware)."""

    name: str
    sram_bytes: int  # arena budget
    flash_bytes: int  # weights budget
    board_sram: int  # whole chip, for the card
    registered: bool  # a board of mcuflow.boards (False: a budget-only entry)

    def fits(self, sram_bytes: int, flash_bytes: int) -> bool:
        return sram_bytes <= self.sram_bytes and flash_bytes <= self.flash_bytes

    def require(self, what: str, sram_bytes: int, flash_bytes: int) -> None:
        """Raise DoesNotFitError naming both figures when ``what`` does not fit this budget."""
        if not self.fits(sram_bytes, flash_bytes):
            from ..errors import DoesNotFitError

            raise DoesNotFitError(f"{what}: arena {sram_bytes} B / weights {flash_bytes} B exceed {self.name}'s "
                                  f"{self.sram_bytes} B / {self.flash_bytes} B")


#: Budget-only boards (no firmware port): the 64 KB class of the zoo.
EXTRA_BUDGETS = {
    # An STM32F072 / nRF52832-class part: 64 KB SRAM, 256 KB flash, same firmware reservations.
    "generic_64k": dict(sram=64 * KiB, flash=256 * KiB, stack=8 * KiB, fw_ram=4 * KiB, fw_flash=48 * KiB),
}


def budget_for(board: str) -> Budget:
    from .. import boards

    if board in boards.BOARDS:
        b = boards.BOARDS[board]
        return Budget(b.name, b.model_ram_budget, b.model_flash_budget, b.sram_bytes, True)
    if board in EXTRA_BUDGETS:
        e = EXTRA_BUDGETS[board]
        return Budget(board, e["sram"] - e["stack"] - e["fw_ram"], e["flash"] - e["fw_flash"], e["sram"], False)
    known = sorted(list(boards.BOARDS) + list(EXTRA_BUDGETS))
    from ..errors import McuflowError

    raise McuflowError(f"unknown board {board!r}; known: {', '.join(known)}")


@dataclass
class MemInfo:
    arena_bytes: int
    flash_bytes: int
    macs: int
    fits: bool | None = None


def _scratch(graph) -> dict[int, int]:
    # Importing the codegen package registers every lowering family.
    import mcuflow.codegen  # noqa: F401

    from ..codegen import lowering
    from ..codegen.lowering import scratch_bytes

    out = {}
    for op in graph.ops:
        try:
            out[op.index] = scratch_bytes(graph, op)
        except Exception:  # noqa: BLE001  an op without a lowering yet: no scratch (codegen rejects it later anyway)
            out[op.index] = 0
    del lowering
    return out


#: The strategy the search loop plans with: the full planner's own in-place
#: stage without its placement search (about 10 ms instead of 200 ms per subnet).
#: Its arena is never below the full planner's (checked in test_nas.py), so a
#: subnet it accepts fits; the final model is always re-planned with the default.
FAST_STRATEGY = "inplace"


def plan_strategies() -> set[str]:
    from ..planner.plan import STRATEGIES

    try:  # the planner registers its other strategies when this module is imported
        from ..planner import strategies  # noqa: F401
    except ImportError:
        pass
    return set(STRATEGIES)


def measure(arch: Arch, bb: Backbone, strategy: str | None = None) -> MemInfo:
    """Arena from the real planner, flash of the constants, MACs.

    ``strategy=None`` uses :data:`FAST_STRATEGY` when the planner has it (else
    its default); pass ``"default"`` for exactly what the code generator does.
    """
    from ..planner import plan_memory

    g = build_graph(arch, bb)
    kw = {}
    if strategy is None:
        if FAST_STRATEGY in plan_strategies():
            kw["strategy"] = FAST_STRATEGY
    elif strategy != "default":
        kw["strategy"] = strategy
    plan = plan_memory(g, _scratch(g), **kw)
    flash = flash_bytes(g)
    return MemInfo(plan.arena_bytes, flash, sum(layer_macs(lay) for lay in layers(arch, bb)))


def flash_bytes(graph) -> int:
    """Weights flash as the code generator lays it out: int8 weights, int32 biases, and a
    precomputed int32 multiplier + shift per output channel of every conv-like op, and the
    int32 rescale tables of every ADD that runs through them (shape constants of RESHAPE are
    folded away)."""
    from ..codegen.lower_elementwise import ADD_TABLE_SIZE, uses_add_table

    n = sum(t.nbytes for t in graph.tensors if t.is_const and not t.name.endswith("/shape"))
    for op in graph.ops:
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            n += 8 * graph.tensors[op.outputs[0]].shape[-1]
        elif op.type == "ADD" and uses_add_table(graph, op):
            n += 4 * ADD_TABLE_SIZE
    return n


def check(arch: Arch, bb: Backbone, budget: Budget, strategy: str | None = None) -> MemInfo:
    m = measure(arch, bb, strategy)
    m.fits = budget.fits(m.arena_bytes, m.flash_bytes)
    return m
