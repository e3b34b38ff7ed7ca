/*
 * test_conns.c - the connection registry: limits, which connection makes
 * room, deadlines.
 *
 * Each connection is a real loopback TCP connection (the registry asks the
 * kernel what the client sent): the registry holds the accepted end and
 * shuts it down as it would a client's, and the test reads the client's
 * end: end of file means it was closed, EAGAIN that it is still open. The
 * client addresses the registry sees are made up, to play several
 * clients. Time is passed in, so deadlines are exact; only the "stalled"
 * rule reads the kernel's clock, and its test sleeps past it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "server/conns.h"

#define MAXC 32

/* One test's connections: our end (registered) and the client's end. */
struct pairs {
    int ours[MAXC], theirs[MAXC];
    struct conn *entry[MAXC];
    size_t n;
};

static struct sockaddr_storage addr4(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &in->sin_addr);
    return ss;
}

static struct sockaddr_storage addr6(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
    return ss;
}

/* A loopback TCP connection: *ours is the accepted end, *theirs the client's. */
static void tcp_pair(int *ours, int *theirs)
{
    static int listener = -1;
    static struct sockaddr_in at;
    if (listener < 0) {
        socklen_t len = sizeof at;
        memset(&at, 0, sizeof at);
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        listener = socket(AF_INET, SOCK_STREAM, 0);
        if (listener < 0 || bind(listener, (struct sockaddr *)&at, sizeof at) != 0 ||
            listen(listener, 64) != 0 || getsockname(listener, (struct sockaddr *)&at, &len) != 0)
            abort();
    }
    *theirs = socket(AF_INET, SOCK_STREAM, 0);
    if (*theirs < 0 || connect(*theirs, (struct sockaddr *)&at, sizeof at) != 0)
        abort();
    *ours = accept(listener, NULL, NULL);
    if (*ours < 0)
        abort();
}

/* Open connection number p->n from addr at now_ms; returns its index. */
static size_t conn_open(struct conns *cs, struct pairs *p, const struct sockaddr_storage *addr,
                        int64_t now_ms)
{
    if (p->n == MAXC)
        abort();
    size_t i = p->n++;
    tcp_pair(&p->ours[i], &p->theirs[i]);
    p->entry[i] = conns_open(cs, p->ours[i], (const struct sockaddr *)addr, now_ms);
    return i;
}

/* The client of connection i sends text; the server reads it (as MHD does
 * before it parses) when `read` is set. */
static void client_sends(const struct pairs *p, size_t i, const char *text, int read)
{
    size_t n = strlen(text);
    if (write(p->theirs[i], text, n) != (ssize_t)n)
        abort();
    if (!read)
        return;
    char buf[256];
    size_t got = 0;
    while (got < n) { /* loopback: it arrives at once, but maybe in pieces */
        ssize_t r = recv(p->ours[i], buf, sizeof buf, 0);
        if (r <= 0)
            abort();
        got += (size_t)r;
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 when the registry shut connection i down (its client reads EOF). */
static int is_closed(const struct pairs *p, size_t i)
{
    char c;
    ssize_t n = recv(p->theirs[i], &c, 1, MSG_DONTWAIT);
    if (n == 0)
        return 1;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    abort(); /* nothing else is expected */
}

/* The closed ones as a bit mask, to compare whole states at once. */
static unsigned closed_mask(const struct pairs *p)
{
    unsigned m = 0;
    for (size_t i = 0; i < p->n; i++)
        if (is_closed(p, i))
            m |= 1u << i;
    return m;
}

/* Close every connection as MHD would, then the registry. */
static void pairs_done(struct conns *cs, struct pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        conns_close(cs, p->entry[i]);
        close(p->ours[i]);
        close(p->theirs[i]);
    }
    struct conns_stats st;
    conns_stats(cs, &st);
    if (st.open != 0 || st.clients != 0)
        abort(); /* every count went back to zero */
    conns_free(cs);
    p->n = 0;
}

static const struct conns_limits small = {.max_total = 6,
                                          .max_per_client = 3,
                                          .header_timeout_ms = 100,
                                          .request_timeout_ms = 1000,
                                          .stall_ms = 100};

static void test_per_client_sheds_oldest_idle(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1");
    for (int i = 0; i < 3; i++)
        conn_open(cs, &p, &a, 10 * i);
    ASSERT_EQ_INT(closed_mask(&p), 0);
    /* The fourth from the same client takes the place of the first. */
    conn_open(cs, &p, &a, 30);
    ASSERT_EQ_INT(closed_mask(&p), 0x1);
    conn_open(cs, &p, &a, 40);
    ASSERT_EQ_INT(closed_mask(&p), 0x3);
    struct conns_stats st;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.open, 3);
    ASSERT_EQ_INT(st.clients, 1);
    ASSERT_EQ_INT(st.shed, 2);
    ASSERT_EQ_INT(st.refused, 0);
    pairs_done(cs, &p);
}

