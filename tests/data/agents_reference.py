#!/usr/bin/env python3
"""agents_reference.py - what the unit tests assert about the recordings of
Codex CLI, Gemini CLI and OpenCode in recorded/agents/ (and the hand-made
files in agents/), worked out from the files with Python's json module and
the formats' documentation, independently of toolprof's C code.

    python3 tests/data/agents_reference.py

prints, per file, each call (id, tool, outcome, start, wall and exec in
ms, and the rule that gave them), then the counts per tool, the turns and
the model requests. test_codex.c, test_gemini.c and test_opencode.c hold
these numbers; after a new recording (tests/agents/record.mjs) run this and
update them (tests/data/MANIFEST.md, "Other agents").

The rules, from the formats (docs/time.md, "Codex CLI", "Gemini CLI",
"OpenCode"):
  Codex     a call's end is its item_completed/exec_command_end event when
            the rollout has one, else its output line; approval "never"
            (or a tool that never asks): exec = wall; failure = a non-zero
            exit code, a failed status.
  Gemini    start = the clock in the call id ("name_<13 digits>_<n>"), end =
            the call's timestamp; exec = wall only for tools that never ask;
            the last record of a message wins; calls are counted once.
  OpenCode  wall = state.time.end - start; exec = wall when the permission
            is "allow"; failure = status error or bash exit != 0.
"""
import datetime
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def ms(iso):
    return int(round(datetime.datetime.fromisoformat(iso.replace('Z', '+00:00')).timestamp() * 1000))


def exit_code(text):
    """The code on a header line (before a line 'Output:'), else the last one."""
    if text is None:
        return None
    head = text.split('\nOutput:\n')[0] if '\nOutput:\n' in text else text
    code = None
    for line in head.split('\n'):
        m = re.match(r'\s*(Process exited with code|Exit code:|Command exited with code:)\s*(-?\d+)', line, re.I)
        if m:
            code = int(m.group(2))
            if '\nOutput:\n' in text:
                break
    return code


# ---- Codex ---------------------------------------------------------------------

CODEX_NEVER_ASK = {'read_file', 'list_dir', 'grep_files', 'view_image', 'update_plan', 'web_search',
                   'tool_search', 'get_goal', 'create_goal', 'update_goal', 'write_stdin',
                   'spawn_agent', 'send_input', 'wait_agent', 'resume_agent', 'close_agent', 'wait',
                   'request_user_input'}


