"""Trained subnet -> int8 graph -> .tflite (post-training quantization with calibration).

Quantization follows the TFLite converter's full-integer scheme:

* weights symmetric int8 per output channel (conv axis 0, depthwise axis 3,
  fully connected axis 0), scales rounded to float32;
* biases int32 with scale ``input_scale * weight_scale``;
* activations per-tensor asymmetric int8 from the min/max seen on the
  calibration images (range widened to contain 0); the input is fixed at
  scale 1/255, zero point -128 so uint8 pixels map exactly.

Int8 accuracy is measured by running the written .tflite in TF Lite Micro
(the project's oracle, bit-exact with our engine) over the held-out images.
"""

from __future__ import annotations

import numpy as np

from .graph_export import QLayer, build_graph, pool_qlayer
from .space import Arch, Backbone, layers


def _f32(x) -> float:
    return float(np.float32(x))


def act_quant_from_ranges(ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, int]]:
    out = {}
    for key, (lo, hi) in ranges.items():
        lo, hi = min(0.0, lo), max(0.0, hi)
        hi = max(hi, lo + 1e-3)
        s = _f32((hi - lo) / 255.0)
        z = int(np.clip(np.round(-128 - lo / s), -128, 127))
        out[key] = (s, z)
    return out


def quantize_weights(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    moved = np.moveaxis(w.astype(np.float64), axis, 0).reshape(w.shape[axis], -1)
    amax = np.abs(moved).max(axis=1)
    scale = (np.maximum(amax, 1e-8) / 127.0).astype(np.float32).astype(np.float64)
    bshape = [1] * w.ndim
    bshape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(bshape)), -127, 127).astype(np.int8)
    return q, scale


def to_int8_graph(arch: Arch, bb: Backbone, folded, calib_x: np.ndarray, name: str = "tinynas"):
    """Quantize BN-folded float layers (``SuperNet.folded_layers``) with calibration images (uint8 NHWC)."""
    import torch

    from .data import to_tensor
    from .supernet import folded_forward

    lays = layers(arch, bb)
    ranges: dict[str, tuple[float, float]] = {}
    xt = to_tensor(calib_x)
    with torch.no_grad():
        for i in range(0, len(xt), 128):
            folded_forward(xt[i:i + 128], lays, folded, ranges)
    aq = act_quant_from_ranges(ranges)
    # RESHAPE before the classifier keeps its input's quantization (TFLite requires it).
    qlayers: list[QLayer] = []
    in_key = "input"
    in_scale = 1.0 / 255.0
    for lay, p in zip(lays, folded):
        if lay.kind == "pool":
            ql = pool_qlayer(lay)
        else:
            w, b = (t.detach().numpy().astype(np.float64) for t in p)
            if lay.kind == "conv":
                w = w.transpose(0, 2, 3, 1)  # OIHW -> OHWI
                axis = 0
            elif lay.kind == "dw":
                w = w.transpose(1, 2, 3, 0)  # C1HW -> 1HWC
                axis = 3
            else:
                axis = 0
            q, scale = quantize_weights(w, axis)
            bscale = (np.float32(in_scale) * scale.astype(np.float32)).astype(np.float64)
            bq = np.clip(np.round(b / bscale), -2 ** 31, 2 ** 31 - 1).astype(np.int32)
            ql = QLayer(q, scale, bq)
        qlayers.append(ql)
        in_key = f"{lay.name}/add" if lay.residual_from >= 0 else lay.name
        in_scale = aq[in_key][0]
    del in_key
    return build_graph(arch, bb, qlayers, aq, name=name)


def int8_accuracy(model_bytes: bytes, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 of the .tflite run by TF Lite Micro on uint8 NHWC images."""
    from tflite_micro.python.tflite_micro import runtime

    from ..oracle import _arena_guess

    interp = runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=_arena_guess(model_bytes))
    correct = 0
    for i in range(len(y)):
        q = (x[i:i + 1].astype(np.int16) - 128).astype(np.int8)
        interp.set_input(q, 0)
        interp.invoke()
        correct += int(np.argmax(interp.get_output(0)) == y[i])
    return correct / max(len(y), 1)


def float_folded_accuracy(arch: Arch, bb: Backbone, folded, x: np.ndarray, y: np.ndarray) -> float:
    import torch

    from .data import to_tensor
    from .supernet import folded_forward

    lays = layers(arch, bb)
    xt = to_tensor(x)
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), 250):
            correct += int((folded_forward(xt[i:i + 250], lays, folded).argmax(1).numpy() == y[i:i + 250]).sum())
    return correct / max(len(y), 1)
