#!/usr/bin/env python3
# make_legacy.py - writes the hand-made test data of tests/data/legacy/:
# layouts of Claude Code versions older than the one the recorder drives
# (tests/e2e/record.sh), written by hand from the documented formats (the
# shapes are described in tests/data/MANIFEST.md). Every value here was
# chosen by hand; the story of each file is in the comments, and the numbers
# the unit tests assert follow from the timestamps written below (and are
# checked by tests/data/reference.py).
#
#   python3 tests/data/legacy/make_legacy.py     (rewrites the files; the
#                                                 output is committed)
# Output, deterministic (no clock, no randomness):
#   claude-1.0/projects/-home-dev-shop/<S1>.jsonl           1.0.98 transcript
#   claude-1.0.17/projects/-home-dev-shop/<S3>.jsonl        1.0.17 transcript:
#                                     prompts waited on, in the old layout
#   claude-2.1/projects/-home-dev-shop/<S2>.jsonl           2.1.39 transcript
#   claude-2.1/projects/-home-dev-shop/<S2>/subagents/agent-a1b2c3d.jsonl
#   claude-2.1/projects/-home-dev-shop/<S2>/subagents/agent-acompact-5e6f70.jsonl
#   hooks/post_tool_use.json          PostToolUse payloads before 2.1.119,
#                                     a JSON array as hooks-mastery loggers keep
#   hooks/post_tool_use_failure.json  failure payloads wrapped under raw_input
#   otlp/logs-2.1.138.json            an OTLP/HTTP JSON logs export without
#                                     OTEL_LOG_TOOL_DETAILS
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CWD = "/home/dev/shop"
PROJ = "-home-dev-shop"


