"""Firmware on emulated boards through the serial harness: outputs, repeatable counts, budgets.

Needs qemu-system-arm and arm-none-eabi-gcc (skips otherwise). The fake model
(test/device_fixtures/fake_model) has the generated model's API and a known
function, so firmware and harness are tested without the code generator; the
factory models then run bit-exact against the NumPy reference.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mcuflow.boards import get_board
from mcuflow.device.build import build_firmware, have_toolchain
from mcuflow.device.harness import PreparedModel, open_session, prepare_model, run_firmware
from mcuflow.device.link import ModelMismatchError
from mcuflow.device.qemu import QemuBackend, have_qemu
from mcuflow.errors import DoesNotFitError, UnsupportedError

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(not (have_qemu() and have_toolchain()), reason="needs qemu-system-arm and arm-none-eabi-gcc"),
]

FAKE = Path(__file__).parent / "device_fixtures" / "fake_model"
EMULATED = ["mps2_an386", "mps2_an500", "netduinoplus2", "mps3_an547"]


def fake_expected(x: np.ndarray) -> np.ndarray:
    s = int(x.astype(np.int32).sum())
    q = int(np.trunc(s / 64))  # C division truncates
    return np.clip(x.astype(np.int32) * 3 - 5 + q, -128, 127).astype(np.int8)


@pytest.fixture(scope="module")
def fake_pm() -> PreparedModel:
    return PreparedModel(FAKE, json.loads((FAKE / "report.json").read_text()), None)


@pytest.fixture(scope="module")
def fake_fw(tmp_path_factory):
    cache = {}

    def get(board: str):
        if board not in cache:
            cache[board] = build_firmware(FAKE, get_board(board), tmp_path_factory.mktemp(board))
        return cache[board]

    return get


@pytest.mark.parametrize("board", EMULATED)
def test_fake_model_runs_and_counts_repeat(board, fake_pm, fake_fw):
    fw = fake_fw(board)
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, 256, dtype=np.int8)
    r1 = run_firmware(fw, fake_pm, [x])
    r2 = run_firmware(fw, fake_pm, [x])
    np.testing.assert_array_equal(r1.outputs[0], fake_expected(x))
    assert r1.instructions == r2.instructions and r1.instructions > 1000
    assert 0 < r1.stack_bytes < get_board(board).stack_bytes
    assert r1.arena_bytes == 512
    assert r1.flash_bytes == fw.flash_bytes


def test_session_stats_and_many_inferences(fake_pm, fake_fw):
    fw = fake_fw("mps2_an500")
    with QemuBackend(fw.board, fw.elf) as q:
        s = open_session(q.url, fw.board, expected_hash="fa4e000000000001", emulated=True)
        try:
            assert s.info.board == "mps2_an500" and s.info.input_bytes == [256] and s.info.output_bytes == [256]
            rng = np.random.default_rng(0)
            for _ in range(5):
                x = rng.integers(-128, 128, 256, dtype=np.int8)
                outs, r = s.run([x.tobytes()])
                assert np.frombuffer(outs[0], np.int8).tolist() == fake_expected(x).tolist()
            st = s.stats()
            assert st.invocations == 5 and st.guards_ok and st.arena_bytes == 512
            assert st.stack_reserved == fw.board.stack_bytes
        finally:
            s.link.close()


def test_model_hash_mismatch_is_refused(fake_fw):
    fw = fake_fw("mps2_an386")
    with QemuBackend(fw.board, fw.elf) as q, pytest.raises(ModelMismatchError, match="fa4e000000000001"):
        open_session(q.url, fw.board, expected_hash="0123456789abcdef")


def test_too_big_model_refused_before_build(tmp_path):
    d = tmp_path / "big"
    shutil.copytree(FAKE, d)
    (d / "report.json").write_text(json.dumps({"arena_bytes": 300_000, "flash_weights_bytes": 10, "macs": 1}))
    with pytest.raises(DoesNotFitError, match=r"arena needs 300000 B .*netduinoplus2"):
        prepare_model(d, get_board("netduinoplus2"))


def test_linker_enforces_real_sram_budget(tmp_path):
    """Even past the Python check, the linker script carries the real chip's SRAM."""
    d = tmp_path / "big"
    shutil.copytree(FAKE, d)
    h = (d / "model.h").read_text().replace("#define MODEL_ARENA_BYTES 512", "#define MODEL_ARENA_BYTES 200000")
    (d / "model.h").write_text(h)
    with pytest.raises(DoesNotFitError, match=r"RAM overflowed by \d+ bytes"):
        build_firmware(d, get_board("netduinoplus2"), tmp_path / "fw")


def _factory_or_skip(name: str):
    from mcuflow.codegen import check_supported
    from mcuflow.factory import build

    g = build(name)
    try:
        check_supported(g)
    except UnsupportedError as e:
        pytest.skip(f"codegen: {e}")
    return g


@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an500", "netduinoplus2"])
@pytest.mark.parametrize("name", ["fc_autoencoder", "dscnn_kws"])
def test_factory_model_bit_exact_on_board(name, board):
    from mcuflow.device.harness import verify_on_board

    g = _factory_or_skip(name)
    summary = verify_on_board(g, board, n_inputs=1, seed=5)
    assert summary["bit_exact"] and summary["instructions"][0] > summary["macs"]


def _factory_names() -> list[str]:
    from mcuflow.factory import MODELS

    return sorted(MODELS)


@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an500", "netduinoplus2"])
@pytest.mark.parametrize("name", _factory_names())
def test_every_factory_model_bit_exact_and_repeatable(name, board):
    """Fits -> bit-exact and the same instruction count twice; does not fit -> refused before the build."""
    from mcuflow.device.harness import build_for, run_firmware

    g = _factory_or_skip(name)
    try:
        pm, fw = build_for(g, board)
    except DoesNotFitError as e:
        assert "B over" in str(e)
        return
    from mcuflow.device.harness import _make_inputs, reference_outputs

    inputs = _make_inputs(pm, None, None, 11)
    r1 = run_firmware(fw, pm, inputs)
    r2 = run_firmware(fw, pm, inputs)
    for got, want in zip(r1.outputs, reference_outputs(g, inputs)):
        assert got.tobytes() == np.asarray(want).tobytes()
    assert r1.instructions == r2.instructions


@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an500", "netduinoplus2"])
def test_converter_models_bit_exact_on_board(board, shared_model_dir):
    from mcuflow.device.harness import verify_on_board

    for path in sorted(shared_model_dir.glob("*.tflite")):
        try:
            verify_on_board(path, board, n_inputs=1, seed=2)
        except DoesNotFitError:
            continue
        except UnsupportedError:
            continue
