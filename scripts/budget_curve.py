#!/usr/bin/env python3
"""Draws the budget mode's accuracy curve beside the fixed widths' as an SVG.

    python3 scripts/budget_curve.py target/reproduction docs/budget_curve.svg

Reads the report folders `best-fresh-b{1,1.5,2,3}` that scripts/reproduce_emodb.sh writes
(`ser run --method best --finetune --target-bits B --seeds 10..39`). Every point is the test
accuracy minus the f32 baseline's, paired seed by seed, mean ± standard error; x is the
average bits the models have. Standard library only.
"""
import json
import math
import sys
from pathlib import Path

from common import paired_by

BUDGETS = ["1", "1.5", "2", "3"]
W, H = 760, 470
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 40, 150
X_RANGE = (0.8, 8.6)


def mean(values):
    values = list(values)
    return sum(values) / len(values)


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/reproduction")
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/budget_curve.svg")
    results = {}
    for b in BUDGETS:
        path = out / f"best-fresh-b{b}" / "results.json"
        if not path.exists():
            sys.exit(f"{path} is missing: run scripts/reproduce_emodb.sh first")
        results[b] = json.loads(path.read_text())
    first = results[BUDGETS[0]]
    runs = first["runs"]
    fixed = [(k + 1, *paired_by(runs, lambda r, k=k: r["fixed"][k])) for k in range(8)]
    post, tuned = [], []
    for b in BUDGETS:
        rs = results[b]["runs"]
        bits = mean(r["budgeted"]["model"]["average_bits"] for r in rs)
        post.append((bits, *paired_by(rs, lambda r: r["budgeted"]["model"]), b))
        tuned.append((bits, *paired_by(rs, lambda r: r["budgeted"]["finetuned"]), b))
    ys = [p[1] - p[2] for p in fixed + post + tuned] + [p[1] + p[2] for p in fixed + post + tuned]
    y_lo, y_hi = math.floor(min(ys + [0.0]) - 1), math.ceil(max(ys + [0.0]) + 1)

    def px(bits):
        lo, hi = math.log2(X_RANGE[0]), math.log2(X_RANGE[1])
        return LEFT + (math.log2(bits) - lo) / (hi - lo) * (W - LEFT - RIGHT)

    def py(v):
        return TOP + (y_hi - v) / (y_hi - y_lo) * (H - TOP - BOTTOM)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="13">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">Test WA minus the f32 '
           f'baseline, paired over {len(runs)} fresh seeds (mean ± standard error)</text>']
    step = 1 if y_hi - y_lo <= 12 else (2 if y_hi - y_lo <= 24 else 5)
    for v in range(int(y_lo), int(y_hi) + 1):
        if v % step:
            continue
        color = "#888" if v == 0 else "#e1e1e1"
        dash = ' stroke-dasharray="6 4"' if v == 0 else ""
        svg.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{py(v):.1f}" y2="{py(v):.1f}" '
                   f'stroke="{color}"{dash}/>')
        label = f"{v:+d}" if v else "0"
        svg.append(f'<text x="{LEFT - 8}" y="{py(v) + 4:.1f}" text-anchor="end">{label}</text>')
    for b in (1, 2, 3, 4, 5, 6, 8):
        svg.append(f'<line x1="{px(b):.1f}" x2="{px(b):.1f}" y1="{TOP}" y2="{H - BOTTOM}" '
                   f'stroke="#f0f0f0"/>')
        svg.append(f'<text x="{px(b):.1f}" y="{H - BOTTOM + 18}" text-anchor="middle">{b}</text>')
    svg.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - BOTTOM + 40}" text-anchor="middle">'
               f'average bits per weight (log scale)</text>')
    svg.append(f'<text transform="translate(18 {(TOP + H - BOTTOM) / 2}) rotate(-90)" '
               f'text-anchor="middle">test WA minus baseline (points)</text>')
    series = [
        ("fixed width, every layer at 1-8 bits (GPTQ codes, as --method best codes them)",
         "#1f77b4", fixed, "circle"),
        ("--method best, post-training, at budgets " + ", ".join(BUDGETS), "#9467bd", post,
         "square"),
        ("--method best + fine-tuning, same widths", "#ff7f0e", tuned, "diamond"),
    ]
    for i, (label, color, points, shape) in enumerate(series):
        dx = (i - 1) * 4
        path = " ".join(f"{'M' if j == 0 else 'L'}{px(p[0]) + dx:.1f},{py(p[1]):.1f}"
                        for j, p in enumerate(points))
        svg.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for p in points:
            x, y = px(p[0]) + dx, py(p[1])
            svg.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{py(p[1] - p[2]):.1f}" '
                       f'y2="{py(p[1] + p[2]):.1f}" stroke="{color}"/>')
            svg.append(marker(shape, x, y, color))
        ly = H - BOTTOM + 66 + 20 * i
        svg.append(f'<line x1="{LEFT}" x2="{LEFT + 22}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{color}" stroke-width="2"/>')
        svg.append(marker(shape, LEFT + 11, ly - 4, color))
        svg.append(f'<text x="{LEFT + 30}" y="{ly}">{label}</text>')
    svg.append(f'<text x="{LEFT}" y="{H - 10}" fill="#555">dashed: the f32 baseline '
               f'({first["summary"]["baseline"]["accuracy"]["mean"]:.2f} % mean test WA). '
               f'EMODB, scripts/reproduce_emodb.sh</text>')
    svg.append("</svg>")
    target.write_text("\n".join(svg) + "\n")
    for name, points in (("post-training", post), ("fine-tuned", tuned)):
        print(name + ": " + "; ".join(f"budget {p[3]}: {p[0]:.3f} bits, {p[1]:+.2f} ± {p[2]:.2f}"
                                      for p in points))
    print(f"wrote {target}")


def marker(shape, x, y, color):
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}"/>'
    return (f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} '
            f'L{x - 5:.1f},{y:.1f} Z" fill="{color}"/>')


if __name__ == "__main__":
    main()
