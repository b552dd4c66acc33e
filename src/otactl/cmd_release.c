/* otactl release sign / release cosign: release manifests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otactl/cli.h"
#include "util/util.h"

enum {
	S_ARTIFACT, S_VERSION, S_HW, S_COUNTER, S_EXPIRES, S_NOTES, S_KEY,
	S_OUT, S_PASSFILE, S_COUNT
};

int
otactl_cmd_release_sign(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[S_COUNT] = {
		[S_ARTIFACT] = { .name = "artifact", .max = 1 },
		[S_VERSION] = { .name = "fw-version", .max = 1 },
		[S_HW] = { .name = "hw-class", .max = SIGN_HW_CLASSES_MAX },
		[S_COUNTER] = { .name = "security-counter", .max = 1 },
		[S_EXPIRES] = { .name = "expires", .max = 1 },
		[S_NOTES] = { .name = "notes", .max = 1 },
		[S_KEY] = { .name = "key", .max = OTACTL_MAX_VALUES },
		[S_OUT] = { .name = "out", .max = 1 },
		[S_PASSFILE] = { .name = "passphrase-file",
		    .max = OTACTL_MAX_VALUES },
	};
	struct sign_key *keys[OTACTL_MAX_VALUES] = { NULL };
	struct sign_release *f = NULL;
	const char *pos[1], *v;
	uint8_t *doc = NULL;
	size_t npos, len;
	int64_t dur;
	char err[1024], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX], when[21];
	enum sign_result r;
	int rc;

	if ((rc = otactl_parse(cmd, argc, argv, flags, S_COUNT, pos, 0,
	    &npos)) ||
	    (rc = otactl_require(cmd, &flags[S_ARTIFACT])) ||
	    (rc = otactl_require(cmd, &flags[S_VERSION])) ||
	    (rc = otactl_require(cmd, &flags[S_HW])) ||
	    (rc = otactl_require(cmd, &flags[S_COUNTER])) ||
	    (rc = otactl_require(cmd, &flags[S_EXPIRES])) ||
	    (rc = otactl_require(cmd, &flags[S_KEY])) ||
	    (rc = otactl_require(cmd, &flags[S_OUT])))
		return rc;
	f = sign_release_new();
	if (f == NULL)
		return otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
	v = flags[S_VERSION].val[0];
	if (!sign_semver_valid(v)) {
		rc = otactl_usage(cmd, "--fw-version: \"%.64s\" is not "
		    "MAJOR.MINOR.PATCH[-PRERELEASE]", v);
		goto out;
	}
	memcpy(f->fw_version, v, strlen(v) + 1);
	for (size_t i = 0; i < flags[S_HW].n; i++) {
		v = flags[S_HW].val[i];
		/* The server's identifier rule: a class no device can be
		 * provisioned with would be signed for nobody. */
		if (!util_valid_ident(v)) {
			rc = otactl_usage(cmd, "--hw-class: \"%.64s\" must be 1 "
			    "to %d of A-Z a-z 0-9 . _ : - starting with a letter "
			    "or digit", v, UTIL_ID_MAX);
			goto out;
		}
		memcpy(f->hw_classes[f->nhw_classes++], v, strlen(v) + 1);
	}
	if (util_parse_int(flags[S_COUNTER].val[0], 0, INT64_MAX,
	    &f->security_counter) != 0) {
		rc = otactl_usage(cmd, "--security-counter: \"%.64s\" is not "
		    "an integer >= 0", flags[S_COUNTER].val[0]);
		goto out;
	}
	if (util_parse_duration(flags[S_EXPIRES].val[0], &dur) != 0 ||
	    dur <= 0) {
		rc = otactl_usage(cmd, "--expires: \"%.64s\" is not a duration "
		    "like 90d, 12w or 48h", flags[S_EXPIRES].val[0]);
		goto out;
	}
	f->created = util_now();
	f->expires = f->created + dur;
	if (flags[S_NOTES].n > 0 &&
	    (f->notes = strdup(flags[S_NOTES].val[0])) == NULL) {
		rc = otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (sign_sha256_file(flags[S_ARTIFACT].val[0], &f->length,
	    f->sha256) != 0) {
		rc = otactl_fail(cmd, SIGN_ERR_IO, "%s: %s",
		    flags[S_ARTIFACT].val[0], strerror(errno));
		goto out;
	}
	if (f->length == 0) {
		rc = otactl_fail(cmd, SIGN_ERR_LENGTH, "%s: empty artifact",
		    flags[S_ARTIFACT].val[0]);
		goto out;
	}
	if ((rc = otactl_load_keys(cmd, &flags[S_KEY], &flags[S_PASSFILE],
	    keys)))
		goto out;
	r = sign_release_create(f, (const struct sign_key *const *)keys,
	    flags[S_KEY].n, &doc, &len, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s", err);
		goto out;
	}
	rc = otactl_write(cmd, flags[S_OUT].val[0], doc, len, 0644);
	if (rc == OTACTL_OK) {
		struct sign_keyids set = { 0 };

		for (size_t i = 0; i < flags[S_KEY].n; i++)
			(void)sign_keyids_add(&set, sign_key_id(keys[i]));
		otactl_keyids(&set, ids, sizeof(ids));
		util_time_fmt(f->expires, when);
		printf("release %s (%llu bytes, security_counter %lld) written "
		    "to %s (expires %s), signed by %s\n", f->fw_version,
		    (unsigned long long)f->length,
		    (long long)f->security_counter, flags[S_OUT].val[0], when,
		    ids);
	}
out:
	for (size_t i = 0; i < OTACTL_MAX_VALUES; i++)
		sign_key_free(keys[i]);
	free(doc);
	sign_release_free(f);
	return rc;
}

