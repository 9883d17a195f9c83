"""Model factory: int8 .tflite lookalikes of MLPerf Tiny and MCUNet models.

Nothing is downloaded or trained: architectures are rebuilt layer by layer
with random weights and calibrated on random inputs (see :mod:`.qnet`).

>>> from mcuflow.factory import build, MODELS
>>> g = build("resnet8", seed=0)
"""

from __future__ import annotations

from pathlib import Path

from ..graph import Graph
from .models import MODELS, build_net

__all__ = ["MODELS", "build", "build_net", "write_all"]


def build(name: str, seed: int = 0) -> Graph:
    """The factory model ``name`` (a key of :data:`MODELS`); deterministic per seed."""
    try:
        fn = MODELS[name]
    except KeyError:
        raise KeyError(f"unknown factory model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return fn(seed)


def write_all(out_dir, seed: int = 0, names=None) -> list[Path]:
    """Write ``<name>.tflite`` for every factory model (or ``names``) into ``out_dir``."""
    from ..tflite.writer import write_model

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or MODELS:
        path = out / f"{name}.tflite"
        path.write_bytes(write_model(build(name, seed)))
        paths.append(path)
    return paths
