#!/usr/bin/env bash
# bench/agents.sh - import speed for each agent's format: a tree of
# AGENTS_MB (default 1024) megabytes built from the recorded sessions in
# tests/data (tests/data/MANIFEST.md), every copy with its own call and
# session ids, then `toolprof import --json` into a fresh store (the files
# in the page cache: this is CPU, not disk). The calls stored must be the
# copies times the calls of one copy.
#
#   bench/agents.sh                          all four formats, 1 GB each
#   AGENTS_MB=100 AGENTS="codex gemini" bench/agents.sh
#
# Formats: claude (transcripts), codex (rollouts: the recorded one and the
# hand-made 0.46 one), gemini (the recorded chat), opencode (an opencode.db
# built from OpenCode's schema and the recorded rows, copied over and over).
# Environment: AGENTS, AGENTS_MB, BENCH_WORK (scratch, default
# build/bench/work), TOOLPROF_BIN (default build/toolprof), AGENTS_ROWS
# (append the summary rows to this file, as run.sh's table wants them:
# "| ingest | FIGURE | VALUE | TARGET | STATUS |"). Needs python3 (its
# sqlite3 module), awk.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
AGENTS=${AGENTS:-claude codex gemini opencode}
MB=${AGENTS_MB:-1024}
WORK=${BENCH_WORK:-$ROOT/build/bench/work}/agents
TP=${TOOLPROF_BIN:-$ROOT/build/toolprof}
ROWS=${AGENTS_ROWS:-}
DATA=$ROOT/tests/data
[ -x "$TP" ] || { echo "agents.sh: no $TP (make first)"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
# A copy: a rebuild while this runs changes nothing.
cp "$TP" "$WORK/toolprof"
TP=$WORK/toolprof

now_ns() { date +%s%N; }
since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
json_num() { grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
SUMMARY=()

# copies BYTES_OF_ONE: how many copies make MB megabytes.
copies() { echo $(((MB * 1048576 + $1 - 1) / $1)); }

# make_tree AGENT COPIES TREE FILE...: the copies, each in TREE/<k>/, with
# its own ids, written by one python process (a sed per copy is too slow
# for a gigabyte of small files). Copy k's forms: xyz (3 base-62
# characters), hex (4 hex digits), k5 (5 decimal digits).
#   claude  toolu_01 + 3 characters rewritten, other toolu_ ids prefixed;
#           the first 4 characters of each sessionId
#   codex   call ids ("call_..." values) prefixed; the session (line 1's id
#           and session_id) its first 4 hex digits; files named rollout-*
#   gemini  ids end "_<13-digit ms>_<n>": the copy's number goes after n,
#           so the clock in the id stays; line 1's sessionId; under chats/
make_tree() {
    python3 - "$@" <<'EOF'
import os, re, sys
agent, n, tree, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
src = [(os.path.basename(f), open(f, encoding="utf-8").read()) for f in files]
for k in range(n):
    xyz = B62[k // 3844 % 62] + B62[k // 62 % 62] + B62[k % 62]
    hx, k5 = "%04x" % (k % 65536), "%05d" % k
    d = os.path.join(tree, k5)
    for name, text in src:
        first, nl, rest = text.partition("\n")
        if agent == "claude":
            text = re.sub(r"toolu_01[A-Za-z0-9]{3}", "toolu_01" + xyz, text)
            text = re.sub(r"toolu_([a-z1])", "toolu_" + xyz + r"\1", text)
            text = re.sub(r'"sessionId":"....', '"sessionId":"' + hx, text)
            out = os.path.join(d, name)
        elif agent == "codex":
            first = re.sub(r'("(session_)?id":")[0-9a-f]{4}', r"\g<1>" + hx, first)
            text = (first + nl + rest).replace('":"call_', '":"call_' + xyz)
            out = os.path.join(d, "rollout-" + k5 + "-" + re.sub(r"^rollout-", "", name))
        else:
            first = re.sub(r'("sessionId":")[0-9a-f]{4}', r"\g<1>" + hx, first)
            text = re.sub(r'(_[0-9]{13}_[0-9]+)"', r"\g<1>" + k5 + '"', first + nl + rest)
            out = os.path.join(d, "chats", name[:-6] + "-" + k5 + ".jsonl")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
EOF
}

# bench_files AGENT TREE_SUBDIR FILE...: build the tree, import it.
bench_files() {
    local agent=$1 sub=$2
    shift 2
    local one n tree t
    one=$(cat "$@" | wc -c)
    n=$(copies "$one")
    tree=$WORK/$agent-tree
    t=$(now_ns)
    make_tree "$agent" "$n" "$tree/$sub" "$@"
    echo "$agent: $n copies of $# files ($one bytes), built in $(since "$t") s"
    import_and_report "$agent" "$tree" "$n" "$@"
}

# import_and_report AGENT PATH COPIES ONE_COPY_PATH...
import_and_report() {
    local agent=$1 path=$2 n=$3 t s bytes ops one mbs
    shift 3
    rm -rf "$WORK/$agent-store" "$WORK/$agent-one"
    t=$(now_ns)
    "$TP" --data-dir "$WORK/$agent-store" import --quiet --json "$path" >"$WORK/$agent.json"
    s=$(since "$t")
    bytes=$(find "$path" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
    ops=$(json_num inserted <"$WORK/$agent.json")
    one=$("$TP" --data-dir "$WORK/$agent-one" import --quiet --json "$@" | json_num inserted)
    mbs=$(awk -v b="$bytes" -v s="$s" 'BEGIN { printf "%.0f", b / 1048576 / s }')
    echo "$agent: $(cat "$WORK/$agent.json")"
    echo "$agent: $s s for $bytes bytes: $mbs MB/s; $ops calls stored (one copy $one x $n = $((one * n)))"
    local status=met
    [ "$ops" = "$((one * n))" ] || status=MISSED
    SUMMARY+=("| ingest | $agent import, $((bytes / 1048576)) MB (page cache warm) | $mbs MB/s | (not a target) | - |")
    SUMMARY+=("| ingest | $agent calls stored / expected | $ops / $((one * n)) | equal | $status |")
    rm -rf "$WORK/$agent-store" "$WORK/$agent-one" "$WORK/$agent-tree"
}

bench_opencode() {
    local one=$WORK/opencode-src/opencode.db db=$WORK/opencode-tree/opencode.db bytes1 n t
    mkdir -p "$(dirname "$one")" "$(dirname "$db")"
    # One copy, then three: what a copy adds (not the first's schema
    # pages) tells how many make MB.
    opencode_db "$one" 3
    bytes1=$(stat -c %s "$one")
    rm -f "$one"
    opencode_db "$one" 1
    bytes1=$(((bytes1 - $(stat -c %s "$one")) / 2))
    n=$(copies "$bytes1")
    t=$(now_ns)
    opencode_db "$db" "$n"
    echo "opencode: opencode.db with $n copies of the recorded session, $(stat -c %s "$db") bytes, built in $(since "$t") s"
    import_and_report opencode "$db" "$n" "$one"
}

# opencode_db PATH COPIES: OpenCode's schema (as its migrations made it) and
# the recorded rows, each copy's ids (and the ids inside the JSON data)
# given the suffix "_k".
opencode_db() {
    python3 - "$DATA/recorded/agents/opencode" "$1" "$2" <<'EOF'
import json, re, sqlite3, sys
src, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = open(f"{src}/schema.sql").read()
rows = json.load(open(f"{src}/rows.json"))
ids = set()
for t in ("project", "session", "message", "part"):
    for r in rows[t]:
        ids.add(r["id"])
        for m in re.finditer(r'"callID":"([^"]+)"', r.get("data") or ""):
            ids.add(m.group(1))
pat = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
db = sqlite3.connect(path)
db.executescript(schema)
db.execute("PRAGMA journal_mode=WAL")
for t in ("project", "session", "message", "part"):
    cols = list(rows[t][0].keys())
    q = f'INSERT INTO "{t}" ({",".join(cols)}) VALUES ({",".join("?" * len(cols))})'
    for k in range(n):
        sub = lambda m: f"{m.group(0)}_{k}"
        db.executemany(q, [[pat.sub(sub, v) if isinstance(v, str) else v for v in (r[c] for c in cols)]
                           for r in rows[t]])
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
EOF
}

for a in $AGENTS; do
    case $a in
    claude)
        mapfile -t F < <(find "$DATA/recorded/claude" "$DATA/legacy" -path '*/projects/*' -name '*.jsonl' | sort)
        bench_files claude projects "${F[@]}" ;;
    codex)
        bench_files codex sessions "$DATA"/recorded/agents/codex/sessions/*/*/*/rollout-*.jsonl \
            "$DATA/agents/codex-0.46.jsonl" ;;
    gemini)
        bench_files gemini tmp "$DATA"/recorded/agents/gemini/tmp/project/chats/session-*.jsonl ;;
    opencode) bench_opencode ;;
    *) echo "agents.sh: no format '$a' (claude codex gemini opencode)"; exit 2 ;;
    esac
done

echo
echo "| area | figure | value | target | status |"
echo "|---|---|---|---|---|"
printf '%s\n' "${SUMMARY[@]}"
if [ -n "$ROWS" ]; then printf '%s\n' "${SUMMARY[@]}" >>"$ROWS"; fi
rm -rf "$WORK"