static void test_busy_never_shed(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("10.0.0.1");
    conn_open(cs, &p, &a, 0);
    conn_open(cs, &p, &a, 1);
    conn_open(cs, &p, &a, 2);
    conns_request_line(cs, p.entry[0]);    /* in its headers */
    conns_headers_done(cs, p.entry[1], 5); /* in its body */
    conn_open(cs, &p, &a, 6);              /* 2, the only idle one, goes */
    ASSERT_EQ_INT(closed_mask(&p), 1u << 2);
    conns_request_line(cs, p.entry[3]);
    /* Everything of this client is busy: the newcomer is refused. */
    conn_open(cs, &p, &a, 7);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 2) | (1u << 4));
    struct conns_stats st;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.open, 3);
    ASSERT_EQ_INT(st.shed, 1);
    ASSERT_EQ_INT(st.refused, 1);
    /* Another client still gets in. */
    struct sockaddr_storage b = addr4("10.0.0.2");
    conn_open(cs, &p, &b, 8);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 2) | (1u << 4));
    /* An answered request makes its connection idle again, and sheddable. */
    conns_request_done(cs, p.entry[1], 9);
    conn_open(cs, &p, &a, 10);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 1) | (1u << 2) | (1u << 4));
    pairs_done(cs, &p);
}

static void test_total_sheds_biggest_client_first(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("10.0.0.1"), b = addr4("10.0.0.2"), c = addr4("10.0.0.3"),
                            d = addr4("10.0.0.4");
    conn_open(cs, &p, &b, 0); /* 0: b, the oldest of all */
    conn_open(cs, &p, &a, 1); /* 1-3: a, the biggest client */
    conn_open(cs, &p, &a, 2);
    conn_open(cs, &p, &a, 3);
    conn_open(cs, &p, &c, 4); /* 4-5: c */
    conn_open(cs, &p, &c, 5);
    ASSERT_EQ_INT(closed_mask(&p), 0);
    /* Full (6): a newcomer closes a's oldest idle, not b's older one. */
    conn_open(cs, &p, &d, 6);
    ASSERT_EQ_INT(closed_mask(&p), 1u << 1);
    /* Now a and c hold 2 each: the longer idle of theirs goes (a's, at 2). */
    conn_open(cs, &p, &d, 7);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 1) | (1u << 2));
    struct conns_stats st;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.open, 6);
    ASSERT_EQ_INT(st.clients, 4);
    ASSERT_EQ_INT(st.shed, 2);
    pairs_done(cs, &p);
}

static void test_unread_bytes_are_not_idle(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1");
    conn_open(cs, &p, &a, 0);
    conn_open(cs, &p, &a, 1);
    conn_open(cs, &p, &a, 2);
    /* The oldest has sent a request the server has not read yet. */
    client_sends(&p, 0, "GET / HTTP/1.1\r\n", 0);
    conn_open(cs, &p, &a, 3);
    ASSERT_EQ_INT(closed_mask(&p), 1u << 1);
    pairs_done(cs, &p);
}

