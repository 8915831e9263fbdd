#!/usr/bin/env bash
# `make demo`: the main job on the embedded default store, then a handful of verified tasks
# written by the strongest local model that runs here (Qwen2.5-Coder-1.5B-Instruct, fetched
# and hash-checked on first use by scripts/llm-server.sh fetch-coder, served on 127.0.0.1).
#
# Settings (environment): TASKS (4; 0 skips the model: a two-minute run), SETS (30),
# SOLVER_ATTEMPTS (1), PORT (8799), N_THREADS (2), VENV (.venv), OUT_DIR (.adr-graph/out).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
TASKS="${TASKS:-4}"
SETS="${SETS:-30}"
OUT_DIR="${OUT_DIR:-.adr-graph/out}"
export VENV PORT="${PORT:-8799}" N_THREADS="${N_THREADS:-2}" N_CTX="${N_CTX:-8192}"
export STATE_DIR="${STATE_DIR:-.adr-graph/llm-demo}" MODEL_ALIAS="qwen2.5-coder-1.5b-instruct"
ADR="$VENV/bin/adr-graph"

if [ "$TASKS" = "0" ]; then
    exec "$ADR" run --extractor static --sets "$SETS" --no-tasks --out-dir "$OUT_DIR"
fi

MODEL="$(bash scripts/llm-server.sh fetch-coder)"
export MODEL
bash scripts/llm-server.sh start
trap 'bash scripts/llm-server.sh stop' EXIT
# The static extractor builds the graph; the model writes and solves the tasks.
"$ADR" run --extractor static --sets "$SETS" --tasks "$TASKS" --out-dir "$OUT_DIR" \
    --llm-base-url "http://127.0.0.1:$PORT/v1" --llm-api-key sk-local-demo \
    --model "$MODEL_ALIAS" --llm-concurrency 1 --solver-attempts "${SOLVER_ATTEMPTS:-1}"
