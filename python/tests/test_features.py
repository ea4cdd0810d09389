"""Features from Python: shapes, dtypes, parity with librosa, files, errors, the GIL."""

import threading
import time

import numpy as np
import pytest

import ser_adaptive as sa
from conftest import read_wav, tone, write_wav

N_MFCC, N_CHROMA, N_MELS = 40, 12, 128


def test_shapes_dtypes_and_names():
    y = tone(16000)
    v = sa.extract(y, 16000)
    assert v.shape == (180,) and v.dtype == np.float32
    names = sa.feature_names()
    assert len(names) == 180 and names[0].startswith("mfcc")
    # float64 and int16 input are converted, to the same values as float32.
    assert np.array_equal(sa.extract(y.astype(np.float64), 16000), v)
    small = sa.extract(y, 16000, n_mfcc=13, groups={"mel": False})
    assert small.shape == (13 + N_CHROMA,)
    assert len(sa.feature_names(n_mfcc=13, groups={"mel": False})) == 25
    assert sa.default_feature_config()["n_mfcc"] == 40


def librosa_vector(y, sr):
    """The community 180-dim vector as librosa computes it (chroma with tuning pinned: librosa's
    own tuning estimate depends on the CPU numpy runs on, docs/PARITY.md)."""
    librosa = pytest.importorskip("librosa")
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC).mean(axis=1)
    chroma = librosa.feature.chroma_stft(S=np.abs(librosa.stft(y)), sr=sr, tuning=0.0).mean(axis=1)
    mel = librosa.feature.melspectrogram(y=y, sr=sr).mean(axis=1)
    return np.concatenate([mfcc, chroma, mel])


def test_parity_with_librosa_on_generated_audio():
    groups = {"mfcc": slice(0, N_MFCC), "chroma": slice(N_MFCC, N_MFCC + N_CHROMA),
              "mel": slice(N_MFCC + N_CHROMA, None)}
    worst = {g: 0.0 for g in groups}
    cases = [(sr, f0, h, s) for sr in (16000, 22050, 44100) for f0, h, s in
             [(110.0, 6, 0), (220.0, 3, 1), (440.0, 1, 2), (330.0, 10, 3)]]
    for sr, f0, harmonics, seed in cases:
        y = tone(sr, 1.5, f0, harmonics, 0.02, seed)
        ours = sa.extract(y, sr, tuning=0.0).astype(np.float64)
        ref = librosa_vector(y, sr).astype(np.float64)
        for g, cols in groups.items():
            err = np.max(np.abs(ours[cols] - ref[cols])) / np.max(np.abs(ref[cols]))
            worst[g] = max(worst[g], err)
    print("\nparity with librosa, worst relative error per group over "
          f"{len(cases)} signals: " + ", ".join(f"{g} {e:.2e}" for g, e in worst.items()))
    # docs/PARITY.md's tolerance: 1e-3 of the group's largest value.
    for g, e in worst.items():
        assert e <= 1e-3, f"{g}: {e}"


def test_files_equal_signals_and_failures_are_rows_not_errors(tmp_path):
    paths = []
    for i, sr in enumerate((16000, 22050, 16000)):
        paths.append(write_wav(tmp_path / f"f{i}.wav", tone(sr, 1.0, 200 + 50 * i, seed=i), sr))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt ")
    missing = tmp_path / "missing.wav"
    X, names, failures = sa.extract_files(paths + [broken, missing], jobs=2)
    assert X.shape == (3, 180) and X.dtype == np.float32
    assert names == [str(p) for p in paths]
    assert [f[0] for f in failures] == [str(broken), str(missing)]
    assert all(str(p) in msg for p, msg in failures)
    for row, p in zip(X, paths):
        y, sr = read_wav(p)
        assert np.array_equal(row, sa.extract_file(p))
        assert np.array_equal(row, sa.extract(y, sr))
    one, _, _ = sa.extract_files(paths, jobs=1)
    assert np.array_equal(one, X), "the number of threads changed the features"


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: sa.extract(np.array([np.nan] * 8000, np.float32), 16000), sa.AudioError, "NaN"),
        (lambda: sa.extract(np.zeros(0, np.float32), 16000), sa.AudioError, ""),
        (lambda: sa.extract(np.zeros((2, 8000), np.float32), 16000), sa.DataError, "1-D"),
        (lambda: sa.extract(np.zeros(8000, np.float32), 0), sa.AudioError, "rate"),
        (lambda: sa.extract(tone(16000), 16000, n_mfc=13), sa.ConfigError, "n_mfc"),
        (lambda: sa.extract(tone(16000), 16000, n_mfcc=0), sa.ConfigError, "n_mfcc"),
        (lambda: sa.extract_file("/no/such/file.wav"), sa.AudioError, "/no/such/file.wav"),
        (lambda: sa.extract_files([], jobs=0), sa.ConfigError, "jobs"),
    ],
)
def test_bad_input_raises_a_ser_error_with_the_library_message(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, sa.SerError)
    assert words in str(info.value), str(info.value)


def test_extract_files_releases_the_gil(tmp_path):
    paths = [write_wav(tmp_path / f"g{i}.wav", tone(16000, 2.0, 150 + i, seed=i), 16000)
             for i in range(40)]
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.perf_counter()
    for _ in range(5):
        sa.extract_files(paths, jobs=1)
    end = time.perf_counter()
    done.set()
    counter.join()
    during = [t for t in ticks if start < t < end]
    # With the GIL held the counter could not run at all while Rust worked.
    assert len(during) >= 0.2 * (end - start) / 0.001, (len(during), end - start)


def test_the_demo_corpus_is_the_one_ser_uses():
    small = sa.demo_corpus("small")
    assert len(small) == 210 and len(sa.demo_corpus("full")) == 1050
    first = small[0]
    assert first["name"] == "spk01_anger_00" and first["sr"] == 16000
    assert first["samples"].dtype == np.float32 and np.max(np.abs(first["samples"])) <= 1.0
    assert {u["label"] for u in small} == {"anger", "boredom", "disgust", "fear", "happiness",
                                             "neutral", "sadness"}
    with pytest.raises(sa.ConfigError):
        sa.demo_corpus("huge")
