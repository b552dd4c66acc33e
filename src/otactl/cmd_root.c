/* otactl root new / root rotate: make root metadata and sign it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "otactl/cli.h"
#include "util/util.h"

/* Applies "--threshold ROLE=N" values to r. */
static int
apply_thresholds(const char *cmd, const struct otactl_flag *f,
    struct sign_root *r)
{
	int seen[SIGN_ROLE_COUNT] = { 0 };

	for (size_t i = 0; i < f->n; i++) {
		const char *eq = strchr(f->val[i], '=');
		char name[16];
		enum sign_role_id role;
		int64_t n;

		if (eq == NULL || (size_t)(eq - f->val[i]) >= sizeof(name))
			return otactl_usage(cmd, "--threshold: expected "
			    "ROLE=N, not \"%.64s\"", f->val[i]);
		memcpy(name, f->val[i], (size_t)(eq - f->val[i]));
		name[eq - f->val[i]] = '\0';
		if (sign_role_parse(name, &role) != 0)
			return otactl_usage(cmd, "--threshold: unknown role "
			    "\"%s\" (root, release or online)", name);
		if (util_parse_int(eq + 1, 1, SIGN_ROLE_MAX_KEYS, &n) != 0)
			return otactl_usage(cmd, "--threshold: \"%.64s\" is "
			    "not a number from 1 to %d", eq + 1,
			    SIGN_ROLE_MAX_KEYS);
		if (seen[role]++)
			return otactl_usage(cmd, "--threshold: role %s given "
			    "twice", name);
		r->roles[role].threshold = n;
	}
	return OTACTL_OK;
}

/* Adds the public keys of files paths to role. */
static int
add_pubs(const char *cmd, const struct otactl_flag *paths,
    struct sign_role *role)
{
	for (size_t i = 0; i < paths->n; i++) {
		struct sign_pubkey pk;
		int rc = otactl_load_pub(cmd, paths->val[i], &pk);

		if (rc != OTACTL_OK)
			return rc;
		if (sign_role_add(role, &pk) != 0)
			return otactl_usage(cmd, "--%s: key %s is already in "
			    "the role", paths->name, pk.keyid);
	}
	return OTACTL_OK;
}

static int
parse_expires(const char *cmd, const char *dur, int64_t *out)
{
	int64_t d;

	if (util_parse_duration(dur, &d) != 0 || d <= 0)
		return otactl_usage(cmd, "--expires: \"%.64s\" is not a "
		    "duration like 365d, 12w or 48h", dur);
	*out = util_now() + d;
	return OTACTL_OK;
}

/* Prints the one-line summary of a root just written. */
static void
print_root(const struct sign_root *r, const char *path)
{
	char when[21], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX];

	util_time_fmt(r->expires, when);
	otactl_keyids(&r->signers, ids, sizeof(ids));
	printf("root version %lld written to %s (expires %s), signed by %s\n",
	    (long long)r->version, path, when, ids);
}

enum {
	N_ROOT, N_ROOT_PUB, N_RELEASE, N_ONLINE, N_THRESHOLD, N_EXPIRES, N_OUT,
	N_DRAFT, N_PASSFILE, N_COUNT
};

/* The root role of version 1: the keys of --root-key (which sign now)
 * and of --root-pub (whose holders sign later, with root cosign). */
static int
add_root_keys(const char *cmd, const struct otactl_flag *flags,
    struct sign_key *const *keys, struct sign_role *role)
{
	for (size_t i = 0; i < flags[N_ROOT].n; i++) {
		struct sign_pubkey pk;

		sign_key_pubkey(keys[i], &pk);
		if (sign_role_add(role, &pk) != 0)
			return otactl_usage(cmd, "--root-key: key %s given twice",
			    pk.keyid);
	}
	return add_pubs(cmd, &flags[N_ROOT_PUB], role);
}

/* Exactly one of --out (a root signed by every threshold) and --draft;
 * *draft says which. */
