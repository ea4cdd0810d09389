#!/usr/bin/env python3
"""Throughput of ser_adaptive.ray's pipeline on a local Ray cluster, per worker.

For 1 and 2 worker CPUs (``ray.init(num_cpus=N)``; more with ``--cpus``), runs
``extract_to_parquet`` over every audio file under FOLDER into a scratch folder and times it
(cluster start-up excluded; the first run of each cluster warms it up and is not counted),
then prints files and seconds of audio per second, per worker, and what they mean for 1,000
and 100,000 hours of audio. Every row's features are checked to equal ``extract_files`` in one
process, bit for bit.

Run from the repository root, with nothing else busy on the machine::

    .venv/bin/python scripts/ray_throughput.py ../shared/data/emodb [--repeat 3] [--copies 20]

Needs the package (``pip install ./python``) and ``pip install "ray[data]" pyarrow`` in the
venv.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import ray

import ser_adaptive as sa
import ser_adaptive.ray as sar


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--read", choices=["paths", "bytes"], default="paths",
                    help="a manifest of paths read by the tasks, or ray.data.read_binary_files")
    ap.add_argument("--copies", type=int, default=1,
                    help="run on K copies of FOLDER (in a scratch folder), so that the job's "
                         "fixed costs do not hide the throughput")
    args = ap.parse_args()
    scratch = None
    if args.copies > 1:
        scratch = Path(tempfile.mkdtemp())
        for k in range(args.copies):
            shutil.copytree(args.folder, scratch / f"copy{k:03d}")
        args.folder = scratch
    _kind, files, _skipped = sa.list_corpus(args.folder)
    paths = [p for p, _, _ in files]
    durations = 0.0
    for p in paths:
        _v, _rate, seconds = sa._native.extract_file(p, sa._features({}))
        durations += seconds
    single, names, failures = sa.extract_files(paths, jobs=1)
    t0 = time.perf_counter()
    sa.extract_files(paths, jobs=1)
    one_process = time.perf_counter() - t0
    by_path = dict(zip(names, single))
    print(f"{len(paths)} files, {durations / 3600:.3f} hours of audio; extract_files in one "
          f"process, one thread: {one_process:.2f} s", file=sys.stderr)
    rows = []
    for cpus in args.cpus:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        times = []
        for r in range(args.repeat + 1):
            out = Path(tempfile.mkdtemp()) / "table"
            t0 = time.perf_counter()
            summary = sar.extract_to_parquet(args.folder, out, batch_size=args.batch_size,
                                             read=args.read)
            elapsed = time.perf_counter() - t0
            if r == 0:
                X, table, _ = sar.read_table(out)
                got = table["path"].to_pylist()
                ok = [p for p, e in zip(got, table["error"].to_pylist()) if e is None]
                for x, p in zip(X, ok):
                    assert np.array_equal(x, by_path[p]), p
                assert summary["failed"] == len(failures)
            else:
                times.append(elapsed)
            shutil.rmtree(out.parent)
            print(f"  {cpus} cpu(s): run {r}: {elapsed:.2f} s{' (warm-up)' if r == 0 else ''}",
                  file=sys.stderr)
        ray.shutdown()
        rows.append((cpus, min(times)))
    if scratch is not None:
        shutil.rmtree(scratch)
    print(f"\n{len(paths)} files ({durations / 3600:.3f} h of audio; {args.copies} "
          f"cop{'y' if args.copies == 1 else 'ies'} of the folder; read={args.read}); "
          f"best of {args.repeat} after a warm-up; Ray {ray.__version__}, Python "
          f"{platform.python_version()}; every row equal to extract_files bit for bit\n")
    print("| worker CPUs | s | files/s | audio s per s | audio s per s per worker | "
          "hours for 1,000 h | hours for 100,000 h |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for cpus, t in rows:
        rate = durations / t
        print(f"| {cpus} | {t:.2f} | {len(paths) / t:.0f} | {rate:.0f} | {rate / cpus:.0f} | "
              f"{1000 / rate:.2f} | {100000 / rate:.1f} |")
    print(f"| (one process, one thread, no Ray) | {one_process:.2f} | "
          f"{len(paths) / one_process:.0f} | {durations / one_process:.0f} | - | "
          f"{1000 * one_process / durations:.2f} | {100000 * one_process / durations:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
