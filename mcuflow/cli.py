"""The ``mcuflow`` command line.

Every command has ``--help``; errors a user can act on (a malformed model, an
unsupported operator, a model that does not fit) print one line and exit 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys

from .errors import McuflowError, VerificationError


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2))


def cmd_inspect(args) -> int:
    from .analysis import shape_str, summarize
    from .tflite.reader import read_model

    graph = read_model(args.model)
    info = summarize(graph)
    if args.memory:
        from pathlib import Path as _Path

        from .codegen import check_supported
        from .report.memory import plot, profile

        check_supported(graph)
        prof = profile(graph, _Path(args.model).read_bytes(), name=_Path(args.model).stem, strategy=args.strategy)
        mem = prof.as_dict()
        by_op = {r["index"]: r for r in mem.pop("layers")}
        info["memory"] = dict(mem, arena_bytes=prof.ours, lower_bound_bytes=prof.lower_bound)
        for row in info["layers"]:
            row["live_bytes"] = by_op[row["index"]]["ours"]
            row["tflm_live_bytes"] = by_op[row["index"]]["tflm"]
        from .patch import patch_summary

        info["memory"]["patch"] = patch_summary(graph, args.patch or "auto", args.strategy or "mcuflow")
        if not args.no_plot:
            png = _Path(args.plot) if args.plot else _Path(f"{_Path(args.model).stem}_memory.png")
            info["memory"]["plot"] = str(plot(prof, png))
    if args.json:
        _print_json(info)
        return 0
    print(f"{args.model}: {info['ops']} ops, {info['tensors']} tensors, {info['macs']:,} MACs, "
          f"{info['params']:,} parameters, {info['const_bytes']:,} bytes of constants")
    for t in info["inputs"]:
        print(f"  input  {t['name']}: {t['dtype']} {shape_str(t['shape'])}")
    for t in info["outputs"]:
        print(f"  output {t['name']}: {t['dtype']} {shape_str(t['shape'])}")
    header = f"{'#':>4}  {'operator':<24} {'output':<18} {'MACs':>12} {'params':>9}"
    if args.memory:
        header += f" {'live bytes':>11} {'TFLM live':>11}"
    print(header)
    for r in info["layers"]:
        line = f"{r['index']:>4}  {r['type']:<24} {shape_str(r['output_shape']):<18} {r['macs']:>12,} {r['params']:>9,}"
        if args.memory:
            line += f" {r['live_bytes']:>11,} {r['tflm_live_bytes']:>11,}"
        print(line)
    if args.tensors:
        print(f"{'#':>4}  {'tensor':<40} {'dtype':<8} {'shape':<16} {'bytes':>9}  quantization")
        for t in info["tensor_table"]:
            q = ""
            if "scale" in t:
                q = f"scale {t['scale']:.6g} zp {t['zero_point']}" + (" per-channel" if t["per_channel"] else "")
            kind = " (const)" if t["const"] else ""
            print(f"{t['index']:>4}  {t['name'][:40]:<40} {t['dtype']:<8} {shape_str(t['shape']):<16} "
                  f"{t['bytes']:>9,}  {q}{kind}")
    if args.memory:
        from .report.memory import format_summary

        print(format_summary(prof))
        from .patch import format_patch_summary

        print(format_patch_summary(info["memory"]["patch"]))
        if "plot" in info["memory"]:
            print(f"per-layer plot: {info['memory']['plot']}")
    return 0


def _compile(args, patch):
    from .codegen import compile_model

    if args.int8_io:  # the device takes and returns int8: boundary QUANTIZE/DEQUANTIZE folded away
        from .codegen import load, render
        from .passes import strip_float_io

        graph, model_bytes = load(args.model)
        return render(strip_float_io(graph), model_bytes, name=args.name, strategy=args.strategy, patch=patch)
    return compile_model(args.model, name=args.name, strategy=args.strategy, patch=patch)


def cmd_compile(args) -> int:
    gen = _compile(args, args.patch)
    if args.board:
        from .errors import DoesNotFitError
        from .planner.budget import check_fits  # refuses before anything is written

        try:
            check_fits(gen.report, args.board)
        except DoesNotFitError as layered:
            if args.patch is not None:
                raise
            # Layer by layer does not fit: the patch-based schedule (MCUNetV2) is the scheduler's other
            # answer, at the price of some recomputed MACs. Refused with both figures when neither fits.
            patched = _compile(args, "auto")
            if "patch" not in patched.report:
                raise
            try:
                check_fits(patched.report, args.board)
            except DoesNotFitError as p:
                raise DoesNotFitError(f"{layered}; patch by patch: {p}") from None
            print(f"layer by layer does not fit {args.board}: compiled patch by patch instead")
            gen = patched
    paths = gen.write(args.output)
    if args.json:
        _print_json(gen.report)
    else:
        r = gen.report
        print(f"wrote {', '.join(p.name for p in paths)} to {args.output}")
        print(f"  {r['macs']:,} MACs, arena {r['arena_bytes']:,} bytes, weights {r['flash_weights_bytes']:,} bytes")
        if "patch" in r:
            from .patch import format_patch

            print("  " + format_patch(r["patch"]))
    return 0


def cmd_verify(args) -> int:
    import numpy as np

    from .verify.host import verify_model

    if args.target != "host":
        from .device import verify_on_board  # the firmware/harness package

        result = verify_on_board(args.model, args.target, n_inputs=args.inputs, seed=args.seed, port=args.port)
        if args.json:
            _print_json(result)
        else:
            print(f"{args.model}: bit-exact on {args.target} ({args.inputs} inputs)")
        return 0
    inputs = None
    if args.input_file:
        from .codegen import load

        graph, _ = load(args.model)
        inputs = []
        for f in args.input_file:
            arr = np.load(f) if f.endswith(".npy") else np.fromfile(f, dtype=graph.tensors[graph.inputs[0]].dtype)
            t = graph.tensors[graph.inputs[0]]
            inputs.append([np.asarray(arr, dtype=t.dtype).reshape(t.shape)])
    res = verify_model(args.model, n_inputs=args.inputs, seed=args.seed, sanitize=not args.no_sanitize,
                       oracle=args.oracle, inputs=inputs)
    summary = {"model": str(args.model), "target": "host", "oracle": res.oracle, "inputs": res.n_inputs,
               "ops": res.ops, "compared_tensors": res.compared_tensors, "bit_exact": True}
    if args.json:
        _print_json(summary)
    else:
        print(f"{args.model}: bit-exact on the host against {res.oracle} and the NumPy reference "
              f"({res.n_inputs} inputs, {res.ops} ops, {res.compared_tensors} tensors compared)")
    return 0


def cmd_factory(args) -> int:
    from .factory import MODELS, write_all

    names = args.models or list(MODELS)
    paths = write_all(args.output, names=names)
    for p in paths:
        print(p)
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mcuflow", description="Compile int8 TFLite models to bit-exact C for Cortex-M.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("inspect", help="operators, tensors, MACs, parameters, flash bytes")
    s.add_argument("model")
    s.add_argument("--memory", action="store_true",
                   help="per-layer live bytes under our plan and TF Lite Micro's, totals, ratio, PNG plot")
    s.add_argument("--plot", help="where --memory writes its PNG (default: <model>_memory.png here)")
    s.add_argument("--no-plot", action="store_true", help="--memory without the PNG")
    s.add_argument("--strategy", default=None, help="memory strategy: mcuflow (default), inplace, greedy")
    s.add_argument("--tensors", action="store_true", help="list every tensor with its quantization")
    s.add_argument("--patch", default=None, metavar="auto|NxM@LAYER",
                   help="with --memory: patch-based figures for this choice (default: auto)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_inspect)

    s = sub.add_parser("compile", help="generate C sources and report.json")
    s.add_argument("model")
    s.add_argument("-o", "--output", required=True, help="output directory")
    s.add_argument("--name", default="model", help="C symbol prefix (default: model)")
    s.add_argument("--board", help="refuse the model if it does not fit this board")
    s.add_argument("--strategy", default=None, help="memory strategy: mcuflow (default), inplace, greedy")
    s.add_argument("--int8-io", action="store_true",
                   help="drop the float32 input QUANTIZE / output DEQUANTIZE: the device takes and returns int8")
    s.add_argument("--patch", default=None, metavar="auto|NxM@LAYER",
                   help="run the first stage patch by patch (MCUNetV2): auto picks split layer and grid, "
                        "4x4@5 fixes them (LAYER: op index or output tensor name)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_compile)

    s = sub.add_parser("verify", help="run generated code and the oracle on the same inputs, compare bytes")
    s.add_argument("model")
    s.add_argument("--target", default="host", help="host, or a board name")
    s.add_argument("--inputs", type=int, default=3, help="number of random input sets")
    s.add_argument("--input-file", action="append", help="an input (.npy or raw bytes); repeatable")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--oracle", choices=["tflm", "litert"], default="tflm")
    s.add_argument("--port", help="serial URL of a connected board")
    s.add_argument("--no-sanitize", action="store_true", help="build without ASan/UBSan")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_verify)

    s = sub.add_parser("factory", help="write the project's test models (.tflite)")
    s.add_argument("-o", "--output", default="models/factory")
    s.add_argument("models", nargs="*", help="model names (default: all)")
    s.set_defaults(fn=cmd_factory)

    s = sub.add_parser("demo", help="compile a bundled model and verify it end to end")
    s.add_argument("--model", default="dscnn_kws", help="factory model name")
    s.add_argument("-o", "--output", default="out/demo")
    s.add_argument("--board", default="mps2_an500", help="emulated board env (default: mps2_an500, a Cortex-M7)")
    s.add_argument("--host-only", action="store_true", help="stop after the host check (no PlatformIO/QEMU)")
    s.set_defaults(fn=cmd_demo)

    # Feature packages add their own commands (run/bench on boards, nas, memory bench):
    # each module listed here defines register(subparsers).
    for module in PLUGIN_COMMANDS:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(sub)
    return p


PLUGIN_COMMANDS = ("mcuflow.device.cli", "mcuflow.planner.cli", "mcuflow.nas.cli")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except McuflowError as e:
        msg = " ".join(str(e).split("\n")[:1]) if not isinstance(e, VerificationError) else str(e)
        model = getattr(args, "model", None)
        if model and str(model) not in msg:
            msg = f"{model}: {msg}"
        print(f"mcuflow: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
