#!/usr/bin/env bash
# The main job, set-up included: make the toy ADE20K set, train VAN-B0
# Semantic FPN on it on CPU, evaluate the final checkpoint, print the mIoU.
#   bash tools/quickstart.sh [CONFIG]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_python.sh"
CONFIG="${1:-configs/toy/fpn_van-b0_toy-ade20k.py}"
NAME="$(basename "$CONFIG" .py)"
WORK_DIR="work_dirs/$NAME"

bash "$ROOT/tools/install.sh"
cd "$ROOT"
"$PY" tools/make_toy_data.py --out data
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CKPT="$WORK_DIR/$(cat "$WORK_DIR/last_checkpoint" | xargs basename)"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" \
  | tee "$WORK_DIR/test.log"
echo
echo "[quickstart] $NAME on toy ADE20K validation:"
grep -Eo "mIoU: [0-9.]+.*" "$WORK_DIR/test.log" | tail -n 1
