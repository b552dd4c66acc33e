/* otactl key new: a fresh Ed25519 key, sealed at rest, and its public
 * half. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "otactl/cli.h"
#include "util/util.h"

enum { F_OUT, F_PASSFILE, F_COUNT };

static int
key_new(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[F_COUNT] = {
		[F_OUT] = { .name = "out", .max = 1 },
		[F_PASSFILE] = { .name = "passphrase-file", .max = 1 },
	};
	struct otactl_pass pass;
	struct sign_pubkey pk;
	struct sign_key *k = NULL;
	enum sign_kdf_level kdf;
	const char *pos[1];
	char pubpath[4096], err[512];
	struct stat st;
	const uint8_t *pw;
	size_t npos, pwlen;
	enum sign_result r;
	int rc;

	if ((rc = otactl_parse(cmd, argc, argv, flags, F_COUNT, pos, 0,
	    &npos)) || (rc = otactl_require(cmd, &flags[F_OUT])) ||
	    (rc = otactl_kdf(cmd, &kdf)))
		return rc;
	if (util_fmt(pubpath, sizeof(pubpath), "%s.pub",
	    flags[F_OUT].val[0]) != 0)
		return otactl_usage(cmd, "--out: path too long");
	/* Never replace a key: that would destroy the only copy. */
	if (lstat(flags[F_OUT].val[0], &st) == 0 || lstat(pubpath, &st) == 0)
		return otactl_fail(cmd, SIGN_ERR_IO, "%s or %s already exists; "
		    "refusing to overwrite a key", flags[F_OUT].val[0],
		    pubpath);
	rc = otactl_pass_load(cmd, &flags[F_PASSFILE], 1, &pass);
	if (rc != OTACTL_OK)
		goto out;
	k = sign_key_generate();
	if (k == NULL) {
		rc = otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
		goto out;
	}
	pw = otactl_pass_get(&pass, 0, &pwlen);
	r = sign_keyfile_write(flags[F_OUT].val[0], k, pw, pwlen, kdf, err,
	    sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s", err);
		goto out;
	}
	sign_key_pubkey(k, &pk);
	r = sign_pubkey_write(pubpath, &pk, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s", err);
		goto out;
	}
	printf("%s\n", pk.keyid);
	rc = OTACTL_OK;
out:
	sign_key_free(k);
	otactl_pass_wipe(&pass);
	return rc;
}

int
otactl_cmd_key(const char *cmd, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "new") == 0)
		return key_new("key new", argc - 1, argv + 1);
	return otactl_usage(cmd, "expected \"key new --out FILE\"");
}
