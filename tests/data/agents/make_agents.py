#!/usr/bin/env python3
# make_agents.py - writes the hand-made test data of tests/data/agents/:
# layouts of Codex CLI, Gemini CLI and OpenCode that the recorder
# (tests/agents/record.mjs, driving today's clients) does not produce:
# older Codex rollouts, Gemini CLI's rewinds and rewrites, its older .json
# documents and sub-agents, OpenCode's storage tree. Written by hand from
# the documented formats (tests/data/MANIFEST.md, "Other agents"); every
# value is chosen here and the story of each file is in the comments. The
# counts the unit tests assert follow from the timestamps below and are
# printed by tests/data/agents_reference.py.
#
#   python3 tests/data/agents/make_agents.py      (rewrites the files; the
#                                                  output is committed)
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CWD = "/home/dev/shop"


def dump(rel, records):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for d in records:
            f.write(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n")


def dump_doc(rel, value):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def text(rel, s):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(s)


def ts(sec, msec=0):
    """2025-10-20T10:MM:SS.mmmZ for a second offset from 10:00:00."""
    m, s = divmod(sec, 60)
    return "2025-10-20T10:%02d:%02d.%03dZ" % (m, s, msec)


# ---- Codex CLI 0.46: an older rollout, extended persistence ----------------------
#
# approval_policy "on-request" with the workspace-write sandbox (in the old
# {"mode": ...} form): a call could have asked, so the wall never becomes
# the exec; the command's own duration (exec_command_end, or the JSON
# metadata older outputs carry) does. The story:
#   turn 1 (10:00:00-10:00:20)
#     call_A  shell ["bash","-lc","npm test"]: exec_command_end exit 1 after
#             2.5 s (event at :04.000); its output (:04.100) is the JSON
#             form with the same metadata. Failed, exec 2500, wall 3000.
#     call_B, call_C  two parallel shells (ls, git status), outputs in the
#             order they finished (C first): no end events, JSON metadata
#             duration_seconds 0.05 and 0.12. Wall from the outputs,
#             estimated (parallel); exec from the metadata.
#     call_D  apply_patch function call (arguments.input); patch_apply_end
#             success false: failed, "patch rejected: context mismatch".
#     call_E  an MCP call (function name "docs__search"), mcp_tool_call_end
#             with invocation {server docs, tool search} and a 0.75 s
#             duration: stored as mcp__docs__search.
#     call_F  update_plan: never asks: exec = wall (200 ms).
#     a web_search_call item (ws_1) the API ran.
#     task_complete without duration_ms: the turn from task_started.
#   turn 2 (10:01:00-)
#     call_G  shell, the person declined: "exec command rejected by user".
#     call_H  shell still running when the turn was aborted (turn_aborted):
#             interrupted.
#   after that the file ends with call_I, a shell without output: with the
#   file final it is lost ("no result").
# Model requests: token_count events (no token_usage_record in 0.46), 3.

def codex_046():
    S = "0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
    tc = lambda turn: {"timestamp": ts(turn), "type": "turn_context", "payload": {
        "cwd": CWD, "approval_policy": "on-request",
        "sandbox_policy": {"mode": "workspace-write", "network_access": False,
                           "exclude_tmpdir_env_var": False, "exclude_slash_tmp": False},
        "model": "gpt-5-codex", "effort": "medium", "summary": "auto"}}
    ev = lambda t, payload, ms=0: {"timestamp": ts(t, ms), "type": "event_msg", "payload": payload}
    it = lambda t, payload, ms=0: {"timestamp": ts(t, ms), "type": "response_item", "payload": payload}
    shell = lambda cid, script: {"type": "function_call", "name": "shell", "call_id": cid, "arguments":
                                 json.dumps({"command": ["bash", "-lc", script], "workdir": CWD,
                                             "timeout_ms": 120000})}
    jout = lambda cid, out, code, secs: {"type": "function_call_output", "call_id": cid, "output":
                                         json.dumps({"output": out, "metadata": {
                                             "exit_code": code, "duration_seconds": secs}})}
    usage = lambda i, c, o: {"type": "token_count", "info": {
        "total_token_usage": {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o,
                              "reasoning_output_tokens": 0, "total_tokens": i + o},
        "last_token_usage": {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o,
                             "reasoning_output_tokens": 0, "total_tokens": i + o},
        "model_context_window": 272000}, "rate_limits": None}
    recs = [
        {"timestamp": ts(0), "type": "session_meta", "payload": {
            "id": S, "timestamp": ts(0), "cwd": CWD, "originator": "codex_cli_rs",
            "cli_version": "0.46.0", "instructions": None, "source": "cli",
            "model_provider": "openai", "git": {"branch": "main"}}},
        it(0, {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "<environment_context>...</environment_context>"}]}, 5),
        tc(0),
        ev(0, {"type": "task_started", "model_context_window": 272000}, 10),
        ev(0, {"type": "user_message", "message": "Fix the failing tests", "kind": "plain"}, 10),
        it(1, shell("call_A", "npm test")),
        ev(1, {"type": "exec_command_begin", "call_id": "call_A",
               "command": ["bash", "-lc", "npm test"], "cwd": CWD}, 400),
        ev(4, {"type": "exec_command_end", "call_id": "call_A", "stdout": "", "stderr": "1 failing",
               "aggregated_output": "1 failing", "exit_code": 1,
               "duration": {"secs": 2, "nanos": 500000000}, "formatted_output": "1 failing"}),
        it(4, jout("call_A", "1 failing", 1, 2.5), 100),
        ev(4, usage(5000, 4000, 200), 150),
        it(5, shell("call_B", "ls")),
        it(5, shell("call_C", "git status"), 10),
        it(5, jout("call_C", "clean", 0, 0.12), 300),
        it(5, jout("call_B", "src\ntest", 0, 0.05), 320),
        it(6, {"type": "function_call", "name": "apply_patch", "call_id": "call_D", "arguments":
               json.dumps({"input": "*** Begin Patch\n*** Update File: src/cart.js\n@@\n-a\n+b\n*** End Patch\n"})}),
        ev(6, {"type": "patch_apply_end", "call_id": "call_D", "stdout": "",
               "stderr": "patch rejected: context mismatch", "success": False}, 40),
        it(6, {"type": "function_call_output", "call_id": "call_D",
               "output": "apply_patch verification failed: context mismatch"}, 50),
        it(7, {"type": "function_call", "name": "docs__search", "call_id": "call_E",
               "arguments": json.dumps({"query": "cart totals"})}),
        ev(7, {"type": "mcp_tool_call_begin", "call_id": "call_E",
               "invocation": {"server": "docs", "tool": "search", "arguments": {"query": "cart totals"}}}, 5),
        ev(7, {"type": "mcp_tool_call_end", "call_id": "call_E",
               "invocation": {"server": "docs", "tool": "search", "arguments": {"query": "cart totals"}},
               "duration": {"secs": 0, "nanos": 750000000},
               "result": {"Ok": {"content": [{"type": "text", "text": "3 hits"}], "isError": False}}}, 800),
        it(7, {"type": "function_call_output", "call_id": "call_E", "output": "3 hits"}, 810),
        it(8, {"type": "function_call", "name": "update_plan", "call_id": "call_F",
               "arguments": json.dumps({"plan": [{"step": "fix cart", "status": "in_progress"}]})}),
        it(8, {"type": "function_call_output", "call_id": "call_F", "output": "Plan updated"}, 200),
        it(9, {"type": "web_search_call", "id": "ws_1", "status": "completed",
               "action": {"type": "search", "query": "node test runner exit code"}}),
        ev(9, usage(6000, 5000, 300), 500),
        it(10, {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]}),
        ev(10, usage(6500, 5500, 100), 10),
        ev(20, {"type": "task_complete", "last_agent_message": "Done."}),
        tc(60),
        ev(60, {"type": "task_started", "model_context_window": 272000}, 10),
        it(61, shell("call_G", "rm -rf dist")),
        it(64, {"type": "function_call_output", "call_id": "call_G",
                "output": "exec command rejected by user"}),
        it(65, shell("call_H", "npm run watch")),
        ev(70, {"type": "turn_aborted", "reason": "interrupted"}),
        it(80, shell("call_I", "npm run build")),
    ]
    dump("codex-0.46.jsonl", recs)


