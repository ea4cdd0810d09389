#!/usr/bin/env python3
"""Markdown tables of the ser-quant benches, read from criterion's results.

Run `cargo bench -p ser-benches --bench quant` first, then
`python3 scripts/quant_tables.py [target/criterion]`. Each figure is criterion's point
estimate (the middle of the three it prints: the slope of its linear sampling, else the mean).
"""

import json
import sys
from pathlib import Path

SHAPES = ["180x256", "256x512", "512x64", "64x7"]
KERNELS = ["unpack", "set-bits", "plane-lut"]
LAYOUTS = ["dense stream", "row-aligned", "bit-planes"]


def estimate(root: Path, group: str, bench: str):
    """Nanoseconds, or None when the bench has not been run."""
    path = root / group / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    point = data.get("slope") or data["mean"]
    return point["point_estimate"]


def fmt(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.0f} ns"


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    if not root.is_dir():
        print(f"error: {root} not found: run `cargo bench -p ser-benches --bench quant` first", file=sys.stderr)
        return 1
    # Criterion turns '/' in group names into '_' on disk.
    print("### One utterance through 180-256-512-64-7 (`utterance/*`)\n")
    f32 = estimate(root, "utterance", "f32")
    print("| model | time | vs f32 (ser-mlp) |")
    print("|---|---:|---:|")
    names = ["f32", "f32-rows"] + [f"{b}bit" for b in range(1, 9)] + ["mixed-2-1-2-3"]
    for name in names:
        t = estimate(root, "utterance", name)
        ratio = f"{f32 / t:.2f}x faster" if t and f32 and name != "f32" else ""
        print(f"| {name} | {fmt(t)} | {ratio} |")
    print()
    print("### One layer, one input vector (`matvec/*`)\n")
    for shape in SHAPES:
        nd = estimate(root, "matvec_f32-ndarray", shape)
        rows = estimate(root, "matvec_f32-rows", shape)
        print(f"**{shape}** (inputs x outputs): f32 as ser-mlp multiplies (ndarray) {fmt(nd)}, "
              f"f32 row kernel {fmt(rows)}\n")
        print("| bits | " + " | ".join(KERNELS) + " | fastest vs ndarray f32 | fastest vs f32 rows |")
        print("|---:|" + "---:|" * (len(KERNELS) + 2))
        for b in range(1, 9):
            times = [estimate(root, f"matvec_{k}", f"{b}bit_{shape}") for k in KERNELS]
            best = min((t for t in times if t), default=None)
            vs = lambda ref: f"{ref / best:.2f}x" if best and ref else "-"
            print(f"| {b} | " + " | ".join(fmt(t) for t in times) + f" | {vs(nd)} | {vs(rows)} |")
        print()
    print("### Packing and unpacking (`pack/*`, `unpack/*`), million codes per second\n")
    for shape in SHAPES:
        inputs, outputs = (int(v) for v in shape.split("x"))
        n = inputs * outputs
        print(f"**{shape}** ({n} codes)\n")
        print("| bits | " + " | ".join(f"pack {l}" for l in LAYOUTS) + " | "
              + " | ".join(f"unpack {l}" for l in LAYOUTS) + " |")
        print("|---:|" + "---:|" * (2 * len(LAYOUTS)))
        for b in range(1, 9):
            cells = []
            for op in ["pack", "unpack"]:
                for l in LAYOUTS:
                    t = estimate(root, f"{op}_{l}", f"{b}bit_{shape}")
                    cells.append(f"{n / t * 1e3:.0f}" if t else "-")
            print(f"| {b} | " + " | ".join(cells) + " |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
