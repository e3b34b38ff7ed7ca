/*
 * opencode.c - OpenCode's database and storage tree into operations (see
 * opencode.h).
 *
 * Both layouts hold the same JSON objects (sessions, messages, parts), so
 * one set of functions turns them into records: part_op() a tool part,
 * message_request() an assistant message. What they need besides the
 * object (the session's directory, version and parent, the message's
 * model, the project's permission rules) is looked up once per import run
 * and kept in the context: from the database by id, from the tree by path.
 *
 * Permissions (whether a call could have waited for an approval): the
 * rules are OpenCode's config files ($OPENCODE_CONFIG, the global
 * opencode.json[c] in $XDG_CONFIG_HOME/opencode or ~/.config/opencode, the
 * project's opencode.json[c] and .opencode/opencode.json[c]) and the
 * session's own ruleset. A permission key (bash, edit, webfetch, ... or
 * "*") that any of them sets to "ask", in any pattern or agent, means a
 * call of that key could have asked; the files are JSON with comments,
 * which are removed before parsing.
 *
 * This file holds the context of a run, the permissions, the records and
 * the storage tree; opencode_db.c reads the database through the same
 * record functions (declared in opencode_int.h).
 */
#include "opencode.h"
#include "opencode_int.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"

/* The largest config or storage file read. */
#define OC_MAX_FILE (16u * 1024 * 1024)
/* Permission keys remembered per project. */
#define OC_MAX_ASK_KEYS 64

/* ---- the context of a run ------------------------------------------------- */

struct oc_policy {
    char *directory;
    int all_ask; /* "*" asks */
    size_t nkeys;
    char *keys[OC_MAX_ASK_KEYS]; /* permission keys that ask */
};

struct opencode_ctx {
    struct kmap sess_ids;
    struct oc_session *sess;
    size_t nsess, asess;
    struct kmap pol_dirs;
    struct oc_policy *pol;
    size_t npol, apol;
    struct oc_policy global;
    int global_loaded;
};

struct opencode_ctx *opencode_ctx_new(void)
{
    struct opencode_ctx *x = xcalloc(1, sizeof *x);
    kmap_init(&x->sess_ids);
    kmap_init(&x->pol_dirs);
    return x;
}

static void policy_free(struct oc_policy *p)
{
    free(p->directory);
    for (size_t i = 0; i < p->nkeys; i++)
        free(p->keys[i]);
}

void opencode_ctx_free(struct opencode_ctx *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nsess; i++) {
        free(x->sess[i].id);
        free(x->sess[i].parent);
        free(x->sess[i].directory);
        free(x->sess[i].version);
    }
    for (size_t i = 0; i < x->npol; i++)
        policy_free(&x->pol[i]);
    policy_free(&x->global);
    free(x->sess);
    free(x->pol);
    kmap_free(&x->sess_ids);
    kmap_free(&x->pol_dirs);
    free(x);
}

/* ---- permissions ------------------------------------------------------------- */

static void policy_add(struct oc_policy *p, const char *key)
{
    if (strcmp(key, "*") == 0) {
        p->all_ask = 1;
        return;
    }
    for (size_t i = 0; i < p->nkeys; i++)
        if (strcmp(p->keys[i], key) == 0)
            return;
    if (p->nkeys < OC_MAX_ASK_KEYS)
        p->keys[p->nkeys++] = xstrdup(key);
}

/* Does a permission value hold "ask" ("ask", or {pattern: "ask"}, or a
 * list of such)? */
static int value_asks(const cJSON *v, int depth)
{
    if (cJSON_IsString(v))
        return strcmp(v->valuestring, "ask") == 0;
    if (depth > 4 || !(cJSON_IsObject(v) || cJSON_IsArray(v)))
        return 0;
    for (const cJSON *c = v->child; c; c = c->next)
        if (value_asks(c, depth + 1))
            return 1;
    return 0;
}