enum { C_KEY, C_IN, C_OUT, C_PASSFILE, C_COUNT };

int
otactl_cmd_release_cosign(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[C_COUNT] = {
		[C_KEY] = { .name = "key", .max = OTACTL_MAX_VALUES },
		[C_IN] = { .name = "in", .max = 1 },
		[C_OUT] = { .name = "out", .max = 1 },
		[C_PASSFILE] = { .name = "passphrase-file",
		    .max = OTACTL_MAX_VALUES },
	};
	struct sign_key *keys[OTACTL_MAX_VALUES] = { NULL };
	struct sign_envelope *env = NULL;
	const char *pos[1];
	uint8_t *doc = NULL;
	size_t npos, len;
	char err[1024];
	enum sign_result r;
	int rc;

	if ((rc = otactl_parse(cmd, argc, argv, flags, C_COUNT, pos, 0,
	    &npos)) ||
	    (rc = otactl_require(cmd, &flags[C_KEY])) ||
	    (rc = otactl_require(cmd, &flags[C_IN])) ||
	    (rc = otactl_require(cmd, &flags[C_OUT])) ||
	    (rc = otactl_read_doc(cmd, flags[C_IN].val[0], &doc, &len)))
		return rc;
	r = sign_envelope_parse(doc, len, &env, err, sizeof(err));
	if (r == SIGN_OK && env->type != SIGN_DOC_RELEASE) {
		r = SIGN_ERR_FORMAT;
		(void)snprintf(err, sizeof(err), "expected a release, got a "
		    "%s document", sign_doc_type_name(env->type));
	}
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s: %s", flags[C_IN].val[0], err);
		goto out;
	}
	if ((rc = otactl_load_keys(cmd, &flags[C_KEY], &flags[C_PASSFILE],
	    keys)) ||
	    (rc = otactl_add_signatures(cmd, keys, flags[C_KEY].n, &doc, &len)))
		goto out;
	/* The whole input was read first, so --in and --out may be one
	 * file; the write replaces it atomically. */
	rc = otactl_write(cmd, flags[C_OUT].val[0], doc, len, 0644);
	if (rc == OTACTL_OK) {
		sign_envelope_free(env);
		env = NULL;
		r = sign_envelope_parse(doc, len, &env, err, sizeof(err));
		if (r != SIGN_OK) {
			rc = otactl_fail(cmd, r, "%s", err);
			goto out;
		}
		printf("release in %s now carries %zu signature%s\n",
		    flags[C_OUT].val[0], env->nsigs, env->nsigs == 1 ? "" : "s");
	}
out:
	for (size_t i = 0; i < OTACTL_MAX_VALUES; i++)
		sign_key_free(keys[i]);
	sign_envelope_free(env);
	free(doc);
	return rc;
}
