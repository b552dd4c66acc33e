/* The server's side of the trust model: its online key and the current
 * root. The online key can only make assignments; without release keys the
 * server cannot make a device accept an image. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/trust.h"
#include "core/trust.h"
#include "util/log.h"
#include "util/util.h"

struct trust {
	pthread_mutex_t mu;
	struct sign_key *online;
	uint8_t *pub;
	size_t publen;
	struct trust_root *cur;
};

/* Reads the passphrase for the online key, making one on first start when
 * the config names no file and systemd passed no credential. */
static int
read_passphrase(const struct trust_paths *c, uint8_t **pass, size_t *len,
    char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	const char *cred = getenv("CREDENTIALS_DIRECTORY");

	if (c->online_key_passphrase_file[0] != '\0')
		snprintf(path, sizeof(path), "%s", c->online_key_passphrase_file);
	else if (cred != NULL && util_fmt(path, sizeof(path),
	    "%s/online-key-passphrase", cred) == 0 && access(path, R_OK) == 0)
		;
	else if (util_fmt(path, sizeof(path), "%s/online.pass", c->data_dir) != 0)
		return -1;
	if (access(path, F_OK) != 0 && c->online_key_passphrase_file[0] == '\0') {
		uint8_t raw[32];
		char text[64];

		sign_random(raw, sizeof(raw));
		if (sign_b64url(raw, sizeof(raw), text, sizeof(text)) != 0 ||
		    util_write_atomic(path, text, strlen(text), 0600) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", path,
			    strerror(errno));
			return -1;
		}
		sign_wipe(raw, sizeof(raw));
		sign_wipe(text, sizeof(text));
		log_info("first start: made a passphrase for the online key in %s",
		    path);
	}
	*pass = util_read_file(path, SIGN_PASSPHRASE_MAX + 2, 1, len);
	if (*pass == NULL) {
		snprintf(err, errlen, "online key passphrase %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (*len > 0 && ((*pass)[*len - 1] == '\n' || (*pass)[*len - 1] == '\r'))
		(*pass)[--*len] = '\0';
	return 0;
}

static int
load_online_key(struct trust *t, const struct trust_paths *c, char *err,
    size_t errlen)
{
	char keypath[PATH_MAX + 32], pubpath[PATH_MAX + 32];
	struct sign_pubkey pk;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	enum sign_result r;
	int rc = -1;

	if (util_fmt(keypath, sizeof(keypath), "%s/online.key", c->data_dir) ||
	    util_fmt(pubpath, sizeof(pubpath), "%s/online.pub", c->data_dir) ||
	    read_passphrase(c, &pass, &passlen, err, errlen) != 0)
		goto out;
	if (access(keypath, F_OK) != 0 && access(pubpath, F_OK) == 0) {
		/* A key existed: never replace it silently (a switch cut short
		 * leaves online-next.key and online-old-*.key to finish by hand). */
		snprintf(err, errlen, "%s is missing but %s exists: restore the key "
		    "(or finish \"otad online-key switch\") before starting",
		    keypath, pubpath);
		goto out;
	}
	if (access(keypath, F_OK) != 0) {
		t->online = sign_key_generate();
		if (t->online == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		r = sign_keyfile_write(keypath, t->online, pass, passlen,
		    SIGN_KDF_INTERACTIVE, err, errlen);
		if (r != SIGN_OK)
			goto out;
		log_info("first start: made the online key %s in %s",
		    sign_key_id(t->online), keypath);
	} else {
		r = sign_keyfile_read(keypath, pass, passlen, &t->online, err,
		    errlen);
		if (r != SIGN_OK)
			goto out;
	}
	sign_key_pubkey(t->online, &pk);
	t->pub = sign_pubkey_encode(&pk, &t->publen);
	if (t->pub == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (sign_pubkey_write(pubpath, &pk, err, errlen) != SIGN_OK)
		goto out;
	rc = 0;
out:
	if (pass != NULL) {
		sign_wipe(pass, passlen);
		free(pass);
	}
	return rc;
}

static void
root_free(struct trust_root *r)
{
	sign_root_free(r->root);
	free(r->bytes);
	free(r);
}

/* Makes the store's newest root current unless the one held is as new:
 * 1 when it changed, 0 when not, -1 with err filled. */
static int
load_root(struct trust *t, struct db *db, char *err, size_t errlen)
{
	struct trust_root *cur;
	struct sign_root *root = NULL;
	uint8_t *bytes = NULL;
	size_t len;
	int64_t version, held = 0;
	int rc = -1;

	if (db_root_latest(db, &version, &bytes, &len) != 0) {
		snprintf(err, errlen, "cannot read the root metadata");
		return -1;
	}
	if ((cur = trust_root_get(t)) != NULL)
		held = cur->root->version;
	trust_root_put(t, cur);
	if (bytes == NULL || version <= held) {
		free(bytes);
		return 0;
	}
	/* Trusted when it was stored; its expiry is the devices' call. */
	if (sign_root_load(bytes, len, &root, err, errlen) != SIGN_OK)
		goto out;
	/* Only a hand-edited database (or one from before the check) holds
	 * one; devices refuse it, so say so loudly. */
	if (sign_root_check_roles(root, err, errlen) != SIGN_OK)
		log_err("the stored root is unsafe and devices refuse it: %s; "
		    "upload root version %lld with disjoint roles", err,
		    (long long)root->version + 1);
	rc = trust_root_set(t, root, bytes, len) == 0 ? 1 : -1;
	root = NULL;		/* trust_root_set's, even when it fails */
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
out:
	free(bytes);
	sign_root_free(root);
	return rc;
}

struct trust *
trust_open(const struct trust_paths *c, struct db *db, char *err, size_t errlen)
{
	struct trust *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	if (load_online_key(t, c, err, errlen) != 0 ||
	    load_root(t, db, err, errlen) < 0) {
		trust_free(t);
		return NULL;
	}
	return t;
}

int
trust_reload(struct trust *t, struct db *db, char *err, size_t errlen)
{
	int rc = load_root(t, db, err, errlen);

	if (rc > 0)
		log_info("trust: root version %lld, stored by another daemon, "
		    "is current", (long long)trust_root_version(t));
	return rc;
}

int64_t
trust_root_version(struct trust *t)
{
	struct trust_root *r = trust_root_get(t);
	int64_t v = r != NULL ? r->root->version : 0;

	trust_root_put(t, r);
	return v;
}

void
trust_free(struct trust *t)
{
	if (t == NULL)
		return;
	if (t->cur != NULL && --t->cur->refs == 0)
		root_free(t->cur);
	sign_key_free(t->online);
	free(t->pub);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

const uint8_t *
trust_online_pub(const struct trust *t, size_t *len)
{
	*len = t->publen;
	return t->pub;
}

const char *
trust_online_keyid(const struct trust *t)
{
	return sign_key_id(t->online);
}

struct trust_root *
trust_root_get(struct trust *t)
{
	struct trust_root *r;

	pthread_mutex_lock(&t->mu);
	r = t->cur;
	if (r != NULL)
		r->refs++;
	pthread_mutex_unlock(&t->mu);
	return r;
}

void
trust_root_put(struct trust *t, struct trust_root *r)
{
	int last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&t->mu);
	if (last)
		root_free(r);
}

enum sign_result
trust_root_check(struct trust *t, const uint8_t *buf, size_t len, int64_t now,
    struct sign_root **out, char *err, size_t errlen)
{
	struct trust_root *cur = trust_root_get(t);
	enum sign_result r;

	if (cur == NULL)
		r = sign_root_verify_initial(buf, len, now, out, err, errlen);
	else
		r = sign_root_verify_next(cur->root, buf, len, now, out, err,
		    errlen);
	trust_root_put(t, cur);
	return r;
}

int
trust_root_set(struct trust *t, struct sign_root *root, const uint8_t *buf,
    size_t len)
{
	struct trust_root *r = calloc(1, sizeof(*r)), *old;

	if (r == NULL || (r->bytes = malloc(len + 1)) == NULL) {
		free(r);
		sign_root_free(root);
		return -1;
	}
	memcpy(r->bytes, buf, len);
	r->bytes[len] = '\0';
	r->len = len;
	r->root = root;
	r->refs = 1;
	pthread_mutex_lock(&t->mu);
	old = t->cur;
	/* Never back: a reload that read the store before an upload here
	 * committed must not undo it. */
	if (old != NULL && old->root->version >= root->version) {
		old = r;
	} else {
		t->cur = r;
		r = NULL;
	}
	if (old != NULL && --old->refs == 0)
		root_free(old);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

int
trust_can_assign(struct trust *t)
{
	struct trust_root *r = trust_root_get(t);
	int ok = r != NULL && sign_role_find(&r->root->roles[SIGN_ROLE_ONLINE],
	    sign_key_id(t->online)) >= 0;

	trust_root_put(t, r);
	return ok;
}

int
trust_online_next(const struct trust_paths *c, char *keyid, char *err,
    size_t errlen)
{
	char keypath[PATH_MAX + 32], pubpath[PATH_MAX + 32];
	struct sign_key *k = NULL;
	struct sign_pubkey pk;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	int rc = -1;

	if (util_fmt(keypath, sizeof(keypath), "%s/online-next.key",
	    c->data_dir) || util_fmt(pubpath, sizeof(pubpath),
	    "%s/online-next.pub", c->data_dir) ||
	    read_passphrase(c, &pass, &passlen, err, errlen) != 0)
		goto out;
	if (access(keypath, F_OK) == 0) {
		snprintf(err, errlen, "%s exists: switch to it or remove it first",
		    keypath);
		goto out;
	}
	if ((k = sign_key_generate()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	sign_key_pubkey(k, &pk);
	if (sign_keyfile_write(keypath, k, pass, passlen, SIGN_KDF_INTERACTIVE,
	    err, errlen) != SIGN_OK ||
	    sign_pubkey_write(pubpath, &pk, err, errlen) != SIGN_OK)
		goto out;
	memcpy(keyid, pk.keyid, SIGN_KEYID_HEX);
	rc = 0;
out:
	sign_key_free(k);
	if (pass != NULL) {
		sign_wipe(pass, passlen);
		free(pass);
	}
	return rc;
}

int
trust_online_switch(const struct trust_paths *c, char *keyid, char *err,
    size_t errlen)
{
	char next[PATH_MAX + 32], cur[PATH_MAX + 32];
	char old[PATH_MAX + 96], pubnext[PATH_MAX + 32];
	char pub[PATH_MAX + 32];
	struct sign_pubkey oldpk, newpk;

	if (util_fmt(next, sizeof(next), "%s/online-next.key", c->data_dir) ||
	    util_fmt(pubnext, sizeof(pubnext), "%s/online-next.pub",
	    c->data_dir) ||
	    util_fmt(cur, sizeof(cur), "%s/online.key", c->data_dir) ||
	    util_fmt(pub, sizeof(pub), "%s/online.pub", c->data_dir)) {
		snprintf(err, errlen, "data_dir: path too long");
		return -1;
	}
	if (sign_pubkey_read(pubnext, &newpk, err, errlen) != SIGN_OK ||
	    sign_pubkey_read(pub, &oldpk, err, errlen) != SIGN_OK)
		return -1;
	if (util_fmt(old, sizeof(old), "%s/online-old-%.16s.key", c->data_dir,
	    oldpk.keyid) != 0) {
		snprintf(err, errlen, "data_dir: path too long");
		return -1;
	}
	/* Old key aside first: a crash in between leaves the next key in
	 * place and no online.key, which the next start reports. */
	if (rename(cur, old) != 0 || rename(next, cur) != 0 ||
	    rename(pubnext, pub) != 0 || util_fsync_dir(cur) != 0) {
		snprintf(err, errlen, "switching %s: %s", cur, strerror(errno));
		return -1;
	}
	memcpy(keyid, newpk.keyid, SIGN_KEYID_HEX);
	return 0;
}

enum sign_result
trust_assign(struct trust *t, const char *device_id,
    const uint8_t release_sha256[SIGN_SHA256_LEN], const char *campaign,
    const char *nonce, int64_t expires, uint8_t **out, size_t *len)
{
	char err[128];

	/* The key is read-only after load: no lock needed to sign. The
	 * signing time lets devices keep a floor under their clock. */
	return sign_assignment_create(t->online, device_id, release_sha256,
	    campaign, nonce, util_now(), expires, out, len, err, sizeof(err));
}
