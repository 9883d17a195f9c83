"""TinyNAS with torch: supernet weight sharing, BN recalibration, resume, int8 export bit-exact."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mcuflow.nas import space as S
from mcuflow.nas.data import Dataset, load_dataset

# Tiny backbone with depth 2 so that residual ADDs are exercised.
BB = replace(S.QUICK_BACKBONE, depths=(2,), stages=(S.Stage(8, 2), S.Stage(12, 1)))
SP = S.SpaceChoice(1.0, 12)


@pytest.fixture(scope="module")
def data() -> Dataset:
    torch.set_num_threads(1)
    return load_dataset("digits", 12, seed=0, limit=400)


def _cfg(tmp_path, **kw):
    from mcuflow.nas.train import TrainConfig

    base = dict(dataset="digits", width=SP.width, resolution=SP.resolution, backbone=BB.to_dict(), epochs=1,
                batch_size=32, limit=400, progress=False, threads=1, checkpoint=str(tmp_path / "ck.pt"))
    base.update(kw)
    return TrainConfig(**base)


def test_supernet_shares_weights_and_folds(data):
    from mcuflow.nas.data import to_tensor
    from mcuflow.nas.export import float_folded_accuracy
    from mcuflow.nas.supernet import SuperNet, recalibrate_bn

    torch.manual_seed(0)
    m = SuperNet(BB, SP.width)
    a = S.sample(BB, SP, random.Random(0))
    x = to_tensor(data.x_train[:64])
    recalibrate_bn(m, a, [x[:32], x[32:]])
    m.eval()
    want = m(x, a)
    # BN folding is exact up to float rounding
    from mcuflow.nas.supernet import folded_forward

    got = folded_forward(x, S.layers(a, BB), m.folded_layers(a))
    assert torch.allclose(got, want, atol=1e-4)
    assert 0.0 <= float_folded_accuracy(a, BB, m.folded_layers(a), data.x_test, data.y_test) <= 1.0
    # the smallest subnet reads a slice of the largest's weights
    small, big = S.smallest(BB, SP), S.largest(BB, SP)
    lay_s = [lay for lay in S.layers(small, BB) if lay.role == "dw"][0]
    w = m.module_for(lay_s).sliced_weight(lay_s.cin, lay_s.cout, lay_s.k)
    assert w.data_ptr() != 0 and w.shape[2] == min(BB.kernels)
    assert S.macs(small, BB) < S.macs(big, BB)


def test_train_resume_is_deterministic(tmp_path, data):
    """Interrupted after epoch 1 and resumed == trained in one go (seeds, data order, augmentation, LR)."""
    from mcuflow.nas.train import train

    a = train(_cfg(tmp_path / "a", epochs=2), data, log=lambda m: None)
    train(_cfg(tmp_path / "b", epochs=2, stop_after=1), data, log=lambda m: None)
    msgs = []
    b = train(_cfg(tmp_path / "b", epochs=2), data, log=msgs.append)
    assert any("resumed" in m for m in msgs)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.allclose(sa[k].float(), sb[k].float(), atol=1e-6), k


def test_int8_export_bit_exact_on_host(tmp_path, data):
    """Train briefly, fine-tune a subnet with a residual ADD, PTQ, write with our writer, verify."""
    from mcuflow.nas.data import to_tensor
    from mcuflow.nas.export import int8_accuracy, to_int8_graph
    from mcuflow.nas.supernet import recalibrate_bn
    from mcuflow.nas.train import evaluate, train
    from mcuflow.tflite.writer import write_model
    from mcuflow.verify.host import verify_model

    model = train(_cfg(tmp_path, epochs=2, lr=0.1), data, log=lambda m: None)
    a = S.Arch(SP.width, SP.resolution, [5, 3, 3, 5], [3, 4, 4, 3], [2, 2])
    assert any(lay.residual_from >= 0 for lay in S.layers(a, BB))
    x = to_tensor(data.x_train[:128])
    recalibrate_bn(model, a, [x[:64], x[64:]])
    acc_f = evaluate(model, a, data.x_test, data.y_test)
    g = to_int8_graph(a, BB, model.folded_layers(a), data.x_train[:128])
    assert sum(op.type == "ADD" for op in g.ops) >= 1
    blob = write_model(g)
    acc_q = int8_accuracy(blob, data.x_test, data.y_test)
    assert acc_f > 0.15  # 10 classes: above chance after 2 very short epochs
    assert abs(acc_q - acc_f) < 0.1  # PTQ keeps the float accuracy
    r = verify_model(blob, n_inputs=2, seed=1)
    assert r.n_inputs == 2 and r.compared_tensors > 0


def test_quick_pipeline_end_to_end(tmp_path):
    """`nas run --quick` in miniature: space -> supernet -> evolution -> fine-tune -> int8 -> fits -> card."""
    from mcuflow.nas.pipeline import RunConfig, run
    from mcuflow.nas.search import SearchConfig

    cfg = RunConfig.quick_config(board="netduinoplus2", dataset="digits", out_dir=str(tmp_path), name="q",
                                 widths=(0.5,), resolutions=(12,), space_samples=4, limit=300,
                                 supernet_epochs=1, finetune_epochs=1,
                                 search=SearchConfig(population=3, generations=1), val_limit=40,
                                 verify_board=False, baseline=False, calib_images=32, verify_inputs=1)
    card = run(cfg, log=lambda m: None)
    for key in ("board", "accuracy", "accuracy_float", "macs", "params", "peak_sram_bytes", "flash_bytes",
                "dataset", "search"):
        assert key in card
    assert card["verification"]["host"]["status"] == "bit-exact"
    assert card["peak_sram_bytes"] <= card["budget"]["model_sram_bytes"]
    assert (tmp_path / "q.tflite").exists() and (tmp_path / "q_spaces.png").exists()
    assert json.loads((tmp_path / "q.json").read_text())["name"] == "q"


@pytest.mark.slow
@pytest.mark.qemu
def test_cli_run_quick_on_emulated_board(tmp_path):
    """The Done-when command: `mcuflow nas run --board netduinoplus2 --quick` (128 KB board)."""
    import shutil

    if not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        pytest.skip("needs qemu-system-arm and arm-none-eabi-gcc")
    from mcuflow.cli import main

    rc = main(["nas", "run", "--board", "netduinoplus2", "--quick", "--out-dir", str(tmp_path), "--name", "q"])
    assert rc == 0
    card = json.loads((tmp_path / "q.json").read_text())
    assert card["verification"]["host"]["status"] == "bit-exact"
    assert card["verification"]["emulated_board"]["status"] == "bit-exact"
    assert card["baseline_mobilenetv2"]["accuracy"] is not None
    assert np.isfinite(card["accuracy"])
