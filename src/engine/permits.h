/*
 * permits.h - the Claude Code permission rule that would let a call run
 * without a prompt, for the approvals recommendation.
 *
 * Claude Code asks before running a tool unless a rule in the settings'
 * `permissions.allow` list matches the call (docs: code.claude.com/docs/en
 * /settings, "Permission rules"): `Bash(npm test:*)` (a command prefix),
 * `Edit(src/...)` (src/ and below) (a path pattern, relative to the project), `WebFetch(domain:
 * example.com)`, `mcp__server__tool`, or a bare tool name. This module
 * proposes the narrowest useful rule for a call, and refuses to propose one
 * for commands that delete, publish, escalate or fetch code to run
 * (rm, git push, sudo, curl | sh ...): those prompts are worth their wait.
 */
#ifndef TOOLPROF_PERMITS_H
#define TOOLPROF_PERMITS_H

#include <stddef.h>

/* The allow rule for a call of tool on target (a command, a path, a URL)
 * in project (the session's cwd, may be NULL), written into out (size
 * bytes). Returns 1 when there is one, 0 when the call should keep asking
 * (a destructive or outward command) or no rule fits (empty target). */
int permit_rule(const char *tool, const char *target, const char *project, char *out, size_t size);

/* Does command (a shell command line) delete, publish, escalate, change
 * permissions or run code fetched from the network? (Reasons for never
 * proposing to allow it.) */
int permit_is_dangerous(const char *command);

#endif
