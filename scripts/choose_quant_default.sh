#!/usr/bin/env bash
# Measures every quantizer option on the fixed widths, to choose `ser quantize`'s and
# `Model::quantize`'s default scales (docs/REPRODUCTION.md, "Default scales").
#
#   scripts/choose_quant_default.sh [EMODB_DIR] [OUT_DIR]
#
# Runs `ser run` (the poster's method, whose fixed sweep packs every layer at 1..8 bits) with
# each of the 8 quantizers (max-abs or least-squared-error scales, per layer or per channel,
# rounding or GPTQ's codes) on the choosing seeds 0..9 and 40..59 and on the fresh seeds 10..39,
# then prints, per width, each quantizer's test WA minus the f32 baseline, paired over seeds.
# SER names the binary (default: target/release/ser, built first). ~6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/emodb}
out=${2:-target/quant-default}
if [ ! -d "$data" ]; then
    echo "EMODB not found at $data: pass its folder as the first argument" >&2
    exit 1
fi
if [ -z "${SER:-}" ]; then
    cargo build --release -q -p ser-cli
    SER=target/release/ser
fi
mkdir -p "$out"
choosing=0,1,2,3,4,5,6,7,8,9,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59
for scales in max-abs mse; do
    for grain in per-tensor per-channel; do
        for codes in nearest gptq; do
            flags=(--scales "$scales")
            [ "$grain" = per-channel ] && flags+=(--per-channel)
            [ "$codes" = gptq ] && flags+=(--gptq)
            name="$scales-$grain-$codes"
            for set in choosing fresh; do
                seeds=$choosing
                [ "$set" = fresh ] && seeds=10..39
                echo "== $name $set: ser run $data ${flags[*]} --seeds $seeds" >&2
                "$SER" run "$data" --out "$out/$set/$name" --force --quiet --seeds "$seeds" \
                    "${flags[@]}" >/dev/null
            done
        done
    done
done
python3 scripts/quant_default_tables.py "$out"
