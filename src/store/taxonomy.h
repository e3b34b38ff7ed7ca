/*
 * taxonomy.h - one name per kind of tool, across coding agents.
 *
 * Every agent names its tools its own way (Claude Code's Bash, Codex's
 * shell and exec_command, Gemini CLI's run_shell_command, OpenCode's bash).
 * An operation keeps the agent's own name; its canonical name says what
 * kind of call it was, so that one question covers every agent ("shell p95
 * across agents"). docs/agents.md lists the mapping of every known tool.
 *
 * Canonical names: read, write, edit, search (file contents), list (files,
 * directories), shell, web_fetch, web_search, subagent, todo, plan,
 * question (asks the person), memory, and "mcp:<server>/<tool>" for MCP
 * tools; a tool the table does not know keeps its own name, lowercased.
 */
#ifndef TOOLPROF_TAXONOMY_H
#define TOOLPROF_TAXONOMY_H

#include <stddef.h>

/* The canonical name of `tool` of `agent` (NULL: the default agent),
 * written into out (size bytes). Returns out. */
const char *taxonomy_canonical(const char *agent, const char *tool, char *out, size_t size);

/* Every entry of the table, in its order, through fn (docs/agents.md
 * lists the same entries; a unit test compares them). */
typedef void (*taxonomy_fn)(void *ctx, const char *agent, const char *tool, const char *canonical);
void taxonomy_each(taxonomy_fn fn, void *ctx);

/* The agents toolprof knows, for messages and completion; NULL-ended. */
extern const char *const taxonomy_agents[];

#endif