def codex(path, limit=None, final=True):
    data = open(path, 'rb').read()
    if limit is not None:
        data = data[:limit]
    lines = data.decode('utf-8').split('\n')
    if limit is not None:
        lines = lines[:-1]  # the part after the last newline is not complete
    session = policy = None
    calls, ends, out, turns, reqs = {}, {}, [], 0, 0
    groups, group, last_call, usage_record = {}, 0, False, False
    turn_start = None

    def finish(cid, r, text, how=None):
        name, start, pol, grp = calls.pop(cid)
        e = ends.pop(cid, None)
        if how:
            out.append(dict(id=cid, tool=name, ok=False, outcome=how, start=start))
            return
        meta = {}
        if text.startswith('{"output"'):
            j = json.loads(text)
            meta = j.get('metadata') or {}
            text = j.get('output') or ''
        code = e['exit'] if e and e['exit'] is not None else meta.get('exit_code', exit_code(text))
        cmd = e['cmd'] if e and e['cmd'] is not None else (
            meta['duration_seconds'] * 1000 if 'duration_seconds' in meta else None)
        rejected = 'rejected by user' in text
        failed = (code or 0) > 0 or (e and e['failed']) or rejected
        end = e['end'] if e else ms(r['timestamp'])
        wall = end - start
        exact = 'derived' if e or groups[grp] == 1 else 'estimated'
        if e and e.get('mcp'):
            name = e['mcp']
        if rejected:
            exec_, wait, wall = None, wall, None
        elif pol == 'never' or name in CODEX_NEVER_ASK:
            exec_, wait = wall, 0
        else:
            exec_, wait = (round(cmd) if cmd is not None else None), None
        out.append(dict(id=cid, tool=name, ok=not failed, exit=code, start=start, wall=wall,
                        exec=exec_, wait=wait, exactness=exact, parallel=groups[grp] > 1,
                        outcome='rejected' if rejected else None))

    for l in lines:
        if not l.strip():
            continue
        r = json.loads(l)
        t, p = r.get('type'), r.get('payload') or {}
        pt = p.get('type')
        if t == 'session_meta' and session is None:
            session = p['id']
        elif t == 'turn_context':
            policy = p.get('approval_policy')
        elif t == 'token_usage_record':
            reqs += 1
            usage_record = True
        elif t == 'response_item' and pt in ('function_call', 'custom_tool_call', 'local_shell_call'):
            if not last_call:
                group += 1
            last_call = True
            groups[group] = groups.get(group, 0) + 1
            calls[p['call_id']] = (p.get('name', 'local_shell'), ms(r['timestamp']), policy, group)
        elif t == 'response_item' and pt in ('function_call_output', 'custom_tool_call_output'):
            last_call = False
            if p['call_id'] in calls:
                o = p['output']
                finish(p['call_id'], r, o if isinstance(o, str) else json.dumps(o))
        elif t == 'response_item' and pt == 'web_search_call':
            last_call = False
            out.append(dict(id=p['id'], tool='web_search', ok=True, start=ms(r['timestamp']),
                            wall=None, exec=None))
        elif t == 'response_item' and pt in ('message', 'reasoning'):
            last_call = False
        elif t == 'event_msg' and pt == 'item_completed':
            it = p['item']
            if it.get('type') in ('CommandExecution', 'FileChange', 'McpToolCall', 'WebSearch'):
                d = it.get('duration')
                ends[it['id']] = dict(end=p.get('completed_at_ms') or ms(r['timestamp']),
                                      exit=it.get('exit_code'),
                                      failed=it.get('status') in ('failed', 'declined'),
                                      cmd=d['secs'] * 1000 + d['nanos'] / 1e6 if d else None)
        elif t == 'event_msg' and pt in ('exec_command_end', 'patch_apply_end', 'mcp_tool_call_end'):
            d = p.get('duration')
            inv = p.get('invocation') or {}
            res = p.get('result') or {}
            ends[p['call_id']] = dict(
                end=ms(r['timestamp']), exit=p.get('exit_code'),
                failed=p.get('success') is False or 'Err' in res or
                (res.get('Ok') or {}).get('isError') is True,
                cmd=d['secs'] * 1000 + d['nanos'] / 1e6 if d else None,
                mcp='mcp__%s__%s' % (inv['server'], inv['tool']) if inv else None)
        elif t == 'event_msg' and pt == 'task_started':
            turn_start = ms(r['timestamp'])
        elif t == 'event_msg' and pt == 'token_count':
            if usage_record:
                usage_record = False
            elif (p.get('info') or {}).get('last_token_usage'):
                reqs += 1
        elif t == 'event_msg' and pt in ('task_complete', 'turn_aborted'):
            if turn_start is not None or p.get('duration_ms') is not None:
                turns += 1
            turn_start = None
            if pt == 'turn_aborted':
                for cid in list(calls):
                    finish(cid, r, '', 'interrupted')
    if final:
        for cid in list(calls):
            finish(cid, None, '', 'lost')
    return dict(session=session, calls=out, turns=turns, requests=reqs)


# ---- Gemini ----------------------------------------------------------------------

GEMINI_NEVER_ASK = {'read_file', 'read_many_files', 'glob', 'grep_search', 'grep',
                    'search_file_content', 'list_directory', 'google_web_search', 'write_todos',
                    'list_background_processes', 'read_background_output', 'update_topic',
                    'invoke_agent', 'get_internal_docs', 'complete_task'}


def gemini(path):
    calls, reqs, session = {}, {}, None
    if path.endswith('.json'):
        doc = json.load(open(path, encoding='utf-8'))
        records = [{k: v for k, v in doc.items() if k != 'messages'}] + doc['messages']
    else:
        records = [json.loads(l) for l in open(path, encoding='utf-8') if l.strip()]
    for r in records:
        msgs = []
        if '$set' in r:
            msgs = r['$set'].get('messages') or []
        elif 'sessionId' in r and 'projectHash' in r:
            session = session or r['sessionId']
        elif 'id' in r:
            msgs = [r]
        for m in msgs:
            if m.get('type') != 'gemini':
                continue
            mts = ms(m['timestamp'])
            for c in m.get('toolCalls') or []:
                clk = re.search(r'_(\d{13})_\d+$', c['id'])
                end = ms(c['timestamp'])
                start = int(clk.group(1)) if clk and int(clk.group(1)) <= end else mts
                resp = None
                for part in c.get('result') or []:
                    if 'functionResponse' in part:
                        resp = part['functionResponse'].get('response')
                output = (resp or {}).get('output')
                code = exit_code(output) if c['name'] == 'run_shell_command' else None
                ok = c['status'] == 'success' and not (code or 0) > 0
                wall = end - start
                calls[c['id']] = dict(id=c['id'], tool=c['name'], ok=ok, exit=code, start=start,
                                      wall=wall, exec=wall if c['name'] in GEMINI_NEVER_ASK else None)
            if m.get('tokens'):
                reqs[m['id']] = m['tokens']
    for r in records:
        if 'sessionId' in r and 'projectHash' in r:
            session = r['sessionId']
            break
    return dict(session=session, calls=sorted(calls.values(), key=lambda c: (c['start'], c['id'])),
                requests=len(reqs))


