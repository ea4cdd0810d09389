#!/usr/bin/env bash
# Writes small seed corpora for every fuzz target into fuzz/corpus/<target>/ (git-ignored),
# from files the repository has or makes: the golden audio, and models trained by `ser` on the
# built-in demo corpus. Run from the repository root: `bash fuzz/seed_corpora.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus
mkdir -p "$corpus"/{decode_extract,features_csv,model_file,unpack}

# decode_extract: the 14 golden audio files (WAV, AIFF, FLAC, MP3, OGG), 2-50 KB each.
for f in crates/ser-features/tests/golden/audio/*; do
    case "$f" in *.npy | *.json) ;; *) cp "$f" "$corpus/decode_extract/" ;; esac
done
# And the MP3 behind a 100-byte ID3v2.4 tag (an MP3's metadata leads its audio).
{ printf 'ID3\4\0\0\0\0\0\144'; head -c 100 /dev/zero; cat crates/ser-features/tests/golden/audio/mp3.mp3; } \
    > "$corpus/decode_extract/id3v2_mp3"

cargo build --release -q -p ser-cli
ser=target/release/ser
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# features_csv: the header and 3 rows of real `ser features` output, and hand-written tables
# with quoting, a tuning column, CRLF line ends and blank lines.
"$ser" features --demo --quiet --out "$work/demo.csv"
head -4 "$work/demo.csv" > "$corpus/features_csv/demo_head.csv"
"$ser" features --demo --quiet --with-tuning --out "$work/tuning.csv"
head -3 "$work/tuning.csv" > "$corpus/features_csv/with_tuning.csv"
printf 'path,label,speaker,f0,f1\n"a, b.wav",anger,03,0.5,-1e-3\n"say ""hi"".wav",neutral,,2,3\n' \
    > "$corpus/features_csv/quoted.csv"
printf 'path,label,speaker,f0\r\n\r\nx.wav,fear,11,1.25\r\n' > "$corpus/features_csv/crlf.csv"
printf '\357\273\277path,label,speaker,f0\nx.wav,fear,11,1.25\n' > "$corpus/features_csv/bom.csv"

# model_file: 0 (unsealed mode, see the target) then a model file: f32 of two architectures,
# and packed at 1, 2, 5 and 8 bits, and 2 bits with an f32 output layer (one format for all).
"$ser" train "$work/demo.csv" --hidden 4 --max-epochs 2 --quiet --out "$work/a.sermodel"
"$ser" train "$work/demo.csv" --hidden 3,2 --max-epochs 2 --seed 1 --quiet --out "$work/b.sermodel"
for m in a b; do
    { printf '\0'; cat "$work/$m.sermodel"; } > "$corpus/model_file/$m"
done
for bits in 1 2 5 8 2,32; do
    "$ser" quantize --model "$work/a.sermodel" --bits "$bits" --quiet --out "$work/q$bits.serq"
    { printf '\0'; cat "$work/q$bits.serq"; } > "$corpus/model_file/q$bits"
done

# unpack starts from nothing: its input is a few words, a width and a shape.
du -sh "$corpus"/*
