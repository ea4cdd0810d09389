#!/usr/bin/env python3
"""Our Python package's extraction against librosa 0.11, from Python, same files, one run.

On every audio file under FOLDER (sorted by path like ``ser``), times the pooled 180-d vector
computed by:

* librosa "community" and "shared STFT": the two pipelines of scripts/compare_librosa.py,
  per file, reading included, single-threaded (OMP/OPENBLAS/MKL/NUMBA threads 1);
* ``ser_adaptive.extract_file`` called in a Python loop, file by file (what a notebook that
  replaces librosa's calls one for one gets);
* ``ser_adaptive.extract_files(paths, jobs=1)`` and ``jobs=2`` (and ``jobs=nproc`` when
  larger): one call, the GIL released, Rust's threads.

Every timing is the best of ``--repeat`` runs, after one warm-up file (numba's JIT, our
filterbank caches); the files are read once beforehand so that the page cache is warm. Our
vectors are checked against librosa's community vector (tuning as librosa estimates it, so the
worst chroma error can reach the tuning differences docs/PARITY.md explains).

Run from the repository root, with nothing else busy on the machine::

    .venv/bin/python scripts/compare_python.py FOLDER [--repeat 3] [--limit N]

It installs this repository's package (``pip install ./python``) into the venv first when
``import ser_adaptive`` fails; launched with another Python it runs scripts/setup_venv.sh and
re-executes under ``.venv/bin/python``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import subprocess
import sys
from pathlib import Path

from common import REPO_ROOT, audio_files_or_error, cpu_model, ensure_venv, nproc

if __name__ == "__main__":
    ensure_venv(__file__)

# ruff: noqa: E402
import argparse
import platform
import time

import librosa
import numpy as np

from compare_librosa import community, shared_stft

try:
    import ser_adaptive as sa
except ImportError:
    print("installing ./python into the venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", str(REPO_ROOT / "python")],
                   check=True, stdout=sys.stderr)
    import ser_adaptive as sa


def best(fn, repeat: int, label: str) -> float:
    times = []
    for r in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        print(f"  {label}: run {r + 1}/{repeat}: {times[-1]:.3f} s", file=sys.stderr)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    files, error = audio_files_or_error(args.folder, args.limit)
    if error:
        print(error, file=sys.stderr)
        return 2
    for f in files:
        f.read_bytes()
    paths = [str(f) for f in files]
    community(files[0])
    shared_stft(files[0])
    sa.extract_file(paths[0])

    rows = []
    t = best(lambda: [community(f) for f in files], args.repeat, "librosa community")
    rows.append(("librosa 0.11, community pipeline (3 STFTs per file)", t))
    t = best(lambda: [shared_stft(f) for f in files], args.repeat, "librosa shared STFT")
    rows.append(("librosa 0.11, one shared STFT per file", t))
    t = best(lambda: [sa.extract_file(p) for p in paths], args.repeat, "extract_file loop")
    rows.append(("ser_adaptive.extract_file, a Python loop", t))
    jobs = sorted({1, 2, nproc()})
    for j in jobs:
        t = best(lambda j=j: sa.extract_files(paths, jobs=j), args.repeat, f"extract_files jobs={j}")
        rows.append((f"ser_adaptive.extract_files(paths, jobs={j})", t))

    ours, names, failures = sa.extract_files(paths, jobs=1)
    assert not failures and names == paths, failures[:3]
    worst = {"mfcc": 0.0, "chroma": 0.0, "mel": 0.0}
    groups = {"mfcc": slice(0, 40), "chroma": slice(40, 52), "mel": slice(52, 180)}
    for row, f in zip(ours, files):
        ref = community(f)
        for g, cols in groups.items():
            worst[g] = max(worst[g], float(np.max(np.abs(row[cols] - ref[cols])) /
                                        np.max(np.abs(ref[cols]))))

    base = rows[0][1]
    print(f"\n{len(files)} files under {args.folder}; best of {args.repeat}; "
          f"{cpu_model()}, {nproc()} cores; Python {platform.python_version()}, librosa "
          f"{librosa.__version__}, numpy {np.__version__}, ser_adaptive {sa.__version__}\n")
    print("| pipeline | s | ms per file | speed-up over the community pipeline |")
    print("|---|---:|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t:.3f} | {1000 * t / len(files):.3f} | {base / t:.1f}x |")
    print("\nworst relative error against the community vector: " +
          ", ".join(f"{g} {e:.1e}" for g, e in worst.items()) +
          " (chroma: librosa's tuning estimate, see docs/PARITY.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
