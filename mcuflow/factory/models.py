"""Int8 lookalikes of the MLPerf Tiny and MCUNet models, built from scratch.

Architectures follow the published models (layer types, shapes, channel
counts, padding style); weights are random (He init) and quantization is
calibrated on random inputs, so the files exercise a compiler exactly like
the real ones but say nothing about accuracy.
"""

from __future__ import annotations

from collections.abc import Callable

from ..graph import Graph
from .qnet import QNet


def _c(n: QNet, x: int) -> int:
    return n.shape(x)[-1]


def make_divisible(v: float, divisor: int = 8) -> int:
    """MobileNet's channel rounding (round to a multiple, never drop > 10%)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


def _pad_for_valid_s2(k: int) -> list[list[int]]:
    # Keras' correct_pad for an even input: the extra row/column goes after
    return [[0, 0], [k // 2 - 1, k // 2], [k // 2 - 1, k // 2], [0, 0]]


# --- MLPerf Tiny -------------------------------------------------------------


def resnet8(seed: int = 0) -> QNet:
    """MLPerf Tiny image classification: ResNet-8 on 32x32x3 (CIFAR-10)."""
    n = QNet("resnet8", seed)
    x = n.input((1, 32, 32, 3))
    y = n.conv(x, 16, 3, act="RELU")
    for f, s in ((16, 1), (32, 2), (64, 2)):
        r = n.conv(y, f, 3, s, act="RELU")
        r = n.conv(r, f, 3)
        sc = y if (s == 1 and _c(n, y) == f) else n.conv(y, f, 1, s, name="shortcut")
        y = n.add(sc, r, act="RELU")
    y = n.avg_pool(y, 8)
    y = n.fc(y, 10)  # FC flattens its [1, 1, 1, 64] input, as the converter leaves it
    n.output(n.softmax(y))
    n.description = "ResNet-8 lookalike (MLPerf Tiny IC), random weights"
    return n


def dscnn_kws(seed: int = 0) -> QNet:
    """MLPerf Tiny keyword spotting: DS-CNN on 49x10x1 MFCCs, 12 classes."""
    n = QNet("dscnn_kws", seed)
    x = n.input((1, 49, 10, 1))
    y = n.conv(x, 64, (10, 4), 2, act="RELU")
    for _ in range(4):
        y = n.dwconv(y, 3, act="RELU")
        y = n.conv(y, 64, 1, act="RELU", name="pwconv")
    y = n.avg_pool(y, (25, 5))
    y = n.fc(y, 12)
    n.output(n.softmax(y))
    n.description = "DS-CNN lookalike (MLPerf Tiny KWS), random weights"
    return n


def mobilenetv1_025_vww(seed: int = 0) -> QNet:
    """MLPerf Tiny visual wake words: MobileNetV1 0.25 on 96x96x3, 2 classes."""
    n = QNet("mobilenetv1_025_vww", seed)
    x = n.input((1, 96, 96, 3))
    y = n.conv(x, 8, 3, 2, act="RELU6")
    plan = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]
    for c, s in plan:
        y = n.dwconv(y, 3, s, act="RELU6")
        y = n.conv(y, c, 1, act="RELU6", name="pwconv")
    y = n.avg_pool(y, 3)
    y = n.reshape(y, [1, 256])
    y = n.fc(y, 2)
    n.output(n.softmax(y))
    n.description = "MobileNetV1-0.25 lookalike (MLPerf Tiny VWW), random weights"
    return n


def fc_autoencoder(seed: int = 0) -> QNet:
    """MLPerf Tiny anomaly detection: FC autoencoder 640 -> 128x4 -> 8 -> 128x4 -> 640.

    Per-tensor weights, as the older converter wrote the reference model.
    """
    n = QNet("fc_autoencoder", seed)
    y = n.input((1, 640))
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        y = n.fc(y, units, act="RELU", per_channel=False)
    y = n.fc(y, 640, per_channel=False)
    n.output(y)
    n.description = "FC autoencoder lookalike (MLPerf Tiny AD), random weights"
    return n


# --- MCUNet-style ---------------------------------------------------------------


def _act(n: QNet, x: int, act: str) -> int:
    return n.hard_swish(x) if act == "HSWISH" else x


def _conv_act(n: QNet, x: int, c: int, k, s, act: str, padding="SAME", name="conv") -> int:
    fused = act if act in ("RELU", "RELU6") else "NONE"
    return _act(n, n.conv(x, c, k, s, padding=padding, act=fused, name=name), act)


def _se(n: QNet, x: int, kind: str, gate: str) -> int:
    """Squeeze-excite: MEAN -> reduce -> RELU -> expand -> gate -> MUL (broadcast)."""
    c = _c(n, x)
    mid = max(8, c // 4)
    if kind == "conv":
        s = n.mean(x, keep_dims=True)
        s = n.conv(s, mid, 1, act="RELU", name="se_reduce")
        s = n.conv(s, c, 1, name="se_expand")
    else:  # fully connected, with a separate RELU op
        s = n.mean(x, keep_dims=False)
        s = n.relu(n.fc(s, mid, name="se_reduce"))
        s = n.fc(s, c, name="se_expand")
    s = n.logistic(s) if gate == "LOGISTIC" else n.hard_swish(s)
    if kind != "conv":
        s = n.reshape(s, [1, 1, 1, c])
    return n.mul(x, s)


def _inverted_residual(n: QNet, x: int, t: int, cout: int, k: int, s: int, act: str,
                       se: tuple[str, str] | None = None, explicit_pad: bool = True) -> int:
    cin = _c(n, x)
    h = x
    if t != 1:
        h = _conv_act(n, h, cin * t, 1, 1, act, name="expand")
    fused = act if act in ("RELU", "RELU6") else "NONE"
    if s == 2 and explicit_pad:
        h = n.pad(h, _pad_for_valid_s2(k))
        h = n.dwconv(h, k, 2, padding="VALID", act=fused)
    else:
        h = n.dwconv(h, k, s, act=fused)
    h = _act(n, h, act)
    if se is not None:
        h = _se(n, h, *se)
    h = n.conv(h, cout, 1, name="project")
    if s == 1 and cin == cout:
        h = n.add(x, h)
    return h


def mcunet_like(seed: int = 0) -> QNet:
    """MCUNet-style classifier at 96x96: inverted residuals, explicit PAD + VALID
    stride-2 convs, squeeze-excite, HARD_SWISH, residual ADDs."""
    n = QNet("mcunet_like", seed)
    x = n.input((1, 96, 96, 3))
    y = n.pad(x, _pad_for_valid_s2(3))
    y = n.hard_swish(n.conv(y, 16, 3, 2, padding="VALID"))
    blocks = [
        (1, 8, 3, 1, "RELU6", None),
        (4, 16, 3, 2, "RELU6", None),
        (3, 16, 3, 1, "RELU6", None),
        (4, 24, 5, 2, "HSWISH", ("conv", "LOGISTIC")),
        (3, 24, 5, 1, "HSWISH", ("fc", "HARD_SWISH")),
        (4, 40, 3, 2, "HSWISH", ("conv", "HARD_SWISH")),
        (4, 40, 3, 1, "HSWISH", None),
        (6, 48, 3, 1, "HSWISH", ("fc", "LOGISTIC")),
    ]
    for t, c, k, s, act, se in blocks:
        y = _inverted_residual(n, y, t, c, k, s, act, se)
    y = n.hard_swish(n.conv(y, 160, 1, name="head"))
    y = n.mean(y, keep_dims=False)
    y = n.fc(y, 2)
    n.output(n.softmax(y))
    n.description = "MCUNet-style classifier lookalike, random weights"
    return n


def mcunet_det(seed: int = 0) -> QNet:
    """A tiny two-scale detector (YOLO-like head) on 128x128x3: upsample + concat
    feature fusion, anchors reshaped and transposed, sigmoid outputs."""
    n = QNet("mcunet_det", seed)
    anchors, classes = 3, 3
    per_anchor = 5 + classes
    x = n.input((1, 128, 128, 3))
    y = n.pad(x, _pad_for_valid_s2(3))
    y = n.conv(y, 8, 3, 2, padding="VALID", act="RELU6")  # 64x64
    y = _inverted_residual(n, y, 1, 8, 3, 1, "RELU6")
    y = _inverted_residual(n, y, 2, 24, 3, 2, "RELU6")  # 32x32
    p4 = _inverted_residual(n, y, 3, 32, 3, 2, "RELU6")  # 16x16
    p5 = _inverted_residual(n, p4, 3, 64, 3, 2, "RELU6")  # 8x8
    p5 = n.max_pool(p5, 3, 1, padding="SAME")  # SPP-style context
    l5 = n.conv(p5, 32, 1, act="RELU6", name="lateral")
    up = n.resize_nearest(l5, (16, 16))
    f4 = n.concat([p4, up], axis=3)
    f4 = n.conv(f4, 32, 3, act="RELU6", name="fuse")
    h4 = n.conv(f4, anchors * per_anchor, 1, name="head_p4")
    h5 = n.conv(l5, anchors * per_anchor, 1, name="head_p5")
    r4 = n.reshape(h4, [1, 16 * 16 * anchors, per_anchor])
    r5 = n.reshape(h5, [1, 8 * 8 * anchors, per_anchor])
    boxes = n.concat([r4, r5], axis=1)  # [1, 960, 8]
    boxes = n.transpose(boxes, [0, 2, 1])  # [1, 8, 960]
    n.output(n.logistic(boxes))
    n.description = "MCUNet-style tiny detector lookalike, random weights"
    return n


def mobilenetv2_176(seed: int = 0) -> QNet:
    """MobileNetV2-0.35 at 176x176x3, 2 classes, as the converter writes it
    (stride-2 depthwise as SAME: the converter folds Keras' ZeroPadding2D).
    Its first stages hold the memory peak (88x88x48 expansion) that
    patch-based inference cuts."""
    n = QNet("mobilenetv2_176", seed, calib=2)
    alpha = 0.35
    x = n.input((1, 176, 176, 3))
    y = n.conv(x, make_divisible(32 * alpha), 3, 2, act="RELU6")  # 88x88
    stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
              (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, c, reps, s in stages:
        for i in range(reps):
            y = _inverted_residual(n, y, t, make_divisible(c * alpha), 3, s if i == 0 else 1, "RELU6",
                                   explicit_pad=False)
    y = n.conv(y, 1280, 1, act="RELU6", name="head")
    y = n.mean(y, keep_dims=False)
    y = n.fc(y, 2)
    n.output(n.softmax(y))
    n.description = "MobileNetV2-0.35 at 176x176 lookalike, random weights"
    return n


#: name -> (network builder, float I/O)
NETS: dict[str, tuple[Callable[[int], QNet], bool]] = {
    "resnet8": (resnet8, False),
    "dscnn_kws": (dscnn_kws, False),
    "mobilenetv1_025_vww": (mobilenetv1_025_vww, False),
    "fc_autoencoder": (fc_autoencoder, False),
    "mcunet_like": (mcunet_like, False),
    "mcunet_det": (mcunet_det, False),
    "mobilenetv2_176": (mobilenetv2_176, False),
    "resnet8_float_io": (resnet8, True),
    "mcunet_like_float_io": (mcunet_like, True),
}


def build_net(name: str, seed: int = 0) -> tuple[QNet, Graph]:
    """The calibrated float network and its int8 graph (tests compare the two)."""
    fn, float_io = NETS[name]
    net = fn(seed)
    graph = net.to_graph(float_io, net.description + (", float32 I/O" if float_io else ""))
    return net, graph


def _builder(name: str) -> Callable[[int], Graph]:
    def build(seed: int = 0) -> Graph:
        return build_net(name, seed)[1]
    fn = NETS[name][0]
    build.__name__ = name
    build.__doc__ = (fn.__doc__ or "") + (
        "\n\nFloat32 I/O variant: QUANTIZE at the input, DEQUANTIZE at the output." if NETS[name][1] else "")
    return build


#: name -> builder(seed) -> Graph
MODELS: dict[str, Callable[[int], Graph]] = {name: _builder(name) for name in NETS}
