"""Running generated models on boards: serial protocol, harness, emulator backends.

The CLI and nox call :func:`run_model`, :func:`verify_on_board` and
:func:`bench` (see :mod:`.harness`).
"""

from __future__ import annotations


def __getattr__(name: str):
    # Lazy: `import mcuflow.device` must not pull numpy/pyserial for the CLI's --help.
    if name in ("run_on_board", "run_model", "verify_on_board", "bench", "format_bench", "format_result", "DeviceResult"):
        from . import harness

        return getattr(harness, name)
    raise AttributeError(name)
