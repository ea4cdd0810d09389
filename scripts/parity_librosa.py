#!/usr/bin/env python3
"""Numerical parity of ``ser features`` against librosa 0.11 on a folder of audio.

For every audio file under FOLDER (searched recursively, hidden files and
folders skipped, sorted by path exactly like ``ser``; extensions wav, wave,
flac, mp3, ogg, oga, aif, aiff, aifc, case-insensitive) this computes with
librosa, from ``y, sr = librosa.load(path, sr=None, mono=True)`` (float32, used
as is):

* mfcc     ``librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40)``
* chroma   ``librosa.feature.chroma_stft(S=np.abs(librosa.stft(y)), sr=sr)``
           (tuning estimated), and the same with ``tuning=0.0`` (pinned)
* mel      ``librosa.feature.melspectrogram(y=y, sr=sr)`` (power, not dB)
* tuning   ``librosa.estimate_tuning(S=np.abs(librosa.stft(y)), sr=sr,
           bins_per_octave=12)`` (what chroma_stft estimates internally)

each pooled over frames into a mean and a population std (accumulated in
float64 from librosa's float32 frames). It then runs ``ser`` twice into
temporary files::

    ser features FOLDER --corpus none --pool mean-std --with-tuning --quiet --out T1.csv
    ser features FOLDER --corpus none --pool mean-std --with-tuning --quiet --tuning 0 --out T2.csv

(with ``--limit N`` the first N files are passed to ``ser`` explicitly instead
of FOLDER) and matches rows by path. For each file, group (mfcc, chroma
estimated, chroma pinned, mel) and statistic (mean, std) the relative error is
``max |ours - librosa| / max |librosa|`` over the group's columns (the absolute
error when the librosa max is 0). It prints a Markdown report: per group x
statistic the worst error (and its file), the median and the number of files
above 1e-3 (chroma estimated also restricted to the files whose tuning
agrees), then the tuning agreement (``|ours - librosa| < 1e-9``) with the
disagreeing files. ``--json OUT.json`` writes the same, plus every per-file
value, machine-readably. Files librosa cannot read are reported and skipped.

Run from the repository root::

    scripts/setup_venv.sh && .venv/bin/python scripts/parity_librosa.py FOLDER \\
        [--ser target/release/ser] [--limit N] [--json OUT.json]

Launched with any other Python (``python3 scripts/parity_librosa.py ...``) it
runs ``scripts/setup_venv.sh`` itself and re-executes under ``.venv/bin/python``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common import DEFAULT_SER, audio_files_or_error, ensure_venv, ser_binary_error

if __name__ == "__main__":
    ensure_venv(__file__)

# ruff: noqa: E402  (imports after the venv bootstrap on purpose)
import argparse
import csv
import json
import math
import platform
import shlex
import tempfile
import time
import warnings

import librosa
import numpy as np
import scipy
import soundfile as sf

N_MFCC = 40
N_CHROMA = 12
N_MELS = 128
THRESHOLD = 1e-3
TUNING_TOLERANCE = 1e-9

# (key, title, librosa field, ours csv: "T1" or "T2", column prefix)
GROUPS = [
    ("mfcc", "mfcc", "mfcc", "T1", "mfcc", N_MFCC),
    ("chroma_est", "chroma (tuning estimated)", "chroma_est", "T1", "chroma", N_CHROMA),
    ("chroma_pin", "chroma (tuning pinned 0)", "chroma_pin", "T2", "chroma", N_CHROMA),
    ("mel", "mel (power)", "mel", "T1", "mel", N_MELS),
]
STATS = ["mean", "std"]


def path_key(p: str | Path) -> str:
    return os.path.normpath(os.path.abspath(str(p)))


def pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std over frames (axis 1), accumulated in float64."""
    x64 = np.asarray(x, dtype=np.float64)
    return x64.mean(axis=1), x64.std(axis=1)


def librosa_features(path: Path) -> dict:
    y, sr = librosa.load(str(path), sr=None, mono=True)
    mag = np.abs(librosa.stft(y))
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC)
    chroma_est = librosa.feature.chroma_stft(S=mag, sr=sr)
    chroma_pin = librosa.feature.chroma_stft(S=mag, sr=sr, tuning=0.0)
    mel = librosa.feature.melspectrogram(y=y, sr=sr)
    tuning = float(librosa.estimate_tuning(S=mag, sr=sr, bins_per_octave=N_CHROMA))
    out = {"sr": int(sr), "duration": len(y) / sr, "tuning": tuning}
    for name, x in (("mfcc", mfcc), ("chroma_est", chroma_est), ("chroma_pin", chroma_pin), ("mel", mel)):
        out[name] = pool(x)
    return out


def read_ours(csv_path: Path) -> tuple[list[str], dict[str, dict[str, float]]]:
    """Rows of a `ser features` CSV keyed by normalised absolute path."""
    rows: dict[str, dict[str, float]] = {}
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        for rec in reader:
            if not rec:
                continue
            values = {}
            for name, text in zip(header[3:], rec[3:]):
                values[name] = float(text) if text != "" else math.nan
            rows[path_key(rec[0])] = values
    return header, rows


