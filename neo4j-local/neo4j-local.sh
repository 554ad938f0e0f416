#!/usr/bin/env bash
# GraphRisk local Neo4j 5.26 LTS community server (+ Graph Data Science + APOC core),
# started from Maven Central artifacts -- no Docker, no tarball download.
#
#   neo4j-local/neo4j-local.sh start    resolve jars (cached in ~/.m2), start in background, wait until ready
#   neo4j-local/neo4j-local.sh stop     stop it (SIGTERM, clean shutdown)
#   neo4j-local/neo4j-local.sh status   say whether it runs (exit 0 when running, 3 when not)
#   neo4j-local/neo4j-local.sh restart
#   neo4j-local/neo4j-local.sh import --nodes=... --relationships=...
#                                       offline bulk import (`neo4j-admin database import full`,
#                                       run from the same jars) into the default database "neo4j",
#                                       replacing it; the server must be stopped. Options after
#                                       `import` go to the importer unchanged.
#
# Environment (all optional):
#   GRAPHRISK_HOME              base dir (default $HOME/.graphrisk); server home is $GRAPHRISK_HOME/neo4j
#   GRAPHRISK_NEO4J_PORT        Bolt port on 127.0.0.1 (default 7687)
#   GRAPHRISK_NEO4J_PASSWORD    password of user "neo4j" (default graphrisk-local, >= 8 chars);
#                               applied on every start
#   GRAPHRISK_NEO4J_HTTP_PORT   enable the HTTP API/Browser on 127.0.0.1:PORT (default: HTTP off)
#   GRAPHRISK_NEO4J_HEAP        JVM heap, e.g. 2g (default 2g)
#   GRAPHRISK_NEO4J_PAGECACHE   page cache, e.g. 1g (default 1g)
#   GRAPHRISK_NEO4J_START_TIMEOUT  seconds to wait for readiness (default 90)
#   GRAPHRISK_NEO4J_IMPORT_MEMORY  off-heap memory of the importer (default 1g)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/pom.xml"
LAUNCHER="$SCRIPT_DIR/Launcher.java"

NEO4J_HOME_DIR="${GRAPHRISK_HOME:-$HOME/.graphrisk}/neo4j"
PORT="${GRAPHRISK_NEO4J_PORT:-7687}"
PASSWORD="${GRAPHRISK_NEO4J_PASSWORD:-graphrisk-local}"
HTTP_PORT="${GRAPHRISK_NEO4J_HTTP_PORT:-}"
HEAP="${GRAPHRISK_NEO4J_HEAP:-2g}"
PAGECACHE="${GRAPHRISK_NEO4J_PAGECACHE:-1g}"
START_TIMEOUT="${GRAPHRISK_NEO4J_START_TIMEOUT:-90}"
IMPORT_MEMORY="${GRAPHRISK_NEO4J_IMPORT_MEMORY:-1g}"

CONF_DIR="$NEO4J_HOME_DIR/conf"
DATA_DIR="$NEO4J_HOME_DIR/data"
LOGS_DIR="$NEO4J_HOME_DIR/logs"
PLUGINS_DIR="$NEO4J_HOME_DIR/plugins"
RUN_DIR="$NEO4J_HOME_DIR/run"
LIB_DIR="$NEO4J_HOME_DIR/lib"
PID_FILE="$RUN_DIR/neo4j-local.pid"
OUT_FILE="$LOGS_DIR/console.log"
CP_FILE="$LIB_DIR/classpath.txt"
CP_STAMP="$LIB_DIR/classpath.stamp"

die() { echo "neo4j-local: $*" >&2; exit 1; }
say() { echo "neo4j-local: $*" >&2; }

need_tools() {
    command -v java >/dev/null 2>&1 \
        || die "'java' not found: install a Java 17 (or 21) runtime+compiler, e.g. 'apt-get install openjdk-17-jdk-headless'"
    local jv
    jv="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    [[ "$jv" == "17" || "$jv" == "21" ]] \
        || die "Neo4j 5.26 needs Java 17 or 21, found java ${jv:-unknown} ($(command -v java))"
    java --list-modules 2>/dev/null | grep -q '^jdk.compiler' \
        || die "this Java is a JRE without the compiler that runs Launcher.java: install a JDK, e.g. 'apt-get install openjdk-17-jdk-headless'"
    command -v mvn >/dev/null 2>&1 \
        || die "'mvn' not found: install Apache Maven 3.8+, e.g. 'apt-get install maven' (it fetches the Neo4j jars from Maven Central)"
}

is_running() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "Launcher.java"
}