def dump(rel, lines):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for d in lines:
            f.write(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n")


def dump_json(rel, value):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        # As Python's json.dump(..., indent=2) writes a hooks-mastery log.
        f.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


class Transcript:
    """One transcript file: lines in file order, each with its own uuid
    chained to the previous line's (parentUuid), like Claude Code writes."""

    def __init__(self, session, version, sidechain=False, agent=None, prefix="u"):
        self.session, self.version, self.sidechain, self.agent = session, version, sidechain, agent
        self.lines, self.prefix, self.n, self.parent = [], prefix, 0, None

    def _base(self, kind, ts, sidechain=None):
        self.n += 1
        uuid = "%s0000000-0000-4000-8000-%012d" % (self.prefix, self.n)
        d = {"parentUuid": self.parent, "isSidechain": self.sidechain if sidechain is None else sidechain,
             "userType": "external", "cwd": CWD, "sessionId": self.session, "version": self.version,
             "gitBranch": "main"}
        if self.agent:
            d["agentId"] = self.agent
        d.update({"type": kind, "uuid": uuid, "timestamp": ts})
        self.parent = uuid
        return d

    def raw(self, d):
        self.lines.append(d)

    def prompt(self, ts, text, sidechain=None):
        d = self._base("user", ts, sidechain)
        d["message"] = {"role": "user", "content": text}
        self.lines.append(d)

    def block(self, ts, mid, block, sidechain=None, req=None):
        """One content block of response `mid` on a line of its own."""
        d = self._base("assistant", ts, sidechain)
        d["requestId"] = req or ("req_" + mid[4:])
        d["message"] = {"id": mid, "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
                        "content": [block], "stop_reason": None, "stop_sequence": None,
                        "usage": {"input_tokens": 4, "cache_creation_input_tokens": 0,
                                  "cache_read_input_tokens": 12000, "output_tokens": 3,
                                  "service_tier": "standard"}}
        self.lines.append(d)

    def use(self, ts, mid, tid, name, inp, **kw):
        self.block(ts, mid, {"type": "tool_use", "id": tid, "name": name, "input": inp}, **kw)

    def text(self, ts, mid, text, **kw):
        self.block(ts, mid, {"type": "text", "text": text}, **kw)

    def result(self, ts, tid, content, tur=None, is_error=None, sidechain=None, tur_absent=False):
        d = self._base("user", ts, sidechain)
        r = {"tool_use_id": tid, "type": "tool_result", "content": content}
        if is_error is not None:
            r["is_error"] = is_error
        d["message"] = {"role": "user", "content": [r]}
        if not tur_absent:
            d["toolUseResult"] = tur
        self.lines.append(d)

    def user_text(self, ts, text):
        d = self._base("user", ts)
        d["message"] = {"role": "user", "content": [{"type": "text", "text": text}]}
        self.lines.append(d)

    def system(self, ts, subtype, **fields):
        d = self._base("system", ts)
        d["subtype"] = subtype
        d.update(fields)
        self.lines.append(d)

    def progress(self, ts, tool_use_id, data):
        d = self._base("progress", ts)
        d.update({"data": data, "toolUseID": tool_use_id, "parentToolUseID": tool_use_id})
        self.lines.append(d)


REJECT = ("The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a "
          "file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the "
          "user to tell you how to proceed.")


# ---- Claude Code 1.0.98 -------------------------------------------------------
#
# One content block per line; tools start only after the whole response has
# been written (so a call's start is the response's last line); sub-agent
# lines inline in the session file (isSidechain: true); a summary line
# first; no turn_duration lines; errors as "Error: ..." strings in
# toolUseResult.

def v1():
    S1 = "0a1b2c3d-1000-4000-8000-000000000098"
    t = Transcript(S1, "1.0.98", prefix="a")
    t.raw({"type": "summary", "summary": "Checkout module cleanup", "leafUuid": "a0000000-0000-4000-8000-000000000099"})
    t.prompt("2025-09-03T10:00:00.000Z", "Tidy up the checkout module and run its tests.")

    # R1: text, Glob, Glob, TodoWrite. The response ends at 02.300, so all
    # three start then; the Globs report 5 and 4 ms themselves; TodoWrite
    # (a mutating tool) waits for both Globs (done 02.340, 02.352), so it
    # took 02.390 - 02.352 = 38 ms.
    m = "msg_01V1R1aaaaaaaaaaaaaaaaaa"
    t.text("2025-09-03T10:00:01.000Z", m, "I'll look at the module and its tests first.")
    t.use("2025-09-03T10:00:01.400Z", m, "toolu_01V1Glob1aaaaaaaaaaaaa", "Glob", {"pattern": "src/**/*.ts"})
    t.use("2025-09-03T10:00:01.900Z", m, "toolu_01V1Glob2aaaaaaaaaaaaa", "Glob", {"pattern": "tests/**/*.ts"})
    t.use("2025-09-03T10:00:02.300Z", m, "toolu_01V1Todo1aaaaaaaaaaaaa", "TodoWrite",
          {"todos": [{"content": "Split checkout.ts", "status": "pending", "activeForm": "Splitting checkout.ts"}]})
    t.result("2025-09-03T10:00:02.340Z", "toolu_01V1Glob1aaaaaaaaaaaaa", "/home/dev/shop/src/checkout.ts\n/home/dev/shop/src/cart.ts",
             {"filenames": ["/home/dev/shop/src/checkout.ts", "/home/dev/shop/src/cart.ts"], "durationMs": 5,
              "numFiles": 2, "truncated": False})
    t.result("2025-09-03T10:00:02.352Z", "toolu_01V1Glob2aaaaaaaaaaaaa", "/home/dev/shop/tests/checkout.test.ts",
             {"filenames": ["/home/dev/shop/tests/checkout.test.ts"], "durationMs": 4, "numFiles": 1, "truncated": False})
    t.result("2025-09-03T10:00:02.390Z", "toolu_01V1Todo1aaaaaaaaaaaaa",
             "Todos have been modified successfully. Ensure that you continue to use the todo list to track your progress.",
             {"oldTodos": [], "newTodos": [{"content": "Split checkout.ts", "status": "pending",
                                            "activeForm": "Splitting checkout.ts"}]})

    # R2: three Tasks in parallel; the response ends at 05.400. Their
    # sub-agents write inline sidechain lines: agent 1 a Read and a Grep,
    # agent 2 a Bash. Task 1 reports totalDurationMs 45000; Task 2 only a
    # <usage> tail with duration_ms 61250; Task 3 fails input validation
    # 37 ms after the response ended.
    m = "msg_01V1R2aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:00:05.000Z", m, "toolu_01V1Task1aaaaaaaaaaaaa", "Task",
          {"description": "Review cart.ts", "prompt": "Review src/cart.ts for dead code.", "subagent_type": "general-purpose"})
    t.use("2025-09-03T10:00:05.200Z", m, "toolu_01V1Task2aaaaaaaaaaaaa", "Task",
          {"description": "Run the tests", "prompt": "Run the checkout tests and report failures.", "subagent_type": "general-purpose"})
    t.use("2025-09-03T10:00:05.400Z", m, "toolu_01V1Task3aaaaaaaaaaaaa", "Task",
          {"description": "Check the docs", "subagent_type": "general-purpose"})
    t.result("2025-09-03T10:00:05.437Z", "toolu_01V1Task3aaaaaaaaaaaaa",
             "<tool_use_error>InputValidationError: Task failed due to the following issue:\nThe required parameter `prompt` is missing</tool_use_error>",
             "Error: InputValidationError: [{\"code\":\"invalid_type\",\"path\":[\"prompt\"]}]", is_error=True)
    # The sub-agents' lines, in the order they were written.
    t.prompt("2025-09-03T10:00:05.600Z", "Review src/cart.ts for dead code.", sidechain=True)
    t.prompt("2025-09-03T10:00:05.700Z", "Run the checkout tests and report failures.", sidechain=True)
    ms = "msg_01V1S1aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:00:07.000Z", ms, "toolu_01V1SideReadaaaaaaaaaa", "Read",
          {"file_path": "/home/dev/shop/src/cart.ts"}, sidechain=True)
    t.use("2025-09-03T10:00:07.250Z", ms, "toolu_01V1SideGrepaaaaaaaaaa", "Grep",
          {"pattern": "export function", "path": "/home/dev/shop/src", "output_mode": "content", "head_limit": 10},
          sidechain=True)
    t.result("2025-09-03T10:00:07.300Z", "toolu_01V1SideReadaaaaaaaaaa", "     1\texport function total() {}\n",
             {"type": "text", "file": {"filePath": "/home/dev/shop/src/cart.ts", "content": "export function total() {}\n",
                                       "numLines": 1, "startLine": 1, "totalLines": 1}}, sidechain=True)
    t.result("2025-09-03T10:00:07.410Z", "toolu_01V1SideGrepaaaaaaaaaa", "src/cart.ts:1:export function total() {}",
             {"mode": "content", "numFiles": 0, "filenames": [], "content": "src/cart.ts:1:export function total() {}",
              "numLines": 1}, sidechain=True)
    ms = "msg_01V1S2aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:00:08.000Z", ms, "toolu_01V1SideBashaaaaaaaaaa", "Bash",
          {"command": "npm test -- checkout", "description": "Run the checkout tests"}, sidechain=True)
    t.result("2025-09-03T10:00:20.500Z", "toolu_01V1SideBashaaaaaaaaaa", "Exit code 1\n1 failing",
             "Error: Exit code 1\n1 failing", is_error=True, sidechain=True)
    t.result("2025-09-03T10:00:50.026Z", "toolu_01V1Task1aaaaaaaaaaaaa",
             [{"type": "text", "text": "cart.ts has no dead code."}],
             {"content": [{"type": "text", "text": "cart.ts has no dead code."}], "totalDurationMs": 45000,
              "totalTokens": 18000, "totalToolUseCount": 2})
    t.result("2025-09-03T10:01:06.700Z", "toolu_01V1Task2aaaaaaaaaaaaa",
             [{"type": "text", "text": "One test fails: total() ignores discounts.\n<usage>total_tokens: 9100\ntool_uses: 1\nduration_ms: 61250</usage>"}],
             tur_absent=True)

    # R3: a background Bash (optimized: run_in_background), returning at once
    # with its shell id after 1132 ms.
    m = "msg_01V1R3aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:01:10.000Z", m, "toolu_01V1BgBashaaaaaaaaaaa", "Bash",
          {"command": "npm run dev", "description": "Start the dev server", "run_in_background": True})
    t.result("2025-09-03T10:01:11.132Z", "toolu_01V1BgBashaaaaaaaaaaa",
             "Command running in background with ID: bash_1",
             {"stdout": "", "stderr": "", "interrupted": False, "isImage": False, "backgroundTaskId": "bash_1"})
    # R4: BashOutput, then KillBash (34 ms).
    m = "msg_01V1R4aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:01:15.000Z", m, "toolu_01V1BashOutaaaaaaaaaa", "BashOutput", {"bash_id": "bash_1"})
    t.result("2025-09-03T10:01:15.021Z", "toolu_01V1BashOutaaaaaaaaaa", "<status>running</status>",
             {"shellId": "bash_1", "command": "npm run dev", "status": "running", "exitCode": None,
              "stdout": "ready on :3000", "stderr": "", "stdoutLines": 1, "stderrLines": 0,
              "timestamp": "2025-09-03T10:01:15.020Z"})
    m = "msg_01V1R5aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:01:16.000Z", m, "toolu_01V1KillBashaaaaaaaaaa", "KillBash", {"shell_id": "bash_1"})
    t.result("2025-09-03T10:01:16.034Z", "toolu_01V1KillBashaaaaaaaaaa", "Successfully killed shell: bash_1",
             {"success": True, "message": "Successfully killed shell: bash_1", "shell_id": "bash_1"})
    # R6: MultiEdit (120 ms), then a Read of a directory (EISDIR, 64 ms).
    m = "msg_01V1R6aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:01:20.000Z", m, "toolu_01V1MultiEditaaaaaaaaa", "MultiEdit",
          {"file_path": "/home/dev/shop/src/checkout.ts",
           "edits": [{"old_string": "var ", "new_string": "let ", "replace_all": True}]})
    t.result("2025-09-03T10:01:20.120Z", "toolu_01V1MultiEditaaaaaaaaa",
             "Applied 1 edit to /home/dev/shop/src/checkout.ts",
             {"filePath": "/home/dev/shop/src/checkout.ts", "edits": [{"old_string": "var ", "new_string": "let ",
                                                                         "replace_all": True}],
              "originalFileContents": "var x = 1;\n", "structuredPatch": [], "userModified": False})
    m = "msg_01V1R7aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:01:21.000Z", m, "toolu_01V1ReadDiraaaaaaaaaaa", "Read", {"file_path": "/home/dev/shop/src"})
    t.result("2025-09-03T10:01:21.064Z", "toolu_01V1ReadDiraaaaaaaaaaa", "EISDIR: illegal operation on a directory, read",
             "Error: EISDIR: illegal operation on a directory, read", is_error=True)
    # R8: an Edit the user rejected after 2.5 s at the prompt; then the
    # interrupt marker.
    m = "msg_01V1R8aaaaaaaaaaaaaaaaaa"
    t.use("2025-09-03T10:01:25.000Z", m, "toolu_01V1EditRejaaaaaaaaaaa", "Edit",
          {"file_path": "/home/dev/shop/src/cart.ts", "old_string": "total()", "new_string": "total(discount)"})
    t.result("2025-09-03T10:01:27.500Z", "toolu_01V1EditRejaaaaaaaaaaa", REJECT, "Error: The user doesn't want to proceed with this tool use.",
             is_error=True)
    t.user_text("2025-09-03T10:01:27.501Z", "[Request interrupted by user for tool use]")
    dump("claude-1.0/projects/%s/%s.jsonl" % (PROJ, S1), t.lines)


