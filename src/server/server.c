/*
 * server.c - `toolprof serve`: sockets, threads, signals, libmicrohttpd.
 *
 * This file is the glue between libmicrohttpd and api.c; no route logic
 * lives here. Its parts, in the order a run goes through them:
 *
 * Start. The address is checked (a public address needs a token), the data
 * directory is opened once on the main thread (so that an unusable one is
 * a clear message at start, not a 500 later), and the listening socket is
 * created here rather than by MHD: that way a port in use is reported with
 * errno, and port 0 can be resolved to the port the kernel chose. Then
 * libmicrohttpd is loaded (mhd.h) and started on that socket with its epoll
 * thread pool and an idle timeout.
 *
 * Requests. MHD calls on_request() once with the headers, once per body
 * chunk and once at the end. The raw request target is captured earlier
 * by the URI log callback (MHD decodes its own copy), and becomes the
 * per-request state. The first call asks api_begin() whether to answer now
 * (policy refusals, 404/405, 415, a body announced over the cap: MHD only
 * lets an answer be queued before the body or after all of it); body chunks
 * are kept up to the route's cap and drained beyond it, so a chunked upload
 * over the cap still gets its 413 at the end.
 *
 * Connections. Every connection is registered in conns.h (MHD's connection
 * notifier) with its client's address, and its state follows the callbacks:
 * the URI callback means a request line arrived, the first on_request()
 * call that its headers are complete, on_completed() that it was answered.
 * The registry enforces the connection limits (per client and in all),
 * making room for a new connection by closing an idle one, and the
 * maintenance thread has it close connections stuck sending their request
 * (TP_HTTP_HEADER_TIMEOUT_S, TP_HTTP_REQUEST_TIMEOUT_S). MHD's own limits
 * would refuse the newcomer instead, which lets a client that holds idle
 * connections (or reconnects in a loop) lock everyone else out: they are
 * set above ours, as a backstop only. The process's open-file limit is
 * raised, if need be, to what those limits can hold.
 *
 * Stores. SQLite connections are not shared between threads: each request
 * thread opens its own store on first use (thread-local), and all of them
 * are closed after MHD's threads have stopped.
 *
 * Maintenance. One thread, with the store opened at start, drains the hook
 * spool every TP_SPOOL_DRAIN_MS (hooks append to it instead of opening
 * SQLite, spool.h), applies retention every few hours, and watches slow
 * connections.
 *
 * Stop. SIGINT and SIGTERM are blocked in every thread and taken by the
 * main thread with sigwait(). It then stops accepting (MHD quiesce), waits
 * for requests in flight to finish (a bounded time, or until a second
 * signal), stops the watcher and the maintenance thread, stops MHD, and
 * closes everything.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/hookpend.h"
#include "ingest/watch.h"
#include "server/api.h"
#include "server/assets.h"
#include "server/conns.h"
#include "server/grpc.h"
#include "server/mhd.h"
#include "store/spool.h"
#include "store/store.h"

struct server {
    struct mhd_lib mhd;
    struct MHD_Daemon *daemon;
    struct api_env env;
    const char *data_dir;
    int verbose;
    int64_t retention_ms;
    int64_t data_version; /* of maint_store, to notice other processes' commits */
    /* The spool's drains (see maint_spool). */
    int spool_rc;             /* the last drain's error, 0 after one that finished */
    int64_t spool_retry_ms;   /* monotonic time of the next attempt after an error */
    int64_t spool_backoff_ms; /* and the current wait between attempts */
    unsigned long spool_failed_drains;
    int64_t pend_sweep_ms; /* next look for unfinished hook calls (monotonic ms) */

    atomic_int inflight; /* requests between their first callback and completion */

    struct conns *conns;                  /* the open connections and their limits */
    struct conns_limits limits;           /* of conns */
    uint64_t shed_logged, refused_logged; /* conns_stats() counts already reported */
    int64_t next_limit_log_ms;

    pthread_mutex_t lock;  /* guards stores */
    struct store **stores; /* the request threads' stores */
    size_t nstores, astores;

    struct watch_opts watch_opts;
    struct watch *watch;      /* the transcript watcher, NULL when off */
    struct grpc_server *grpc; /* the OTLP/gRPC listener, NULL when off */

    /* Maintenance thread. */
    struct store *maint_store;
    pthread_t maint;
    int maint_started;
    pthread_mutex_t maint_lock;
    pthread_cond_t maint_cond;
    int maint_stop;
};

