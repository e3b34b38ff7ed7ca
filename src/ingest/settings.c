/*
 * settings.c - our hook entries in Claude Code's settings.json (see settings.h).
 *
 * The file is parsed with cJSON, which keeps object members in file order
 * (duplicates included), edited in place, and written back by a small
 * printer of our own that reproduces JavaScript's JSON.stringify(value,
 * null, indent), the way Claude Code itself writes the file, with the
 * indentation unit found in the original. So a file Claude Code wrote comes
 * back byte for byte except for our entries. Nothing is written when the
 * merge changed nothing.
 *
 * Each event is edited by one function, settings_merge_event(), in three
 * steps: find our handlers (by command line, so that an entry left by a
 * toolprof binary at another path is recognised), then keep the first and
 * drop the rest, then update, add or (uninstalling) remove. Every step that
 * changes the tree says so on the report stream, which is how the user
 * sees what happened to a file they own.
 */
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/xmalloc.h"

/* PreToolUse and PermissionRequest tell when a call started and whether
 * it showed a prompt (hookpend.h); our handler never answers for the
 * person: it prints nothing and exits 0. */
static const char *const settings_events[] = {"PreToolUse", "PermissionRequest", "PostToolUse",
                                              "PostToolUseFailure"};
/* Gemini CLI: before and after a tool executes (gemhook.h). */
static const char *const settings_gemini_events[] = {"BeforeTool", "AfterTool"};

/* ---- recognising our handler --------------------------------------------- */

/* Append s as one shell word: as it is when every character is safe, else
 * single-quoted with each ' written '\''. settings_is_ours() reads words
 * back with the same rule, so this is the one place quoting is decided. */
static void settings_shell_word(struct buf *b, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/._-+,:@%=", *p))
            plain = 0;
    if (plain) {
        buf_adds(b, s);
        return;
    }
    buf_addc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            buf_adds(b, "'\\''");
        else
            buf_addc(b, *p);
    }
    buf_addc(b, '\'');
}

/* Read one word of cmd from *pos up to the next space: runs of unquoted
 * characters, single-quoted strings and \' between them, decoded into out
 * (emptied first). *pos moves past the word. Returns 1 when that text is
 * exactly how settings_shell_word() writes what it decodes to (so a word in
 * double quotes, or quoted where toolprof would not quote it, is not one of
 * ours), 0 otherwise. */
static int settings_read_word(const char *cmd, size_t *pos, struct buf *out, struct buf *again)
{
    size_t start = *pos, i = *pos;
    buf_reset(out);
    while (cmd[i] && cmd[i] != ' ') {
        if (cmd[i] == '\'') {
            const char *close = strchr(cmd + i + 1, '\'');
            if (!close)
                return 0;
            buf_add(out, cmd + i + 1, (size_t)(close - (cmd + i + 1)));
            i = (size_t)(close - cmd) + 1;
        } else if (cmd[i] == '\\' && cmd[i + 1] == '\'') {
            buf_addc(out, '\'');
            i += 2;
        } else {
            buf_addc(out, cmd[i++]);
        }
    }
    *pos = i;
    if (out->len == 0 || out->toobig)
        return 0;
    buf_reset(again);
    settings_shell_word(again, out->data);
    return !again->toobig && again->len == i - start &&
           memcmp(again->data, cmd + start, i - start) == 0;
}

int settings_is_ours(const char *cmd)
{
    struct buf word, again;
    char *words[4] = {0};
    size_t n = 0, pos = 0, end;
    int ours = 0;

    if (!cmd)
        return 0;
    /* Blanks around the whole command are not part of it. */
    while (cmd[pos] == ' ' || cmd[pos] == '\t')
        pos++;
    end = strlen(cmd);
    while (end > pos && (cmd[end - 1] == ' ' || cmd[end - 1] == '\t' || cmd[end - 1] == '\n'))
        end--;
    char *text = xstrndup(cmd + pos, end - pos);
    /* A word decodes to at most its own length and quotes back to at most
     * four times that (every ' becomes '\'') plus two. */
    buf_init(&word, end - pos + 1);
    buf_init(&again, 4 * (end - pos) + 3);
    /* Words separated by one space each, as settings_command_for() joins
     * them; at most four of them. */
    for (pos = 0; text[pos] && n < 4;) {
        if (!settings_read_word(text, &pos, &word, &again))
            goto done;
        words[n++] = buf_steal(&word, NULL);
        if (text[pos] == ' ')
            pos++;
        else
            break;
    }
    if (text[pos] != '\0')
        goto done;
    const char *prog = n ? words[0] : NULL, *slash = prog ? strrchr(prog, '/') : NULL;
    int named = prog && strcmp(slash ? slash + 1 : prog, "toolprof") == 0;
    ours =
        named && ((n == 2 && strcmp(words[1], "hook") == 0) ||
                  (n == 4 && strcmp(words[1], "--data-dir") == 0 && strcmp(words[3], "hook") == 0));

done:
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(text);
    buf_free(&word);
    buf_free(&again);
    return ours;
}

