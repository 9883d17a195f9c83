"""Weight-sharing supernet (PyTorch) over :mod:`mcuflow.nas.space`.

Every block slot holds the weights of its largest choice: expand 1x1 conv for
the largest ratio, a 7x7 depthwise kernel, a project conv. A subnet slices the
first ``cin*e`` channels and the centre ``k x k`` of the kernel (OFA's elastic
kernel without its transform matrices), and skips the slots its stage depth
does not use. BatchNorm statistics are shared the same way and recalibrated
per subnet (:func:`recalibrate_bn`) before a subnet is evaluated.

Padding follows TFLite's SAME rule (more padding after than before when the
total is odd), so the float model is the function the int8 graph computes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .space import Arch, Backbone, Layer, channels, layers


def same_pad(x: torch.Tensor, k: int, stride: int) -> torch.Tensor:
    h = x.shape[2]
    out = (h + stride - 1) // stride
    total = max((out - 1) * stride + k - h, 0)
    if total == 0:
        return x
    lo = total // 2
    return F.pad(x, (lo, total - lo, lo, total - lo))


class SlicedBN(nn.BatchNorm2d):
    """BatchNorm over the first ``c`` channels of its largest width."""

    def forward_c(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        training = self.training or self.running_mean is None
        momentum = self.momentum
        if self.training and self.momentum is None:  # cumulative average (BN recalibration)
            self.num_batches_tracked.add_(1)
            momentum = 1.0 / float(self.num_batches_tracked)
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c], self.weight[:c], self.bias[:c],
                            training, momentum if momentum is not None else 0.0, self.eps)

    def fold(self, c: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(multiplier, offset) so that bn(y) = y * m + o for the first ``c`` channels."""
        m = self.weight[:c] / torch.sqrt(self.running_var[:c] + self.eps)
        return m, self.bias[:c] - self.running_mean[:c] * m


class ConvBN(nn.Module):
    """A conv (full or depthwise) at its largest size plus a sliced BatchNorm."""

    def __init__(self, cin: int, cout: int, k: int, depthwise: bool = False):
        super().__init__()
        self.depthwise = depthwise
        self.weight = nn.Parameter(torch.empty(cout, 1 if depthwise else cin, k, k))
        nn.init.kaiming_normal_(self.weight, mode="fan_out")
        self.bn = SlicedBN(cout)

    def sliced_weight(self, cin: int, cout: int, k: int) -> torch.Tensor:
        kmax = self.weight.shape[2]
        lo = (kmax - k) // 2
        w = self.weight[:cout, : (1 if self.depthwise else cin), lo:lo + k, lo:lo + k]
        return w

    def forward(self, x: torch.Tensor, lay: Layer) -> torch.Tensor:
        w = self.sliced_weight(lay.cin, lay.cout, lay.k)
        x = same_pad(x, lay.k, lay.stride)
        y = F.conv2d(x, w, None, lay.stride, 0, 1, lay.cout if self.depthwise else 1)
        y = self.bn.forward_c(y)
        return F.relu6(y) if lay.act == "RELU6" else y

    def folded(self, lay: Layer) -> tuple[torch.Tensor, torch.Tensor]:
        """BN folded into the conv: (weight OIHW, bias)."""
        w = self.sliced_weight(lay.cin, lay.cout, lay.k)
        m, o = self.bn.fold(lay.cout)
        return w * m.view(-1, 1, 1, 1), o


class SuperNet(nn.Module):
    def __init__(self, bb: Backbone, width: float):
        super().__init__()
        self.bb = bb
        self.width = width
        ch = channels(bb, width)
        emax = max(bb.expands)
        kmax = max(bb.kernels)
        self.stem = ConvBN(bb.in_channels, ch["stem"], 3)
        self.first_dw = ConvBN(ch["stem"], ch["stem"], 3, depthwise=True)
        self.first_pw = ConvBN(ch["stem"], ch["first"], 1)
        self.blocks = nn.ModuleList()
        cin = ch["first"]
        for s, stage in enumerate(bb.stages):
            cout = ch["stages"][s]
            for j in range(bb.max_depth):
                c_in = cin if j == 0 else cout
                self.blocks.append(nn.ModuleDict({
                    "expand": ConvBN(c_in, c_in * emax, 1),
                    "dw": ConvBN(c_in * emax, c_in * emax, kmax, depthwise=True),
                    "project": ConvBN(c_in * emax, cout, 1),
                }))
            cin = cout
        self.head = ConvBN(cin, ch["head"], 1)
        self.classifier = nn.Linear(ch["head"], bb.num_classes)

    def module_for(self, lay: Layer) -> nn.Module:
        if lay.slot >= 0:
            return self.blocks[lay.slot][lay.role]
        return {"stem": self.stem, "first/dw": self.first_dw, "first/project": self.first_pw,
                "head": self.head, "classifier": self.classifier}[lay.name]

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        lays = layers(arch, self.bb)
        inputs: list[torch.Tensor] = []
        for lay in lays:
            inputs.append(x)
            if lay.kind == "pool":
                x = x.mean(dim=(2, 3))
            elif lay.kind == "fc":
                x = self.classifier(x)
            else:
                x = self.module_for(lay)(x, lay)
                if lay.residual_from >= 0:
                    x = x + inputs[lay.residual_from]
        return x

    @torch.no_grad()
    def folded_layers(self, arch: Arch) -> list[tuple[torch.Tensor, torch.Tensor] | None]:
        """Per layer of ``layers(arch)``: BN-folded (weight, bias); None for the pooling layer."""
        out = []
        for lay in layers(arch, self.bb):
            if lay.kind == "pool":
                out.append(None)
            elif lay.kind == "fc":
                out.append((self.classifier.weight.clone(), self.classifier.bias.clone()))
            else:
                w, b = self.module_for(lay).folded(lay)
                out.append((w.clone(), b.clone()))
        return out


def folded_forward(x: torch.Tensor, lays: list[Layer], params, collect: dict | None = None) -> torch.Tensor:
    """Run BN-folded layers (what the int8 graph computes, in float); record ranges in ``collect``."""
    inputs = []

    def rec(key: str, t: torch.Tensor) -> None:
        if collect is not None:
            lo, hi = float(t.min()), float(t.max())
            old = collect.get(key)
            collect[key] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)

    for lay, p in zip(lays, params):
        inputs.append(x)
        if lay.kind == "pool":
            x = x.mean(dim=(2, 3), keepdim=True)
        elif lay.kind == "fc":
            x = F.linear(x.flatten(1), p[0], p[1])
        else:
            w, b = p
            x = F.conv2d(same_pad(x, lay.k, lay.stride), w, b, lay.stride, 0, 1,
                         lay.cout if lay.kind == "dw" else 1)
            if lay.act == "RELU6":
                x = F.relu6(x)
        rec(lay.name, x)
        if lay.residual_from >= 0:
            x = x + inputs[lay.residual_from]
            rec(f"{lay.name}/add", x)
    return x


@torch.no_grad()
def recalibrate_bn(model: SuperNet, arch: Arch, batches) -> None:
    """Reset BN statistics and re-estimate them for ``arch`` (cumulative average over ``batches``)."""
    was = model.training
    saved = {}
    for m in model.modules():
        if isinstance(m, SlicedBN):
            saved[m] = m.momentum
            m.running_mean.zero_()
            m.running_var.fill_(1.0)
            m.num_batches_tracked.zero_()
            m.momentum = None
    model.train()
    for xb in batches:
        model(xb, arch)
    for m, mom in saved.items():
        m.momentum = mom
    model.train(was)
