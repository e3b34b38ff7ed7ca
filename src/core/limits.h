/*
 * limits.h - every hard limit of toolprof, named once.
 *
 * Inputs come from agents, files on disk and the network; each of them is
 * capped before it is parsed or stored. A limit lives here, and nowhere else,
 * so that a reader can see in one place what toolprof will accept.
 */
#ifndef TOOLPROF_LIMITS_H
#define TOOLPROF_LIMITS_H

/* Strings of one operation, in bytes (UTF-8). Longer values are rejected
 * (tool) or cut at a character boundary with a marker (target, error). */
#define TP_MAX_TOOL 128
#define TP_MAX_TARGET 4096
#define TP_MAX_ERROR 2048
#define TP_MAX_ID 256       /* tool_use_id, session_id */
#define TP_MAX_PROJECT 1024 /* cwd */
#define TP_MAX_META 8192    /* metadata object, serialized */

/* Durations: anything above a week is not a tool call but a broken clock. */
#define TP_MAX_DURATION_MS (7.0 * 24 * 3600 * 1000)

/* Timestamps accepted: from 2000-01-01 to one day past "now". */
#define TP_MIN_TS_MS 946684800000LL
#define TP_FUTURE_SLACK_MS (24LL * 3600 * 1000)

/* JSON input. */
#define TP_MAX_JSON_DEPTH 64
/* Values the field extractor (core/jfield.h) indexes in one document; a
 * document with more is read by the tree parser instead. 16M tokens are
 * 320 MB, a fifth of what cJSON's nodes for them would take. */
#define TP_MAX_JSON_TOKENS (16 * 1024 * 1024)
#define TP_MAX_BODY (1024 * 1024)            /* one HTTP request body */
#define TP_MAX_OTLP_BODY (16 * 1024 * 1024)  /* OTLP batch, after gunzip */
#define TP_MAX_HOOK_INPUT (32 * 1024 * 1024) /* hook stdin (tool_response can be big) */
#define TP_MAX_LINE (64 * 1024 * 1024)       /* one transcript line */
#define TP_MAX_SEED_FILE (512 * 1024 * 1024) /* one operations_YYYY-MM-DD.json */
#define TP_MAX_BATCH 100000 /* operations in one POST; OTLP records in one request */

/* OTLP requests (JSON or protobuf, over HTTP or gRPC). The body cap above
 * holds after decompression; a gRPC message is held to the same cap. */
#define TP_MAX_OTLP_ATTRS 1024     /* attributes of one record (or resource) */
#define TP_MAX_OTLP_VALUE_DEPTH 16 /* arrays and key-value lists inside an AnyValue */
/* Spans waiting for their parent span (otlp.h, struct otlp_joins). */
#define TP_OTLP_JOIN_MAX 4096
#define TP_OTLP_JOIN_TTL_MS (3600 * 1000LL)
/* Calls made from tool spans, kept for children exported after them. */
#define TP_OTLP_MADE_MAX 1024
#define TP_MAX_PB_DEPTH 64 /* protobuf messages nested in a request */

/* HTTP requests: query parameters kept (more is a 400). gRPC: the
 * :path and authorization header lengths read. */
#define TP_HTTP_MAX_PARAMS 32
#define TP_GRPC_MAX_PATH 128
#define TP_GRPC_MAX_AUTH 512

/* Metadata strings from agents' payloads are context, not data: cut to
 * this many bytes. */
#define TP_MAX_META_STR 512

/* The hook: a pending call's file (what PreToolUse wrote) read at most;
 * hook-errors.log rotated past this size (one old generation kept). */
#define TP_HOOKPEND_MAX_FILE 8192
#define TP_HOOK_ERRLOG_MAX (1024 * 1024)

/* redact.patterns: patterns kept, literal triggers and capture groups per
 * pattern. */
#define TP_REDACT_MAX_PATTERNS 64
#define TP_REDACT_MAX_TRIGGERS 8
#define TP_REDACT_MAX_GROUPS 4

/* A stored quantile sketch: a decoded blob larger than this is refused. */
#define TP_SKETCH_MAX_BLOB 16384

/* Tools one filter can select (an agent's or a canonical name's). */
#define TP_FILTER_MAX_TOOLS 1024

/* Output. */
#define TP_MAX_RESPONSE (64 * 1024 * 1024)
#define TP_MAX_LIMIT 10000 /* ?limit= on list endpoints */
/* Hotspots whose slowest call is looked up (one read each; on the team
 * store a query each): the first of the list, which the page shows. */
