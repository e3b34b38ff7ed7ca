/*
 * grpcmsg.h - the body of a unary gRPC call: length-prefixed messages.
 *
 * On an HTTP/2 stream a gRPC request body is a sequence of messages, each
 * a 5-byte prefix (a compressed flag, 0 or 1, and a 32-bit big-endian
 * length) and that many bytes. A unary call such as OTLP's Export carries
 * exactly one. This module checks the framing of a whole request body and
 * hands out the message, inflated when it was compressed with gzip
 * (grpc-encoding: gzip), with a gRPC status code for every way it can be
 * wrong. It knows nothing of sockets, so it can be fuzzed alone.
 */
#ifndef TOOLPROF_GRPCMSG_H
#define TOOLPROF_GRPCMSG_H

#include <stddef.h>
#include <stdint.h>

/* gRPC status codes (grpc/doc/statuscodes.md). */
enum grpc_status {
    GRPC_OK = 0,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_DEADLINE_EXCEEDED = 4,
    GRPC_PERMISSION_DENIED = 7,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14,
    GRPC_UNAUTHENTICATED = 16,
};

#define GRPCMSG_PREFIX 5

/* The length a message announces, once `have` bytes of the body are in:
 * 1 with *len when the 5-byte prefix is there, 0 before. Lets a server
 * refuse an oversized message from its prefix, before its bytes arrive. */
int grpcmsg_peek(const uint8_t *body, size_t have, uint32_t *len);

/* Take the one message of a unary request body[0..n). gzip: the request
 * said grpc-encoding: gzip (a compressed message without it is an error).
 * max: the largest message accepted, compressed or inflated. On success
 * returns GRPC_OK with *msg (malloc'd, inflated when it was compressed;
 * free it) and *msg_len; otherwise a gRPC status with a message in errbuf
 * (TP_ERR_MAX) and *msg NULL: INVALID_ARGUMENT for no message, a message
 * longer than the body (cut short), bytes after the message, a bad flag or
 * a corrupt gzip stream; RESOURCE_EXHAUSTED past max; INTERNAL for a
 * compressed message without grpc-encoding (as the gRPC spec says). */
enum grpc_status grpcmsg_take(const uint8_t *body, size_t n, int gzip, size_t max, char **msg,
                              size_t *msg_len, char *errbuf);

#endif
