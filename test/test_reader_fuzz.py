"""The reader (and the compiler behind it) on malformed bytes: a clear error, never a crash or a hang."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcuflow.codegen import render
from mcuflow.errors import McuflowError, ModelError
from mcuflow.graph import GraphBuilder, Quantization
from mcuflow.tflite.reader import read_model
from mcuflow.tflite.writer import write_model


def _seed_model() -> bytes:
    """A small conv + FC model: every table kind the reader walks."""
    rng = np.random.default_rng(0)
    b = GraphBuilder("seed")
    x = b.tensor("x", (1, 6, 6, 2), "int8", Quantization.make(0.05, 3))
    w = b.const("w", rng.integers(-127, 128, (4, 3, 3, 2)).astype(np.int8), Quantization.make([0.01, 0.02, 0.015, 0.03], 0, 0))
    bias = b.const("b", rng.integers(-500, 500, 4).astype(np.int32), Quantization.make([0.0005, 0.001, 0.00075, 0.0015], 0, 0))
    y = b.tensor("y", (1, 3, 3, 4), "int8", Quantization.make(0.1, -5))
    b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride_w=2, stride_h=2, dilation_w_factor=1,
         dilation_h_factor=1, fused_activation_function="RELU")
    s = b.const("shape", np.array([1, 36], np.int32))
    z = b.tensor("z", (1, 36), "int8", Quantization.make(0.1, -5))
    b.op("RESHAPE", [y, s], [z], new_shape=[1, 36])
    return write_model(b.build([x], [z]))


SEED = _seed_model()


def _read_and_compile(data: bytes) -> None:
    try:
        graph = read_model(data)
    except ModelError as e:
        assert str(e) and "\n" not in str(e)
        return
    try:
        render(graph, data)
    except McuflowError as e:
        assert str(e)


def test_seed_model_reads():
    g = read_model(SEED)
    assert [op.type for op in g.ops] == ["CONV_2D", "RESHAPE"]


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_mutated_bytes(mutations):
    data = bytearray(SEED)
    for pos, val in mutations:
        data[pos] = val
    _read_and_compile(bytes(data))


@settings(max_examples=150, deadline=2000)
@given(st.integers(0, len(SEED)))
def test_truncated(n):
    _read_and_compile(SEED[:n])


@settings(max_examples=100, deadline=2000)
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _read_and_compile(data)


def test_not_a_model(tmp_path):
    p = tmp_path / "x.tflite"
    p.write_bytes(b"hello world, not a flatbuffer")
    with pytest.raises(ModelError, match="x.tflite"):
        read_model(p)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        read_model(tmp_path / "nope.tflite")
