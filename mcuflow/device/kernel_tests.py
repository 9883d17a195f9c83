"""Kernel test vectors for `pio test` on the target: single-op models checked against the NumPy reference.

Each case is a one-operator graph with a random configuration (shapes,
strides, paddings, scales, zero points, activations) for one kernel family.
The code generator lowers it to TinyEngine calls (with the constants it
computes in Python), and :func:`mcuflow.reference.run_graph` gives the
bit-exact expected output. :func:`write_suite` writes every case's C plus
``kernel_vectors.h``/``kernel_vectors.c``, a table the on-target runner
(``firmware/test/test_kernels``) walks: set inputs, invoke, compare bytes,
check the arena guards, print ``file:line:test:PASS|FAIL[:message]``.

    python -m mcuflow.device.kernel_tests OUT_DIR [--seed N] [--per-family N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..graph import Graph, GraphBuilder, Quantization

ACTS = ("NONE", "RELU", "RELU6")


def _f32(x: float) -> float:
    return float(np.float32(x))


def _out_size(padding: str, n: int, k: int, s: int, d: int = 1) -> int:
    eff = (k - 1) * d + 1
    return (n + s - 1) // s if padding == "SAME" else (n - eff + s) // s


def _act_q(rng, scale_lo: float = 0.01, scale_hi: float = 0.1) -> Quantization:
    return Quantization.make(_f32(rng.uniform(scale_lo, scale_hi)), int(rng.integers(-20, 21)))


def _mac(b: GraphBuilder, rng, kind: str, pointwise: bool = False) -> tuple[list[int], int]:
    """CONV_2D / DEPTHWISE_CONV_2D with per-channel weights and an int32 bias."""
    h, w = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    cin = int(rng.integers(1, 9))
    if pointwise:
        kh = kw = sh = sw = dh = dw = 1
        padding = "VALID"
    else:
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        dh = dw = int(rng.choice([1, 1, 2]))
        padding = str(rng.choice(["SAME", "VALID"]))
        if padding == "VALID":
            h, w = max(h, (kh - 1) * dh + 1), max(w, (kw - 1) * dw + 1)
    dm = int(rng.integers(1, 3)) if kind == "DEPTHWISE_CONV_2D" else 1
    cout = cin * dm if kind == "DEPTHWISE_CONV_2D" else int(rng.integers(1, 9))
    si = _f32(rng.uniform(0.01, 0.1))
    x = b.tensor("x", (1, h, w, cin), "int8", Quantization.make(si, int(rng.integers(-20, 21))))
    if kind == "CONV_2D":
        wshape, axis, taps = (cout, kh, kw, cin), 0, kh * kw * cin
    else:
        wshape, axis, taps = (1, kh, kw, cout), 3, kh * kw
    ws = np.asarray([_f32(v) for v in 0.01 * 2.0 ** rng.uniform(-1, 1, cout)], dtype=np.float32)
    wt = b.const("w", rng.integers(-127, 128, wshape).astype(np.int8), Quantization.make(ws, 0, axis))
    bias_scales = np.asarray([_f32(si * float(s)) for s in ws], dtype=np.float32)
    typical = math.sqrt(taps) * 5500.0
    bias = np.round(rng.normal(0, typical, cout)).astype(np.int32)
    bt = b.const("b", bias, Quantization.make(bias_scales, 0, 0))
    so = _f32(si * float(np.mean(ws)) * typical / 64.0)
    oh, ow = _out_size(padding, h, kh, sh, dh), _out_size(padding, w, kw, sw, dw)
    y = b.tensor("y", (1, oh, ow, cout), "int8", Quantization.make(so, int(rng.integers(-20, 21))))
    opts = {"padding": padding, "stride_h": sh, "stride_w": sw, "dilation_h_factor": dh, "dilation_w_factor": dw,
            "fused_activation_function": str(rng.choice(ACTS))}
    if kind == "DEPTHWISE_CONV_2D":
        opts["depth_multiplier"] = dm
    b.op(kind, [x, wt, bt], [y], **opts)
    return [x], y


def _conv(b, rng):
    return _mac(b, rng, "CONV_2D")


def _depthwise(b, rng):
    return _mac(b, rng, "DEPTHWISE_CONV_2D")


def _pointwise(b, rng):
    return _mac(b, rng, "CONV_2D", pointwise=True)


def _fc(b: GraphBuilder, rng):
    n_in, n_out = int(rng.integers(1, 65)), int(rng.integers(1, 17))
    si = _f32(rng.uniform(0.01, 0.1))
    x = b.tensor("x", (1, n_in), "int8", Quantization.make(si, int(rng.integers(-20, 21))))
    sw = _f32(rng.uniform(0.005, 0.02))
    wt = b.const("w", rng.integers(-127, 128, (n_out, n_in)).astype(np.int8), Quantization.make(sw, 0))
    typical = math.sqrt(n_in) * 5500.0
    bt = b.const("b", np.round(rng.normal(0, typical, n_out)).astype(np.int32), Quantization.make(_f32(si * sw), 0))
    y = b.tensor("y", (1, n_out), "int8", Quantization.make(_f32(si * sw * typical / 64.0), int(rng.integers(-20, 21))))
    b.op("FULLY_CONNECTED", [x, wt, bt], [y], fused_activation_function=str(rng.choice(ACTS)), keep_num_dims=False)
    return [x], y


def _binary(op_type: str) -> Callable:
    def make(b: GraphBuilder, rng):
        shape = (1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 9)))
        x1 = b.tensor("x1", shape, "int8", _act_q(rng))
        x2 = b.tensor("x2", shape, "int8", _act_q(rng))
        y = b.tensor("y", shape, "int8", _act_q(rng, 0.02, 0.2) if op_type == "ADD" else _act_q(rng, 0.0005, 0.01))
        b.op(op_type, [x1, x2], [y], fused_activation_function=str(rng.choice(ACTS)))
        return [x1, x2], y

    return make


def _pool(op_type: str) -> Callable:
    def make(b: GraphBuilder, rng):
        h, w, c = int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(1, 9))
        fh, fw = int(rng.integers(1, min(h, 3) + 1)), int(rng.integers(1, min(w, 3) + 1))
        s = int(rng.integers(1, 3))
        padding = str(rng.choice(["SAME", "VALID"]))
        q = _act_q(rng)
        x = b.tensor("x", (1, h, w, c), "int8", q)
        y = b.tensor("y", (1, _out_size(padding, h, fh, s), _out_size(padding, w, fw, s), c), "int8", q)
        b.op(op_type, [x], [y], padding=padding, stride_h=s, stride_w=s, filter_height=fh, filter_width=fw,
             fused_activation_function=str(rng.choice(ACTS)))
        return [x], y

    return make


def _softmax(b: GraphBuilder, rng):
    shape = (1, int(rng.integers(1, 4)), int(rng.integers(2, 33)))
    x = b.tensor("x", shape, "int8", _act_q(rng, 0.02, 0.2))
    y = b.tensor("y", shape, "int8", Quantization.make(1.0 / 256.0, -128))
    b.op("SOFTMAX", [x], [y], beta=float(rng.choice([1.0, 0.5, 2.0])))
    return [x], y


def _lut(op_type: str) -> Callable:
    def make(b: GraphBuilder, rng):
        shape = (1, int(rng.integers(1, 65)))
        x = b.tensor("x", shape, "int8", _act_q(rng, 0.02, 0.1))
        q = Quantization.make(1.0 / 256.0, -128) if op_type == "LOGISTIC" else Quantization.make(1.0 / 128.0, 0)
        y = b.tensor("y", shape, "int8", q)
        b.op(op_type, [x], [y])
        return [x], y

    return make


def _pad(b: GraphBuilder, rng):
    shape = (1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    pads = np.zeros((4, 2), np.int32)
    pads[1:3] = rng.integers(0, 3, (2, 2))
    q = _act_q(rng)
    x = b.tensor("x", shape, "int8", q)
    y = b.tensor("y", tuple(int(d + p.sum()) for d, p in zip(shape, pads)), "int8", q)
    b.op("PAD", [x, b.const("pads", pads)], [y])
    return [x], y


def _concat(b: GraphBuilder, rng):
    base = [1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 5))]
    axis = int(rng.integers(1, 4))
    q = _act_q(rng)
    xs, total = [], 0
    for k in range(int(rng.integers(2, 4))):
        s = list(base)
        s[axis] = int(rng.integers(1, 5))
        total += s[axis]
        xs.append(b.tensor(f"x{k}", tuple(s), "int8", q))
    out = list(base)
    out[axis] = total
    y = b.tensor("y", tuple(out), "int8", q)
    b.op("CONCATENATION", xs, [y], axis=axis, fused_activation_function="NONE")
    return xs, y


def _transpose(b: GraphBuilder, rng):
    shape = (1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    perm = [0] + [int(p) + 1 for p in rng.permutation(3)]
    q = _act_q(rng)
    x = b.tensor("x", shape, "int8", q)
    y = b.tensor("y", tuple(shape[p] for p in perm), "int8", q)
    b.op("TRANSPOSE", [x, b.const("perm", np.array(perm, np.int32))], [y])
    return [x], y


FAMILIES: dict[str, Callable] = {
    "conv": _conv,
    "depthwise": _depthwise,
    "pointwise": _pointwise,
    "fc": _fc,
    "add": _binary("ADD"),
    "mul": _binary("MUL"),
    "avgpool": _pool("AVERAGE_POOL_2D"),
    "maxpool": _pool("MAX_POOL_2D"),
    "softmax": _softmax,
    "tanh": _lut("TANH"),
    "logistic": _lut("LOGISTIC"),
    "pad": _pad,
    "concat": _concat,
    "transpose": _transpose,
}


def kernel_cases(seed: int = 0, per_family: int = 2) -> list[tuple[str, Graph, list[np.ndarray], np.ndarray]]:
    """(case name, one-op graph, inputs, expected output) for every family."""
    from ..reference import run_graph

    cases = []
    for fi, (family, make) in enumerate(FAMILIES.items()):
        for k in range(per_family):
            rng = np.random.default_rng([seed, fi, k])
            name = f"kt_{family}_{k}"
            b = GraphBuilder(name)
            xs, y = make(b, rng)
            g = b.build(xs, [y])
            inputs = [rng.integers(-128, 128, g.tensors[i].shape).astype(np.int8) for i in xs]
            expected = np.asarray(run_graph(g, inputs)[y], dtype=np.int8)
            cases.append((name, g, inputs, expected))
    return cases


def _bytes_init(a: np.ndarray) -> str:
    vals = np.asarray(a, dtype=np.int8).reshape(-1).astype(int).tolist()
    lines = [", ".join(str(v) for v in vals[i:i + 24]) for i in range(0, len(vals), 24)]
    return "{\n    " + ",\n    ".join(lines) + "\n}" if vals else "{0}"


def render_vectors(cases) -> tuple[str, str]:
    """``kernel_vectors.h`` and ``kernel_vectors.c``: the case table the target walks."""
    h = [
        "/* Generated by mcuflow.device.kernel_tests: do not edit. */",
        "#ifndef KERNEL_VECTORS_H",
        "#define KERNEL_VECTORS_H",
        "#include <stdint.h>",
        '#include "te_types.h"',
        "",
        "#define KT_MAX_INPUTS 4",
        "",
        "typedef struct {",
        "    const char *name;",
        "    te_status (*init)(void);",
        "    te_status (*invoke)(void);",
        "    void *(*input)(int i);",
        "    const void *(*output)(int i);",
        "    int (*guards_intact)(void);",
        "    int num_inputs;",
        "    const int8_t *inputs[KT_MAX_INPUTS];",
        "    int32_t input_bytes[KT_MAX_INPUTS];",
        "    const int8_t *expected;",
        "    int32_t output_bytes;",
        "} kt_case;",
        "",
        "extern const kt_case kt_cases[];",
        "extern const int kt_num_cases;",
        "#endif",
        "",
    ]
    c = ["/* Generated by mcuflow.device.kernel_tests: do not edit. */", '#include "kernel_vectors.h"']
    for name, *_ in cases:
        c.append(f'#include "{name}.h"')
    c.append("")
    rows = []
    for name, g, inputs, expected in cases:
        for j, x in enumerate(inputs):
            c.append(f"static const int8_t {name}_in{j}[{x.size}] = {_bytes_init(x)};")
        c.append(f"static const int8_t {name}_expected[{expected.size}] = {_bytes_init(expected)};")
        ins = ", ".join(f"{name}_in{j}" for j in range(len(inputs)))
        sizes = ", ".join(str(x.size) for x in inputs)
        rows.append(
            f'    {{"{name}", {name}_init, {name}_invoke, {name}_input, {name}_output, {name}_guards_intact, '
            f"{len(inputs)}, {{{ins}}}, {{{sizes}}}, {name}_expected, {expected.size}}},"
        )
    c.append("")
    c.append("const kt_case kt_cases[] = {")
    c.extend(rows)
    c.append("};")
    c.append(f"const int kt_num_cases = {len(cases)};")
    c.append("")
    return "\n".join(h), "\n".join(c)


def write_suite(out_dir: str | Path, seed: int = 0, per_family: int = 2) -> list[str]:
    """Generate every case's C and the vector table into ``out_dir`` (skipped when up to date)."""
    from ..codegen import generate

    out = Path(out_dir)
    src = Path(__file__).read_bytes()
    stamp = hashlib.sha256(src + json.dumps([seed, per_family]).encode()).hexdigest()
    stamp_file = out / ".stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return json.loads((out / "cases.json").read_text())
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cases = kernel_cases(seed, per_family)
    for name, g, _, _ in cases:
        generate(g, out, name=name)
        (out / "report.json").rename(out / f"{name}.report.json")
    h, c = render_vectors(cases)
    (out / "kernel_vectors.h").write_text(h)
    (out / "kernel_vectors.c").write_text(c)
    names = [name for name, *_ in cases]
    (out / "cases.json").write_text(json.dumps(names))
    stamp_file.write_text(stamp)
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=2)
    args = ap.parse_args(argv)
    names = write_suite(args.out_dir, args.seed, args.per_family)
    print(f"{len(names)} kernel test cases in {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
