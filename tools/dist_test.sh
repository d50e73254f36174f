#!/usr/bin/env bash
# Distributed testing with torchrun: NUM_PROCS processes per node.
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
# On GPUs one process per GPU with nccl; without CUDA, CPU processes with
# gloo (tools/test.py switches the backend and SyncBN, and logs it).
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT as with mmdet/mmseg;
# PYTHON picks the interpreter (default: the active virtual/conda
# environment's python, else ./.venv's, as the other scripts).
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NUM_PROCS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
source "$(dirname "${BASH_SOURCE[0]}")/_python.sh"

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"${PYTHON:-$PY}" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NUM_PROCS" --master_port="$PORT" \
    "$ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
