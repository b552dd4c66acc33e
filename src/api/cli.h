/* otad's command line: flags, commands and their help. */
#ifndef API_CLI_H
#define API_CLI_H

#include <stdio.h>

struct otad_args {
	const char *config;
	const char *listen, *data_dir, *log_level;
	const char *role;
	const char *pos[4];
	int npos;
};

/* Parses argv into a. --help (or -h, or "help [COMMAND]") prints the
 * help on stdout and exits 0, --version too; a usage error exits 2 with
 * the reason and, for an unknown flag or command, the closest known one. */
void cli_parse(int argc, char **argv, struct otad_args *a);
/* Prints the help of command cmd (NULL: of every command) to out; 0, or
 * -1 when cmd is no command. */
int cli_help(FILE *out, const char *cmd);
/* Exits 2 with "unknown command X; did you mean Y?" when the first
 * positional argument names no command. */
void cli_unknown_command(const char *cmd) __attribute__((noreturn));

#endif
