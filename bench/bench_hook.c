/*
 * bench_hook.c - what `toolprof hook` costs the agent, per tool call.
 *
 *   bench_hook serial     TOOLPROF DATA_DIR CALLS IDS_FILE
 *   bench_hook concurrent TOOLPROF DATA_DIR WRITERS CALLS_EACH PAUSE_MS IDS_FILE
 *   bench_hook visible    TOOLPROF DATA_DIR SAMPLES IDS_FILE
 *   bench_hook events     TOOLPROF DATA_DIR CALLS IDS_FILE
 *   bench_hook payloads   DIR
 *
 * Claude Code runs the hook once per tool call and waits for it: it spawns
 * the command, writes the PostToolUse payload to its stdin (a pipe) and
 * waits for the exit. This program does the same with posix_spawn() and
 * measures, per call, the wall time from creating the pipe to waitpid()
 * returning: process start, reading and parsing the payload, describing
 * the call, appending it to the spool (the hook's durability point: one
 * write(2) under flock, see docs/architecture.md) and exit. Payloads are
 * realistic current-format (2.1.119+, with duration_ms) Read, Bash and
 * Edit results, in rotation, each with its own tool_use_id ("toolu_01" and
 * 22 base-62 characters).
 *
 * serial: CALLS hook calls interleaved one by one with CALLS runs of
 *   /bin/true given the same payload on stdin, so that the ratio of the
 *   two medians compares like with like on a noisy machine.
 * concurrent: WRITERS processes start together and each makes CALLS_EACH
 *   hook calls, back to back when PAUSE_MS is 0, else separated by a random
 *   pause of 0 to PAUSE_MS ms (agents do not call tools back to back); then
 *   the same with /bin/true.
 * events: the three events `toolprof install-hook` registers, for each of
 *   CALLS calls: PreToolUse, PermissionRequest (as Claude Code 2.1.332
 *   sends it: no tool_use_id, the same input), PostToolUse, each
 *   interleaved with /bin/true given the same payload; per event and per
 *   call (the three together), the wall time and, as "-cpu", the CPU time
 *   the process used (user + system, from wait4), which a loaded machine
 *   stretches far less. Every call asks, the costliest case: its
 *   PermissionRequest finds the call through the link its PreToolUse made.
 * payloads: write call 0's three payloads to DIR/pre.json, perm.json and
 *   post.json, for a profiler (valgrind --tool=callgrind toolprof hook <
 *   DIR/pre.json ...), in that order, in one data directory.
 * visible: with a server running on DATA_DIR (it drains the spool every
 *   250 ms), SAMPLES times: one hook call, then poll the database every
 *   0.5 ms until the row count grows; the time from spawn to the row being
 *   readable in SQLite. A random pause of up to 250 ms (one drain period) between samples
 *   samples the drain timer at a uniformly random phase.
 *
 * Every tool_use_id used is appended to IDS_FILE, one per line, so that the
 * caller can check afterwards that each call was stored exactly once.
 * Output lines (times in ms):
 *
 *   hook LABEL N P50 P99 MAX MEAN
 *
 * Built by bench/run.sh against build/libtoolprof.a (for store_info only).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "store/store.h"

extern char **environ;

#define BH_MAX_PAYLOAD 16384

/* ---- payloads --------------------------------------------------------- */

static const char bh_base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Write n base-62 digits of v into out (most significant first). */
static void bh_b62(char *out, int n, uint64_t v)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = bh_base62[v % 62];
        v /= 62;
    }
}

/* "toolu_01" + 22 characters: 11 from the run's salt, 11 from the call's
 * sequence number, so ids are unique within a run and across runs. */
static void bh_tool_use_id(char out[31], uint64_t salt, uint64_t seq)
{
    memcpy(out, "toolu_01", 8);
    bh_b62(out + 8, 11, salt);
    bh_b62(out + 19, 11, seq);
    out[30] = '\0';
}

/* About 4 KB of a C source file, as a Read result carries it (JSON-escaped
 * newlines and quotes included). */
