#!/usr/bin/env bash
# The whole test suite, set-up included: bash tools/run_tests.sh [pytest args]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_python.sh"
bash "$ROOT/tools/install.sh"
cd "$ROOT"
exec "$PY" -m pytest tests "$@"
