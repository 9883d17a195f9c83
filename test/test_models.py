"""Whole models, bit-exact on the host (ASan/UBSan): the factory's and the converter-made ones."""

from __future__ import annotations

import pytest
from conftest import shared_models

from mcuflow.verify.host import verify_model


def factory_names() -> list[str]:
    from mcuflow.factory import MODELS

    return sorted(MODELS)


@pytest.fixture(scope="module")
def factory_dir(tmp_path_factory):
    from mcuflow.factory import write_all

    out = tmp_path_factory.mktemp("factory")
    write_all(out)
    return out


@pytest.mark.parametrize("name", factory_names())
def test_factory_model_bit_exact(name, factory_dir):
    path = factory_dir / f"{name}.tflite"
    res = verify_model(path, n_inputs=2, seed=1)
    assert res.compared_tensors >= res.n_inputs * 2  # verify_model raises on any differing byte


@pytest.mark.parametrize("path", shared_models(), ids=lambda p: p.name)
def test_shared_model_bit_exact(path):
    res = verify_model(path, n_inputs=2, seed=2)
    assert res.compared_tensors >= res.n_inputs * 2  # verify_model raises on any differing byte


@pytest.mark.slow
@pytest.mark.parametrize("name", factory_names())
def test_factory_model_many_inputs(name, factory_dir):
    verify_model(factory_dir / f"{name}.tflite", n_inputs=10, seed=3)
