/*
 * grpc.c - the OTLP/gRPC listener (see grpc.h).
 *
 * Threads. grpc_start() starts a few I/O threads, each with its own epoll
 * set holding the shared listening socket (EPOLLEXCLUSIVE: one thread is
 * woken per connection), an eventfd that says "stop", and the connections
 * it accepted. A connection never changes threads, so its nghttp2 session
 * is only ever touched by one thread and needs no lock.
 *
 * One connection. Bytes read go to nghttp2_session_mem_recv(), which calls
 * back with each request's headers, body chunks and end; after each read
 * whatever nghttp2 wants to send is written with nghttp2_session_mem_send()
 * until the socket would block, the unsent rest kept until it is writable
 * again (nghttp2's pointer is only valid until its next call).
 *
 * One call. The headers are checked as soon as they are complete (method,
 * path, content-type, grpc-encoding, the token), so that a call that can
 * only fail is answered before its body is read; a body is kept up to the
 * message cap, and a message whose prefix announces more than the cap is
 * refused from its prefix. When the stream ends, the body is unframed
 * (grpcmsg.c), decoded and stored (api_otlp_ingest), and answered: a 200
 * with the response message and grpc-status 0 in the trailers, or a
 * trailers-only answer carrying the error status. Bytes still arriving on
 * an answered stream are read and dropped.
 */
#include "server/grpc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "server/cache.h"
#include "server/grpcmsg.h"
#include "server/h2.h"

struct grpc_thread;

struct grpc_server {
    struct h2_lib h2;
    const struct api_env *env;
    int fd, stop_fd, verbose;
    atomic_int conns;
    atomic_size_t held; /* request bytes kept over all connections */
    struct grpc_thread *threads;
    int nthreads;
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
};

struct gconn {
    int fd;
    struct grpc_thread *t;
    nghttp2_session *s;
    int64_t last_ms; /* last bytes in either direction */
    size_t nstreams; /* open, for the idle check */
    size_t held;     /* request bytes kept over all streams */
    struct buf out;  /* bytes nghttp2 produced that the socket did not take yet */
    size_t out_off;
    int want_out;            /* EPOLLOUT registered */
    struct gstream *streams; /* open ones: nghttp2_session_del() does not close them */
    struct gconn *prev, *next;
};

struct grpc_thread {
    struct grpc_server *g;
    pthread_t tid;
    int started;
    int ep;
    struct gconn *conns;
};

struct gstream {
    int32_t id;
    enum otlp_signal sig; /* 0 until the path names a service */
    char path[TP_GRPC_MAX_PATH];
    char auth[TP_GRPC_MAX_AUTH];
    int method_post, ctype_ok, has_auth, gzip, bad_encoding;
    int64_t begun_ms; /* when its headers began: a request has TP_HTTP_REQUEST_TIMEOUT_S */
    struct buf body;
    int answered;
    /* The success answer's message, sent by the data provider. */
    char *resp;
    size_t resp_len, resp_off;
    struct gstream *prev, *next; /* the connection's streams */
};

/* Give back the request bytes a stream kept (its body is then emptied). */
static void release_body(struct gconn *c, struct gstream *st)
{
    c->held -= st->body.len;
    atomic_fetch_sub(&c->t->g->held, st->body.len);
    buf_free(&st->body);
    buf_init(&st->body, 1);
}

static void stream_free(struct gconn *c, struct gstream *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        c->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    release_body(c, st);
    buf_free(&st->body);
    free(st->resp);
    free(st);
    c->nstreams--;
}

/* ---- answers ------------------------------------------------------------------- */

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NO_COPY_NAME     \
    }

