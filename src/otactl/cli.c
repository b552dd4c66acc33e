/* otactl's shared plumbing: flags, passphrases, files, messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otactl/cli.h"
#include "util/util.h"

int
otactl_usage(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "otactl: %s: %s\n", cmd, msg);
	return OTACTL_USAGE;
}

int
otactl_fail(const char *cmd, enum sign_result r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "otactl: %s: %s: %s\n", cmd, sign_result_name(r), msg);
	return OTACTL_FAIL;
}

int
otactl_require(const char *cmd, const struct otactl_flag *f)
{
	if (f->n == 0)
		return otactl_usage(cmd, "--%s is required", f->name);
	return OTACTL_OK;
}

/* "unknown flag --x", with the closest of the command's flags. */
static int
unknown_flag(const char *cmd, const char *name, size_t namelen,
    const struct otactl_flag *flags, size_t nflags)
{
	const char *names[32], *hint;
	char word[65];
	size_t n = 0;

	for (size_t k = 0; k < nflags && n < ARRAY_LEN(names); k++)
		names[n++] = flags[k].name;
	if (n < ARRAY_LEN(names))
		names[n++] = "help";
	hint = NULL;
	if (namelen < sizeof(word)) {
		memcpy(word, name, namelen);
		word[namelen] = '\0';
		hint = util_suggest(word, names, n);
	}
	if (hint != NULL)
		return otactl_usage(cmd, "unknown flag --%.*s; did you mean "
		    "--%s?", (int)namelen, name, hint);
	return otactl_usage(cmd, "unknown flag --%.*s (otactl %s --help)",
	    (int)(namelen > 200 ? 200 : namelen), name, cmd);
}

int
otactl_parse(const char *cmd, int argc, char **argv, struct otactl_flag *flags,
    size_t nflags, const char **pos, size_t maxpos, size_t *npos)
{
	int only_pos = 0;

	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val;
		struct otactl_flag *f = NULL;
		size_t namelen;

		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (*npos == maxpos)
				return otactl_usage(cmd,
				    "unexpected argument \"%.200s\"", a);
			pos[(*npos)++] = a;
			continue;
		}
		if (a[1] != '-')
			return otactl_usage(cmd, "unknown flag %.200s", a);
		name = a + 2;
		eq = strchr(name, '=');
		namelen = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (namelen >= 10 && strncmp(name, "passphrase", 10) == 0 &&
		    !(namelen == 15 && strncmp(name, "passphrase-file", 15) == 0))
			return otactl_usage(cmd, "--%.*s: passphrases are never "
			    "taken on the command line; use --passphrase-file "
			    "FILE or OTA_PASSPHRASE", (int)namelen, name);
		for (size_t k = 0; k < nflags; k++) {
			if (strlen(flags[k].name) == namelen &&
			    strncmp(flags[k].name, name, namelen) == 0) {
				f = &flags[k];
				break;
			}
		}
		if (f == NULL)
			return unknown_flag(cmd, name, namelen, flags, nflags);
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return otactl_usage(cmd, "--%s needs a value", f->name);
		if (*val == '\0')
			return otactl_usage(cmd, "--%s: empty value", f->name);
		if (f->n >= f->max || f->n >= OTACTL_MAX_VALUES) {
			if (f->max == 1)
				return otactl_usage(cmd, "--%s given twice",
				    f->name);
			return otactl_usage(cmd, "--%s given more than %zu "
			    "times", f->name, f->max);
		}
		f->val[f->n++] = val;
	}
	return OTACTL_OK;
}

