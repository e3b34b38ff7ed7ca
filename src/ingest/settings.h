/*
 * settings.h - `toolprof install-hook`: our entries in Claude Code's settings.
 *
 * Claude Code reads hooks from the "hooks" key of ~/.claude/settings.json:
 * event name -> list of matcher groups -> list of handlers. Installing adds
 * one group {"matcher": "*", "hooks": [{"type": "command", "command": C}]}
 * to PostToolUse and to PostToolUseFailure, where C runs `toolprof hook`.
 * The file belongs to the user: everything else in it is kept as it was,
 * in its order and indentation style; running install twice changes
 * nothing; an entry of ours is recognised even when the binary moved (a
 * command naming "toolprof" followed by the word "hook") and is updated in
 * place rather than added twice. Uninstall removes only our handlers, and
 * the groups and keys that become empty by that.
 *
 * The file is rewritten atomically (a temporary file in the same
 * directory, fsync, rename) and only when something changes; the previous
 * content is first copied to <file>.bak.<YYYYMMDD-HHMMSS>. A file that is
 * not valid JSON, or whose "hooks" is not shaped as above, is refused and
 * left untouched.
 */
#ifndef TOOLPROF_SETTINGS_H
#define TOOLPROF_SETTINGS_H

#include <stdio.h>

/* Install (uninstall = 0) or remove our hook entries in settings_path.
 * command is the handler's command line (see settings_hook_command; unused
 * when uninstalling, may be NULL then). A missing file (and directory) is
 * created when installing. Each change is described on `report` (may be
 * NULL), one line each, then the file written. Returns 0 (also when
 * nothing needed changing), TP_EPARSE when the file cannot be parsed or
 * has an unexpected shape, TP_EIO on file system errors; errbuf says which
 * and where. */
int settings_install(const char *settings_path, const char *command, int uninstall, FILE *report,
                     char *errbuf);

/* ~/.claude/settings.json ($HOME), malloc'd; NULL when HOME is unset. */
char *settings_default_path(void);

/* The command line of our handler: the running binary's absolute path
 * (from /proc/self/exe), then `--data-dir DIR` when data_dir is not NULL
 * (made absolute against the current directory), then `hook`; paths are
 * shell-quoted when they need it. malloc'd; NULL with errbuf filled when
 * /proc/self/exe cannot be read. */
char *settings_hook_command(const char *data_dir, char *errbuf);

/* 1 when a handler command line runs toolprof's hook: it names
 * "toolprof" and, after that, has the word "hook". */
int settings_is_ours(const char *command);

#endif