/* Per-request state: MHD's *con_cls. */
struct req_state {
    char *target; /* raw request target, from the URI log callback */
    char *path;
    struct http_req req;
    struct http_resp resp;
    struct buf body;
    size_t cap;
    int begun, too_big;
};

/* ---- addresses --------------------------------------------------------------- */

unsigned server_default_per_client(unsigned max_connections)
{
    unsigned share = max_connections / TP_HTTP_CLIENT_SHARE;
    if (share < 1)
        share = 1;
    return share < TP_HTTP_MAX_CONNS_PER_CLIENT ? share : TP_HTTP_MAX_CONNS_PER_CLIENT;
}

int server_parse_listen(const char *listen, char *ip, int *port, char *errbuf)
{
    const char *colon;
    size_t hlen;
    if (!listen || !*listen)
        listen = SERVER_DEFAULT_LISTEN;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return tp_fail(errbuf, TP_EINVAL, "--listen %s: write an IPv6 address as [ADDR]:PORT",
                           listen);
        hlen = (size_t)(close - listen - 1);
        if (hlen == 0 || hlen >= 64)
            return tp_fail(errbuf, TP_EINVAL, "--listen %s: bad address", listen);
        memcpy(ip, listen + 1, hlen);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return tp_fail(errbuf, TP_EINVAL, "--listen %s: expected HOST:PORT", listen);
        hlen = (size_t)(colon - listen);
        if (hlen >= 64 || memchr(listen, ':', hlen))
            return tp_fail(errbuf, TP_EINVAL,
                           "--listen %s: expected HOST:PORT (IPv6 as [ADDR]:PORT)", listen);
        memcpy(ip, listen, hlen);
    }
    ip[hlen] = '\0';
    if (hlen == 0 || strcmp(ip, "localhost") == 0)
        strcpy(ip, "127.0.0.1");

    const char *p = colon + 1;
    long n = 0;
    if (!*p || strlen(p) > 5)
        return tp_fail(errbuf, TP_EINVAL, "--listen %s: PORT must be 0 to 65535", listen);
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return tp_fail(errbuf, TP_EINVAL, "--listen %s: PORT must be 0 to 65535", listen);
        n = n * 10 + (*p - '0');
    }
    if (n > 65535)
        return tp_fail(errbuf, TP_EINVAL, "--listen %s: PORT must be 0 to 65535", listen);
    *port = (int)n;

    unsigned char a[16];
    if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
        return tp_fail(errbuf, TP_EINVAL,
                       "--listen %s: HOST must be a numeric address (or localhost)", listen);
    return 0;
}

/* Create, bind and listen; *port receives the bound port. Returns the
 * socket or -1 with errbuf filled. */
static int open_listener(const char *ip, int *port, char *errbuf)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)*port);
        inet_pton(AF_INET, ip, &sin->sin_addr);
        sl = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)*port);
        inet_pton(AF_INET6, ip, &sin6->sin6_addr);
        sl = sizeof *sin6;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        tp_fail(errbuf, TP_EIO, "cannot create a socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    /* SO_REUSEADDR lets a restarted server bind while old connections sit
     * in TIME_WAIT; on Linux it does not let two servers share a port. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const char *lb = family == AF_INET6 ? "[" : "", *rb = family == AF_INET6 ? "]" : "";
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            tp_fail(errbuf, TP_EIO,
                    "cannot listen on %s%s%s:%d: the port is already in use (another toolprof "
                    "serve?); pick another with --listen HOST:PORT",
                    lb, ip, rb, *port);
        else
            tp_fail(errbuf, TP_EIO, "cannot listen on %s%s%s:%d: %s", lb, ip, rb, *port,
                    strerror(e));
        return -1;
    }
    /* A deep queue: a burst of connects (a client opening hundreds at once)
     * waits there for accept(), which is quick, instead of having its SYNs
     * dropped and retried a second later. */
    if (listen(fd, TP_HTTP_LISTEN_BACKLOG) != 0) {
        tp_fail(errbuf, TP_EIO, "cannot listen on %s%s%s:%d: %s", lb, ip, rb, *port,
                strerror(errno));
        close(fd);
        return -1;
    }
    /* Accept a connection only once its first bytes have arrived (or after
     * TP_HTTP_DEFER_ACCEPT_S, when the kernel hands it over anyway): one
     * that sends nothing then costs no slot, and one that does is seen
     * with its request in hand, which is what conns.h needs to tell it from
     * an idle one. Without this, a client reconnecting in a loop could have
     * a new connection closed to make room in the moment between its
     * accept() and the arrival of its request. Best effort: on failure the
     * limits still hold, with that moment open. */
    int defer = TP_HTTP_DEFER_ACCEPT_S;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

