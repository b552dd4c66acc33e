/* otactl's shared plumbing: flag parsing, passphrases, key and document
 * files, and the one-line messages and exit codes. */
#ifndef OTACTL_CLI_H
#define OTACTL_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "sign/sign.h"

/* Exit codes. */
#define OTACTL_OK 0
#define OTACTL_FAIL 1
#define OTACTL_USAGE 2

/* Most values one repeatable flag takes. */
#define OTACTL_MAX_VALUES 32

/* One "--name VALUE" flag (or "--name=VALUE"); max is how often it may be
 * given. Values point into argv. */
struct otactl_flag {
	const char *name;
	size_t max;
	size_t n;
	const char *val[OTACTL_MAX_VALUES];
};

/* Parses argv[0..argc) against flags[0..nflags); other words go to
 * pos[0..maxpos). Returns OTACTL_OK, or OTACTL_USAGE after printing one
 * line naming the bad flag. */
int otactl_parse(const char *cmd, int argc, char **argv,
    struct otactl_flag *flags, size_t nflags, const char **pos, size_t maxpos,
    size_t *npos);
/* Prints "otactl: CMD: MESSAGE" and returns OTACTL_USAGE. */
int otactl_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "otactl: CMD: REASON: MESSAGE" and returns OTACTL_FAIL. */
int otactl_fail(const char *cmd, enum sign_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* OTACTL_USAGE (printed) when flag f was not given. */
int otactl_require(const char *cmd, const struct otactl_flag *f);

/* Passphrases, in guarded memory. */
struct otactl_pass {
	uint8_t *buf[OTACTL_MAX_VALUES];
	size_t len[OTACTL_MAX_VALUES];
	size_t n;
};

/* Loads the passphrases for nkeys keys: from each --passphrase-file in
 * pf ("-" is stdin; once for all keys, or once per key in order), else
 * from $OTA_PASSPHRASE. One trailing newline is dropped. Returns
 * OTACTL_OK, or an exit code after printing why. Wipe with
 * otactl_pass_wipe either way. */
int otactl_pass_load(const char *cmd, const struct otactl_flag *pf,
    size_t nkeys, struct otactl_pass *out);
/* The passphrase for key i (borrowed from p). */
const uint8_t *otactl_pass_get(const struct otactl_pass *p, size_t i,
    size_t *len);
/* Wipes and frees every passphrase in p. */
void otactl_pass_wipe(struct otactl_pass *p);

/* The KDF cost for new key files: $OTACTL_KDF (interactive, moderate,
 * sensitive), moderate by default. OTACTL_OK or OTACTL_USAGE (printed). */
int otactl_kdf(const char *cmd, enum sign_kdf_level *out);

/* Opens the secret key files in paths[0..n) with their passphrases into
 * keys[0..n) (each freed by the caller with sign_key_free, NULL on
 * failure). Returns an exit code, printed on failure. */
int otactl_load_keys(const char *cmd, const struct otactl_flag *paths,
    const struct otactl_flag *pf, struct sign_key **keys);
/* Reads a public-key file. OTACTL_OK or OTACTL_FAIL (printed). */
int otactl_load_pub(const char *cmd, const char *path,
    struct sign_pubkey *out);

/* Reads a document of at most SIGN_DOC_MAX bytes. *out is malloc'd and
 * the caller frees it. OTACTL_OK or OTACTL_FAIL (printed). */
int otactl_read_doc(const char *cmd, const char *path, uint8_t **out,
    size_t *len);
/* Writes len bytes to path atomically with mode. OTACTL_OK or
 * OTACTL_FAIL (printed). */
int otactl_write(const char *cmd, const char *path, const void *buf,
    size_t len, unsigned mode);

/* Joins the ids of set into buf ("id1,id2"); "none" when empty. */
void otactl_keyids(const struct sign_keyids *set, char *buf, size_t size);

/* OTACTL_USAGE (printed: the key and both roles) when one key serves two
 * roles of r, which no root may (docs/trust.md section 1). */
int otactl_check_roles(const char *cmd, const struct sign_root *r);
/* Adds the signatures of keys[0..n) to the envelope *doc (*len bytes),
 * replacing it. OTACTL_OK or OTACTL_FAIL (printed). */
int otactl_add_signatures(const char *cmd, struct sign_key *const *keys,
    size_t n, uint8_t **doc, size_t *len);
/* Prints one line on how far env is signed for role of root: met, or
 * how many signatures are still missing and from which keys. 1 when the
 * threshold is met, 0 when not, -1 (printed) when a signature by a key
 * of the role does not verify. */
int otactl_print_tally(const char *cmd, const struct sign_root *root,
    enum sign_role_id role, const struct sign_envelope *env);
/* Checks that each of keys[0..paths->n) (read from those paths) is a root
 * key of doc or of prev (the root it follows; NULL for a first root).
 * OTACTL_OK or OTACTL_FAIL (printed, naming the key). */
int otactl_check_signers(const char *cmd, const struct otactl_flag *paths,
    struct sign_key *const *keys, const struct sign_root *doc,
    const struct sign_root *prev);
/* The last line after a root draft or cosign was written to path. */
void otactl_print_next_step(const char *path, int met);
/* Prints how far root document doc is signed: by prev's root keys (when
 * prev is not NULL, the root it follows) and by its own. 1 when every
 * threshold is met, 0 when not, -1 (printed) when it does not parse or a
 * signature does not verify. */
int otactl_root_progress(const char *cmd, const struct sign_root *prev,
    const uint8_t *doc, size_t len);

/* The subcommands; each takes the words after its name. */
int otactl_cmd_key(const char *cmd, int argc, char **argv);
int otactl_cmd_root_new(const char *cmd, int argc, char **argv);
int otactl_cmd_root_rotate(const char *cmd, int argc, char **argv);
int otactl_cmd_root_cosign(const char *cmd, int argc, char **argv);
int otactl_cmd_release_sign(const char *cmd, int argc, char **argv);
int otactl_cmd_release_cosign(const char *cmd, int argc, char **argv);
int otactl_cmd_verify(const char *cmd, int argc, char **argv);

#endif
