#!/usr/bin/env python3
# seeds_from_data.py - the fuzz seeds taken from tests/data (transcripts,
# hook payloads, OTLP bodies), so that the corpora start from what Claude
# Code really writes. Run it after a new recording (make fixtures) and
# commit the result; the synthetic seeds next to these are written by hand
# and left alone. Every seed is under 20 KB.
#
#   python3 tests/fuzz/seeds_from_data.py
#
# transcript/  runs of consecutive lines holding at least one tool_use and
#              one tool_result, cut before a line that would pass 16 KB
# hook/        one PostToolUse payload per tool, the failures, a PreToolUse,
#              a PermissionRequest and a sub-agent's payload (recorded); a
#              payload of each kind of the hand-made older logs
# otlp/        the smaller recorded log bodies that hold a tool_result, and
#              the hand-made older export
import glob
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
RUN_MAX = 16 * 1024
SEED_MAX = 20 * 1024
PREFIXES = ("rec_", "old_")


def write(kind, name, data):
    if len(data) >= SEED_MAX:
        raise SystemExit("seed %s/%s is %d bytes" % (kind, name, len(data)))
    with open(os.path.join(CORPUS, kind, name), "wb") as f:
        f.write(data)


def clear(kind):
    for f in os.listdir(os.path.join(CORPUS, kind)):
        if f.startswith(PREFIXES):
            os.remove(os.path.join(CORPUS, kind, f))


def transcript_runs(path, limit):
    lines = open(path, "rb").read().split(b"\n")[:-1]
    runs, cur = [], []

    def flush():
        text = b"".join(x + b"\n" for x in cur)
        if b'"type":"tool_use"' in text and b'"type":"tool_result"' in text:
            runs.append(text)

    for line in lines:
        if len(line) + 1 > RUN_MAX or sum(len(x) + 1 for x in cur) + len(line) + 1 > RUN_MAX:
            flush()
            cur = []
            if len(line) + 1 > RUN_MAX:
                continue
        cur.append(line)
    flush()
    return runs[:limit]


def transcripts():
    clear("transcript")
    rec = os.path.join(DATA, "recorded", "claude", "projects")
    old = os.path.join(DATA, "legacy")
    sets = [
        ("rec_session", sorted(glob.glob(os.path.join(rec, "*", "*.jsonl"))), 6),
        ("rec_subagent", sorted(glob.glob(os.path.join(rec, "*", "*", "subagents", "*.jsonl"))), 2),
        ("old_v1", sorted(glob.glob(os.path.join(old, "claude-1.0", "projects", "*", "*.jsonl"))), 3),
        ("old_v2", sorted(glob.glob(os.path.join(old, "claude-2.1", "projects", "*", "*.jsonl"))), 3),
        ("old_v2_subagent", sorted(glob.glob(os.path.join(old, "claude-2.1", "projects", "*", "*", "subagents", "agent-a1*.jsonl"))), 1),
    ]
    for name, files, limit in sets:
        for f in files:
            for i, run in enumerate(transcript_runs(f, limit), 1):
                write("transcript", "%s_%d" % (name, i), run)


def hooks():
    clear("hook")
    seen = set()
    for line in open(os.path.join(DATA, "recorded", "hooks.jsonl"), "rb"):
        p = json.loads(line)
        ev, tool = p["hook_event_name"], p.get("tool_name", "")
        key = (ev, tool) if ev == "PostToolUse" else (ev,)
        if p.get("agent_id"):
            key = ("agent",)
        if key in seen:
            continue
        seen.add(key)
        write("hook", "rec_" + "_".join(k.lower() for k in key), line.rstrip(b"\n"))
    for name in ("post_tool_use.json", "post_tool_use_failure.json"):
        arr = json.load(open(os.path.join(DATA, "legacy", "hooks", name), encoding="utf-8"))
        kinds = set()
        for x in arr:
            inner = x.get("raw_input", x)
            k = inner["tool_name"] + ("_wrapped" if "raw_input" in x else "")
            if k in kinds:
                continue
            kinds.add(k)
            write("hook", "old_" + k.lower(), json.dumps(x, separators=(",", ":")).encode())


def otlp():
    clear("otlp")
    rec = os.path.join(DATA, "recorded", "otlp")
    for e in json.load(open(os.path.join(rec, "index.json"), encoding="utf-8")):
        body = open(os.path.join(rec, e["file"]), "rb").read()
        if e["path"] == "/v1/logs" and e["file"].endswith(".json") and b'"tool_result"' in body \
                and len(body) < SEED_MAX:
            write("otlp", "rec_" + e["file"].replace(".json", "").replace("-", "_"), body)
    write("otlp", "old_export_2_1_138", open(os.path.join(DATA, "legacy", "otlp", "logs-2.1.138.json"), "rb").read())


if __name__ == "__main__":
    transcripts()
    hooks()
    otlp()
