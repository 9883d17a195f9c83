"""PlatformIO builds offline with the local dev-platform: pre-build codegen, fit check, QEMU upload.

`pio test` runs TinyEngine's kernel tests on the emulated target (one env by
default, every emulated env in the slow test); the firmware's arena and
weight symbols are checked against report.json.

Uses a private PLATFORMIO_CORE_DIR prepared by scripts/pio_offline_setup.py
(pip's SCons as tool-scons) and a private build dir, so nothing waits on the
registry and the user's .pio is untouched. One emulated env by default; every
env (real boards included) in the slow test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mcuflow.device.build import have_toolchain
from mcuflow.device.kernel_tests import FAMILIES
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
        ["pio", "run", "-d", str(ROOT), *args], env=e, capture_output=True, text=True, timeout=timeout, check=False
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
    """Every env, emulated and real, builds offline with the default model; each ELF's sizes match report.json."""
    from mcuflow.boards import BOARDS

    for name in BOARDS:
        r = pio(pio_env, "-e", name, timeout=600)
        assert r.returncode == 0, name + "\n" + r.stdout[-3000:] + r.stderr[-3000:]
        _check_sizes(Path(pio_env["PLATFORMIO_BUILD_DIR"]) / name)


def pio_test(env: dict, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["pio", "test", "-d", str(ROOT), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _kernel_tests_passed(out: str, n_envs: int = 1) -> None:
    n = len(FAMILIES) * 2  # custom_test_cases = 2 per family (platformio.ini default)
    assert out.count(f"KT_DONE {n} tests 0 failures") == n_envs, out[-4000:]
    assert f"{n * n_envs} test cases: {n * n_envs} succeeded" in out, out[-4000:]
    for family in FAMILIES:
        assert f":kt_{family}_0:PASS" in out and f":kt_{family}_1:PASS" in out, family


@pytest.mark.qemu
@pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-arm")
def test_pio_test_runs_kernel_tests_on_emulated_target(pio_env):
    """`pio test -e mps2_an500`: every kernel family bit-exact with the NumPy reference on the M7 under QEMU;
    a wrong expected byte is reported as a failed test case, not passed."""
    r = pio_test(pio_env, "-e", "mps2_an500")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    _kernel_tests_passed(out)

    gen = Path(pio_env["PLATFORMIO_BUILD_DIR"]) / "mps2_an500" / "kernel_tests"
    vectors = gen / "kernel_vectors.c"
    text = vectors.read_text()
    m = re.search(r"kt_fc_1_expected\[\d+\] = \{\s*(-?\d+)", text)
    assert m, "kernel_vectors.c has no kt_fc_1 expected bytes"
    wrong = int(m.group(1)) + (1 if int(m.group(1)) < 127 else -1)
    vectors.write_text(text[: m.start(1)] + str(wrong) + text[m.end(1) :])
    try:
        r = pio_test(pio_env, "-e", "mps2_an500")
        out = r.stdout + r.stderr
        assert r.returncode != 0, out[-4000:]
        assert f":kt_fc_1:FAIL:byte (index, got, expected) 0 {m.group(1)} {wrong}" in out, out[-4000:]
        assert "1 failed" in out
    finally:
        (gen / ".stamp").unlink()  # regenerate the true vectors next time


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-arm")
def test_pio_test_every_emulated_env(pio_env):
    from mcuflow.boards import emulated_boards

    names = [b.name for b in emulated_boards()]
    args = [a for n in names for a in ("-e", n)]
    r = pio_test(pio_env, *args, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    _kernel_tests_passed(out, len(names))


def _elf_symbols(elf: Path) -> dict[str, tuple[int, int, str]]:
    """name -> (address, size, nm type) of every sized symbol."""
    r = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True)
    syms = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            addr, size, kind, name = parts
            syms[name] = (int(addr, 16), int(size, 16), kind)
    return syms


def _check_sizes(build: Path) -> tuple[dict, dict, list[str]]:
    """The ELF's arena symbol is arena_bytes + MODEL_GUARD_BYTES each side; its weight arrays sum to
    flash_weights_bytes (report.json of the model generated into this build)."""
    model_dir = build / "model"
    report = json.loads((model_dir / "report.json").read_text())
    guard = int(re.search(r"#define MODEL_GUARD_BYTES (\d+)", (model_dir / "model.h").read_text()).group(1))
    assert guard > 0
    syms = _elf_symbols(build / "program.elf")
    assert "model_storage" in syms, "no arena symbol (model_storage) in the ELF"
    assert syms["model_storage"][1] == report["arena_bytes"] + 2 * guard, build.name
    weights = re.findall(r"^const \w+ (\w+)\[", (model_dir / "model_weights.c").read_text(), re.MULTILINE)
    assert weights
    missing = [w for w in weights if w not in syms]
    assert not missing, f"{build.name}: weight arrays dropped from the ELF: {missing[:5]}"
    assert sum(syms[w][1] for w in weights) == report["flash_weights_bytes"], build.name
    return report, syms, weights


def test_pio_firmware_sizes_match_report(pio_env):
    """The built ELF holds exactly the arena (plus guard bytes each side) and the weight bytes report.json states."""
    from mcuflow.boards import get_board

    env_name = "netduinoplus2"
    r = pio(pio_env, "-e", env_name)  # the default model (factory:dscnn_kws)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    report, syms, weights = _check_sizes(Path(pio_env["PLATFORMIO_BUILD_DIR"]) / env_name)
    ram_start = 0x20000000  # the STM32F405's SRAM; its flash is at 0x08000000
    assert syms["model_storage"][0] >= ram_start
    assert all(syms[w][0] < ram_start and syms[w][2] in "rRtT" for w in weights), "weights must live in flash"

    # and the board's budget holds them (the fit check the pre-build hook applied)
    board = get_board(env_name)
    assert report["arena_bytes"] <= board.model_ram_budget
    assert report["flash_weights_bytes"] <= board.model_flash_budget
