#!/usr/bin/env python3
"""Generate golden test fixtures for the ``ser-features`` crate.

Writes two fixture sets under ``crates/ser-features/tests/golden/``
(relative to the repository root, located from this script's path):

``features/``
    Deterministic synthetic signals (tones, a detuned harmonic tone, chirps,
    white noise, a glottal-like pulse train, awkward lengths, one sample,
    silence) at several sample rates, plus librosa reference outputs for each:
    power mel spectrogram (Slaney and HTK), mel in dB, MFCC (40), chroma from
    a magnitude STFT (tuning estimated and pinned to 0), chroma from a power
    STFT, and the mean/std pooled 180-d vector (mfcc 40 + chroma 12 + mel 128).
    ``features/manifest.json`` lists every case, its arrays and the estimated
    tuning scalars.

``audio/``
    One short test signal written through libsndfile (soundfile) in several
    containers/codecs (WAV PCM u8/16/24/32, float, double, stereo, FLAC,
    Ogg/Vorbis, MP3, AIFF, AIFF-named-.wav), each with the float32 mono
    (channel-mean) samples that ``soundfile.read`` decodes from it.
    ``audio/manifest.json`` describes every file.

All arrays are ``.npy`` (``np.save``: little-endian, C order; float32 unless
noted). The output directories are deleted and regenerated on every run.

Run from the repository root::

    scripts/setup_venv.sh && .venv/bin/python scripts/make_golden.py
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import librosa
import numpy as np
import scipy
import scipy.signal
import soundfile as sf

SEED = 20240611

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = REPO_ROOT / "crates" / "ser-features" / "tests" / "golden"
FEATURES_DIR = GOLDEN_DIR / "features"
AUDIO_DIR = GOLDEN_DIR / "audio"

# librosa defaults used by the fixtures (n_mfcc is the pipeline's 40, not
# librosa's default of 20).
N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
N_MFCC = 40
N_CHROMA = 12

RATES = [16000, 22050, 24414, 44100, 48000]
SHORT_RATES = [16000, 22050]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def save_npy(path: Path, arr: np.ndarray) -> None:
    """np.save a little-endian, C-ordered copy of ``arr``."""
    arr = np.asarray(arr)
    arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
    np.save(path, arr, allow_pickle=False)


def to_f32_signal(y: np.ndarray) -> np.ndarray:
    y = np.clip(np.asarray(y, dtype=np.float64), -1.0, 1.0)
    return np.ascontiguousarray(y.astype(np.float32))


def n_for(sr: int, seconds: float) -> int:
    return int(round(seconds * sr))


def time_axis(sr: int, n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / sr


# --------------------------------------------------------------------------
# signals
# --------------------------------------------------------------------------


def sig_tone(sr: int) -> np.ndarray:
    t = time_axis(sr, n_for(sr, 0.3))
    y = (
        0.5 * np.sin(2 * np.pi * 440.0 * t)
        + 0.2 * np.sin(2 * np.pi * 880.0 * t)
        + 0.1 * np.sin(2 * np.pi * 1320.0 * t)
    )
    return to_f32_signal(y)


def sig_detuned(sr: int) -> np.ndarray:
    t = time_axis(sr, n_for(sr, 0.4))
    f0 = 220.0 * 2.0 ** (0.3 / 12.0)  # 30 cents sharp of A3
    y = np.zeros_like(t)
    for k in range(1, 6):
        y += (0.4 / k) * np.sin(2 * np.pi * k * f0 * t)
    return to_f32_signal(y)


def sig_chirp(sr: int) -> np.ndarray:
    dur = 0.5
    t = time_axis(sr, n_for(sr, dur))
    f1 = min(6000.0, 0.45 * sr)
    y = 0.6 * scipy.signal.chirp(t, f0=100.0, t1=dur, f1=f1, method="linear")
    return to_f32_signal(y)


def sig_noise(sr: int, rng: np.random.Generator) -> np.ndarray:
    y = rng.normal(0.0, 0.1, n_for(sr, 0.25))
    return to_f32_signal(y)


def sig_pulses(sr: int) -> np.ndarray:
    n = n_for(sr, 0.4)
    period = int(round(sr / 110.0))
    x = np.zeros(n, dtype=np.float64)
    x[::period] = 1.0
    y = scipy.signal.lfilter([1.0], [1.0, -0.9], x)  # y[n] = x[n] + 0.9 y[n-1]
    y = 0.8 * y / np.max(np.abs(y))
    return to_f32_signal(y)


def sig_tone300_noisy(sr: int, n: int, rng: np.random.Generator) -> np.ndarray:
    t = time_axis(sr, n)
    y = 0.5 * np.sin(2 * np.pi * 300.0 * t) + rng.normal(0.0, 0.01, n)
    return to_f32_signal(y)


def build_feature_signals() -> list[tuple[str, str, int, np.ndarray]]:
    """(name, kind, sr, y) in a fixed order (the RNG draw order matters)."""
    rng = np.random.default_rng(SEED)
    out: list[tuple[str, str, int, np.ndarray]] = []
    for sr in RATES:
        out.append((f"tone_{sr}", "tone", sr, sig_tone(sr)))
        out.append((f"detuned_{sr}", "detuned", sr, sig_detuned(sr)))
        out.append((f"chirp_{sr}", "chirp", sr, sig_chirp(sr)))
        out.append((f"noise_{sr}", "noise", sr, sig_noise(sr, rng)))
        out.append((f"pulses_{sr}", "pulses", sr, sig_pulses(sr)))
    for sr in SHORT_RATES:
        for kind, n in (("short1000", 1000), ("len2047", 2047), ("odd12345", 12345)):
            out.append((f"{kind}_{sr}", kind, sr, sig_tone300_noisy(sr, n, rng)))
    out.append(("one_sample_16000", "one_sample", 16000, np.array([0.25], dtype=np.float32)))
    out.append(("silence_16000", "silence", 16000, np.zeros(4000, dtype=np.float32)))
    return out


# --------------------------------------------------------------------------
# A. feature fixtures
# --------------------------------------------------------------------------


def compute_features(y: np.ndarray, sr: int, params: dict) -> tuple[dict, dict]:
    """Return (arrays, scalars) for one case. ``params`` may hold n_mels,
    fmin, fmax, n_mfcc overrides (custom cases); empty for defaults."""
    assert y.dtype == np.float32 and y.ndim == 1

    mel_kw = {k: params[k] for k in ("n_mels", "fmin", "fmax") if k in params}
    n_mfcc = params.get("n_mfcc", N_MFCC)

    mel = librosa.feature.melspectrogram(y=y, sr=sr, **mel_kw)
    mel_htk = librosa.feature.melspectrogram(y=y, sr=sr, htk=True, **mel_kw)
    mel_db = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=80.0)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, **mel_kw)

    S_mag = np.abs(librosa.stft(y))
    S_pow = S_mag**2
    tuning_magnitude = float(librosa.estimate_tuning(S=S_mag, sr=sr, bins_per_octave=N_CHROMA))
    tuning_power = float(librosa.estimate_tuning(S=S_pow, sr=sr, bins_per_octave=N_CHROMA))

    chroma_mag = librosa.feature.chroma_stft(S=S_mag, sr=sr)
    chroma_mag_pinned = librosa.feature.chroma_stft(S=S_mag, sr=sr, tuning=0.0)
    chroma_pow = librosa.feature.chroma_stft(y=y, sr=sr)

    # The recorded tuning scalars must be exactly what chroma_stft used.
    chk_mag = librosa.feature.chroma_stft(S=S_mag, sr=sr, tuning=tuning_magnitude)
    assert np.array_equal(chroma_mag, chk_mag), "chroma_mag tuning mismatch"
    chk_pow = librosa.feature.chroma_stft(y=y, sr=sr, tuning=tuning_power)
    assert np.array_equal(chroma_pow, chk_pow), "chroma_pow tuning mismatch"

    n_frames = int(mel.shape[1])
    for a in (mel, mel_htk, mel_db, mfcc, chroma_mag, chroma_mag_pinned, chroma_pow):
        assert a.shape[1] == n_frames, a.shape
        assert a.dtype == np.float32, a.dtype

    pooled_src = (mfcc, chroma_mag, mel)
    pooled_mean = np.concatenate([np.mean(x, axis=1) for x in pooled_src])
    pooled_std = np.concatenate([np.std(x, axis=1) for x in pooled_src])

    arrays = {
        "signal": y,
        "mel": mel,
        "mel_htk": mel_htk,
        "mel_db": mel_db,
        "mfcc": mfcc,
        "chroma_mag": chroma_mag,
        "chroma_mag_pinned": chroma_mag_pinned,
        "chroma_pow": chroma_pow,
        "pooled_mean": pooled_mean.astype(np.float32),
        "pooled_std": pooled_std.astype(np.float32),
    }
    scalars = {
        "n_frames": n_frames,
        "tuning_magnitude": tuning_magnitude,
        "tuning_power": tuning_power,
    }
    return arrays, scalars


def make_features() -> list[str]:
    FEATURES_DIR.mkdir(parents=True, exist_ok=True)
    signals = build_feature_signals()

    jobs: list[tuple[str, str, int, np.ndarray, dict]] = [
        (name, kind, sr, y, {}) for name, kind, sr, y in signals
    ]
    chirp22 = next(y for name, _, _, y in signals if name == "chirp_22050")
    custom = {"n_mels": 40, "fmin": 50.0, "fmax": 8000.0, "n_mfcc": 13, "n_chroma": 12}
    jobs.append(("chirp_22050_custom", "chirp", 22050, chirp22.copy(), custom))

    cases = []
    notes: list[str] = []
    for name, kind, sr, y, params in jobs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                arrays, scalars = compute_features(y, sr, params)
            except Exception as exc:  # noqa: BLE001 - record and skip the case
                msg = f"SKIPPED {name}: librosa raised {type(exc).__name__}: {exc}"
                print(msg, file=sys.stderr)
                notes.append(msg)
                continue
        warn_msgs = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        for m in warn_msgs:
            notes.append(f"WARNED {name}: {m}")

        files = {}
        for key, arr in arrays.items():
            fname = f"{name}.{key}.npy"
            save_npy(FEATURES_DIR / fname, arr)
            files[key] = fname

        entry = {
            "name": name,
            "sr": sr,
            "n_samples": int(y.shape[0]),
            "n_frames": scalars["n_frames"],
            "kind": kind,
            "tuning_magnitude": scalars["tuning_magnitude"],
            "tuning_power": scalars["tuning_power"],
            "params": params,
            "warnings": warn_msgs,
            "arrays": files,
        }
        cases.append(entry)

    manifest = {
        "generator": "scripts/make_golden.py",
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "seed": SEED,
        "defaults": {
            "n_fft": N_FFT,
            "hop_length": HOP_LENGTH,
            "n_mels": N_MELS,
            "n_mfcc": N_MFCC,
            "n_chroma": N_CHROMA,
            "center": True,
            "pad_mode": "constant",
            "window": "hann",
            "mel_htk": False,
            "mel_norm": "slaney",
            "mel_power": 2.0,
            "power_to_db": {"ref": 1.0, "amin": 1e-10, "top_db": 80.0},
        },
        "cases": cases,
    }
    with open(FEATURES_DIR / "manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"features: {len(cases)} cases written")
    return notes


# --------------------------------------------------------------------------
# B. decoding fixtures
# --------------------------------------------------------------------------


def audio_mono(sr: int, seconds: float) -> np.ndarray:
    t = time_axis(sr, n_for(sr, seconds))
    y = 0.4 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * 1000.0 * t)
    return to_f32_signal(y)


def audio_stereo(sr: int, seconds: float) -> np.ndarray:
    left = audio_mono(sr, seconds)
    t = time_axis(sr, left.shape[0])
    right = to_f32_signal(0.5 * np.sin(2 * np.pi * 660.0 * t))
    return np.ascontiguousarray(np.stack([left, right], axis=1))


AUDIO_SPECS = [
    # file, format, subtype, which signal, lossy
    ("pcm_u8.wav", "WAV", "PCM_U8", "mono", False),
    ("pcm_16.wav", "WAV", "PCM_16", "mono", False),
    ("pcm_24.wav", "WAV", "PCM_24", "mono", False),
    ("pcm_32.wav", "WAV", "PCM_32", "mono", False),
    ("float_32.wav", "WAV", "FLOAT", "mono", False),
    ("float_64.wav", "WAV", "DOUBLE", "mono", False),
    ("stereo_16.wav", "WAV", "PCM_16", "stereo", False),
    ("flac_16.flac", "FLAC", "PCM_16", "mono", False),
    ("flac_24.flac", "FLAC", "PCM_24", "mono", False),
    ("vorbis.ogg", "OGG", "VORBIS", "mono", True),
    ("mp3.mp3", "MP3", "MPEG_LAYER_III", "mono", True),
    ("aiff_16.aiff", "AIFF", "PCM_16", "mono", False),
    ("aiff_named.wav", "AIFF", "PCM_16", "mono", False),
    ("stereo_44100.flac", "FLAC", "PCM_16", "stereo44100", False),
]


def make_audio() -> list[str]:
    AUDIO_DIR.mkdir(parents=True, exist_ok=True)
    sigs = {
        "mono": (16000, audio_mono(16000, 0.25)),
        "stereo": (16000, audio_stereo(16000, 0.25)),
        "stereo44100": (44100, audio_stereo(44100, 0.2)),
    }
    entries = []
    notes: list[str] = []
    for fname, fmt, subtype, which, lossy in AUDIO_SPECS:
        sr, data = sigs[which]
        path = AUDIO_DIR / fname
        try:
            sf.write(path, data, sr, format=fmt, subtype=subtype)
        except Exception as exc:  # noqa: BLE001 - e.g. libsndfile without MP3
            msg = f"SKIPPED audio {fname}: soundfile cannot write {fmt}/{subtype}: {exc}"
            print(msg, file=sys.stderr)
            notes.append(msg)
            if path.exists():
                path.unlink()
            continue

        info = sf.info(path)
        decoded, read_sr = sf.read(path, dtype="float32", always_2d=True)
        expected = np.mean(decoded, axis=1).astype(np.float32)
        exp_name = f"{fname}.expected.npy"
        save_npy(AUDIO_DIR / exp_name, expected)
        assert read_sr == sr, (fname, read_sr, sr)
        assert info.format == fmt and info.subtype == subtype, (fname, info.format, info.subtype)
        if int(info.frames) != decoded.shape[0] or decoded.shape[0] != data.shape[0]:
            notes.append(
                f"NOTE audio {fname}: wrote {data.shape[0]} frames, header says "
                f"{info.frames}, decoded {decoded.shape[0]}"
            )
        entries.append(
            {
                "file": fname,
                "container": fmt,
                "codec": subtype,
                "channels": int(decoded.shape[1]),
                "sr": int(read_sr),
                "frames": int(decoded.shape[0]),
                "lossy": lossy,
                "expected": exp_name,
            }
        )
    with open(AUDIO_DIR / "manifest.json", "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    print(f"audio: {len(entries)} files written")
    return notes


# --------------------------------------------------------------------------


def main() -> int:
    for d in (FEATURES_DIR, AUDIO_DIR):
        if d.exists():
            shutil.rmtree(d)

    notes = make_features()
    notes += make_audio()

    for n in notes:
        print(n)

    total = 0
    count = 0
    for p in sorted(GOLDEN_DIR.rglob("*")):
        if p.is_file():
            total += p.stat().st_size
            count += 1
    print(f"total fixture size: {total} bytes ({total / 1e6:.2f} MB) in {count} files under "
          f"{GOLDEN_DIR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
