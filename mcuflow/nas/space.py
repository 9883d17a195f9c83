"""The TinyNAS search space: a MobileNetV2 / ProxylessNAS backbone with elastic blocks.

Pure Python (no torch): the supernet, the exporter, the memory check and the
evolution all read the same :func:`layers` description of a subnet, so what
is trained is exactly what is planned, measured and exported.

Two levels, as in MCUNet:

* a *candidate space* is a (width multiplier, input resolution) pair;
  search-space optimization picks one per board budget;
* inside a space, a *subnet* (:class:`Arch`) picks, per inverted-residual
  block, a kernel size from ``{3, 5, 7}`` and an expand ratio from
  ``{3, 4, 6}``, and per stage a depth from ``{2, 3, 4}``.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field

KERNELS = (3, 5, 7)
EXPANDS = (3, 4, 6)
DEPTHS = (2, 3, 4)


def make_divisible(v: float, divisor: int = 4, min_value: int | None = None) -> int:
    """Round channels to a multiple of ``divisor`` (never down by more than 10%)."""
    min_value = min_value or divisor
    new = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


@dataclass(frozen=True)
class Stage:
    channels: int  # base channels (before the width multiplier)
    stride: int  # stride of the stage's first block


@dataclass(frozen=True)
class Backbone:
    """The fixed skeleton: stem, a first depthwise-separable block, elastic stages, head."""

    in_channels: int = 1
    num_classes: int = 10
    stem_channels: int = 16
    stem_stride: int = 1
    first_channels: int = 8
    stages: tuple[Stage, ...] = (Stage(16, 2), Stage(24, 2), Stage(40, 2), Stage(48, 1))
    head_channels: int = 96
    kernels: tuple[int, ...] = KERNELS
    expands: tuple[int, ...] = EXPANDS
    depths: tuple[int, ...] = DEPTHS

    @property
    def max_depth(self) -> int:
        return max(self.depths)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stages"] = [list(s.values()) if isinstance(s, dict) else [s.channels, s.stride] for s in d["stages"]]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Backbone:
        d = dict(d)
        d["stages"] = tuple(Stage(int(c), int(s)) for c, s in d["stages"])
        for k in ("kernels", "expands", "depths"):
            d[k] = tuple(d[k])
        return cls(**d)


#: The default backbone: sized for 28x28-ish grayscale images (MNIST) on 64-256 KB boards.
DEFAULT_BACKBONE = Backbone()
#: A tiny backbone for tests and ``--quick`` runs.
QUICK_BACKBONE = Backbone(stem_channels=8, first_channels=8, stages=(Stage(8, 2), Stage(16, 2)),
                          head_channels=32, depths=(1, 2), kernels=(3, 5), expands=(3, 4))


@dataclass(frozen=True)
class SpaceChoice:
    """A candidate search space: width multiplier x input resolution."""

    width: float
    resolution: int

    @property
    def key(self) -> str:
        return f"w{self.width:g}-r{self.resolution}"


def candidate_spaces(widths=(0.5, 0.75, 1.0, 1.25, 1.5), resolutions=(20, 24, 28, 32)) -> list[SpaceChoice]:
    return [SpaceChoice(w, r) for w in widths for r in resolutions]


@dataclass
class Arch:
    """One subnet: per-block kernel/expand (``max_depth`` slots per stage) and per-stage depth."""

    width: float
    resolution: int
    ks: list[int]
    es: list[int]
    ds: list[int]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Arch:
        return cls(float(d["width"]), int(d["resolution"]), list(d["ks"]), list(d["es"]), list(d["ds"]))

    def key(self) -> str:
        return f"{self.width:g}/{self.resolution}/" + ",".join(map(str, self.ks + self.es + self.ds))

    def active_blocks(self, bb: Backbone) -> list[tuple[int, int, int]]:
        """(stage, block in stage, slot index) of the blocks this subnet runs."""
        out = []
        for s, d in enumerate(self.ds):
            for j in range(d):
                out.append((s, j, s * bb.max_depth + j))
        return out


def _n_slots(bb: Backbone) -> int:
    return len(bb.stages) * bb.max_depth


def largest(bb: Backbone, space: SpaceChoice) -> Arch:
    n = _n_slots(bb)
    return Arch(space.width, space.resolution, [max(bb.kernels)] * n, [max(bb.expands)] * n,
                [max(bb.depths)] * len(bb.stages))


def smallest(bb: Backbone, space: SpaceChoice) -> Arch:
    n = _n_slots(bb)
    return Arch(space.width, space.resolution, [min(bb.kernels)] * n, [min(bb.expands)] * n,
                [min(bb.depths)] * len(bb.stages))


def sample(bb: Backbone, space: SpaceChoice, rng: random.Random) -> Arch:
    n = _n_slots(bb)
    return Arch(space.width, space.resolution, [rng.choice(bb.kernels) for _ in range(n)],
                [rng.choice(bb.expands) for _ in range(n)], [rng.choice(bb.depths) for _ in bb.stages])


def mutate(arch: Arch, bb: Backbone, rng: random.Random, prob: float = 0.1) -> Arch:
    ks = [rng.choice(bb.kernels) if rng.random() < prob else k for k in arch.ks]
    es = [rng.choice(bb.expands) if rng.random() < prob else e for e in arch.es]
    ds = [rng.choice(bb.depths) if rng.random() < prob else d for d in arch.ds]
    return Arch(arch.width, arch.resolution, ks, es, ds)


def crossover(a: Arch, b: Arch, rng: random.Random) -> Arch:
    pick = lambda x, y: [rng.choice(p) for p in zip(x, y)]
    return Arch(a.width, a.resolution, pick(a.ks, b.ks), pick(a.es, b.es), pick(a.ds, b.ds))


# --- the layer list every consumer reads -----------------------------------


@dataclass
class Layer:
    """One conv-like layer of a subnet, in execution order (NHWC sizes)."""

    kind: str  # "conv" | "dw" | "pool" | "fc"
    name: str
    cin: int
    cout: int
    k: int
    stride: int
    act: str  # "RELU6" | "NONE"
    h_in: int
    h_out: int
    slot: int = -1  # supernet block slot (-1: fixed layer)
    role: str = ""  # "expand" | "dw" | "project" inside a block
    residual_from: int = -1  # index of the layer whose *input* is added to this layer's output
    extra: dict = field(default_factory=dict)


def out_size(h: int, stride: int) -> int:
    """TFLite SAME padding output size."""
    return (h + stride - 1) // stride


def channels(bb: Backbone, width: float) -> dict:
    return {
        "stem": make_divisible(bb.stem_channels * width),
        "first": make_divisible(bb.first_channels * width),
        "stages": [make_divisible(s.channels * width) for s in bb.stages],
        "head": make_divisible(bb.head_channels * width),
        "max_expand": max(bb.expands),
    }


def validate(arch: Arch, bb: Backbone) -> None:
    n = _n_slots(bb)
    if len(arch.ks) != n or len(arch.es) != n or len(arch.ds) != len(bb.stages):
        raise ValueError(f"arch has {len(arch.ks)}/{len(arch.es)}/{len(arch.ds)} choices; the backbone needs "
                         f"{n}/{n}/{len(bb.stages)}")
    bad = ([k for k in arch.ks if k not in bb.kernels] + [e for e in arch.es if e not in bb.expands]
           + [d for d in arch.ds if d not in bb.depths])
    if bad:
        raise ValueError(f"arch choices {bad} are outside the space (kernels {bb.kernels}, expands {bb.expands}, "
                         f"depths {bb.depths})")


def layers(arch: Arch, bb: Backbone) -> list[Layer]:
    validate(arch, bb)
    ch = channels(bb, arch.width)
    h = arch.resolution
    out: list[Layer] = []

    def add(kind, name, cin, cout, k, stride, act, **kw) -> int:
        nonlocal h
        h2 = out_size(h, stride) if kind != "pool" else 1
        out.append(Layer(kind, name, cin, cout, k, stride, act, h, h2, **kw))
        h = h2
        return len(out) - 1

    add("conv", "stem", bb.in_channels, ch["stem"], 3, bb.stem_stride, "RELU6")
    add("dw", "first/dw", ch["stem"], ch["stem"], 3, 1, "RELU6")
    add("conv", "first/project", ch["stem"], ch["first"], 1, 1, "NONE")
    cin = ch["first"]
    for s, j, slot in arch.active_blocks(bb):
        cout = ch["stages"][s]
        stride = bb.stages[s].stride if j == 0 else 1
        k, e = arch.ks[slot], arch.es[slot]
        mid = cin * e
        name = f"s{s}b{j}"
        first = add("conv", f"{name}/expand", cin, mid, 1, 1, "RELU6", slot=slot, role="expand")
        add("dw", f"{name}/dw", mid, mid, k, stride, "RELU6", slot=slot, role="dw")
        res = first if (stride == 1 and cin == cout) else -1
        add("conv", f"{name}/project", mid, cout, 1, 1, "NONE", slot=slot, role="project", residual_from=res)
        cin = cout
    add("conv", "head", cin, ch["head"], 1, 1, "RELU6")
    add("pool", "pool", ch["head"], ch["head"], h, 1, "NONE")
    add("fc", "classifier", ch["head"], bb.num_classes, 1, 1, "NONE")
    return out


def layer_macs(lay: Layer) -> int:
    if lay.kind == "conv":
        return lay.h_out * lay.h_out * lay.cout * lay.cin * lay.k * lay.k
    if lay.kind == "dw":
        return lay.h_out * lay.h_out * lay.cout * lay.k * lay.k
    if lay.kind == "pool":
        return lay.h_in * lay.h_in * lay.cin
    return lay.cin * lay.cout


def layer_params(lay: Layer) -> int:
    """Weights + biases as exported (the pooling layer's constant kernel included)."""
    if lay.kind == "conv":
        return lay.cout * lay.cin * lay.k * lay.k + lay.cout
    if lay.kind in ("dw", "pool"):
        return lay.cout * lay.k * lay.k + lay.cout
    return lay.cin * lay.cout + lay.cout


def macs(arch: Arch, bb: Backbone) -> int:
    return sum(layer_macs(lay) for lay in layers(arch, bb))


def params(arch: Arch, bb: Backbone) -> int:
    return sum(layer_params(lay) for lay in layers(arch, bb))
