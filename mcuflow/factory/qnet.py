"""Build a float network eagerly on a calibration batch, then emit it as int8.

Each layer method runs the float op on the calibration batch at once and
records it. :meth:`QNet.to_graph` then quantizes like the TFLite converter:

* activations: per-tensor asymmetric int8 from the observed min/max (range
  widened to contain 0);
* weights: symmetric int8, per output channel (conv axis 0, depthwise axis
  3, fully connected axis 0) or per tensor;
* biases: int32, scale ``input_scale * weight_scale``, zero point 0;
* tensors TFLite requires to share quantization (pooling, reshape, pad,
  concatenation, resize, transpose, slicing) are tied into one group whose
  range covers all members; SOFTMAX and LOGISTIC outputs are fixed at
  scale 1/256, zero point -128.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..graph import Graph, GraphBuilder, Quantization
from ..tflite.writer import CONVERTER_VERSIONS
from . import float_ops as F

_PROB_QUANT = (1.0 / 256.0, -128)


@dataclass
class Weights:
    """Float weights, quantized symmetric int8 (per channel along ``axis``, or per tensor)."""

    data: np.ndarray
    axis: int | None = 0


@dataclass
class Bias:
    """Float bias for the op whose input activation is ``act`` and weights ``weights``."""

    data: np.ndarray
    act: int
    weights: Weights


@dataclass
class Const:
    """A constant written as is (int32 shapes, axes, permutations...)."""

    data: np.ndarray


@dataclass
class PadValue:
    """PADV2's constant: the quantized zero of activation ``act``."""

    act: int


@dataclass
class _Act:
    name: str
    value: np.ndarray  # float, batch first
    fixed: tuple[float, int] | None = None


@dataclass
class _Layer:
    type: str
    inputs: list
    outputs: list[int]
    options: dict = field(default_factory=dict)


def _f32(x) -> float:
    return float(np.float32(x))