/* Reads one passphrase from path ("-": stdin) into guarded memory. */
static int
read_pass(const char *cmd, const char *path, uint8_t **out, size_t *outlen)
{
	const size_t cap = SIGN_PASSPHRASE_MAX + 2;	/* room for "\r\n" */
	uint8_t *buf;
	size_t have = 0;
	int fd, rc = OTACTL_FAIL;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return otactl_fail(cmd, SIGN_ERR_IO, "passphrase file %s: %s",
		    path, strerror(errno));
	buf = sign_secure_alloc(cap + 1);
	if (buf == NULL) {
		otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, cap + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			otactl_fail(cmd, SIGN_ERR_IO, "passphrase file %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > cap) {
			otactl_fail(cmd, SIGN_ERR_PASSPHRASE, "passphrase file "
			    "%s: longer than %d bytes", path,
			    SIGN_PASSPHRASE_MAX);
			goto out;
		}
	}
	if (have > 0 && buf[have - 1] == '\n')
		have--;
	if (have > 0 && buf[have - 1] == '\r')
		have--;
	if (have == 0 || have > SIGN_PASSPHRASE_MAX) {
		otactl_fail(cmd, SIGN_ERR_PASSPHRASE, "passphrase file %s: %s",
		    path, have == 0 ? "empty" : "too long");
		goto out;
	}
	*out = buf;
	*outlen = have;
	buf = NULL;
	rc = OTACTL_OK;
out:
	sign_secure_free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int
otactl_pass_load(const char *cmd, const struct otactl_flag *pf, size_t nkeys,
    struct otactl_pass *out)
{
	const char *env;
	size_t len;
	int stdin_used = 0;

	memset(out, 0, sizeof(*out));
	if (pf->n > 1 && pf->n != nkeys)
		return otactl_usage(cmd, "--passphrase-file given %zu times for "
		    "%zu keys: give it once, or once per key", pf->n, nkeys);
	for (size_t i = 0; i < pf->n; i++) {
		if (strcmp(pf->val[i], "-") == 0 && stdin_used++)
			return otactl_usage(cmd, "--passphrase-file: stdin "
			    "(\"-\") can be read only once");
		int rc = read_pass(cmd, pf->val[i], &out->buf[i],
		    &out->len[i]);

		if (rc != OTACTL_OK)
			return rc;
		out->n++;
	}
	if (pf->n > 0)
		return OTACTL_OK;
	env = getenv("OTA_PASSPHRASE");
	if (env == NULL)
		return otactl_usage(cmd, "no passphrase: give --passphrase-file "
		    "FILE or set OTA_PASSPHRASE");
	len = strlen(env);
	if (len == 0 || len > SIGN_PASSPHRASE_MAX)
		return otactl_fail(cmd, SIGN_ERR_PASSPHRASE, "OTA_PASSPHRASE "
		    "must be 1 to %d bytes", SIGN_PASSPHRASE_MAX);
	out->buf[0] = sign_secure_alloc(len);
	if (out->buf[0] == NULL)
		return otactl_fail(cmd, SIGN_ERR_NOMEM, "out of memory");
	memcpy(out->buf[0], env, len);
	out->len[0] = len;
	out->n = 1;
	return OTACTL_OK;
}

const uint8_t *
otactl_pass_get(const struct otactl_pass *p, size_t i, size_t *len)
{
	size_t k = p->n == 1 ? 0 : i;

	*len = p->len[k];
	return p->buf[k];
}

void
otactl_pass_wipe(struct otactl_pass *p)
{
	for (size_t i = 0; i < OTACTL_MAX_VALUES; i++) {
		sign_secure_free(p->buf[i]);
		p->buf[i] = NULL;
		p->len[i] = 0;
	}
	p->n = 0;
}

int
otactl_kdf(const char *cmd, enum sign_kdf_level *out)
{
	const char *s = getenv("OTACTL_KDF");

	*out = SIGN_KDF_MODERATE;
	if (s == NULL || *s == '\0')
		return OTACTL_OK;
	if (sign_kdf_parse(s, out) != 0)
		return otactl_usage(cmd, "OTACTL_KDF must be interactive, "
		    "moderate or sensitive, not \"%.64s\"", s);
	return OTACTL_OK;
}

int
otactl_load_keys(const char *cmd, const struct otactl_flag *paths,
    const struct otactl_flag *pf, struct sign_key **keys)
{
	struct otactl_pass pass;
	char err[512];
	int rc;

	for (size_t i = 0; i < paths->n; i++)
		keys[i] = NULL;
	/* No key (an unsigned draft): no passphrase to ask for. */
	if (paths->n == 0)
		return OTACTL_OK;
	rc = otactl_pass_load(cmd, pf, paths->n, &pass);
	for (size_t i = 0; rc == OTACTL_OK && i < paths->n; i++) {
		const uint8_t *pw;
		size_t pwlen;
		enum sign_result r;

		pw = otactl_pass_get(&pass, i, &pwlen);
		r = sign_keyfile_read(paths->val[i], pw, pwlen, &keys[i], err,
		    sizeof(err));
		if (r != SIGN_OK)
			rc = otactl_fail(cmd, r, "%s", err);
	}
	otactl_pass_wipe(&pass);
	if (rc != OTACTL_OK) {
		for (size_t i = 0; i < paths->n; i++) {
			sign_key_free(keys[i]);
			keys[i] = NULL;
		}
	}
	return rc;
}

int
otactl_load_pub(const char *cmd, const char *path, struct sign_pubkey *out)
{
	char err[512];
	enum sign_result r;

	r = sign_pubkey_read(path, out, err, sizeof(err));
	if (r != SIGN_OK)
		return otactl_fail(cmd, r, "%s", err);
	return OTACTL_OK;
}

int
otactl_read_doc(const char *cmd, const char *path, uint8_t **out, size_t *len)
{
	*out = util_read_file(path, SIGN_DOC_MAX, 0, len);
	if (*out != NULL)
		return OTACTL_OK;
	if (errno == EFBIG)
		return otactl_fail(cmd, SIGN_ERR_FORMAT, "%s: over the "
		    "document cap of %d bytes", path, SIGN_DOC_MAX);
	return otactl_fail(cmd, SIGN_ERR_IO, "%s: %s", path, strerror(errno));
}

int
otactl_write(const char *cmd, const char *path, const void *buf, size_t len,
    unsigned mode)
{
	if (util_write_atomic(path, buf, len, mode) != 0)
		return otactl_fail(cmd, SIGN_ERR_IO, "%s: %s", path,
		    strerror(errno));
	return OTACTL_OK;
}

void
otactl_keyids(const struct sign_keyids *set, char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (set->n == 0) {
		(void)util_fmt(buf, size, "none");
		return;
	}
	for (size_t i = 0; i < set->n; i++) {
		int n = snprintf(buf + used, size - used, "%s%s",
		    i > 0 ? "," : "", set->id[i]);

		if (n < 0 || (size_t)n >= size - used) {
			/* Cut at a whole id rather than mid-way. */
			buf[used] = '\0';
			return;
		}
		used += (size_t)n;
	}
}

int
otactl_check_roles(const char *cmd, const struct sign_root *r)
{
	char err[512];

	if (sign_root_check_roles(r, err, sizeof(err)) == SIGN_OK)
		return OTACTL_OK;
	return otactl_usage(cmd, "%s", err);
}

int
otactl_add_signatures(const char *cmd, struct sign_key *const *keys,
    size_t n, uint8_t **doc, size_t *len)
{
	char err[1024];

	for (size_t i = 0; i < n; i++) {
		uint8_t *next;
		size_t nlen;
		enum sign_result r;

		r = sign_envelope_add_signature(keys[i], *doc, *len, &next, &nlen,
		    err, sizeof(err));
		if (r != SIGN_OK)
			return otactl_fail(cmd, r, "%s", err);
		free(*doc);
		*doc = next;
		*len = nlen;
	}
	return OTACTL_OK;
}

int
otactl_print_tally(const char *cmd, const struct sign_root *root,
    enum sign_role_id role, const struct sign_envelope *env)
{
	char err[1024], ids[SIGN_MAX_SIGS * SIGN_KEYID_HEX];
	char missing[SIGN_MAX_SIGS * SIGN_KEYID_HEX];
	struct sign_tally t;
	int64_t more;
	enum sign_result r;

	r = sign_root_tally(root, role, env, &t, err, sizeof(err));
	if (r != SIGN_OK) {
		(void)otactl_fail(cmd, r, "%s", err);
		return -1;
	}
	otactl_keyids(&t.signed_by, ids, sizeof(ids));
	more = t.threshold - (int64_t)t.signed_by.n;
	printf("  %s role of root version %lld: %zu of %lld signature%s",
	    sign_role_name(role), (long long)root->version, t.signed_by.n,
	    (long long)t.threshold, t.threshold == 1 ? "" : "s");
	if (more <= 0) {
		printf(": met (signed by %s)\n", ids);
		return 1;
	}
	otactl_keyids(&t.missing, missing, sizeof(missing));
	printf(": %lld more needed, from any of %s (signed by %s)\n",
	    (long long)more, missing, ids);
	return 0;
}

int
otactl_root_progress(const char *cmd, const struct sign_root *prev,
    const uint8_t *doc, size_t len)
{
	struct sign_envelope *env = NULL;
	struct sign_root *r = NULL;
	char err[1024];
	enum sign_result res;
	int a = 1, b;

	res = sign_root_parse(doc, len, &env, &r, err, sizeof(err));
	if (res != SIGN_OK) {
		(void)otactl_fail(cmd, res, "%s", err);
		return -1;
	}
	if (prev != NULL)
		a = otactl_print_tally(cmd, prev, SIGN_ROLE_ROOT, env);
	b = a < 0 ? -1 : otactl_print_tally(cmd, r, SIGN_ROLE_ROOT, env);
	sign_envelope_free(env);
	sign_root_free(r);
	return a < 0 || b < 0 ? -1 : a && b;
}

int
otactl_check_signers(const char *cmd, const struct otactl_flag *paths,
    struct sign_key *const *keys, const struct sign_root *doc,
    const struct sign_root *prev)
{
	for (size_t i = 0; i < paths->n; i++) {
		const char *id = sign_key_id(keys[i]);

		if (sign_role_find(&doc->roles[SIGN_ROLE_ROOT], id) >= 0 ||
		    (prev != NULL && sign_role_find(&prev->roles[SIGN_ROLE_ROOT],
		    id) >= 0))
			continue;
		if (prev == NULL)
			return otactl_fail(cmd, SIGN_ERR_THRESHOLD, "--%s %s: key "
			    "%s is not a root key of version %lld", paths->name,
			    paths->val[i], id, (long long)doc->version);
		return otactl_fail(cmd, SIGN_ERR_THRESHOLD, "--%s %s: key %s is "
		    "a root key of neither version %lld nor %lld", paths->name,
		    paths->val[i], id, (long long)prev->version,
		    (long long)doc->version);
	}
	return OTACTL_OK;
}

void
otactl_print_next_step(const char *path, int met)
{
	printf("written to %s: %s\n", path, met ? "every threshold is met; "
	    "check it with otactl verify, then upload it" : "not valid yet; "
	    "pass it on for otactl root cosign");
}
