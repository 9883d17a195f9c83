"""Calls TinyEngine kernels straight from Python (ctypes), for kernel-level property tests.

Builds the named ``lib/TinyEngine/src/<family>`` folders into a shared
library once per session (cached by content hash), with the warning flags of
the project and UBSan, so every call also checks for undefined behaviour.
"""

from __future__ import annotations

import ctypes
import hashlib
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TE = ROOT / "lib" / "TinyEngine"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-fPIC", "-shared",
          "-fsanitize=undefined", "-fno-sanitize-recover=all"]


def build(families: list[str]) -> ctypes.CDLL:
    srcs = sorted(p for fam in families for p in (TE / "src" / fam).glob("*.c"))
    h = hashlib.sha256(" ".join(CFLAGS).encode())
    for p in srcs + sorted((TE / "include").glob("*.h")) + sorted((TE / "src").rglob("*.h")):
        h.update(p.read_bytes())
    out = Path(tempfile.gettempdir()) / f"te-ctypes-{h.hexdigest()[:16]}.so"
    if not out.exists():
        tmp = out.with_suffix(f".{id(out)}.tmp")
        subprocess.run(["gcc", *CFLAGS, "-I", str(TE / "include"), "-I", str(TE / "src"), *map(str, srcs),
                        "-o", str(tmp)], check=True, capture_output=True, text=True)
        tmp.replace(out)
    return ctypes.CDLL(str(out))


class Dims(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int32), ("h", ctypes.c_int32), ("w", ctypes.c_int32), ("c", ctypes.c_int32)]


class Tile(ctypes.Structure):
    _fields_ = [("h", ctypes.c_int32), ("w", ctypes.c_int32)]


class Activation(ctypes.Structure):
    _fields_ = [("min", ctypes.c_int32), ("max", ctypes.c_int32)]


class Context(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("size", ctypes.c_int32)]


class Quant(ctypes.Structure):
    _fields_ = [("multiplier", ctypes.c_int32), ("shift", ctypes.c_int32)]


def dims(shape) -> Dims:
    s = [1] * (4 - len(shape)) + [int(v) for v in shape]
    return Dims(*s)


def ptr(a: np.ndarray):
    assert a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(ctypes.c_void_p)


def scratch(nbytes: int) -> tuple[Context, np.ndarray]:
    """A te_context over a fresh 16-byte aligned buffer (kept alive by the returned array)."""
    raw = np.zeros(max(nbytes, 0) + 16, dtype=np.uint8)
    off = (-raw.ctypes.data) % 16
    buf = raw[off:off + max(nbytes, 0)]
    return Context(buf.ctypes.data if nbytes > 0 else None, nbytes), raw
