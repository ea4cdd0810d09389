#!/usr/bin/env python3
"""Prints the tables of scripts/choose_quant_default.sh from its report folders.

    scripts/quant_default_tables.py OUT_DIR

OUT_DIR holds choosing/NAME and fresh/NAME report folders, NAME = SCALES-GRANULARITY-CODES.
Per seed set and width: each quantizer's fixed-width test WA minus the f32 baseline, paired
over seeds (mean ± standard error), and the best quantizer at that width.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import paired_by  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = Path(sys.argv[1])
    for seed_set in ("choosing", "fresh"):
        folders = sorted(p for p in (root / seed_set).iterdir() if (p / "results.json").is_file())
        if not folders:
            continue
        runs = {p.name: json.loads((p / "results.json").read_text())["runs"] for p in folders}
        names = list(runs)
        n = len(next(iter(runs.values())))
        base = sum(r["baseline"]["accuracy"] for r in next(iter(runs.values()))) / n
        print(f"\n### {seed_set} seeds ({n}; f32 baseline {base:.2f} % WA)\n")
        print("| bits | " + " | ".join(names) + " | best |")
        print("|---:|" + "---:|" * len(names) + "---|")
        for bits in range(8, 0, -1):
            cells, best = [], None
            for name in names:
                m, se = paired_by(runs[name], lambda r: r["fixed"][bits - 1])
                cells.append(f"{m:+.2f} ± {se:.2f}")
                if best is None or m > best[1]:
                    best = (name, m)
            print(f"| {bits} | " + " | ".join(cells) + f" | {best[0]} |")


if __name__ == "__main__":
    main()
