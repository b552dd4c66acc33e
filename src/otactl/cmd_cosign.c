/* otactl root cosign: add root-key signatures to a root document that
 * others made (root rotate --draft) or began to sign, so that a threshold
 * of root keys held by different people can sign it in turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otactl/cli.h"
#include "util/util.h"

enum { K_KEY, K_IN, K_OUT, K_FROM, K_PASSFILE, K_COUNT };

/* The root doc follows: --from, required for a version above 1. */
static int
load_prev(const char *cmd, const struct otactl_flag *from,
    const struct sign_root *doc, struct sign_root **prev)
{
	char err[1024];
	uint8_t *buf = NULL;
	size_t len;
	enum sign_result r;
	int rc;

	*prev = NULL;
	if (doc->version == 1)
		return from->n == 0 ? OTACTL_OK : otactl_usage(cmd, "--from: "
		    "root version 1 follows no root");
	if (from->n == 0)
		return otactl_usage(cmd, "--from ROOT is required: root version "
		    "%lld must be signed by the root keys of version %lld too",
		    (long long)doc->version, (long long)doc->version - 1);
	if ((rc = otactl_read_doc(cmd, from->val[0], &buf, &len)))
		return rc;
	r = sign_root_load(buf, len, prev, err, sizeof(err));
	free(buf);
	if (r != SIGN_OK)
		return otactl_fail(cmd, r, "%s: %s", from->val[0], err);
	if ((*prev)->version + 1 == doc->version)
		return OTACTL_OK;
	rc = otactl_fail(cmd, SIGN_ERR_VERSION, "%s is root version %lld; "
	    "version %lld follows version %lld", from->val[0],
	    (long long)(*prev)->version, (long long)doc->version,
	    (long long)doc->version - 1);
	sign_root_free(*prev);
	*prev = NULL;
	return rc;
}

int
otactl_cmd_root_cosign(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[K_COUNT] = {
		[K_KEY] = { .name = "key", .max = OTACTL_MAX_VALUES },
		[K_IN] = { .name = "in", .max = 1 },
		[K_OUT] = { .name = "out", .max = 1 },
		[K_FROM] = { .name = "from", .max = 1 },
		[K_PASSFILE] = { .name = "passphrase-file",
		    .max = OTACTL_MAX_VALUES },
	};
	struct sign_key *keys[OTACTL_MAX_VALUES] = { NULL };
	struct sign_envelope *env = NULL;
	struct sign_root *doc = NULL, *prev = NULL;
	const char *pos[1];
	uint8_t *buf = NULL;
	size_t npos, len;
	char err[1024];
	enum sign_result r;
	int rc, met;

	if ((rc = otactl_parse(cmd, argc, argv, flags, K_COUNT, pos, 0,
	    &npos)) ||
	    (rc = otactl_require(cmd, &flags[K_KEY])) ||
	    (rc = otactl_require(cmd, &flags[K_IN])) ||
	    (rc = otactl_require(cmd, &flags[K_OUT])) ||
	    (rc = otactl_read_doc(cmd, flags[K_IN].val[0], &buf, &len)))
		return rc;
	r = sign_root_parse(buf, len, &env, &doc, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s: %s", flags[K_IN].val[0], err);
		goto out;
	}
	/* Nobody signs what no device would accept. */
	if ((rc = otactl_check_roles(cmd, doc)) ||
	    (rc = load_prev(cmd, &flags[K_FROM], doc, &prev)) ||
	    (rc = otactl_load_keys(cmd, &flags[K_KEY], &flags[K_PASSFILE],
	    keys)) ||
	    (rc = otactl_check_signers(cmd, &flags[K_KEY], keys, doc, prev)) ||
	    (rc = otactl_add_signatures(cmd, keys, flags[K_KEY].n, &buf,
	    &len)))
		goto out;
	printf("root version %lld:\n", (long long)doc->version);
	/* A signature someone added before that no longer verifies (the
	 * document was changed after signing) stops it here. */
	met = otactl_root_progress(cmd, prev, buf, len);
	if (met < 0) {
		rc = OTACTL_FAIL;
		goto out;
	}
	rc = otactl_write(cmd, flags[K_OUT].val[0], buf, len, 0644);
	if (rc == OTACTL_OK)
		otactl_print_next_step(flags[K_OUT].val[0], met);
out:
	for (size_t i = 0; i < OTACTL_MAX_VALUES; i++)
		sign_key_free(keys[i]);
	sign_envelope_free(env);
	sign_root_free(doc);
	sign_root_free(prev);
	free(buf);
	return rc;
}
