"""Renode backend: scripts for the boards Renode models; runs only where renode is on PATH."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mcuflow.boards import get_board
from mcuflow.device.renode import have_renode, renode_boards, renode_command, renode_script

FAKE = Path(__file__).parent / "device_fixtures" / "fake_model"


def test_scripts_exist_for_renode_boards():
    assert {"netduinoplus2", "disco_f746ng", "nano33ble"} <= set(renode_boards())
    for name in renode_boards():
        text = renode_script(get_board(name)).read_text()
        assert "$elf" in text and "$port" in text and "CreateServerSocketTerminal" in text


def test_command_sets_elf_and_port(tmp_path):
    cmd = renode_command(get_board("netduinoplus2"), tmp_path / "fw.elf", 4444)
    assert cmd[0] == "renode" and "--disable-xwt" in cmd
    assert "$port=4444" in cmd[-1] and "netduinoplus2.resc" in cmd[-1]


@pytest.mark.skipif(not have_renode(), reason="renode is not on PATH (not installable from the registries here)")
def test_fake_model_on_renode(tmp_path):
    from mcuflow.device.build import build_firmware
    from mcuflow.device.harness import PreparedModel, run_firmware

    board = get_board("netduinoplus2")
    fw = build_firmware(FAKE, board, tmp_path)
    pm = PreparedModel(FAKE, json.loads((FAKE / "report.json").read_text()), None)
    x = np.arange(256, dtype=np.int32).astype(np.int8)
    res = run_firmware(fw, pm, [x], emulator="renode")
    q = int(np.trunc(int(x.astype(np.int32).sum()) / 64))
    assert res.outputs[0].tolist() == np.clip(x.astype(np.int32) * 3 - 5 + q, -128, 127).astype(np.int8).tolist()
