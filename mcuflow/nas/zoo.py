"""The model zoo's table: one row per card in ``models/*.json`` written by ``mcuflow nas run``."""

from __future__ import annotations

import json
from pathlib import Path


def cards(models_dir: str | Path = "models") -> list[dict]:
    out = []
    for p in sorted(Path(models_dir).glob("*.json")):
        try:
            c = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue
        if "accuracy" in c and "board" in c and "search" in c:
            out.append(c)
    return out


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