/* A "permission" member: "ask" for everything, or {key: value}. */
static void policy_from_permission(struct oc_policy *p, const cJSON *perm)
{
    if (cJSON_IsString(perm)) {
        if (strcmp(perm->valuestring, "ask") == 0)
            p->all_ask = 1;
        return;
    }
    if (!cJSON_IsObject(perm))
        return;
    for (const cJSON *c = perm->child; c; c = c->next)
        if (c->string && value_asks(c, 0))
            policy_add(p, c->string);
}

/* Remove // and block comments and trailing commas from JSON with
 * comments, in place. */
static void strip_jsonc(char *s)
{
    char *w = s;
    int in_str = 0;
    for (char *r = s; *r;) {
        if (in_str) {
            if (*r == '\\' && r[1]) {
                *w++ = *r++;
                *w++ = *r++;
                continue;
            }
            if (*r == '"')
                in_str = 0;
            *w++ = *r++;
        } else if (*r == '"') {
            in_str = 1;
            *w++ = *r++;
        } else if (r[0] == '/' && r[1] == '/') {
            while (*r && *r != '\n')
                r++;
        } else if (r[0] == '/' && r[1] == '*') {
            r += 2;
            while (*r && !(r[0] == '*' && r[1] == '/'))
                r++;
            if (*r)
                r += 2;
        } else if (*r == ',') {
            char *n = r + 1;
            while (*n == ' ' || *n == '\t' || *n == '\n' || *n == '\r')
                n++;
            if (*n == '}' || *n == ']')
                r++; /* a trailing comma */
            else
                *w++ = *r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* Read one config file's permission rules into p (a missing file adds
 * nothing). */
static void policy_from_file(struct oc_policy *p, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    char *text;
    size_t len;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        agentfile_slurp(fd, OC_MAX_FILE, &text, &len) != 0) {
        close(fd);
        return;
    }
    close(fd);
    strip_jsonc(text);
    char eb[TP_ERR_MAX];
    cJSON *j = jin_parse(text, strlen(text), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    free(text);
    if (!j)
        return;
    policy_from_permission(p, jin_get(j, "permission"));
    static const char *const groups[] = {"agent", "mode"};
    for (size_t g = 0; g < 2; g++) {
        const cJSON *agents = jin_get(j, groups[g]);
        if (cJSON_IsObject(agents))
            for (const cJSON *a = agents->child; a; a = a->next)
                policy_from_permission(p, jin_get(a, "permission"));
    }
    cJSON_Delete(j);
}

static void policy_files(struct oc_policy *p, const char *dir)
{
    static const char *const names[] = {"opencode.json", "opencode.jsonc", "config.json"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) < (int)sizeof path)
            policy_from_file(p, path);
}

static void global_policy(struct opencode_ctx *x)
{
    if (x->global_loaded)
        return;
    x->global_loaded = 1;
    const char *cfg = getenv("OPENCODE_CONFIG");
    if (cfg && *cfg)
        policy_from_file(&x->global, cfg);
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX];
    int n;
    if (xdg && *xdg)
        n = snprintf(dir, sizeof dir, "%s/opencode", xdg);
    else if (home && *home)
        n = snprintf(dir, sizeof dir, "%s/.config/opencode", home);
    else
        return;
    if (n > 0 && n < (int)sizeof dir)
        policy_files(&x->global, dir);
}

/* The policy of a project directory (global rules included). */
static int policy_for(struct opencode_ctx *x, const char *directory)
{
    if (!directory)
        return -1;
    global_policy(x);
    int added;
    size_t i = kmap_put(&x->pol_dirs, directory, strlen(directory), &added);
    if (!added)
        return (int)i;
    if (x->npol == x->apol) {
        x->apol = x->apol ? x->apol * 2 : 8;
        x->pol = xreallocarray(x->pol, x->apol, sizeof *x->pol);
    }
    struct oc_policy *p = &x->pol[x->npol++];
    memset(p, 0, sizeof *p);
    p->directory = xstrdup(directory);
    p->all_ask = x->global.all_ask;
    for (size_t k = 0; k < x->global.nkeys; k++)
        policy_add(p, x->global.keys[k]);
    char dir[PATH_MAX];
    policy_files(p, directory);
    if (snprintf(dir, sizeof dir, "%s/.opencode", directory) < (int)sizeof dir)
        policy_files(p, dir);
    return (int)i;
}