static int settings_handler_is_ours(const cJSON *h)
{
    const char *type = jin_str(h, "type");
    if (type && strcmp(type, "command") != 0)
        return 0;
    return settings_is_ours(jin_str(h, "command"));
}

/* ---- the merge ------------------------------------------------------------ */

struct settings_edit {
    FILE *report;
    int changes;
};

static void settings_say(struct settings_edit *ed, const char *event, const char *what,
                         const char *cmd)
{
    ed->changes++;
    if (ed->report)
        fprintf(ed->report, "%s: %s%s%s\n", event, what, cmd ? " " : "", cmd ? cmd : "");
}

static cJSON *settings_new_group(const char *command)
{
    cJSON *g = cJSON_CreateObject(), *hooks, *h;
    cJSON_AddStringToObject(g, "matcher", "*");
    hooks = cJSON_AddArrayToObject(g, "hooks");
    h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "type", "command");
    cJSON_AddStringToObject(h, "command", command);
    cJSON_AddItemToArray(hooks, h);
    return g;
}

/* Edit one event's list of groups. arr may be NULL (no such key yet);
 * *created receives a new list when one had to be made. */
static int settings_merge_event(struct settings_edit *ed, const char *event, cJSON *arr,
                                const char *command, int uninstall, cJSON **created)
{
    cJSON *keep = NULL, *g, *gnext;
    *created = NULL;

    /* Our handlers: keep the first (when installing), drop the others,
     * and drop groups that this leaves empty. */
    for (g = arr ? arr->child : NULL; g; g = gnext) {
        gnext = g->next;
        cJSON *hooks = (cJSON *)jin_get(g, "hooks");
        if (!cJSON_IsArray(hooks))
            continue;
        cJSON *h, *hnext;
        int removed = 0;
        for (h = hooks->child; h; h = hnext) {
            hnext = h->next;
            if (!settings_handler_is_ours(h))
                continue;
            if (!uninstall && !keep) {
                keep = h;
                continue;
            }
            settings_say(ed, event, uninstall ? "removed" : "removed duplicate",
                         jin_str(h, "command"));
            cJSON_Delete(cJSON_DetachItemViaPointer(hooks, h));
            removed = 1;
        }
        if (removed && !hooks->child)
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, g));
    }
    if (uninstall)
        return 0;

    if (keep) {
        const char *old = jin_str(keep, "command");
        if (!jin_str(keep, "type")) {
            cJSON_AddStringToObject(keep, "type", "command");
            settings_say(ed, event, "set type \"command\" on", old);
        }
        if (strcmp(old, command) != 0) {
            if (ed->report)
                fprintf(ed->report, "%s: updated %s -> %s\n", event, old, command);
            ed->changes++;
            cJSON_ReplaceItemInObjectCaseSensitive(keep, "command", cJSON_CreateString(command));
        } else if (ed->report) {
            fprintf(ed->report, "%s: already installed (%s)\n", event, command);
        }
        return 0;
    }
    if (!arr)
        arr = *created = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, settings_new_group(command));
    settings_say(ed, event, "added", command);
    return 0;
}