# ---- Claude Code 1.0.17: the approval waits of the old layout ------------------
#
# The story of the public 1.0.17 transcripts (issue 9): no turn_duration, no
# permissionDecision, no cost-state, tools started after the whole response,
# so a call's wall time, from the end of its response to its result, holds
# the person reading its permission prompt. A 117-byte new requirements.txt
# "took" 21.6 s, `echo $CONDA_DEFAULT_ENV` 3.65 s. Nothing in the file says
# how much of a wall was the wait: every call that could have asked stays
# unsplit, in no latency figure; the two read-only calls (which never ask)
# have their execution; the rejected Edit is all wait.
#
#   call                                   wall (ms)  what it is
#   Bash echo $CONDA_DEFAULT_ENV               3650   unsplit
#   Read scraper.py                              85   exec (read-only)
#   Write requirements.txt (117 bytes)        21600   unsplit
#   Edit scraper.py                            9400   unsplit
#   Write README.md                           52000   unsplit
#   MultiEdit scraper.py                      14250   unsplit
#   Grep "def "                                  70   exec (read-only)
#   Bash python scraper.py --once              7500   unsplit
#   Edit scraper.py, rejected at the prompt    4200   wait
#
# Unsplit in all: 108400 ms; waits known: 4200 ms; execution known: 155 ms.

