#!/usr/bin/env bash
# Peak memory of `ser predict --timeline` on long recordings (docs/PERFORMANCE.md):
# WAVs of 1 minute and 1 hour of EMODB speech (its files one after another, 16 kHz mono
# 16-bit), then GNU time's maximum resident set size for each, with the wall time.
#
#   scripts/timeline_memory.sh [EMODB_DIR] [MODEL]
#
# EMODB_DIR defaults to ../shared/data/emodb; MODEL to a model trained on it here (seed 0).
set -euo pipefail
cd "$(dirname "$0")/.."
emodb="${1:-../shared/data/emodb}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet -p ser-cli
ser=target/release/ser
model="${2:-$work/m.sermodel}"
if [ ! -f "$model" ]; then
    "$ser" train "$emodb" --out "$model" --quiet > /dev/null 2>&1
fi
python3 - "$emodb" "$work" <<'PY'
import glob, sys, wave
emodb, work = sys.argv[1], sys.argv[2]
files = sorted(glob.glob(f"{emodb}/*.wav"))
frames = [wave.open(f).readframes(10**9) for f in files]
for name, seconds in [("1min", 60), ("1hour", 3600)]:
    out = wave.open(f"{work}/{name}.wav", "wb")
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(16000)
    need, i = seconds * 16000 * 2, 0
    while need > 0:
        chunk = frames[i % len(frames)][:need]
        out.writeframes(chunk); need -= len(chunk); i += 1
    out.close()
PY
for name in 1min 1hour; do
    size=$(stat -c %s "$work/$name.wav")
    /usr/bin/time -f "%M %e" -o "$work/time.txt" \
        "$ser" predict --model "$model" --timeline "$work/$name.wav" > "$work/$name.csv" 2> /dev/null
    read -r kib seconds < "$work/time.txt"
    rows=$(($(wc -l < "$work/$name.csv") - 1))
    mb=$(awk "BEGIN { printf \"%.1f\", $size / 1e6 }")
    echo "$name: $mb MB of WAV, $rows windows, peak RSS $((kib / 1024)) MiB, $seconds s"
done
