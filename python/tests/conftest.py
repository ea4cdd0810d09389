"""Shared test data: generated signals and WAV files, and the `ser` binary."""

import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def tone(sr, seconds=1.0, f0=220.0, harmonics=4, noise=0.01, seed=0, amp=0.3):
    """A harmonic tone with vibrato and a little noise, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    phase = 2 * np.pi * f0 * t + 0.3 * np.sin(2 * np.pi * 5 * t)
    y = sum(np.sin(k * phase) / k for k in range(1, harmonics + 1))
    y = amp * y / np.max(np.abs(y)) + noise * rng.standard_normal(t.size)
    return np.clip(y, -1, 1).astype(np.float32)


def write_wav(path, y, sr):
    """16-bit PCM WAV, as any recorder writes."""
    pcm = np.round(np.clip(y, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def read_wav(path):
    """The float32 samples `ser` decodes from a 16-bit WAV (code / 32768)."""
    with wave.open(str(path), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return pcm.astype(np.float32) / 32768.0, w.getframerate()


EMOTIONS = {"calm": (140.0, 0.15, 2), "anger": (260.0, 0.6, 8), "sad": (110.0, 0.08, 1)}


def emotion_signal(label, index, sr=16000):
    """A toy 'emotion': pitch, loudness and brightness by class, varied by index."""
    f0, amp, harmonics = EMOTIONS[label]
    return tone(sr, 1.0, f0 * (1 + 0.03 * (index % 5)), harmonics, 0.01, seed=index, amp=amp)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """A folder per class of 20 WAVs each (`--corpus folders`)."""
    root = tmp_path_factory.mktemp("corpus")
    for label in EMOTIONS:
        (root / label).mkdir()
        for i in range(20):
            write_wav(root / label / f"{label}_{i:02d}.wav", emotion_signal(label, i), 16000)
    return root


@pytest.fixture(scope="session")
def ser_bin():
    """The `ser` binary (SER_BIN, else target/release/ser); skipped, visibly, when absent."""
    path = os.environ.get("SER_BIN") or str(REPO / "target" / "release" / "ser")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        found = shutil.which("ser")
        if not found:
            pytest.skip(f"no `ser` binary at {path} (cargo build --release -p ser-cli, or set SER_BIN)")
        path = found
    return path
