"""Training, quantization, the search, recognition and whole runs from Python."""

import json
import subprocess

import numpy as np
import pytest

import ser_adaptive as sa
from conftest import EMOTIONS, emotion_signal, write_wav


@pytest.fixture(scope="module")
def data():
    """Features of 3 toy classes, 30 rows each, with 3 speakers."""
    rows, labels, speakers = [], [], []
    for label in EMOTIONS:
        for i in range(30):
            rows.append(sa.extract(emotion_signal(label, i), 16000))
            labels.append(label)
            speakers.append(f"s{i % 3}")
    return np.stack(rows), labels, speakers


@pytest.fixture(scope="module")
def model(data):
    X, y, speakers = data
    return sa.train(X, y, speakers=speakers, sr=16000, max_epochs=40, seed=3)


def test_train_quantize_predict_round_trip(data, model, tmp_path):
    X, y, _ = data
    assert sorted(model.classes) == sorted(EMOTIONS)
    assert model.bits_per_layer == [32, 32, 32, 32]
    assert model.shapes == [(180, 256), (256, 512), (512, 64), (64, 3)]
    assert model.history["epochs"] >= 1
    proba = model.predict_proba(X)
    assert proba.shape == (90, 3) and proba.dtype == np.float32
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert model.score(X, y) > 0.9, "three well-separated toy classes"
    small = model.quantize(bits=2)
    assert small.bits_per_layer == [2, 2, 2, 2]
    assert small.size_kb < model.size_kb / 15
    mixed = model.quantize(bits=[2, 1, 3, 32])
    assert mixed.bits_per_layer == [2, 1, 3, 32]
    # Predictions survive the file: save, load, and from bytes.
    path = tmp_path / "m.serq"
    small.save(path)
    again = sa.Model.load(path)
    assert np.array_equal(again.predict_proba(X), small.predict_proba(X))
    assert list(sa.Model.from_bytes(small.to_bytes()).predict(X)) == list(small.predict(X))
    with pytest.raises(FileExistsError):
        small.save(path)
    small.save(path, overwrite=True)
    report = small.evaluate(X, y)
    assert 0.0 <= report["ua"] <= 1.0 and len(report["confusion"]) == 3


def test_training_is_reproducible_bit_for_bit(data):
    X, y, _ = data
    a = sa.train(X, y, max_epochs=5, seed=11)
    b = sa.train(X, y, max_epochs=5, seed=11)
    assert a.to_bytes() == b.to_bytes()
    assert sa.train(X, y, max_epochs=5, seed=12).to_bytes() != a.to_bytes()


def test_search_and_budget(data, model):
    X, y, _ = data
    found = sa.search(model, X, y)
    assert len(found["bits_per_layer"]) == 4
    assert found["baseline_accuracy"] - found["accuracy"] <= 2.0
    budget = sa.search(model, X, y, target_bits=2.0)["budget"]
    assert budget["cost"] <= 2.0 and budget["scored"] == 4096 and budget["exact"]
    q = model.quantize(budget["bits_per_layer"])
    assert q.average_bits <= 2.0


def test_a_model_written_in_python_is_read_by_ser(model, tmp_path, ser_bin):
    path = tmp_path / "py.serq"
    model.quantize(bits=2).save(path)
    wav = write_wav(tmp_path / "a.wav", emotion_signal("anger", 3), 16000)
    out = subprocess.run([ser_bin, "predict", "--model", str(path), "--json", str(wav)],
                         capture_output=True, text=True, check=True)
    theirs = json.loads(out.stdout.strip().splitlines()[0])
    ours = sa.Recognizer.load(path).predict(wav)
    assert theirs["emotion"] == ours["emotion"]
    for name, p in ours["probabilities"].items():
        assert abs(theirs["probabilities"][name] - p) < 1e-6


