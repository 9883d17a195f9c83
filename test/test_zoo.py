"""The model zoo under models/: every card's engine figures are what the current compiler makes of its model."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcuflow.nas.memory import budget_for
from mcuflow.nas.zoo import ENGINE_KEYS, cards, engine_figures

MODELS = Path(__file__).resolve().parents[1] / "models"
CARDS = cards(MODELS)


def test_zoo_covers_three_budgets_with_baselines():
    assert len({c["board"] for c in CARDS}) >= 3
    for c in CARDS:
        assert (MODELS / f"{c['name']}.tflite").is_file()
        assert 0 < c["accuracy"] <= 1 and 0 < c["baseline_mobilenetv2"]["accuracy"] <= 1
        assert c["dataset"]["accuracy_on"].startswith("test (held out")


@pytest.mark.parametrize("card", CARDS, ids=[c["name"] for c in CARDS])
def test_card_matches_the_compiler_and_fits(card):
    got = engine_figures(MODELS / f"{card['name']}.tflite")
    # `mcuflow nas zoo --refresh` rewrites these after a planner or code-generator change
    assert {k: card[k] for k in ENGINE_KEYS} == got
    assert budget_for(card["board"]).fits(got["peak_sram_bytes"], got["flash_bytes"])
