#!/usr/bin/env bash
# Create (if missing) the repo-root Python virtualenv used by the fixture
# generators in scripts/, and install the pinned requirements into it.
# Idempotent: safe to run repeatedly. The last line printed is the path of
# the venv's python interpreter.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
VENV_DIR="$(cd "$SCRIPT_DIR/.." && pwd)/.venv"

if [ ! -x "$VENV_DIR/bin/python" ]; then
    python3 -m venv "$VENV_DIR"
fi

"$VENV_DIR/bin/python" -m pip install -q -r "$SCRIPT_DIR/requirements.txt"

echo "$VENV_DIR/bin/python"