/* ---- per-thread stores ------------------------------------------------------- */

static _Thread_local struct store *thread_store_ptr;

static struct store *thread_store(void *ctx, char *errbuf)
{
    struct server *sv = ctx;
    if (thread_store_ptr)
        return thread_store_ptr;
    struct store *s;
    if (store_open(sv->data_dir, 0, &s, errbuf) != 0)
        return NULL;
    pthread_mutex_lock(&sv->lock);
    if (sv->nstores == sv->astores) {
        sv->astores = sv->astores ? 2 * sv->astores : 8;
        sv->stores = xreallocarray(sv->stores, sv->astores, sizeof *sv->stores);
    }
    sv->stores[sv->nstores++] = s;
    pthread_mutex_unlock(&sv->lock);
    thread_store_ptr = s;
    return s;
}

/* ---- MHD callbacks ----------------------------------------------------------- */

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    fprintf(stderr, "toolprof serve: http: %s\n", msg);
}

static int64_t mono_ms(void)
{
    return tpt_mono_ns() / 1000000;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct server *sv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            sv->mhd.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            sv->mhd.get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context = conns_open(sv->conns, fd ? fd->connect_fd : -1,
                                     addr ? addr->client_addr : NULL, mono_ms());
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (*socket_context)
            conns_close(sv->conns, *socket_context);
        *socket_context = NULL;
    }
}

static struct conn *conn_of(struct server *sv, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        sv->mhd.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct server *sv = cls;
    struct conn *cn = conn_of(sv, c);
    if (cn) /* a request line arrived: the connection is no longer idle */
        conns_request_line(sv->conns, cn);
    struct req_state *rs = xcalloc(1, sizeof *rs);
    rs->target = xstrdup(uri ? uri : "/");
    http_resp_init(&rs->resp);
    buf_init(&rs->body, 1);
    return rs;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *sv = cls;
    struct req_state *rs = *con_cls;
    (void)toe;
    if (!rs)
        return;
    if (rs->begun)
        atomic_fetch_sub(&sv->inflight, 1);
    struct conn *cn = conn_of(sv, c);
    if (cn)
        conns_request_done(sv->conns, cn, mono_ms());
    http_resp_free(&rs->resp);
    buf_free(&rs->body);
    free(rs->path);
    free(rs->target);
    free(rs);
    *con_cls = NULL;
}

static const char *header(struct server *sv, struct MHD_Connection *c, const char *name)
{
    return sv->mhd.lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Content-Length as a number; -1 when absent or not a plain number. */
static int64_t content_length(const char *v)
{
    if (!v || !*v)
        return -1;
    int64_t n = 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > INT64_MAX / 10 - 10)
            return -1;
        n = n * 10 + (*v - '0');
    }
    return n;
}

/* Every header line, duplicates included (lookups see only the first). */
static enum MHD_Result on_header_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    http_framing_add(cls, key, value);
    return MHD_YES;
}