# ---- Gemini CLI: rewrites, $set, $rewindTo, a sub-agent, the old document ----------
#
# Project hash folder with .project_root /home/dev/shop. Session G1:
#   the metadata line; a user message; gemini message M1 written first
#   without calls, then again with call r1 (read_file, 10:00:01.000 ->
#   :01.300 from its id clock), then again with r1 and r2 (glob, clock
#   :01.100 -> :01.500): r1 must count once. $set lastUpdated. User
#   message U2, gemini M2 with s1 (run_shell_command exit 2, clock :05.000
#   -> :06.000, failed) and c1 (replace, cancelled). Then {"$rewindTo": U2}:
#   U2 and M2 leave the conversation, but s1 and c1 ran: still counted.
#   User U3, gemini M3 with w1 (write_file, error status, an error
#   response) whose id has no clock (an id the API gave): its start is the
#   message's time (:20.000 -> :20.400). Then a $set with the whole message
#   list (as a resume writes): M1 again, nothing new. Requests: M1, M2, M3.
# Sub-agent S (chats/<G1>/session-sub.jsonl, kind subagent): one call g1
#   (grep_search, :30.000 -> :30.250).
# Legacy document L (session-legacy.json): one gemini message with
#   list_directory d1 (:40.000 -> :40.050) and run_shell_command d2
#   (:40.100 -> :41.100, success).

