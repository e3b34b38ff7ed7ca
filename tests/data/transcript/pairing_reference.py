# pairing_reference.py - an independent re-implementation of the pairing
# rules of src/ingest/transcript.h (all but mcp_progress and PreToolUse hook
# time, which the synthetic cases of test_transcript.c cover), used to work
# out the numbers that tests/unit/test_transcript.c and test_importer.c
# assert (tests/data/reference.py prints them for every transcript in
# tests/data). The tests do not run it. Usage:
#   python3 tests/data/transcript/pairing_reference.py FILE.jsonl [...]
# prints one line per call: id, tool, start ms, duration ms (nan when
# unknown), success, result bytes, error. Its output over every transcript
# in tests/data matches the C parser's exactly (sorted, durations compared
# to 1e-6 ms).
import json, sys, math
from datetime import datetime, timezone
SERIAL = {"Edit","Write","MultiEdit","NotebookEdit","TodoWrite"}
HUMAN = {"AskUserQuestion","ExitPlanMode","EnterPlanMode"}
LOST = 6*3600*1000
def ms(s):
    return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()*1000+0.5) if s else None
def text_of(c):
    if isinstance(c,str): return c
    if isinstance(c,list):
        for b in c:
            if isinstance(b,dict) and b.get('type')=='text' and isinstance(b.get('text'),str): return b['text']
    return None
def nbytes(c):
    if isinstance(c,str): return len(c.encode())
    if not isinstance(c,list): return -1
    n=0
    for b in c:
        if isinstance(b,dict):
            if isinstance(b.get('text'),str): n+=len(b['text'].encode())
            elif isinstance(b.get('source'),dict) and isinstance(b['source'].get('data'),str): n+=len(b['source']['data'].encode())
    return n
def selfdur(name,tur):
    if not isinstance(tur,dict): return None
    def num(k):
        v=tur.get(k); return v if isinstance(v,(int,float)) and not isinstance(v,bool) else None
    if name in("Glob","WebFetch") and num("durationMs") is not None: return num("durationMs")
    if name=="WebSearch" and num("durationSeconds") is not None: return num("durationSeconds")*1000
    if name in("Task","Agent") and num("totalDurationMs") is not None: return num("totalDurationMs")
    return None
def usage_ms(c):
    import re
    texts=[c] if isinstance(c,str) else [b.get('text') for b in c if isinstance(b,dict) and isinstance(b.get('text'),str)] if isinstance(c,list) else []
    for t in texts:
        i=t.find('<usage>')
        if i<0: continue
        m=re.search(r'duration_ms: ([0-9.]+)', t[i:])
        if m: return float(m.group(1))
    return None
def firstline(s):
    if s is None: return None
    s=s.lstrip(' \t\r\n')
    if s.startswith('<tool_use_error>'): s=s[len('<tool_use_error>'):]
    import re
    l=re.split(r'[\r\n]',s)[0]
    i=l.find('</tool_use_error>')
    if i>=0: l=l[:i]
    l=l.rstrip(' \t')
    return l or None
def run(files):
    out=[]; pending={}; order=[]; done=set(); msgs={}
    def finish(cid, r, how, end):
        c=pending.pop(cid); order.remove(cid); done.add(cid)
        start=c['ts']; m=msgs.get(c['mid']) if c['mid'] else None
        if c['old'] and m and m['last']>start: start=m['last']
        op=dict(id=cid,tool=c['name'],dur=None,ok=1,err=None,rb=-1)
        if r and m:
            me=m['calls'][c['idx']]
            for j in range(c['idx']):
                y=m['calls'][j]
                if y['done'] is None or not(me['serial'] or y['serial']): continue
                if y['done']>start and y['done']<=r['ts']: start=y['done']
            me['done']=r['ts']
        if m:
            m['refs']-=1
            if m['refs']==0: del msgs[c['mid']]
        op['ts']=start
        op['wall']=r['ts']-c['ts'] if r else None
        if r:
            txt=text_of(r['content']); tur=r['tur']
            te=isinstance(tur,str) and tur.startswith('Error:')
            bi=isinstance(tur,dict) and tur.get('interrupted') is True
            rej=txt is not None and txt.startswith("The user doesn't want to proceed with this tool use")
            op['ok']=0 if (r['is_error'] or te or bi) else 1
            op['rb']=nbytes(r['content'])
            if not op['ok']:
                if rej: op['err']='rejected by user'
                elif bi or (txt or '').startswith('[Request interrupted by user'): op['err']='interrupted'
                else: op['err']=firstline(txt) or (firstline(tur) if isinstance(tur,str) else None) or 'error'
            sd=selfdur(c['name'],tur)
            if sd is not None and sd>=0: op['dur']=sd
            elif c['name'] in('Task','Agent') and usage_ms(r['content']) is not None: op['dur']=usage_ms(r['content'])
            elif c['name'] in HUMAN or rej: pass
            elif r['ts']>=start: op['dur']=max(0,r['ts']-start)
        else:
            op['ok']=0; op['err']='interrupted' if how=='i' else 'no result'
        out.append(op)
    for fn in files:
        for line in open(fn,encoding='utf-8',errors='replace'):
            if not line.strip(): continue
            try: d=json.loads(line)
            except Exception: continue
            if not isinstance(d,dict): continue
            t=d.get('type'); ts=ms(d.get('timestamp'))
            if t=='assistant':
                msg=d.get('message') or {}
                cont=msg.get('content')
                if not isinstance(cont,list): continue
                for b in cont:
                    if not isinstance(b,dict) or b.get('type')!='tool_use': continue
                    if not b.get('id') or not b.get('name') or ts is None: continue
                    if b['id'] in done or b['id'] in pending: continue
                    while order and pending[order[0]]['ts']<ts-LOST: finish(order[0],None,'l',0)
                    mid=msg.get('id')
                    c=dict(name=b['name'],ts=ts,mid=mid,old=(d.get('version') or '').split('.')[0] in('0','1'))
                    if mid:
                        m=msgs.setdefault(mid,dict(last=ts,refs=0,calls=[]))
                        m['last']=max(m['last'],ts); c['idx']=len(m['calls']); m['calls'].append(dict(serial=b['name'] in SERIAL,done=None)); m['refs']+=1
                    pending[b['id']]=c; order.append(b['id'])
            elif t=='user':
                cont=(d.get('message') or {}).get('content')
                intr=False; res=[]
                if isinstance(cont,str): intr=cont.startswith('[Request interrupted by user')
                elif isinstance(cont,list):
                    for b in cont:
                        if not isinstance(b,dict): continue
                        if b.get('type')=='tool_result': res.append(b)
                        elif b.get('type')=='text' and isinstance(b.get('text'),str) and b['text'].startswith('[Request interrupted by user'): intr=True
                for b in res:
                    i=b.get('tool_use_id')
                    if i not in pending or ts is None: continue
                    finish(i, dict(ts=ts,content=b.get('content'),tur=d.get('toolUseResult') if len(res)==1 else None,is_error=b.get('is_error') is True),'d',0)
                if intr and ts is not None:
                    while order: finish(order[0],None,'i',ts)
    while order: finish(order[0],None,'l',0)
    return out
if __name__=='__main__':
    for op in run(sys.argv[1:]):
        print("%s\t%s\t%d\t%s\t%d\t%d\t%s"%(op['id'],op['tool'],op['ts'],'nan' if op['dur'] is None else repr(float(op['dur'])),op['ok'],op['rb'],op['err'] or ''))