#define TP_HOTSPOT_EXAMPLES 50
#define TP_MAX_TREND_DAYS 3660

/* Query answers. */
#define TP_EXACT_MAX_OPS 10000 /* exact percentiles up to this many ops */
#define TP_SLOW_MS 2000.0
#define TP_CRITICAL_MS 5000.0

/* The server. */
#define TP_HTTP_THREADS 4 /* request threads (writes wait in a group commit) */
/* Connections (server/conns.h). Over a limit, a new connection takes the
 * place of an idle one (nothing sent since it connected or since its last
 * answer), else of a stalled one (a request started, then silent), the
 * client with the most connections losing first; it is refused only when
 * every connection is busy. */
#define TP_HTTP_MAX_CONNS 256           /* open at once (serve --max-conns) */
#define TP_HTTP_MAX_CONNS_PER_CLIENT 64 /* from one client: IPv4 address or IPv6 /64 */
#define TP_HTTP_CLIENT_SHARE 4          /* with --max-conns N alone: at most N/4 per client */
#define TP_HTTP_MAX_CONNS_CEIL 16384    /* the largest --max-conns accepted */
#define TP_HTTP_STALL_MS 1000           /* a started request silent this long may make room */
#define TP_HTTP_CONN_SLACK 64           /* MHD's limit is ours plus this (closing ones) */
#define TP_HTTP_FD_RESERVE 64           /* open files besides connections ... */
#define TP_HTTP_FD_PER_THREAD 8         /* ... and per request thread (SQLite, epoll) */
#define TP_HTTP_LISTEN_BACKLOG 4096     /* connects waiting for accept() */
#define TP_HTTP_DEFER_ACCEPT_S 1        /* a connection waits this long for its first bytes */
#define TP_HTTP_LIMIT_LOG_MS 60000      /* "limit reached" on stderr at most this often */
#define TP_HTTP_IDLE_TIMEOUT_S 15       /* an idle keep-alive connection */
#define TP_HTTP_HEADER_TIMEOUT_S 10     /* to send the request line and headers */
#define TP_HTTP_REQUEST_TIMEOUT_S 120   /* to send a whole request */
#define TP_HTTP_DRAIN_MS 10000          /* graceful shutdown: in-flight requests */
#define TP_SPOOL_DRAIN_MS 250           /* how often the server drains the hook spool */
#define TP_SPOOL_RETRY_MAX_MS 4000      /* longest wait between drains that fail */
#define TP_RETENTION_EVERY_MS (6LL * 3600 * 1000)
#define TP_MAX_METRIC_TOOLS 50 /* distinct tool labels on /metrics */

/* The ClickHouse store (store/chstore.h, docs/team.md). */
#define TP_CH_BATCH_OPS 50000     /* calls one write to ClickHouse carries at most */
#define TP_CH_BATCH_WAIT_MS 200   /* a small write waits this long for others to join it */
#define TP_CH_WAIT_MS 10000       /* a write waits this long to be in ClickHouse, then is queued */
#define TP_CH_RETRY_MAX_MS 4000   /* longest wait between attempts while ClickHouse is down */
#define TP_CH_SPOOL_MAX_MB 1024   /* the local spool's size (TOOLPROF_CH_SPOOL_MB) */
#define TP_CH_SCAN_CHUNK_HOURS 24 /* raw rows are read a day at a time at most */
#define TP_MAX_PUSH_BODY (64 * 1024 * 1024) /* one POST /api/team/push */
#define TP_MAX_PUSH_OPS 200000              /* calls in one push */
#define TP_PUSH_BATCH 5000                  /* calls `push` sends per request */

/* The OTLP/gRPC listener (serve --otlp-grpc). */
#define TP_GRPC_MAX_CONNS 64                       /* connections at once */
#define TP_GRPC_MAX_STREAMS 100                    /* concurrent streams (calls) per connection */
#define TP_GRPC_IDLE_TIMEOUT_S 300                 /* a connection with no stream and no bytes */
#define TP_GRPC_MAX_PENDING (4 * TP_MAX_OTLP_BODY) /* request bytes held per connection */
#define TP_GRPC_MAX_HELD (16 * TP_MAX_OTLP_BODY)   /* request bytes held by all connections */
#define TP_GRPC_WINDOW (16 * 1024 * 1024)          /* HTTP/2 receive window of a connection */
#define TP_GRPC_MAX_THREADS 8 /* I/O threads (the --threads of serve, capped) */

/* Error messages written into caller buffers. */
#define TP_ERR_MAX 256

#endif