/* The permission key of a tool. */
static const char *permission_key(const char *tool)
{
    static const char *const edits[] = {"edit", "write", "patch", "multiedit", "apply_patch"};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++)
        if (strcmp(tool, edits[i]) == 0)
            return "edit";
    return tool;
}

static int policy_asks(const struct oc_policy *p, const char *key)
{
    if (p->all_ask)
        return 1;
    for (size_t i = 0; i < p->nkeys; i++)
        if (strcmp(p->keys[i], key) == 0)
            return 1;
    return 0;
}

/* A session's own rules: [{permission, pattern, action}]. */
static int ruleset_asks(const cJSON *rules, const char *key)
{
    if (!cJSON_IsArray(rules))
        return 0;
    for (const cJSON *r = rules->child; r; r = r->next) {
        const char *perm = jin_str(r, "permission"), *action = jin_str(r, "action");
        if (perm && action && strcmp(action, "ask") == 0 &&
            (strcmp(perm, key) == 0 || strcmp(perm, "*") == 0))
            return 1;
    }
    return 0;
}

/* ---- sessions ---------------------------------------------------------------------- */

struct oc_session *oc_session_put(struct opencode_ctx *x, const char *id, const char *parent,
                                  const char *directory, const char *version)
{
    int added;
    size_t i = kmap_put(&x->sess_ids, id, strlen(id), &added);
    if (added) {
        if (x->nsess == x->asess) {
            x->asess = x->asess ? x->asess * 2 : 16;
            x->sess = xreallocarray(x->sess, x->asess, sizeof *x->sess);
        }
        struct oc_session *s = &x->sess[x->nsess++];
        memset(s, 0, sizeof *s);
        s->id = xstrdup(id);
        s->parent = parent && *parent ? xstrdup(parent) : NULL;
        s->directory = directory ? xstrdup(directory) : NULL;
        s->version = version ? xstrdup(version) : NULL;
        s->policy = policy_for(x, directory);
    }
    return &x->sess[i];
}

struct oc_session *oc_session_find(struct opencode_ctx *x, const char *id)
{
    long i = kmap_find(&x->sess_ids, id, strlen(id));
    return i < 0 ? NULL : &x->sess[i];
}

/* ---- records ----------------------------------------------------------------------- */

static int path_inside(const char *path, const char *dir)
{
    if (!path || !dir || path[0] != '/')
        return 1; /* relative paths are the project's */
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static const char *first_of(const cJSON *o, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = jin_str(o, keys[i]);
        if (s && *s)
            return s;
    }
    return NULL;
}

/* A tool part into an op (nothing when it has not finished). `rules` is the
 * session's own ruleset (may be NULL), model the message's. */
