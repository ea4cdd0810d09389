#!/usr/bin/env python3
"""Prints docs/REPRODUCTION.md's tables from the report folders scripts/reproduce_emodb.sh wrote.

    python3 scripts/reproduction_tables.py target/reproduction

Standard library only. Every number is read from a results.json; differences against the
baseline are paired seed by seed, with the standard error of their mean (std / sqrt(seeds)).
"""
import json
import sys
from pathlib import Path

from common import paired_by

# The poster's EMODB column (METHOD.md): accuracy % and KB.
POSTER = {
    "baseline (32-bit)": (74.07, 676),
    **{f"fixed {b}-bit": (a, kb) for b, a, kb in [
        (8, 74.07, 169), (7, 74.07, 147), (6, 74.07, 126), (5, 72.22, 105),
        (4, 74.07, 84), (3, 75.93, 63), (2, 75.93, 42), (1, 64.81, 21)]},
    "adaptive": (75.93, 43),
}


def load(out, name):
    path = Path(out) / name / "results.json"
    return json.loads(path.read_text()) if path.exists() else None


def paired(runs, key):
    return paired_by(runs, lambda r: r.get(key))


def flags(v):
    cmd = v["command"].split()
    # Drop the program, `run`, the data and the output folder, and the common flags.
    skip = {"--force", "--quiet", "--finetune"}
    out, i = [], 3
    while i < len(cmd):
        if cmd[i] == "--out":
            i += 2
            continue
        if cmd[i] not in skip:
            out.append(cmd[i])
        i += 1
    return " ".join(out) or "(defaults)"


def comparison(out, names, title):
    print(f"\n### {title}\n")
    print("| configuration | flags | seeds | baseline WA % | adaptive WA % | adaptive - baseline | "
          "average bits | size KB | fine-tuned WA % | fine-tuned - baseline | search s/seed | "
          "fold training s/seed |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        v = load(out, name)
        if v is None:
            print(f"| {name} | (not run) |")
            continue
        s, runs = v["summary"], v["runs"]
        d, f = paired(runs, "adaptive"), paired(runs, "adaptive_finetuned")
        ft = s.get("adaptive_finetuned")
        folds = sum(r.get("folds_seconds", 0.0) for r in runs) / len(runs)
        print(f"| {name} | `{flags(v)}` | {len(runs)} | {s['baseline']['accuracy']['mean']:.2f} | "
              f"{s['adaptive']['accuracy']['mean']:.2f} | {d[0]:+.2f} ± {d[1]:.2f} | "
              f"{s['adaptive']['average_bits']['mean']:.3f} | {s['adaptive']['size_kb']['mean']:.2f} | "
              + (f"{ft['accuracy']['mean']:.2f} | {f[0]:+.2f} ± {f[1]:.2f} | " if ft else "- | - | ")
              + f"{s['search_seconds']['mean']:.2f} | {folds:.2f} |")


def poster_table(out, name):
    v = load(out, name)
    if v is None:
        return
    s = v["summary"]
    print(f"\n### `{flags(v)}` beside the poster ({len(v['runs'])} seeds)\n")
    print("| model | poster WA % | poster KB | our WA % (mean ± std) | our UA % | our KB | "
          "bytes on disk | average bits |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = [("baseline (32-bit)", s["baseline"])]
    rows += [(f"fixed {b}-bit", s["fixed"][b - 1]) for b in range(8, 0, -1)]
    rows += [("adaptive", s["adaptive"])]
    if s.get("adaptive_finetuned"):
        rows += [("adaptive + fine-tuning", s["adaptive_finetuned"])]
    for label, e in rows:
        pa, pk = POSTER.get(label, (None, None))
        poster = f"{pa:.2f} | {pk}" if pa is not None else "- | -"
        print(f"| {label} | {poster} | {e['accuracy']['mean']:.2f} ± {e['accuracy']['std']:.2f} | "
              f"{e['ua']['mean']:.2f} | {e['size_kb']['mean']:.2f} | {e['bytes']['mean']:.0f} | "
              f"{e['average_bits']['mean']:.3f} |")


def budget_table(out, names, title):
    """The budget mode's model and its fine-tuned self, paired against the baseline."""
    print(f"\n### {title}\n")
    print("| configuration | flags | seeds | baseline WA % | budget WA % | budget - baseline | "
          "average bits | size KB | fine-tuned WA % | fine-tuned - baseline | s per seed |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        v = load(out, name)
        if v is None:
            print(f"| {name} | (not run) |")
            continue
        s, runs = v["summary"], v["runs"]
        b, ft = s.get("budgeted"), s.get("budgeted_finetuned")
        if b is None:
            print(f"| {name} | `{flags(v)}` | (no budget) |")
            continue
        d = paired_by(runs, lambda r: r["budgeted"]["model"])
        f = paired_by(runs, lambda r: r["budgeted"].get("finetuned"))
        print(f"| {name} | `{flags(v)}` | {len(runs)} | {s['baseline']['accuracy']['mean']:.2f} | "
              f"{b['accuracy']['mean']:.2f} | {d[0]:+.2f} ± {d[1]:.2f} | "
              f"{b['average_bits']['mean']:.3f} | {b['size_kb']['mean']:.2f} | "
              + (f"{ft['accuracy']['mean']:.2f} | {f[0]:+.2f} ± {f[1]:.2f} | " if ft and f else "- | - | ")
              + f"{v['seconds'] / len(runs):.2f} |")



def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "target/reproduction"
    poster_table(out, "poster")
    poster_table(out, "improved")
    comparison(out, ["poster", "mse", "folds", "folds-mse", "folds-pc", "improved"],
               "Each improvement against the poster's method (random splits, seeds 0..9)")
    comparison(out, ["poster", "poster-margin3", "poster-margin4", "poster-margin6",
                     "improved", "improved-margin3", "improved-margin4", "improved-margin6"],
               "Margins (random splits, seeds 0..9)")
    comparison(out, ["poster", "poster-hessian", "poster-sensitivity",
                     "improved", "improved-hessian", "improved-sensitivity"],
               "Layer scores (random splits, seeds 0..9)")
    comparison(out, ["poster-fresh", "improved-fresh"], "Fresh seeds 10..39 (random splits)")
    comparison(out, ["poster-loso", "improved-loso"],
               "Speaker-independent: leave one speaker out (seeds 0..9 = the 10 speakers)")
    comparison(out, ["poster", "gptq", "distill"],
               "GPTQ and distillation alone on the poster's method (seeds 0..9)")
    budget_table(out, ["budget2", "best-b2", "best"],
                 "The budget mode alone (2 bits), and --method best at 2 and 1.5 bits (seeds 0..9)")
    budget_table(out, [f"best-fresh-b{b}" for b in ("1", "1.5", "2", "3")],
                 "--method best on fresh seeds 10..39, at four budgets")
    budget_table(out, ["best-loso", "best-loso-b2"],
                 "--method best, leave one speaker out (seeds 0..9 = the 10 speakers)")


if __name__ == "__main__":
    main()
