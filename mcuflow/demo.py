"""The README's main job: a bundled model compiled, built and checked end to end."""

from __future__ import annotations

from pathlib import Path


def run_demo(args) -> int:
    from .codegen import compile_model
    from .factory import build
    from .tflite.writer import write_model
    from .verify.host import verify_model

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    graph = build(args.model, seed=0)
    model_path = out / f"{args.model}.tflite"
    model_path.write_bytes(write_model(graph))
    print(f"[1/3] model      {model_path} (made by the model factory)")
    gen = compile_model(model_path, out / "c", name="model")
    r = gen.report
    print(f"[2/3] compiled   {out / 'c'}: {r['macs']:,} MACs, arena {r['arena_bytes']:,} B, "
          f"weights {r['flash_weights_bytes']:,} B")
    res = verify_model(model_path, n_inputs=5)
    print(f"[3/3] verified   bit-exact on the host (ASan/UBSan) against TF Lite Micro and the NumPy reference: "
          f"{res.n_inputs} random inputs, {res.compared_tensors} tensors compared")
    return 0
