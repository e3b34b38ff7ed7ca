#!/usr/bin/env python3
# reference.py - the facts the unit tests assert about tests/data, worked
# out independently of toolprof: Python's json module and the pairing rules
# re-implemented in transcript/pairing_reference.py, never toolprof's code.
# The tests do not run it; the numbers they assert were read from its
# output (and, for the hand-made files, from the stories in
# legacy/make_legacy.py). After `make fixtures` run it again and update the
# tests where it disagrees (MANIFEST.md, "After a new recording").
#
#   python3 tests/data/reference.py [SECTION...]
# Sections: transcripts, waits, timeline, splits, hooks, otlp (default: all).
import collections
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "transcript"))
import pairing_reference  # noqa: E402

REC = os.path.join(HERE, "recorded")


def rel(p):
    return os.path.relpath(p, HERE)


def transcripts():
    groups = [
        ("recorded session", sorted(glob.glob(os.path.join(REC, "claude/projects/*/*.jsonl")))),
        ("recorded sub-agent", sorted(glob.glob(os.path.join(REC, "claude/projects/*/*/subagents/*.jsonl")))),
        ("1.0.98", sorted(glob.glob(os.path.join(HERE, "legacy/claude-1.0/projects/*/*.jsonl")))),
        ("1.0.17", sorted(glob.glob(os.path.join(HERE, "legacy/claude-1.0.17/projects/*/*.jsonl")))),
        ("2.1.39 session", sorted(glob.glob(os.path.join(HERE, "legacy/claude-2.1/projects/*/*.jsonl")))),
        ("2.1.39 sub-agent", sorted(glob.glob(os.path.join(HERE, "legacy/claude-2.1/projects/*/*/subagents/agent-a1*.jsonl")))),
        ("2.1.39 compaction helper", sorted(glob.glob(os.path.join(HERE, "legacy/claude-2.1/projects/*/*/subagents/agent-acompact*.jsonl")))),
    ]
    for name, files in groups:
        for f in files:
            ops = pairing_reference.run([f])
            lines = open(f, encoding="utf-8").read().split("\n")
            nlines = len([x for x in lines if x.strip()])
            side = set()
            sessions, cwds = set(), set()
            for x in lines:
                if not x.strip():
                    continue
                d = json.loads(x)
                if d.get("type") == "assistant" and d.get("isSidechain") is True:
                    for b in (d.get("message") or {}).get("content") or []:
                        if isinstance(b, dict) and b.get("type") == "tool_use":
                            side.add(b["id"])
                if d.get("type") in ("assistant", "user"):
                    sessions.add(d.get("sessionId"))
                    cwds.add(d.get("cwd"))
            tools = collections.Counter(o["tool"] for o in ops)
            print("== %s: %s" % (name, rel(f)))
            print("   %d lines, %d bytes, %d calls, %d failed, %d sidechain; sessions %s; cwd %s"
                  % (nlines, os.path.getsize(f), len(ops), sum(1 for o in ops if not o["ok"]), len(side),
                     sorted(sessions), sorted(cwds)))
            print("   tools: " + ", ".join("%s %d" % kv for kv in sorted(tools.items())))
            for o in ops:
                print("   %s %-12s start %d  %s ms  wall %s  ok %d  bytes %d  %s"
                      % (o["id"], o["tool"], o["ts"], "nan" if o["dur"] is None else repr(float(o["dur"])),
                         o["wall"], o["ok"], o["rb"], o["err"] or ""))


# Tools that never ask the person (docs/time.md); every other tool may.
NEVER_ASK = {"Read", "Glob", "Grep", "LS", "TodoWrite", "Task", "Agent", "NotebookRead", "BashOutput",
             "KillBash", "KillShell", "TaskOutput", "ToolSearch"}


def waits():
    """For the 1.0.17 layout (no turn_duration, no permissionDecision):
    what the time of each call is known as. A call that may have asked and
    ran is unsplit (its wall may hold a wait), a rejected one is all wait,
    one that never asks is all execution; the session spans from its first
    start to its last end."""
    for f in sorted(glob.glob(os.path.join(HERE, "legacy/claude-1.0.17/projects/*/*.jsonl"))):
        ops = pairing_reference.run([f])
        unsplit = [o for o in ops if o["tool"] not in NEVER_ASK and o["err"] != "rejected by user"]
        waited = [o for o in ops if o["err"] == "rejected by user"]
        ran = [o for o in ops if o["tool"] in NEVER_ASK]
        print("== waits in %s" % rel(f))
        print("   unsplit %d calls, %d ms: %s" % (len(unsplit), sum(o["wall"] for o in unsplit),
                                                 " ".join("%s %d" % (o["tool"], o["wall"]) for o in unsplit)))
        print("   waits %d calls, %d ms; execution %d calls, %d ms" % (
            len(waited), sum(o["wall"] for o in waited), len(ran), sum(o["wall"] for o in ran)))
        print("   session from %d to %d" % (min(o["ts"] for o in ops), max(o["ts"] + o["wall"] for o in ops)))


