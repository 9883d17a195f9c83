"""Shared fixtures: where the converter-made models live, and the project's own."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = ROOT.parent / "shared" / "models"


def shared_models() -> list[Path]:
    """Converter-made models in ../shared/models (absent on a bare clone: tests skip)."""
    return sorted(SHARED_MODELS.glob("*.tflite")) if SHARED_MODELS.is_dir() else []


@pytest.fixture(scope="session")
def shared_model_dir() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.skip("../shared/models is absent (converter-made models are optional)")
    return SHARED_MODELS