static void test_read_but_unparsed_is_not_idle(void)
{
    /* MHD has read the request and not yet parsed its request line: the
     * state says idle, the kernel's byte count does not. */
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1");
    conn_open(cs, &p, &a, 0);
    conn_open(cs, &p, &a, 1);
    conn_open(cs, &p, &a, 2);
    client_sends(&p, 0, "GET / HTTP/1.1\r\n", 1);
    client_sends(&p, 1, "G", 1);
    conn_open(cs, &p, &a, 3);
    ASSERT_EQ_INT(closed_mask(&p), 1u << 2);
    pairs_done(cs, &p);
}

static void test_stalled_make_room_last(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1");
    conn_open(cs, &p, &a, 0); /* 0: half a request line, then silence */
    conn_open(cs, &p, &a, 1); /* 1: a request line, then silence */
    conn_open(cs, &p, &a, 2); /* 2: headers complete, body under way */
    client_sends(&p, 0, "GET /healthz HT", 1);
    client_sends(&p, 1, "GET /healthz HTTP/1.1\r\n", 1);
    conns_request_line(cs, p.entry[1]);
    client_sends(&p, 2, "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n", 1);
    conns_request_line(cs, p.entry[2]);
    conns_headers_done(cs, p.entry[2], 2);
    /* Nothing idle, nothing silent for 100 ms yet: refused. */
    conn_open(cs, &p, &a, 3);
    ASSERT_EQ_INT(closed_mask(&p), 1u << 3);
    sleep_ms(150);
    /* Now the two silent ones make room, longest idle first; the body
     * never does. */
    conn_open(cs, &p, &a, 4);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 3) | (1u << 0));
    /* 4 is idle (sent nothing): it goes before the stalled 1. */
    conn_open(cs, &p, &a, 5);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 3) | (1u << 0) | (1u << 4));
    client_sends(&p, 5, "GET / HTTP/1.1\r\n", 1);
    conn_open(cs, &p, &a, 6);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 3) | (1u << 0) | (1u << 4) | (1u << 1));
    struct conns_stats st;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.shed, 3);
    ASSERT_EQ_INT(st.refused, 1);
    pairs_done(cs, &p);
}

static void test_keepalive_idle_since_last_answer(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1");
    conn_open(cs, &p, &a, 0);
    conn_open(cs, &p, &a, 10);
    conn_open(cs, &p, &a, 20);
    /* 0 served a request that ended at 30: it has been idle the shortest. */
    client_sends(&p, 0, "GET / HTTP/1.1\r\n\r\n", 1);
    conns_request_line(cs, p.entry[0]);
    conns_headers_done(cs, p.entry[0], 25);
    conns_request_done(cs, p.entry[0], 30);
    conn_open(cs, &p, &a, 40);
    ASSERT_EQ_INT(closed_mask(&p), 1u << 1);
    /* With the others busy, 0 is the one to go: what it sent before its
     * answer does not count against it. */
    conns_headers_done(cs, p.entry[2], 41);
    conns_headers_done(cs, p.entry[3], 41);
    conn_open(cs, &p, &a, 50);
    ASSERT_EQ_INT(closed_mask(&p), (1u << 1) | (1u << 0));
    pairs_done(cs, &p);
}

static void test_deadlines(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1");
    conn_open(cs, &p, &a, 0); /* 0: sends nothing */
    conn_open(cs, &p, &a, 0); /* 1: a request line, no more */
    conn_open(cs, &p, &a, 0); /* 2: headers at 50, body slow */
    conns_request_line(cs, p.entry[1]);
    conns_request_line(cs, p.entry[2]);
    conns_headers_done(cs, p.entry[2], 50);
    ASSERT_EQ_INT(conns_reap(cs, 100), 0); /* not past 100 ms yet */
    ASSERT_EQ_INT(conns_reap(cs, 101), 2); /* the header deadline, from the connect */
    ASSERT_EQ_INT(closed_mask(&p), 0x3);
    ASSERT_EQ_INT(conns_reap(cs, 1050), 0); /* closed ones are not counted again */
    ASSERT_EQ_INT(conns_reap(cs, 1051), 1); /* the request deadline, from the headers */
    ASSERT_EQ_INT(closed_mask(&p), 0x7);
    struct conns_stats st;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.timed_out, 3);
    ASSERT_EQ_INT(st.open, 0);
    ASSERT_EQ_INT(st.shed + st.refused, 0);
    pairs_done(cs, &p);
}