def v1017():
    S3 = "0a1b2c3d-1017-4000-8000-000000001017"
    t = Transcript(S3, "1.0.17", prefix="c")
    t.prompt("2025-06-12T09:00:00.000Z", "Set up the environment for the price scraper.")
    m = "msg_01V0R1cccccccccccccccccc"
    t.text("2025-06-12T09:00:02.000Z", m, "Let me check which environment is active.")
    t.use("2025-06-12T09:00:02.400Z", m, "toolu_01V0Bash1cccccccccccccc", "Bash",
          {"command": "echo $CONDA_DEFAULT_ENV", "description": "Show the active conda environment"})
    t.result("2025-06-12T09:00:06.050Z", "toolu_01V0Bash1cccccccccccccc", "scraper",
             {"stdout": "scraper", "stderr": "", "interrupted": False, "isImage": False})
    m = "msg_01V0R2cccccccccccccccccc"
    t.use("2025-06-12T09:00:08.000Z", m, "toolu_01V0Read1cccccccccccccc", "Read", {"file_path": "/home/dev/shop/scraper.py"})
    t.result("2025-06-12T09:00:08.085Z", "toolu_01V0Read1cccccccccccccc", "     1\timport requests\n",
             {"type": "text", "file": {"filePath": "/home/dev/shop/scraper.py", "content": "import requests\n",
                                       "numLines": 1, "startLine": 1, "totalLines": 1}})
    req = "requests==2.32.3\nbeautifulsoup4==4.12.3\nlxml==5.2.2\npandas==2.2.2\npython-dotenv==1.0.1\ntenacity==8.4.1\nschedule==1.2\n"
    assert len(req) == 117
    m = "msg_01V0R3cccccccccccccccccc"
    t.use("2025-06-12T09:00:10.000Z", m, "toolu_01V0Write1ccccccccccccc", "Write",
          {"file_path": "/home/dev/shop/requirements.txt", "content": req})
    t.result("2025-06-12T09:00:31.600Z", "toolu_01V0Write1ccccccccccccc",
             "File created successfully at: /home/dev/shop/requirements.txt",
             {"type": "create", "filePath": "/home/dev/shop/requirements.txt", "content": req, "structuredPatch": []})
    m = "msg_01V0R4cccccccccccccccccc"
    t.use("2025-06-12T09:00:33.000Z", m, "toolu_01V0Edit1cccccccccccccc", "Edit",
          {"file_path": "/home/dev/shop/scraper.py", "old_string": "import requests", "new_string": "import requests\nimport pandas as pd"})
    t.result("2025-06-12T09:00:42.400Z", "toolu_01V0Edit1cccccccccccccc",
             "The file /home/dev/shop/scraper.py has been updated.",
             {"filePath": "/home/dev/shop/scraper.py", "oldString": "import requests",
              "newString": "import requests\nimport pandas as pd", "originalFile": "import requests\n",
              "structuredPatch": [], "userModified": False})
    m = "msg_01V0R5cccccccccccccccccc"
    readme = "# Price scraper\n\nFetches the shop's prices once an hour.\n"
    t.use("2025-06-12T09:00:44.000Z", m, "toolu_01V0Write2ccccccccccccc", "Write",
          {"file_path": "/home/dev/shop/README.md", "content": readme})
    t.result("2025-06-12T09:01:36.000Z", "toolu_01V0Write2ccccccccccccc",
             "File created successfully at: /home/dev/shop/README.md",
             {"type": "create", "filePath": "/home/dev/shop/README.md", "content": readme, "structuredPatch": []})
    m = "msg_01V0R6cccccccccccccccccc"
    t.use("2025-06-12T09:01:38.000Z", m, "toolu_01V0MultiEdit1ccccccccc", "MultiEdit",
          {"file_path": "/home/dev/shop/scraper.py",
           "edits": [{"old_string": "import pandas as pd", "new_string": "import pandas as pd\nimport lxml"}]})
    t.result("2025-06-12T09:01:52.250Z", "toolu_01V0MultiEdit1ccccccccc",
             "Applied 1 edit to /home/dev/shop/scraper.py",
             {"filePath": "/home/dev/shop/scraper.py",
              "edits": [{"old_string": "import pandas as pd", "new_string": "import pandas as pd\nimport lxml"}],
              "originalFileContents": "import requests\nimport pandas as pd\n", "structuredPatch": [],
              "userModified": False})
    m = "msg_01V0R7cccccccccccccccccc"
    t.use("2025-06-12T09:01:54.000Z", m, "toolu_01V0Grep1cccccccccccccc", "Grep",
          {"pattern": "def ", "path": "/home/dev/shop"})
    t.result("2025-06-12T09:01:54.070Z", "toolu_01V0Grep1cccccccccccccc", "No files found",
             {"mode": "files_with_matches", "filenames": [], "numFiles": 0})
    t.text("2025-06-12T09:01:56.000Z", "msg_01V0R8cccccccccccccccccc", "The environment is set up.")

    t.prompt("2025-06-12T09:05:00.000Z", "Run the scraper once.")
    m = "msg_01V0R9cccccccccccccccccc"
    t.use("2025-06-12T09:05:02.000Z", m, "toolu_01V0Bash2cccccccccccccc", "Bash",
          {"command": "python scraper.py --once", "description": "Run the scraper once"})
    t.result("2025-06-12T09:05:09.500Z", "toolu_01V0Bash2cccccccccccccc", "fetched 120 prices",
             {"stdout": "fetched 120 prices", "stderr": "", "interrupted": False, "isImage": False})
    m = "msg_01V0RAcccccccccccccccccc"
    t.use("2025-06-12T09:05:12.000Z", m, "toolu_01V0Edit2cccccccccccccc", "Edit",
          {"file_path": "/home/dev/shop/scraper.py", "old_string": "--once", "new_string": "--loop"})
    t.result("2025-06-12T09:05:16.200Z", "toolu_01V0Edit2cccccccccccccc", REJECT,
             "Error: The user doesn't want to proceed with this tool use.", is_error=True)
    t.user_text("2025-06-12T09:05:16.201Z", "[Request interrupted by user for tool use]")
    dump("claude-1.0.17/projects/%s/%s.jsonl" % (PROJ, S3), t.lines)


# ---- Claude Code 2.1.39 --------------------------------------------------------
#
# Tools start when their own block has streamed; sub-agents in
# <session>/subagents/agent-<7 hex>.jsonl, whose traffic the session file
# also carries as agent_progress copies (not calls of the session);
# progress lines (bash_progress, hook_progress); turn_duration; a
# compaction (compact_boundary, a summary, and the helper's own file);
# AskUserQuestion and ExitPlanMode (a person's time); WebSearch's
# durationSeconds; WebFetch's durationMs; a failing call that cancels its
# parallel siblings (before 2.1.72 any failure did).