# ---- OpenCode ------------------------------------------------------------------------

def opencode(path):
    rows = json.load(open(path))
    out = []
    for p in rows['part']:
        d = json.loads(p['data'])
        if d.get('type') != 'tool' or d['state']['status'] not in ('completed', 'error'):
            continue
        st = d['state']
        code = (st.get('metadata') or {}).get('exit')
        ok = st['status'] == 'completed' and not (code or 0) > 0
        wall = st['time']['end'] - st['time']['start']
        out.append(dict(id=p['id'], tool=d['tool'], ok=ok, exit=code, start=st['time']['start'],
                        wall=wall, exec=wall, error=st.get('error')))
    reqs = [m for m in rows['message'] if json.loads(m['data']).get('role') == 'assistant'
            and json.loads(m['data']).get('time', {}).get('completed')]
    users = [m for m in rows['message'] if json.loads(m['data']).get('role') == 'user']
    return dict(calls=out, requests=len(reqs), turns=len(users))


def opencode_tree(root):
    out = []
    for d, _, fs in sorted(os.walk(os.path.join(root, 'part'))):
        for f in sorted(fs):
            if not f.endswith('.json'):
                continue
            p = json.load(open(os.path.join(d, f)))
            st = p.get('state') or {}
            if p.get('type') != 'tool' or st.get('status') not in ('completed', 'error'):
                continue
            code = (st.get('metadata') or {}).get('exit')
            wall = st['time']['end'] - st['time']['start']
            rejected = 'rejected permission' in (st.get('error') or '')
            out.append(dict(id=p['id'], tool=p['tool'], ok=st['status'] == 'completed' and not (code or 0) > 0,
                            exit=code, start=st['time']['start'],
                            wall=None if rejected else wall,
                            wait=wall if rejected else 0,
                            exec=None if rejected else wall))
    msgs = 0
    for d, _, fs in os.walk(os.path.join(root, 'message')):
        for f in fs:
            m = json.load(open(os.path.join(d, f)))
            msgs += m.get('role') == 'assistant'
    return dict(calls=out, requests=msgs)


def show(title, res):
    print(f'== {title}')
    for k, v in res.items():
        if k != 'calls':
            print(f'   {k}: {v}')
    per = {}
    for c in res['calls']:
        per.setdefault(c['tool'], [0, 0])
        per[c['tool']][0] += 1
        per[c['tool']][1] += 0 if c['ok'] else 1
        print('   ' + json.dumps(c))
    print('   per tool (calls, failed):', json.dumps(per, sort_keys=True))


def main():
    rec = os.path.join(HERE, 'recorded', 'agents')
    meta = json.load(open(os.path.join(rec, 'record.json')))
    cx = os.path.join(rec, 'codex', meta['codex']['rollout'])
    show('codex (recorded, whole)', codex(cx))
    show(f'codex (recorded, first {meta["codex"]["bytes_after_turn1"]} bytes)',
         codex(cx, meta['codex']['bytes_after_turn1']))
    show('gemini (recorded)', gemini(os.path.join(rec, 'gemini', meta['gemini']['chat'])))
    show('opencode (recorded)', opencode(os.path.join(rec, 'opencode', 'rows.json')))
    hand = os.path.join(HERE, 'agents')
    if os.path.isdir(hand):
        for f in sorted(os.listdir(hand)):
            p = os.path.join(hand, f)
            if f.startswith('codex') and f.endswith('.jsonl'):
                show(f'codex (by hand) {f}', codex(p))
        for d, _, fs in sorted(os.walk(os.path.join(hand, 'gemini'))):
            for f in sorted(fs):
                if f.endswith('.jsonl') or f.endswith('.json'):
                    show('gemini (by hand) ' + os.path.relpath(os.path.join(d, f), hand),
                         gemini(os.path.join(d, f)))
        show('opencode (by hand) storage', opencode_tree(os.path.join(hand, 'opencode', 'storage')))


if __name__ == '__main__':
    sys.exit(main())