static void fill_req(struct server *sv, struct MHD_Connection *c, const char *method,
                     struct req_state *rs)
{
    struct http_req *r = &rs->req;
    rs->path = http_split_target(rs->target, &r->query);
    r->method = method;
    r->path = rs->path;
    r->host = header(sv, c, "Host");
    r->origin = header(sv, c, "Origin");
    r->sec_fetch_site = header(sv, c, "Sec-Fetch-Site");
    r->authorization = header(sv, c, "Authorization");
    r->cookie = header(sv, c, "Cookie");
    r->content_type = header(sv, c, "Content-Type");
    r->content_encoding = header(sv, c, "Content-Encoding");
    r->accept_encoding = header(sv, c, "Accept-Encoding");
    r->if_none_match = header(sv, c, "If-None-Match");
    r->content_length = content_length(header(sv, c, "Content-Length"));
    /* As MHD decides it: the first Transfer-Encoding is "chunked" exactly.
     * Any other framing is refused by api_begin() (http_framing_check). */
    const char *te = header(sv, c, "Transfer-Encoding");
    r->chunked = te && strcasecmp(te, "chunked") == 0;
    sv->mhd.get_connection_values(c, MHD_HEADER_KIND, on_header_line, &r->framing);
    const char *expect = header(sv, c, "Expect");
    r->expect_continue = expect && strcasestr(expect, "100-continue") != NULL;
}

static enum MHD_Result send_answer(struct server *sv, struct MHD_Connection *c,
                                   struct req_state *rs)
{
    struct http_resp *hr = &rs->resp;
    struct MHD_Response *m;
    if (hr->static_body) {
        m = sv->mhd.create_response_from_buffer(hr->static_len, (void *)hr->static_body,
                                                MHD_RESPMEM_PERSISTENT);
    } else {
        size_t len;
        char *data = buf_steal(&hr->body, &len);
        m = sv->mhd.create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!m)
            free(data);
    }
    if (!m)
        return MHD_NO;
    if (hr->content_type)
        sv->mhd.add_response_header(m, "Content-Type", hr->content_type);
    for (size_t i = 0; i < hr->nheaders; i++)
        sv->mhd.add_response_header(m, hr->headers[i].name, hr->headers[i].value);
    for (size_t i = 0; http_security_headers[i][0]; i++)
        sv->mhd.add_response_header(m, http_security_headers[i][0], http_security_headers[i][1]);
    if (hr->status != 304 && !hr->static_body)
        sv->mhd.add_response_header(m, "Cache-Control", "no-store");
    enum MHD_Result ret = sv->mhd.queue_response(c, (unsigned)hr->status, m);
    sv->mhd.destroy_response(m);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct server *sv = cls;
    struct req_state *rs = *con_cls;
    (void)version;
    if (!rs) /* no URI log call: cannot happen with our options, but be safe */
        rs = *con_cls = on_uri(sv, url, c);

    if (!rs->begun) {
        rs->begun = 1;
        atomic_fetch_add(&sv->inflight, 1);
        struct conn *cn = conn_of(sv, c);
        if (cn)
            conns_headers_done(sv->conns, cn, mono_ms());
        fill_req(sv, c, method, rs);
        if (api_begin(&sv->env, &rs->req, &rs->cap, &rs->resp))
            return send_answer(sv, c, rs);
        buf_free(&rs->body);
        buf_init(&rs->body, rs->cap + 1); /* + the NUL buf keeps */
        /* An announced body over the cap that api_begin() chose to drain
         * is not kept at all. */
        rs->too_big = rs->req.content_length > (int64_t)rs->cap;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!rs->too_big && buf_add(&rs->body, upload_data, *upload_data_size) != 0) {
            /* Keep reading (MHD cannot answer mid-body) but stop keeping. */
            rs->too_big = 1;
            buf_free(&rs->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rs->too_big) {
        api_too_big(&rs->req, &rs->resp, rs->cap);
    } else {
        rs->req.body = rs->body.data ? rs->body.data : "";
        rs->req.body_len = rs->body.len;
        api_handle(&sv->env, &rs->req, &rs->resp);
    }
    return send_answer(sv, c, rs);
}

/* ---- maintenance ------------------------------------------------------------- */

/* Say on stderr that the connection limits were reached: at most once
 * every TP_HTTP_LIMIT_LOG_MS (or now_anyway, at the end), with the counts
 * since the last report. */