def v2():
    S2 = "5e55a000-2139-4000-8000-000000002139"
    t = Transcript(S2, "2.1.39", prefix="b")
    t.raw({"type": "file-history-snapshot", "messageId": "b0000000-0000-4000-8000-000000000000",
           "snapshot": {"messageId": "b0000000-0000-4000-8000-000000000000", "trackedFileBackups": {},
                        "timestamp": "2026-02-10T09:00:00.000Z"}, "isSnapshotUpdate": False})
    t.prompt("2026-02-10T09:00:00.000Z", "Find out why checkout is slow and plan a fix.")

    # WebSearch (6.47383981 s by its own count) and Glob in parallel.
    m = "msg_01V2R1bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:00:02.000Z", m, "toolu_01V2WebSearchbbbbbbbbb", "WebSearch", {"query": "node checkout latency"})
    t.use("2026-02-10T09:00:02.100Z", m, "toolu_01V2Globbbbbbbbbbbbbbb", "Glob", {"pattern": "**/*.ts"})
    t.result("2026-02-10T09:00:02.335Z", "toolu_01V2Globbbbbbbbbbbbbbb", "src/checkout.ts",
             {"filenames": ["src/checkout.ts"], "durationMs": 230, "numFiles": 1, "truncated": False})
    t.result("2026-02-10T09:00:08.480Z", "toolu_01V2WebSearchbbbbbbbbb", "Web search results for query: \"node checkout latency\"",
             {"query": "node checkout latency", "results": [], "durationSeconds": 6.47383981})
    # WebFetch: 5249 ms by its own count, 5252 between the lines.
    m = "msg_01V2R2bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:00:10.000Z", m, "toolu_01V2WebFetchbbbbbbbbbb", "WebFetch",
          {"url": "https://example.com/perf", "prompt": "What slows checkout?"})
    t.result("2026-02-10T09:00:15.252Z", "toolu_01V2WebFetchbbbbbbbbbb", "Synchronous I/O in the request path.",
             {"bytes": 4096, "code": 200, "codeText": "OK", "result": "Synchronous I/O in the request path.",
              "durationMs": 5249, "url": "https://example.com/perf"})
    # A Bash with progress lines: 2.5 s from the timestamps.
    m = "msg_01V2R3bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:00:16.000Z", m, "toolu_01V2Bashbbbbbbbbbbbbbb", "Bash",
          {"command": "npm run bench -- checkout", "description": "Benchmark checkout"})
    t.progress("2026-02-10T09:00:16.010Z", "toolu_01V2Bashbbbbbbbbbbbbbb",
               {"type": "hook_progress", "hookEvent": "PreToolUse", "hookName": "PreToolUse:Bash", "command": "guard.sh"})
    t.progress("2026-02-10T09:00:17.500Z", "toolu_01V2Bashbbbbbbbbbbbbbb",
               {"type": "bash_progress", "output": "running", "fullOutput": "running", "elapsedTimeSeconds": 1,
                "totalLines": 1, "timeoutMs": 120000})
    t.result("2026-02-10T09:00:18.500Z", "toolu_01V2Bashbbbbbbbbbbbbbb", "checkout: 412 ms/op",
             {"stdout": "checkout: 412 ms/op", "stderr": "", "interrupted": False, "isImage": False})
    # A Task whose sub-agent (agent-a1b2c3d.jsonl) reads three files in
    # parallel; one read fails and cancels the other two. The session file
    # has agent_progress copies of the sub-agent's calls. 45626 ms by
    # totalDurationMs.
    m = "msg_01V2R4bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:00:20.000Z", m, "toolu_01V2Taskbbbbbbbbbbbbbb", "Task",
          {"description": "Profile checkout", "prompt": "Read the checkout code and find blocking calls.",
           "subagent_type": "Explore"})
    for i, (tid, name) in enumerate([("toolu_01V2SubRead1ccccccccccc", "Read"), ("toolu_01V2SubRead2ccccccccccc", "Read")]):
        t.progress("2026-02-10T09:00:2%d.000Z" % (2 + i), "toolu_01V2Taskbbbbbbbbbbbbbb",
                   {"type": "agent_progress", "agentId": "a1b2c3d", "prompt": "",
                    "message": {"type": "assistant", "timestamp": "2026-02-10T09:00:22.000Z",
                                "message": {"id": "msg_01V2Sub1cccccccccccccccc", "role": "assistant",
                                            "content": [{"type": "tool_use", "id": tid, "name": name,
                                                         "input": {"file_path": "/home/dev/shop/src/x.ts"}}]}}})
    t.result("2026-02-10T09:01:05.662Z", "toolu_01V2Taskbbbbbbbbbbbbbb",
             [{"type": "text", "text": "checkout.ts calls readFileSync on every request."},
              {"type": "text", "text": "agentId: a1b2c3d (for resuming to continue this agent's work if needed)\n<usage>total_tokens: 31000\ntool_uses: 4\nduration_ms: 45630</usage>"}],
             {"status": "completed", "agentId": "a1b2c3d", "prompt": "Read the checkout code and find blocking calls.",
              "content": [{"type": "text", "text": "checkout.ts calls readFileSync on every request."}],
              "totalDurationMs": 45626, "totalTokens": 31000, "totalToolUseCount": 4})
    t.system("2026-02-10T09:01:06.000Z", "turn_duration", durationMs=66000, messageCount=18)

    # The user answers a question after 135.304 s; a plan is approved.
    t.prompt("2026-02-10T09:05:00.000Z", "Go on.")
    m = "msg_01V2R5bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:05:01.000Z", m, "toolu_01V2AskUserbbbbbbbbbbb", "AskUserQuestion",
          {"questions": [{"question": "Cache the file or read it at start-up?", "header": "Fix",
                          "options": [{"label": "Cache", "description": "Keep it in memory"},
                                      {"label": "Start-up", "description": "Read once at start"}],
                          "multiSelect": False}]})
    t.result("2026-02-10T09:07:16.304Z", "toolu_01V2AskUserbbbbbbbbbbb",
             "User has answered your questions: \"Cache the file or read it at start-up?\"=\"Start-up\".",
             {"questions": [], "answers": {"Cache the file or read it at start-up?": "Start-up"}})
    m = "msg_01V2R6bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:07:20.000Z", m, "toolu_01V2ExitPlanbbbbbbbbbb", "ExitPlanMode",
          {"plan": "Read the price table once at start-up."})
    t.result("2026-02-10T09:07:50.000Z", "toolu_01V2ExitPlanbbbbbbbbbb", "User has approved your plan.",
             {"plan": "Read the price table once at start-up.", "isAgent": False})

    # Compaction: the boundary, its summary, and work after it (an Edit of
    # 88 ms) in the same file.
    t.system("2026-02-10T09:10:00.000Z", "compact_boundary", content="Conversation compacted", level="info",
             compactMetadata={"trigger": "auto", "preTokens": 155000}, logicalParentUuid=t.parent)
    t.lines[-1]["parentUuid"] = None
    t.prompt("2026-02-10T09:10:00.100Z",
             "This session is being continued from a previous conversation that ran out of context. Summary: "
             "checkout reads its price table on every request; the plan is to read it once at start-up.")
    t.lines[-1]["isCompactSummary"] = True
    m = "msg_01V2R7bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:10:05.000Z", m, "toolu_01V2Editbbbbbbbbbbbbbb", "Edit",
          {"file_path": "/home/dev/shop/src/checkout.ts", "old_string": "readFileSync(PRICES)",
           "new_string": "PRICE_TABLE"})
    t.result("2026-02-10T09:10:05.088Z", "toolu_01V2Editbbbbbbbbbbbbbb",
             "The file /home/dev/shop/src/checkout.ts has been updated successfully.",
             {"filePath": "/home/dev/shop/src/checkout.ts", "oldString": "readFileSync(PRICES)",
              "newString": "PRICE_TABLE", "originalFile": "", "structuredPatch": [], "userModified": False,
              "replaceAll": False})
    # Two parallel Bash calls the user rejected at the permission prompt
    # (1363 ms after the first was asked for).
    m = "msg_01V2R8bbbbbbbbbbbbbbbbbb"
    t.use("2026-02-10T09:11:00.000Z", m, "toolu_01V2RejBash1bbbbbbbbbb", "Bash",
          {"command": "npm run deploy", "description": "Deploy"})
    t.use("2026-02-10T09:11:00.050Z", m, "toolu_01V2RejBash2bbbbbbbbbb", "Bash",
          {"command": "git push", "description": "Push"})
    t.result("2026-02-10T09:11:01.363Z", "toolu_01V2RejBash1bbbbbbbbbb", REJECT, "Error: The user doesn't want to proceed with this tool use.", is_error=True)
    t.result("2026-02-10T09:11:01.364Z", "toolu_01V2RejBash2bbbbbbbbbb", REJECT, "Error: The user doesn't want to proceed with this tool use.", is_error=True)
    t.user_text("2026-02-10T09:11:01.365Z", "[Request interrupted by user for tool use]")
    t.raw({"type": "queue-operation", "operation": "enqueue", "timestamp": "2026-02-10T09:11:02.000Z",
           "sessionId": S2, "content": "stop for today"})
    dump("claude-2.1/projects/%s/%s.jsonl" % (PROJ, S2), t.lines)

    # The sub-agent's file: its lines carry the session's id, isSidechain
    # and the agent id. Three Reads of one response: the first fails after
    # 2 ms; its siblings are cancelled 1 ms after their own blocks; then a
    # Grep (310 ms) and a Read (271 ms) of 32146 bytes.
    a = Transcript(S2, "2.1.39", sidechain=True, agent="a1b2c3d", prefix="c")
    a.prompt("2026-02-10T09:00:20.100Z", "Read the checkout code and find blocking calls.")
    m = "msg_01V2Sub1cccccccccccccccc"
    a.use("2026-02-10T09:00:22.000Z", m, "toolu_01V2SubRead1ccccccccccc", "Read", {"file_path": "/home/dev/shop/src/x.ts"})
    a.use("2026-02-10T09:00:22.010Z", m, "toolu_01V2SubRead2ccccccccccc", "Read", {"file_path": "/home/dev/shop/src/checkout.ts"})
    a.use("2026-02-10T09:00:22.020Z", m, "toolu_01V2SubRead3ccccccccccc", "Read", {"file_path": "/home/dev/shop/src/cart.ts"})
    a.result("2026-02-10T09:00:22.002Z", "toolu_01V2SubRead1ccccccccccc",
             "<tool_use_error>File does not exist.</tool_use_error>", tur_absent=True, is_error=True)
    a.result("2026-02-10T09:00:22.011Z", "toolu_01V2SubRead2ccccccccccc",
             "<tool_use_error>Sibling tool call errored</tool_use_error>", tur_absent=True, is_error=True)
    a.result("2026-02-10T09:00:22.021Z", "toolu_01V2SubRead3ccccccccccc",
             "<tool_use_error>Sibling tool call errored</tool_use_error>", tur_absent=True, is_error=True)
    m = "msg_01V2Sub2cccccccccccccccc"
    a.use("2026-02-10T09:00:30.000Z", m, "toolu_01V2SubGrepccccccccccc", "Grep",
          {"pattern": "readFileSync", "path": "/home/dev/shop/src", "output_mode": "files_with_matches"})
    a.result("2026-02-10T09:00:30.310Z", "toolu_01V2SubGrepccccccccccc", "Found 1 file\nsrc/checkout.ts", tur_absent=True)
    m = "msg_01V2Sub3cccccccccccccccc"
    a.use("2026-02-10T09:00:40.000Z", m, "toolu_01V2SubRead4ccccccccccc", "Read", {"file_path": "/home/dev/shop/src/checkout.ts"})
    a.result("2026-02-10T09:00:40.271Z", "toolu_01V2SubRead4ccccccccccc", "x" * 4096, tur_absent=True)
    a.text("2026-02-10T09:01:05.000Z", "msg_01V2Sub4cccccccccccccccc", "checkout.ts calls readFileSync on every request.")
    dump("claude-2.1/projects/%s/%s/subagents/agent-a1b2c3d.jsonl" % (PROJ, S2), a.lines)

    # The compaction helper: one prompt and one answer, no tool calls.
    c = Transcript(S2, "2.1.39", sidechain=True, agent="acompact-5e6f70", prefix="d")
    c.prompt("2026-02-10T09:09:50.000Z", "Your task is to create a detailed summary of the conversation so far.")
    c.text("2026-02-10T09:09:59.000Z", "msg_01V2Compactddddddddddd",
           "<summary>checkout reads its price table on every request</summary>")
    dump("claude-2.1/projects/%s/%s/subagents/agent-acompact-5e6f70.jsonl" % (PROJ, S2), c.lines)


