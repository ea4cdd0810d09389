#!/usr/bin/env bash
# The measurements `ser run --method best` was chosen on: candidate settings of the budget
# mode on the choosing seeds only (0..9 and 40..59; seeds 10..39 are kept for the report),
# each paired against its own f32 baseline.
#
#   scripts/choose_method.sh [EMODB_DIR] [OUT_DIR]
#
# EMODB_DIR defaults to ../shared/data/emodb, OUT_DIR to target/choose-method (one report
# folder per candidate, replaced on each run). Takes ~20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/emodb}
out=${2:-target/choose-method}
if [ ! -d "$data" ]; then
    echo "EMODB not found at $data: pass its folder as the first argument" >&2
    exit 1
fi
cargo build --release -q -p ser-cli
ser=target/release/ser
mkdir -p "$out"
seeds=0,1,2,3,4,5,6,7,8,9,$(seq -s, 40 59)
run() { # name, then ser run options
    local name=$1
    shift
    # ONLY="a b" runs just those candidates (the others' folders are kept for the table).
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then
        return
    fi
    echo "== $name: ser run $data $*" >&2
    "$ser" run "$data" --seeds "$seeds" --out "$out/$name" --force --quiet "$@" >/dev/null
}
# Post-training at <= 2 bits and fine-tuned at <= 1.5 bits, by the number of fold models
# (their trainings are most of a run's time), then without the teacher.
run b2-f5 --gptq --target-bits 2 --folds 5
run b2-f3 --gptq --target-bits 2 --folds 3
run b2-f0 --gptq --target-bits 2
run b2-f5-rtn --target-bits 2 --folds 5
run b15-f5-ft --gptq --target-bits 1.5 --folds 5 --finetune --distill
run b15-f3-ft --gptq --target-bits 1.5 --folds 3 --finetune --distill
run b15-f0-ft --gptq --target-bits 1.5 --finetune --distill
run b15-f5-ce --gptq --target-bits 1.5 --folds 5 --finetune
# Biases in f32 (0.1 of a bit on average here), more fold models, fine-tuning from GPTQ's
# codes rather than the f32 weights.
run b2-f5-bias --gptq --target-bits 2 --folds 5 --f32-bias
run b2-f8 --gptq --target-bits 2 --folds 8
run b15-f5-fq --gptq --target-bits 1.5 --folds 5 --finetune --distill --finetune-from quantized
run b15-f5-fq-bias --gptq --target-bits 1.5 --folds 5 --finetune --distill --finetune-from quantized --f32-bias
# Accuracy ties broken by the loss (the default) against choosing by the loss itself.
run b2-f5-loss --gptq --target-bits 2 --folds 5 --budget-score loss
run b15-f5-ce-loss --gptq --target-bits 1.5 --folds 5 --finetune --budget-score loss
# Fold models trained for the baseline's best epoch count: about half the fold time.
run b2-f5-fe --gptq --target-bits 2 --folds 5 --fold-epochs baseline
run b15-f5-ce-fe --gptq --target-bits 1.5 --folds 5 --finetune --fold-epochs baseline
# The same without GPTQ (codes rounded to nearest).
run b2-f5-fe-rtn --target-bits 2 --folds 5 --fold-epochs baseline
run b15-f5-ce-fe-rtn --target-bits 1.5 --folds 5 --finetune --fold-epochs baseline
python3 scripts/method_tables.py "$out"
