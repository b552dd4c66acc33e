/* otad's offline commands on a data dir (token, backup, restore,
 * migrate-to, online-key) and what they share with the daemon: the
 * store's path, its opening, the data dir's lock and its owner. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/cmds.h"
#include "core/trust.h"
#include "db/db.h"
#include "db/migrate.h"
#include "db/tokens.h"
#include "sign/crypto.h"
#include "util/log.h"
#include "util/util.h"

void
cmd_path(const struct cfg *c, const char *name, char *out, size_t size)
{
	if (util_fmt(out, size, "%s/%s", c->data_dir, name) != 0)
		fatal(2, "data_dir: path too long");
}

/* A failing disk fails every write the same way: once per distinct
 * message per 10 s is enough. */
static void
log_db_error(const char *msg)
{
	log_limited(LOG_LVL_ERROR, 10, "%s", msg);
}

/* Where the store is: the database key, else otad.db in the data dir. */
static void
store_path(const struct cfg *c, char *out, size_t size)
{
	if (c->database[0] == '\0')
		cmd_path(c, "otad.db", out, size);
	else if (util_fmt(out, size, "%s", c->database) != 0)
		fatal(2, "database: too long");
}

/* Opens the store, refusing a data dir that holds none unless create. */
struct db *
cmd_open_store(const struct cfg *c, int create)
{
	char path[CFG_PATH_MAX + 16], err[512];
	struct db *db;

	store_path(c, path, sizeof(path));
	/* A PostgreSQL database is made by its administrator, not by otad. */
	if (!create && !db_is_pg(path) && access(path, F_OK) != 0)
		fatal(2, "no database at %s: start otad once with this data dir "
		    "or pass --data-dir", path);
	db_set_error_hook(log_db_error);
	db = db_open(path, c->threads + 4, err, sizeof(err));
	if (db == NULL)
		fatal(1, "%s", err);
	return db;
}

static void
print_token(const struct db_token *t, void *arg)
{
	char when[21], expires[21] = "-", used[21] = "-";

	(void)arg;
	util_time_fmt(t->created_at, when);
	if (t->expires_at != 0)
		util_time_fmt(t->expires_at, expires);
	if (t->last_used_at != 0)
		util_time_fmt(t->last_used_at, used);
	printf("%-32s %-8s %s expires %s last used %s\n", t->name, t->role,
	    when, expires, used);
}

int
cmd_token(struct srv *s, const struct otad_args *a)
{
	const char *sub = a->npos > 1 ? a->pos[1] : "";
	int rc;

	if (strcmp(sub, "add") == 0) {
		char token[AUTH_TOKEN_MAX];
		uint8_t hash[32];
		struct db_token_add add;

		if (a->npos != 3 || a->role == NULL)
			fatal(2, "usage: otad token add --role ROLE NAME");
		if (auth_role_parse(a->role) == ROLE_NONE)
			fatal(2, "--role: bad value \"%s\": want admin, release, "
			    "viewer or gateway", a->role);
		if (!util_valid_ident(a->pos[2]))
			fatal(2, "NAME: want 1 to 64 of A-Z a-z 0-9 . _ : -");
		s->core.db = cmd_open_store(&s->cfg, 0);
		if (auth_token_new("adm_", token, sizeof(token), hash) != 0)
			fatal(1, "cannot make a token");
		add = (struct db_token_add){ a->pos[2], a->role, hash,
		    util_now(), 0 };
		rc = db_write(s->core.db, db_token_add, &add);
		if (rc == DB_CONFLICT)
			fatal(1, "a token named %s exists", a->pos[2]);
		if (rc != DB_OK)
			fatal(1, "cannot store the token");
		printf("%s\n", token);
		sign_wipe(token, sizeof(token));
	} else if (strcmp(sub, "list") == 0 && a->npos == 2) {
		s->core.db = cmd_open_store(&s->cfg, 0);
		if (db_token_list(s->core.db, print_token, NULL) != DB_OK)
			fatal(1, "cannot list the tokens");
	} else if (strcmp(sub, "revoke") == 0 && a->npos == 3) {
		s->core.db = cmd_open_store(&s->cfg, 0);
		rc = db_write(s->core.db, db_token_revoke, (void *)a->pos[2]);
		if (rc == DB_NOTFOUND)
			fatal(1, "no token named %s", a->pos[2]);
		if (rc != DB_OK)
			fatal(1, "cannot revoke the token");
		printf("revoked %s\n", a->pos[2]);
	} else {
		fatal(2, "usage: otad token add --role ROLE NAME | token list | "
		    "token revoke NAME");
	}
	db_close(s->core.db);
	return 0;
}

int
cmd_backup(struct srv *s, const struct otad_args *a)
{
	char err[512];

	if (a->npos != 2)
		fatal(2, "usage: otad backup FILE");
	s->core.db = cmd_open_store(&s->cfg, 0);
	if (db_backup(s->core.db, a->pos[1], err, sizeof(err)) != 0)
		fatal(1, "backup: %s", err);
	db_close(s->core.db);
	printf("backed up the database to %s (mode 0600)\n", a->pos[1]);
	return 0;
}

