/*
 * permits.c - the permission rule that would spare a prompt (permits.h).
 *
 * A shell command's rule is its program and the plain words after it (a
 * subcommand such as `npm test`, `git status`, `cargo build`), at most two,
 * stopping at a flag, a path, an assignment or a quote: `Bash(npm test:*)`.
 * Leading `VAR=value` words and a leading `cd DIR &&` are skipped. A file
 * edit's rule is the top directory of the file within the project:
 * `Edit(src/...)` (src/ and below), or the file itself when it sits at the project's root.
 */
#include "permits.h"

#include <stdio.h>
#include <string.h>

/* Programs whose prompt is worth its wait. */
static const char *const dangerous_programs[] = {
    "rm",      "rmdir",    "sudo",   "su",      "doas",    "dd",      "shred",  "mkfs",
    "chmod",   "chown",    "chgrp",  "kill",    "pkill",   "killall", "reboot", "shutdown",
    "halt",    "poweroff", "eval",   "ssh",     "scp",     "sftp",    "mv",     "truncate",
    "crontab", "iptables", "passwd", "useradd", "userdel", NULL};

/* program + subcommand pairs that publish, push or destroy. */
static const char *const dangerous_pairs[] = {"git push",
                                              "git reset",
                                              "git clean",
                                              "git rebase",
                                              "git filter-branch",
                                              "npm publish",
                                              "yarn publish",
                                              "pnpm publish",
                                              "cargo publish",
                                              "twine upload",
                                              "docker push",
                                              "docker rm",
                                              "docker rmi",
                                              "docker system",
                                              "kubectl delete",
                                              "kubectl apply",
                                              "terraform apply",
                                              "terraform destroy",
                                              "gh release",
                                              "gh pr",
                                              "gh repo",
                                              "aws s3",
                                              "gcloud",
                                              NULL};

static int in_list(const char *const *list, const char *w, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(*list, w, n) == 0)
            return 1;
    return 0;
}

/* The next word of s from *p (spaces skipped): its start and length; 0
 * when there is none before a command separator. */
static size_t next_word(const char *s, size_t *p, const char **w)
{
    size_t i = *p;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    size_t a = i;
    while (s[i] && s[i] != ' ' && s[i] != '\t' && !strchr(";|&\n", s[i]))
        i++;
    *w = s + a;
    *p = i;
    return i - a;
}

static const char *basename_of(const char *w, size_t *n)
{
    for (size_t i = *n; i > 0; i--)
        if (w[i - 1] == '/') {
            *n -= i;
            return w + i;
        }
    return w;
}

/* Whether one simple command (from s, up to a separator) is dangerous. */
static int simple_dangerous(const char *s)
{
    size_t p = 0, n;
    const char *w;
    do
        n = next_word(s, &p, &w);
    while (n && memchr(w, '=', n) && w[0] != '=');
    if (!n)
        return 0;
    const char *prog = basename_of(w, &n);
    if (in_list(dangerous_programs, prog, n) || (n >= 4 && memcmp(prog, "mkfs", 4) == 0))
        return 1;
    const char *w2;
    size_t n2 = next_word(s, &p, &w2);
    char pair[128];
    if (n2 && n + n2 + 2 < sizeof pair) {
        snprintf(pair, sizeof pair, "%.*s %.*s", (int)n, prog, (int)n2, w2);
        if (in_list(dangerous_pairs, pair, strlen(pair)))
            return 1;
    }
    return 0;
}

int permit_is_dangerous(const char *command)
{
    if (!command)
        return 0;
    /* Anything piped into a shell or an interpreter runs unseen code. */
    static const char *const sinks[] = {"| sh",   "|sh",   "| bash",   "|bash",  "| zsh",
                                        "| sudo", "|sudo", "| python", "| perl", NULL};
    for (const char *const *k = sinks; *k; k++)
        if (strstr(command, *k))
            return 1;
    for (const char *s = command; s && *s;) {
        if (simple_dangerous(s))
            return 1;
        s = strpbrk(s, ";|&\n");
        while (s && *s && strchr(";|&\n", *s))
            s++;
    }
    return 0;
}

static int plain(const char *w, size_t n)
{
    if (!n || w[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '@'))
            return 0;
    }
    return 1;
}

static int bash_rule(const char *cmd, char *out, size_t size)
{
    if (permit_is_dangerous(cmd))
        return 0;
    const char *s = cmd;
    /* `cd DIR && the command`: the command is what asks. */
    size_t p = 0;
    const char *w;
    size_t n = next_word(s, &p, &w);
    if (n == 2 && memcmp(w, "cd", 2) == 0) {
        const char *amp = strstr(s, "&&");
        if (!amp)
            return 0;
        s = amp + 2;
    }
    p = 0;
    do
        n = next_word(s, &p, &w);
    while (n && memchr(w, '=', n) && w[0] != '=');
    if (!n || !plain(w, n) || memchr(w, '/', n))
        return 0;
    const char *start = w;
    size_t len = n;
    for (int k = 0; k < 2; k++) {
        size_t q = p;
        const char *x;
        size_t m = next_word(s, &q, &x);
        if (!plain(x, m) || memchr(x, '.', m))
            break;
        len = (size_t)(x + m - start);
        p = q;
    }
    int k = snprintf(out, size, "Bash(%.*s:*)", (int)len, start);
    return k > 0 && (size_t)k < size;
}

static int edit_rule(const char *path, const char *project, char *out, size_t size)
{
    size_t pl = project ? strlen(project) : 0;
    while (pl > 1 && project[pl - 1] == '/')
        pl--;
    if (!pl || strncmp(path, project, pl) != 0 || path[pl] != '/')
        return 0; /* outside the project: keep asking */
    const char *rel = path + pl + 1;
    const char *slash = strchr(rel, '/');
    int k = slash ? snprintf(out, size, "Edit(%.*s/**)", (int)(slash - rel), rel)
                  : snprintf(out, size, "Edit(%s)", rel);
    return *rel && k > 0 && (size_t)k < size;
}

static int fetch_rule(const char *url, char *out, size_t size)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = memchr(h, '@', strcspn(h, "/?#"));
    if (at) /* user:pass@host */
        h = at + 1;
    size_t n = strcspn(h, "/:?#");
    int k = snprintf(out, size, "WebFetch(domain:%.*s)", (int)n, h);
    return n && k > 0 && (size_t)k < size;
}

int permit_rule(const char *tool, const char *target, const char *project, char *out, size_t size)
{
    if (!tool || !*tool || !size)
        return 0;
    out[0] = '\0';
    if (strcmp(tool, "Bash") == 0 || strcmp(tool, "PowerShell") == 0)
        return target && *target ? bash_rule(target, out, size) : 0;
    if (strcmp(tool, "Edit") == 0 || strcmp(tool, "Write") == 0 || strcmp(tool, "MultiEdit") == 0 ||
        strcmp(tool, "NotebookEdit") == 0)
        return target && *target ? edit_rule(target, project, out, size) : 0;
    if (strcmp(tool, "WebFetch") == 0)
        return target && *target ? fetch_rule(target, out, size) : 0;
    int k = snprintf(out, size, "%s", tool);
    return k > 0 && (size_t)k < size;
}