void oc_part_op(struct agentfile_out *out, struct opencode_ctx *x, const char *part_id,
                const cJSON *part, const struct oc_session *sess, const cJSON *rules,
                const char *model, int64_t off)
{
    static const char *const keys[] = {"command", "filePath", "file_path",   "path",   "pattern",
                                       "url",     "query",    "description", "prompt", "name"};
    const char *tool = jin_str(part, "tool");
    const cJSON *state = jin_get(part, "state");
    const char *status = jin_str(state, "status");
    const cJSON *time = jin_get(state, "time");
    double start = -1, end = -1;
    if (!tool || !*tool || !status || !part_id)
        return;
    int ok = strcmp(status, "completed") == 0, failed = strcmp(status, "error") == 0;
    if (!ok && !failed)
        return;
    if (jin_num(time, "start", &start) != 1 || start <= 0)
        return;
    struct op *op = agentfile_out_op(out, off);
    op->tool = xstrdup(tool);
    op->tool_use_id = xstrdup(part_id);
    op->ts_ms = (int64_t)start;
    op->source = OP_SRC_TRANSCRIPT;
    op->agent = xstrdup(OPENCODE_AGENT);
    if (sess) {
        if (sess->version)
            op->agent_version = xstrdup(sess->version);
        op->session_id = xstrdup(sess->parent ? sess->parent : sess->id);
        if (sess->parent)
            op->subagent = xstrdup(sess->id);
        if (sess->directory)
            op->project = xstrdup(sess->directory);
    }
    const cJSON *input = jin_get(state, "input");
    const char *target = first_of(input, keys, sizeof keys / sizeof keys[0]);
    if (target)
        op_sets(&op->target, target);
    const char *output = jin_str(state, "output");
    if (output)
        op->result_bytes = (int64_t)strlen(output);
    const char *callid = jin_str(part, "callID");
    if (callid)
        toolcall_meta_str(op, "call_id", callid);
    if (model)
        toolcall_meta_str(op, "model", model);

    const cJSON *md = jin_get(state, "metadata");
    double exitv;
    int code = jin_num(md, "exit", &exitv) == 1 ? (int)exitv : -1;
    const char *err = jin_str(state, "error");
    int rejected = err && (strstr(err, "rejected permission") || strstr(err, "user dismissed"));
    op->success = ok && code <= 0;
    if (code >= 0)
        toolcall_meta_int(op, "exit_code", code);
    if (!op->success) {
        if (rejected)
            op->error = xstrdup("rejected by user");
        else if (err)
            op->error = agentfile_first_text_line(err, 300);
        else if (code > 0) {
            char b[48];
            snprintf(b, sizeof b, "exit code %d", code);
            op->error = xstrdup(b);
        }
        if (!op->error)
            op->error = xstrdup("error");
    }

    /* Could it have asked? */
    const char *key = permission_key(tool);
    int ask = OP_ASK_NO;
    const struct oc_policy *pol = sess && sess->policy >= 0 ? &x->pol[sess->policy] : NULL;
    if (strcmp(tool, "question") == 0)
        ask = OP_ASK_ASKED;
    else if (!pol || policy_asks(pol, key) || ruleset_asks(rules, key))
        ask = OP_ASK_MAYBE;
    else if (strcmp(key, "bash") != 0 && target && jin_str(input, "filePath") &&
             !path_inside(jin_str(input, "filePath"), sess->directory))
        ask = OP_ASK_MAYBE; /* external_directory */
    double wall = jin_num(time, "end", &end) == 1 && end >= start ? end - start : NAN;
    const char *from = "none";
    if (!isnan(wall)) {
        if (rejected || ask == OP_ASK_ASKED) {
            op_set_phase(op, OP_PH_WAIT, wall, OP_EX_DERIVED, PHS_TOOL);
            ask = OP_ASK_ASKED;
            if (rejected)
                toolcall_meta_str(op, "outcome", "rejected");
        } else {
            op_set_phase(op, OP_PH_WALL, wall, OP_EX_EXACT, PHS_TOOL);
            if (ask == OP_ASK_NO) {
                op_set_phase(op, OP_PH_EXEC, wall, OP_EX_EXACT, PHS_TOOL);
                from = "tool";
            }
        }
    }
    op->ask = ask;
    toolcall_meta_str(op, "duration_from", from);
}

/* An assistant message into a model request. first_tool_ms: the start of
 * its first tool call (-1: none). */