/* Apply the install or uninstall of the events to root (an object). */
static int settings_merge(struct settings_edit *ed, cJSON *root, const char *command, int uninstall,
                          const char *const *events, size_t nevents, const char *path, char *errbuf)
{
    cJSON *hooks = (cJSON *)jin_get(root, "hooks");
    int hooks_created = 0;

    if (hooks && !cJSON_IsObject(hooks))
        return tp_fail(errbuf, TP_EPARSE, "%s: \"hooks\" is not an object; not changed", path);
    for (size_t i = 0; i < nevents; i++) {
        cJSON *arr = (cJSON *)jin_get(hooks, events[i]);
        if (arr && !cJSON_IsArray(arr))
            return tp_fail(errbuf, TP_EPARSE, "%s: hooks.%s is not an array; not changed", path,
                           events[i]);
    }
    if (!hooks && uninstall)
        return 0;
    if (!hooks) {
        hooks = cJSON_AddObjectToObject(root, "hooks");
        hooks_created = 1;
    }
    for (size_t i = 0; i < nevents; i++) {
        const char *ev = events[i];
        cJSON *arr = (cJSON *)jin_get(hooks, ev), *created;
        int had = arr && arr->child;
        settings_merge_event(ed, ev, arr, command, uninstall, &created);
        if (created)
            cJSON_AddItemToObject(hooks, ev, created);
        /* A list we emptied goes; one the user left empty stays. */
        if (uninstall && had && !arr->child)
            cJSON_DeleteItemFromObjectCaseSensitive(hooks, ev);
    }
    if (!hooks->child && (hooks_created || uninstall))
        cJSON_DeleteItemFromObjectCaseSensitive(root, "hooks");
    return 0;
}

/* ---- printing like JSON.stringify(v, null, indent) ------------------------ */

static void settings_indent(struct buf *b, const char *unit, int depth)
{
    buf_addc(b, '\n');
    for (int i = 0; i < depth; i++)
        buf_adds(b, unit);
}

static void settings_print_str(struct buf *b, const char *s)
{
    buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': buf_adds(b, "\\\""); break;
        case '\\': buf_adds(b, "\\\\"); break;
        case '\b': buf_adds(b, "\\b"); break;
        case '\f': buf_adds(b, "\\f"); break;
        case '\n': buf_adds(b, "\\n"); break;
        case '\r': buf_adds(b, "\\r"); break;
        case '\t': buf_adds(b, "\\t"); break;
        default:
            if (*p < 0x20)
                buf_printf(b, "\\u%04x", *p);
            else
                buf_addc(b, (char)*p);
        }
    }
    buf_addc(b, '"');
}

static void settings_print_num(struct buf *b, double d)
{
    char tmp[40];
    if (!isfinite(d)) {
        buf_adds(b, "null");
        return;
    }
    if (d == floor(d) && fabs(d) < 1e21) {
        buf_printf(b, "%.0f", d);
        return;
    }
    /* The shortest text that reads back as d, as JavaScript prints it. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    buf_adds(b, tmp);
}

static void settings_print(struct buf *b, const cJSON *v, const char *unit, int depth)
{
    const cJSON *c;
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int obj = cJSON_IsObject(v);
        buf_addc(b, obj ? '{' : '[');
        if (!v->child) {
            buf_addc(b, obj ? '}' : ']');
            return;
        }
        for (c = v->child; c; c = c->next) {
            settings_indent(b, unit, depth + 1);
            if (obj) {
                settings_print_str(b, c->string ? c->string : "");
                buf_adds(b, ": ");
            }
            settings_print(b, c, unit, depth + 1);
            if (c->next)
                buf_addc(b, ',');
        }
        settings_indent(b, unit, depth);
        buf_addc(b, obj ? '}' : ']');
    } else if (cJSON_IsString(v)) {
        settings_print_str(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        settings_print_num(b, v->valuedouble);
    } else if (cJSON_IsTrue(v)) {
        buf_adds(b, "true");
    } else if (cJSON_IsFalse(v)) {
        buf_adds(b, "false");
    } else {
        buf_adds(b, "null");
    }
}

/* The indentation unit of a pretty-printed file: the leading blanks of
 * its second line. Two spaces when there is none (new or one-line file). */
static void settings_detect_indent(const char *text, size_t n, char *unit, size_t unit_size)
{
    const char *nl = text ? memchr(text, '\n', n) : NULL;
    size_t k = 0;
    if (nl)
        for (const char *p = nl + 1; p < text + n && (*p == ' ' || *p == '\t') && k + 1 < unit_size;
             p++)
            unit[k++] = *p;
    if (k == 0)
        snprintf(unit, unit_size, "  ");
    else
        unit[k] = '\0';
}

/* ---- files --------------------------------------------------------------- */

/* Directory part of path ("." when none), into out. */
static void settings_dirname(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

static int settings_write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write data to path atomically: temporary file beside it, fsync,
 * rename, fsync of the directory. */
static int settings_write_atomic(const char *path, const char *data, size_t n, mode_t mode,
                                 char *errbuf)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int fd, e;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return tp_fail(errbuf, TP_EIO, "%s: path too long", path);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        return tp_fail(errbuf, TP_EIO, "%s: cannot create a temporary file: %s", path,
                       strerror(errno));
    if (fchmod(fd, mode) != 0 || settings_write_all(fd, data, n) != 0 || fsync(fd) != 0) {
        e = errno;
        close(fd);
        unlink(tmp);
        return tp_fail(errbuf, TP_EIO, "%s: %s", tmp, strerror(e));
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(e));
    }
    settings_dirname(path, dir, sizeof dir);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

/* Copy the previous content to <path>.bak.<stamp>[-N], never replacing an
 * older backup. The chosen name goes into out. */
static int settings_backup(const char *path, const char *data, size_t n, mode_t mode, char *out,
                           size_t out_size, char *errbuf)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (int k = 0; k < 100; k++) {
        int w = k ? snprintf(out, out_size, "%s.bak.%s-%d", path, stamp, k)
                  : snprintf(out, out_size, "%s.bak.%s", path, stamp);
        if (w <= 0 || (size_t)w >= out_size)
            break;
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            break;
        int bad = settings_write_all(fd, data, n) != 0 || fsync(fd) != 0;
        close(fd);
        if (bad) {
            unlink(out);
            break;
        }
        return 0;
    }
    return tp_fail(errbuf, TP_EIO, "%s: cannot write a backup: %s", path, strerror(errno));
}