def test_recognizer_files_signals_and_timelines(model, tmp_path):
    path = tmp_path / "m.sermodel"
    model.save(path)
    rec = sa.Recognizer.load(path)
    assert rec.classes == model.classes and rec.sample_rates == [16000]
    y = emotion_signal("calm", 7)
    wav = write_wav(tmp_path / "calm.wav", y, 16000)
    from_file = rec.predict(wav)
    assert from_file["emotion"] in EMOTIONS
    assert abs(sum(from_file["probabilities"].values()) - 1.0) < 1e-5
    assert rec.predict(y, sr=16000)["emotion"] == from_file["emotion"]
    long = np.concatenate([emotion_signal("anger", i) for i in range(5)])
    timeline = rec.predict_timeline(long, sr=16000)
    assert [(w["start"], w["end"]) for w in timeline["windows"]] == [(0.0, 3.0), (1.0, 4.0), (2.0, 5.0)]
    assert timeline["end"]["windows"] == 3
    long_wav = write_wav(tmp_path / "long.wav", long, 16000)
    assert len(rec.predict_timeline(long_wav, window=2.0, hop=2.0, gate=False)["windows"]) == 2
    with pytest.raises(sa.ConfigError):
        rec.predict(y)
    with pytest.raises(sa.RecognizeError):
        rec.predict_timeline(y[:8000], sr=16000, window=0.0)
    assert model.recognizer().predict(y, sr=16000) == rec.predict(y, sr=16000)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda m, X, y: sa.train(X, y[:-1]), sa.DataError),
        (lambda m, X, y: sa.train(X, y, learning_rate=-1.0), sa.ConfigError),
        (lambda m, X, y: sa.train(X, y, epochs=3), sa.ConfigError),
        (lambda m, X, y: sa.train(X[:, :10], y), sa.SerError),
        (lambda m, X, y: m.predict(X[:, :10]), sa.SerError),
        (lambda m, X, y: m.quantize(bits=9), sa.SerError),
        (lambda m, X, y: m.quantize(bits=[2, 2]), sa.SerError),
        (lambda m, X, y: m.evaluate(X, ["joy"] * len(y)), sa.DataError),
        (lambda m, X, y: sa.Model.from_bytes(b"SERM not a model"), sa.ModelError),
        (lambda m, X, y: sa.search(m.quantize(bits=2), X, y), sa.DataError),
        (lambda m, X, y: sa.search(m, X, y, margins=3), sa.ConfigError),
    ],
)
def test_bad_input_is_a_ser_error(data, model, call, error):
    X, y, _ = data
    with pytest.raises(error) as info:
        call(model, X, y)
    assert isinstance(info.value, sa.SerError) and str(info.value)


def test_run_returns_what_results_json_holds(corpus):
    results = sa.run(corpus, corpus="folders", seeds=[0, 1], no_cache=True,
                     training={"max_epochs": 8}, target_bits=2.0)
    assert [r["seed"] for r in results["runs"]] == [0, 1]
    assert results["files"] == 60 and sorted(results["classes"]) == sorted(EMOTIONS)
    assert results["summary"]["budgeted"]["average_bits"]["mean"] <= 2.0
    assert results["config"]["method"] == "poster"
    with pytest.raises(sa.ConfigError):
        sa.run(corpus, corpus="folders", sedes=[0])
    with pytest.raises(sa.SerError):
        sa.run(corpus / "nothing-here", corpus="folders", seeds=[0])



def test_quantize_defaults_to_per_channel_least_squared_error_scales(model):
    default = model.quantize(bits=2)
    explicit = model.quantize(bits=2, per_channel=True, scales="mse")
    poster = model.quantize(bits=2, per_channel=False, scales="max-abs")
    assert default.to_bytes() == explicit.to_bytes()
    # One f32 scale per output instead of one per layer: 4 bytes per output more.
    outputs = sum(o for _, o in model.shapes)
    assert len(default.to_bytes()) - len(poster.to_bytes()) == 4 * (outputs - len(model.shapes))
    with pytest.raises(sa.ConfigError):
        model.quantize(bits=2, scales="minmax")
