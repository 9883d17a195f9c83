"""The README's main job, end to end: model -> C -> host check -> PlatformIO build -> QEMU board run.

Each step prints one line; the board step streams what ``pio run -t upload``
prints (prediction, instructions, time at the board's clock, SRAM).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import McuflowError

ROOT = Path(__file__).resolve().parents[1]


def pio_command() -> list[str]:
    """PlatformIO as installed in this Python, else on PATH."""
    try:
        import platformio  # noqa: F401

        return [sys.executable, "-m", "platformio"]
    except ImportError:
        pio = shutil.which("pio")
        if pio:
            return [pio]
    raise McuflowError("PlatformIO is not installed: run `python3 -m pip install platformio==6.2.0 scons==4.11.1`"
                       " (or `nox -s demo`, which installs it)")


def pio_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PLATFORMIO_SETTING_ENABLE_TELEMETRY", "no")
    env.setdefault("PLATFORMIO_DISABLE_UPGRADE_CHECK", "true")
    env.setdefault("PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL", "36500")
    return env


def run_on_emulated_board(model_path: Path, board: str) -> None:
    """`pio run -e BOARD -t upload`: build the firmware for this model and run it in QEMU."""
    env = pio_env()
    setup = subprocess.run([sys.executable, str(ROOT / "scripts" / "pio_offline_setup.py")], env=env,
                           capture_output=True, text=True)
    if setup.returncode != 0:
        raise McuflowError(f"PlatformIO offline setup failed: {setup.stderr.strip() or setup.stdout.strip()}")
    env["MCUFLOW_MODEL"] = str(model_path.resolve())
    cmd = pio_command() + ["run", "-d", str(ROOT), "-e", board, "-t", "upload"]
    print(f"      $ MCUFLOW_MODEL={model_path} pio run -e {board} -t upload", flush=True)
    r = subprocess.run(cmd, env=env, text=True, capture_output=True)
    lines = (r.stdout + r.stderr).splitlines()
    # PlatformIO's own banner is noise here; from the size check on is what a user wants to see.
    start = next((k for k, line in enumerate(lines) if line.startswith("RAM:")), 0) if r.returncode == 0 else 0
    for line in lines[start:]:
        print("      " + line)
    if r.returncode != 0:
        raise McuflowError(f"`pio run -e {board} -t upload` failed (exit {r.returncode})")


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
    print(f"[1/4] model      {model_path} (made by the model factory)")
    gen = compile_model(model_path, out / "c", name="model")
    r = gen.report
    print(f"[2/4] compiled   {out / 'c'}: {r['macs']:,} MACs, arena {r['arena_bytes']:,} B "
          f"({r['plan']['strategy']} plan), weights {r['flash_weights_bytes']:,} B")
    res = verify_model(model_path, n_inputs=5)
    print(f"[3/4] verified   bit-exact on the host (ASan/UBSan) against TF Lite Micro and the NumPy reference: "
          f"{res.n_inputs} random inputs, {res.compared_tensors} tensors compared")
    if args.host_only:
        return 0
    print(f"[4/4] board      {args.board} (QEMU), built with PlatformIO:", flush=True)
    run_on_emulated_board(model_path, args.board)
    return 0
