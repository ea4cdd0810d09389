#!/usr/bin/env python3
"""Throughput of ``ser features`` against librosa 0.11 on the same files, in one run.

Times, on every audio file under FOLDER (searched recursively, hidden files and
folders skipped, sorted by path like ``ser``; extensions wav, wave, flac, mp3,
ogg, oga, aif, aiff, aifc), the pooled 180-d mean vector (mfcc 40 + chroma 12 +
mel 128) computed by:

* librosa "community": the popular SER reference code, per file
  ``y, sr = soundfile.read(path, dtype='float32')`` (channel mean if stereo),
  then ``np.mean(librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40).T, axis=0)``,
  ``np.mean(librosa.feature.chroma_stft(S=np.abs(librosa.stft(y)), sr=sr).T, axis=0)``
  and ``np.mean(librosa.feature.melspectrogram(y=y, sr=sr).T, axis=0)``,
  concatenated (three STFTs per file).
* librosa "shared STFT": the fastest fair librosa, one STFT per file:
  ``D = librosa.stft(y); mag = np.abs(D); mel = melspectrogram(S=mag**2, sr=sr);
  mfcc = mfcc(S=power_to_db(mel), n_mfcc=40); chroma = chroma_stft(S=mag, sr=sr)``.
* ours: the wall time of the whole process
  ``ser features FOLDER --corpus none --jobs 1 --quiet --force --out TMP.csv``
  (start-up, decoding, extraction, CSV writing), and the same with ``--jobs 2``
  (and ``--jobs $(nproc)`` when nproc > 2) to show scaling.

librosa runs single-threaded: OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS are set to 1
before numpy/librosa are imported. Each librosa variant is warmed up on the
first file (numba JIT) and then the whole loop over all files (reading
included) is timed with ``time.perf_counter``; every timing is the best of
``--repeat`` runs. The files are read once beforehand so that the page cache
is warm for everyone. With ``--limit N`` only the first N files are used (and
passed to ``ser`` explicitly instead of FOLDER).

Run from the repository root, with nothing else busy on the machine::

    scripts/setup_venv.sh && .venv/bin/python scripts/compare_librosa.py FOLDER \\
        [--ser target/release/ser] [--repeat 3] [--limit N]

Launched with any other Python (``python3 scripts/compare_librosa.py ...``) it
runs ``scripts/setup_venv.sh`` itself and re-executes under ``.venv/bin/python``.
"""

from __future__ import annotations

import os

# Single-threaded librosa: must be set before numpy / scipy / numba are imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import subprocess
import sys
from pathlib import Path

from common import DEFAULT_SER, audio_files_or_error, cpu_model, ensure_venv, nproc, ser_binary_error

if __name__ == "__main__":
    ensure_venv(__file__)

# ruff: noqa: E402  (imports after the thread settings and venv bootstrap on purpose)
import argparse
import csv
import platform
import shlex
import tempfile
import time
import warnings

import librosa
import numpy as np
import scipy
import soundfile as sf



def read_mono(path: Path) -> tuple[np.ndarray, int]:
    y, sr = sf.read(str(path), dtype="float32")
    if y.ndim == 2:
        y = np.mean(y, axis=1)
    return y, sr


def community(path: Path) -> np.ndarray:
    y, sr = read_mono(path)
    mfcc = np.mean(librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40).T, axis=0)
    chroma = np.mean(librosa.feature.chroma_stft(S=np.abs(librosa.stft(y)), sr=sr).T, axis=0)
    mel = np.mean(librosa.feature.melspectrogram(y=y, sr=sr).T, axis=0)
    return np.concatenate([mfcc, chroma, mel])


def shared_stft(path: Path) -> np.ndarray:
    y, sr = read_mono(path)
    D = librosa.stft(y)
    mag = np.abs(D)
    mel = librosa.feature.melspectrogram(S=mag**2, sr=sr)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=40)
    chroma = librosa.feature.chroma_stft(S=mag, sr=sr)
    return np.concatenate([np.mean(mfcc.T, axis=0), np.mean(chroma.T, axis=0), np.mean(mel.T, axis=0)])


def time_librosa(fn, files: list[Path], repeat: int, label: str) -> list[float]:
    fn(files[0])  # warm-up: numba JIT, filter-bank caches
    times = []
    for r in range(repeat):
        t0 = time.perf_counter()
        for path in files:
            fn(path)
        times.append(time.perf_counter() - t0)
        print(f"  {label}: run {r + 1}/{repeat}: {times[-1]:.2f} s", file=sys.stderr)
    return times


