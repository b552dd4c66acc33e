/* otactl verify: check a document (and an artifact) against a root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otactl/cli.h"
#include "util/util.h"

enum { V_ROOT, V_ARTIFACT, V_COUNT };

static int
verify_root(const char *cmd, const struct sign_root *trusted,
    const uint8_t *doc, size_t len, int64_t now)
{
	struct sign_root *next = NULL;
	char err[1024], when[21], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX];
	enum sign_result r;

	r = sign_root_verify_next(trusted, doc, len, now, &next, err,
	    sizeof(err));
	if (r != SIGN_OK) {
		int rc = otactl_fail(cmd, r, "%s", err);

		/* Which thresholds are met, and whose signatures are missing. */
		if (r == SIGN_ERR_THRESHOLD)
			(void)otactl_root_progress(cmd, trusted, doc, len);
		return rc;
	}
	util_time_fmt(next->expires, when);
	otactl_keyids(&next->signers, ids, sizeof(ids));
	printf("ok: root version %lld follows version %lld, expires %s, "
	    "signed by %s\n", (long long)next->version,
	    (long long)trusted->version, when, ids);
	(void)otactl_root_progress(cmd, trusted, doc, len);
	sign_root_free(next);
	return OTACTL_OK;
}

/* DOC is the --root file itself: its own threshold (checked on loading)
 * and its expiry. */
static int
verify_self(const char *cmd, const struct sign_root *root, const uint8_t *doc,
    size_t len, int64_t now)
{
	char when[21], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX];

	util_time_fmt(root->expires, when);
	if (now >= root->expires)
		return otactl_fail(cmd, SIGN_ERR_EXPIRED, "root version %lld "
		    "expired at %s", (long long)root->version, when);
	otactl_keyids(&root->signers, ids, sizeof(ids));
	printf("ok: root version %lld (signed by a threshold of its own root "
	    "keys), expires %s, signed by %s\n", (long long)root->version,
	    when, ids);
	(void)otactl_root_progress(cmd, NULL, doc, len);
	return OTACTL_OK;
}

/* The release role's line for the release doc (parsed again). */
static void
release_progress(const char *cmd, const struct sign_root *root,
    const uint8_t *doc, size_t len)
{
	struct sign_envelope *env = NULL;

	if (sign_envelope_parse(doc, len, &env, NULL, 0) == SIGN_OK)
		(void)otactl_print_tally(cmd, root, SIGN_ROLE_RELEASE, env);
	sign_envelope_free(env);
}

static int
verify_release(const char *cmd, const struct sign_root *root,
    const uint8_t *doc, size_t len, const char *artifact, int64_t now)
{
	struct sign_release *rel = NULL;
	char err[1024], when[21], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX];
	char hw[SIGN_HW_CLASSES_MAX * (SIGN_HW_CLASS_MAX + 1) + 1] = "";
	size_t used = 0;
	enum sign_result r;

	r = sign_release_verify(root, doc, len, now, &rel, err, sizeof(err));
	if (r == SIGN_OK && artifact != NULL)
		r = sign_check_artifact_path(rel, artifact, err, sizeof(err));
	if (r != SIGN_OK) {
		int rc = otactl_fail(cmd, r, "%s", err);

		if (r == SIGN_ERR_THRESHOLD)
			release_progress(cmd, root, doc, len);
		sign_release_free(rel);
		return rc;
	}
	for (size_t i = 0; i < rel->nhw_classes; i++) {
		size_t n = strlen(rel->hw_classes[i]);

		/* hw fits every class by its size; no truncation. */
		if (i > 0)
			hw[used++] = ',';
		memcpy(hw + used, rel->hw_classes[i], n + 1);
		used += n;
	}
	util_time_fmt(rel->expires, when);
	otactl_keyids(&rel->signers, ids, sizeof(ids));
	printf("ok: release %s (security_counter %lld, hw_classes %s, "
	    "length %llu), expires %s, signed by %s%s\n", rel->fw_version,
	    (long long)rel->security_counter, hw,
	    (unsigned long long)rel->length, when, ids,
	    artifact != NULL ? "; artifact matches" : "");
	release_progress(cmd, root, doc, len);
	sign_release_free(rel);
	return OTACTL_OK;
}