/* Read the whole file. *exists = 0 (and 0 returned) when it does not. */
static int settings_read(const char *path, struct buf *b, int *exists, mode_t *mode, char *errbuf)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *exists = 0;
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tp_fail(errbuf, TP_EIO, "%s: not a regular file", path);
    }
    if (st.st_size > TP_MAX_BODY) {
        close(fd);
        return tp_fail(errbuf, TP_ETOOBIG, "%s: over %d bytes; not a settings file?", path,
                       TP_MAX_BODY);
    }
    *exists = 1;
    *mode = st.st_mode & 07777;
    /* Up to the cap; a file that grew past it since fstat is cut there,
     * and then fails to parse rather than being half-read. */
    int rc = fs_read_all(fd, b, path, errbuf);
    close(fd);
    return rc;
}

static int settings_apply(const char *settings_path, const char *command, int uninstall,
                          const char *const *events, size_t nevents, FILE *report, char *errbuf);

int settings_install(const char *settings_path, const char *command, int uninstall, FILE *report,
                     char *errbuf)
{
    return settings_apply(settings_path, command, uninstall, settings_events,
                          sizeof settings_events / sizeof settings_events[0], report, errbuf);
}

int settings_install_gemini(const char *settings_path, const char *command, int uninstall,
                            FILE *report, char *errbuf)
{
    return settings_apply(settings_path, command, uninstall, settings_gemini_events,
                          sizeof settings_gemini_events / sizeof settings_gemini_events[0], report,
                          errbuf);
}

