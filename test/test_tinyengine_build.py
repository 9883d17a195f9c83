"""lib/TinyEngine compiles warning-free as a vendored library: host gcc and Cortex-M0+/M4/M7."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TE = Path(__file__).resolve().parents[1] / "lib" / "TinyEngine"
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
TARGETS = {
    "host": ["gcc"],
    "cortex-m0plus": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m0plus", "-mfloat-abi=soft"],
    "cortex-m4": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
    "cortex-m7": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"],
}


def sources() -> list[Path]:
    return sorted((TE / "src").rglob("*.c"))


@pytest.mark.parametrize("target", list(TARGETS))
def test_library_compiles_warning_free(target, tmp_path):
    cc = TARGETS[target]
    if shutil.which(cc[0]) is None:
        pytest.skip(f"{cc[0]} not installed (run: python scripts/bootstrap.py)")
    assert sources(), "lib/TinyEngine has no sources"
    for src in sources():
        r = subprocess.run([*cc, *FLAGS, "-I", str(TE / "include"), "-I", str(TE / "src"), "-c", str(src), "-o",
                            str(tmp_path / (src.stem + ".o"))], capture_output=True, text=True)
        assert r.returncode == 0, f"{src.relative_to(TE)} on {target}:\n{r.stderr}"


def test_public_header_is_self_contained(tmp_path):
    c = tmp_path / "use.c"
    c.write_text('#include "tinyengine.h"\nint main(void) { return TE_OK; }\n')
    r = subprocess.run(["gcc", *FLAGS, "-I", str(TE / "include"), str(c), "-o", str(tmp_path / "use")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_public_function_is_documented():
    import re

    undocumented = []
    for h in sorted((TE / "include").glob("*.h")):
        text = h.read_text()
        for m in re.finditer(r"^(?:te_status|int32_t|void|int)\s+\**(te_\w+)\s*\(", text, re.MULTILINE):
            before = text[: m.start()].rstrip()
            if not before.endswith("*/"):
                undocumented.append(f"{h.name}: {m.group(1)}")
    assert not undocumented, "public functions without a Doxygen comment: " + ", ".join(undocumented)
