/* otactl: the release manager's offline tool (keys, roots, signing). */
#include <stdio.h>
#include <string.h>

#include "otactl/cli.h"

static const char usage_text[] =
"usage: otactl COMMAND [FLAGS]\n"
"\n"
"  key new --out FILE\n"
"      new Ed25519 key: FILE (sealed secret, 0600) and FILE.pub\n"
"  root new --root-key SECRET... --release-key PUB... --online-key PUB...\n"
"           [--threshold ROLE=N]... --expires DURATION --out FILE\n"
"      root metadata version 1, signed by its root keys\n"
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

int
main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";
	const char *b = argc > 2 ? argv[2] : "";

	if (strcmp(a, "help") == 0 || strcmp(a, "--help") == 0 ||
	    strcmp(a, "-h") == 0) {
		fputs(usage_text, stdout);
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
	fputs(usage_text, stderr);
	return OTACTL_USAGE;
}