# Resolve the artifacts of pom.xml into ~/.m2 and write the classpath.  Cached: Maven only runs
# again when pom.xml changes or a jar went missing from ~/.m2.
resolve_classpath() {
    mkdir -p "$LIB_DIR"
    local stamp
    stamp="$(sha256sum "$POM" | cut -d' ' -f1)"
    if [[ -s "$CP_FILE" && -f "$CP_STAMP" && "$(cat "$CP_STAMP")" == "$stamp" ]]; then
        local missing=0 jar
        IFS=":" read -r -a jars < "$CP_FILE" || true
        for jar in "${jars[@]}"; do [[ -f "$jar" ]] || { missing=1; break; }; done
        [[ $missing == 0 ]] && return 0
    fi
    say "resolving Neo4j/GDS/APOC artifacts with Maven (first run downloads ~200 MB into ~/.m2) ..."
    if ! mvn -q -B -f "$POM" dependency:build-classpath \
            -Dmdep.outputFile="$CP_FILE.tmp" -Dmdep.includeScope=runtime >"$LIB_DIR/mvn.log" 2>&1; then
        tail -n 30 "$LIB_DIR/mvn.log" >&2
        die "Maven could not resolve the artifacts (full log: $LIB_DIR/mvn.log)"
    fi
    mv "$CP_FILE.tmp" "$CP_FILE"
    echo "$stamp" > "$CP_STAMP"
}