void oc_message_request(struct agentfile_out *out, const char *id, const cJSON *m,
                        const struct oc_session *sess, int64_t first_tool_ms)
{
    const char *role = jin_str(m, "role");
    const cJSON *time = jin_get(m, "time");
    double created = -1, completed = -1;
    if (!role || strcmp(role, "assistant") != 0 || jin_num(time, "created", &created) != 1 ||
        created <= 0)
        return;
    struct request *r = agentfile_out_request(out);
    r->id = xstrdup(id);
    if (sess) {
        r->session_id = xstrdup(sess->parent ? sess->parent : sess->id);
        if (sess->directory)
            r->project = xstrdup(sess->directory);
        r->sidechain = sess->parent != NULL;
    }
    const char *model = jin_str(m, "modelID");
    if (!model)
        model = jin_str(jin_get(m, "model"), "modelID");
    if (model)
        r->model = xstrdup(model);
    r->start_ms = (int64_t)created;
    r->source = OP_SRC_TRANSCRIPT;
    const cJSON *tok = jin_get(m, "tokens");
    double v;
    if (jin_num(tok, "input", &v) == 1)
        r->input_tokens = (int64_t)v;
    if (jin_num(tok, "output", &v) == 1) {
        double reasoning = 0;
        jin_num(tok, "reasoning", &reasoning);
        r->output_tokens = (int64_t)(v + (reasoning > 0 ? reasoning : 0));
    }
    const cJSON *cache = jin_get(tok, "cache");
    if (jin_num(cache, "read", &v) == 1)
        r->cache_read_tokens = (int64_t)v;
    if (jin_num(cache, "write", &v) == 1)
        r->cache_write_tokens = (int64_t)v;
    if (jin_num(m, "cost", &v) == 1 && v >= 0)
        r->cost_usd = v;
    /* The model's time: to the first tool call it asked for (which ran
     * inside the message), else to the message's completion. */
    int has_completed = jin_num(time, "completed", &completed) == 1 && completed >= created;
    int64_t end = first_tool_ms >= (int64_t)created ? first_tool_ms
                  : has_completed                   ? (int64_t)completed
                                                    : -1;
    if (end >= 0) {
        r->duration_ms = (double)(end - (int64_t)created);
        r->exact = OP_EX_ESTIMATED;
        r->src = PHS_TIMESTAMPS;
    }
}

/* ---- the storage tree ---------------------------------------------------------------- */

int opencode_storage_kind(const char *path)
{
    const char *s = strstr(path, "/storage/");
    if (!s)
        return 0;
    size_t n = strlen(path);
    if (n < 5 || strcmp(path + n - 5, ".json") != 0)
        return 0;
    if (strncmp(s, "/storage/part/", 14) == 0)
        return OPENCODE_PART;
    if (strncmp(s, "/storage/message/", 17) == 0)
        return OPENCODE_MESSAGE;
    return 0;
}

/* A JSON file of the tree, parsed (NULL when absent or unreadable). */
static cJSON *read_json(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    char *text;
    size_t len;
    struct stat sb;
    cJSON *j = NULL;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        agentfile_slurp(fd, OC_MAX_FILE, &text, &len) == 0) {
        char eb[TP_ERR_MAX];
        j = jin_parse(text, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
        free(text);
    }
    close(fd);
    return j;
}

/* The session of the tree: storage/session/<project>/<id>.json. When it
 * has no such file (a tree copied in part, or not written by OpenCode), its
 * calls are stored without project and version, and that is said once, on
 * rep (may be NULL), naming `path`, the file that needed it. */
static struct oc_session *tree_session(struct opencode_ctx *x, const char *root, const char *id,
                                       FILE *rep, const char *path)
{
    struct oc_session *s = oc_session_find(x, id);
    if (s)
        return s;
    char dir[PATH_MAX];
    DIR *d = snprintf(dir, sizeof dir, "%s/session", root) < (int)sizeof dir ? opendir(dir) : NULL;
    cJSON *j = NULL;
    if (d) {
        struct dirent *e;
        while (!j && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[PATH_MAX];
            if (snprintf(p, sizeof p, "%s/%s/%s.json", dir, e->d_name, id) < (int)sizeof p)
                j = read_json(p);
        }
        closedir(d);
    }
    if (!j && rep)
        fprintf(rep,
                "%s: session %.128s has no file %s/session/*/%.128s.json: its project and "
                "version are unknown\n",
                path, id, root, id);
    const char *parent = jin_str(j, "parentID");
    s = oc_session_put(x, id, parent, jin_str(j, "directory"), jin_str(j, "version"));
    cJSON_Delete(j);
    return s;
}

