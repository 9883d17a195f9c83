"""The command line as a user meets it: outputs, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mcuflow.cli import main
from mcuflow.graph import GraphBuilder, Quantization
from mcuflow.tflite.writer import write_model


def small_model() -> bytes:
    b = GraphBuilder("small")
    x = b.tensor("x", (1, 8, 8, 3), "int8", Quantization.make(0.02, -10))
    y = b.tensor("y", (1, 4, 4, 3), "int8", Quantization.make(0.02, -10))
    b.op("MAX_POOL_2D", [x], [y], padding="VALID", stride_w=2, stride_h=2, filter_width=2, filter_height=2,
         fused_activation_function="NONE")
    s = b.const("shape", np.array([1, 48], np.int32))
    z = b.tensor("z", (1, 48), "int8", Quantization.make(0.02, -10))
    b.op("RESHAPE", [y, s], [z], new_shape=[1, 48])
    return write_model(b.build([x], [z]))


def unsupported_model() -> bytes:
    b = GraphBuilder("unsupported")
    x = b.tensor("x", (1, 4), "float32")
    y = b.tensor("y", (1, 4), "float32")
    b.op("EXP", [x], [y])
    return write_model(b.build([x], [y]))


@pytest.fixture
def model(tmp_path):
    p = tmp_path / "small.tflite"
    p.write_bytes(small_model())
    return p


def test_inspect_json(model, capsys):
    assert main(["inspect", str(model), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [r["type"] for r in info["layers"]] == ["MAX_POOL_2D", "RESHAPE"]
    assert info["inputs"][0]["shape"] == [1, 8, 8, 3]


def test_inspect_text(model, capsys):
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "MAX_POOL_2D" in out and "MACs" in out


def test_compile_writes_sources_and_report(model, tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["compile", str(model), "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} == {"model.h", "model.c", "model_weights.c", "report.json"}
    assert report["arena_bytes"] > 0 and report["macs"] == 0
    text = (out / "model.c").read_text()
    assert "malloc" not in text and "te_" in text


def test_verify_host(model, capsys):
    assert main(["verify", str(model), "--target", "host", "--inputs", "2", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["bit_exact"] and res["inputs"] == 2


def test_unsupported_operator_is_one_line_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.tflite"
    p.write_bytes(unsupported_model())
    out = tmp_path / "gen"
    assert main(["compile", str(p), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "bad.tflite" in err and "operator 0 (EXP)" in err
    assert not out.exists(), "a failed compile must not leave output behind"


def test_truncated_model_is_one_line_exit_2(model, tmp_path, capsys):
    p = tmp_path / "cut.tflite"
    p.write_bytes(model.read_bytes()[:100])
    assert main(["inspect", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cut.tflite" in err


def test_no_traceback_from_subprocess(tmp_path):
    p = tmp_path / "junk.tflite"
    p.write_bytes(b"\x00" * 64)
    r = subprocess.run([sys.executable, "-m", "mcuflow.cli", "compile", str(p), "-o", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "junk.tflite" in r.stderr


@pytest.mark.parametrize("cmd", ["inspect", "compile", "verify", "factory", "demo"])
def test_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "usage" in capsys.readouterr().out
