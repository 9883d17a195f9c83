"""Float NumPy forward ops with TFLite semantics, for calibrating factory models.

Arrays are NHWC float32 with any batch size (the calibration batch). Weights
use TFLite layouts: conv ``[O, KH, KW, I]``, depthwise ``[1, KH, KW, C]``,
fully connected ``[O, I]``. Padding follows TFLite: SAME puts the odd extra
row/column after, VALID drops what does not fit.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def out_size(n: int, k: int, stride: int, padding: str, dilation: int = 1) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (n + stride - 1) // stride
    if padding == "VALID":
        return (n - eff + stride) // stride
    raise ValueError(f"padding {padding!r}")


def same_pads(n: int, k: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    eff = (k - 1) * dilation + 1
    total = max((out_size(n, k, stride, "SAME", dilation) - 1) * stride + eff - n, 0)
    return total // 2, total - total // 2


def _windows(x: np.ndarray, kh: int, kw: int, stride: tuple[int, int], padding: str,
             dilation: tuple[int, int] = (1, 1), pad_value: float = 0.0) -> np.ndarray:
    """[N, OH, OW, C, KH, KW] views of the (padded) input."""
    sh, sw = stride
    dh, dw = dilation
    if padding == "SAME":
        ph = same_pads(x.shape[1], kh, sh, dh)
        pw = same_pads(x.shape[2], kw, sw, dw)
        x = np.pad(x, ((0, 0), ph, pw, (0, 0)), constant_values=pad_value)
    effh, effw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    win = sliding_window_view(x, (effh, effw), axis=(1, 2))
    return win[:, ::sh, ::sw, :, ::dh, ::dw]


def conv2d(x, w, b, stride=(1, 1), padding="SAME", dilation=(1, 1)) -> np.ndarray:
    o, kh, kw, _ = w.shape
    if kh == kw == 1 and dilation == (1, 1) and padding in ("SAME", "VALID"):
        xs = x[:, ::stride[0], ::stride[1], :]
        y = xs @ w.reshape(o, -1).T
    else:
        win = _windows(x, kh, kw, stride, padding, dilation)
        y = np.einsum("nhwcij,oijc->nhwo", win, w, optimize=True)
    return (y + b).astype(np.float32)


def depthwise_conv2d(x, w, b, stride=(1, 1), padding="SAME", dilation=(1, 1),
                     depth_multiplier: int = 1) -> np.ndarray:
    _, kh, kw, _ = w.shape
    if depth_multiplier != 1:
        x = np.repeat(x, depth_multiplier, axis=3)
    win = _windows(x, kh, kw, stride, padding, dilation)
    y = np.einsum("nhwcij,ijc->nhwc", win, w[0], optimize=True)
    return (y + b).astype(np.float32)


def fully_connected(x, w, b) -> np.ndarray:
    x = x.reshape(x.shape[0], -1)
    y = x @ w.T
    return (y + b).astype(np.float32)


def avg_pool(x, k=(2, 2), stride=(2, 2), padding="VALID") -> np.ndarray:
    # TFLite averages over the valid (unpadded) elements only
    win = _windows(x, k[0], k[1], stride, padding, pad_value=np.nan)
    return np.nanmean(win, axis=(4, 5)).astype(np.float32)


def max_pool(x, k=(2, 2), stride=(2, 2), padding="VALID") -> np.ndarray:
    win = _windows(x, k[0], k[1], stride, padding, pad_value=-np.inf)
    return win.max(axis=(4, 5)).astype(np.float32)


def mean(x, axes, keep_dims=True) -> np.ndarray:
    return x.mean(axis=tuple(axes), keepdims=keep_dims).astype(np.float32)


def pad(x, pads) -> np.ndarray:
    return np.pad(x, [tuple(p) for p in pads]).astype(np.float32)


def resize_nearest(x, size) -> np.ndarray:
    # align_corners=False, half_pixel_centers=False: floor(out * in / out_size)
    h, w = x.shape[1:3]
    ih = np.minimum((np.arange(size[0]) * h) // size[0], h - 1)
    iw = np.minimum((np.arange(size[1]) * w) // size[1], w - 1)
    return x[:, ih][:, :, iw]


def relu(x):
    return np.maximum(x, 0).astype(np.float32)


def relu6(x):
    return np.clip(x, 0, 6).astype(np.float32)


def hard_swish(x):
    return (x * np.clip(x + 3, 0, 6) / 6).astype(np.float32)


def logistic(x):
    return (1 / (1 + np.exp(-x))).astype(np.float32)


def softmax(x, beta=1.0):
    z = beta * (x - x.max(axis=-1, keepdims=True))
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


ACTIVATIONS = {"NONE": lambda x: x, "RELU": relu, "RELU6": relu6}