static int
out_or_draft(const char *cmd, const struct otactl_flag *out,
    const struct otactl_flag *draft_flag, int *draft)
{
	*draft = draft_flag->n > 0;
	if (*draft == (out->n > 0))
		return otactl_usage(cmd, "give --out FILE (a root signed by "
		    "every threshold) or --draft FILE (to pass on for root "
		    "cosign), not %s", *draft ? "both" : "neither");
	return OTACTL_OK;
}

/* Signs f with keys[0..n) and writes it to out, which must then be a
 * valid root: version 1 (old NULL) or a valid step from old. As a draft,
 * writes it however far it is signed and says what is missing. */
static int
write_root(const char *cmd, const struct sign_root *old,
    const struct sign_root *f, struct sign_key *const *keys, size_t n,
    const char *out, int draft)
{
	struct sign_root *check = NULL;
	uint8_t *doc = NULL;
	size_t len;
	char err[1024];
	enum sign_result r;
	int rc, met = 0;

	r = sign_root_create(f, (const struct sign_key *const *)keys, n, &doc,
	    &len, err, sizeof(err));
	if (r == SIGN_OK && !draft)
		r = old == NULL ? sign_root_verify_initial(doc, len, util_now(),
		    &check, err, sizeof(err)) : sign_root_verify_next(old, doc,
		    len, util_now(), &check, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s%s", err, r != SIGN_ERR_THRESHOLD ?
		    "" : old == NULL ? " (give more --root-key, or write a "
		    "--draft for the other root key holders to cosign)" :
		    " (root N+1 must be signed by a threshold of the old root "
		    "keys and of the new ones: give more --sign-key, or write "
		    "a --draft for others to cosign)");
		goto out;
	}
	if (draft) {
		printf("root version %lld draft:\n", (long long)f->version);
		if ((met = otactl_root_progress(cmd, old, doc, len)) < 0) {
			rc = OTACTL_FAIL;
			goto out;
		}
	}
	rc = otactl_write(cmd, out, doc, len, 0644);
	if (rc == OTACTL_OK && draft)
		otactl_print_next_step(out, met);
	else if (rc == OTACTL_OK)
		print_root(check, out);
out:
	free(doc);
	sign_root_free(check);
	return rc;
}

int
otactl_cmd_root_new(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[N_COUNT] = {
		[N_ROOT] = { .name = "root-key", .max = OTACTL_MAX_VALUES },
		[N_ROOT_PUB] = { .name = "root-pub", .max = OTACTL_MAX_VALUES },
		[N_RELEASE] = { .name = "release-key",
		    .max = OTACTL_MAX_VALUES },
		[N_ONLINE] = { .name = "online-key", .max = OTACTL_MAX_VALUES },
		[N_THRESHOLD] = { .name = "threshold", .max = SIGN_ROLE_COUNT },
		[N_EXPIRES] = { .name = "expires", .max = 1 },
		[N_OUT] = { .name = "out", .max = 1 },
		[N_DRAFT] = { .name = "draft", .max = 1 },
		[N_PASSFILE] = { .name = "passphrase-file",
		    .max = OTACTL_MAX_VALUES },
	};
	struct sign_key *keys[OTACTL_MAX_VALUES] = { NULL };
	struct sign_root *f = NULL;
	const char *pos[1];
	size_t npos;
	int rc, draft;

	if ((rc = otactl_parse(cmd, argc, argv, flags, N_COUNT, pos, 0,
	    &npos)))
		return rc;
	if ((rc = out_or_draft(cmd, &flags[N_OUT], &flags[N_DRAFT], &draft)))
		return rc;
	if ((!draft && (rc = otactl_require(cmd, &flags[N_ROOT]))) ||
	    (rc = otactl_require(cmd, &flags[N_RELEASE])) ||
	    (rc = otactl_require(cmd, &flags[N_ONLINE])) ||
	    (rc = otactl_require(cmd, &flags[N_EXPIRES])))
		return rc;
	f = sign_root_new();
	if (f == NULL)
		return otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
	f->version = 1;
	for (int i = 0; i < SIGN_ROLE_COUNT; i++)
		f->roles[i].threshold = 1;
	if ((rc = parse_expires(cmd, flags[N_EXPIRES].val[0], &f->expires)) ||
	    (rc = apply_thresholds(cmd, &flags[N_THRESHOLD], f)) ||
	    (rc = add_pubs(cmd, &flags[N_RELEASE],
	    &f->roles[SIGN_ROLE_RELEASE])) ||
	    (rc = add_pubs(cmd, &flags[N_ONLINE],
	    &f->roles[SIGN_ROLE_ONLINE])) ||
	    (rc = otactl_load_keys(cmd, &flags[N_ROOT], &flags[N_PASSFILE],
	    keys)) ||
	    (rc = add_root_keys(cmd, flags, keys, &f->roles[SIGN_ROLE_ROOT])) ||
	    (rc = otactl_check_roles(cmd, f)))
		goto out;
	rc = write_root(cmd, NULL, f, keys, flags[N_ROOT].n,
	    draft ? flags[N_DRAFT].val[0] : flags[N_OUT].val[0], draft);
out:
	for (size_t i = 0; i < OTACTL_MAX_VALUES; i++)
		sign_key_free(keys[i]);
	sign_root_free(f);
	return rc;
}

