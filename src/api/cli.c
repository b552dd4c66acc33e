/* otad's command line. Each command has its synopsis and a paragraph;
 * "otad help CMD" and "otad CMD --help" show one, --help shows all. */
#include <stdlib.h>
#include <string.h>

#include "api/cli.h"
#include "api/server.h"
#include "util/log.h"
#include "util/util.h"

struct cmd_help {
	const char *name, *synopsis, *text;
};

static const struct cmd_help cmds[] = {
	{ "serve", "otad [-c FILE] [--listen ADDR:PORT] [--data-dir DIR] "
	    "[--database URL] [--log-level LEVEL]",
	    "Runs the daemon (no command). SIGTERM or SIGINT drain and stop it;\n"
	    "SIGHUP reads the config file again and applies log_level and\n"
	    "log_requests (it names the changed keys that need a restart)." },
	{ "token", "otad [options] token add --role admin|release|viewer|gateway "
	    "NAME\n       otad [options] token list\n"
	    "       otad [options] token revoke NAME",
	    "Adds an API token (printed once), lists the tokens with their last\n"
	    "use, or revokes one. Works while the daemon runs." },
	{ "backup", "otad [options] backup FILE",
	    "Writes a consistent copy of the database to FILE (mode 0600) while\n"
	    "the daemon runs; FILE must not exist. SQLite only: a PostgreSQL\n"
	    "database is backed up with pg_dump." },
	{ "restore", "otad [options] restore FILE",
	    "Replaces the database with the backup FILE. The daemon must be\n"
	    "stopped. FILE is checked first (SQLite's integrity check, a schema\n"
	    "this build knows); the database it replaces is kept next to it as\n"
	    "otad.db.before-restore-TIME. SQLite only: a PostgreSQL database\n"
	    "is restored with pg_restore." },
	{ "migrate-to", "otad [options] migrate-to postgresql://USER@HOST/DB",
	    "Copies the SQLite database into an empty PostgreSQL database (its\n"
	    "schema is made first) in one transaction: all or nothing. The\n"
	    "daemon must be stopped; a database holding any row is refused.\n"
	    "Then set database = URL in otad.conf; the SQLite file is left as\n"
	    "it was (the way back) and the artifact files stay in the data dir.\n"
	    "The URL's password is never printed (docs/operations.md)." },
	{ "online-key", "otad [options] online-key next\n"
	    "       otad [options] online-key switch",
	    "Rotates the online key in two steps (docs/operations.md): next\n"
	    "makes online-next.key, switch makes it the online key; restart\n"
	    "otad after switch." },
	{ "help", "otad help [COMMAND]", "Shows this help, or one command's." },
};

static const char options_text[] =
    "Options:\n"
    "  -c, --config FILE     the config file (docs/operations.md lists every"
    " key)\n"
    "  --listen ADDR:PORT    overrides listen\n"
    "  --data-dir DIR        overrides data_dir\n"
    "  --database URL        overrides database (a postgresql:// URL)\n"
    "  --log-level LEVEL     error, warn, info or debug\n"
    "  --role ROLE           token add's role\n"
    "  -h, --help            this help; otad COMMAND --help for one command\n"
    "  --version             prints the version\n"
    "Exit status: 0 ok, 1 failure, 2 usage error.\n";

static const struct cmd_help *
find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

int
cli_help(FILE *out, const char *cmd)
{
	const struct cmd_help *c = cmd != NULL ? find_cmd(cmd) : NULL;

	if (cmd != NULL && c == NULL)
		return -1;
	if (c != NULL) {
		fprintf(out, "usage: %s\n\n%s\n\n%s", c->synopsis, c->text,
		    options_text);
		return 0;
	}
	fputs("usage: ", out);
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		fprintf(out, "%s%s\n", i > 0 ? "       " : "", cmds[i].synopsis);
	fprintf(out, "\nCommands:\n");
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		fprintf(out, "  %-11s %.*s\n", cmds[i].name,
		    (int)strcspn(cmds[i].text, "."), cmds[i].text);
	fprintf(out, "\n%s", options_text);
	return 0;
}

void
cli_unknown_command(const char *cmd)
{
	const char *names[ARRAY_LEN(cmds)], *hint;

	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		names[i] = cmds[i].name;
	hint = util_suggest(cmd, names, ARRAY_LEN(cmds));
	if (hint != NULL)
		fatal(2, "unknown command %s; did you mean %s? (see otad --help)",
		    cmd, hint);
	fatal(2, "unknown command %s (see otad --help)", cmd);
}

struct flag {
	const char *name;	/* without its dashes */
	size_t off;		/* of its value in struct otad_args */
};

#define F(n, field) { n, offsetof(struct otad_args, field) }
static const struct flag flags[] = {
	F("config", config), F("listen", listen), F("data-dir", data_dir),
	F("database", database),
	F("log-level", log_level), F("role", role),
};
#undef F

static void unknown_flag(const char *f) __attribute__((noreturn));

static void
unknown_flag(const char *f)
{
	const char *names[ARRAY_LEN(flags) + 2] = { "help", "version" }, *hint;
	const char *word = f + strspn(f, "-");

	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		names[i + 2] = flags[i].name;
	hint = util_suggest(word, names, ARRAY_LEN(names));
	if (hint != NULL)
		fatal(2, "unknown flag %s; did you mean --%s? (see otad --help)",
		    f, hint);
	fatal(2, "unknown flag %s (see otad --help)", f);
}

/* "otad CMD --help" or "otad help [CMD]": the help, then exit 0. */
static void help_and_exit(const char *cmd) __attribute__((noreturn));

static void
help_and_exit(const char *cmd)
{
	if (cli_help(stdout, cmd) != 0)
		cli_unknown_command(cmd);
	exit(0);
}

static const char **
flag_value(const char *f, struct otad_args *a)
{
	if (strcmp(f, "-c") == 0)
		return &a->config;
	if (strncmp(f, "--", 2) != 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		if (strcmp(f + 2, flags[i].name) == 0)
			return (const char **)(void *)((char *)a + flags[i].off);
	return NULL;
}

void
cli_parse(int argc, char **argv, struct otad_args *a)
{
	int help = 0;

	for (int i = 1; i < argc; i++) {
		const char *f = argv[i];
		const char **dst;

		if (strcmp(f, "-h") == 0 || strcmp(f, "--help") == 0) {
			help = 1;
			continue;
		}
		if (strcmp(f, "--version") == 0) {
			printf("otad %s\n", OTAD_VERSION);
			exit(0);
		}
		if (f[0] == '-') {
			if ((dst = flag_value(f, a)) == NULL)
				unknown_flag(f);
			if (i + 1 >= argc)
				fatal(2, "flag %s needs a value", f);
			*dst = argv[++i];
			continue;
		}
		if (a->npos >= (int)ARRAY_LEN(a->pos))
			fatal(2, "too many arguments (see otad --help)");
		a->pos[a->npos++] = f;
	}
	if (a->npos > 0 && strcmp(a->pos[0], "help") == 0)
		help_and_exit(a->npos > 1 ? a->pos[1] : NULL);
	if (help)
		help_and_exit(a->npos > 0 ? a->pos[0] : NULL);
}
