#!/usr/bin/env bash
# Runs every configuration docs/REPRODUCTION.md reports, on EMODB, and prints its tables.
#
#   scripts/reproduce_emodb.sh [EMODB_DIR] [OUT_DIR]
#
# EMODB_DIR defaults to ../shared/data/emodb, OUT_DIR to target/reproduction (one report folder
# per configuration, replaced on each run). Takes ~15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/emodb}
out=${2:-target/reproduction}
if [ ! -d "$data" ]; then
    echo "EMODB not found at $data: pass its folder as the first argument" >&2
    exit 1
fi
[ -n "${SER:-}" ] || cargo build --release -q -p ser-cli
ser=${SER:-target/release/ser}
mkdir -p "$out"
run() { # name, then ser run options
    local name=$1
    shift
    echo "== $name: ser run $data $*" >&2
    "$ser" run "$data" --out "$out/$name" --force --quiet --finetune "$@" >/dev/null
}
improved=(--folds 5 --scales mse --per-channel)
# Random 90/10 splits, seeds 0..9: the method as the poster gives it, then each improvement.
run poster
run mse --scales mse
run folds --folds 5
run folds-mse --folds 5 --scales mse
run folds-pc --folds 5 --per-channel
run improved "${improved[@]}"
for m in 3 4 6; do
    run "poster-margin$m" --margin $m
    run "improved-margin$m" "${improved[@]}" --margin $m
done
run poster-hessian --scorer hessian
run poster-sensitivity --scorer sensitivity
run improved-hessian "${improved[@]}" --scorer hessian
run improved-sensitivity "${improved[@]}" --scorer sensitivity
# Fresh seeds, not looked at when the improvements were chosen.
run poster-fresh --seeds 10..39
run improved-fresh "${improved[@]}" --seeds 10..39
# Speaker-independent: leave one speaker out, each of the 10 speakers once.
run poster-loso --split loso
run improved-loso "${improved[@]}" --split loso
# This release's additions, each alone on the poster's method, then together (--method best,
# which --finetune puts at 1.5 bits): seeds 0..9, among those they were chosen on.
run gptq --gptq
run budget2 --target-bits 2
run distill --distill
run best --method best
run best-b2 --method best --target-bits 2
# --method best on fresh seeds, at four budgets (post-training and fine-tuned at each).
for b in 1 1.5 2 3; do
    run "best-fresh-b$b" --method best --target-bits "$b" --seeds 10..39
done
run best-loso --method best --split loso
run best-loso-b2 --method best --target-bits 2 --split loso
python3 scripts/reproduction_tables.py "$out"
python3 scripts/budget_curve.py "$out" docs/budget_curve.svg