static void report_limits(struct server *sv, int now_anyway)
{
    struct conns_stats st;
    conns_stats(sv->conns, &st);
    uint64_t shed = st.shed - sv->shed_logged, refused = st.refused - sv->refused_logged;
    int64_t now = mono_ms();
    if (shed + refused == 0 || (now < sv->next_limit_log_ms && !now_anyway))
        return;
    fprintf(stderr,
            "toolprof serve: connection limit reached (%u per client, %u in all): %llu idle or "
            "stalled connections closed to make room, %llu new ones refused (all busy)\n",
            sv->limits.max_per_client, sv->limits.max_total, (unsigned long long)shed,
            (unsigned long long)refused);
    sv->shed_logged = st.shed;
    sv->refused_logged = st.refused;
    sv->next_limit_log_ms = now + TP_HTTP_LIMIT_LOG_MS;
}

/* Drain the hook spool whenever it holds bytes. A drain that cannot store
 * everything leaves the rest in the spool (spool.h); the server then says
 * so once, on stderr, retries with a wait that doubles up to
 * TP_SPOOL_RETRY_MAX_MS, and says so again when a drain succeeds. /healthz
 * and the resources answer show the error meanwhile (spool_status). */
static void maint_spool(struct server *sv)
{
    char errbuf[TP_ERR_MAX] = "";
    int64_t now = tpt_mono_ns() / 1000000;
    if (sv->spool_rc != 0 ? now < sv->spool_retry_ms : spool_pending(sv->data_dir) == 0)
        return;
    struct store_result res = {0};
    size_t bad = 0;
    int rc = spool_drain(sv->maint_store, &res, &bad, sv->verbose, errbuf);
    if (res.inserted + res.merged > 0)
        cache_bump(sv->env.cache);
    if (rc != 0) {
        if (rc != sv->spool_rc)
            fprintf(stderr, "toolprof serve: spool: %s\n", errbuf);
        sv->spool_rc = rc;
        sv->spool_failed_drains++;
        sv->spool_backoff_ms = sv->spool_backoff_ms ? 2 * sv->spool_backoff_ms : TP_SPOOL_DRAIN_MS;
        if (sv->spool_backoff_ms > TP_SPOOL_RETRY_MAX_MS)
            sv->spool_backoff_ms = TP_SPOOL_RETRY_MAX_MS;
        sv->spool_retry_ms = now + sv->spool_backoff_ms;
        return;
    }
    if (sv->spool_rc != 0)
        fprintf(stderr,
                "toolprof serve: spool: drained again after %lu failed attempt%s (%zu new, %zu "
                "merged)\n",
                sv->spool_failed_drains, sv->spool_failed_drains == 1 ? "" : "s", res.inserted,
                res.merged);
    sv->spool_rc = 0;
    sv->spool_failed_drains = 0;
    sv->spool_backoff_ms = 0;
    if (bad)
        fprintf(stderr, "toolprof serve: spool: %s\n", errbuf);
    else if (sv->verbose && res.inserted + res.merged > 0)
        fprintf(stderr, "toolprof serve: spool: %zu new, %zu merged\n", res.inserted, res.merged);
}

static void maint_tick(struct server *sv, int64_t *next_prune_ms)
{
    char errbuf[TP_ERR_MAX];
    /* Calls whose hooks began but never ended become calls without a
     * result (hookpend.h): looked for every 10 s. */
    int64_t mono = mono_ms();
    if (mono >= sv->pend_sweep_ms) {
        sv->pend_sweep_ms = mono + 10000;
        if (hookpend_sweep_to_spool(sv->data_dir, tpt_now_ms(), errbuf) < 0)
            fprintf(stderr, "toolprof serve: pending hook events: %s\n", errbuf);
    }
    maint_spool(sv);
    if (sv->retention_ms > 0) {
        int64_t now = tpt_now_ms();
        if (now >= *next_prune_ms) {
            size_t deleted = 0;
            int rc = store_prune(sv->maint_store, now - sv->retention_ms, &deleted, errbuf);
            if (rc == TP_EBUSY) {
                *next_prune_ms = now + 60 * 1000; /* try again in a minute */
            } else {
                if (rc != 0)
                    fprintf(stderr, "toolprof serve: retention: %s\n", errbuf);
                else if (sv->verbose && deleted)
                    fprintf(stderr, "toolprof serve: retention: %zu operations removed\n", deleted);
                *next_prune_ms = now + TP_RETENTION_EVERY_MS;
            }
        }
    }
    /* Commits of other processes (imports, `toolprof track`) make cached
     * answers stale. */
    int64_t version = store_data_version(sv->maint_store);
    if (version != sv->data_version) {
        sv->data_version = version;
        cache_bump(sv->env.cache);
    }
    conns_reap(sv->conns, mono_ms());
    report_limits(sv, 0);
}

