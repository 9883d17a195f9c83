"""scripts/qemu_profile.py: QEMU's block log turned into instructions per function."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "qemu_profile.py"


def _load():
    spec = importlib.util.spec_from_file_location("qemu_profile", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


LOG = """\
IN: kernel
0x00000100:  4770       bx       lr
0x00000102:  4770       add      r0, r1
0x00000104:  4770       bne      #0x100

Trace 0: 0x7f00 [00000000/00000100/01000000/ff200000] kernel
Trace 0: 0x7f00 [00000000/00000100/01000000/ff200000] kernel
IN: main
0x00000200:  4770       mov      r0, r1

Trace 0: 0x7f40 [00000000/00000200/01000000/ff200000] main
IN: kernel
0x00000100:  4770       bx       lr

Trace 0: 0x7f80 [00000000/00000100/01000000/ff200000] kernel
"""


def test_each_execution_charged_its_latest_translation(tmp_path):
    log = tmp_path / "q.log"
    log.write_text(LOG)
    counts = _load().profile(log)
    # two runs of the 3-instruction block, then one of its 1-instruction retranslation
    assert counts == {"kernel": 3 + 3 + 1, "main": 1}