/* grpc-message is percent-encoded: bytes outside printable ASCII, and %. */
static void pct_encode(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < cap; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '%') {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

/* A trailers-only answer: the status in the one HEADERS frame. */
static void answer_error(struct gconn *c, struct gstream *st, int http_status,
                         enum grpc_status code, const char *msg)
{
    struct grpc_server *g = c->t->g;
    char status[8], code_s[8], enc[2 * TP_ERR_MAX * 3 + 4];
    if (st->answered)
        return;
    st->answered = 1;
    release_body(c, st);
    snprintf(status, sizeof status, "%d", http_status);
    snprintf(code_s, sizeof code_s, "%d", (int)code);
    pct_encode(msg ? msg : "", enc, sizeof enc);
    nghttp2_nv nva[] = {NV(":status", status), NV("content-type", "application/grpc"),
                        NV("grpc-status", code_s), NV("grpc-message", enc)};
    g->h2.submit_response(c->s, st->id, nva, sizeof nva / sizeof nva[0], NULL);
    if (g->verbose)
        fprintf(stderr, "toolprof serve: otlp-grpc: %s: status %d: %s\n", st->path, (int)code,
                msg ? msg : "");
}

static ssize_t read_resp(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *user)
{
    struct gconn *c = user;
    struct gstream *st = src->ptr;
    size_t n = st->resp_len - st->resp_off;
    (void)s;
    if (n > length)
        n = length;
    memcpy(buf, st->resp + st->resp_off, n);
    st->resp_off += n;
    if (st->resp_off == st->resp_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_nv trailers[] = {NV("grpc-status", "0")};
        c->t->g->h2.submit_trailer(c->s, id, trailers, 1);
    }
    return (ssize_t)n;
}

static void answer_ok(struct gconn *c, struct gstream *st, size_t rejected, const char *msg)
{
    struct grpc_server *g = c->t->g;
    struct buf b;
    st->answered = 1;
    buf_init(&b, TP_MAX_RESPONSE);
    buf_add(&b, "\0\0\0\0\0", GRPCMSG_PREFIX);
    otlp_write_response(&b, OTLP_PROTOBUF, st->sig, rejected, msg);
    size_t n = b.len - GRPCMSG_PREFIX;
    b.data[1] = (char)(n >> 24);
    b.data[2] = (char)(n >> 16);
    b.data[3] = (char)(n >> 8);
    b.data[4] = (char)n;
    st->resp = buf_steal(&b, &st->resp_len);
    st->resp_off = 0;
    nghttp2_nv nva[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                        NV("grpc-accept-encoding", "gzip,identity")};
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_resp};
    g->h2.submit_response(c->s, st->id, nva, sizeof nva / sizeof nva[0], &prd);
}

/* ---- one call ------------------------------------------------------------------ */

static const struct {
    const char *path;
    enum otlp_signal sig;
} services[] = {
    {"/opentelemetry.proto.collector.logs.v1.LogsService/Export", OTLP_LOGS},
    {"/opentelemetry.proto.collector.trace.v1.TraceService/Export", OTLP_TRACES},
    {"/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", OTLP_METRICS},
};

/* The headers are complete: refuse now what can only fail. */
static void check_headers(struct gconn *c, struct gstream *st)
{
    const struct api_env *env = c->t->g->env;
    if (!st->method_post) {
        answer_error(c, st, 200, GRPC_UNIMPLEMENTED, "gRPC calls are POSTs");
        return;
    }
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(st->path, services[i].path) == 0)
            st->sig = services[i].sig;
    if (!st->sig) {
        char msg[TP_GRPC_MAX_PATH + 64];
        snprintf(msg, sizeof msg, "unknown method %s: this server takes OTLP's Export calls",
                 st->path);
        answer_error(c, st, 200, GRPC_UNIMPLEMENTED, msg);
        return;
    }
    if (!st->ctype_ok) {
        answer_error(c, st, 415, GRPC_INVALID_ARGUMENT, "content-type must be application/grpc");
        return;
    }
    if (!http_auth_ok(&env->policy, st->has_auth ? st->auth : NULL, NULL)) {
        answer_error(c, st, 200, GRPC_UNAUTHENTICATED,
                     "a valid \"authorization: Bearer <token>\" is required");
        return;
    }
    if (st->bad_encoding)
        answer_error(c, st, 200, GRPC_UNIMPLEMENTED,
                     "grpc-encoding: only gzip and identity are accepted");
}

static void finish_call(struct gconn *c, struct gstream *st)
{
    struct grpc_server *g = c->t->g;
    char err[TP_ERR_MAX] = "";
    char *msg;
    size_t len;
    if (st->answered)
        return;
    enum grpc_status code = grpcmsg_take((const uint8_t *)(st->body.data ? st->body.data : ""),
                                         st->body.len, st->gzip, TP_MAX_OTLP_BODY, &msg, &len, err);
    release_body(c, st);
    if (code != GRPC_OK) {
        answer_error(c, st, 200, code, err);
        return;
    }
    struct api_otlp_answer a;
    api_otlp_ingest(g->env, st->sig, OTLP_PROTOBUF, msg, len, &a);
    free(msg);
    if (a.stored && g->env->cache)
        cache_bump(g->env->cache);
    if (a.status != 200) {
        answer_error(c, st, 200, (enum grpc_status)api_grpc_code(a.status), a.message);
        return;
    }
    answer_ok(c, st, a.rejected, a.message);
}