def rel_error(ours: np.ndarray, ref: np.ndarray) -> float:
    diff = np.abs(ours - ref)
    if not np.all(np.isfinite(diff)):
        return math.inf
    scale = float(np.max(np.abs(ref)))
    worst = float(np.max(diff))
    return worst / scale if scale > 0 else worst


def run_ser(ser: Path, inputs: list[str], extra: list[str], out: Path) -> tuple[list[str], int, str]:
    cmd = [str(ser), "features", *inputs, "--corpus", "none", "--pool", "mean-std",
           "--with-tuning", "--quiet", *extra, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return cmd, proc.returncode, proc.stderr


def summarise(errors: list[tuple[str, float]]) -> dict:
    if not errors:
        return {"files": 0, "worst": None, "worst_file": None, "median": None, "over_threshold": 0}
    values = np.array([e for _, e in errors])
    i = int(np.argmax(values))
    return {
        "files": len(errors),
        "worst": float(values[i]),
        "worst_file": errors[i][0],
        "median": float(np.median(values)),
        "over_threshold": int(np.sum(values > THRESHOLD)),
    }


def fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.3e}"


def progress(i: int, n: int, name: str, tty: bool) -> None:
    if tty:
        sys.stderr.write(f"\rlibrosa: {i}/{n} {name[-60:]:<60}")
        sys.stderr.flush()
    elif i == n or i % max(1, n // 20) == 0:
        sys.stderr.write(f"librosa: {i}/{n}\n")
        sys.stderr.flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="folder (or file) of audio")
    ap.add_argument("--ser", type=Path, default=DEFAULT_SER,
                    help="the ser binary (default: <repo>/target/release/ser)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N files")
    ap.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    args = ap.parse_args()

    ser = args.ser
    problem = ser_binary_error(ser)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    files, problem = audio_files_or_error(args.folder, args.limit)
    if problem:
        print(problem, file=sys.stderr)
        return 2

    command = shlex.join([sys.executable, *sys.argv])
    ser_version = subprocess.run([str(ser), "--version"], capture_output=True, text=True).stdout.strip()
    versions = {
        "python": platform.python_version(),
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "soundfile": sf.__version__,
        "ser": ser_version.removeprefix("ser ").strip() or "?",
    }

    # --- librosa pass -----------------------------------------------------
    tty = sys.stderr.isatty()
    ref: dict[str, dict] = {}
    librosa_failed: list[dict] = []
    t0 = time.perf_counter()
    for i, path in enumerate(files, 1):
        progress(i, len(files), str(path), tty)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref[path_key(path)] = librosa_features(path) | {"path": str(path)}
        except Exception as e:  # noqa: BLE001 - report any failure and skip the file
            librosa_failed.append({"path": str(path), "error": f"{type(e).__name__}: {e}".rstrip(": ")})
    if tty:
        sys.stderr.write("\n")
    librosa_seconds = time.perf_counter() - t0

    # --- ours -------------------------------------------------------------
    inputs = [str(args.folder)] if args.limit is None else [str(p) for p in files]
    ser_runs = []
    with tempfile.TemporaryDirectory(prefix="ser-parity-") as tmp:
        ours = {}
        for tag, extra in (("T1", []), ("T2", ["--tuning", "0"])):
            out = Path(tmp) / f"{tag}.csv"
            t0 = time.perf_counter()
            cmd, rc, stderr = run_ser(ser, inputs, extra, out)
            seconds = time.perf_counter() - t0
            shown = cmd if args.limit is None else [*cmd[:2], f"<{len(inputs)} files>", *cmd[2 + len(inputs):]]
            ser_runs.append({"tag": tag, "command": shlex.join(shown), "exit_code": rc,
                             "seconds": seconds, "stderr": stderr.strip()})
            if not out.exists():
                print(f"error: `{shlex.join(shown)}` exited {rc} without writing {out}:\n{stderr}",
                      file=sys.stderr)
                return 1
            ours[tag] = read_ours(out)[1]

    # --- compare ----------------------------------------------------------
    per_file = []
    errors = {(g[0], s): [] for g in GROUPS for s in STATS}
    errors_agree = {s: [] for s in STATS}
    missing_in_ours = []
    tuning_rows = []
    mfcc_mel_t1_t2 = 0.0  # sanity: --tuning must not change mfcc/mel
    for key, r in ref.items():
        if key not in ours["T1"] or key not in ours["T2"]:
            missing_in_ours.append(r["path"])
            continue
        o1, o2 = ours["T1"][key], ours["T2"][key]
        t_ours = o1.get("tuning", math.nan)
        agree = abs(t_ours - r["tuning"]) < TUNING_TOLERANCE
        tuning_rows.append({"path": r["path"], "ours": t_ours, "librosa": r["tuning"], "agree": agree,
                            "ours_pinned": o2.get("tuning", math.nan)})
        rec = {"path": r["path"], "sr": r["sr"], "duration": r["duration"],
               "tuning_librosa": r["tuning"], "tuning_ours": t_ours, "tuning_agree": agree, "errors": {}}
        for gkey, _title, lkey, tag, prefix, n in GROUPS:
            o = ours[tag][key]
            for si, stat in enumerate(STATS):
                cols = [f"{prefix}_{i}" if stat == "mean" else f"{prefix}_std_{i}" for i in range(n)]
                ov = np.array([o[c] for c in cols], dtype=np.float64)
                err = rel_error(ov, r[lkey][si])
                rec["errors"][f"{gkey}.{stat}"] = err
                errors[(gkey, stat)].append((r["path"], err))
                if gkey == "chroma_est" and agree:
                    errors_agree[stat].append((r["path"], err))
                if gkey in ("mfcc", "mel"):
                    o2v = np.array([o2[c] for c in cols], dtype=np.float64)
                    mfcc_mel_t1_t2 = max(mfcc_mel_t1_t2, float(np.max(np.abs(ov - o2v))))
        per_file.append(rec)

    rows = []
    for gkey, title, *_ in GROUPS:
        for stat in STATS:
            rows.append({"group": gkey, "title": title, "stat": stat,
                         "subset": "all files", **summarise(errors[(gkey, stat)])})
            if gkey == "chroma_est":
                rows.append({"group": gkey, "title": title, "stat": stat,
                             "subset": "tuning agrees", **summarise(errors_agree[stat])})

    n_cmp = len(tuning_rows)
    n_agree = sum(t["agree"] for t in tuning_rows)
    disagree = [t for t in tuning_rows if not t["agree"]]
    total_duration = sum(r["duration"] for r in ref.values())

    # --- report -----------------------------------------------------------
    print("# ser features vs librosa: numerical parity\n")
    print(f"command: `{command}`\n")
    for run in ser_runs:
        print(f"ours ({run['tag']}): `{run['command']}` -> exit {run['exit_code']}, {run['seconds']:.2f} s")
    print()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + "\n")
    print(f"files: {len(files)} found, {len(ref)} read by librosa, {len(librosa_failed)} failed in librosa, "
          f"{len(missing_in_ours)} missing in ours, {n_cmp} compared")
    print(f"total audio: {total_duration:.1f} s ({total_duration / 60:.1f} min); "
          f"librosa pass {librosa_seconds:.1f} s\n")
    for f in librosa_failed:
        print(f"- librosa failed: {f['path']}: {f['error']}")
    for p in missing_in_ours:
        print(f"- missing in ours: {p}")
    for run in ser_runs:
        if run["exit_code"] != 0:
            print(f"- ours ({run['tag']}) exited {run['exit_code']}:\n```\n{run['stderr']}\n```")
    if librosa_failed or missing_in_ours or any(r["exit_code"] for r in ser_runs):
        print()

    print("relative error = max |ours - librosa| / max |librosa| over the group's columns, per file\n")
    print(f"| group | stat | files | worst | worst file | median | > {THRESHOLD:g} |")
    print("|---|---|---:|---:|---|---:|---:|")
    for r in rows:
        title = r["title"] + (" [tuning agrees]" if r["subset"] == "tuning agrees" else "")
        wf = os.path.relpath(r["worst_file"], args.folder) if r["worst_file"] and args.folder.is_dir() \
            else (r["worst_file"] or "-")
        print(f"| {title} | {r['stat']} | {r['files']} | {fmt(r['worst'])} | {wf} | "
              f"{fmt(r['median'])} | {r['over_threshold']} |")
    print()
    pct = 100.0 * n_agree / n_cmp if n_cmp else 0.0
    print(f"tuning agreement (|ours - librosa| < {TUNING_TOLERANCE:g}): {n_agree}/{n_cmp} files ({pct:.1f}%)")
    if disagree:
        print("\n| file | ours | librosa | difference |")
        print("|---|---:|---:|---:|")
        for t in disagree:
            print(f"| {t['path']} | {t['ours']!r} | {t['librosa']!r} | {t['ours'] - t['librosa']:.3e} |")
    pinned_bad = [t for t in tuning_rows if t["ours_pinned"] != 0.0]
    print(f"\nsanity: max |T1 - T2| over mfcc/mel columns = {mfcc_mel_t1_t2:.3e}; "
          f"files whose --tuning 0 run did not report tuning 0: {len(pinned_bad)}")

    if args.json:
        report = {
            "command": command,
            "ser_runs": ser_runs,
            "versions": versions,
            "folder": str(args.folder),
            "files_found": len(files),
            "files_compared": n_cmp,
            "total_audio_seconds": total_duration,
            "librosa_seconds": librosa_seconds,
            "librosa_failed": librosa_failed,
            "missing_in_ours": missing_in_ours,
            "threshold": THRESHOLD,
            "summary": rows,
            "tuning": {"tolerance": TUNING_TOLERANCE, "agree": n_agree, "compared": n_cmp,
                       "percent": pct, "disagreeing": disagree},
            "sanity_mfcc_mel_t1_vs_t2": mfcc_mel_t1_t2,
            "files": per_file,
        }
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\njson written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
