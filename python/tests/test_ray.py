"""The Ray Data pipeline on a real local cluster (2 worker processes): the demo corpus written
to disk, features through read_binary_files and map_batches into Parquet, equal bit for bit to
the single-process extraction; a broken file is a row with its error."""

import numpy as np
import pytest

import ser_adaptive as sa
from conftest import write_wav

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'ray[data]' pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
import ser_adaptive.ray as sar  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             ignore_reinit_error=True)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """70 utterances of the small demo corpus as 16-bit WAVs, a folder per emotion
    (`--corpus folders`), and one broken file."""
    root = tmp_path_factory.mktemp("demo")
    for u in sa.demo_corpus("small")[:70]:
        (root / u["label"]).mkdir(exist_ok=True)
        write_wav(root / u["label"] / f"{u['name']}.wav", u["samples"], u["sr"])
    (root / "anger" / "broken.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt junk")
    return root


def test_ray_features_equal_the_single_process_ones(cluster, demo_folder, tmp_path):
    out = tmp_path / "table"
    summary = sar.extract_to_parquet(demo_folder, out, corpus="folders",
                                     batch_size=8)
    assert summary["rows"] == 71 and summary["failed"] == 1
    X, table, config = sar.read_table(out)
    assert config["n_mfcc"] == 40 and X.shape == (70, 180)
    rows = {p: i for i, p in enumerate(table["path"].to_pylist())}
    errors = table["error"].to_pylist()
    broken = [p for p, e in zip(table["path"].to_pylist(), errors) if e is not None]
    assert len(broken) == 1 and broken[0].endswith("broken.wav")
    ok_paths = [p for p, e in zip(table["path"].to_pylist(), errors) if e is None]
    single, names, failures = sa.extract_files(ok_paths, jobs=1)
    assert not failures and names == ok_paths
    names_cols = sa.feature_names()
    for r, path in enumerate(ok_paths):
        i = rows[path]
        ray_row = np.array([table[c][i].as_py() for c in names_cols], dtype=np.float32)
        assert np.array_equal(ray_row, single[r]), path
    labels = dict(zip(table["path"].to_pylist(), table["label"].to_pylist()))
    assert all(labels[p] == p.split("/")[-2] for p in ok_paths)
    print(f"\nray: {summary['rows']} rows, {summary['failed']} failed, every feature equal "
          f"to the single-process extraction")
    with pytest.raises(FileExistsError):
        sar.extract_to_parquet(demo_folder, out)


def test_reading_bytes_gives_the_same_table(cluster, demo_folder, tmp_path):
    by_paths = sar.extract_to_parquet(demo_folder, tmp_path / "p", corpus="folders")
    by_bytes = sar.extract_to_parquet(demo_folder, tmp_path / "b", corpus="folders", read="bytes")
    assert by_paths["rows"] == by_bytes["rows"] == 71
    assert by_paths["failed"] == by_bytes["failed"] == 1
    Xp, tp, _ = sar.read_table(tmp_path / "p")
    Xb, tb, _ = sar.read_table(tmp_path / "b")

    def ok(t):
        return [p for p, e in zip(t["path"].to_pylist(), t["error"].to_pylist()) if e is None]

    rows_b = dict(zip(ok(tb), Xb))
    for p, x in zip(ok(tp), Xp):
        assert np.array_equal(x, rows_b[p]), p
    with pytest.raises(sa.ConfigError):
        sar.extract_dataset(demo_folder, read="files")


def test_rust_and_ray_tables_are_one_format(cluster, demo_folder, tmp_path, ser_bin):
    import subprocess

    ray_out = tmp_path / "ray"
    sar.extract_to_parquet(demo_folder, ray_out, corpus="folders")
    rust_out = tmp_path / "rust.parquet"
    done = subprocess.run([ser_bin, "features", str(demo_folder), "--corpus", "folders",
                           "--quiet", "--out", str(rust_out)], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # the broken file
    X_ray, t_ray, c_ray = sar.read_table(ray_out)
    X_rust, t_rust, c_rust = sar.read_table(rust_out)
    assert c_ray == c_rust and t_ray.schema.names == t_rust.schema.names
    by_path = {p: x for p, x in zip([p for p, e in zip(t_ray["path"].to_pylist(),
                                                       t_ray["error"].to_pylist()) if e is None],
                                    X_ray)}
    ok_rust = [p for p, e in zip(t_rust["path"].to_pylist(), t_rust["error"].to_pylist())
               if e is None]
    assert sorted(ok_rust) == sorted(by_path)
    for p, x in zip(ok_rust, X_rust):
        assert np.array_equal(x, by_path[p]), p
    # `ser train` reads the folder Ray wrote.
    model = tmp_path / "m.sermodel"
    trained = subprocess.run([ser_bin, "train", str(ray_out), "--out", str(model),
                              "--max-epochs", "3", "--quiet"], capture_output=True, text=True)
    assert trained.returncode == 0, trained.stderr
    assert sa.Recognizer.load(model).sample_rates == [16000]