def timeline():
    """Model requests (distinct requestId of the assistant lines, else the
    message id), prompts (string contents of user lines that are not
    meta, sidechain or the compaction's summary) and turns (a prompt within
    0.5 s of the turn's first is the same turn, as the store keeps them: a
    command and its output) of each recorded file."""
    files = sorted(glob.glob(os.path.join(REC, "claude/projects/*/*.jsonl"))) + \
        sorted(glob.glob(os.path.join(REC, "claude/projects/*/*/subagents/*.jsonl")))
    for f in files:
        reqs, prompts, turns, last = set(), 0, 0, None
        for x in open(f, encoding="utf-8"):
            d = json.loads(x)
            if d.get("type") == "assistant":
                reqs.add(d.get("requestId") or (d.get("message") or {}).get("id"))
            c = (d.get("message") or {}).get("content")
            if d.get("type") == "user" and isinstance(c, str) and not d.get("isMeta") and \
                    not d.get("isSidechain") and not d.get("isCompactSummary"):
                prompts += 1
                ms = pairing_reference.ms(d["timestamp"])
                if last is None or ms - last > 500:
                    turns += 1
                    last = ms
        print("== timeline of %s: %d requests, %d prompts, %d turns" % (rel(f), len(reqs), prompts, turns))


# test_importer.c cuts the session file here, inside a line.
CUT_INSIDE = 200000


def done_here(d, uses):
    c = (d.get("message") or {}).get("content")
    return d.get("type") == "user" and isinstance(c, list) and any(
        b.get("type") == "tool_result" and b.get("tool_use_id") in uses for b in c)


def splits():
    """For the recorded session file: after each line, how many calls have
    their result, and where the earliest call still waiting starts (the
    offset an incremental import resumes from)."""
    f = sorted(glob.glob(os.path.join(REC, "claude/projects/*/*.jsonl")))[0]
    data = open(f, "rb").read()
    print("== splits of %s (%d bytes)" % (rel(f), len(data)))
    off, n = 0, 0
    uses, done = {}, set()
    for raw in data.split(b"\n")[:-1]:
        n += 1
        start = off
        off += len(raw) + 1
        d = json.loads(raw)
        c = (d.get("message") or {}).get("content")
        if d.get("type") == "assistant" and isinstance(c, list):
            for b in c:
                if b.get("type") == "tool_use" and b["id"] not in uses:
                    uses[b["id"]] = (start, b["name"])
        if d.get("type") == "user" and isinstance(c, list):
            for b in c:
                if b.get("type") == "tool_result" and b.get("tool_use_id") in uses:
                    done.add(b["tool_use_id"])
        pending = [(o, name) for i, (o, name) in uses.items() if i not in done]
        if start <= CUT_INSIDE < off:
            print("   byte %d is inside line %d (bytes %d..%d); %d calls finished before that line"
                  % (CUT_INSIDE, n, start, off, len(done) - (1 if done_here(d, uses) else 0)))
        if pending:
            print("   after line %d (byte %d): %d finished, waiting: %s (earliest use line at byte %d)"
                  % (n, off, len(done), " ".join(nm for _, nm in pending), min(o for o, _ in pending)))