static void bh_file_content(char *out, size_t cap)
{
    static const char *const lines[] = {
        "#include <stdio.h>\\n",
        "static int parse_header(const char *line, size_t len, struct header *h)\\n",
        "{\\n",
        "    const char *colon = memchr(line, ':', len);\\n",
        "    if (!colon)\\n",
        "        return -1; /* \\\"Name: value\\\" expected */\\n",
        "    h->name_len = (size_t)(colon - line);\\n",
        "    h->value = colon + 1;\\n",
        "    while (h->value < line + len && (*h->value == ' ' || *h->value == '\\\\t'))\\n",
        "        h->value++;\\n",
        "    return 0;\\n",
        "}\\n",
    };
    size_t len = 0, i = 0;
    out[0] = '\0';
    while (len < 4000) {
        size_t l = strlen(lines[i % 12]);
        if (len + l + 1 > cap)
            break;
        memcpy(out + len, lines[i % 12], l + 1);
        len += l;
        i++;
    }
}

/* What call seq's payloads hold: a Read, a Bash or an Edit, in rotation,
 * with its input and response as JSON text and its duration_ms. */
struct bh_parts {
    const char *tool;
    char input[512];
    char response[BH_MAX_PAYLOAD - 2048];
    int duration_ms;
};

static void bh_parts(uint64_t seq, const char *content, struct bh_parts *p)
{
    switch (seq % 3) {
    case 0:
        p->tool = "Read";
        snprintf(p->input, sizeof p->input,
                 "{\"file_path\":\"/home/dev/projects/webapp/src/http.c\"}");
        snprintf(p->response, sizeof p->response,
                 "{\"type\":\"text\",\"file\":{\"filePath\":\"/home/dev/projects/webapp/src/"
                 "http.c\",\"content\":\"%s\",\"numLines\":120,\"startLine\":1,\"totalLines\":"
                 "120}}",
                 content);
        p->duration_ms = 3 + (int)(seq % 17);
        break;
    case 1:
        p->tool = "Bash";
        snprintf(p->input, sizeof p->input,
                 "{\"command\":\"npm test -- --runInBand\",\"description\":\"Run the test "
                 "suite\"}");
        snprintf(p->response, sizeof p->response,
                 "{\"stdout\":\"PASS src/http.test.js\\n  parse_header\\n    \\u2713 splits "
                 "name and value (3 ms)\\n    \\u2713 rejects a line without a colon (1 "
                 "ms)\\n\\nTest Suites: 1 passed, 1 total\\nTests:       2 passed, 2 "
                 "total\\nTime:        1.284 s\\n\",\"stderr\":\"\",\"interrupted\":false,"
                 "\"isImage\":false}");
        p->duration_ms = 1200 + (int)(seq % 500);
        break;
    default:
        p->tool = "Edit";
        snprintf(p->input, sizeof p->input,
                 "{\"file_path\":\"/home/dev/projects/webapp/src/http.c\",\"old_string\":\""
                 "        return -1;\",\"new_string\":\"        return HTTP_EBADHDR;\","
                 "\"replace_all\":false}");
        snprintf(p->response, sizeof p->response,
                 "{\"filePath\":\"/home/dev/projects/webapp/src/http.c\",\"oldString\":\""
                 "        return -1;\",\"newString\":\"        return HTTP_EBADHDR;\","
                 "\"originalFile\":null,\"structuredPatch\":[{\"oldStart\":4,\"oldLines\":3,"
                 "\"newStart\":4,\"newLines\":3,\"lines\":[\"     if (!colon)\",\"-        "
                 "return -1;\",\"+        return HTTP_EBADHDR;\",\"     h->name_len = "
                 "(size_t)(colon - line);\"]}],\"userModified\":false,\"replaceAll\":false}");
        p->duration_ms = 20 + (int)(seq % 30);
        break;
    }
}

enum bh_event { BH_PRE, BH_PERM, BH_POST, BH_EVENTS };
static const char *const bh_event_names[BH_EVENTS] = {"pre", "perm", "post"};

