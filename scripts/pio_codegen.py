"""PlatformIO pre-build hook: generate the model's C into the build, refuse models that do not fit.

Options (platformio.ini, per env or in [env]):
  custom_model      a .tflite path (relative to the project), a directory that
                    already holds model.h/model.c/report.json, or
                    ``factory:<name>`` for a model of mcuflow.factory
  custom_model_name C symbol prefix (default "model"; the firmware expects "model")

The environment variable MCUFLOW_MODEL overrides custom_model for one run:
``MCUFLOW_MODEL=my.tflite pio run -e mps2_an500 -t upload``.

The generated sources go to $BUILD_DIR/model and are compiled with the
firmware; lib/TinyEngine is found by PlatformIO's library finder through its
library.json. A model whose arena or weights exceed the board's budget stops
the build here with the byte counts.
"""

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

Import("env")  # noqa: F821  (SCons)

PROJECT = Path(env.subst("$PROJECT_DIR"))  # noqa: F821
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from mcuflow.boards import BOARDS, check_fit
from mcuflow.errors import McuflowError


def _source(spec: str):
    """(model for codegen, bytes identifying it) from a custom_model value."""
    if spec.startswith("factory:"):
        from mcuflow.factory import build
        from mcuflow.tflite.writer import write_model

        g = build(spec.split(":", 1)[1])
        return g, write_model(g)
    path = Path(spec)
    if not path.is_absolute():
        path = PROJECT / path
    if path.is_dir():
        return path, b"".join(p.read_bytes() for p in sorted(path.iterdir()) if p.is_file())
    return path, path.read_bytes()


def generate_model(env) -> Path:
    spec = os.environ.get("MCUFLOW_MODEL") or env.GetProjectOption("custom_model", "factory:dscnn_kws")
    name = env.GetProjectOption("custom_model_name", "model")
    board_id = env.subst("$BOARD")
    board = BOARDS.get(board_id) or BOARDS.get(env.subst("$PIOENV"))
    out = Path(env.subst("$BUILD_DIR")) / "model"
    model, data = _source(spec)
    stamp = hashlib.sha256(data + spec.encode() + name.encode()).hexdigest()
    stamp_file = out / ".stamp"
    if not (stamp_file.exists() and stamp_file.read_text() == stamp):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        if isinstance(model, Path) and model.is_dir():
            for p in model.iterdir():
                if p.is_file():
                    shutil.copy(p, out / p.name)
        else:
            from mcuflow.codegen import generate

            generate(model, out, name=name)
        stamp_file.write_text(stamp)
    (out / ".source").write_text(spec)  # the upload script checks outputs against this model
    report = json.loads((out / "report.json").read_text())
    if board is not None:
        check_fit(board, int(report["arena_bytes"]), int(report.get("flash_weights_bytes", 0)))
    print(
        f"mcuflow: model {spec}: arena {report['arena_bytes']} B, weights {report.get('flash_weights_bytes', 0)} B, "
        f"{report.get('macs', 0)} MACs, hash {report.get('model_hash', '?')}"
    )
    return out


def generate_kernel_tests(env) -> Path:
    """`pio test`: the kernel test cases (one-op models + expected bytes from the NumPy reference)."""
    from mcuflow.device.kernel_tests import write_suite

    out = Path(env.subst("$BUILD_DIR")) / "kernel_tests"
    seed = int(env.GetProjectOption("custom_test_seed", "0"))
    per_family = int(env.GetProjectOption("custom_test_cases", "2"))
    names = write_suite(out, seed=seed, per_family=per_family)
    print(f"mcuflow: {len(names)} kernel test cases (seed {seed}) in {out}")
    return out


def _board_src_filter(env) -> str:
    """The env's source filter without the application: the tests bring their own main()."""
    flt = env.get("SRC_FILTER") or ""
    if isinstance(flt, (list, tuple)):
        flt = " ".join(str(f) for f in flt)
    return " ".join(tok for tok in env.subst(flt).split() if tok.strip() not in ("+<app/>", "+<app>"))


if "test" in env.GetBuildType():  # noqa: F821
    # Test builds link the test runner (test_dir), the board support and TinyEngine; no model.
    try:
        kt_dir = generate_kernel_tests(env)  # noqa: F821
    except McuflowError as e:
        sys.stderr.write(f"mcuflow: error: {e}\n")
        env.Exit(1)  # noqa: F821
    board = BOARDS.get(env.subst("$BOARD")) or BOARDS.get(env.subst("$PIOENV"))  # noqa: F821
    if board is not None and board.emulated:
        env.Append(CPPDEFINES=["MCUFLOW_SEMIHOSTING_EXIT"])  # noqa: F821
    env.Append(CPPPATH=[str(kt_dir), str(PROJECT / "lib" / "TinyEngine" / "include")])  # noqa: F821
    env.BuildSources("$BUILD_DIR/kernel_tests_obj", str(kt_dir))  # noqa: F821
    env.BuildSources("$BUILD_DIR/board_obj", "$PROJECT_SRC_DIR", _board_src_filter(env))  # noqa: F821
    Return()  # noqa: F821

try:
    gen_dir = generate_model(env)  # noqa: F821
except McuflowError as e:
    sys.stderr.write(f"mcuflow: error: {e}\n")
    env.Exit(1)  # noqa: F821
else:
    # The generated sources are compiled with this (global) env, before the library
    # finder adds TinyEngine's include dir to the project's env: add it here too.
    env.Append(CPPPATH=[str(gen_dir), str(PROJECT / "lib" / "TinyEngine" / "include")])  # noqa: F821
    env.BuildSources("$BUILD_DIR/model_obj", str(gen_dir))  # noqa: F821
