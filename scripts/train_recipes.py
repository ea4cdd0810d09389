#!/usr/bin/env python3
"""Test accuracy of ``ser train`` under several training recipes, over seeds, paired.

Each recipe is a set of ``ser train`` flags; every recipe trains on the same split of each
seed (the split depends only on the seed), so the recipes' differences are paired. For each
recipe the report gives the mean test WA and UA with their standard errors, the epochs run,
and the mean paired difference to the first recipe with its standard error.

    scripts/train_recipes.py FEATURES.csv [--seeds 0..9] [--ser target/release/ser] \\
        --recipe "default=" --recipe "100 epochs=--no-early-stopping --max-epochs 100" ...

Recipes are ``NAME=FLAGS``. Without ``--recipe`` the four of docs/TRAINING.md's report run
(the default, the old default, and 100 epochs without early stopping, with and without L2). The
features CSV comes from ``ser features FOLDER --out FEATURES.csv``. Progress goes to stderr,
the Markdown report to stdout. Needs only the Python standard library.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_RECIPES = [
    "default=",
    "old default=--stop-on loss --patience 10 --weight-decay 0",
    "no ES 100, no L2=--no-early-stopping --max-epochs 100 --weight-decay 0",
    "no ES 100, L2 0.01=--no-early-stopping --max-epochs 100",
]


def seeds_of(text: str) -> list[int]:
    if ".." in text:
        a, b = text.split("..")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return m, math.sqrt(var / n)


def train(ser: Path, csv: Path, out: Path, seed: int, flags: list[str]) -> dict:
    cmd = [str(ser), "train", str(csv), "--out", str(out), "--seed", str(seed), "--json",
           "--quiet", "--force", *flags]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: `{shlex.join(cmd)}` failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("features", type=Path, help="features CSV from `ser features`")
    ap.add_argument("--seeds", default="0..9", help="an inclusive range A..B or a list (default 0..9)")
    ap.add_argument("--ser", type=Path, default=ROOT / "target" / "release" / "ser")
    ap.add_argument("--recipe", action="append", default=None, help="NAME=FLAGS (repeatable)")
    args = ap.parse_args()
    if not args.ser.exists():
        sys.exit(f"error: {args.ser} not found (cargo build --release -p ser-cli)")
    recipes = []
    for text in args.recipe or DEFAULT_RECIPES:
        name, _, flags = text.partition("=")
        recipes.append((name.strip(), shlex.split(flags)))
    seeds = seeds_of(args.seeds)
    results: dict[str, list[dict]] = {name: [] for name, _ in recipes}
    with tempfile.TemporaryDirectory(prefix="ser-recipes-") as tmp:
        model = Path(tmp) / "model.sermodel"
        for seed in seeds:
            line = [f"seed {seed}:"]
            for name, flags in recipes:
                r = train(args.ser, args.features, model, seed, flags)
                results[name].append(r)
                line.append(f"{name} {r['accuracy']:.1f}")
            print("  ".join(line), file=sys.stderr)

    first = recipes[0][0]
    print(f"# Training recipes: `ser train`, seeds {args.seeds} ({len(seeds)}), paired\n")
    print(f"command: `{shlex.join([sys.executable, *sys.argv])}`\n")
    print(f"| recipe | flags | test WA | test UA | epochs run | WA minus `{first}` |")
    print("|---|---|---:|---:|---:|---:|")
    for name, flags in recipes:
        rs = results[name]
        wa = mean_se([r["accuracy"] for r in rs])
        ua = mean_se([r["ua"] for r in rs])
        ep = mean_se([float(r["epochs"]) for r in rs])
        diff = mean_se([r["accuracy"] - f["accuracy"] for r, f in zip(rs, results[first])])
        print(f"| {name} | `{shlex.join(flags)}` | {wa[0]:.2f} ± {wa[1]:.2f} | {ua[0]:.2f} ± {ua[1]:.2f} "
              f"| {ep[0]:.1f} | {diff[0]:+.2f} ± {diff[1]:.2f} |")
    print("\nmean ± standard error over seeds; the difference is paired (same split and seed).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
