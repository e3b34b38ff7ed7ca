#!/usr/bin/env bash
# bench/otlp.sh - OTLP receiving: one batch of 100 Claude Code tool_result
# log records as OTLP/JSON, protobuf and protobuf+gzip (`make bench` runs it
# too; see bench/README.md).
#
#   1. decoding in-process (bench/bench_otlp.c): MB/s and requests/s of
#      otlp_decode alone, and of decode + map to operations;
#   2. over HTTP (h2load --h1, keep-alive) to POST /v1/logs, and over gRPC
#      (h2load, HTTP/2, 4 connections of 4 streams) to LogsService/Export, against `toolprof serve
#      --otlp-grpc` on a fresh data directory: requests/s and MB/s as sent.
#      The same batch is posted again and again, so after the first request
#      the store only finds its 100 calls already there; every request must
#      be counted ok by the server's own /metrics counter.
#
# Target: protobuf at least 2x the JSON throughput in the same run.
# Environment: BENCH_OTLP_REQUESTS (per form, default 3000), BENCH_OTLP_SECS
# (in-process time per form, default 2). Needs h2load (Debian:
# nghttp2-client), curl, gcc. Prints a markdown table, also written to
# build/bench-otlp.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${BENCH_OTLP_REQUESTS:-3000}
SECS=${BENCH_OTLP_SECS:-2}
OUT=build/bench-otlp.md
for t in h2load curl gcc; do
    command -v "$t" >/dev/null || { echo "bench/otlp.sh: $t is missing (h2load: apt-get install nghttp2-client)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-bench-otlp.XXXXXX")
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

make --no-print-directory -s build/toolprof build/libtoolprof.a
cp build/toolprof build/libtoolprof.a "$WORK/"
# shellcheck disable=SC2046
gcc $(make -s print-cflags) -o "$WORK/bench_otlp" bench/bench_otlp.c "$WORK/libtoolprof.a" $(make -s print-ldlibs)
"$WORK/bench_otlp" write "$WORK" 100
echo "== decoding in-process (${SECS} s per form)"
"$WORK/bench_otlp" decode "$WORK" "$SECS" | tee "$WORK/decode.out"

"$WORK/toolprof" --data-dir "$WORK/data" serve --listen 127.0.0.1:0 --otlp-grpc 127.0.0.1:0 --no-watch >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    HP=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$WORK/serve.log")
    [ -n "$HP" ] && break
    sleep 0.05
done
GP=$(sed -n 's|^otlp-grpc on 127.0.0.1:\([0-9]*\)$|\1|p' "$WORK/serve.log")
[ -n "$HP" ] && [ -n "$GP" ] || { echo "server did not start:"; cat "$WORK/serve.log"; exit 1; }
ok_count() {
    curl -s "http://127.0.0.1:$HP/metrics" |
        sed -n 's/^toolprof_otlp_requests_total{signal="logs",result="ok"} \([0-9]*\)$/\1/p'
}

# run NAME FILE TRANSPORT [headers...]: h2load, then the server's count
declare -A RPS MBS
run() {
    local name=$1 file=$2 transport=$3
    shift 3
    local args=(-n "$N" -d "$file")
    for h in "$@"; do args+=(-H "$h"); done
    local url
    if [ "$transport" = http ]; then
        args+=(--h1 -c 4)
        url="http://127.0.0.1:$HP/v1/logs"
    else
        args+=(-c 4 -m 4)
        url="http://127.0.0.1:$GP/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    fi
    local before after
    before=$(ok_count)
    h2load "${args[@]}" "$url" >"$WORK/h2load.out" 2>&1 || true
    after=$(ok_count)
    local rps ok2
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s, .*/\1/p' "$WORK/h2load.out")
    ok2=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$WORK/h2load.out")
    if [ "$((after - before))" -ne "$N" ] || [ "${ok2:-0}" -ne "$N" ]; then
        echo "$name over $transport: $((after - before)) of $N requests ok on the server, ${ok2:-0} 2xx:"
        cat "$WORK/h2load.out"
        exit 1
    fi
    local bytes
    bytes=$(stat -c %s "$file")
    RPS[$name/$transport]=$(printf '%.0f' "$rps")
    MBS[$name/$transport]=$(awk -v r="$rps" -v b="$bytes" 'BEGIN { printf "%.1f", r * b / 1e6 }')
    printf '%-14s %-5s %6d bytes: %8s req/s, %6s MB/s (%d of %d ok)\n' "$name" "$transport" "$bytes" \
        "${RPS[$name/$transport]}" "${MBS[$name/$transport]}" "$((after - before))" "$N"
}

