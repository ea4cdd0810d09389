#!/usr/bin/env python3
"""Compares the `runs` of two `results.json` files (or two report folders), ignoring timings.

    scripts/compare_results.py OLD NEW [--ignore-bytes]

Every number of every run must be equal, except the seconds a search, the budget or the fold
models took.
With --ignore-bytes the model-file sizes (`bytes`) are left out too, for comparisons across a
change of the model file format. Exit code 0 when the runs are identical, 1 otherwise, with
the first differences printed.
"""
import json
import sys
from pathlib import Path

TIMINGS = {"search_seconds", "folds_seconds", "seconds"}


def load(path):
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    return json.loads(p.read_text())["runs"]


def diff(a, b, where, ignore, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in ignore:
                continue
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'new' if k in b else 'old'}")
            else:
                diff(a[k], b[k], f"{where}.{k}", ignore, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items against {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{where}[{i}]", ignore, out)
    elif a != b:
        out.append(f"{where}: {a!r} -> {b!r}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    ignore = set(TIMINGS)
    if "--ignore-bytes" in sys.argv:
        ignore.add("bytes")
    old, new = load(args[0]), load(args[1])
    out = []
    diff(old, new, "runs", ignore, out)
    if out:
        print(f"{len(out)} differences; the first:")
        print("\n".join(out[:20]))
        sys.exit(1)
    print(f"identical: {len(old)} runs (ignoring {', '.join(sorted(ignore))})")


if __name__ == "__main__":
    main()