/* Two-step rotation of the online key; see docs/operations.md. */
int
cmd_online_key(struct srv *s, const struct otad_args *a)
{
	char keyid[SIGN_KEYID_HEX], err[512];
	const char *sub = a->npos == 2 ? a->pos[1] : "";
	const struct trust_paths tp = { s->cfg.data_dir,
	    s->cfg.online_key_passphrase_file };

	if (strcmp(sub, "next") == 0) {
		if (trust_online_next(&tp, keyid, err, sizeof(err)) != 0)
			fatal(1, "online-key next: %s", err);
		printf("%s\n", keyid);
		fprintf(stderr, "made the next online key %s in %s/online-next.key;"
		    " publish a root listing it (online-next.pub), then run "
		    "\"otad online-key switch\" and restart otad\n", keyid,
		    s->cfg.data_dir);
	} else if (strcmp(sub, "switch") == 0) {
		if (trust_online_switch(&tp, keyid, err, sizeof(err)) != 0)
			fatal(1, "online-key switch: %s", err);
		printf("%s\n", keyid);
		fprintf(stderr, "the online key is now %s; restart otad to use it\n",
		    keyid);
	} else {
		fatal(2, "usage: otad online-key next | online-key switch");
	}
	return 0;
}

int
cmd_as_owner(const struct cfg *c)
{
	struct stat st;

	/* Root acting on a data dir that belongs to the service user would
	 * leave files (a new key, SQLite's WAL) the daemon cannot open: the
	 * next start fails with Permission denied, a restart loop under
	 * systemd. So root becomes the owner first, as the daemon runs. */
	if (geteuid() != 0 || stat(c->data_dir, &st) != 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 ||
	    setuid(st.st_uid) != 0)
		fatal(1, "cannot become uid %u, the owner of %s: %s",
		    (unsigned)st.st_uid, c->data_dir, strerror(errno));
	log_info("running as uid %u:%u, the owner of %s", (unsigned)st.st_uid,
	    (unsigned)st.st_gid, c->data_dir);
	return 1;
}

int
cmd_lock(const struct cfg *c, const char *what)
{
	char path[CFG_PATH_MAX + 16], line[32];
	int fd, n;

	cmd_path(c, "otad.lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		fatal(1, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)pread(fd, line, sizeof(line) - 1, 0);
		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		fatal(1, "otad (pid %s) is running on %s: %s", line[0] ? line :
		    "?", c->data_dir, what);
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
		fatal(1, "%s: %s", path, strerror(errno));
	return fd;	/* held until the process exits */
}

int
cmd_restore(struct srv *s, const struct otad_args *a)
{
	char path[CFG_PATH_MAX + 16], kept[CFG_PATH_MAX + 64], err[1024];

	if (a->npos != 2)
		fatal(2, "usage: otad restore FILE (see otad help restore)");
	store_path(&s->cfg, path, sizeof(path));
	if (access(s->cfg.data_dir, F_OK) != 0)
		fatal(2, "data_dir %s: %s", s->cfg.data_dir, strerror(errno));
	cmd_lock(&s->cfg, "stop it before a restore (systemctl stop otad)");
	db_set_error_hook(NULL);
	if (db_restore(a->pos[1], path, kept, sizeof(kept), err,
	    sizeof(err)) != 0)
		fatal(1, "restore: %s; nothing was changed", err);
	printf("restored %s from %s\n", path, a->pos[1]);
	if (kept[0] != '\0')
		printf("the database it replaced is %s\n", kept);
	return 0;
}

int
cmd_migrate_to(struct srv *s, const struct otad_args *a)
{
	char path[CFG_PATH_MAX + 16], err[1024];
	struct db_migrate_stats st;
	int64_t t0;

	if (a->npos != 2)
		fatal(2, "usage: otad migrate-to postgresql://... (see otad help "
		    "migrate-to)");
	store_path(&s->cfg, path, sizeof(path));
	if (db_is_pg(path))
		fatal(2, "the store is already PostgreSQL (the database key): "
		    "migrate-to copies a SQLite store");
	if (!db_is_pg(a->pos[1]))
		fatal(2, "migrate-to: want a postgresql:// or postgres:// URL "
		    "(libpq's syntax)");
	if (access(path, F_OK) != 0)
		fatal(2, "no database at %s: nothing to migrate (pass "
		    "--data-dir)", path);
	cmd_lock(&s->cfg, "stop it before a migrate-to (systemctl stop otad)");
	db_set_error_hook(log_db_error);
	t0 = util_mono_us();
	if (db_migrate_to(path, a->pos[1], &st, err, sizeof(err)) != 0)
		fatal(1, "migrate-to: %s; nothing was copied", err);
	printf("copied %d tables, %lld rows from %s to %s in %.1f s\n",
	    st.tables, (long long)st.rows, path, st.target,
	    (double)(util_mono_us() - t0) / 1e6);
	printf("next: set database = %s in otad.conf (with its password) and "
	    "start otad;\nthe artifact files stay in %s/artifacts (files, "
	    "not rows): every daemon needs that directory;\nkeep %s, "
	    "untouched: it is the way back (remove the database line)\n",
	    st.target, s->cfg.data_dir, path);
	return 0;
}