# ---- hook payloads before 2.1.119 (no duration_ms) -------------------------------

def hooks():
    S = "6f7a8b9c-0d1e-4f20-8a31-425364758697"
    T = "/home/dev/.claude/projects/-home-dev-shop/%s.jsonl" % S

    def post(tid, tool, inp, resp, event=True):
        d = {"session_id": S, "transcript_path": T, "cwd": CWD, "permission_mode": "default"}
        if event:
            d["hook_event_name"] = "PostToolUse"
        d.update({"tool_name": tool, "tool_input": inp, "tool_response": resp, "tool_use_id": tid})
        return d

    read = lambda path, content, **kw: {"type": "text", "file": dict(filePath=path, content=content, **kw)}
    payloads = [
        post("toolu_01H0Bash1dddddddddddddd", "Bash", {"command": "python3 -m venv .venv", "description": "Create a virtual environment"},
             {"stdout": "", "stderr": "", "interrupted": False, "isImage": False}),
        post("toolu_01H0Read1dddddddddddddd", "Read", {"file_path": "/home/dev/shop/app.py"},
             read("/home/dev/shop/app.py", "import os\n" * 40, numLines=40, startLine=1, totalLines=40)),
        post("toolu_01H0Read2dddddddddddddd", "Read", {"file_path": "/home/dev/shop/tests/test_app.py", "offset": 469, "limit": 12},
             read("/home/dev/shop/tests/test_app.py", "assert x\n" * 12, numLines=12, startLine=469, totalLines=600)),
        post("toolu_01H0Edit1dddddddddddddd", "Edit", {"file_path": "/home/dev/shop/app.py", "old_string": "import os", "new_string": "import os, sys"},
             {"filePath": "/home/dev/shop/app.py", "oldString": "import os", "newString": "import os, sys",
              "originalFile": "import os\n", "structuredPatch": [], "userModified": False, "replaceAll": False}),
        post("toolu_01H0Write1ddddddddddddd", "Write", {"file_path": "/home/dev/shop/NOTES.md", "content": "# Notes\n"},
             {"type": "create", "filePath": "/home/dev/shop/NOTES.md", "content": "# Notes\n", "structuredPatch": []}),
        post("toolu_01H0Grep1dddddddddddddd", "Grep", {"pattern": "def test_", "path": "/home/dev/shop/tests", "output_mode": "files_with_matches", "head_limit": 20},
             {"mode": "files_with_matches", "filenames": ["tests/test_app.py"], "numFiles": 1}),
        post("toolu_01H0Glob1dddddddddddddd", "Glob", {"pattern": "**/*.py"},
             {"filenames": ["/home/dev/shop/app.py"], "durationMs": 12, "numFiles": 1, "truncated": False}),
        post("toolu_01H0Task1dddddddddddddd", "Task",
             {"description": "Review the tests", "prompt": "Review tests/ for flaky tests.", "subagent_type": "general-purpose", "run_in_background": True},
             {"status": "async_launched", "agentId": "a9f8e7d", "description": "Review the tests",
              "prompt": "Review tests/ for flaky tests.", "outputFile": "/tmp/claude/a9f8e7d.output", "isAsync": True}),
        post("toolu_01H0TaskCreatedddddddd", "TaskCreate", {"subject": "Fix flaky test", "description": "test_app is flaky"},
             {"task": {"id": "1", "subject": "Fix flaky test"}}),
        post("toolu_01H0TaskUpdatedddddddd", "TaskUpdate", {"taskId": "1", "status": "in_progress"},
             {"success": True, "taskId": "1", "updatedFields": ["status"], "statusChange": {"from": "pending", "to": "in_progress"}}),
        post("toolu_01H0TaskOutputdddddddd", "TaskOutput", {"task_id": "a9f8e7d", "block": True},
             {"retrieval_status": "success", "task": {"task_id": "a9f8e7d", "status": "completed"}}),
        post("toolu_01H0Skill1ddddddddddddd", "Skill", {"skill": "pdf"},
             {"success": True, "commandName": "pdf"}),
        # Before hook_event_name existed (1.0.41), and through a gateway that
        # hands out its own call ids.
        post("call_8GmV2xq0Zr4d1TnW5yKj", "Bash", {"command": "pytest -q", "description": "Run the tests"},
             {"stdout": "3 passed", "stderr": "", "interrupted": False, "isImage": False}, event=False),
    ]
    dump_json("hooks/post_tool_use.json", payloads)

    def fail(ts, tid, cmd, error):
        return {"timestamp": ts, "raw_input": {"session_id": S, "transcript_path": T, "cwd": CWD,
                                               "permission_mode": "default", "hook_event_name": "PostToolUseFailure",
                                               "tool_name": "Bash", "tool_input": {"command": cmd}, "tool_use_id": tid,
                                               "error": error, "is_interrupt": False}}

    failures = [
        fail("2026-02-11T00:35:21.710859", "toolu_01H0Fail1dddddddddddddd", "python -m pytest tests/test_app.py",
             "Exit code 127\n(eval):1: command not found: python"),
        fail("2026-02-11T00:36:02.004211", "toolu_01H0Fail2dddddddddddddd", "python3 -m pytest tests/test_app.py",
             "Exit code 1\nFAILED tests/test_app.py::test_total"),
        fail("2026-02-11T00:40:45.500000", "toolu_01H0Fail3dddddddddddddd", "ruff check .",
             "Exit code 1\napp.py:1:8: F401 `sys` imported but unused"),
    ]
    dump_json("hooks/post_tool_use_failure.json", failures)