static int settings_apply(const char *settings_path, const char *command, int uninstall,
                          const char *const *events, size_t nevents, FILE *report, char *errbuf)
{
    char real[PATH_MAX], dir[PATH_MAX], bak[PATH_MAX + 64], unit[16];
    const char *path = settings_path;
    struct settings_edit ed = {.report = report};
    struct buf in, out;
    cJSON *root = NULL;
    mode_t mode = 0600;
    int exists, rc;

    buf_init(&in, (size_t)TP_MAX_BODY + 1);
    buf_init(&out, (size_t)TP_MAX_BODY * 2);
    if (!uninstall && (!command || !*command)) {
        rc = tp_fail(errbuf, TP_EINVAL, "no hook command to install");
        goto cleanup;
    }
    /* Through a symlink (dotfile managers), edit the file it points to,
     * and leave the link in place. */
    if (realpath(settings_path, real))
        path = real;
    if ((rc = settings_read(path, &in, &exists, &mode, errbuf)) != 0)
        goto cleanup;
    if (!exists && uninstall) {
        if (report)
            fprintf(report, "%s does not exist: nothing to remove\n", path);
        goto cleanup;
    }

    /* An empty file counts as an empty object, as a missing one does. */
    size_t start = 0;
    while (start < in.len && isspace((unsigned char)in.data[start]))
        start++;
    if (start == in.len) {
        root = cJSON_CreateObject();
    } else {
        char perr[TP_ERR_MAX];
        root = jin_parse(in.data, in.len, JIN_STRICT, TP_MAX_JSON_DEPTH, perr);
        if (!root) {
            rc = tp_fail(errbuf, TP_EPARSE, "%s: not valid JSON (%s); not changed", path, perr);
            goto cleanup;
        }
        if (!cJSON_IsObject(root)) {
            rc = tp_fail(errbuf, TP_EPARSE, "%s: not a JSON object; not changed", path);
            goto cleanup;
        }
    }
    if ((rc = settings_merge(&ed, root, command, uninstall, events, nevents, path, errbuf)) != 0)
        goto cleanup;
    if (ed.changes == 0 && exists) {
        if (report)
            fprintf(report, "%s: nothing to change\n", path);
        goto cleanup;
    }

    settings_detect_indent(in.data, in.len, unit, sizeof unit);
    settings_print(&out, root, unit, 0);
    /* Keep the final newline, or its absence; new files get one. */
    if (!exists || (in.len > 0 && in.data[in.len - 1] == '\n'))
        buf_addc(&out, '\n');
    if (out.toobig) {
        rc = tp_fail(errbuf, TP_ETOOBIG, "%s: result too large", path);
        goto cleanup;
    }
    settings_dirname(path, dir, sizeof dir);
    if (!exists)
        fs_mkdirs(dir, 0700, NULL);
    if (exists && (rc = settings_backup(path, in.data ? in.data : "", in.len, mode, bak, sizeof bak,
                                        errbuf)) != 0)
        goto cleanup;
    if ((rc = settings_write_atomic(path, out.data, out.len, mode, errbuf)) != 0)
        goto cleanup;
    if (report) {
        if (exists)
            fprintf(report, "wrote %s (previous content in %s)\n", path, bak);
        else
            fprintf(report, "created %s\n", path);
    }

cleanup:
    cJSON_Delete(root);
    buf_free(&in);
    buf_free(&out);
    return rc;
}

/* ---- the command line ----------------------------------------------------- */

char *settings_gemini_default_path(void)
{
    const char *home = getenv("GEMINI_CLI_HOME");
    struct buf b;
    if (!home || !*home)
        home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    buf_init(&b, PATH_MAX);
    buf_printf(&b, "%s/.gemini/settings.json", home);
    return b.toobig ? (buf_free(&b), NULL) : buf_steal(&b, NULL);
}

char *settings_default_path(void)
{
    const char *home = getenv("HOME");
    struct buf b;
    if (!home || !*home)
        return NULL;
    buf_init(&b, PATH_MAX);
    buf_printf(&b, "%s/.claude/settings.json", home);
    return b.toobig ? (buf_free(&b), NULL) : buf_steal(&b, NULL);
}

char *settings_command_for(const char *exe, const char *data_dir, char *errbuf)
{
    struct buf b;
    buf_init(&b, 3 * PATH_MAX + 64);
    settings_shell_word(&b, exe);
    if (data_dir) {
        buf_adds(&b, " --data-dir ");
        settings_shell_word(&b, data_dir);
    }
    buf_adds(&b, " hook");
    if (!*exe || (data_dir && !*data_dir)) {
        buf_free(&b);
        tp_fail(errbuf, TP_EINVAL, "hook command: an empty path");
        return NULL;
    }
    if (b.toobig) {
        buf_free(&b);
        tp_fail(errbuf, TP_ETOOBIG, "hook command too long");
        return NULL;
    }
    return buf_steal(&b, NULL);
}

char *settings_hook_command(const char *data_dir, char *errbuf)
{
    char exe[PATH_MAX], cwd[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        tp_fail(errbuf, TP_EIO, "cannot find the toolprof binary (/proc/self/exe): %s",
                strerror(errno));
        return NULL;
    }
    exe[n] = '\0';
    if (!data_dir || data_dir[0] == '/')
        return settings_command_for(exe, data_dir, errbuf);
    /* The hook runs in the project's directory, not ours. */
    if (!getcwd(cwd, sizeof cwd)) {
        tp_fail(errbuf, TP_EIO, "cannot make %s absolute: %s", data_dir, strerror(errno));
        return NULL;
    }
    struct buf abs;
    buf_init(&abs, 2 * PATH_MAX);
    buf_printf(&abs, "%s/%s", cwd, data_dir);
    char *c = abs.toobig ? NULL : settings_command_for(exe, abs.data, errbuf);
    if (abs.toobig)
        tp_fail(errbuf, TP_ETOOBIG, "hook command too long");
    buf_free(&abs);
    return c;
}
