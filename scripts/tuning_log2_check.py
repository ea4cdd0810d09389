#!/usr/bin/env python3
"""Does librosa's estimated tuning depend on numpy's float32 log2?

``librosa.pitch_tuning`` takes ``np.log2`` of float32 pitch frequencies. numpy 2 computes float32
log2 with its own SIMD routines (AVX-512 where the CPU has it), which can differ by one ulp from
the correctly rounded value that C's ``log2f`` (and so ser-features) returns; a pitch residual
a few 1e-6 from a 0.01-bin histogram edge then lands in the neighbouring bin.

For every audio file under FOLDER this prints librosa's tuning (as used by
``chroma_stft(S=np.abs(stft(y)))``) computed twice: with numpy's log2, and with log2 correctly
rounded (computed in float64, rounded to float32). Everything else is librosa's own code.

    scripts/setup_venv.sh && .venv/bin/python scripts/tuning_log2_check.py FOLDER [--only-different]
"""

import argparse
import pathlib
import sys

import numpy as np
import librosa
import librosa.core.convert as convert
import librosa.core.pitch as pitch

from common import find_audio_files

_numpy_hz_to_octs = convert.hz_to_octs


def hz_to_octs_correctly_rounded(frequencies, *, tuning=0.0, bins_per_octave=12):
    frequencies = np.asanyarray(frequencies)
    if frequencies.dtype != np.float32:
        return _numpy_hz_to_octs(frequencies, tuning=tuning, bins_per_octave=bins_per_octave)
    a440 = 440.0 * 2.0 ** (tuning / bins_per_octave)
    ratio = frequencies / (float(a440) / 16)  # float32 division, as librosa does
    return np.log2(ratio.astype(np.float64)).astype(np.float32)


def tuning(y, sr, correctly_rounded):
    pitch.convert.hz_to_octs = hz_to_octs_correctly_rounded if correctly_rounded else _numpy_hz_to_octs
    try:
        return float(librosa.estimate_tuning(S=np.abs(librosa.stft(y)), sr=sr, bins_per_octave=12))
    finally:
        pitch.convert.hz_to_octs = _numpy_hz_to_octs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--only-different", action="store_true")
    args = parser.parse_args()
    files = find_audio_files(args.folder)
    print(f"command: {' '.join(sys.argv)}")
    print(f"librosa {librosa.__version__}, numpy {np.__version__}, "
          f"numpy SIMD found: {np.__config__.CONFIG.get('SIMD Extensions', {}).get('found')}")
    differ = 0
    for path in files:
        y, sr = librosa.load(path, sr=None)
        a, b = tuning(y, sr, False), tuning(y, sr, True)
        differ += abs(a - b) > 1e-9
        if not args.only_different or abs(a - b) > 1e-9:
            print(f"{path.name}\tnumpy log2 {a:+.2f}\tcorrectly rounded log2 {b:+.2f}")
    print(f"files: {len(files)}; tuning changes with the log2 rounding on {differ}")


if __name__ == "__main__":
    main()