/* ---- nghttp2 callbacks ----------------------------------------------------------- */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    struct gconn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct gstream *st = xcalloc(1, sizeof *st);
    st->id = frame->hd.stream_id;
    st->begun_ms = tpt_mono_ns() / 1000000;
    buf_init(&st->body, GRPCMSG_PREFIX + TP_MAX_OTLP_BODY);
    c->t->g->h2.session_set_stream_user_data(s, st->id, st);
    st->next = c->streams;
    if (c->streams)
        c->streams->prev = st;
    c->streams = st;
    c->nstreams++;
    return 0;
}

static void copy_value(char *dst, size_t cap, const uint8_t *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    struct gconn *c = user;
    (void)flags;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct gstream *st = c->t->g->h2.session_get_stream_user_data(s, frame->hd.stream_id);
    if (!st)
        return 0;
#define IS(lit) (namelen == sizeof(lit) - 1 && memcmp(name, lit, namelen) == 0)
#define VAL(lit) (valuelen == sizeof(lit) - 1 && memcmp(value, lit, valuelen) == 0)
    if (IS(":method")) {
        st->method_post = VAL("POST");
    } else if (IS(":path")) {
        copy_value(st->path, sizeof st->path, value, valuelen);
    } else if (IS("content-type")) {
        /* application/grpc, application/grpc+proto, ...;params */
        st->ctype_ok = valuelen >= 16 && memcmp(value, "application/grpc", 16) == 0 &&
                       (valuelen == 16 || value[16] == '+' || value[16] == ';');
    } else if (IS("grpc-encoding")) {
        st->gzip = VAL("gzip");
        st->bad_encoding = !st->gzip && !VAL("identity");
    } else if (IS("authorization")) {
        st->has_auth = 1;
        copy_value(st->auth, sizeof st->auth, value, valuelen);
    }
#undef IS
#undef VAL
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *user)
{
    struct gconn *c = user;
    uint32_t announced;
    (void)flags;
    struct gstream *st = c->t->g->h2.session_get_stream_user_data(s, id);
    if (!st || st->answered)
        return 0; /* dropped */
    if (c->held + len > TP_GRPC_MAX_PENDING ||
        atomic_load(&c->t->g->held) + len > TP_GRPC_MAX_HELD) {
        answer_error(c, st, 200, GRPC_RESOURCE_EXHAUSTED,
                     "too many request bytes in flight; retry shortly");
        return 0;
    }
    if (buf_add(&st->body, data, len) != 0) {
        answer_error(c, st, 200, GRPC_RESOURCE_EXHAUSTED, "the request is over the message cap");
        return 0;
    }
    c->held += len;
    atomic_fetch_add(&c->t->g->held, len);
    if (grpcmsg_peek((const uint8_t *)st->body.data, st->body.len, &announced) &&
        announced > TP_MAX_OTLP_BODY) {
        char msg[128];
        snprintf(msg, sizeof msg, "the message is %u bytes, over the limit of %d", announced,
                 TP_MAX_OTLP_BODY);
        answer_error(c, st, 200, GRPC_RESOURCE_EXHAUSTED, msg);
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    struct gconn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct gstream *st = c->t->g->h2.session_get_stream_user_data(s, frame->hd.stream_id);
    if (!st)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        check_headers(c, st);
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        finish_call(c, st);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user)
{
    struct gconn *c = user;
    (void)error_code;
    struct gstream *st = c->t->g->h2.session_get_stream_user_data(s, id);
    if (!st)
        return 0;
    c->t->g->h2.session_set_stream_user_data(s, id, NULL);
    stream_free(c, st);
    return 0;
}

/* ---- connections ------------------------------------------------------------------ */

static void conn_close(struct gconn *c)
{
    struct grpc_thread *t = c->t;
    epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->s)
        t->g->h2.session_del(c->s);
    while (c->streams)
        stream_free(c, c->streams);
    buf_free(&c->out);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    atomic_fetch_sub(&t->g->conns, 1);
    free(c);
}