static void *maint_main(void *arg)
{
    struct server *sv = arg;
    int64_t next_prune = 0;
    pthread_mutex_lock(&sv->maint_lock);
    while (!sv->maint_stop) {
        pthread_mutex_unlock(&sv->maint_lock);
        maint_tick(sv, &next_prune);
        pthread_mutex_lock(&sv->maint_lock);
        if (sv->maint_stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)TP_SPOOL_DRAIN_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&sv->maint_cond, &sv->maint_lock, &ts);
    }
    pthread_mutex_unlock(&sv->maint_lock);
    return NULL;
}

/* ---- run --------------------------------------------------------------------- */

/* MHD's own connection limit: ours, plus room for the connections the
 * registry has shut down and MHD has not closed yet. MHD splits it evenly
 * between its threads, and a thread at its share stops accepting while the
 * others go on. */
static unsigned mhd_connection_limit(const struct conns_limits *l)
{
    return l->max_total + TP_HTTP_CONN_SLACK;
}

/* Raise the soft limit on open files, if need be, to what the connection
 * limits can hold, so that accept() never fails with EMFILE. */
static int raise_fd_limit(const struct conns_limits *l, int threads, char *errbuf)
{
    rlim_t need = (rlim_t)mhd_connection_limit(l) + TP_HTTP_FD_RESERVE +
                  (rlim_t)threads * TP_HTTP_FD_PER_THREAD;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return tp_fail(errbuf, TP_EIO, "cannot read the open-file limit: %s", strerror(errno));
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        return tp_fail(errbuf, TP_EINVAL,
                       "%u connections need %llu open files, but the hard limit is %llu "
                       "(ulimit -Hn): lower --max-conns or raise the limit",
                       l->max_total, (unsigned long long)need, (unsigned long long)rl.rlim_max);
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return tp_fail(errbuf, TP_EIO, "cannot raise the open-file limit to %llu: %s",
                       (unsigned long long)need, strerror(errno));
    return 0;
}

static struct MHD_Daemon *start_mhd(struct server *sv, int fd, int threads)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    /* MHD_OPTION_CONNECTION_MEMORY_LIMIT stays at its default on purpose:
     * above 32 KiB MHD mmaps a pool per connection and new-connection
     * throughput fell fivefold in our measurements (docs, c-stack.md). */
    /* No MHD_OPTION_PER_IP_CONNECTION_LIMIT: MHD would refuse a new
     * connection where conns.h closes an idle one to make room. */
    /* The logger goes first: MHD prints with its own until it sees it. */
    return sv->mhd.start_daemon(
        flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_EXTERNAL_LOGGER, on_log, sv,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)threads, MHD_OPTION_CONNECTION_LIMIT, mhd_connection_limit(&sv->limits),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TP_HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, sv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, sv, MHD_OPTION_END);
}

/* Wait for requests in flight to finish, at most TP_HTTP_DRAIN_MS or
 * until another signal arrives. */
static void drain_inflight(struct server *sv, const sigset_t *sigs)
{
    int64_t deadline = tpt_mono_ns() / 1000000 + TP_HTTP_DRAIN_MS;
    while (atomic_load(&sv->inflight) > 0 && tpt_mono_ns() / 1000000 < deadline) {
        struct timespec ts = {0, 20 * 1000000L};
        if (sigtimedwait(sigs, NULL, &ts) > 0)
            break;
    }
}