/* The payload of event ev of call seq, as Claude Code sends it. */
static size_t bh_event_payload(char *out, size_t cap, enum bh_event ev, const char *id,
                               uint64_t seq, const char *content)
{
    static const char env[] =
        "\"session_id\":\"7f3c2a91-5d4e-4b8a-9c61-2e8f0b1d4a73\","
        "\"transcript_path\":\"/home/dev/.claude/projects/-home-dev-projects-webapp/"
        "7f3c2a91-5d4e-4b8a-9c61-2e8f0b1d4a73.jsonl\","
        "\"cwd\":\"/home/dev/projects/webapp\",\"permission_mode\":\"default\",";
    static struct bh_parts p;
    int n;
    bh_parts(seq, content, &p);
    switch (ev) {
    case BH_PRE:
        n = snprintf(out, cap,
                     "{%s\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"%s\","
                     "\"tool_input\":%s,\"tool_use_id\":\"%s\"}",
                     env, p.tool, p.input, id);
        break;
    case BH_PERM:
        n = snprintf(out, cap,
                     "{%s\"hook_event_name\":\"PermissionRequest\",\"tool_name\":\"%s\","
                     "\"tool_input\":%s,\"permission_suggestions\":[{\"type\":\"setMode\","
                     "\"mode\":\"acceptEdits\",\"destination\":\"session\"}]}",
                     env, p.tool, p.input);
        break;
    default:
        n = snprintf(out, cap,
                     "{%s\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"%s\","
                     "\"tool_input\":%s,\"tool_response\":%s,\"tool_use_id\":\"%s\","
                     "\"duration_ms\":%d}",
                     env, p.tool, p.input, p.response, id, p.duration_ms);
        break;
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The PostToolUse payload of call seq. */
static size_t bh_payload(char *out, size_t cap, const char *id, uint64_t seq, const char *content)
{
    return bh_event_payload(out, cap, BH_POST, id, seq, content);
}

/* ---- one call --------------------------------------------------------- */

static double bh_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The CPU time (user + system) of the child bh_call waited for last, in
 * ms: what the call cost the machine, whatever else was running on it
 * (a loaded machine stretches the wall time, far less the CPU time). */
static double bh_last_cpu_ms;

/* Run argv with payload on its stdin (a pipe) and wait for it. Returns the
 * wall time in ms, or a negative value when the spawn or the child failed. */
static double bh_call(char *const argv[], const char *payload, size_t len)
{
    posix_spawn_file_actions_t fa;
    int fds[2], status;
    pid_t pid;
    double t0 = bh_now_ms();

    if (pipe(fds) != 0)
        return -1;
    /* Payloads are far below the pipe's 64 KB, so this never blocks. */
    if (write(fds[1], payload, len) != (ssize_t)len) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    close(fds[1]);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0)
        return -1;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            return -1;
    double t = bh_now_ms() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    bh_last_cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    return t;
}

/* ---- statistics --------------------------------------------------------- */

static int bh_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double bh_rank(const double *v, size_t n, double p)
{
    size_t k = (size_t)((p / 100.0) * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    return v[(k > n ? n : k) - 1];
}

static void bh_report(const char *label, double *v, size_t n)
{
    double sum = 0;
    if (n == 0) {
        printf("hook %-22s 0\n", label);
        return;
    }
    qsort(v, n, sizeof *v, bh_cmp);
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    printf("hook %-22s %6zu %9.3f %9.3f %9.3f %9.3f\n", label, n, bh_rank(v, n, 50),
           bh_rank(v, n, 99), v[n - 1], sum / (double)n);
    fflush(stdout);
}

/* ---- modes ------------------------------------------------------------ */

struct bh_ctx {
    char *hook_argv[5];
    char *true_argv[2];
    uint64_t salt;
    char content[4200];
    FILE *ids;
};

/* Make call seq: its id (recorded) and payload. */
static size_t bh_next(struct bh_ctx *c, uint64_t seq, char *payload)
{
    char id[31];
    bh_tool_use_id(id, c->salt, seq);
    fprintf(c->ids, "%s\n", id);
    return bh_payload(payload, BH_MAX_PAYLOAD, id, seq, c->content);
}

static int bh_serial(struct bh_ctx *c, size_t calls)
{
    static char payload[BH_MAX_PAYLOAD];
    double *th = calloc(calls, sizeof *th), *tt = calloc(calls, sizeof *tt);
    int rc = 0;
    if (!th || !tt) {
        free(th);
        free(tt);
        return 1;
    }
    for (size_t i = 0; i < calls && rc == 0; i++) {
        size_t len = bh_next(c, i, payload);
        /* Alternate which goes first, so neither always follows the other. */
        if (i % 2 == 0) {
            tt[i] = bh_call(c->true_argv, payload, len);
            th[i] = bh_call(c->hook_argv, payload, len);
        } else {
            th[i] = bh_call(c->hook_argv, payload, len);
            tt[i] = bh_call(c->true_argv, payload, len);
        }
        if (th[i] < 0 || tt[i] < 0) {
            fprintf(stderr, "bench_hook: call %zu failed\n", i);
            rc = 1;
        }
    }
    if (rc == 0) {
        bh_report("serial-true", tt, calls);
        bh_report("serial-hook", th, calls);
    }
    free(th);
    free(tt);
    return rc;
}

/* WRITERS processes, released together, CALLS_EACH calls each of argv;
 * latencies land in shared memory. */
static int bh_fanout(struct bh_ctx *c, char *const argv[], int record_ids, size_t writers,
                     size_t each, unsigned pause_ms, uint64_t seq0, const char *label)
{
    size_t total = writers * each;
    double *t =
        mmap(NULL, total * sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int gate[2], failed = 0;
    if (t == MAP_FAILED || pipe(gate) != 0)
        return 1;
    fflush(NULL);
    for (size_t w = 0; w < writers; w++) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            static char payload[BH_MAX_PAYLOAD];
            char b;
            close(gate[1]);
            if (read(gate[0], &b, 1) < 0) /* EOF when the parent opens the gate */
                _exit(1);
            srand((unsigned)(c->salt + w));
            for (size_t i = 0; i < each; i++) {
                if (pause_ms > 0)
                    usleep((useconds_t)(rand() % (int)(pause_ms * 1000 + 1)));
                uint64_t seq = seq0 + w * each + i;
                char id[31];
                bh_tool_use_id(id, c->salt, seq);
                size_t len = bh_payload(payload, sizeof payload, id, seq, c->content);
                t[w * each + i] = bh_call(argv, payload, len);
            }
            _exit(0);
        }
    }
    close(gate[0]);
    if (record_ids)
        for (size_t i = 0; i < total; i++) {
            char id[31];
            bh_tool_use_id(id, c->salt, seq0 + i);
            fprintf(c->ids, "%s\n", id);
        }
    close(gate[1]);
    for (size_t w = 0; w < writers; w++) {
        int status;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
    }
    for (size_t i = 0; i < total; i++)
        if (t[i] < 0)
            failed = 1;
    if (failed)
        fprintf(stderr, "bench_hook: %s: some calls failed\n", label);
    else
        bh_report(label, t, total);
    munmap(t, total * sizeof *t);
    return failed;
}

static int bh_events(struct bh_ctx *c, size_t calls)
{
    static char payload[BH_MAX_PAYLOAD];
    /* Wall times, and CPU times (ch, ct), per event and per call. */
    double *th[BH_EVENTS + 1], *tt[BH_EVENTS + 1], *ch[BH_EVENTS + 1], *ct[BH_EVENTS + 1];
    int rc = 0;
    for (int e = 0; e <= BH_EVENTS; e++) {
        th[e] = calloc(calls, sizeof(double));
        tt[e] = calloc(calls, sizeof(double));
        ch[e] = calloc(calls, sizeof(double));
        ct[e] = calloc(calls, sizeof(double));
        if (!th[e] || !tt[e] || !ch[e] || !ct[e])
            return 1;
    }
    for (size_t i = 0; i < calls && rc == 0; i++) {
        char id[31];
        /* Sequence numbers apart from the other modes' (same salt). */
        uint64_t seq = 2000000000ULL + i;
        bh_tool_use_id(id, c->salt, seq);
        fprintf(c->ids, "%s\n", id);
        for (int e = 0; e < BH_EVENTS; e++) {
            size_t len =
                bh_event_payload(payload, sizeof payload, (enum bh_event)e, id, seq, c->content);
            double h, t, hc, tc;
            /* Alternate which goes first, so neither always follows the
             * other (the hook's order of events is kept). */
            if ((i + (size_t)e) % 2 == 0) {
                t = bh_call(c->true_argv, payload, len);
                tc = bh_last_cpu_ms;
                h = bh_call(c->hook_argv, payload, len);
                hc = bh_last_cpu_ms;
            } else {
                h = bh_call(c->hook_argv, payload, len);
                hc = bh_last_cpu_ms;
                t = bh_call(c->true_argv, payload, len);
                tc = bh_last_cpu_ms;
            }
            if (len == 0 || h < 0 || t < 0) {
                fprintf(stderr, "bench_hook: call %zu, event %s failed\n", i, bh_event_names[e]);
                rc = 1;
                break;
            }
            th[e][i] = h;
            tt[e][i] = t;
            th[BH_EVENTS][i] += h;
            tt[BH_EVENTS][i] += t;
            ch[e][i] = hc;
            ct[e][i] = tc;
            ch[BH_EVENTS][i] += hc;
            ct[BH_EVENTS][i] += tc;
        }
    }
    for (int e = 0; e <= BH_EVENTS; e++) {
        char label[32];
        const char *name = e < BH_EVENTS ? bh_event_names[e] : "call";
        if (rc == 0) {
            snprintf(label, sizeof label, "events-%s-true", name);
            bh_report(label, tt[e], calls);
            snprintf(label, sizeof label, "events-%s-hook", name);
            bh_report(label, th[e], calls);
            snprintf(label, sizeof label, "events-%s-true-cpu", name);
            bh_report(label, ct[e], calls);
            snprintf(label, sizeof label, "events-%s-hook-cpu", name);
            bh_report(label, ch[e], calls);
        }
        free(th[e]);
        free(tt[e]);
        free(ch[e]);
        free(ct[e]);
    }
    return rc;
}

static int bh_write_payloads(struct bh_ctx *c, const char *dir)
{
    static char payload[BH_MAX_PAYLOAD];
    char id[31], path[4096];
    bh_tool_use_id(id, c->salt, 0);
    for (int e = 0; e < BH_EVENTS; e++) {
        size_t len = bh_event_payload(payload, sizeof payload, (enum bh_event)e, id, 0, c->content);
        snprintf(path, sizeof path, "%s/%s.json", dir, bh_event_names[e]);
        FILE *f = fopen(path, "w");
        if (!f || fwrite(payload, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "bench_hook: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    return 0;
}

static int64_t bh_rows(struct store *s)
{
    struct store_info info;
    return store_info(s, &info) == 0 ? info.operations : -1;
}

static int bh_visible(struct bh_ctx *c, const char *data_dir, size_t samples)
{
    static char payload[BH_MAX_PAYLOAD];
    char err[TP_ERR_MAX];
    struct store *s;
    double *tv = calloc(samples, sizeof *tv), *tx = calloc(samples, sizeof *tx);
    int rc = 0;

    if (!tv || !tx || store_open(data_dir, STORE_READONLY | STORE_NOCREATE, &s, err) != 0) {
        fprintf(stderr, "bench_hook: cannot open the store of %s\n", data_dir);
        free(tv);
        free(tx);
        return 1;
    }
    srand((unsigned)c->salt);
    for (size_t i = 0; i < samples && rc == 0; i++) {
        /* Sequence numbers far from the other modes' (same salt). */
        size_t len = bh_next(c, 1000000000ULL + i, payload);
        int64_t before = bh_rows(s);
        double t0 = bh_now_ms(), t;
        tx[i] = bh_call(c->hook_argv, payload, len);
        if (tx[i] < 0) {
            rc = 1;
            break;
        }
        for (;;) {
            t = bh_now_ms() - t0;
            if (bh_rows(s) > before)
                break;
            if (t > 10000) {
                fprintf(stderr, "bench_hook: call %zu not visible after 10 s\n", i);
                rc = 1;
                break;
            }
            usleep(500);
        }
        tv[i] = t;
        usleep((useconds_t)(rand() % 250000));
    }
    store_close(s);
    if (rc == 0) {
        bh_report("visible-hook-exit", tx, samples);
        bh_report("visible-in-sqlite", tv, samples);
    }
    free(tv);
    free(tx);
    return rc;
}

int main(int argc, char **argv)
{
    struct bh_ctx c;
    const char *mode = argc > 1 ? argv[1] : "";
    int rc;

    memset(&c, 0, sizeof c);
    c.salt = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
    bh_file_content(c.content, sizeof c.content);
    if (strcmp(mode, "payloads") == 0 && argc == 3)
        return bh_write_payloads(&c, argv[2]);
    if (argc < 6 || (strcmp(mode, "concurrent") == 0 && argc != 8) ||
        (strcmp(mode, "concurrent") != 0 && argc != 6)) {
        fprintf(stderr, "usage: bench_hook serial     TOOLPROF DATA_DIR CALLS IDS_FILE\n"
                        "       bench_hook concurrent TOOLPROF DATA_DIR WRITERS CALLS_EACH "
                        "PAUSE_MS IDS_FILE\n"
                        "       bench_hook visible    TOOLPROF DATA_DIR SAMPLES IDS_FILE\n"
                        "       bench_hook events     TOOLPROF DATA_DIR CALLS IDS_FILE\n"
                        "       bench_hook payloads   DIR\n");
        return 2;
    }
    c.hook_argv[0] = argv[2];
    c.hook_argv[1] = "--data-dir";
    c.hook_argv[2] = argv[3];
    c.hook_argv[3] = "hook";
    c.true_argv[0] = "/bin/true";
    c.ids = fopen(argv[argc - 1], "a");
    if (!c.ids) {
        fprintf(stderr, "bench_hook: cannot open %s: %s\n", argv[argc - 1], strerror(errno));
        return 1;
    }
    if (strcmp(mode, "serial") == 0) {
        rc = bh_serial(&c, (size_t)strtoull(argv[4], NULL, 10));
    } else if (strcmp(mode, "concurrent") == 0) {
        size_t writers = (size_t)strtoull(argv[4], NULL, 10);
        size_t each = (size_t)strtoull(argv[5], NULL, 10);
        unsigned pause = (unsigned)strtoul(argv[6], NULL, 10);
        /* Distinct sequence numbers per (writers, pause) run of one salt. */
        uint64_t seq0 = 100000000ULL * (1 + writers) + 1000000ULL * pause;
        char label[64];
        snprintf(label, sizeof label, "w%zu-pause%u-hook", writers, pause);
        rc = bh_fanout(&c, c.hook_argv, 1, writers, each, pause, seq0, label);
        snprintf(label, sizeof label, "w%zu-pause%u-true", writers, pause);
        if (rc == 0)
            rc = bh_fanout(&c, c.true_argv, 0, writers, each, pause, seq0 + 500000ULL, label);
    } else if (strcmp(mode, "events") == 0) {
        rc = bh_events(&c, (size_t)strtoull(argv[4], NULL, 10));
    } else if (strcmp(mode, "visible") == 0) {
        rc = bh_visible(&c, argv[3], (size_t)strtoull(argv[4], NULL, 10));
    } else {
        fprintf(stderr, "bench_hook: unknown mode %s\n", mode);
        rc = 2;
    }
    fclose(c.ids);
    return rc;
}