# ---- an OTLP/HTTP JSON logs export without tool details ------------------------
#
# As 2.1.138 sent it: tool_result numbers as strings, booleans as strings,
# event.sequence as a bare intValue number in one record and as a string in
# the other, api_request numbers typed; no tool_input or tool_parameters
# (OTEL_LOG_TOOL_DETAILS unset), so no targets.

def otlp():
    def s(k, v):
        return {"key": k, "value": {"stringValue": v}}

    def i(k, v):
        return {"key": k, "value": {"intValue": v}}

    def rec(ts_iso, nanos, body, attrs):
        return {"timeUnixNano": nanos, "observedTimeUnixNano": nanos, "body": {"stringValue": body},
                "attributes": attrs, "droppedAttributesCount": 0}

    common = [s("user.id", "5b3c0f1e9a"), s("session.id", "7c1d2e3f-4a5b-4c6d-8e7f-809102030405"),
              s("terminal.type", "xterm-256color")]
    P = "0f0e0d0c-0b0a-4908-8706-050403020100"
    records = [
        rec("2026-05-01T08:00:00.100Z", "1777622400100000000", "claude_code.hook_registered",
            common + [s("event.name", "hook_registered"), s("event.timestamp", "2026-05-01T08:00:00.100Z"),
                      i("event.sequence", 1), s("hook_event", "PostToolUse")]),
        rec("2026-05-01T08:00:01.000Z", "1777622401000000000", "claude_code.user_prompt",
            common + [s("event.name", "user_prompt"), s("event.timestamp", "2026-05-01T08:00:01.000Z"),
                      i("event.sequence", 2), s("prompt.id", P), s("prompt_length", "41"), s("prompt", "<REDACTED>")]),
        rec("2026-05-01T08:00:03.000Z", "1777622403000000000", "claude_code.api_request",
            common + [s("event.name", "api_request"), s("event.timestamp", "2026-05-01T08:00:03.000Z"),
                      i("event.sequence", 3), s("prompt.id", P), s("model", "claude-sonnet-4-5"),
                      {"key": "cost_usd", "value": {"doubleValue": 0.0213}}, i("duration_ms", 1893),
                      i("input_tokens", 5), i("output_tokens", 120), i("cache_read_tokens", 18000)]),
        rec("2026-05-01T08:00:03.010Z", "1777622403010000000", "claude_code.tool_decision",
            common + [s("event.name", "tool_decision"), s("event.timestamp", "2026-05-01T08:00:03.010Z"),
                      i("event.sequence", 4), s("tool_name", "Read"), s("tool_use_id", "toolu_01O0Read1eeeeeeeeeeeeee"),
                      s("decision", "accept"), s("source", "config")]),
        # Read: 2 ms, ended 08:00:03.040.
        rec("2026-05-01T08:00:03.040Z", "1777622403040000000", "claude_code.tool_result",
            common + [s("event.name", "tool_result"), s("event.timestamp", "2026-05-01T08:00:03.040Z"),
                      i("event.sequence", 5), s("prompt.id", P), s("tool_name", "Read"),
                      s("tool_use_id", "toolu_01O0Read1eeeeeeeeeeeeee"), s("success", "true"), s("duration_ms", "2"),
                      s("tool_input_size_bytes", "72"), s("tool_result_size_bytes", "43"),
                      s("decision_type", "accept"), s("decision_source", "config")]),
        # Bash: failed after 1530 ms, ended 08:00:05.000; event.sequence as
        # a string.
        rec("2026-05-01T08:00:05.000Z", "1777622405000000000", "claude_code.tool_result",
            common + [s("event.name", "tool_result"), s("event.timestamp", "2026-05-01T08:00:05.000Z"),
                      i("event.sequence", "6"), s("prompt.id", P), s("tool_name", "Bash"),
                      s("tool_use_id", "toolu_01O0Bash1eeeeeeeeeeeeee"), s("success", "false"),
                      s("duration_ms", "1530"), s("error_type", "ShellError"), s("tool_input_size_bytes", "40"),
                      s("tool_result_size_bytes", "120")]),
        rec("2026-05-01T08:00:06.000Z", "1777622406000000000", "claude_code.api_request",
            common + [s("event.name", "api_request"), s("event.timestamp", "2026-05-01T08:00:06.000Z"),
                      i("event.sequence", 7), s("model", "claude-sonnet-4-5"), i("duration_ms", "950"),
                      {"key": "cost_usd", "value": {"doubleValue": 0.0071}}]),
    ]
    body = {"resourceLogs": [{"resource": {"attributes": [s("service.name", "claude-code"), s("service.version", "2.1.138"),
                                                          s("os.type", "linux"), s("host.arch", "amd64")],
                                           "droppedAttributesCount": 0},
                              "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.138"},
                                             "logRecords": records}]}]}
    path = os.path.join(HERE, "otlp/logs-2.1.138.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(body, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    v1()
    v1017()
    v2()
    hooks()
    otlp()