int server_run(const struct server_opts *o, char *errbuf)
{
    struct server sv;
    char ip[64];
    int port = 0, fd = -1, rc, gport = 0;
    char gip[64];
    char *dir = NULL;
    sigset_t sigs, oldmask;
    int masked = 0, mutexes = 0;

    memset(&sv, 0, sizeof sv);
    rc = server_parse_listen(o->listen, ip, &port, errbuf);
    if (rc != 0)
        return rc;
    const char *token = o->token && *o->token ? o->token : getenv("TOOLPROF_TOKEN");
    if (token && !*token)
        token = NULL;
    /* The token travels in a header, a URL and a cookie: keep it to
     * characters that need no escaping in any of them. */
    if (token && (strlen(token) < 8 || strlen(token) > 256 ||
                  strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789-._~") != strlen(token)))
        return tp_fail(errbuf, TP_EINVAL,
                       "the token must be 8 to 256 characters from A-Z a-z 0-9 - . _ ~");
    if (http_addr_kind(ip) != 1 && !token)
        return tp_fail(errbuf, TP_EINVAL,
                       "refusing to listen on %s without a token: anyone who can reach it could "
                       "read and write your data; pass --token T or set TOOLPROF_TOKEN",
                       ip);
    /* The gRPC listener follows the same rule: it writes to the store. */
    if (o->otlp_grpc) {
        char gerr[TP_ERR_MAX];
        if (server_parse_listen(o->otlp_grpc, gip, &gport, gerr) != 0)
            return tp_fail(errbuf, TP_EINVAL, "--otlp-grpc %s", gerr + strlen("--listen "));
        if (http_addr_kind(gip) != 1 && !token)
            return tp_fail(errbuf, TP_EINVAL,
                           "refusing to take OTLP/gRPC on %s without a token: pass --token T or "
                           "set TOOLPROF_TOKEN (clients send it as \"authorization: Bearer T\")",
                           gip);
    }

    /* Requests come with transient buffers of 100 KB to 16 MB (bodies,
     * inflated gzip, decoded batches). With glibc's defaults, freeing one
     * at the top of the heap gives the memory back to the kernel, and the
     * next request takes it back page fault by page fault: a gzipped OTLP
     * request of 64 KB cost 4 times its decoding that way (bench/otlp.sh).
     * Keeping up to 32 MB of free heap avoids the churn. */
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);

    sv.limits.max_total = o->max_connections ? o->max_connections : TP_HTTP_MAX_CONNS;
    sv.limits.max_per_client = o->max_connections_per_client
                                   ? o->max_connections_per_client
                                   : server_default_per_client(sv.limits.max_total);
    sv.limits.header_timeout_ms = TP_HTTP_HEADER_TIMEOUT_S * 1000LL;
    sv.limits.request_timeout_ms = TP_HTTP_REQUEST_TIMEOUT_S * 1000LL;
    sv.limits.stall_ms = TP_HTTP_STALL_MS;
    if (sv.limits.max_total > TP_HTTP_MAX_CONNS_CEIL ||
        sv.limits.max_per_client > sv.limits.max_total)
        return tp_fail(errbuf, TP_EINVAL,
                       "--max-conns must be 1 to %d, and --max-conns-per-client 1 to --max-conns",
                       TP_HTTP_MAX_CONNS_CEIL);
    int threads = o->threads > 0 ? o->threads : TP_HTTP_THREADS;
    rc = raise_fd_limit(&sv.limits, threads, errbuf);
    if (rc != 0)
        return rc;

    dir = store_default_dir(o->data_dir);
    sv.data_dir = dir;
    sv.verbose = o->verbose;
    sv.retention_ms = o->retention_ms;
    atomic_init(&sv.inflight, 0);
    pthread_mutex_init(&sv.lock, NULL);
    pthread_mutex_init(&sv.maint_lock, NULL);
    pthread_cond_init(&sv.maint_cond, NULL);
    mutexes = 1;

    /* Open the store once here: an unusable data directory is a message
     * at start, and the schema is migrated before any thread reads it. */
    char why[TP_ERR_MAX];
    rc = store_open(dir, 0, &sv.maint_store, why);
    if (rc != 0) {
        if (strstr(why, dir)) /* store_open's messages name the path */
            tp_fail(errbuf, rc, "%s", why);
        else
            tp_fail(errbuf, rc, "data directory %s is unusable: %s", dir, why);
        goto cleanup;
    }
    rc = mhd_load(&sv.mhd, errbuf);
    if (rc != 0)
        goto cleanup;
    fd = open_listener(ip, &port, errbuf);
    if (fd < 0) {
        rc = TP_EIO;
        goto cleanup;
    }
    http_policy_init(&sv.env.policy, ip, port, token);
    sv.env.store = thread_store;
    sv.env.store_ctx = &sv;
    sv.env.find_asset = assets_find;
    sv.env.cache = cache_new();
    sv.env.commitq = commitq_new();
    sv.env.otlp_joins = otlp_joins_new();
    sv.env.data_dir = sv.data_dir;

    /* Block the stop signals before any thread starts, so that every
     * thread inherits the mask and only sigwait() below receives them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, &oldmask);
    masked = 1;
    signal(SIGPIPE, SIG_IGN);

    sv.conns = conns_new(&sv.limits);
    sv.daemon = start_mhd(&sv, fd, threads);
    if (!sv.daemon) {
        rc = tp_fail(errbuf, TP_EIO, "cannot start the HTTP server on %s:%d (libmicrohttpd %s)", ip,
                     port, sv.mhd.get_version());
        goto cleanup;
    }
    if (pthread_create(&sv.maint, NULL, maint_main, &sv) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot start the maintenance thread");
        goto cleanup;
    }
    sv.maint_started = 1;

    if (o->watch) {
        /* New session files of every agent under its default places
         * (importer_agent_roots()) are imported as they are written. */
        sv.watch_opts.report = o->verbose ? stderr : NULL;
        sv.watch_opts.summary = stdout;
        rc = watch_start(dir, NULL, 0, &sv.watch_opts, &sv.watch, why);
        if (rc != 0) {
            tp_fail(errbuf, rc, "cannot watch the agents' session folders: %s (or pass --no-watch)",
                    why);
            goto cleanup;
        }
    }

    if (o->otlp_grpc) {
        int gfd = open_listener(gip, &gport, errbuf);
        if (gfd < 0) {
            rc = TP_EIO;
            goto cleanup;
        }
        rc = grpc_start(&sv.env, gfd, threads, o->verbose, &sv.grpc, errbuf);
        if (rc != 0)
            goto cleanup;
        int g6 = strchr(gip, ':') != NULL;
        printf("otlp-grpc on %s%s%s:%d\n", g6 ? "[" : "", gip, g6 ? "]" : "", gport);
    }

    int v6 = strchr(ip, ':') != NULL;
    printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", ip, v6 ? "]" : "", port);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    if (o->verbose)
        fprintf(stderr, "toolprof serve: %s, stopping\n", strsignal(sig));

    /* Stop accepting, let requests in flight finish. */
    sv.mhd.quiesce_daemon(sv.daemon);
    drain_inflight(&sv, &sigs);
    rc = 0;

