"""Shared by the scripts in this folder: the repository venv and ser's file search.

Only the standard library is imported here, so a script can use it before (re-)executing
itself under the venv and before numpy is imported.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = REPO_ROOT / ".venv"

# Same list as ser-features' corpus::AUDIO_EXTENSIONS.
AUDIO_EXTENSIONS = {"wav", "wave", "flac", "mp3", "ogg", "oga", "aif", "aiff", "aifc"}


def ensure_venv(script: str) -> None:
    """Re-executes `script` under the repository venv (creating it) unless already there.

    Environment variables set before the call are inherited by the new process.
    """
    try:
        if Path(sys.prefix).resolve() == VENV_DIR.resolve():
            return
    except OSError:
        pass
    setup = REPO_ROOT / "scripts" / "setup_venv.sh"
    print(f"not running in {VENV_DIR}; running {setup} ...", file=sys.stderr)
    # setup_venv.sh prints progress on stdout; keep our stdout for the report.
    subprocess.run([str(setup)], check=True, stdout=sys.stderr)
    python = VENV_DIR / "bin" / "python"
    os.execv(str(python), [str(python), str(Path(script).resolve()), *sys.argv[1:]])


def find_audio_files(root: Path) -> list[Path]:
    """All audio files under root (or root itself if a file), sorted like ser (by path components).

    Hidden files and folders are skipped, as ser does.
    """
    if root.is_file():
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext in AUDIO_EXTENSIONS:
                found.append(Path(dirpath) / name)
    found.sort(key=lambda p: p.parts)
    return found


DEFAULT_SER = REPO_ROOT / "target" / "release" / "ser"


def ser_binary_error(ser: Path) -> str | None:
    """An error message when `ser` is not an executable file, else None."""
    if ser.is_file() and os.access(ser, os.X_OK):
        return None
    return (f"error: ser binary not found at {ser}; build it with "
            f"`cargo build --release -p ser-cli` (or pass --ser PATH)")


def audio_files_or_error(folder: Path, limit: int | None) -> tuple[list[Path], str | None]:
    """The audio files under `folder` (the first `limit` if given), or an error message."""
    if not folder.exists():
        return [], f"error: {folder} does not exist"
    files = find_audio_files(folder)
    if limit is not None:
        files = files[:limit]
    if not files:
        return [], f"error: no audio files under {folder}"
    return files, None


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def nproc() -> int:
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def paired_by(runs, pick):
    """Test WA of the model `pick(run)` minus the baseline's, seed by seed, as (mean, standard
    error of the mean); None unless every run has that model."""
    import math

    d = [pick(r)["accuracy"] - r["baseline"]["accuracy"] for r in runs if pick(r)]
    if len(d) != len(runs) or not d:
        return None
    mean = sum(d) / len(d)
    std = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1)) if len(d) > 1 else 0.0
    return mean, std / math.sqrt(len(d))
