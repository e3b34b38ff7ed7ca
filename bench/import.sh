#!/usr/bin/env bash
# bench/import.sh - import speed: Claude Code transcripts (MB/s), a jsonl
# export and the daily files of the same operations (operations/s).
#
#   bench/import.sh                                   1 GB of transcripts, 1M operations
#   IMPORT_MB=100 IMPORT_OPS=100000 bench/import.sh   a short run
#   BENCH_BASELINE=/path/to/older/toolprof bench/import.sh
#
# Transcripts: the ones of tests/data (tests/data/MANIFEST.md: the recorded
# session and its sub-agent, the hand-made 1.0.98 and 2.1.39 layouts)
# copied until the tree holds IMPORT_MB megabytes, each copy with its own
# tool_use ids (the two characters after "toolu_01" rewritten, other
# "toolu_" ids prefixed) and sessions (the first four characters of each
# sessionId), then `toolprof import --json` into a fresh store: the calls
# stored must be the copies times those of one copy. Then the same import
# again (nothing changed). Operations: `toolprof demo --ops IMPORT_OPS`
# (365 days) exported as one jsonl file and as daily files (seed-json),
# each imported into a fresh store: every operation must be stored. The
# files are read once before (page cache warm: this is CPU, not disk).
#
# Each import runs IMPORT_RUNS times (default 3); the median counts. With
# BENCH_BASELINE (another toolprof binary, say main's), each run times it
# too, right after, on the same files: the A/B figure of one run on a
# shared machine, where runs minutes apart differ by more than the change.
#
# With IMPORT_CALLGRIND=1 (and valgrind), each binary also imports a slice
# under `valgrind --tool=callgrind`: 40 copies of the transcripts (23 MB),
# the first 100,000 lines of the jsonl export, the first daily files up to
# 100,000 operations; instructions per MB and per operation do not depend
# on what else the machine runs, unlike every time above.
#
# Environment: IMPORT_MB, IMPORT_OPS, IMPORT_RUNS, IMPORT_CALLGRIND, BENCH_BASELINE,
# BENCH_WORK (scratch, default build/bench/work), TOOLPROF_BIN (default
# build/toolprof), IMPORT_ROWS (append the summary rows to this file, as
# run.sh's table wants them). Needs python3, awk, /usr/bin/time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MB=${IMPORT_MB:-1024}
OPS=${IMPORT_OPS:-1000000}
RUNS=${IMPORT_RUNS:-3}
WORK=${BENCH_WORK:-$ROOT/build/bench/work}/import
TP=${TOOLPROF_BIN:-$ROOT/build/toolprof}
BASE=${BENCH_BASELINE:-}
ROWS=${IMPORT_ROWS:-}
[ -x "$TP" ] || { echo "import.sh: no $TP (make first)"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
# Copies: a rebuild while this runs changes nothing.
cp "$TP" "$WORK/toolprof"
TP=$WORK/toolprof
BINS=("$TP")
if [ -n "$BASE" ]; then
    [ -x "$BASE" ] || { echo "import.sh: BENCH_BASELINE $BASE is not a program"; exit 1; }
    cp "$BASE" "$WORK/baseline"
    BINS+=("$WORK/baseline")
fi

now_ns() { date +%s%N; }
json_num() { grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                              else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt_n() {
    awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); o = "";
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        print s o }'
}
verdict() {
    awk -v v="$1" -v t="$2" 'BEGIN { if (v >= t) print "met"; else printf "missed (%.0f%% short)\n", (1 - v / t) * 100 }'
}
label() { [ "$1" = "$TP" ] && echo "this build" || echo "baseline"; }
CALLGRIND=${IMPORT_CALLGRIND:-0}
if [ "$CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
    echo "import.sh: IMPORT_CALLGRIND=1 needs valgrind"
    exit 1
fi
# instructions BIN SRC: the instructions of an import of SRC into a fresh
# store, and what it read (bytes and operations inserted), "IR BYTES OPS".
instructions() {
    rm -rf "$WORK/cg-store"
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$1" --data-dir "$WORK/cg-store" \
        import --quiet --json "$2" >"$WORK/cg.json" 2>/dev/null
    echo "$(awk '/^totals:/ { print $2 }' "$WORK/cg.out") $(json_num bytes <"$WORK/cg.json") $(json_num inserted <"$WORK/cg.json")"
}
CG_ROWS=()
SUMMARY=()
row() { SUMMARY+=("| ingest | $1 | $2 | $3 | $4 |"); }

# timed_import BIN STORE PATH OUT: import into a fresh store; prints the
# wall seconds and the CPU seconds (user + system) of the process.
timed_import() {
    rm -rf "$2"
    local t
    t=$(now_ns)
    /usr/bin/time -f '%U %S' -o "$WORK/cpu" "$1" --data-dir "$2" import --quiet --json "$3" >"$4"
    awk -v a="$t" -v b="$(now_ns)" -v c="$(awk '{ print $1 + $2 }' "$WORK/cpu")" \
        'BEGIN { printf "%.3f %.3f\n", (b - a) / 1e9, c }'
}

# ---- transcripts -----------------------------------------------------------

mapfile -t FILES < <(find "$ROOT/tests/data/recorded/claude" "$ROOT/tests/data/legacy" -path '*/projects/*' \
    -name '*.jsonl' 2>/dev/null | sort)
if [ ${#FILES[@]} -lt 6 ]; then echo "import.sh: the transcripts of tests/data are missing (${#FILES[@]} found)"; exit 1; fi
SET_BYTES=$(cat "${FILES[@]}" | wc -c)
COPIES=$(((MB * 1048576 + SET_BYTES - 1) / SET_BYTES))
CORPUS=$WORK/corpus/projects
t=$(now_ns)
python3 - "$COPIES" "$CORPUS" "${FILES[@]}" <<'EOF'
import os, re, sys
n, tree, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
src = [(os.path.basename(f), open(f, encoding="utf-8").read()) for f in files]
for k in range(n):
    xy, hx = B62[k // 62 % 62] + B62[k % 62], "%04x" % k
    d = os.path.join(tree, "-home-dev-bench-" + hx)
    os.makedirs(d, exist_ok=True)
    for name, text in src:
        text = re.sub(r"toolu_01[A-Za-z0-9]{2}", "toolu_01" + xy, text)
        text = re.sub(r"toolu_([a-z1])", "toolu_" + xy + r"\1", text)
        text = re.sub(r'"sessionId":"....', '"sessionId":"' + hx, text)
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
EOF
CORPUS_BYTES=$(du -sb "$CORPUS" | cut -f1)
echo "transcripts: $COPIES copies of ${#FILES[@]} files ($SET_BYTES bytes), $CORPUS_BYTES bytes, built in $(awk -v a="$t" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
cat "$CORPUS"/*/* >/dev/null
EXPECT=$(($("$TP" --data-dir "$WORK/one" import --quiet --json "${FILES[@]}" | json_num inserted) * COPIES))
declare -A MBS CPUMBS
for r in $(seq "$RUNS"); do
    for b in "${BINS[@]}"; do
        read -r s c <<<"$(timed_import "$b" "$WORK/store" "$CORPUS" "$WORK/imp.json")"
        bytes=$(json_num bytes <"$WORK/imp.json")
        stored=$(json_num inserted <"$WORK/imp.json")
        [ "$stored" = "$EXPECT" ] || { echo "import.sh: $(label "$b") stored $stored calls, expected $EXPECT"; exit 1; }
        MBS[$b]+="$(awk -v x="$bytes" -v s="$s" 'BEGIN { printf "%.1f", x / 1048576 / s }') "
        CPUMBS[$b]+="$(awk -v x="$bytes" -v s="$c" 'BEGIN { printf "%.1f", x / 1048576 / s }') "
        echo "  run $r, $(label "$b"): $s s ($c s CPU), $(awk -v x="$bytes" -v s="$s" 'BEGIN { printf "%.0f", x / 1048576 / s }') MB/s, $stored calls"
    done
done
# Again, nothing changed (this build's store of the last run is gone when
# a baseline ran after it: import once more).
"$TP" --data-dir "$WORK/store" import --quiet --json "$CORPUS" >/dev/null
t=$(now_ns)
"$TP" --data-dir "$WORK/store" import --quiet --json "$CORPUS" >"$WORK/imp2.json"
AGAIN=$(awk -v a="$t" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
[ "$(json_num inserted <"$WORK/imp2.json")" = 0 ] || { echo "import.sh: the second import stored calls"; exit 1; }
T_MB=$(printf '%s\n' ${MBS[$TP]} | median)
T_CPU=$(printf '%s\n' ${CPUMBS[$TP]} | median)
T_VAL="$(fmt_n "$T_MB") MB/s ($(fmt_n "$T_CPU") MB/s of CPU time)"
if [ -n "$BASE" ]; then
    B_MB=$(printf '%s\n' ${MBS[$WORK/baseline]} | median)
    B_CPU=$(printf '%s\n' ${CPUMBS[$WORK/baseline]} | median)
    T_VAL="$T_VAL; baseline $(fmt_n "$B_MB") ($(fmt_n "$B_CPU")): x$(awk -v a="$T_MB" -v b="$B_MB" 'BEGIN { printf "%.2f", a / b }')"
fi
echo "transcripts: median $T_VAL; again, nothing changed: $AGAIN ms"
row "transcript import, $((CORPUS_BYTES / 1048576)) MB (page cache warm), median of $RUNS" "$T_VAL" ">= 600 MB/s" "$(verdict "$T_MB" 600)"
row "transcript import: calls stored / expected" "$EXPECT / $EXPECT" "equal" "met"
row "transcript import again, nothing changed" "$AGAIN ms" "near instant" "-"
if [ "$CALLGRIND" = 1 ]; then
    mkdir -p "$WORK/slice/projects"
    # (No `| head` under pipefail: the writer it stops would fail the script.)
    mapfile -t DIRS < <(find "$CORPUS" -mindepth 1 -maxdepth 1 -type d | sort)
    cp -r "${DIRS[@]:0:40}" "$WORK/slice/projects/"
    v=""
    for b in "${BINS[@]}"; do
        read -r ir bytes stored <<<"$(instructions "$b" "$WORK/slice/projects")"
        per=$(awk -v i="$ir" -v x="$bytes" 'BEGIN { printf "%.2f", i / (x / 1048576) / 1e6 }')
        echo "  callgrind, $(label "$b"): $(fmt_n "$ir") instructions for $bytes bytes, $stored calls: ${per}M per MB"
        v="$v${v:+; }$(label "$b") ${per}M"
    done
    CG_ROWS+=("| ingest | transcript import, instructions per MB (callgrind, 40 copies, 23 MB) | $v | - | - |")
    rm -rf "$WORK/slice"
fi
rm -rf "$WORK/corpus" "$WORK/one"

# ---- a jsonl export and daily files -------------------------------------------

t=$(now_ns)
"$TP" demo --ops "$OPS" --days 365 --seed 7 --quiet --data-dir "$WORK/demo"
"$TP" --data-dir "$WORK/demo" export --format jsonl --out "$WORK/ops.jsonl" >/dev/null
mkdir -p "$WORK/days"
"$TP" --data-dir "$WORK/demo" export --format seed-json --out "$WORK/days/" >/dev/null
rm -rf "$WORK/demo"
echo "operations: $OPS in $(du -sm "$WORK/ops.jsonl" | cut -f1) MB of jsonl and $(find "$WORK/days" -type f | wc -l) daily files ($(du -sm "$WORK/days" | cut -f1) MB), made in $(awk -v a="$t" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
cat "$WORK/ops.jsonl" "$WORK/days"/* >/dev/null
for kind in jsonl days; do
    src=$WORK/ops.jsonl
    [ "$kind" = days ] && src=$WORK/days
    declare -A RATE=() CRATE=()
    for r in $(seq "$RUNS"); do
        for b in "${BINS[@]}"; do
            read -r s c <<<"$(timed_import "$b" "$WORK/store" "$src" "$WORK/imp.json")"
            stored=$(json_num inserted <"$WORK/imp.json")
            [ "$stored" = "$OPS" ] || { echo "import.sh: $(label "$b") stored $stored of $OPS operations ($kind)"; exit 1; }
            RATE[$b]+="$(awk -v n="$OPS" -v s="$s" 'BEGIN { printf "%.0f", n / s }') "
            CRATE[$b]+="$(awk -v n="$OPS" -v s="$c" 'BEGIN { printf "%.0f", n / s }') "
            echo "  $kind run $r, $(label "$b"): $s s ($c s CPU), $(awk -v n="$OPS" -v s="$s" 'BEGIN { printf "%.0f", n / s }') operations/s"
        done
    done
    O_R=$(printf '%s\n' ${RATE[$TP]} | median)
    O_C=$(printf '%s\n' ${CRATE[$TP]} | median)
    O_VAL="$(fmt_n "$O_R") ops/s ($(fmt_n "$O_C") ops/s of CPU time)"
    if [ -n "$BASE" ]; then
        B_R=$(printf '%s\n' ${RATE[$WORK/baseline]} | median)
        B_C=$(printf '%s\n' ${CRATE[$WORK/baseline]} | median)
        O_VAL="$O_VAL; baseline $(fmt_n "$B_R") ($(fmt_n "$B_C")): x$(awk -v a="$O_R" -v b="$B_R" 'BEGIN { printf "%.2f", a / b }')"
    fi
    what=$([ "$kind" = jsonl ] && echo "a jsonl export" || echo "daily files (seed-json)")
    if [ "$CALLGRIND" = 1 ]; then
        rm -rf "$WORK/slice"
        mkdir -p "$WORK/slice"
        if [ "$kind" = jsonl ]; then
            awk 'NR <= 100000' "$WORK/ops.jsonl" >"$WORK/slice/ops.jsonl"
        else
            n=0
            mapfile -t DAYS < <(find "$WORK/days" -type f | sort)
            for f in "${DAYS[@]}"; do
                [ "$n" -lt 100000 ] || break
                cp "$f" "$WORK/slice/"
                n=$((n + $(grep -o '"tool":' "$f" | wc -l)))
            done
        fi
        v=""
        for b in "${BINS[@]}"; do
            read -r ir _ stored <<<"$(instructions "$b" "$WORK/slice")"
            per=$(awk -v i="$ir" -v n="$stored" 'BEGIN { printf "%.1f", i / n / 1e3 }')
            echo "  callgrind, $(label "$b"): $(fmt_n "$ir") instructions for $stored operations: ${per}k per operation"
            v="$v${v:+; }$(label "$b") ${per}k"
        done
        CG_ROWS+=("| ingest | import of $what, instructions per operation (callgrind, $(fmt_n "$stored") operations) | $v | - | - |")
        rm -rf "$WORK/slice"
    fi
    echo "$what: median $O_VAL"
    row "import of $what, $(fmt_n "$OPS") operations, median of $RUNS" "$O_VAL" ">= 400,000 ops/s" "$(verdict "$O_R" 400000)"
done
rm -rf "$WORK/store" "$WORK/ops.jsonl" "$WORK/days"

SUMMARY+=("${CG_ROWS[@]}")
printf '%s\n' "${SUMMARY[@]}"
if [ -n "$ROWS" ]; then printf '%s\n' "${SUMMARY[@]}" >>"$ROWS"; fi
