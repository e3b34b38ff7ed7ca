/*
 * team.h - the team view: one window of the team store seen across people.
 *
 * Three lists, each built from the questions the engine already answers,
 * asked once per person (engine_collect and engine_hotspots with a person
 * filter), so every figure is the one those questions would give:
 *   people    each person's machines, calls, and the time they waited on
 *             approval prompts (who waits most comes first);
 *   mcp       MCP servers (tools named mcp__SERVER__TOOL) across everyone:
 *             calls, people who used them, average and p95 execution time,
 *             slowest p95 first;
 *   commands  shell commands (Bash targets) by the time they took across
 *             everyone, with the number of people who ran them.
 * and everyone the store knows, with their machines (for the dashboard's
 * person and host filters). Only the team store knows people
 * (store_team); on another store the answer is an error.
 */
#ifndef TOOLPROF_TEAM_H
#define TOOLPROF_TEAM_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct team_person {
    char *person;
    char **hosts;
    size_t nhosts;
    uint64_t calls, asked, n_wait;
    double wait_ms, exec_ms;
};

struct team_mcp {
    char *server;
    uint64_t calls, timed, slow, people;
    double avg_ms, p95_ms, total_ms;
};

struct team_command {
    char *command;
    uint64_t calls, people;
    double total_ms, avg_ms, max_ms;
};

struct team {
    struct engine_window w;
    struct team_person *people; /* with calls in the window */
    size_t npeople;
    struct team_person *members; /* everyone who stored calls (names, hosts only) */
    size_t nmembers;
    struct team_mcp *mcp;
    size_t nmcp;
    struct team_command *commands;
    size_t ncommands;
};

/* The team view of q's window (and project), at most limit MCP servers and
 * limit commands. Returns 0, TP_EINVAL when the store keeps no people, or
 * another error code with errbuf filled. */
int team_view(struct store *s, const struct engine_query *q, size_t limit, struct team *out,
              char *errbuf);
void team_free(struct team *t);

#endif