def hooks():
    f = os.path.join(REC, "hooks.jsonl")
    ps = [json.loads(x) for x in open(f, encoding="utf-8") if x.strip()]
    print("== %s: %d payloads" % (rel(f), len(ps)))
    by = collections.Counter(p["hook_event_name"] for p in ps)
    for ev, k in sorted(by.items()):
        tools = collections.Counter(p.get("tool_name") for p in ps if p["hook_event_name"] == ev)
        print("   %-20s %2d  %s" % (ev, k, ", ".join("%s %d" % kv for kv in sorted(tools.items()))))
    print("   agent payloads: %d (agent_id %s)" % (sum(1 for p in ps if p.get("agent_id")),
                                                 sorted({p["agent_id"] for p in ps if p.get("agent_id")})))
    post = [p for p in ps if p["hook_event_name"].startswith("PostToolUse")]
    print("   PostToolUse*: %d with agent_type; duration_ms sum %d; Read bytes %d; "
          "offset/limit/head_limit/run_in_background true on: %s"
          % (sum(1 for p in post if p.get("agent_type")), sum(p["duration_ms"] for p in post),
             sum(len(p["tool_response"]["file"]["content"].encode()) for p in post
                 if p["tool_name"] == "Read" and isinstance(p.get("tool_response"), dict)),
             " ".join(p["tool_name"] for p in post if any(k in p["tool_input"] for k in ("offset", "limit", "head_limit"))
                      or p["tool_input"].get("run_in_background") is True)))
    for p in ps:
        if p["hook_event_name"].startswith("PostToolUse"):
            print("   %-18s %s %-10s duration_ms %-5s %s" % (p["hook_event_name"], p["tool_use_id"], p["tool_name"],
                                                           p.get("duration_ms"), json.dumps(p.get("error", ""))[:60]))
    for name in ("post_tool_use.json", "post_tool_use_failure.json"):
        f = os.path.join(HERE, "legacy/hooks", name)
        arr = json.load(open(f, encoding="utf-8"))
        inner = [x.get("raw_input", x) for x in arr]
        tools = collections.Counter(x["tool_name"] for x in inner)
        print("== %s: %d payloads, %d with duration_ms; tools %s" % (rel(f), len(arr), sum("duration_ms" in x for x in inner),
                                                                     ", ".join("%s %d" % kv for kv in sorted(tools.items()))))
        read_bytes = sum(len(x["tool_response"]["file"]["content"].encode()) for x in inner
                         if x["tool_name"] == "Read" and isinstance(x.get("tool_response"), dict))
        opt = [x["tool_name"] for x in inner if any(k in x.get("tool_input", {}) for k in ("offset", "limit", "head_limit"))
               or x.get("tool_input", {}).get("run_in_background") is True]
        print("   Read bytes %d; offset/limit/head_limit/run_in_background on: %s" % (read_bytes, " ".join(opt)))


def attrs(r):
    out = {}
    for kv in r.get("attributes") or []:
        v = kv.get("value") or {}
        out[kv["key"]] = next(iter(v.values())) if v else None
    return out


def otlp():
    index = json.load(open(os.path.join(REC, "otlp/index.json"), encoding="utf-8"))
    print("== recorded OTLP: %d posts" % len(index))
    per_run = collections.defaultdict(collections.Counter)
    for e in index:
        per_run[e["run"]][e["path"] + " " + e["headers"].get("content-type", "")] += 1
    for run, c in sorted(per_run.items()):
        print("   run %d: %s" % (run, ", ".join("%s x%d" % kv for kv in sorted(c.items()))))
    logs = [e for e in index if e["path"] == "/v1/logs" and e["file"].endswith(".json")]
    events = collections.Counter()
    results = []
    for e in logs:
        body = json.load(open(os.path.join(REC, "otlp", e["file"]), encoding="utf-8"))
        n = 0
        for rl in body.get("resourceLogs") or []:
            for sl in rl.get("scopeLogs") or []:
                for r in sl.get("logRecords") or []:
                    a = attrs(r)
                    events[a.get("event.name")] += 1
                    n += 1
                    if a.get("event.name") == "tool_result":
                        results.append((e["file"], a))
        print("   %s: %d records, %d tool_result" % (e["file"], n, sum(1 for f, _ in results if f == e["file"])))
    print("   events in the JSON logs: " + ", ".join("%s %d" % kv for kv in sorted(events.items())))
    print("   tool_result by tool: " + ", ".join("%s %d" % kv for kv in sorted(collections.Counter(a["tool_name"] for _, a in results).items())))
    print("   tool_result failed: %d" % sum(1 for _, a in results if a.get("success") != "true"))
    for f, a in results:
        print("   %s %s %-10s success %-5s duration_ms %-5s error_type %s error %s  event.timestamp %s"
              % (f, a.get("tool_use_id"), a.get("tool_name"), a.get("success"), a.get("duration_ms"),
                 a.get("error_type"), json.dumps(a.get("error")), a.get("event.timestamp")))
    print("   JSON logs records: %d, of which tool_result %d" % (sum(events.values()), len(results)))
    f = os.path.join(HERE, "legacy/otlp/logs-2.1.138.json")
    body = json.load(open(f, encoding="utf-8"))
    recs = [attrs(r) for rl in body["resourceLogs"] for sl in rl["scopeLogs"] for r in sl["logRecords"]]
    print("== %s: %d records; %s" % (rel(f), len(recs), ", ".join("%s %d" % kv for kv in sorted(
        collections.Counter(a["event.name"] for a in recs).items()))))


if __name__ == "__main__":
    want = sys.argv[1:] or ["transcripts", "waits", "timeline", "splits", "hooks", "otlp"]
    for w in want:
        globals()[w]()