def gemini():
    base = "gemini/tmp/9f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccddeeff00112233445566778899/"
    G1 = "6b1d2c3e-4f50-4a61-8b72-9c8d7e6f5a4b"
    SUB = "7c2e3d4f-5061-4b72-9c83-ad9e8f7a6b5c"
    LEG = "8d3f4e5a-6172-4c83-ad94-be0f9a8b7c6d"
    text(base + ".project_root", CWD)
    tok = {"input": 3000, "output": 120, "cached": 1000, "thoughts": 30, "tool": 0, "total": 3150}
    clock = lambda sec, msec: 1760954400000 + sec * 1000 + msec  # 2025-10-20T10:00:00Z

    def call(name, cid, end, status="success", output="ok", error=None, args=None):
        resp = {"error": error} if error else {"output": output}
        return {"id": cid, "name": name, "args": args or {}, "status": status, "timestamp": end,
                "result": [{"functionResponse": {"id": cid, "name": name, "response": resp}}]}

    r1 = call("read_file", "read_file__read_file_%d_0" % clock(1, 0), ts(1, 300),
              args={"file_path": "src/cart.js"})
    r2 = call("glob", "glob__glob_%d_1" % clock(1, 100), ts(1, 500), args={"pattern": "**/*.js"})
    s1 = call("run_shell_command", "run_shell_command__run_shell_command_%d_0" % clock(5, 0), ts(6),
              output="Output: 1 failing\nExit Code: 2\nProcess Group PGID: 4242",
              args={"command": "npm test"})
    c1 = call("replace", "replace__replace_%d_1" % clock(5, 10), ts(5, 900), status="cancelled",
              output="Tool call cancelled by user.", args={"file_path": CWD + "/src/cart.js"})
    w1 = call("write_file", "write_file__toolu_abc123", ts(20, 400), status="error",
              error="Permission denied: /etc/hosts", args={"file_path": "/etc/hosts"})
    m1 = {"id": "m1", "timestamp": ts(1), "type": "gemini", "content": "", "tokens": tok,
          "model": "gemini-2.5-pro"}
    m2 = {"id": "m2", "timestamp": ts(5), "type": "gemini", "content": "", "tokens": tok,
          "model": "gemini-2.5-pro", "toolCalls": [s1, c1]}
    m3 = {"id": "m3", "timestamp": ts(20), "type": "gemini", "content": "", "tokens": tok,
          "model": "gemini-2.5-flash", "toolCalls": [w1]}
    u = lambda i, sec: {"id": i, "timestamp": ts(sec), "type": "user", "content": [{"text": "go"}]}
    recs = [
        {"sessionId": G1, "projectHash": base.split("/")[2], "startTime": ts(0),
         "lastUpdated": ts(0), "kind": "main"},
        u("u1", 0),
        m1,
        dict(m1, toolCalls=[r1]),
        dict(m1, toolCalls=[r1, r2]),
        {"$set": {"lastUpdated": ts(2)}},
        u("u2", 4),
        m2,
        {"$rewindTo": "u2"},
        u("u3", 19),
        m3,
        {"$set": {"messages": [u("u1", 0), dict(m1, toolCalls=[r1, r2]), u("u3", 19), m3],
                  "lastUpdated": ts(21)}},
    ]
    dump(base + "chats/session-2025-10-20T10-00-6b1d2c3e.jsonl", recs)
    g1 = call("grep_search", "grep_search__grep_search_%d_0" % clock(30, 0), ts(30, 250),
              args={"pattern": "TODO"})
    dump(base + "chats/" + G1 + "/session-2025-10-20T10-00-7c2e3d4f.jsonl", [
        {"sessionId": SUB, "projectHash": base.split("/")[2], "startTime": ts(29),
         "lastUpdated": ts(29), "kind": "subagent"},
        {"id": "sm1", "timestamp": ts(30), "type": "gemini", "content": "", "tokens": tok,
         "model": "gemini-2.5-flash", "toolCalls": [g1]},
    ])
    d1 = call("list_directory", "list_directory__list_directory_%d_0" % clock(40, 0), ts(40, 50),
              args={"dir_path": CWD})
    d2 = call("run_shell_command", "run_shell_command__run_shell_command_%d_1" % clock(40, 100),
              ts(41, 100), output="Output: ok\nExit Code: 0", args={"command": "make"})
    dump_doc(base + "chats/session-2025-10-20T10-00-8d3f4e5a.json", {
        "sessionId": LEG, "projectHash": base.split("/")[2], "startTime": ts(39),
        "lastUpdated": ts(42),
        "messages": [u("lu1", 39), {"id": "lm1", "timestamp": ts(40), "type": "gemini",
                                    "content": "", "tokens": tok, "model": "gemini-2.5-pro",
                                    "toolCalls": [d1, d2]}]})