cleanup:
    /* Before the stores close: its threads hold stores of their own. */
    grpc_stop(sv.grpc);
    watch_stop(sv.watch); /* before the stores close: it may hold the database */
    if (sv.maint_started) {
        pthread_mutex_lock(&sv.maint_lock);
        sv.maint_stop = 1;
        pthread_cond_signal(&sv.maint_cond);
        pthread_mutex_unlock(&sv.maint_lock);
        pthread_join(sv.maint, NULL);
    }
    if (sv.daemon)
        sv.mhd.stop_daemon(sv.daemon);
    if (sv.conns) /* the counts not reported yet; the other threads have stopped */
        report_limits(&sv, 1);
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < sv.nstores; i++)
        store_close(sv.stores[i]);
    free(sv.stores);
    conns_free(sv.conns); /* after MHD, which reports every close first */
    if (sv.maint_store)
        store_close(sv.maint_store);
    cache_free(sv.env.cache);
    commitq_free(sv.env.commitq);
    otlp_joins_free(sv.env.otlp_joins);
    mhd_unload(&sv.mhd);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
    if (mutexes) {
        pthread_cond_destroy(&sv.maint_cond);
        pthread_mutex_destroy(&sv.maint_lock);
        pthread_mutex_destroy(&sv.lock);
    }
    free(dir);
    return rc;
}
