/*
 * conns.c - the registry of open connections (see conns.h for the policy).
 *
 * A doubly linked list of entries, one per accepted connection, and a
 * singly linked list of clients, each with the number of its connections
 * that count against the limits. Both stay small (a few hundred entries at
 * the default limits), so a victim is found by walking the list: one pass
 * per admission over a limit, more only when the chosen one turns out to
 * have sent something after all. Entries the registry shut down stay in
 * the list, no longer counted ("closing"), until MHD's close notification
 * frees them.
 *
 * Whether a connection has sent anything is asked of the kernel
 * (TCP_INFO's count of bytes received, compared with the count at its last
 * answer), not read from the connection's state: between MHD's read of a
 * request and its parsing of the request line the state still says idle.
 *
 * One mutex guards everything; it is also what makes shutdown() safe on a
 * descriptor another thread owns (see conns.h).
 */
#include "server/conns.h"

#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/xmalloc.h"

enum conn_state {
    CONN_IDLE,    /* no request line since the connect or the last answer */
    CONN_HEADERS, /* a request line arrived, the headers are not complete */
    CONN_BODY,    /* the headers are complete: body, handling, answer */
};

/* The key of a client: a family tag and the address (an IPv6 /64). */
#define CLIENT_KEY 9

struct client {
    unsigned char key[CLIENT_KEY];
    unsigned open; /* its connections counted against the limits */
    unsigned refs; /* entries pointing here, counted or closing */
    struct client *next;
};

struct conn {
    int fd;
    enum conn_state state;
    int closing;      /* shut down by the registry: no longer counted */
    int64_t phase_ms; /* when the idle wait or the current deadline began */
    uint64_t rx_mark; /* bytes received from the client up to its last answer */
    uint64_t seq;     /* admission order, to break ties */
    uint64_t skip;    /* == conns.search: passed over by the current search */
    struct client *client;
    struct conn *prev, *next;
};

struct conns {
    pthread_mutex_t lock;
    struct conns_limits lim;
    struct conn *head;
    struct client *clients;
    size_t open, nclients; /* counted connections, clients with any */
    uint64_t seq, search;
    uint64_t shed, refused, timed_out;
};

struct conns *conns_new(const struct conns_limits *limits)
{
    struct conns *cs = xcalloc(1, sizeof *cs);
    pthread_mutex_init(&cs->lock, NULL);
    cs->lim = *limits;
    return cs;
}