# Procedures are discovered only in jars under plugins/, so the GDS and APOC jars that declare
# procedures/functions go there (everything is on the classpath too, as in the stock server whose
# classpath is lib/*:plugins/*).  Copying only those 13 of the 115 GDS/APOC jars saves start-up
# time: the server loads every class of every plugin jar looking for procedures.
layout_plugins() {
    mkdir -p "$PLUGINS_DIR"
    find "$PLUGINS_DIR" -maxdepth 1 -name '*.jar' -delete
    local jar n=0 scan=1
    command -v unzip >/dev/null 2>&1 || scan=0   # without unzip: copy all GDS/APOC jars (slower start)
    IFS=':' read -r -a jars < "$CP_FILE" || true
    for jar in "${jars[@]}"; do
        case "$jar" in
            */org/neo4j/gds/*|*/org/neo4j/procedure/*)
                if (( scan == 0 )) || grep -a -q -E 'Lorg/neo4j/procedure/(Procedure|UserFunction|UserAggregationFunction);' \
                        < <(unzip -p "$jar" '*.class' 2>/dev/null); then
                    cp -f "$jar" "$PLUGINS_DIR/"; n=$((n + 1))
                fi ;;
        esac
    done
    (( n > 0 )) || die "no GDS/APOC procedure jars found on the classpath ($CP_FILE)"
}

# The server home, its data (customers' personal data) and its logs are owner-only (0700),
# also when an earlier version created them world-readable; the server runs with umask 077,
# so the store files it creates are 0600.
make_private_dirs() {
    mkdir -p "$NEO4J_HOME_DIR" "$DATA_DIR" "$LOGS_DIR"
    chmod 700 "$NEO4J_HOME_DIR" "$DATA_DIR" "$LOGS_DIR"
}

write_conf() {
    mkdir -p "$CONF_DIR" "$DATA_DIR" "$LOGS_DIR" "$RUN_DIR"
    local http_enabled=false http_port=7474
    if [[ -n "$HTTP_PORT" ]]; then http_enabled=true; http_port="$HTTP_PORT"; fi
    # Regenerated on every start so the environment variables always apply.
    cat > "$CONF_DIR/neo4j.conf" <<EOF
# Generated by neo4j-local/neo4j-local.sh on every start -- edits are overwritten.
server.directories.data=$DATA_DIR
server.directories.logs=$LOGS_DIR
server.directories.plugins=$PLUGINS_DIR
server.directories.run=$RUN_DIR
server.directories.import=$NEO4J_HOME_DIR/import

server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$PORT
server.bolt.advertised_address=127.0.0.1:$PORT
server.bolt.tls_level=DISABLED
server.http.enabled=$http_enabled
server.http.listen_address=127.0.0.1:$http_port
server.https.enabled=false

dbms.security.auth_enabled=true
dbms.security.procedures.unrestricted=gds.*,apoc.*

server.memory.pagecache.size=$PAGECACHE
db.tx_log.rotation.retention_policy=1 days
dbms.usage_report.enabled=false
EOF
    # APOC reads conf/apoc.conf; keep file export/import off (defaults) but make the file exist.
    [[ -f "$CONF_DIR/apoc.conf" ]] || echo "# apoc settings (see APOC docs), e.g. apoc.export.file.enabled=true" > "$CONF_DIR/apoc.conf"
}

cmd_start() {
    need_tools
    if is_running; then
        echo "neo4j-local: already running (pid $(cat "$PID_FILE")) at bolt://127.0.0.1:$PORT"
        return 0
    fi
    [[ ${#PASSWORD} -ge 8 ]] || die "GRAPHRISK_NEO4J_PASSWORD must be at least 8 characters"
    make_private_dirs
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        die "port $PORT on 127.0.0.1 is already in use (set GRAPHRISK_NEO4J_PORT)"
    fi
    local t0=$SECONDS
    resolve_classpath
    layout_plugins
    write_conf

    # JVM options of the stock Neo4j 5.26 server (minus AlwaysPreTouch, which slows start-up).
    local argfile="$LIB_DIR/jvm.args"
    cat > "$argfile" <<EOF
-Xms$HEAP
-Xmx$HEAP
-XX:+UseG1GC
-XX:-OmitStackTraceInFastThrow
-XX:+UnlockExperimentalVMOptions
-XX:+TrustFinalNonStaticFields
-XX:+DisableExplicitGC
-XX:+ExitOnOutOfMemoryError
-Djdk.nio.maxCachedBufferSize=1024
-Dio.netty.tryReflectionSetAccessible=true
-Djdk.tls.ephemeralDHKeySize=2048
-Dlog4j2.disable.jmx=true
-Dfile.encoding=UTF-8
--add-opens=java.base/java.nio=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
-cp
"$(cat "$CP_FILE")"
EOF
    : > "$OUT_FILE"
    # setsid: the server survives the calling shell; stdin closed; output to logs/console.log.
    # umask 077: what the server writes (store files, logs) is owner-only. The subshell execs,
    # so $! is the server's pid.
    (umask 077; GRAPHRISK_NEO4J_PASSWORD="$PASSWORD" exec setsid nohup java "@$argfile" \
        "$LAUNCHER" "--home-dir=$NEO4J_HOME_DIR" "--config-dir=$CONF_DIR" \
        </dev/null >>"$OUT_FILE" 2>&1) &
    local pid=$!
    echo "$pid" > "$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT))
    while (( SECONDS < deadline )); do
        if grep -q '^READY bolt://' "$OUT_FILE" 2>/dev/null; then
            echo "neo4j-local: started (pid $pid) in $((SECONDS - t0)) s; logs in $LOGS_DIR"
            grep -m1 '^READY bolt://' "$OUT_FILE" | sed 's/^READY //'
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            tail -n 40 "$OUT_FILE" >&2
            die "server exited during start-up (see $OUT_FILE and $LOGS_DIR/neo4j.log)"
        fi
        sleep 0.5
    done
    tail -n 40 "$OUT_FILE" >&2
    say "not ready after ${START_TIMEOUT} s; stopping it"
    cmd_stop >&2 || true
    exit 1
}

cmd_stop() {
    if ! is_running; then
        rm -f "$PID_FILE"
        echo "neo4j-local: not running"
        return 0
    fi
    local pid
    pid="$(cat "$PID_FILE")"
    kill -TERM "$pid"
    local i
    for i in $(seq 1 120); do   # up to 60 s for a clean shutdown
        kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; echo "neo4j-local: stopped"; return 0; }
        sleep 0.5
    done
    say "no clean shutdown after 60 s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    echo "neo4j-local: killed"
}

cmd_status() {
    if is_running; then
        local pid rss
        pid="$(cat "$PID_FILE")"
        rss="$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$pid/status" 2>/dev/null || echo '?')"
        local uri
        uri="$(grep -m1 '^READY bolt://' "$OUT_FILE" 2>/dev/null | sed 's/^READY //' || true)"
        echo "neo4j-local: running (pid $pid, RSS $rss) ${uri:-starting...}"
        return 0
    fi
    echo "neo4j-local: not running"
    return 3
}

# Offline bulk import with Neo4j's own importer: org.neo4j.cli.AdminTool is `neo4j-admin`, and
# the neo4j-import-tool jar (already on the server's classpath) registers its `database import`
# command with it. Into the default database "neo4j", replacing its store files
# (--overwrite-destination); the next start serves what was imported. The server must be stopped
# (the importer writes the store files directly).
cmd_import() {
    need_tools
    if is_running; then
        die "the server runs (pid $(cat "$PID_FILE")); stop it before an offline import"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        die "port $PORT on 127.0.0.1 is in use by a server this script did not start; stop it first"
    fi
    make_private_dirs
    resolve_classpath
    write_conf
    local t0=$SECONDS rc=0
    say "importing into database neo4j under $DATA_DIR (neo4j-admin database import full)"
    (umask 077; NEO4J_HOME="$NEO4J_HOME_DIR" NEO4J_CONF="$CONF_DIR" exec java -Xmx"$HEAP" \
        -XX:+UseG1GC -Dfile.encoding=UTF-8 -cp "$(cat "$CP_FILE")" org.neo4j.cli.AdminTool \
        database import full neo4j --overwrite-destination=true \
        --max-off-heap-memory="$IMPORT_MEMORY" "$@") || rc=$?
    (( rc == 0 )) || die "neo4j-admin database import failed (exit $rc)"
    say "imported in $((SECONDS - t0)) s"
}

case "${1:-}" in
    start) cmd_start ;;
    import) shift; cmd_import "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_stop; cmd_start ;;
    *) echo "usage: $0 start|stop|status|restart|import IMPORTER-OPTIONS..." >&2; exit 2 ;;
esac