echo "== over the wire: $N requests per form"
run json "$WORK/logs.json" http 'content-type: application/json'
run protobuf "$WORK/logs.pb" http 'content-type: application/x-protobuf'
run protobuf+gzip "$WORK/logs.pb.gz" http 'content-type: application/x-protobuf' 'content-encoding: gzip'
run protobuf "$WORK/logs.grpc" grpc 'content-type: application/grpc' 'te: trailers'
run protobuf+gzip "$WORK/logs.grpc.gz" grpc 'content-type: application/grpc' 'te: trailers' 'grpc-encoding: gzip'
STORED=$("$WORK/toolprof" --data-dir "$WORK/data" stats --window all --json | grep -o '"total_operations":[0-9]*' | cut -d: -f2)

read -r _ JB JMB JRPS _ JMMB JMRPS < <(grep '^json ' "$WORK/decode.out")
read -r _ PB PMB PRPS _ PMMB PMRPS < <(grep '^protobuf ' "$WORK/decode.out")
read -r _ GB GMB GRPS _ GMMB GMRPS < <(grep '^protobuf+gzip ' "$WORK/decode.out")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
verdict() { awk -v r="$1" 'BEGIN { if (r >= 2) print "met"; else print "missed" }'; }
{
    echo "# OTLP receiving: 100 tool_result log records per request"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); toolprof $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Bodies: JSON $JB bytes, protobuf $PB, protobuf+gzip $GB. MB/s counts the bytes as sent."
    echo
    echo "| where | form | MB/s | requests/s | protobuf vs JSON (requests/s) |"
    echo "|---|---|---|---|---|"
    echo "| decode, in-process | JSON | $JMB | $JRPS | - |"
    echo "| decode, in-process | protobuf | $PMB | $PRPS | $(ratio "$PRPS" "$JRPS")x ($(verdict "$(ratio "$PRPS" "$JRPS")") >= 2x) |"
    echo "| decode, in-process | protobuf+gzip | $GMB | $GRPS | $(ratio "$GRPS" "$JRPS")x |"
    echo "| decode + map, in-process | JSON | $JMMB | $JMRPS | - |"
    echo "| decode + map, in-process | protobuf | $PMMB | $PMRPS | $(ratio "$PMRPS" "$JMRPS")x |"
    echo "| decode + map, in-process | protobuf+gzip | $GMMB | $GMRPS | $(ratio "$GMRPS" "$JMRPS")x |"
    echo "| HTTP POST /v1/logs | JSON | ${MBS[json/http]} | ${RPS[json/http]} | - |"
    echo "| HTTP POST /v1/logs | protobuf | ${MBS[protobuf/http]} | ${RPS[protobuf/http]} | $(ratio "${RPS[protobuf/http]}" "${RPS[json/http]}")x ($(verdict "$(ratio "${RPS[protobuf/http]}" "${RPS[json/http]}")") >= 2x) |"
    echo "| HTTP POST /v1/logs | protobuf+gzip | ${MBS[protobuf+gzip/http]} | ${RPS[protobuf+gzip/http]} | $(ratio "${RPS[protobuf+gzip/http]}" "${RPS[json/http]}")x |"
    echo "| gRPC LogsService/Export | protobuf | ${MBS[protobuf/grpc]} | ${RPS[protobuf/grpc]} | $(ratio "${RPS[protobuf/grpc]}" "${RPS[json/http]}")x |"
    echo "| gRPC LogsService/Export | protobuf+gzip | ${MBS[protobuf+gzip/grpc]} | ${RPS[protobuf+gzip/grpc]} | $(ratio "${RPS[protobuf+gzip/grpc]}" "${RPS[json/http]}")x |"
    echo
    echo "Calls stored after all the requests: $STORED (expected 100: the same batch each time)."
} >"$OUT"
echo
cat "$OUT"
[ "$STORED" = 100 ]
