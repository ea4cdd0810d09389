"""Speech emotion recognition small enough for edge devices.

librosa's MFCC, chroma and mel features computed in Rust (numbers within a stated tolerance
of librosa 0.11, many times faster), the poster's MLP, and its quantization to 1-2 bits per
weight by layer-wise adaptive search, from Python. numpy in, numpy out.

>>> import numpy as np, ser_adaptive as sa
>>> y = np.sin(np.arange(16000) * 0.07).astype(np.float32) * 0.3
>>> sa.extract(y, 16000).shape
(180,)

Every error is a :class:`SerError` (``AudioError``, ``DataError``, ``ModelError``,
``RecognizeError``, ``SearchError``, ``ConfigError``) carrying the library's message.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import (
    AudioError,
    ConfigError,
    DataError,
    ModelError,
    RecognizeError,
    SearchError,
    SerError,
)

__version__ = _native.__version__
__all__ = [
    "AudioError",
    "ConfigError",
    "DataError",
    "Model",
    "ModelError",
    "RecognizeError",
    "Recognizer",
    "SearchError",
    "SerError",
    "default_feature_config",
    "demo_corpus",
    "extract",
    "extract_bytes",
    "extract_file",
    "extract_files",
    "feature_names",
    "list_corpus",
    "run",
    "search",
    "train",
]

PathLike = Union[str, "os.PathLike[str]"]


def default_feature_config() -> Dict[str, Any]:
    """The default feature settings: the keyword arguments :func:`extract` takes.

    The names and values are those of ``results.json``'s ``config.features`` (``n_fft``,
    ``hop_length``, ``n_mels``, ``n_mfcc``, ``n_chroma``, ``fmin``, ``fmax``, ``mel_scale``,
    ``tuning``, ``top_db``, ``pooling``, ``groups`` and the others). ``tuning`` is
    ``"estimate"`` (librosa's default) or a number, a fixed offset as librosa's ``tuning=``.
    """
    return json.loads(_native.default_feature_config())


_DEFAULT_FEATURES = json.loads(_native.default_feature_config())
_DEFAULT_JSON = json.dumps(_DEFAULT_FEATURES)


def _features(config: Dict[str, Any]) -> str:
    if not config:
        return _DEFAULT_JSON
    merged = json.loads(_DEFAULT_JSON)
    for key, value in config.items():
        if key == "groups" and isinstance(value, dict):
            merged["groups"] = {**merged["groups"], **value}
        elif key == "tuning" and isinstance(value, (int, float)) and not isinstance(value, bool):
            # librosa's tuning=0.0: a fixed offset in fractions of a chroma bin.
            merged["tuning"] = {"fixed": float(value)}
        else:
            merged[key] = value
    return json.dumps(merged)


def _signal(y: Any) -> np.ndarray:
    a = np.asarray(y)
    if a.ndim != 1:
        raise DataError(f"a signal is one channel of samples (1-D); got an array of shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
        raise DataError(f"samples must be numbers; got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


def _matrix(x: Any) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 2:
        raise DataError(f"features are rows x columns (2-D); got an array of shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float32)


def demo_corpus(size: str = "full") -> List[Dict[str, Any]]:
    """The built-in synthetic emotional speech corpus ``ser demo`` runs on: 7 emotions,
    ``"full"`` 10 speakers x 15 utterances per emotion (1,050), ``"small"`` 6 x 5 (210).
    Each utterance is ``{"name", "label", "speaker", "samples" (float32), "sr"}``; the corpus is
    the same on every machine. Not real speech: a source-filter model whose pitch, loudness,
    rate and voice quality follow each emotion."""
    return [
        {"name": n, "label": l, "speaker": s, "samples": y, "sr": sr}
        for n, l, s, y, sr in _native.demo_corpus(size)
    ]


def feature_names(**config: Any) -> List[str]:
    """The names of the feature columns for these settings (``mfcc_mean_0``, ...)."""
    return _native.feature_names(_features(config))


def extract(y: Any, sr: int, **config: Any) -> np.ndarray:
    """The pooled feature vector of a mono signal ``y`` at ``sr`` Hz (180 values by default).

    Parameters
    ----------
    y : array_like, 1-D
        Samples, any float or integer dtype (converted to float32).
    sr : int
        Sample rate in Hz.
    **config
        Feature settings (see :func:`default_feature_config`); an unknown name is a
        :class:`ConfigError`.

    Returns
    -------
    numpy.ndarray of float32, shape ``(len(feature_names(**config)),)``

    Raises
    ------
    AudioError
        Empty or too short signals, NaN or infinite samples, rates out of range.
    """
    return _native.extract(_signal(y), int(sr), _features(config))


def extract_file(path: PathLike, **config: Any) -> np.ndarray:
    """The pooled feature vector of an audio file (WAV, FLAC, MP3, OGG/Vorbis, AIFF)."""
    vector, _rate, _duration = _native.extract_file(os.fspath(path), _features(config))
    return vector


def extract_bytes(data: bytes, **config: Any) -> np.ndarray:
    """The pooled feature vector of a whole audio file held in memory (what
    ``ray.data.read_binary_files`` or an object store gives): the same numbers
    :func:`extract_file` gives for that file."""
    vector, _rate, _duration = _native.extract_bytes(bytes(data), _features(config))
    return vector


def list_corpus(
    paths: Union[PathLike, Sequence[PathLike]], corpus: str = "auto"
) -> Tuple[str, List[Tuple[str, Optional[str], Optional[str]]], List[Tuple[str, str]]]:
    """The audio files under ``paths`` (files or folders, searched recursively, sorted by path),
    each with its label and speaker by the corpus naming ``corpus`` (``"auto"``, ``"emodb"``,
    ``"ravdess"``, ``"cremad"``, ``"tess"``, ``"savee"``, ``"folders"``, ``"manifest:FILE"``,
    ``"none"``), as ``ser features`` lists them. Returns ``(kind, files, skipped)``: the
    naming used, ``(path, label, speaker)`` per file, and ``(path, why)`` for files left out."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    return _native.list_corpus([os.fspath(p) for p in items], corpus)


def extract_files(
    paths: Sequence[PathLike], jobs: Optional[int] = None, **config: Any
) -> Tuple[np.ndarray, List[str], List[Tuple[str, str]]]:
    """Features of many files, on ``jobs`` threads (all cores by default), the GIL released.

    Returns ``(X, names, failures)``: ``X`` has one row per file that could be read, in the
    order given, ``names`` their paths, and ``failures`` ``(path, message)`` for the others: a
    bad file never stops the rest.
    """
    return _native.extract_files([os.fspath(p) for p in paths], _features(config), jobs)


class Model:
    """A trained model, f32 or packed (quantized), as ``ser train`` and ``ser quantize`` write.

    Made by :func:`train`, :meth:`load` or :meth:`quantize`. ``predict`` and ``predict_proba``
    take raw feature rows (as :func:`extract` makes them); the model standardises them itself.
    """

    def __init__(self, native: Any):
        self._native = native

    @staticmethod
    def load(path: PathLike) -> "Model":
        """Reads a model file."""
        return Model(_native.Model.load(os.fspath(path)))

    @staticmethod
    def from_bytes(data: bytes) -> "Model":
        """A model from a model file's bytes."""
        return Model(_native.Model.from_bytes(bytes(data)))

    def to_bytes(self) -> bytes:
        """The model file's bytes."""
        return self._native.to_bytes()

    def save(self, path: PathLike, overwrite: bool = False) -> None:
        """Writes the model file; an existing file raises ``FileExistsError`` unless ``overwrite``."""
        self._native.save(os.fspath(path), overwrite)

    @property
    def classes(self) -> List[str]:
        """Class names, in the order of :meth:`predict_proba`'s columns."""
        return self._native.classes

    @property
    def feature_names(self) -> List[str]:
        """The feature columns the model takes."""
        return self._native.feature_names

    @property
    def feature_config(self) -> Dict[str, Any]:
        """The feature settings the model was trained on."""
        return json.loads(self._native.feature_config)

    @property
    def bits_per_layer(self) -> List[int]:
        """Bits per layer (32 for f32)."""
        return self._native.bits_per_layer

    @property
    def average_bits(self) -> float:
        """The parameter-weighted mean width."""
        return self._native.average_bits

    @property
    def size_kb(self) -> float:
        """The poster's size: ``params x bits / 8 / 1000``."""
        return self._native.size_kb

    @property
    def params(self) -> int:
        """Weights and biases."""
        return self._native.params

    @property
    def shapes(self) -> List[Tuple[int, int]]:
        """Layer shapes, ``(inputs, outputs)``."""
        return self._native.shapes

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of each row of raw features, ``(rows, classes)`` float32."""
        return self._native.predict_proba(_matrix(X))

    def predict(self, X: Any) -> np.ndarray:
        """The class name of each row."""
        classes = np.asarray(self.classes, dtype=object)
        return classes[self._native.predict_index(_matrix(X))]

    def score(self, X: Any, y: Sequence[str]) -> float:
        """Accuracy (a fraction, as scikit-learn's ``score``) on rows ``X`` with labels ``y``."""
        return self.evaluate(X, y)["accuracy"]

    def evaluate(self, X: Any, y: Sequence[str]) -> Dict[str, Any]:
        """Accuracy (WA), unweighted average recall (UA), macro-F1 (fractions in [0, 1]),
        precision and recall per class, and the confusion matrix (``confusion[true][predicted]``,
        classes in ``classes`` order)."""
        return json.loads(self._native.evaluate(_matrix(X), [str(v) for v in y]))

    def quantize(
        self,
        bits: Union[int, Sequence[int]] = 2,
        per_channel: bool = True,
        scales: str = "mse",
        f32_bias: bool = False,
    ) -> "Model":
        """The model packed at ``bits`` (one width for every layer, or one per layer; 32 keeps a
        layer in f32), as ``ser quantize --bits`` writes it.

        The default quantizer (per-channel scales of least squared error, codes rounded to
        nearest) is the one that measured best at every width; ``per_channel=False,
        scales="max-abs"`` is the poster's, which collapses at 2 bits."""
        widths = [int(bits)] * len(self.shapes) if np.isscalar(bits) else [int(b) for b in bits]
        options = {"per_channel": per_channel, "scales": scales, "f32_bias": f32_bias}
        return Model(self._native.quantize(widths, json.dumps(options)))

    def recognizer(self) -> "Recognizer":
        """A :class:`Recognizer` of audio with this model."""
        return Recognizer(self._native.recognizer())

    def __repr__(self) -> str:
        return (f"Model({len(self.classes)} classes, layers {self.shapes}, "
                f"bits {self.bits_per_layer}, {self.size_kb:.1f} KB)")


def train(
    X: Any,
    y: Sequence[str],
    speakers: Optional[Sequence[str]] = None,
    sr: Union[int, Sequence[int], None] = None,
    features: Optional[Dict[str, Any]] = None,
    **config: Any,
) -> Model:
    """Trains the poster's MLP on raw feature rows ``X`` (from :func:`extract` with the
    settings ``features``) and labels ``y``, with early stopping on a stratified tenth of the
    rows, seeded: the same call gives the same model, bit for bit.

    ``sr`` is the sample rate (or rates) of the audio the rows came from. It is recorded in the
    model so that a :class:`Recognizer` can take audio at other rates (resampled); without it
    the model classifies feature rows, and a recognizer refuses audio rather than guess.

    ``config``: ``hidden``, ``dropout``, ``learning_rate``, ``batch_size``, ``max_epochs``,
    ``early_stopping``, ``stop_on`` (``"accuracy"`` or ``"loss"``), ``patience``,
    ``min_delta``, ``restore_best``, ``weight_decay``, ``seed`` (``ser train``'s defaults).
    The training history is in ``model.history``.
    """
    labels = [str(v) for v in y]
    spk = None if speakers is None else [str(s) for s in speakers]
    rates = [] if sr is None else ([int(sr)] if np.isscalar(sr) else [int(r) for r in sr])
    native, history = _native.train(
        _matrix(X), labels, spk, rates, json.dumps(config), _features(features or {})
    )
    model = Model(native)
    model.history = json.loads(history)
    return model


def search(model: Model, X: Any, y: Sequence[str], **config: Any) -> Dict[str, Any]:
    """The poster's adaptive bit-width search for an f32 ``model`` on validation rows ``X, y``
    (never the test rows): the width per layer, the accuracies, every trial. With
    ``target_bits=B`` also every mix of widths, and the most accurate within ``B`` average bits
    (``result["budget"]``). Options: ``margin``, ``beta``, ``alpha``, ``target_bits``,
    ``per_channel``, ``scales``, ``f32_bias``. Apply the widths with
    ``model.quantize(result["bits_per_layer"])``.
    """
    return json.loads(_native.search(model._native, _matrix(X), [str(v) for v in y],
                                     json.dumps(config)))


def run(data: Union[PathLike, Sequence[PathLike]], **options: Any) -> Dict[str, Any]:
    """``ser run``: the whole method on audio folders (``data``), over seeds; returns what
    ``results.json`` holds (``runs``, ``summary``, ``config``), so a notebook can plot it.

    Options: ``seeds`` (a list; default 0..9), ``method`` (``"poster"`` or ``"best"``),
    ``finetune``, ``split`` (``"random"``, ``"loso"``, ``"speakers:0.1"``, ``"kfold:5"``),
    ``folds``, ``target_bits``, ``budget_kb``, ``gptq``, ``distill``, ``margin``,
    ``per_channel``, ``scales``, ``f32_bias``, ``training`` (a dict of :func:`train`'s
    options), ``corpus`` (how labels come from names: ``"auto"``, ``"emodb"``, ...),
    ``jobs``, ``cache`` (a folder) or ``no_cache``.
    """
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    if "seeds" in options:
        options["seeds"] = [int(s) for s in options["seeds"]]
    command = f"ser_adaptive.run({[os.fspath(p) for p in paths]!r}, **{options!r})"
    return json.loads(_native.run([os.fspath(p) for p in paths], json.dumps(options), command))


class Recognizer:
    """A model file to emotions of signals, files and long recordings.

    >>> rec = Recognizer.load("model.sermodel")             # doctest: +SKIP
    >>> rec.predict("a.wav")["emotion"]                     # doctest: +SKIP
    'anger'
    """

    def __init__(self, native: Any):
        self._native = native

    @staticmethod
    def load(path: PathLike) -> "Recognizer":
        """Reads a model file (f32 or packed)."""
        return Recognizer(_native.Recognizer.load(os.fspath(path)))

    @property
    def classes(self) -> List[str]:
        """Class names."""
        return self._native.classes

    @property
    def sample_rates(self) -> List[int]:
        """The rates the model was trained at (signals at others are resampled)."""
        return self._native.sample_rates

    def predict(self, audio: Union[PathLike, Any], sr: Optional[int] = None) -> Dict[str, Any]:
        """The emotion of a file (a path) or of a signal (samples with ``sr``):
        ``{"emotion", "index", "probability", "probabilities": {class: p}}``."""
        if isinstance(audio, (str, os.PathLike)):
            if sr is not None:
                raise ConfigError("sr is for signals; a file carries its own rate")
            return json.loads(self._native.predict_file(os.fspath(audio)))
        if sr is None:
            raise ConfigError("a signal needs its sample rate: predict(y, sr=16000)")
        return json.loads(self._native.predict_signal(_signal(audio), int(sr)))

    def features(self, y: Any, sr: int) -> np.ndarray:
        """The features the recognizer computes from a signal."""
        return self._native.features(_signal(y), int(sr))

    def predict_timeline(
        self,
        audio: Union[PathLike, Any],
        sr: Optional[int] = None,
        window: float = 3.0,
        hop: float = 1.0,
        gate: Union[bool, Dict[str, float], None] = True,
    ) -> Dict[str, Any]:
        """One prediction per ``window`` seconds every ``hop`` seconds of a recording of any
        length (a file is streamed, not loaded whole): ``{"windows": [{"start", "end",
        "level_db", "prediction"}], "end": {...}}``. Windows the voice-activity ``gate`` finds
        silent have ``prediction`` None; ``gate=False`` classifies every window, a dict changes
        the default gate's ``threshold_db``, ``min_active`` or ``frame``."""
        config: Dict[str, Any] = json.loads(_native.default_stream_config())
        config.update(window=float(window), hop=float(hop))
        if gate is None or gate is False:
            config["gate"] = None
        elif isinstance(gate, dict):
            config["gate"] = {**config["gate"], **gate}
        text = json.dumps(config)
        if isinstance(audio, (str, os.PathLike)):
            return json.loads(self._native.timeline_file(os.fspath(audio), text))
        if sr is None:
            raise ConfigError("a signal needs its sample rate: predict_timeline(y, sr=16000)")
        return json.loads(self._native.timeline_signal(_signal(audio), int(sr), text))