# ---- OpenCode 1.1: the storage tree ---------------------------------------------------
#
# Session ses_main (project prj_shop, directory /home/dev/shop, version
# 1.1.20) and its sub-agent's session ses_sub (parentID ses_main).
#   msg_a1 (assistant of ses_main, parent msg_u1): parts
#     prt_a1_1 bash "npm test" completed, exit 1, 10:00:01.000 -> :03.500
#     prt_a1_2 read /home/dev/shop/src/cart.js completed, :01.010 -> :01.040
#     prt_a1_3 bash still running: not a call yet
#     prt_a1_4 edit of /etc/hosts error "The user rejected permission to
#              use this specific tool call." (:05 -> :07.500: a wait)
#   msg_b1 (assistant of ses_sub): prt_b1_1 grep completed :10 -> :10.200
# Messages msg_a1 and msg_b1 are model requests (tokens, cost).

def opencode():
    root = "opencode/storage/"
    clock = lambda sec, msec=0: 1760954400000 + sec * 1000 + msec
    dump_doc(root + "session/prj_shop/ses_main.json", {
        "id": "ses_main", "version": "1.1.20", "projectID": "prj_shop", "directory": CWD,
        "title": "Fix the tests", "time": {"created": clock(0), "updated": clock(12)}})
    dump_doc(root + "session/prj_shop/ses_sub.json", {
        "id": "ses_sub", "version": "1.1.20", "projectID": "prj_shop", "directory": CWD,
        "parentID": "ses_main", "title": "Search (@general subagent)",
        "time": {"created": clock(9), "updated": clock(11)}})
    dump_doc(root + "message/ses_main/msg_u1.json", {
        "id": "msg_u1", "sessionID": "ses_main", "role": "user", "time": {"created": clock(0)}})
    dump_doc(root + "message/ses_main/msg_a1.json", {
        "id": "msg_a1", "sessionID": "ses_main", "role": "assistant", "parentID": "msg_u1",
        "modelID": "claude-sonnet-4-5", "providerID": "anthropic", "mode": "build",
        "path": {"cwd": CWD, "root": CWD}, "cost": 0.0123,
        "tokens": {"input": 800, "output": 60, "reasoning": 10, "cache": {"read": 4000, "write": 0}},
        "time": {"created": clock(0, 500), "completed": clock(8)}})
    dump_doc(root + "message/ses_sub/msg_b1.json", {
        "id": "msg_b1", "sessionID": "ses_sub", "role": "assistant", "parentID": "msg_u2",
        "modelID": "claude-haiku-4-5", "providerID": "anthropic", "cost": 0.001,
        "tokens": {"input": 300, "output": 20, "reasoning": 0, "cache": {"read": 0, "write": 0}},
        "time": {"created": clock(9, 500), "completed": clock(10, 400)}})
    part = lambda mid, sid, pid, tool, state: dump_doc(
        root + "part/%s/%s.json" % (mid, pid),
        {"id": pid, "sessionID": sid, "messageID": mid, "type": "tool", "callID": "toolu_" + pid,
         "tool": tool, "state": state})
    part("msg_a1", "ses_main", "prt_a1_1", "bash", {
        "status": "completed", "input": {"command": "npm test", "description": "run tests"},
        "output": "1 failing", "metadata": {"exit": 1, "output": "1 failing"},
        "title": "npm test", "time": {"start": clock(1), "end": clock(3, 500)}})
    part("msg_a1", "ses_main", "prt_a1_2", "read", {
        "status": "completed", "input": {"filePath": CWD + "/src/cart.js"}, "output": "...",
        "metadata": {}, "title": "src/cart.js", "time": {"start": clock(1, 10), "end": clock(1, 40)}})
    part("msg_a1", "ses_main", "prt_a1_3", "bash", {
        "status": "running", "input": {"command": "npm run watch"}, "title": "npm run watch",
        "time": {"start": clock(4)}})
    part("msg_a1", "ses_main", "prt_a1_4", "edit", {
        "status": "error", "input": {"filePath": "/etc/hosts", "oldString": "a", "newString": "b"},
        "error": "The user rejected permission to use this specific tool call.",
        "time": {"start": clock(5), "end": clock(7, 500)}})
    part("msg_b1", "ses_sub", "prt_b1_1", "grep", {
        "status": "completed", "input": {"pattern": "TODO"}, "output": "2 matches",
        "metadata": {"matches": 2}, "title": "TODO", "time": {"start": clock(10), "end": clock(10, 200)}})
    text(root + "part/msg_a1/notes.txt", "not a part\n")


