#!/usr/bin/env bash
# Set up everything mmattn needs, idempotently. A second run takes seconds.
#
#   bash tools/install.sh          # into ./.venv, or the active venv/conda env
#
# What is needed is listed once, in requirements/*.txt (setup.py and
# tools/check_env.py read the same files):
# - torch: keeps a torch already in the active environment when it fits
#   (2.x); otherwise torch==2.13.0, the CPU build pip finds on this machine.
#   The chosen version is pinned in a constraints file through every later
#   install, so nothing can pull another (multi-GB CUDA) torch.
# - mmcv (mminstall.txt; mmdet 3.3 and mmseg 1.2 need < 2.2) is kept when the
#   environment has it with its compiled ops, and otherwise built from source
#   with them when no matching wheel exists: about 14 minutes on 2 cores,
#   once; pip caches the wheel. The version found is pinned too.
# - mmengine, mmdet, mmsegmentation and the modules mmseg imports without
#   declaring them (runtime.txt, mminstall.txt); the tests, analysis and mim
#   extras; pytorch-grad-cam without its torchvision requirement
#   (no_deps.txt); mmattn itself in editable mode.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/_python.sh"
TORCH_DEFAULT="2.13.0"
# The mmcv requirement, e.g. mmcv>=2.0.0rc4,<2.2.0.
MMCV="$(grep -E '^mmcv[<>=!~ ]' "$ROOT/requirements/mminstall.txt")"
say() { printf '[install] %s\n' "$*"; }

# 1. The environment: the active one, else ./.venv.
if [[ -n "${VIRTUAL_ENV:-}" || -n "${CONDA_PREFIX:-}" ]]; then
  say "using the active environment: ${VIRTUAL_ENV:-$CONDA_PREFIX}"
else
  if [[ ! -x "$PY" ]]; then
    say "creating a virtual environment at $ROOT/.venv"
    "${PYTHON:-python3}" -m venv "$ROOT/.venv"
  fi
  say "using $ROOT/.venv"
fi
pip_install() { "$PY" -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS" "$@"; }

# 2. Everything present already? Then stop here (the seconds-long path).
if "$PY" "$ROOT/tools/check_env.py" --quiet; then
  say "everything is installed; nothing to do"
  exit 0
fi

# 3. Constraints: the torch we keep or install, numpy 1.x (mmcv 2.1 is
#    compiled against it), a setuptools that still has pkg_resources; mmcv is
#    pinned once it is installed (step 4).
TORCH="$("$PY" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
try:
    v = version('torch')
    print(v.split('+')[0] if v.startswith('2.') else '')
except PackageNotFoundError:
    print('')
EOF
)"
if [[ -n "$TORCH" ]]; then
  say "keeping torch $TORCH from the environment"
else
  TORCH="$TORCH_DEFAULT"
  say "installing torch $TORCH (CPU build)"
fi
CONSTRAINTS="$("$PY" -c 'import sys; print(sys.prefix)')/mmattn-constraints.txt"
printf 'torch==%s\nnumpy<2\nsetuptools>=64,<81\n' "$TORCH" > "$CONSTRAINTS"
say "constraints in $CONSTRAINTS: $(tr '\n' ' ' < "$CONSTRAINTS")"
pip_install "torch==$TORCH" "numpy<2" "setuptools>=64,<81" wheel ninja psutil

# 4. mmcv with its compiled ops.
if ! "$PY" "$ROOT/tools/check_env.py" --quiet --only mmcv; then
  say "installing $MMCV with compiled ops: from a cached or matching wheel"
  say "if there is one, otherwise built from source (about 14 minutes on 2"
  say "cores, once; the wheel is cached). Progress every minute below."
  LOG="$(mktemp -t mmcv-build.XXXXXX.log)"
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "$PY" -m pip install --disable-pip-version-check --no-build-isolation \
    -c "$CONSTRAINTS" "$MMCV" > "$LOG" 2>&1 &
  BUILD=$!
  START=$SECONDS
  while kill -0 "$BUILD" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - START) % 60 < 5 && SECONDS - START >= 60 )); then
      say "mmcv: $(( (SECONDS - START) / 60 )) min, still working (log: $LOG)"
    fi
  done
  if ! wait "$BUILD"; then
    tail -n 40 "$LOG"
    say "mmcv install failed; full log: $LOG"
    exit 1
  fi
  say "mmcv installed in $(( SECONDS - START )) s"
fi
MMCV_FOUND="$("$PY" -c "from importlib.metadata import version; print(version('mmcv'))")"
printf 'mmcv==%s\n' "$MMCV_FOUND" >> "$CONSTRAINTS"

# 5. The hosts, the undeclared imports, the extras and mmattn (editable).
say "installing mmengine, mmdet, mmsegmentation, extras and mmattn (editable)"
pip_install --no-build-isolation -e "$ROOT[tests,analysis,mim]"
pip_install --no-deps -r "$ROOT/requirements/no_deps.txt"

"$PY" "$ROOT/tools/check_env.py"
CONFLICTS="$("$PY" -m pip check --disable-pip-version-check 2>/dev/null \
  | grep -v -e '^No broken' -e '^grad-cam .* requires \(torchvision\|opencv-python-headless\)' || true)"
[[ -z "$CONFLICTS" ]] || say "warning: pip check reports: $CONFLICTS"
say "done"
