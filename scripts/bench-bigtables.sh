#!/bin/sh
# The big-table benchmark is python3 -m harness.bigtables (same arguments,
# environment and output). This entry stays only while scripts/bench.sh
# calls it; it goes when bench.sh becomes harness/bench.py.
cd "$(dirname "$0")/.." || exit 2
exec "${PYTHON:-python3}" -m harness.bigtables "$@"
