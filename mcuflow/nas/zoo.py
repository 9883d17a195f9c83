"""The model zoo: its table (one row per card in ``models/*.json`` written by ``mcuflow nas run``) and the
engine figures on each card.

A card's accuracies are measured once, when the model is trained; its engine
figures (MACs, peak SRAM, weights flash) belong to the compiler and move when
the planner or the kernels change (ADD rescale tables added flash, the planner
took SRAM away). :func:`engine_figures` recomputes them, ``mcuflow nas zoo
--refresh`` writes them back, and a test keeps every card equal to what the
current compiler makes of its ``.tflite``.
"""

from __future__ import annotations

import json
from pathlib import Path


def _card_files(models_dir: str | Path) -> list[tuple[Path, dict]]:
    out = []
    for p in sorted(Path(models_dir).glob("*.json")):
        try:
            c = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue
        if "accuracy" in c and "board" in c and "search" in c:
            out.append((p, c))
    return out


def cards(models_dir: str | Path = "models") -> list[dict]:
    return [c for _, c in _card_files(models_dir)]


#: card keys the compiler owns
ENGINE_KEYS = ("macs", "peak_sram_bytes", "flash_bytes")


def engine_figures(tflite: str | Path) -> dict:
    """What the code generator's default plan makes of a zoo model, under the card's key names."""
    from ..codegen import compile_model

    rep = compile_model(Path(tflite).read_bytes(), name=Path(tflite).stem).report
    return {"macs": int(rep["macs"]), "peak_sram_bytes": int(rep["arena_bytes"]),
            "flash_bytes": int(rep["flash_weights_bytes"])}


def refresh(models_dir: str | Path = "models") -> list[str]:
    """Rewrite the engine figures of every card whose ``.tflite`` sits beside it; returns what changed."""
    from .memory import budget_for

    changes = []
    for path, card in _card_files(models_dir):
        new = engine_figures(path.with_suffix(".tflite"))
        budget_for(card["board"]).require(card["name"], new["peak_sram_bytes"], new["flash_bytes"])
        diff = {k: (card.get(k), v) for k, v in new.items() if card.get(k) != v}
        if diff:
            card.update(new)
            path.write_text(json.dumps(card, indent=1))  # as `nas run` writes it
            changes.append(f"{card['name']}: " + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in diff.items()))
    return changes


def table(models_dir: str | Path = "models") -> str:
    rows = ["| model | board (model SRAM / flash budget) | space (width, input px) | int8 acc | float acc | MACs | "
            "params | peak SRAM | flash | MobileNetV2 baseline int8 / float (width, peak SRAM) | search - baseline (int8) "
            "| verified |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cards(models_dir):
        b = c["budget"]
        base = c.get("baseline_mobilenetv2") or {}
        base_s = (f"{base['accuracy']:.4f} / {base['accuracy_float']:.4f} (w{base['width']}, {base['peak_sram_bytes']:,} B)"
                  if "accuracy" in base else base.get("status", "-"))
        delta = f"{(c['accuracy'] - base['accuracy']) * 100:+.1f} pts" if "accuracy" in base else "-"
        arch = c.get("arch", {})
        sp = f"w{arch.get('width', '?')}, {arch.get('resolution', '?')} px"
        v = c.get("verification", {})
        ver = ", ".join(f"{k}: {val.get('status')}" for k, val in v.items())
        rows.append(f"| {c['name']} | {c['board']} ({b['model_sram_bytes']:,} / {b['model_flash_bytes']:,} B) | "
                    f"{sp} | {c['accuracy']:.4f} | {c['accuracy_float']:.4f} | {c['macs']:,} | {c['params']:,} | "
                    f"{c['peak_sram_bytes']:,} B | {c['flash_bytes']:,} B | {base_s} | {delta} | {ver} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
