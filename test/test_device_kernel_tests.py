"""The vectors `pio test` runs on the target (mcuflow.device.kernel_tests): every kernel family,
deterministic for a seed, and the expected bytes agree with TF Lite Micro, not only with our reference.

The on-target run itself is in test_device_pio.py (QEMU + PlatformIO).
"""

from __future__ import annotations

import numpy as np
import pytest

from mcuflow.device.kernel_tests import FAMILIES, kernel_cases, render_vectors
from mcuflow.tflite.writer import write_model
from mcuflow.verify.host import check_reference


def test_cases_cover_every_family_and_repeat_for_a_seed():
    a = kernel_cases(seed=0, per_family=2)
    b = kernel_cases(seed=0, per_family=2)
    assert [name for name, *_ in a] == [f"kt_{f}_{k}" for f in FAMILIES for k in range(2)]
    for (_, _, xa, ya), (_, _, xb, yb) in zip(a, b):
        assert all(np.array_equal(p, q) for p, q in zip(xa, xb)) and np.array_equal(ya, yb)
    c = kernel_cases(seed=1, per_family=2)
    assert any(ya.tobytes() != yc.tobytes() for (*_, ya), (*_, yc) in zip(a, c))
    h, src = render_vectors(a)
    assert "kt_case" in h and f"kt_num_cases = {len(a)};" in src


@pytest.mark.parametrize("seed", [0, 1])
def test_expected_bytes_match_tflm(seed):
    """The target is checked against TFLM's answer: the reference agrees with TFLM on every case."""
    pytest.importorskip("tflite_micro")
    for name, g, inputs, expected in kernel_cases(seed=seed, per_family=2):
        assert check_reference(g, write_model(g), [inputs]) >= 1, name
        assert expected.dtype == np.int8 and expected.size > 0, name
