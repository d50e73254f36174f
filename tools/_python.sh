# Sourced by the tools' shell scripts: PY is the interpreter mmattn is
# installed for: the active virtual/conda environment, else ./.venv.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -n "${VIRTUAL_ENV:-}" || -n "${CONDA_PREFIX:-}" ]]; then
  PY="$(command -v python)"
else
  PY="$ROOT/.venv/bin/python"
fi
