"""PlatformIO builds offline with the local dev-platform: pre-build codegen, fit check, QEMU upload.

Uses a private PLATFORMIO_CORE_DIR prepared by scripts/pio_offline_setup.py
(pip's SCons as tool-scons) and a private build dir, so nothing waits on the
registry and the user's .pio is untouched. One emulated env by default; every
env (real boards included) in the slow test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mcuflow.device.build import have_toolchain
from mcuflow.device.qemu import have_qemu

ROOT = Path(__file__).resolve().parents[1]
FAKE = Path(__file__).parent / "device_fixtures" / "fake_model"

pytestmark = pytest.mark.skipif(
    shutil.which("pio") is None or not have_toolchain(), reason="needs platformio and arm-none-eabi-gcc"
)


@pytest.fixture(scope="module")
def pio_env(tmp_path_factory):
    pytest.importorskip("SCons", reason="pip install scons==4.11.1")
    core = tmp_path_factory.mktemp("pio-core")
    env = dict(os.environ)
    env.update(
        PLATFORMIO_CORE_DIR=str(core),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="no",
        PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL="9999",
        PLATFORMIO_DISABLE_UPGRADE_CHECK="true",
        PLATFORMIO_BUILD_DIR=str(tmp_path_factory.mktemp("pio-build")),
    )
    subprocess.run([sys.executable, str(ROOT / "scripts" / "pio_offline_setup.py")], env=env, check=True)
    return env


def pio(env: dict, *args: str, model: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    e = dict(env)
    if model:
        e["MCUFLOW_MODEL"] = model
    return subprocess.run(
        ["pio", "run", "-d", str(ROOT), *args], env=e, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.qemu
@pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-arm")
def test_pio_build_and_upload_runs_in_qemu(pio_env):
    r = pio(pio_env, "-e", "mps2_an386", model=str(FAKE))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "arena 512 B" in r.stdout and "TinyEngine" in r.stdout  # codegen hook ran; library finder found it
    elf = Path(pio_env["PLATFORMIO_BUILD_DIR"]) / "mps2_an386" / "program.elf"
    assert elf.exists()
    r = pio(pio_env, "-e", "mps2_an386", "-t", "upload", model=str(FAKE))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "instructions" in r.stdout and "arena 512 B + stack" in r.stdout


def test_pio_refuses_model_too_big_with_byte_count(pio_env, tmp_path):
    big = tmp_path / "big"
    shutil.copytree(FAKE, big)
    (big / "report.json").write_text(json.dumps({"arena_bytes": 150_000, "flash_weights_bytes": 0, "macs": 1}))
    r = pio(pio_env, "-e", "netduinoplus2", model=str(big))
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "arena needs 150000 B" in out and "B over" in out


@pytest.mark.slow
def test_pio_builds_every_env(pio_env):
    """Every env, emulated and real, builds offline with the default model."""
    from mcuflow.boards import BOARDS

    for name in BOARDS:
        r = pio(pio_env, "-e", name, timeout=600)
        assert r.returncode == 0, name + "\n" + r.stdout[-3000:] + r.stderr[-3000:]
