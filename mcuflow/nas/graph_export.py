"""Subnet -> int8 :class:`~mcuflow.graph.Graph` (no torch needed).

The same function builds the *skeleton* graph the memory check plans (all
weights zero: only shapes matter to the planner) and the real exported
model (quantized weights and calibrated activation ranges), so the memory the
search was promised is the memory the exported model gets.

Graph shape (NHWC, batch 1)::

    input int8 [1,R,R,C] -> CONV_2D stem (RELU6) -> DEPTHWISE (RELU6) -> CONV_2D project
      -> per block: CONV_2D expand (RELU6) -> DEPTHWISE k x k (RELU6) -> CONV_2D project
                    [-> ADD with the block input when stride 1 and channels match]
      -> CONV_2D head (RELU6) -> DEPTHWISE h x h VALID with constant weights (= global average)
      -> RESHAPE [1,C] -> FULLY_CONNECTED -> int8 logits [1, classes]

Global average pooling is a depthwise convolution whose weights are all
``1/(h*h)`` (stored exactly as 127 with per-channel scale ``1/(127*h*h)``), so
the model needs no pooling kernel beyond convolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import Graph, GraphBuilder, Quantization
from ..tflite.writer import CONVERTER_VERSIONS
from .space import Arch, Backbone, Layer, layers

#: scale, zero point of the int8 input: pixel p in 0..255 is x = p/255 and q = p - 128.
INPUT_QUANT = (1.0 / 255.0, -128)


@dataclass
class QLayer:
    """Quantized parameters of one layer (conv layout [O,H,W,I], depthwise [1,H,W,C], fc [O,I])."""

    w: np.ndarray  # int8
    w_scale: np.ndarray  # float64 per output channel
    b: np.ndarray  # int32


def weight_shape(lay: Layer) -> tuple[int, ...]:
    if lay.kind == "conv":
        return (lay.cout, lay.k, lay.k, lay.cin)
    if lay.kind in ("dw", "pool"):
        return (1, lay.k, lay.k, lay.cout)
    return (lay.cout, lay.cin)


def pool_qlayer(lay: Layer) -> QLayer:
    n = lay.k * lay.k
    return QLayer(np.full(weight_shape(lay), 127, np.int8), np.full(lay.cout, 1.0 / (127.0 * n)),
                  np.zeros(lay.cout, np.int32))


def build_graph(arch: Arch, bb: Backbone, qlayers: list[QLayer] | None = None,
                act_quant: dict[str, tuple[float, int]] | None = None, name: str = "tinynas") -> Graph:
    """The int8 graph of ``arch``; without ``qlayers``/``act_quant`` a zero-weight skeleton."""
    lays = layers(arch, bb)
    g = GraphBuilder(name)
    placeholder = (0.05, 0)

    def aq(key: str) -> Quantization:
        s, z = (act_quant or {}).get(key, placeholder)
        return Quantization.make(s, z)

    def act(key: str, shape) -> int:
        return g.tensor(key, shape, "int8", aq(key))

    r = arch.resolution
    x = g.tensor("input", (1, r, r, bb.in_channels), "int8", Quantization.make(*INPUT_QUANT))
    graph_in = x
    layer_inputs: list[int] = []
    for i, lay in enumerate(lays):
        layer_inputs.append(x)
        if qlayers is not None:
            ql = qlayers[i]
        elif lay.kind == "pool":
            ql = pool_qlayer(lay)
        else:
            ql = QLayer(np.zeros(weight_shape(lay), np.int8), np.full(lay.cout, 0.01), np.zeros(lay.cout, np.int32))
        in_s = (act_quant or {}).get(_input_key(lays, i), placeholder)[0] if i else INPUT_QUANT[0]
        axis = 3 if lay.kind in ("dw", "pool") else 0
        w = g.const(f"{lay.name}/weights", ql.w, Quantization.make(ql.w_scale, 0, axis))
        b = g.const(f"{lay.name}/bias", ql.b.astype(np.int32),
                    Quantization.make((np.float32(in_s) * ql.w_scale.astype(np.float32)).astype(np.float64), 0, 0))
        if lay.kind == "fc":
            flat = act(f"{lay.name}/flatten", (1, lay.cin))
            g.tensors[flat].quant = g.tensors[x].quant
            shape_c = g.const(f"{lay.name}/shape", np.array([1, lay.cin], np.int32))
            g.op("RESHAPE", [x, shape_c], [flat], version=CONVERTER_VERSIONS["RESHAPE"], new_shape=[1, lay.cin])
            y = act(lay.name, (1, lay.cout))
            g.op("FULLY_CONNECTED", [flat, w, b], [y], version=CONVERTER_VERSIONS["FULLY_CONNECTED"],
                 fused_activation_function="NONE", keep_num_dims=False)
            x = y
            continue
        y = act(lay.name, (1, lay.h_out, lay.h_out, lay.cout))
        common = dict(stride_w=lay.stride, stride_h=lay.stride, dilation_w_factor=1, dilation_h_factor=1,
                      fused_activation_function=lay.act)
        if lay.kind == "conv":
            g.op("CONV_2D", [x, w, b], [y], version=CONVERTER_VERSIONS["CONV_2D"], padding="SAME", **common)
        else:
            g.op("DEPTHWISE_CONV_2D", [x, w, b], [y], version=CONVERTER_VERSIONS["DEPTHWISE_CONV_2D"],
                 padding="VALID" if lay.kind == "pool" else "SAME", depth_multiplier=1, **common)
        x = y
        if lay.residual_from >= 0:
            s = act(f"{lay.name}/add", (1, lay.h_out, lay.h_out, lay.cout))
            g.op("ADD", [layer_inputs[lay.residual_from], x], [s], version=CONVERTER_VERSIONS["ADD"],
                 fused_activation_function="NONE")
            x = s
    return g.build([graph_in], [x])


def _input_key(lays: list[Layer], i: int) -> str:
    """Name of the activation tensor layer ``i`` reads."""
    prev = lays[i - 1]
    if prev.residual_from >= 0:
        return f"{prev.name}/add"
    return prev.name


def input_key(lays: list[Layer], i: int) -> str:
    return "input" if i == 0 else _input_key(lays, i)