static void set_want_out(struct gconn *c, int on)
{
    if (c->want_out == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->t->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

/* Write what is pending, then whatever nghttp2 has. Returns -1 when the
 * connection is broken or done, 0 otherwise. */
static int conn_flush(struct gconn *c)
{
    struct h2_lib *h2 = &c->t->g->h2;
    for (;;) {
        while (c->out_off < c->out.len) {
            ssize_t w =
                send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                set_want_out(c, 1);
                return 0;
            }
            if (w <= 0)
                return -1;
            c->out_off += (size_t)w;
            c->last_ms = tpt_mono_ns() / 1000000;
        }
        buf_reset(&c->out);
        c->out_off = 0;
        const uint8_t *data;
        ssize_t n = h2->session_mem_send(c->s, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        if (buf_add(&c->out, data, (size_t)n) != 0)
            return -1;
    }
    set_want_out(c, 0);
    if (!h2->session_want_read(c->s) && !h2->session_want_write(c->s))
        return -1;
    return 0;
}

static void conn_read(struct gconn *c)
{
    struct h2_lib *h2 = &c->t->g->h2;
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_close(c);
            return;
        }
        c->last_ms = tpt_mono_ns() / 1000000;
        if (h2->session_mem_recv(c->s, buf, (size_t)n) < 0) {
            /* A protocol error: nghttp2 queued a GOAWAY; send it, then close. */
            conn_flush(c);
            conn_close(c);
            return;
        }
        if (conn_flush(c) != 0) {
            conn_close(c);
            return;
        }
    }
}

static void conn_accept(struct grpc_thread *t)
{
    struct grpc_server *g = t->g;
    for (;;) {
        int fd = accept4(g->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: another thread took it, or none left */
        if (atomic_fetch_add(&g->conns, 1) >= TP_GRPC_MAX_CONNS) {
            atomic_fetch_sub(&g->conns, 1);
            close(fd);
            continue;
        }
        /* Answers are small and must not wait for Nagle's timer. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct gconn *c = xcalloc(1, sizeof *c);
        c->fd = fd;
        c->t = t;
        c->last_ms = tpt_mono_ns() / 1000000;
        buf_init(&c->out, TP_GRPC_MAX_PENDING);
        if (g->h2.session_server_new2(&c->s, g->cbs, c, g->opt) != 0) {
            close(fd);
            buf_free(&c->out);
            free(c);
            atomic_fetch_sub(&g->conns, 1);
            continue;
        }
        nghttp2_settings_entry iv[] = {
            {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, TP_GRPC_MAX_STREAMS},
            {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1024 * 1024},
        };
        g->h2.submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
        /* The connection's window too (SETTINGS only sets the streams'):
         * else every request of more than 64 KiB waits a round trip for a
         * WINDOW_UPDATE. Bounded by TP_GRPC_MAX_PENDING all the same. */
        g->h2.session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, TP_GRPC_WINDOW);
        c->next = t->conns;
        if (t->conns)
            t->conns->prev = c;
        t->conns = c;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
        if (conn_flush(c) != 0)
            conn_close(c);
    }
}

/* Close connections idle past the timeout (no open stream, no bytes), and
 * answer calls whose request has not arrived whole in time (a client that
 * trickles bytes is never idle). */
static void reap_idle(struct grpc_thread *t)
{
    int64_t now = tpt_mono_ns() / 1000000;
    for (struct gconn *c = t->conns, *next; c; c = next) {
        next = c->next;
        int late = 0;
        for (struct gstream *st = c->streams; st; st = st->next)
            if (!st->answered && now - st->begun_ms > TP_HTTP_REQUEST_TIMEOUT_S * 1000LL) {
                answer_error(c, st, 200, GRPC_DEADLINE_EXCEEDED,
                             "the request did not arrive whole in time");
                late = 1;
            }
        if (late && conn_flush(c) != 0) {
            conn_close(c);
            continue;
        }
        if (c->nstreams == 0 && now - c->last_ms > TP_GRPC_IDLE_TIMEOUT_S * 1000LL) {
            t->g->h2.session_terminate_session(c->s, NGHTTP2_NO_ERROR);
            conn_flush(c);
            conn_close(c);
        }
    }
}