/* OpenCode's states of a tool part: the last two are final. */
static int known_status(const char *status)
{
    static const char *const known[] = {"pending", "running", "completed", "error"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (status && strcmp(status, known[i]) == 0)
            return 1;
    return 0;
}

int opencode_file_import_fd(struct agentfile_batch *b, struct opencode_ctx *x, const char *key,
                            const char *path, int fd, const struct stat *sb, int kind,
                            struct agentfile_stats *st, char *errbuf)
{
    char *text;
    size_t len;
    int rc = agentfile_slurp(fd, OC_MAX_FILE, &text, &len);
    if (rc != 0)
        return tp_fail(errbuf, rc, "%s: cannot read it (%s)", path,
                       rc == TP_ETOOBIG ? "too big" : strerror(errno));
    st->bytes += len;
    st->lines++;
    char eb[TP_ERR_MAX];
    cJSON *j = jin_parse(text, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    free(text);
    struct agentfile_out out = {0};
    if (!j) {
        st->malformed++;
        FILE *rep = agentfile_batch_report(b);
        if (rep)
            fprintf(rep, "%s: %s\n", path, eb);
    } else {
        /* The storage root: everything before "/part/" or "/message/". */
        const char *s = strstr(key, "/storage/");
        char root[PATH_MAX];
        snprintf(root, sizeof root, "%.*s/storage", s ? (int)(s - key) : 0, key);
        const char *sid = jin_str(j, "sessionID"), *id = jin_str(j, "id");
        FILE *rep = agentfile_batch_report(b);
        struct oc_session *sess = sid ? tree_session(x, root, sid, rep, path) : NULL;
        if (kind == OPENCODE_PART) {
            const char *ty = jin_str(j, "type"), *mid = jin_str(j, "messageID");
            const char *status = jin_str(jin_get(j, "state"), "status");
            if (ty && strcmp(ty, "tool") == 0 && id && !known_status(status)) {
                /* Not a state OpenCode writes: whether the call ended, and
                 * how, cannot be told. */
                st->malformed++;
                if (rep)
                    fprintf(rep,
                            "%s: tool part %.128s: status %s%.32s%s is none of OpenCode's "
                            "(pending, running, completed, error): skipped\n",
                            path, id, status ? "\"" : "", status ? status : "missing",
                            status ? "\"" : "");
            } else if (ty && strcmp(ty, "tool") == 0 && id) {
                char *model = NULL;
                if (mid && sid) {
                    char mp[PATH_MAX];
                    cJSON *m = snprintf(mp, sizeof mp, "%s/message/%s/%s.json", root, sid, mid) <
                                       (int)sizeof mp
                                   ? read_json(mp)
                                   : NULL;
                    if (jin_str(m, "modelID"))
                        model = xstrdup(jin_str(m, "modelID"));
                    cJSON_Delete(m);
                }
                oc_part_op(&out, x, id, j, sess, NULL, model, -1);
                free(model);
            }
        } else if (kind == OPENCODE_MESSAGE && id) {
            oc_message_request(&out, id, j, sess, -1);
        }
        cJSON_Delete(j);
    }
    struct store_mark m;
    filemark_set(&m, key, fd, sb, (int64_t)len, (int64_t)len);
    rc = agentfile_batch_add(b, path, fd, &out, &m, 0, st, errbuf);
    agentfile_out_clear(&out);
    return rc;
}
