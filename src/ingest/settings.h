/*
 * settings.h - `toolprof install-hook`: our entries in Claude Code's (and
 * Gemini CLI's) settings.
 *
 * Claude Code reads hooks from the "hooks" key of ~/.claude/settings.json:
 * event name -> list of matcher groups -> list of handlers. Installing adds
 * one group {"matcher": "*", "hooks": [{"type": "command", "command": C}]}
 * to PostToolUse and to PostToolUseFailure, where C runs `toolprof hook`.
 * The file belongs to the user: everything else in it is kept as it was,
 * in its order and indentation style; running install twice changes
 * nothing; an entry of ours is recognised by its exact shape even when the
 * binary moved (settings_is_ours()) and is updated in place rather than
 * added twice. Uninstall removes only our handlers, and the groups and keys
 * that become empty by that. A handler toolprof did not write is never
 * changed or removed, whatever it mentions.
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

/* The same in Gemini CLI's settings (~/.gemini/settings.json), which keep
 * hooks in the same shape: one group for BeforeTool and one for AfterTool
 * (gemhook.h says what they record). */
int settings_install_gemini(const char *settings_path, const char *command, int uninstall,
                            FILE *report, char *errbuf);

/* ~/.claude/settings.json ($HOME), malloc'd; NULL when HOME is unset. */
char *settings_default_path(void);
/* Gemini CLI's: $GEMINI_CLI_HOME/.gemini/settings.json, else
 * ~/.gemini/settings.json; NULL when neither variable is set. */
char *settings_gemini_default_path(void);

/* The command line of our handler for the binary at exe: exe, then
 * `--data-dir DIR` when data_dir is not NULL, then `hook`, joined by single
 * spaces; a word is written as it is when it holds only letters, digits
 * and "/._-+,:@%=", else in single quotes with each ' written '\''. No
 * file system access. malloc'd; NULL with errbuf filled when a path is
 * empty or the line too long. */
char *settings_command_for(const char *exe, const char *data_dir, char *errbuf);

/* settings_command_for() for the running binary (/proc/self/exe) and
 * data_dir made absolute against the current directory (the hook runs in
 * the project's directory, not ours). NULL with errbuf filled when
 * /proc/self/exe cannot be read. */
char *settings_hook_command(const char *data_dir, char *errbuf);

/* 1 when a handler command line is one toolprof writes, that is exactly
 *   PROG hook    or    PROG --data-dir DIR hook
 * where PROG, unquoted, is a file named toolprof ("toolprof" itself, or
 * any path ending in "/toolprof"), and each word is quoted exactly as
 * settings_command_for() quotes it (blanks around the whole line do not
 * count). Anything else is not ours: a command that merely contains
 * "toolprof" (a folder name, an argument, a script of the user's) and
 * "hook" is the user's, and install-hook leaves it alone. */
int settings_is_ours(const char *command);

#endif
