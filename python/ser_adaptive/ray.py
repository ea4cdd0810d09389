"""Corpus-scale feature extraction on a Ray cluster.

Ray Data reads the audio files (local paths, or any filesystem pyarrow knows: S3, GCS, HDFS),
each worker runs our extractor in ``map_batches``, and the result is a Parquet feature table:
``path``, ``label``, ``speaker``, ``error``, ``sample_rate`` and one float32 column per
feature, with the feature configuration in the Parquet schema's metadata (key
``ser_adaptive.features``). A file that cannot be read becomes a row with its error and NaN
features, never a failed job. ``ser features --out table.parquet`` writes the same table from
Rust, and ``ser train`` reads either.

>>> import ray, ser_adaptive.ray as sar                              # doctest: +SKIP
>>> ray.init()                                                       # doctest: +SKIP
>>> sar.extract_to_parquet("path/to/emodb", "emodb-features/")       # doctest: +SKIP

Needs ``pip install "ray[data]" pyarrow`` (the ``ray`` extra of this package).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

import ser_adaptive as sa

METADATA_KEY = b"ser_adaptive.features"
# Labels and speakers by path, per worker process, by the object's id.
_NAMES: Dict[str, Any] = {}


def _require():
    try:
        import pyarrow  # noqa: F401
        import ray  # noqa: F401
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "ser_adaptive.ray needs Ray Data and pyarrow: pip install \"ray[data]\" pyarrow"
        ) from e


def schema(**config: Any):
    """The Arrow schema of the feature table for these feature settings, with the settings
    in its metadata."""
    _require()
    import pyarrow as pa

    fields = [
        pa.field("path", pa.string()),
        pa.field("label", pa.string()),
        pa.field("speaker", pa.string()),
        pa.field("error", pa.string()),
        pa.field("sample_rate", pa.int32()),
    ] + [pa.field(name, pa.float32()) for name in sa.feature_names(**config)]
    settings = json.loads(sa._features(config))
    return pa.schema(fields, metadata={METADATA_KEY: json.dumps(settings).encode()})


def _extract_batch(batch, config: Dict[str, Any], names_ref):
    """map_batches' function: a batch of ``path, bytes`` to feature rows, each file's error
    caught into its row. Tasks, not actors, so that reading and extracting share the CPUs."""
    import pyarrow as pa
    import ray

    names = _NAMES.get(names_ref.hex())
    if names is None:
        # Once per worker process, not once per batch.
        names = _NAMES.setdefault(names_ref.hex(), ray.get(names_ref))
    columns = sa.feature_names(**config)
    paths = [str(p) for p in batch["path"]]
    out = np.full((len(paths), len(columns)), np.nan, dtype=np.float32)
    errors: List[Optional[str]] = []
    rates: List[Optional[int]] = []
    features = sa._features(config)
    for i, (path, blob) in enumerate(zip(paths, batch["bytes"])):
        try:
            out[i], rate, _duration = sa._native.extract_bytes(bytes(blob), features)
            errors.append(None)
            rates.append(rate)
        except sa.SerError as e:
            errors.append(f"{path}: {e}")
            rates.append(None)
    known = [names.get(_key(p), (None, None)) for p in paths]
    arrays = [pa.array(paths, pa.string()), pa.array([k[0] for k in known], pa.string()),
              pa.array([k[1] for k in known], pa.string()), pa.array(errors, pa.string()),
              pa.array(rates, pa.int32())]
    arrays += [pa.array(out[:, j]) for j in range(out.shape[1])]
    return pa.Table.from_arrays(arrays, schema=schema(**config))


def _extract_paths_batch(batch, config: Dict[str, Any]):
    """map_batches' function for a manifest of local paths: each file read and extracted by
    one native call (the GIL released), failures kept as rows."""
    import pyarrow as pa

    paths = [str(p) for p in batch["path"]]
    columns = sa.feature_names(**config)
    features = sa._features(config)
    out = np.full((len(paths), len(columns)), np.nan, dtype=np.float32)
    errors: List[Optional[str]] = [None] * len(paths)
    rates: List[Optional[int]] = [None] * len(paths)
    for i, path in enumerate(paths):
        try:
            out[i], rates[i], _duration = sa._native.extract_file(path, features)
        except sa.SerError as e:
            errors[i] = str(e)
    arrays = [pa.array(paths, pa.string()), pa.array(_texts(batch["label"]), pa.string()),
              pa.array(_texts(batch["speaker"]), pa.string()), pa.array(errors, pa.string()),
              pa.array(rates, pa.int32())]
    arrays += [pa.array(out[:, j]) for j in range(out.shape[1])]
    return pa.Table.from_arrays(arrays, schema=schema(**config))


def _texts(column) -> List[Optional[str]]:
    """A batch's text column as strings or None (numpy batches turn a column of Nones into
    NaN floats)."""
    return [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in column]


def _key(path: str) -> str:
    """A path as Ray reports it and as the listing has it: local paths compared absolute."""
    return path if "://" in path else os.path.abspath(path)


def extract_dataset(
    paths: Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]],
    corpus: str = "auto",
    batch_size: int = 32,
    concurrency: Optional[int] = None,
    read: str = "paths",
    **config: Any,
):
    """A Ray Dataset of feature rows for the audio files under ``paths``, labelled by the corpus
    naming ``corpus`` (:func:`ser_adaptive.list_corpus`), extracted with the settings ``config``
    (:func:`ser_adaptive.extract`'s) in batches of ``batch_size`` files, at most
    ``concurrency`` tasks at once (Ray's choice by default: every CPU). Lazy: nothing runs
    until it is consumed or written.

    ``read="paths"`` (the default) makes a manifest of the files (path, label, speaker) and
    each task reads its files itself: for local disks and shared filesystems (NFS, a mounted
    bucket), and the faster (docs/SCALING.md). ``read="bytes"`` reads them with
    ``ray.data.read_binary_files``, for storage only pyarrow's filesystems reach (S3, GCS,
    HDFS); the features are the same."""
    _require()
    import ray

    if read not in ("paths", "bytes"):
        raise sa.ConfigError(f'read must be "paths" or "bytes", got {read!r}')
    _kind, files, _skipped = sa.list_corpus(paths, corpus)
    if not files:
        raise sa.DataError(f"no audio files under {paths!r}")
    limit = {} if concurrency is None else {"concurrency": concurrency}
    if read == "paths":
        manifest = ray.data.from_items(
            [{"path": p, "label": label, "speaker": speaker} for p, label, speaker in files])
        return manifest.map_batches(_extract_paths_batch, batch_size=batch_size,
                                    batch_format="numpy", fn_kwargs={"config": config}, **limit)
    # Labels and speakers by path, shared through the object store rather than copied into
    # every task.
    names = ray.put({_key(p): (label, speaker) for p, label, speaker in files})
    ds = ray.data.read_binary_files([p for p, _, _ in files], include_paths=True)
    return ds.map_batches(_extract_batch, batch_size=batch_size, batch_format="numpy",
                          fn_kwargs={"config": config, "names_ref": names}, **limit)


def extract_to_parquet(
    paths: Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]],
    out: Union[str, "os.PathLike[str]"],
    corpus: str = "auto",
    batch_size: int = 32,
    concurrency: Optional[int] = None,
    read: str = "paths",
    **config: Any,
) -> Dict[str, Any]:
    """Extracts every audio file under ``paths`` on the Ray cluster and writes the feature table
    as Parquet files into the folder ``out`` (which must not exist yet: nothing is overwritten).
    Returns ``{"rows", "failed", "out"}``."""
    _require()
    target = os.fspath(out)
    if os.path.exists(target):
        raise FileExistsError(f"{target} exists; give a new folder for the feature table")
    import pyarrow.parquet as pq

    ds = extract_dataset(paths, corpus, batch_size, concurrency, read, **config)
    # One pass: the pipeline runs as it writes; the counts come from the files written.
    ds.write_parquet(target)
    errors = pq.read_table(target, columns=["error"])["error"]
    return {"rows": len(errors), "failed": len(errors) - errors.null_count, "out": target}


def read_table(path: Union[str, "os.PathLike[str]"]):
    """A Parquet feature table (a file or a folder of them, as :func:`extract_to_parquet` writes
    it) as ``(X, table, config)``: the float32 feature matrix of the rows without an error, the
    pyarrow Table of all rows, and the feature settings from its metadata."""
    _require()
    import pyarrow.parquet as pq

    table = pq.read_table(os.fspath(path))
    meta = (table.schema.metadata or {}).get(METADATA_KEY)
    if meta is None:
        raise sa.DataError(f"{path}: no {METADATA_KEY.decode()} metadata: not a ser_adaptive table")
    config = json.loads(meta)
    names = sa.feature_names(**{k: v for k, v in config.items()})
    ok = table.filter(table["error"].is_null())
    X = np.stack([ok[n].to_numpy(zero_copy_only=False) for n in names], axis=1).astype(np.float32)
    return X, table, config