/* The key id a --remove-*-key value names: a 64-hex key id, or a
 * public-key file. */
static int
removal_id(const char *cmd, const char *val, char id[SIGN_KEYID_HEX])
{
	uint8_t raw[SIGN_SHA256_LEN];
	struct sign_pubkey pk;
	struct stat st;
	int rc;

	if (strlen(val) == SIGN_KEYID_HEX - 1 &&
	    sign_unhex(val, raw, sizeof(raw)) == 0 && stat(val, &st) != 0) {
		memcpy(id, val, SIGN_KEYID_HEX);
		return OTACTL_OK;
	}
	rc = otactl_load_pub(cmd, val, &pk);
	if (rc == OTACTL_OK)
		memcpy(id, pk.keyid, SIGN_KEYID_HEX);
	return rc;
}

enum {
	R_FROM, R_ADD_ROOT, R_DEL_ROOT, R_ADD_RELEASE, R_DEL_RELEASE,
	R_ADD_ONLINE, R_DEL_ONLINE, R_THRESHOLD, R_EXPIRES, R_SIGN, R_OUT,
	R_DRAFT, R_PASSFILE, R_COUNT
};

/* Applies the --remove-ROLE-key and --add-ROLE-key flags to f. */
static int
apply_changes(const char *cmd, const struct otactl_flag *flags,
    const struct sign_root *old, struct sign_root *f)
{
	static const struct {
		int add, del;
		enum sign_role_id role;
	} changes[] = {
		{ R_ADD_ROOT, R_DEL_ROOT, SIGN_ROLE_ROOT },
		{ R_ADD_RELEASE, R_DEL_RELEASE, SIGN_ROLE_RELEASE },
		{ R_ADD_ONLINE, R_DEL_ONLINE, SIGN_ROLE_ONLINE },
	};
	int rc;

	for (size_t c = 0; c < ARRAY_LEN(changes); c++) {
		const struct otactl_flag *del = &flags[changes[c].del];
		struct sign_role *role = &f->roles[changes[c].role];

		for (size_t i = 0; i < del->n; i++) {
			char id[SIGN_KEYID_HEX];

			if ((rc = removal_id(cmd, del->val[i], id)))
				return rc;
			if (sign_role_remove(role, id) != 0)
				return otactl_fail(cmd, SIGN_ERR_FORMAT, "--%s: "
				    "key %s is not in the %s role of root "
				    "version %lld", del->name, id,
				    sign_role_name(changes[c].role),
				    (long long)old->version);
		}
		if ((rc = add_pubs(cmd, &flags[changes[c].add], role)))
			return rc;
	}
	return OTACTL_OK;
}