class QNet:
    """A float network under construction; ``x = net.input(...)`` then layer calls."""

    def __init__(self, name: str, seed: int = 0, calib: int = 4):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.calib = calib
        self.acts: list[_Act] = []
        self.layers: list[_Layer] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self._parent: dict[int, int] = {}
        self._count: dict[str, int] = {}
        self.description = ""
        #: activation -> tensor index in the graph of the last to_graph()
        self.tensor_index: dict[int, int] = {}

    # --- bookkeeping ---------------------------------------------------------

    def _name(self, base: str) -> str:
        n = self._count.get(base, 0)
        self._count[base] = n + 1
        return f"{base}_{n}" if n else base

    def _act(self, base: str, value: np.ndarray, fixed=None) -> int:
        self.acts.append(_Act(self._name(base), np.asarray(value, np.float32), fixed))
        return len(self.acts) - 1

    def _find(self, i: int) -> int:
        while self._parent.get(i, i) != i:
            i = self._parent[i]
        return i

    def tie(self, *acts: int) -> None:
        """Force these activations to share one quantization."""
        root = self._find(acts[0])
        for a in acts[1:]:
            r = self._find(a)
            if r != root:
                self._parent[r] = root

    def v(self, i: int) -> np.ndarray:
        return self.acts[i].value

    def shape(self, i: int) -> tuple[int, ...]:
        return (1,) + self.v(i).shape[1:]

    def _layer(self, type_, inputs, outputs, **options) -> None:
        self.layers.append(_Layer(type_, list(inputs), list(outputs), options))

    def he(self, shape, fan_in: int, gain: float = 2.0) -> np.ndarray:
        return (self.rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)

    def small_bias(self, n: int, std: float = 0.05) -> np.ndarray:
        return (self.rng.standard_normal(n) * std).astype(np.float32)

    # --- graph ends ----------------------------------------------------------

    def input(self, shape, low: float = -1.0, high: float = 1.0, name: str = "input") -> int:
        value = self.rng.uniform(low, high, (self.calib,) + tuple(shape[1:])).astype(np.float32)
        i = self._act(name, value)
        self.inputs.append(i)
        return i

    def output(self, *acts: int) -> None:
        self.outputs.extend(acts)

    # --- layers --------------------------------------------------------------

    def conv(self, x: int, out_ch: int, k=3, stride=1, padding="SAME", act="NONE",
             dilation=1, name="conv") -> int:
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        cin = self.v(x).shape[3]
        w = self.he((out_ch, kh, kw, cin), kh * kw * cin, 2.0 if act != "NONE" else 1.0)
        b = self.small_bias(out_ch)
        y = F.conv2d(self.v(x), w, b, (sh, sw), padding, (dilation, dilation))
        y = F.ACTIVATIONS[act](y)
        out = self._act(name, y)
        W = Weights(w, 0)
        self._layer("CONV_2D", [x, W, Bias(b, x, W)], [out], padding=padding, stride_w=sw,
                    stride_h=sh, dilation_w_factor=dilation, dilation_h_factor=dilation,
                    fused_activation_function=act)
        return out

    def dwconv(self, x: int, k=3, stride=1, padding="SAME", act="NONE", multiplier=1,
               name="dwconv") -> int:
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        c = self.v(x).shape[3] * multiplier
        w = self.he((1, kh, kw, c), kh * kw, 2.0 if act != "NONE" else 1.0)
        b = self.small_bias(c)
        y = F.depthwise_conv2d(self.v(x), w, b, (sh, sw), padding, depth_multiplier=multiplier)
        y = F.ACTIVATIONS[act](y)
        out = self._act(name, y)
        W = Weights(w, 3)
        self._layer("DEPTHWISE_CONV_2D", [x, W, Bias(b, x, W)], [out], padding=padding,
                    stride_w=sw, stride_h=sh, depth_multiplier=multiplier,
                    dilation_w_factor=1, dilation_h_factor=1, fused_activation_function=act)
        return out

    def fc(self, x: int, units: int, act="NONE", per_channel=True, bias=True, name="fc") -> int:
        cin = int(np.prod(self.v(x).shape[1:]))
        w = self.he((units, cin), cin, 2.0 if act != "NONE" else 1.0)
        b = self.small_bias(units) if bias else np.zeros(units, np.float32)
        y = F.ACTIVATIONS[act](F.fully_connected(self.v(x), w, b))
        out = self._act(name, y)
        W = Weights(w, 0 if per_channel else None)
        ins = [x, W, Bias(b, x, W) if bias else -1]
        self._layer("FULLY_CONNECTED", ins, [out], fused_activation_function=act,
                    keep_num_dims=False)
        return out

    def add(self, a: int, b: int, act="NONE", name="add") -> int:
        y = F.ACTIVATIONS[act](self.v(a) + self.v(b))
        out = self._act(name, y)
        self._layer("ADD", [a, b], [out], fused_activation_function=act)
        return out

    def mul(self, a: int, b: int, act="NONE", name="mul") -> int:
        y = F.ACTIVATIONS[act](self.v(a) * self.v(b))
        out = self._act(name, y)
        self._layer("MUL", [a, b], [out], fused_activation_function=act)
        return out

    def avg_pool(self, x: int, k, stride=None, padding="VALID", name="avgpool") -> int:
        kh, kw = (k, k) if isinstance(k, int) else k
        stride = stride or (kh, kw)
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        out = self._act(name, F.avg_pool(self.v(x), (kh, kw), (sh, sw), padding))
        self.tie(x, out)
        self._layer("AVERAGE_POOL_2D", [x], [out], padding=padding, stride_w=sw, stride_h=sh,
                    filter_width=kw, filter_height=kh, fused_activation_function="NONE")
        return out

    def max_pool(self, x: int, k, stride=None, padding="VALID", name="maxpool") -> int:
        kh, kw = (k, k) if isinstance(k, int) else k
        stride = stride or (kh, kw)
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        out = self._act(name, F.max_pool(self.v(x), (kh, kw), (sh, sw), padding))
        self.tie(x, out)
        self._layer("MAX_POOL_2D", [x], [out], padding=padding, stride_w=sw, stride_h=sh,
                    filter_width=kw, filter_height=kh, fused_activation_function="NONE")
        return out

    def mean(self, x: int, axes=(1, 2), keep_dims=True, name="mean") -> int:
        out = self._act(name, F.mean(self.v(x), axes, keep_dims))
        self._layer("MEAN", [x, Const(np.array(axes, np.int32))], [out], keep_dims=keep_dims)
        return out

    def pad(self, x: int, pads, name="pad") -> int:
        pads = np.array(pads, np.int32).reshape(4, 2)
        out = self._act(name, F.pad(self.v(x), pads))
        self.tie(x, out)
        self._layer("PAD", [x, Const(pads)], [out])
        return out

    def reshape(self, x: int, shape, name="reshape") -> int:
        shape = [int(s) for s in shape]
        out = self._act(name, self.v(x).reshape((self.calib,) + tuple(shape[1:])))
        self.tie(x, out)
        self._layer("RESHAPE", [x, Const(np.array(shape, np.int32))], [out], new_shape=shape)
        return out

    def transpose(self, x: int, perm, name="transpose") -> int:
        perm = [int(p) for p in perm]
        assert perm[0] == 0, "the batch axis stays first"
        out = self._act(name, np.transpose(self.v(x), perm))
        self.tie(x, out)
        self._layer("TRANSPOSE", [x, Const(np.array(perm, np.int32))], [out])
        return out

    def concat(self, xs, axis=-1, name="concat") -> int:
        y = np.concatenate([self.v(x) for x in xs], axis=axis)
        out = self._act(name, y)
        self.tie(*xs, out)
        rank = y.ndim
        self._layer("CONCATENATION", list(xs), [out], axis=axis % rank,
                    fused_activation_function="NONE")
        return out

    def resize_nearest(self, x: int, size, name="resize") -> int:
        out = self._act(name, F.resize_nearest(self.v(x), size))
        self.tie(x, out)
        self._layer("RESIZE_NEAREST_NEIGHBOR", [x, Const(np.array(size, np.int32))], [out],
                    align_corners=False, half_pixel_centers=False)
        return out

    def hard_swish(self, x: int, name="hswish") -> int:
        out = self._act(name, F.hard_swish(self.v(x)))
        self._layer("HARD_SWISH", [x], [out])
        return out

    def relu(self, x: int, name="relu") -> int:
        out = self._act(name, F.relu(self.v(x)))
        self._layer("RELU", [x], [out])
        return out

    def relu6(self, x: int, name="relu6") -> int:
        out = self._act(name, F.relu6(self.v(x)))
        self._layer("RELU6", [x], [out])
        return out

    def logistic(self, x: int, name="logistic") -> int:
        out = self._act(name, F.logistic(self.v(x)), fixed=_PROB_QUANT)
        self._layer("LOGISTIC", [x], [out])
        return out

    def softmax(self, x: int, beta=1.0, name="softmax") -> int:
        out = self._act(name, F.softmax(self.v(x), beta), fixed=_PROB_QUANT)
        self._layer("SOFTMAX", [x], [out], beta=beta)
        return out

    # --- quantization and emission ------------------------------------------

    def _act_quant(self) -> dict[int, tuple[float, int]]:
        groups: dict[int, list[int]] = {}
        for i in range(len(self.acts)):
            groups.setdefault(self._find(i), []).append(i)
        quant: dict[int, tuple[float, int]] = {}
        for members in groups.values():
            fixed = [self.acts[i].fixed for i in members if self.acts[i].fixed is not None]
            if fixed:
                s, z = fixed[0]
            else:
                lo = min(0.0, min(float(self.acts[i].value.min()) for i in members))
                hi = max(0.0, max(float(self.acts[i].value.max()) for i in members))
                hi = max(hi, lo + 1e-3)  # a dead (all-zero) tensor still needs a scale
                s = _f32((hi - lo) / 255.0)
                z = int(np.clip(np.round(-128 - lo / s), -128, 127))
            for i in members:
                quant[i] = (s, z)
        return quant

    @staticmethod
    def _weight_quant(w: Weights) -> tuple[np.ndarray, np.ndarray]:
        """(int8 values, float32-representable scales)."""
        data = w.data.astype(np.float64)
        if w.axis is None:
            amax = np.array([np.abs(data).max()])
            scale = np.maximum(amax, 1e-8) / 127.0
            scale = scale.astype(np.float32).astype(np.float64)
            q = np.round(data / scale[0])
        else:
            moved = np.moveaxis(data, w.axis, 0).reshape(data.shape[w.axis], -1)
            amax = np.abs(moved).max(axis=1)
            scale = (np.maximum(amax, 1e-8) / 127.0).astype(np.float32).astype(np.float64)
            bshape = [1] * data.ndim
            bshape[w.axis] = -1
            q = np.round(data / scale.reshape(bshape))
        return np.clip(q, -127, 127).astype(np.int8), scale

    def to_graph(self, float_io: bool = False, description: str = "") -> Graph:
        """Emit the int8 graph; ``float_io`` adds QUANTIZE / DEQUANTIZE at the ends."""
        aq = self._act_quant()
        name = self.name
        if float_io and not name.endswith("_float_io"):
            name += "_float_io"
        gb = GraphBuilder(name)
        tid: dict[int, int] = {}

        def act_tensor(i: int) -> int:
            if i not in tid:
                s, z = aq[i]
                tid[i] = gb.tensor(self.acts[i].name, self.shape(i), "int8", Quantization.make(s, z))
            return tid[i]

        graph_inputs = []
        for i in self.inputs:
            t = act_tensor(i)
            if float_io:
                f = gb.tensor(self.acts[i].name + "_float", self.shape(i), "float32")
                gb.op("QUANTIZE", [f], [t], version=CONVERTER_VERSIONS["QUANTIZE"])
                graph_inputs.append(f)
            else:
                graph_inputs.append(t)

        wcache: dict[int, tuple[int, np.ndarray]] = {}
        for li, layer in enumerate(self.layers):
            ins = []
            for spec in layer.inputs:
                if isinstance(spec, (int, np.integer)):
                    ins.append(act_tensor(int(spec)) if spec >= 0 else -1)
                elif isinstance(spec, Weights):
                    q, scale = self._weight_quant(spec)
                    axis = spec.axis if spec.axis is not None else 0
                    t = gb.const(f"{self.acts[layer.outputs[0]].name}/weights", q,
                                 Quantization.make(scale, 0, axis))
                    wcache[id(spec)] = (t, scale)
                    ins.append(t)
                elif isinstance(spec, Bias):
                    w_scale = wcache[id(spec.weights)][1]
                    in_s = aq[spec.act][0]
                    scale = (np.float32(in_s) * w_scale.astype(np.float32)).astype(np.float64)
                    q = np.clip(np.round(spec.data / scale), -2 ** 31, 2 ** 31 - 1).astype(np.int32)
                    ins.append(gb.const(f"{self.acts[layer.outputs[0]].name}/bias", q,
                                        Quantization.make(scale, 0, 0)))
                elif isinstance(spec, Const):
                    ins.append(gb.const(f"{self.acts[layer.outputs[0]].name}/const{len(ins)}", spec.data))
                elif isinstance(spec, PadValue):
                    s, z = aq[spec.act]
                    ins.append(gb.const(f"{self.acts[layer.outputs[0]].name}/value",
                                        np.array([z], np.int8), Quantization.make(s, z)))
                else:
                    raise TypeError(f"layer {li}: bad input spec {spec!r}")
            outs = [act_tensor(o) for o in layer.outputs]
            gb.op(layer.type, ins, outs, version=CONVERTER_VERSIONS.get(layer.type, 1), **layer.options)

        graph_outputs = []
        for o in self.outputs:
            t = act_tensor(o)
            if float_io:
                f = gb.tensor(self.acts[o].name + "_float", self.shape(o), "float32")
                gb.op("DEQUANTIZE", [t], [f], version=CONVERTER_VERSIONS["DEQUANTIZE"])
                graph_outputs.append(f)
            else:
                graph_outputs.append(t)
        g = gb.build(graph_inputs, graph_outputs)
        g.description = description or self.description
        self.tensor_index = dict(tid)
        return g
