/* Backups and restores of the SQLite store, through SQLite's backup API
 * (a consistent copy even while the writer commits). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/sqlite.h"
#include "util/util.h"

/* Makes path as an empty file of mode 0600, refusing an existing one:
 * the copy holds every token hash and device secret of the store. */
static int
create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);

	if (fd < 0) {
		snprintf(err, errlen, errno == EEXIST ? "%s exists; refusing to "
		    "overwrite it" : "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Copies the whole of src (named from, for messages) into the file at
 * path (made by create_private). */
static int
copy_into(sqlite3 *src, const char *from, const char *path, char *err,
    size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc = -1, step;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	/* Whole copy in one step: readers never block the writer in WAL. */
	step = sqlite3_backup_step(b, -1);
	if (step != SQLITE_DONE) {
		/* Mostly the source's fault (not a database, damaged). */
		snprintf(err, errlen, "copying %s to %s: %s", from, path,
		    sqlite3_errstr(step));
		sqlite3_backup_finish(b);
		goto out;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		snprintf(err, errlen, "copy to %s: %s", path,
		    sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(dst);
	return rc;
}

int
db_backup(struct db *db, const char *path, char *err, size_t errlen)
{
	struct db_conn *src;
	int rc;

	if (create_private(path, err, errlen) != 0)
		return -1;
	src = db_rd_get(db);
	rc = copy_into(src->h, "the database", path, err, errlen);
	db_rd_put(db, src);
	if (rc != 0)
		unlink(path);
	return rc;
}

/* Runs a pragma that answers one text row; 0 with it in out, or -1. */
static int
pragma_text(sqlite3 *h, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;
	int rc = -1;

	out[0] = '\0';
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The copy at tmp must be whole and a schema this build can run. */
static int
check_copy(const char *from, const char *tmp, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	char res[256], inner[512];
	struct db *db;
	int rc = -1;

	if (sqlite3_open_v2(tmp, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    pragma_text(h, "PRAGMA integrity_check", res, sizeof(res)) != 0) {
		snprintf(err, errlen, "%s: cannot check it: %s", from,
		    sqlite3_errmsg(h));
		goto out;
	}
	if (strcmp(res, "ok") != 0) {
		snprintf(err, errlen, "%s fails SQLite's integrity check: %s",
		    from, res);
		goto out;
	}
	sqlite3_close(h);
	h = NULL;
	db = db_open(tmp, 1, inner, sizeof(inner));
	if (db == NULL) {
		snprintf(err, errlen, "%s cannot be restored: %s", from, inner);
		goto out;
	}
	db_close(db);
	rc = 0;
out:
	sqlite3_close(h);
	return rc;
}

/* Takes the current database out of WAL mode (which folds its WAL in and
 * removes it: a WAL left behind would be read into the restored file) and
 * renames it to kept. SQLITE_BUSY means someone has it open. */
static int
set_aside(const char *path, char *kept, size_t keptlen, char *err,
    size_t errlen)
{
	sqlite3 *h = NULL;
	char mode[32], stamp[21];
	int rc = -1;

	kept[0] = '\0';
	if (access(path, F_OK) != 0)
		return 0;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    pragma_text(h, "PRAGMA journal_mode=DELETE", mode,
	    sizeof(mode)) != 0 || strcmp(mode, "delete") != 0) {
		snprintf(err, errlen, "%s is in use or unreadable (%s): stop "
		    "otad first", path, sqlite3_errmsg(h));
		goto out;
	}
	util_time_fmt(util_now(), stamp);
	if (util_fmt(kept, keptlen, "%s.before-restore-%s", path, stamp) != 0 ||
	    rename(path, kept) != 0) {
		snprintf(err, errlen, "cannot keep %s as %s: %s", path, kept,
		    strerror(errno));
		kept[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(h);
	return rc;
}

int
db_restore(const char *from, const char *path, char *kept, size_t keptlen,
    char *err, size_t errlen)
{
	char tmp[4200];
	sqlite3 *src = NULL;
	int rc = -1;

	kept[0] = '\0';
	if (util_fmt(tmp, sizeof(tmp), "%s.restore-tmp", path) != 0) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	unlink(tmp);	/* a restore that died half-way */
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", from, sqlite3_errmsg(src));
		sqlite3_close(src);
		return -1;
	}
	if (create_private(tmp, err, errlen) != 0)
		goto out;
	if (copy_into(src, from, tmp, err, errlen) != 0 ||
	    check_copy(from, tmp, err, errlen) != 0 ||
	    set_aside(path, kept, keptlen, err, errlen) != 0)
		goto out;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		/* Put the old one back: nothing changes on failure. */
		if (kept[0] != '\0' && rename(kept, path) == 0)
			kept[0] = '\0';
		goto out;
	}
	util_fsync_dir(path);
	rc = 0;
out:
	sqlite3_close(src);
	if (rc != 0)
		unlink(tmp);
	return rc;
}