# ---- Codex CLI: lines without a usable timestamp ------------------------------------
#
# A rollout Codex wrote always has a time on every line; an edited or
# damaged one may not. What toolprof must do (codex.h): a call line without
# a time is skipped and reported with its line; an output without a time
# still ends its call (wall unknown), reported; lines that lose nothing
# about a call are skipped quietly. The lines:
#    1 session_meta                   4 call_1 (shell ls), 10:00:01
#    2 turn_context (never)           5 call_1's output, 10:00:01.200: exec = wall 200
#    3 task_started                   6 call_2, timestamp "yesterday": reported, skipped
#    7 call_2's output: its call was not read: quiet
#    8 call_3 (apply_patch custom call), no timestamp: reported, skipped
#    9 call_4 (shell false), 10:00:03
#   10 call_4's output, timestamp "": reported; call_4 failed (exit code 2),
#      no wall, no exec
#   11 web_search_call ws_1, timestamp 12345 (a number): reported, skipped
#   12 task_complete, timestamp "never": quiet
# So 2 calls (call_1 ok, call_4 failed) and 4 lines reported: 6, 8, 10, 11.

def codex_untimed():
    S = "0199f3c2-0000-7000-8000-00000000cafe"
    shell = lambda cid, script: {"type": "function_call", "name": "shell", "call_id": cid,
                                 "arguments": json.dumps({"command": ["bash", "-lc", script]})}
    out = lambda cid, text: {"type": "function_call_output", "call_id": cid, "output": text}
    line = lambda t, typ, payload: dict(({"timestamp": t} if t is not None else {}),
                                        type=typ, payload=payload)
    dump("codex-untimed.jsonl", [
        line(ts(0), "session_meta", {"id": S, "timestamp": ts(0), "cwd": CWD,
                                     "originator": "codex_cli_rs", "cli_version": "0.46.0",
                                     "source": "cli"}),
        line(ts(0, 5), "turn_context", {"cwd": CWD, "approval_policy": "never",
                                        "sandbox_policy": {"type": "workspace-write"},
                                        "model": "gpt-5-codex"}),
        line(ts(0, 10), "event_msg", {"type": "task_started"}),
        line(ts(1), "response_item", shell("call_1", "ls")),
        line(ts(1, 200), "response_item", out("call_1", "Exit code: 0\nOutput:\nsrc\n")),
        line("yesterday", "response_item", shell("call_2", "pwd")),
        line(ts(2), "response_item", out("call_2", "Exit code: 0\nOutput:\n/\n")),
        line(None, "response_item", {"type": "custom_tool_call", "name": "apply_patch",
                                     "call_id": "call_3",
                                     "input": "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n"}),
        line(ts(3), "response_item", shell("call_4", "false")),
        line("", "response_item", out("call_4", "Process exited with code 2\nOutput:\nboom\n")),
        line(12345, "response_item", {"type": "web_search_call", "id": "ws_1", "status": "completed",
                                      "action": {"type": "search", "query": "cart totals"}}),
        line("never", "event_msg", {"type": "task_complete", "last_agent_message": "done"}),
    ])


