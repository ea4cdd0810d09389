#!/usr/bin/env python3
"""Prints the budget mode's table from the report folders of scripts/choose_method.sh (or any
folders of `ser run ... --target-bits B` / `--budget-kb K`).

    python3 scripts/method_tables.py target/choose-method [NAME ...]

Standard library only. Every number is read from a results.json; differences against the
baseline are paired seed by seed, with the standard error of their mean (std / sqrt(seeds)).
"""
import json
import sys
from pathlib import Path

from common import paired_by


def cell(p):
    return f"{p[0]:+.2f} ± {p[1]:.2f}" if p else "-"


def flags(v):
    cmd = v["command"].split()
    skip = {"--force", "--quiet"}
    out, i = [], 3
    while i < len(cmd):
        if cmd[i] in ("--out", "--seeds"):
            i += 2
            continue
        if cmd[i] not in skip:
            out.append(cmd[i])
        i += 1
    return " ".join(out) or "(defaults)"


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/choose-method")
    names = sys.argv[2:] or sorted(p.name for p in out.iterdir() if (p / "results.json").exists())
    print("| candidate | flags | seeds | baseline WA % | budget model WA % | minus baseline | "
          "average bits | KB | fine-tuned WA % | fine-tuned minus baseline | s per seed |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        path = out / name / "results.json"
        if not path.exists():
            print(f"| {name} | (not run) |")
            continue
        v = json.loads(path.read_text())
        runs, s = v["runs"], v["summary"]
        if not s.get("budgeted"):
            print(f"| {name} | `{flags(v)}` | (no budget) |")
            continue
        b = s["budgeted"]
        ft = s.get("budgeted_finetuned")
        print(f"| {name} | `{flags(v)}` | {len(runs)} | {s['baseline']['accuracy']['mean']:.2f} | "
              f"{b['accuracy']['mean']:.2f} | {cell(paired_by(runs, lambda r: r['budgeted']['model']))} | "
              f"{b['average_bits']['mean']:.3f} | {b['size_kb']['mean']:.2f} | "
              + (f"{ft['accuracy']['mean']:.2f} | "
                 f"{cell(paired_by(runs, lambda r: r['budgeted'].get('finetuned')))} | " if ft else "- | - | ")
              + f"{v['seconds'] / len(runs):.2f} |")


if __name__ == "__main__":
    main()