static void test_client_keys(void)
{
    /* One per client: a second connection of the same client is shed
     * against the first, one of another client is not. */
    const struct conns_limits one = {.max_total = 16,
                                     .max_per_client = 1,
                                     .header_timeout_ms = 100,
                                     .request_timeout_ms = 1000,
                                     .stall_ms = 100};
    static const struct {
        const char *a, *b;
        int same;
    } cases[] = {
        {"127.0.0.1", "127.0.0.1", 1},
        {"127.0.0.1", "127.0.0.2", 0},
        {"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", 1}, /* one /64 */
        {"2001:db8:1:2::1", "2001:db8:1:3::1", 0},
        {"::ffff:192.0.2.7", "192.0.2.7", 1}, /* IPv4-mapped is IPv4 */
        {"::1", "127.0.0.1", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct conns *cs = conns_new(&one);
        struct pairs p = {0};
        struct sockaddr_storage a = strchr(cases[i].a, ':') ? addr6(cases[i].a) : addr4(cases[i].a);
        struct sockaddr_storage b = strchr(cases[i].b, ':') ? addr6(cases[i].b) : addr4(cases[i].b);
        conn_open(cs, &p, &a, 0);
        conn_open(cs, &p, &b, 1);
        unsigned want = cases[i].same ? 0x1 : 0;
        unsigned got = closed_mask(&p);
        pairs_done(cs, &p);
        if (got != want)
            FAIL_("%s and %s: closed mask %u, expected %u", cases[i].a, cases[i].b, got, want);
    }
    /* No address at all: one client "other". */
    struct conns *cs = conns_new(&one);
    struct pairs p = {0};
    for (int i = 0; i < 2; i++) {
        tcp_pair(&p.ours[p.n], &p.theirs[p.n]);
        p.entry[p.n] = conns_open(cs, p.ours[p.n], NULL, i);
        p.n++;
    }
    ASSERT_EQ_INT(closed_mask(&p), 0x1);
    pairs_done(cs, &p);
}

static void test_close_counts(void)
{
    struct conns *cs = conns_new(&small);
    struct pairs p = {0};
    struct sockaddr_storage a = addr4("127.0.0.1"), b = addr4("127.0.0.2");
    conn_open(cs, &p, &a, 0);
    conn_open(cs, &p, &b, 0);
    struct conns_stats st;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.open, 2);
    ASSERT_EQ_INT(st.clients, 2);
    /* MHD closes one (a client hung up): its room is free again. */
    conns_close(cs, p.entry[0]);
    close(p.ours[0]);
    close(p.theirs[0]);
    p.entry[0] = p.entry[1];
    p.ours[0] = p.ours[1];
    p.theirs[0] = p.theirs[1];
    p.n = 1;
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.open, 1);
    ASSERT_EQ_INT(st.clients, 1);
    for (int i = 0; i < 3; i++)
        conn_open(cs, &p, &a, 1 + i);
    ASSERT_EQ_INT(closed_mask(&p), 0);
    conns_stats(cs, &st);
    ASSERT_EQ_INT(st.open, 4);
    ASSERT_EQ_INT(st.shed, 0);
    pairs_done(cs, &p);
}

TEST_MAIN(TEST_CASE(test_per_client_sheds_oldest_idle), TEST_CASE(test_busy_never_shed),
          TEST_CASE(test_total_sheds_biggest_client_first),
          TEST_CASE(test_unread_bytes_are_not_idle), TEST_CASE(test_read_but_unparsed_is_not_idle),
          TEST_CASE(test_stalled_make_room_last), TEST_CASE(test_keepalive_idle_since_last_answer),
          TEST_CASE(test_deadlines), TEST_CASE(test_client_keys), TEST_CASE(test_close_counts))
