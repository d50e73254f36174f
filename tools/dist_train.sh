#!/usr/bin/env bash
# Distributed training with torchrun: NUM_PROCS processes per node.
#   bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# On GPUs one process per GPU with nccl; without CUDA, CPU processes with
# gloo (tools/train.py switches the backend and SyncBN, and logs it).
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT as with mmdet/mmseg;
# PYTHON picks the interpreter (default: the active virtual/conda
# environment's python, else ./.venv's, as the other scripts).
set -euo pipefail
CONFIG=$1
NUM_PROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
source "$(dirname "${BASH_SOURCE[0]}")/_python.sh"

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"${PYTHON:-$PY}" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NUM_PROCS" --master_port="$PORT" \
    "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
