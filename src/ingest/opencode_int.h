/*
 * opencode_int.h - what opencode.c (context, permissions, records, storage
 * tree) shares with opencode_db.c (the database). Not for other modules.
 */
#ifndef TOOLPROF_OPENCODE_INT_H
#define TOOLPROF_OPENCODE_INT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ingest/agentfile.h"

/* A session as the run knows it; owned by the context. */
struct oc_session {
    char *id, *parent, *directory, *version;
    int policy; /* index into the context's policies, -1 none */
};

/* The session `id` of the context, added with the given parent, directory
 * and version (each may be NULL) when new; never NULL. */
struct oc_session *oc_session_put(struct opencode_ctx *x, const char *id, const char *parent,
                                  const char *directory, const char *version);
/* The session `id` of the context, or NULL. */
struct oc_session *oc_session_find(struct opencode_ctx *x, const char *id);

/* A tool part into an op of out (nothing when it has not finished). rules:
 * the session's own ruleset (may be NULL); model: the message's (may be
 * NULL); off: where the part was read (a row's time, a file's offset). */
void oc_part_op(struct agentfile_out *out, struct opencode_ctx *x, const char *part_id,
                const cJSON *part, const struct oc_session *sess, const cJSON *rules,
                const char *model, int64_t off);

/* An assistant message into a model request of out (nothing for another
 * role). first_tool_ms: the start of its first tool call, -1 none. */
void oc_message_request(struct agentfile_out *out, const char *id, const cJSON *m,
                        const struct oc_session *sess, int64_t first_tool_ms);

#endif