static void *thread_main(void *arg)
{
    struct grpc_thread *t = arg;
    struct grpc_server *g = t->g;
    struct epoll_event evs[64];
    int64_t last_reap = tpt_mono_ns() / 1000000;
    for (;;) {
        int n = epoll_wait(t->ep, evs, 64, 1000);
        int stop = 0;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &g->fd) {
                conn_accept(t);
            } else if (evs[i].data.ptr == &g->stop_fd) {
                stop = 1;
            } else {
                struct gconn *c = evs[i].data.ptr;
                if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
                    conn_close(c);
                    /* c is gone: later events of this batch are for others */
                    continue;
                }
                if (evs[i].events & EPOLLOUT && conn_flush(c) != 0) {
                    conn_close(c);
                    continue;
                }
                if (evs[i].events & EPOLLIN)
                    conn_read(c);
            }
        }
        if (stop)
            break;
        int64_t now = tpt_mono_ns() / 1000000;
        if (now - last_reap >= 1000) {
            reap_idle(t);
            last_reap = now;
        }
    }
    /* Stop: GOAWAY to every connection, a last flush, close. */
    while (t->conns) {
        struct gconn *c = t->conns;
        g->h2.session_terminate_session(c->s, NGHTTP2_NO_ERROR);
        conn_flush(c);
        conn_close(c);
    }
    return NULL;
}

/* ---- start and stop ---------------------------------------------------------------- */

int grpc_start(const struct api_env *env, int fd, int threads, int verbose,
               struct grpc_server **out, char *errbuf)
{
    struct grpc_server *g = xcalloc(1, sizeof *g);
    int rc;
    *out = NULL;
    g->env = env;
    g->fd = fd;
    g->stop_fd = -1;
    g->verbose = verbose;
    atomic_init(&g->conns, 0);
    atomic_init(&g->held, 0);
    if ((rc = h2_load(&g->h2, errbuf)) != 0)
        goto fail;
    if (g->h2.callbacks_new(&g->cbs) != 0 || g->h2.option_new(&g->opt) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "libnghttp2: out of memory");
        goto fail;
    }
    g->h2.set_on_begin_headers(g->cbs, on_begin_headers);
    g->h2.set_on_header(g->cbs, on_header);
    g->h2.set_on_frame_recv(g->cbs, on_frame_recv);
    g->h2.set_on_data_chunk_recv(g->cbs, on_data_chunk);
    g->h2.set_on_stream_close(g->cbs, on_stream_close);
    /* Threads accept until EAGAIN: the socket must not block. */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "fcntl: %s", strerror(errno));
        goto fail;
    }
    g->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->stop_fd < 0) {
        rc = tp_fail(errbuf, TP_EIO, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if (threads < 1)
        threads = 1;
    if (threads > TP_GRPC_MAX_THREADS)
        threads = TP_GRPC_MAX_THREADS;
    g->threads = xcalloc((size_t)threads, sizeof *g->threads);
    g->nthreads = threads;
    for (int i = 0; i < threads; i++)
        g->threads[i].ep = -1;
    for (int i = 0; i < threads; i++) {
        struct grpc_thread *t = &g->threads[i];
        t->g = g;
        t->ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &g->fd};
        struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &g->stop_fd};
        if (t->ep < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &lev) != 0 ||
            epoll_ctl(t->ep, EPOLL_CTL_ADD, g->stop_fd, &sev) != 0) {
            rc = tp_fail(errbuf, TP_EIO, "epoll: %s", strerror(errno));
            goto fail;
        }
        if (pthread_create(&t->tid, NULL, thread_main, t) != 0) {
            rc = tp_fail(errbuf, TP_EIO, "cannot start the gRPC threads");
            goto fail;
        }
        t->started = 1;
    }
    *out = g;
    return 0;

fail:
    grpc_stop(g);
    return rc;
}

void grpc_stop(struct grpc_server *g)
{
    if (!g)
        return;
    if (g->stop_fd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(g->stop_fd, &one, sizeof one); /* level-triggered: wakes them all */
        (void)w;
    }
    for (int i = 0; i < g->nthreads; i++) {
        if (g->threads[i].started)
            pthread_join(g->threads[i].tid, NULL);
        if (g->threads[i].ep >= 0)
            close(g->threads[i].ep);
    }
    free(g->threads);
    if (g->stop_fd >= 0)
        close(g->stop_fd);
    if (g->fd >= 0)
        close(g->fd);
    if (g->cbs)
        g->h2.callbacks_del(g->cbs);
    if (g->opt)
        g->h2.option_del(g->opt);
    h2_unload(&g->h2);
    free(g);
}