# ---- OpenCode: a storage tree with parts toolprof cannot read fully -------------------
#
# Session ses_known has its file (directory /home/dev/shop, version 1.1.20);
# session ses_gone has none. Parts:
#   msg_g1/prt_g1_1  bash "npm test" of ses_gone, completed exit 0, :01 -> :01.400
#   msg_g1/prt_g1_2  glob of ses_gone, completed, :02 -> :02.050
#                    (both stored without project; ses_gone reported once)
#   msg_k1/prt_k1_1  bash of ses_known, status "success" (not one of
#                    OpenCode's): reported, skipped
#   msg_k1/prt_k1_2  read of ses_known, completed, :03 -> :03.020: exec 20
#   msg_k1/prt_k1_3  bash of ses_known without a status: reported, skipped
# So 3 calls, 2 parts malformed, 3 lines reported.

def opencode_odd():
    root = "opencode-odd/storage/"
    clock = lambda sec, msec=0: 1760954400000 + sec * 1000 + msec
    dump_doc(root + "session/prj_shop/ses_known.json", {
        "id": "ses_known", "version": "1.1.20", "projectID": "prj_shop", "directory": CWD,
        "title": "Known", "time": {"created": clock(0), "updated": clock(5)}})
    dump_doc(root + "message/ses_known/msg_k1.json", {
        "id": "msg_k1", "sessionID": "ses_known", "role": "assistant", "modelID": "claude-sonnet-4-5",
        "providerID": "anthropic", "tokens": {"input": 10, "output": 5},
        "time": {"created": clock(2, 500), "completed": clock(4)}})
    part = lambda mid, sid, pid, tool, state: dump_doc(
        root + "part/%s/%s.json" % (mid, pid),
        {"id": pid, "sessionID": sid, "messageID": mid, "type": "tool", "callID": "toolu_" + pid,
         "tool": tool, "state": state})
    part("msg_g1", "ses_gone", "prt_g1_1", "bash", {
        "status": "completed", "input": {"command": "npm test"}, "output": "ok",
        "metadata": {"exit": 0}, "time": {"start": clock(1), "end": clock(1, 400)}})
    part("msg_g1", "ses_gone", "prt_g1_2", "glob", {
        "status": "completed", "input": {"pattern": "**/*.js"}, "output": "a.js",
        "time": {"start": clock(2), "end": clock(2, 50)}})
    part("msg_k1", "ses_known", "prt_k1_1", "bash", {
        "status": "success", "input": {"command": "ls"}, "output": "a.js",
        "time": {"start": clock(2, 600), "end": clock(2, 700)}})
    part("msg_k1", "ses_known", "prt_k1_2", "read", {
        "status": "completed", "input": {"filePath": CWD + "/a.js"}, "output": "...",
        "time": {"start": clock(3), "end": clock(3, 20)}})
    part("msg_k1", "ses_known", "prt_k1_3", "bash", {
        "input": {"command": "pwd"}, "time": {"start": clock(3, 500), "end": clock(3, 600)}})


# ---- Gemini CLI: short message ids in two sessions ----------------------------------
#
# Gemini CLI's message ids are UUIDs; files written by other tools (or
# trimmed by hand) may have short ones, the same in two sessions. Two
# .json documents of sessions ga and gb, each with a gemini message "m1"
# (tokens 100/10 and 200/20) holding one read_file call "c1" (10:00:01 ->
# :01.040 and 10:00:02 -> :02.060). The ids are only their session's: 2
# calls and 2 requests, one per session.

def gemini_short_ids():
    base = "gemini-short-ids/tmp/0f0f/chats/"
    for sid, sec, tin, tout, wall in (("ga", 1, 100, 10, 40), ("gb", 2, 200, 20, 60)):
        call = {"id": "c1", "name": "read_file", "args": {"file_path": "a.js"},
                "status": "success", "timestamp": ts(sec, wall),
                "result": [{"functionResponse": {"id": "c1", "name": "read_file",
                                                 "response": {"output": "x"}}}]}
        dump_doc(base + "session-2025-10-20T10-00-%s.json" % sid, {
            "sessionId": sid, "projectHash": "0f0f", "startTime": ts(0), "lastUpdated": ts(3),
            "messages": [{"id": "m1", "timestamp": ts(sec), "type": "gemini", "content": "",
                          "tokens": {"input": tin, "output": tout, "cached": 0, "thoughts": 0,
                                     "tool": 0, "total": tin + tout},
                          "model": "gemini-2.5-pro", "toolCalls": [call]}]})


codex_046()
gemini()
opencode()
codex_untimed()
opencode_odd()
gemini_short_ids()