static int
verify_assignment(const char *cmd, const struct sign_root *root,
    const uint8_t *doc, size_t len, int64_t now)
{
	struct sign_assignment *a = NULL;
	char err[1024], when[21], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX];
	char rel[SIGN_SHA256_HEX];
	enum sign_result r;

	r = sign_assignment_verify_sig(root, doc, len, now, &a, err,
	    sizeof(err));
	if (r != SIGN_OK)
		return otactl_fail(cmd, r, "%s", err);
	sign_hex(a->release_sha256, SIGN_SHA256_LEN, rel);
	util_time_fmt(a->expires, when);
	otactl_keyids(&a->signers, ids, sizeof(ids));
	printf("ok: assignment of release %s to device %s (campaign %s, "
	    "nonce %s), expires %s, signed by %s\n", rel, a->device_id,
	    a->campaign, a->nonce, when, ids);
	sign_assignment_free(a);
	return OTACTL_OK;
}

int
otactl_cmd_verify(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[V_COUNT] = {
		[V_ROOT] = { .name = "root", .max = 1 },
		[V_ARTIFACT] = { .name = "artifact", .max = 1 },
	};
	struct sign_envelope *env = NULL;
	struct sign_root *root = NULL;
	const char *pos[1];
	uint8_t *rootbuf = NULL, *doc = NULL;
	size_t npos, rootlen, len;
	int64_t now = util_now();
	char err[1024], when[21];
	enum sign_result r;
	int rc;

	if ((rc = otactl_parse(cmd, argc, argv, flags, V_COUNT, pos, 1,
	    &npos)) || (rc = otactl_require(cmd, &flags[V_ROOT])))
		return rc;
	if (npos != 1)
		return otactl_usage(cmd, "expected one document to verify");
	if ((rc = otactl_read_doc(cmd, flags[V_ROOT].val[0], &rootbuf,
	    &rootlen)) || (rc = otactl_read_doc(cmd, pos[0], &doc, &len)))
		goto out;
	/* The root given is trusted as the operator's own; it must still be
	 * well formed and signed by a threshold of its own root keys. */
	r = sign_root_load(rootbuf, rootlen, &root, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s: %s", flags[V_ROOT].val[0], err);
		goto out;
	}
	r = sign_envelope_parse(doc, len, &env, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s: %s", pos[0], err);
		goto out;
	}
	if (flags[V_ARTIFACT].n > 0 && env->type != SIGN_DOC_RELEASE) {
		rc = otactl_usage(cmd, "--artifact: only a release names an "
		    "artifact, and %s is a %s document", pos[0],
		    sign_doc_type_name(env->type));
		goto out;
	}
	if (env->type == SIGN_DOC_ROOT) {
		if (len == rootlen && memcmp(doc, rootbuf, len) == 0)
			rc = verify_self(cmd, root, doc, len, now);
		else
			rc = verify_root(cmd, root, doc, len, now);
		goto out;
	}
	/* A device stops at an expired root (a freeze); so does this. */
	if (now >= root->expires) {
		util_time_fmt(root->expires, when);
		rc = otactl_fail(cmd, SIGN_ERR_FREEZE, "%s: root version %lld "
		    "expired at %s", flags[V_ROOT].val[0],
		    (long long)root->version, when);
		goto out;
	}
	if (env->type == SIGN_DOC_RELEASE)
		rc = verify_release(cmd, root, doc, len,
		    flags[V_ARTIFACT].n > 0 ? flags[V_ARTIFACT].val[0] : NULL,
		    now);
	else
		rc = verify_assignment(cmd, root, doc, len, now);
out:
	sign_envelope_free(env);
	sign_root_free(root);
	free(rootbuf);
	free(doc);
	return rc;
}
