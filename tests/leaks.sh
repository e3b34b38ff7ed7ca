#!/usr/bin/env bash
# tests/leaks.sh - valgrind over a server start-serve-stop cycle and a few
# commands: no leak ("definitely lost" and "indirectly lost" 0) and no
# memory error; every request to the server gets the status it should.
# Last line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
bin=${TOOLPROF_BIN:-build/toolprof}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-leaks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
vg=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3
    --show-leak-kinds=definite,indirect)

check() { # name, log, rc
  if [ "$3" -eq 0 ] && grep -q "ERROR SUMMARY: 0 errors" "$2"; then
    echo "ok - $1"; pass=$((pass + 1))
  else
    echo "not ok - $1 (exit $3)"; grep -E "lost|ERROR SUMMARY|Invalid|uninitialised" "$2" | head -20
    fail=$((fail + 1))
  fi
}

command -v valgrind >/dev/null || { echo "not ok - valgrind is not installed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# Every request to the server must get the status $expect (200 unless set
# for the call): `expect=404 curl ...`.
answers=0 wrong=()
curl() {
  local got
  got=$(command curl -w '%{http_code}' "$@")
  answers=$((answers + 1))
  [ "$got" = "${expect:-200}" ] || wrong+=("${*: -1} answered $got, expected ${expect:-200}")
}

# The server: start, serve a mix of requests, SIGTERM.
d=$tmp/srv
HOME=$tmp "${vg[@]}" --log-file="$tmp/serve.vg" "$bin" --data-dir "$d" serve \
  --listen 127.0.0.1:0 --no-watch --otlp-grpc 127.0.0.1:0 > "$tmp/serve.out" 2>&1 &
pid=$!
url=
for _ in $(seq 1 200); do
  url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.out" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "not ok - server did not start under valgrind"; cat "$tmp/serve.out"; fail=$((fail + 1))
  kill "$pid" 2>/dev/null
else
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data '[{"tool":"Read","target":"a.py","duration_ms":150.5},{"tool":"Bash","target":"npm test","duration_ms":5500}]' \
    "$url/api/performance/operations"
  for p in /api/performance/stats /api/performance/slow-operations /api/performance/bottlenecks \
           /api/performance/hotspots /api/performance/recommendations /api/performance/trends?days=3 \
           /api/performance/resources /api/performance/tools /metrics /healthz /performance-profiling; do
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$url$p"
  done
  expect=400 curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$url/api/performance/stats?window=banana"
  expect=404 curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$url/nope"
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data-binary @tests/data/legacy/otlp/logs-2.1.138.json "$url/v1/logs"
  # OTLP protobuf over HTTP, and gRPC: a good call, a refused one, one cut
  # off mid-message, and a connection left open at SIGTERM.
  for enc in identity gzip; do # (gzip: the body is not, so a 400)
    expect=200; [ "$enc" = gzip ] && expect=400
    expect=$expect curl -s -o /dev/null -X POST -H 'Content-Type: application/x-protobuf' -H "Content-Encoding: $enc" \
      --data-binary @tests/fuzz/corpus/otlp_pb_logs/seed_request "$url/v1/logs"
  done
  gport=$(sed -n 's/^otlp-grpc on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.out")
  node -e '
    const http2 = require("node:http2"), fs = require("node:fs");
    const body = fs.readFileSync("tests/fuzz/corpus/otlp_pb_logs/seed_request");
    const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length >> 8, body.length & 255]), body]);
    const s = http2.connect("http://127.0.0.1:" + process.argv[1]);
    const call = (path, data, end = true) => new Promise((res) => {
      const r = s.request({ ":method": "POST", ":path": path, "content-type": "application/grpc" });
      r.on("data", () => {}); r.on("close", res); r.on("error", res);
      if (end) r.end(data); else { r.write(data); setTimeout(res, 300); }
    });
    const L = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    (async () => {
      await call(L, frame);
      await call("/no.Such/Method", frame);
      await call(L, frame.subarray(0, 20), false);
      process.exit(0);
    })();' "$gport" || echo "grpc client failed"
  kill -TERM "$pid"
  wait "$pid"
  check "serve: start, requests, SIGTERM" "$tmp/serve.vg" $?
  if [ ${#wrong[@]} -eq 0 ] && [ "$answers" -eq 17 ]; then
    echo "ok - serve: the $answers requests answered as they should"; pass=$((pass + 1))
  else
    echo "not ok - serve: ${#wrong[@]} of $answers requests (17 sent) answered wrong"
    printf '  %s\n' "${wrong[@]}"
    fail=$((fail + 1))
  fi
fi

# Commands.
run() { # name, args...
  local name=$1; shift
  HOME=$tmp "${vg[@]}" --log-file="$tmp/cmd.vg" "$bin" --data-dir "$tmp/cli" "$@" > /dev/null 2>&1
  check "$name" "$tmp/cmd.vg" $?
}
run "import fixtures" import tests/data/legacy/claude-1.0/projects/-home-dev-shop/0a1b2c3d-1000-4000-8000-000000000098.jsonl tests/data/legacy/hooks/post_tool_use_failure.json
run "track" track --tool Read --target x.py --duration-ms 12.5
run "stats" stats --window all --json
run "recommend" recommend --window all --json
run "export" export --format jsonl --out "$tmp/out"
echo '{"hook_event_name":"PostToolUse","tool_name":"Read","tool_use_id":"toolu_01AAAAAAAAAAAAAAAAAAAAAA","session_id":"s","cwd":"/p","tool_input":{"file_path":"/p/a"},"tool_response":{"type":"text","file":{"filePath":"/p/a","content":"x","numLines":1,"startLine":1,"totalLines":1}},"duration_ms":4}' > "$tmp/payload.json"
HOME=$tmp "${vg[@]}" --log-file="$tmp/hook.vg" "$bin" --data-dir "$tmp/cli" hook < "$tmp/payload.json" > /dev/null 2>&1
check "hook" "$tmp/hook.vg" $?

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