int
otactl_cmd_root_rotate(const char *cmd, int argc, char **argv)
{
	struct otactl_flag flags[R_COUNT] = {
		[R_FROM] = { .name = "from", .max = 1 },
		[R_ADD_ROOT] = { .name = "add-root-key",
		    .max = OTACTL_MAX_VALUES },
		[R_DEL_ROOT] = { .name = "remove-root-key",
		    .max = OTACTL_MAX_VALUES },
		[R_ADD_RELEASE] = { .name = "add-release-key",
		    .max = OTACTL_MAX_VALUES },
		[R_DEL_RELEASE] = { .name = "remove-release-key",
		    .max = OTACTL_MAX_VALUES },
		[R_ADD_ONLINE] = { .name = "add-online-key",
		    .max = OTACTL_MAX_VALUES },
		[R_DEL_ONLINE] = { .name = "remove-online-key",
		    .max = OTACTL_MAX_VALUES },
		[R_THRESHOLD] = { .name = "threshold", .max = SIGN_ROLE_COUNT },
		[R_EXPIRES] = { .name = "expires", .max = 1 },
		[R_SIGN] = { .name = "sign-key", .max = OTACTL_MAX_VALUES },
		[R_OUT] = { .name = "out", .max = 1 },
		[R_DRAFT] = { .name = "draft", .max = 1 },
		[R_PASSFILE] = { .name = "passphrase-file",
		    .max = OTACTL_MAX_VALUES },
	};
	struct sign_key *keys[OTACTL_MAX_VALUES] = { NULL };
	struct sign_root *old = NULL, *f = NULL;
	const char *pos[1];
	uint8_t *buf = NULL;
	size_t npos, len;
	char err[1024];
	enum sign_result r;
	int rc, draft;

	if ((rc = otactl_parse(cmd, argc, argv, flags, R_COUNT, pos, 0,
	    &npos)) ||
	    (rc = otactl_require(cmd, &flags[R_FROM])))
		return rc;
	if ((rc = out_or_draft(cmd, &flags[R_OUT], &flags[R_DRAFT], &draft)))
		return rc;
	if ((!draft && (rc = otactl_require(cmd, &flags[R_SIGN]))) ||
	    (rc = otactl_read_doc(cmd, flags[R_FROM].val[0], &buf, &len)))
		return rc;
	r = sign_root_load(buf, len, &old, err, sizeof(err));
	if (r != SIGN_OK) {
		rc = otactl_fail(cmd, r, "%s: %s", flags[R_FROM].val[0], err);
		goto out;
	}
	f = sign_root_dup(old);
	if (f == NULL) {
		rc = otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
		goto out;
	}
	f->version = old->version + 1;
	if ((flags[R_EXPIRES].n > 0 &&
	    (rc = parse_expires(cmd, flags[R_EXPIRES].val[0], &f->expires))) ||
	    (rc = apply_changes(cmd, flags, old, f)) ||
	    (rc = apply_thresholds(cmd, &flags[R_THRESHOLD], f)) ||
	    (rc = otactl_check_roles(cmd, f)) ||
	    (rc = otactl_load_keys(cmd, &flags[R_SIGN], &flags[R_PASSFILE],
	    keys)) ||
	    (rc = otactl_check_signers(cmd, &flags[R_SIGN], keys, f, old)))
		goto out;
	rc = write_root(cmd, old, f, keys, flags[R_SIGN].n,
	    draft ? flags[R_DRAFT].val[0] : flags[R_OUT].val[0], draft);
out:
	for (size_t i = 0; i < OTACTL_MAX_VALUES; i++)
		sign_key_free(keys[i]);
	free(buf);
	sign_root_free(old);
	sign_root_free(f);
	return rc;
}
