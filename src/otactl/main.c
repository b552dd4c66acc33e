/* otactl: the release manager's offline tool (keys, roots, signing). */
#include <stdio.h>
#include <string.h>

#include "otactl/cli.h"
#include "util/util.h"
#include "util/version.h"

static const char usage_text[] =
"usage: otactl COMMAND [FLAGS]\n"
"\n"
"  key new --out FILE\n"
"      new Ed25519 key: FILE (sealed secret, 0600) and FILE.pub\n"
"  root new --root-key SECRET... [--root-pub PUB]... --release-key PUB...\n"
"           --online-key PUB... [--threshold ROLE=N]... --expires DURATION\n"
"           --out FILE\n"
"      root metadata version 1, signed by its root keys; with --draft FILE\n"
"      instead of --out, written however far it is signed, for the holders\n"
"      of the --root-pub keys to cosign (--root-key optional)\n"
"  root rotate --from ROOT [--add-ROLE-key PUB]... [--remove-ROLE-key "
"KEYID|PUB]...\n"
"           [--threshold ROLE=N]... [--expires DURATION] --sign-key "
"SECRET... --out FILE\n"
"      root metadata version N+1, signed by old and new root keys\n"
"      (ROLE is root, release or online); with --draft FILE instead of\n"
"      --out, written however far it is signed (--sign-key optional)\n"
"  root cosign [--from ROOT] --key SECRET... --in FILE --out FILE\n"
"      adds root-key signatures to a draft; --from is the root it follows\n"
"  release sign --artifact FILE --fw-version V --hw-class C... "
"--security-counter N\n"
"           --expires DURATION [--notes TEXT] --key SECRET... --out FILE\n"
"  release cosign --key SECRET... --in FILE --out FILE\n"
"  verify --root ROOT [--artifact FILE] DOC\n"
"\n"
"Passphrases come from --passphrase-file FILE (\"-\" for stdin; once, or\n"
"once per secret key in order) or $OTA_PASSPHRASE, never from the command\n"
"line. OTACTL_KDF=interactive|moderate|sensitive sets the cost of new key\n"
"files (moderate). Exit status: 0 ok, 1 failure, 2 usage error.\n";

/* 1 when an entry of the usage (its first line, after the indent) is
 * for command a, and for subcommand b when b is one. */
static int
entry_for(const char *line, const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);

	if (strncmp(line, a, n) != 0 || (line[n] != ' ' && line[n] != '\n'))
		return 0;
	return b[0] == '\0' || b[0] == '-' || (strncmp(line + n + 1, b, m) == 0 &&
	    (line[n + 1 + m] == ' ' || line[n + 1 + m] == '\n'));
}

/* "otactl CMD [SUB] --help": the usage entries of that command on
 * stdout; 0, or -1 when it names no command. */
static int
command_help(const char *a, const char *b)
{
	const char *p = strstr(usage_text, "\n\n") + 2, *end;
	int on = 0, any = 0;

	for (; *p != '\0' && *p != '\n'; p = end + 1) {
		end = strchr(p, '\n');
		/* An entry starts at two spaces; its lines go deeper. */
		if (p[2] != ' ')
			on = a[0] != '\0' && entry_for(p + 2, a, b);
		if (on && !any++)
			fputs("usage: otactl COMMAND [FLAGS]\n\n", stdout);
		if (on)
			fwrite(p, 1, (size_t)(end - p + 1), stdout);
	}
	if (any)
		fputs(p, stdout);	/* the blank line and the notes */
	return any ? 0 : -1;
}

/* An unknown command: the closest one as a hint, then the usage. */
static int
unknown_command(const char *a, const char *b)
{
	static const char *const words[] = { "key", "root", "release",
	    "verify", "help" };
	static const char *const subs[] = { "new", "rotate", "cosign", "sign" };
	const char *hint = NULL;
	int known = 0;

	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		known |= strcmp(a, words[i]) == 0;
	if (!known)
		hint = util_suggest(a, words, ARRAY_LEN(words));
	if (a[0] == '\0') {
		fputs(usage_text, stderr);
	} else if (hint != NULL) {
		fprintf(stderr, "otactl: unknown command \"%.64s\"; did you mean "
		    "%s? (otactl --help lists them)\n", a, hint);
	} else if ((strcmp(a, "root") == 0 || strcmp(a, "release") == 0) &&
	    (hint = util_suggest(b, subs, ARRAY_LEN(subs))) != NULL) {
		fprintf(stderr, "otactl: unknown command \"%s %.64s\"; did you "
		    "mean %s %s? (otactl %s --help)\n", a, b, a, hint, a);
	} else if (known) {
		fprintf(stderr, "otactl: %s needs one of its commands%s%.64s%s "
		    "(otactl %s --help lists them)\n", a, b[0] ? ", not \"" : "",
		    b, b[0] ? "\"" : "", a);
	} else {
		fprintf(stderr, "otactl: unknown command \"%.64s\" (otactl "
		    "--help lists them)\n", a);
	}
	return OTACTL_USAGE;
}

int
main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";
	const char *b = argc > 2 ? argv[2] : "";

	if (strcmp(a, "help") == 0 || strcmp(a, "--help") == 0 ||
	    strcmp(a, "-h") == 0) {
		if (argc > 2 && command_help(b, argc > 3 ? argv[3] : "") == 0)
			return OTACTL_OK;
		fputs(usage_text, stdout);
		return OTACTL_OK;
	}
	for (int i = 2; i < argc; i++)
		if ((strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) &&
		    command_help(a, b) == 0)
			return OTACTL_OK;
	if (strcmp(a, "--version") == 0) {
		printf("otactl %s\n", OTA_VERSION);
		return OTACTL_OK;
	}
	if (sign_init() != 0) {
		fprintf(stderr, "otactl: libsodium failed to initialise\n");
		return OTACTL_FAIL;
	}
	if (strcmp(a, "key") == 0)
		return otactl_cmd_key("key", argc - 2, argv + 2);
	if (strcmp(a, "root") == 0 && strcmp(b, "new") == 0)
		return otactl_cmd_root_new("root new", argc - 3, argv + 3);
	if (strcmp(a, "root") == 0 && strcmp(b, "rotate") == 0)
		return otactl_cmd_root_rotate("root rotate", argc - 3, argv + 3);
	if (strcmp(a, "root") == 0 && strcmp(b, "cosign") == 0)
		return otactl_cmd_root_cosign("root cosign", argc - 3, argv + 3);
	if (strcmp(a, "release") == 0 && strcmp(b, "sign") == 0)
		return otactl_cmd_release_sign("release sign", argc - 3,
		    argv + 3);
	if (strcmp(a, "release") == 0 && strcmp(b, "cosign") == 0)
		return otactl_cmd_release_cosign("release cosign", argc - 3,
		    argv + 3);
	if (strcmp(a, "verify") == 0)
		return otactl_cmd_verify("verify", argc - 2, argv + 2);
	return unknown_command(a, b);
}
