#!/usr/bin/env bash
# Writes the committed model-file fixtures again (crates/ser-model/tests/fixtures/): a small f32
# model and its 2-bit packed twin, and the classes each predicts. Only for a change of the model
# file format, which the fixtures exist to catch: bump MODEL_FORMAT_VERSION with it.
set -euo pipefail
cd "$(dirname "$0")/.."
SER_WRITE_FIXTURES=1 cargo test -q -p ser-model --test fixtures
ls -l crates/ser-model/tests/fixtures