void conns_free(struct conns *cs)
{
    if (!cs)
        return;
    for (struct conn *c = cs->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    for (struct client *k = cs->clients, *next; k; k = next) {
        next = k->next;
        free(k);
    }
    pthread_mutex_destroy(&cs->lock);
    free(cs);
}

/* ---- clients ------------------------------------------------------------- */

static void client_key(const struct sockaddr *sa, unsigned char key[CLIENT_KEY])
{
    memset(key, 0, CLIENT_KEY);
    if (sa && sa->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        key[0] = 4;
        memcpy(key + 1, &in.sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        const unsigned char *a = in6.sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (memcmp(a, mapped, sizeof mapped) == 0) { /* ::ffff:a.b.c.d is IPv4 */
            key[0] = 4;
            memcpy(key + 1, a + 12, 4);
        } else {
            /* A host usually holds a whole /64 and picks addresses in it
             * freely: counting them apart would make the per-client limit
             * a limit per address chosen. */
            key[0] = 6;
            memcpy(key + 1, a, 8);
        }
    }
    /* Anything else (no address, a Unix socket) is the one client "0". */
}

static struct client *client_get(struct conns *cs, const struct sockaddr *sa)
{
    unsigned char key[CLIENT_KEY];
    client_key(sa, key);
    struct client *k;
    for (k = cs->clients; k; k = k->next)
        if (memcmp(k->key, key, CLIENT_KEY) == 0)
            break;
    if (!k) {
        k = xcalloc(1, sizeof *k);
        memcpy(k->key, key, CLIENT_KEY);
        k->next = cs->clients;
        cs->clients = k;
    }
    k->refs++;
    return k;
}

static void client_put(struct conns *cs, struct client *k)
{
    if (--k->refs > 0)
        return;
    for (struct client **p = &cs->clients; *p; p = &(*p)->next) {
        if (*p == k) {
            *p = k->next;
            break;
        }
    }
    free(k);
}

/* ---- counting and closing ---------------------------------------------------- */

static void count(struct conns *cs, struct conn *c)
{
    if (c->client->open++ == 0)
        cs->nclients++;
    cs->open++;
}

/* Stop counting c and shut its socket down; MHD closes it. */
static void shut(struct conns *cs, struct conn *c, uint64_t *counter)
{
    c->closing = 1;
    if (--c->client->open == 0)
        cs->nclients--;
    cs->open--;
    if (c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
    (*counter)++;
}

/* What the kernel knows of a connection: bytes received from the client
 * so far, and milliseconds since the last of them (or since the connect).
 * Returns 0, or -1 when the socket is not TCP (or the kernel predates
 * tcpi_bytes_received, Linux 4.1). */
static int conn_rx(int fd, uint64_t *rx, uint32_t *quiet_ms)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
        return -1;
    *rx = ti.tcpi_bytes_received;
    *quiet_ms = ti.tcpi_last_data_recv;
    return 0;
}

/* 1 when the client has sent nothing since it connected or since its last
 * answer. The state alone cannot say it: MHD reads a request's bytes a
 * moment before it parses them (and calls conns_request_line), and a
 * request shed in that moment would be lost. Without TCP_INFO, bytes still
 * unread in the kernel are all we can see. */
static int sent_nothing(const struct conn *c)
{
    uint64_t rx;
    uint32_t quiet;
    if (conn_rx(c->fd, &rx, &quiet) == 0)
        return rx == c->rx_mark;
    int n = 0;
    return ioctl(c->fd, FIONREAD, &n) == 0 && n == 0;
}

/* 1 when a request has been started (bytes sent, no answer yet) but
 * nothing more has arrived for stall_ms: a client sends its request line
 * and headers at once, so this one is stuck or drip-feeding them. */
static int stalled(const struct conn *c, int64_t stall_ms)
{
    uint64_t rx;
    uint32_t quiet;
    if (conn_rx(c->fd, &rx, &quiet) != 0)
        return 0;
    return (c->state == CONN_HEADERS || rx != c->rx_mark) && (int64_t)quiet >= stall_ms;
}

/* 1 when a should be closed before b: its client holds more connections,
 * or it has been idle longer. */
static int sooner(const struct conn *a, const struct conn *b)
{
    if (a->client->open != b->client->open)
        return a->client->open > b->client->open;
    if (a->phase_ms != b->phase_ms)
        return a->phase_ms < b->phase_ms;
    return a->seq < b->seq;
}

/* The best candidate in `state` (or any state but CONN_BODY when state is
 * -1), of `only` when given, not yet passed over by this search. */
static struct conn *best_of(struct conns *cs, const struct client *only, int state)
{
    struct conn *best = NULL;
    for (struct conn *c = cs->head; c; c = c->next) {
        if (c->closing || c->fd < 0 || c->skip == cs->search || c->state == CONN_BODY)
            continue;
        if ((state >= 0 && (int)c->state != state) || (only && c->client != only))
            continue;
        if (!best || sooner(c, best))
            best = c;
    }
    return best;
}

/* The connection to close to make room, of `only` when given, else of any
 * client: an idle one (nothing sent since the connect or the last answer)
 * if there is one, else a stalled one; NULL when every one is busy. The
 * kernel is asked about the best candidate first, then the next, so an
 * admission over a limit costs one system call when the idle are idle. */
static struct conn *pick_victim(struct conns *cs, const struct client *only)
{
    struct conn *c;
    cs->search++;
    while ((c = best_of(cs, only, CONN_IDLE))) {
        if (sent_nothing(c))
            return c;
        c->skip = cs->search;
    }
    cs->search++;
    while ((c = best_of(cs, only, -1))) {
        if (stalled(c, cs->lim.stall_ms))
            return c;
        c->skip = cs->search;
    }
    return NULL;
}

/* ---- the connection's life --------------------------------------------------- */

struct conn *conns_open(struct conns *cs, int fd, const struct sockaddr *addr, int64_t now_ms)
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->state = CONN_IDLE;
    c->phase_ms = now_ms;

    pthread_mutex_lock(&cs->lock);
    c->seq = ++cs->seq;
    c->client = client_get(cs, addr);
    int admit = 1;
    if (c->client->open >= cs->lim.max_per_client) {
        struct conn *v = pick_victim(cs, c->client);
        if (v)
            shut(cs, v, &cs->shed);
        else
            admit = 0;
    }
    if (admit && cs->open >= cs->lim.max_total) {
        struct conn *v = pick_victim(cs, NULL);
        if (v)
            shut(cs, v, &cs->shed);
        else
            admit = 0;
    }
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    if (admit) {
        count(cs, c);
    } else {
        c->closing = 1;
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
        cs->refused++;
    }
    pthread_mutex_unlock(&cs->lock);
    return c;
}

void conns_request_line(struct conns *cs, struct conn *c)
{
    pthread_mutex_lock(&cs->lock);
    if (c->state == CONN_IDLE)
        c->state = CONN_HEADERS;
    pthread_mutex_unlock(&cs->lock);
}

void conns_headers_done(struct conns *cs, struct conn *c, int64_t now_ms)
{
    pthread_mutex_lock(&cs->lock);
    c->state = CONN_BODY;
    c->phase_ms = now_ms;
    pthread_mutex_unlock(&cs->lock);
}

void conns_request_done(struct conns *cs, struct conn *c, int64_t now_ms)
{
    uint64_t rx = 0;
    uint32_t quiet;
    /* Called on the connection's own thread: the descriptor is open. */
    int known = c->fd >= 0 && conn_rx(c->fd, &rx, &quiet) == 0;
    pthread_mutex_lock(&cs->lock);
    c->state = CONN_IDLE;
    c->phase_ms = now_ms;
    if (known)
        c->rx_mark = rx;
    pthread_mutex_unlock(&cs->lock);
}

void conns_close(struct conns *cs, struct conn *c)
{
    pthread_mutex_lock(&cs->lock);
    if (!c->closing) {
        if (--c->client->open == 0)
            cs->nclients--;
        cs->open--;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    client_put(cs, c->client);
    pthread_mutex_unlock(&cs->lock);
    free(c);
}

size_t conns_reap(struct conns *cs, int64_t now_ms)
{
    size_t n = 0;
    pthread_mutex_lock(&cs->lock);
    for (struct conn *c = cs->head; c; c = c->next) {
        if (c->closing || c->fd < 0)
            continue;
        /* Between requests an idle keep-alive connection and one that has
         * sent half a request line look the same from here (the bytes are
         * in MHD's buffer), so the header deadline runs from the end of
         * the previous answer, or the connect, either way. */
        int64_t limit =
            c->state == CONN_BODY ? cs->lim.request_timeout_ms : cs->lim.header_timeout_ms;
        if (now_ms - c->phase_ms > limit) {
            shut(cs, c, &cs->timed_out);
            n++;
        }
    }
    pthread_mutex_unlock(&cs->lock);
    return n;
}

void conns_stats(struct conns *cs, struct conns_stats *st)
{
    pthread_mutex_lock(&cs->lock);
    st->open = cs->open;
    st->clients = cs->nclients;
    st->shed = cs->shed;
    st->refused = cs->refused;
    st->timed_out = cs->timed_out;
    pthread_mutex_unlock(&cs->lock);
}
