/*
 * taxonomy.c - canonical tool names across agents (see taxonomy.h).
 *
 * One table of (agent, tool) -> canonical name, looked up by a linear scan
 * (the table is small, and a name is resolved once per stored tool, not per
 * call). MCP tools are recognised by Claude Code's and Codex's naming scheme
 * "mcp__<server>__<tool>"; a bare "<server>__<tool>" is not assumed (too
 * common in plain names).
 */
#include "taxonomy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "op.h"

const char *const taxonomy_agents[] = {"claude-code", "codex", "gemini-cli", "opencode", NULL};

struct tx_entry {
    const char *agent;
    const char *tool;
    const char *canonical;
};

static const struct tx_entry tx_table[] = {
    /* Claude Code */
    {"claude-code", "Read", "read"},
    {"claude-code", "NotebookRead", "read"},
    {"claude-code", "Write", "write"},
    {"claude-code", "Edit", "edit"},
    {"claude-code", "MultiEdit", "edit"},
    {"claude-code", "NotebookEdit", "edit"},
    {"claude-code", "Grep", "search"},
    {"claude-code", "Glob", "list"},
    {"claude-code", "LS", "list"},
    {"claude-code", "Bash", "shell"},
    {"claude-code", "PowerShell", "shell"},
    {"claude-code", "BashOutput", "shell"},
    {"claude-code", "KillBash", "shell"},
    {"claude-code", "KillShell", "shell"},
    {"claude-code", "TaskOutput", "shell"},
    {"claude-code", "WebFetch", "web_fetch"},
    {"claude-code", "WebSearch", "web_search"},
    {"claude-code", "Task", "subagent"},
    {"claude-code", "Agent", "subagent"},
    {"claude-code", "TodoWrite", "todo"},
    {"claude-code", "TodoRead", "todo"},
    {"claude-code", "ExitPlanMode", "plan"},
    {"claude-code", "EnterPlanMode", "plan"},
    {"claude-code", "AskUserQuestion", "question"},
    /* Codex CLI */
    {"codex", "shell", "shell"},
    {"codex", "exec_command", "shell"},
    {"codex", "local_shell", "shell"},
    {"codex", "write_stdin", "shell"},
    {"codex", "apply_patch", "edit"},
    {"codex", "read_file", "read"},
    {"codex", "view_image", "read"},
    {"codex", "list_dir", "list"},
    {"codex", "grep_files", "search"},
    {"codex", "shell_command", "shell"},
    {"codex", "web_search", "web_search"},
    {"codex", "update_plan", "plan"},
    {"codex", "get_goal", "plan"},
    {"codex", "create_goal", "plan"},
    {"codex", "update_goal", "plan"},
    {"codex", "request_user_input", "question"},
    {"codex", "spawn_agent", "subagent"},
    {"codex", "send_input", "subagent"},
    {"codex", "wait_agent", "subagent"},
    {"codex", "resume_agent", "subagent"},
    {"codex", "close_agent", "subagent"},
    /* Gemini CLI */
    {"gemini-cli", "read_file", "read"},
    {"gemini-cli", "read_many_files", "read"},
    {"gemini-cli", "write_file", "write"},
    {"gemini-cli", "replace", "edit"},
    {"gemini-cli", "search_file_content", "search"},
    {"gemini-cli", "grep_search", "search"},
    {"gemini-cli", "grep", "search"},
    {"gemini-cli", "glob", "list"},
    {"gemini-cli", "list_directory", "list"},
    {"gemini-cli", "run_shell_command", "shell"},
    {"gemini-cli", "list_background_processes", "shell"},
    {"gemini-cli", "read_background_output", "shell"},
    {"gemini-cli", "web_fetch", "web_fetch"},
    {"gemini-cli", "google_web_search", "web_search"},
    {"gemini-cli", "save_memory", "memory"},
    {"gemini-cli", "write_todos", "todo"},
    {"gemini-cli", "enter_plan_mode", "plan"},
    {"gemini-cli", "exit_plan_mode", "plan"},
    {"gemini-cli", "invoke_agent", "subagent"},
    {"gemini-cli", "ask_user", "question"},
    /* OpenCode */
    {"opencode", "read", "read"},
    {"opencode", "write", "write"},
    {"opencode", "edit", "edit"},
    {"opencode", "patch", "edit"},
    {"opencode", "multiedit", "edit"},
    {"opencode", "apply_patch", "edit"},
    {"opencode", "grep", "search"},
    {"opencode", "glob", "list"},
    {"opencode", "list", "list"},
    {"opencode", "bash", "shell"},
    {"opencode", "webfetch", "web_fetch"},
    {"opencode", "websearch", "web_search"},
    {"opencode", "task", "subagent"},
    {"opencode", "todowrite", "todo"},
    {"opencode", "todoread", "todo"},
    {"opencode", "question", "question"},
};

void taxonomy_each(taxonomy_fn fn, void *ctx)
{
    for (size_t i = 0; i < sizeof tx_table / sizeof tx_table[0]; i++)
        fn(ctx, tx_table[i].agent, tx_table[i].tool, tx_table[i].canonical);
}

const char *taxonomy_canonical(const char *agent, const char *tool, char *out, size_t size)
{
    if (!agent)
        agent = OP_AGENT_DEFAULT;
    if (!size)
        return out;
    out[0] = '\0';
    if (!tool)
        return out;
    for (size_t i = 0; i < sizeof tx_table / sizeof tx_table[0]; i++)
        if (strcmp(tx_table[i].agent, agent) == 0 && strcmp(tx_table[i].tool, tool) == 0) {
            snprintf(out, size, "%s", tx_table[i].canonical);
            return out;
        }
    if (strncmp(tool, "mcp__", 5) == 0) {
        const char *srv = tool + 5, *sep = strstr(srv, "__");
        if (sep && sep > srv && sep[2]) {
            snprintf(out, size, "mcp:%.*s/%s", (int)(sep - srv), srv, sep + 2);
            return out;
        }
    }
    size_t k = 0;
    for (; tool[k] && k + 1 < size; k++)
        out[k] = (char)tolower((unsigned char)tool[k]);
    out[k] = '\0';
    return out;
}
