"""Search-space optimization and evolutionary search, both with the planner in the loop.

Space optimization (MCUNet, section 3.1): for each (width, resolution)
candidate space, sample subnets, keep those the planner says fit the budget,
and pick the space whose fitting subnets have the highest mean MACs (a
bigger model that still fits tends to be a more accurate one). The FLOPs
CDFs of all spaces are plotted.

Evolution (OFA / MCUNet): a population of subnets that fit; each generation
keeps the best ``parent_ratio``, and refills with mutations and crossovers,
rejecting every child the memory check (or the optional latency bound)
refuses. Accuracy comes from the supernet on the validation split after BN
recalibration.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field

from . import space as S
from .memory import Budget, check

#: Instructions per MAC of our kernels, measured in QEMU (shared/ANCHORS.md order of magnitude):
#: a coarse latency model for the optional latency constraint.
INSTR_PER_MAC = {"conv": 2.6, "dw": 8.5, "pool": 3.0, "fc": 3.0}


def latency_ms(arch: S.Arch, bb: S.Backbone, clock_hz: int) -> float:
    instrs = sum(S.layer_macs(lay) * INSTR_PER_MAC[lay.kind] for lay in S.layers(arch, bb))
    return instrs / clock_hz * 1000.0


@dataclass
class SpaceStats:
    space: S.SpaceChoice
    sampled: int
    fitting: int
    macs: list[int]  # MACs of the fitting subnets

    @property
    def mean_macs(self) -> float:
        return sum(self.macs) / len(self.macs) if self.macs else 0.0

    def to_dict(self) -> dict:
        return {"width": self.space.width, "resolution": self.space.resolution, "sampled": self.sampled,
                "fitting": self.fitting, "mean_macs": self.mean_macs}


def optimize_space(bb: S.Backbone, budget: Budget, spaces: list[S.SpaceChoice], n_samples: int = 200,
                   seed: int = 0, plot: str | None = None, min_fit_ratio: float = 0.5,
                   progress: bool = False) -> tuple[S.SpaceChoice, list[SpaceStats]]:
    """The space with the highest mean MACs among subnets that fit (and at least ``min_fit_ratio`` fit)."""
    stats = []
    it = spaces
    if progress:
        from tqdm import tqdm

        it = tqdm(spaces, desc="spaces", leave=False)
    for sp in it:
        rng = random.Random(f"{seed}-{sp.key}")
        fit = []
        for _ in range(n_samples):
            a = S.sample(bb, sp, rng)
            m = check(a, bb, budget)
            if m.fits:
                fit.append(m.macs)
        stats.append(SpaceStats(sp, n_samples, len(fit), fit))
    ok = [s for s in stats if s.fitting >= min_fit_ratio * s.sampled] or [s for s in stats if s.fitting]
    if not ok:
        from ..errors import DoesNotFitError

        raise DoesNotFitError(f"no subnet of any candidate space fits {budget.name} "
                              f"({budget.sram_bytes} B SRAM, {budget.flash_bytes} B flash)")
    best = max(ok, key=lambda s: s.mean_macs)
    if plot:
        plot_cdfs(stats, best.space, budget, plot)
    return best.space, stats


def plot_cdfs(stats: list[SpaceStats], chosen: S.SpaceChoice, budget: Budget, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in stats:
        if not s.macs:
            continue
        xs = sorted(m / 1e6 for m in s.macs)
        ys = [(i + 1) / s.sampled for i in range(len(xs))]  # non-fitting samples never reach 1
        ax.step(xs, ys, where="post", lw=2.5 if s.space == chosen else 1.0,
                label=f"{s.space.key} ({s.fitting}/{s.sampled} fit)" + (" *chosen*" if s.space == chosen else ""))
    ax.set_xlabel("MMACs of subnets that fit")
    ax.set_ylabel("cumulative fraction of samples")
    ax.set_title(f"Search-space FLOPs CDF under {budget.name}: {budget.sram_bytes // 1024} KB SRAM, "
                 f"{budget.flash_bytes // 1024} KB flash")
    ax.legend(fontsize=6, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass
class SearchConfig:
    population: int = 20
    generations: int = 5
    parent_ratio: float = 0.25
    mutation_ratio: float = 0.5
    mutate_prob: float = 0.1
    seed: int = 0
    max_latency_ms: float | None = None
    clock_hz: int = 100_000_000

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Candidate:
    arch: S.Arch
    acc: float
    arena_bytes: int
    flash_bytes: int
    macs: int


@dataclass
class SearchResult:
    best: Candidate
    history: list[dict] = field(default_factory=list)  # per generation: best/mean accuracy
    evaluated: int = 0
    memory_checks: int = 0
    rejected: int = 0


def evolve(bb: S.Backbone, sp: S.SpaceChoice, budget: Budget, accuracy, cfg: SearchConfig,
           log=print) -> SearchResult:
    """Evolution; ``accuracy(arch) -> float`` scores a subnet (supernet + BN recalibration)."""
    rng = random.Random(cfg.seed)
    res = SearchResult(best=None)  # type: ignore[arg-type]
    cache: dict[str, float] = {}

    def valid(a: S.Arch):
        res.memory_checks += 1
        m = check(a, bb, budget)
        ok = m.fits and (cfg.max_latency_ms is None or latency_ms(a, bb, cfg.clock_hz) <= cfg.max_latency_ms)
        if not ok:
            res.rejected += 1
        return m if ok else None

    def score(a: S.Arch, m) -> Candidate:
        k = a.key()
        if k not in cache:
            cache[k] = accuracy(a)
            res.evaluated += 1
        return Candidate(a, cache[k], m.arena_bytes, m.flash_bytes, m.macs)

    def fill(make, n: int) -> list[Candidate]:
        out = []
        tries = 0
        while len(out) < n and tries < 200 * n:
            tries += 1
            a = make()
            m = valid(a)
            if m is not None:
                out.append(score(a, m))
        return out

    pop = fill(lambda: S.sample(bb, sp, rng), cfg.population)
    if not pop:
        from ..errors import DoesNotFitError

        raise DoesNotFitError(f"no subnet of space {sp.key} fits {budget.name}")
    n_parents = max(1, int(round(cfg.parent_ratio * cfg.population)))
    n_mut = int(round(cfg.mutation_ratio * cfg.population))
    for gen in range(cfg.generations):
        pop.sort(key=lambda c: -c.acc)
        parents = pop[:n_parents]
        res.history.append({"generation": gen, "best_acc": parents[0].acc,
                            "mean_acc": sum(c.acc for c in pop) / len(pop)})
        log(f"generation {gen + 1}/{cfg.generations}: best {parents[0].acc:.4f} "
            f"({parents[0].macs / 1e6:.2f} MMACs, {parents[0].arena_bytes} B arena)")
        muts = fill(lambda parents=parents: S.mutate(rng.choice(parents).arch, bb, rng, cfg.mutate_prob), n_mut)
        cross = fill(lambda parents=parents: S.crossover(rng.choice(parents).arch, rng.choice(parents).arch, rng),
                     cfg.population - n_parents - len(muts))
        pop = parents + muts + cross
    pop.sort(key=lambda c: (-c.acc, c.macs))
    res.best = pop[0]
    return res