def time_ours(ser: Path, inputs: list[str], jobs: int, out: Path, repeat: int, n_files: int) -> tuple[list[float], list[str]]:
    cmd = [str(ser), "features", *inputs, "--corpus", "none", "--jobs", str(jobs),
           "--quiet", "--force", "--out", str(out)]
    times = []
    for r in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"error: `{shlex.join(cmd)}` exited {proc.returncode}:\n{proc.stderr}")
        print(f"  ser --jobs {jobs}: run {r + 1}/{repeat}: {times[-1]:.2f} s", file=sys.stderr)
    with open(out, newline="") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    if rows != n_files:
        raise SystemExit(f"error: ours wrote {rows} rows for {n_files} files")
    return times, cmd


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="folder (or file) of audio")
    ap.add_argument("--ser", type=Path, default=DEFAULT_SER,
                    help="the ser binary (default: <repo>/target/release/ser)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per tool; the best is kept (default 3)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N files")
    args = ap.parse_args()

    ser = args.ser
    problem = ser_binary_error(ser)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return 2
    files, problem = audio_files_or_error(args.folder, args.limit)
    if problem:
        print(problem, file=sys.stderr)
        return 2

    # Read everything once: warms the page cache, checks the files, measures the audio.
    total_seconds = 0.0
    for path in files:
        try:
            y, sr = read_mono(path)
        except Exception as e:  # noqa: BLE001
            print(f"error: soundfile cannot read {path}: {e}; remove it or use another folder",
                  file=sys.stderr)
            return 2
        total_seconds += len(y) / sr

    n = len(files)
    cores = nproc()
    ser_version = subprocess.run([str(ser), "--version"], capture_output=True, text=True).stdout.strip()
    try:
        import numba
        numba_version = numba.__version__
    except ImportError:
        numba_version = "-"

    results = []  # (tool, variant, threads, best seconds)
    print("librosa (1 thread) ...", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results.append(("librosa", "community (3 STFTs)", 1, min(time_librosa(community, files, args.repeat, "community"))))
        results.append(("librosa", "shared STFT", 1, min(time_librosa(shared_stft, files, args.repeat, "shared STFT"))))

    inputs = [str(args.folder)] if args.limit is None else [str(p) for p in files]
    job_counts = [1, 2] + ([cores] if cores > 2 else [])
    ser_commands = []
    print("ser ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ser-compare-") as tmp:
        out = Path(tmp) / "features.csv"
        for jobs in job_counts:
            times, cmd = time_ours(ser, inputs, jobs, out, args.repeat, n)
            shown = cmd if args.limit is None else [*cmd[:2], f"<{n} files>", *cmd[2 + n:]]
            ser_commands.append(shlex.join(shown))
            results.append(("ser", "features", jobs, min(times)))

    base_community = results[0][3]
    base_shared = results[1][3]
    print("# ser features vs librosa: throughput\n")
    print(f"command: `{shlex.join([sys.executable, *sys.argv])}`\n")
    for c in ser_commands:
        print(f"ours: `{c}`")
    print()
    print(f"machine: {cpu_model()}, nproc {cores}, {platform.system()} {platform.release()}")
    print(f"versions: python {platform.python_version()}, librosa {librosa.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, soundfile {sf.__version__}, numba {numba_version}, "
          f"ser {ser_version.removeprefix('ser ').strip() or '?'}")
    print(f"files: {n}, total audio {total_seconds:.1f} s ({total_seconds / 60:.1f} min), "
          f"mean {total_seconds / n:.2f} s per file")
    print(f"timing: best of {args.repeat}; librosa = whole loop incl. soundfile.read, single-threaded "
          f"(OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS=1), warmed up; ser = whole process wall time\n")
    print("| tool | variant | threads | seconds | ms per file | x real time | vs librosa community | vs librosa shared STFT |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for tool, variant, threads, secs in results:
        print(f"| {tool} | {variant} | {threads} | {secs:.3f} | {1000 * secs / n:.2f} | "
              f"{total_seconds / secs:.1f} | {base_community / secs:.2f}x | {base_shared / secs:.2f}x |")
    ours1 = next(s for t, _, j, s in results if t == "ser" and j == 1)
    print(f"\nsingle-thread throughput ratio (ser / librosa): {base_community / ours1:.2f}x vs community, "
          f"{base_shared / ours1:.2f}x vs shared STFT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
