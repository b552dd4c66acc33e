/* PostgreSQL connections through libpq: connecting and reconnecting,
 * named prepared statements, parameters and results as text (bytea
 * binary in, decoded out), and how an error is classified. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/internal.h"
#include "db/pg.h"

/* As $N in db/sqlite.h: the highest placeholder a statement may use. */
#define PG_PARAMS 32
/* pg_type OIDs (server headers, not libpq's). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
/* Decoded bytea columns of the row in hand. */
#define PG_BLOBS 8

struct db_pgc {
	PGconn *h;
	int readonly;
	/* Bumped on every reconnect: a statement prepared under an older
	 * generation is prepared again (the server forgot it). */
	unsigned gen;
	unsigned names;
	int64_t changes, total;
	char err[300];
	char state[6];
};

struct db_pgs {
	struct db_pgc *c;
	const char *sql;
	char name[16];
	unsigned gen;
	int nparams;
	const char *val[PG_PARAMS];
	int len[PG_PARAMS], fmt[PG_PARAMS];
	char num[PG_PARAMS][32];
	PGresult *res;
	int row, nrows;
	struct {
		int col;
		unsigned char *p;
		size_t n;
	} blob[PG_BLOBS];
	int nblob;
};

int
db_pg_is_url(const char *where)
{
	return where != NULL && (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0);
}

/* Appends n bytes of s to out (len bytes), truncating. */
static void
put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	while (n-- > 0 && *o + 1 < len)
		out[(*o)++] = *s++;
	out[*o] = '\0';
}

void
db_pg_redact(const char *where, char *out, size_t len)
{
	const char *p = strstr(where, "://"), *auth, *end, *at, *colon, *q;
	size_t o = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	if (p == NULL) {
		put(out, len, &o, where, strlen(where));
		return;
	}
	auth = p + 3;
	end = auth + strcspn(auth, "/?");
	/* The last @: a password may hold one unencoded (libpq takes it). */
	at = memrchr(auth, '@', (size_t)(end - auth));
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	/* user:secret@host keeps user@host. */
	put(out, len, &o, where, (size_t)((colon ? colon : end) - where));
	if (colon != NULL)
		put(out, len, &o, at, (size_t)(end - at));
	/* The path, then every query parameter but password=. */
	q = end + strcspn(end, "?");
	put(out, len, &o, end, (size_t)(q - end));
	while (*q != '\0') {
		size_t n = strcspn(q + 1, "&") + 1;

		if (strncmp(q + 1, "password=", 9) != 0)
			put(out, len, &o, q, n);
		else if (*q == '?' && q[n] == '&') {
			put(out, len, &o, "?", 1);
			q += n + 1;
			continue;
		}
		q += n;
	}
}

static void
set_err(struct db_pgc *c, const char *msg, const char *state)
{
	size_t n;

	snprintf(c->err, sizeof(c->err), "%s", msg != NULL && *msg ? msg :
	    PQerrorMessage(c->h));
	n = strlen(c->err);
	while (n > 0 && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
		c->err[--n] = '\0';
	/* One line: libpq's messages run over several, tab-indented. */
	for (char *s = c->err; *s; s++)
		if (*s == '\n' || *s == '\t')
			*s = ' ';
	snprintf(c->state, sizeof(c->state), "%s", state ? state : "");
}

/* libpq prints notices on stderr by default; a library does not print. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The session's settings, again after every reconnect. */
static int
setup(struct db_pgc *c)
{
	PQsetNoticeProcessor(c->h, quiet, NULL);
	/* An acknowledged write must be on disk (the server's default may
	 * say otherwise); a reader cannot write by mistake. */
	return db_pg_exec(c, c->readonly ?
	    "SET default_transaction_read_only = on; "
	    "SET client_min_messages = warning" :
	    "SET synchronous_commit = on; SET client_min_messages = warning");
}

struct db_pgc *
db_pg_open(const char *url, int readonly, char *err, size_t errlen)
{
	/* Defaults the URL may override (it is expanded at its place): give
	 * up on a dead host within seconds rather than hang the writer. */
	const char *keys[] = { "connect_timeout", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "dbname",
	    "fallback_application_name", NULL };
	const char *vals[] = { "10", "10", "5", "3", url, "otad", NULL };
	struct db_pgc *c = calloc(1, sizeof(*c));
	char safe[512];

	db_pg_redact(url, safe, sizeof(safe));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->readonly = readonly;
	c->h = PQconnectdbParams(keys, vals, 1);
	if (c->h == NULL || PQstatus(c->h) != CONNECTION_OK) {
		set_err(c, NULL, NULL);
		snprintf(err, errlen, "cannot connect to %s: %s", safe,
		    c->h ? c->err : "out of memory");
		db_pg_close(c);
		return NULL;
	}
	if (setup(c) != 0) {
		snprintf(err, errlen, "%s: %s", safe, c->err);
		db_pg_close(c);
		return NULL;
	}
	return c;
}

void
db_pg_close(struct db_pgc *c)
{
	if (c == NULL)
		return;
	PQfinish(c->h);
	free(c);
}

int
db_pg_check(struct db_pgc *c)
{
	if (PQstatus(c->h) == CONNECTION_OK)
		return 0;
	PQreset(c->h);
	c->gen++;
	if (PQstatus(c->h) != CONNECTION_OK) {
		set_err(c, NULL, "08006");
		return -1;
	}
	return setup(c);
}

/* Keeps what a command's result says: the rows it changed, or its error. */
static int
outcome(struct db_pgc *c, PGresult *r)
{
	ExecStatusType s = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *tag;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		tag = PQcmdStatus(r);
		if (strncmp(tag, "INSERT", 6) == 0 ||
		    strncmp(tag, "UPDATE", 6) == 0 ||
		    strncmp(tag, "DELETE", 6) == 0 ||
		    strncmp(tag, "MERGE", 5) == 0) {
			c->changes = strtoll(PQcmdTuples(r), NULL, 10);
			c->total += c->changes;
		}
		return 0;
	}
	set_err(c, r != NULL ? PQresultErrorMessage(r) : NULL, r != NULL ?
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
	if (c->state[0] == '\0' && PQstatus(c->h) != CONNECTION_OK)
		snprintf(c->state, sizeof(c->state), "08006");
	return -1;
}

int
db_pg_exec(struct db_pgc *c, const char *sql)
{
	PGresult *r = PQexec(c->h, sql);
	int rc = outcome(c, r);

	/* A COMMIT of a failed transaction "succeeds" as a ROLLBACK: for the
	 * writer that is a lost batch, never an acknowledged one. */
	if (rc == 0 && strcmp(sql, "COMMIT") == 0 &&
	    strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		set_err(c, "the transaction had failed: COMMIT rolled it back",
		    "25P02");
		rc = -1;
	}
	PQclear(r);
	return rc;
}

int
db_pg_wait_notify(struct db_pgc *c, int timeout_ms, char *what, size_t len)
{
	PGnotify *n = PQnotifies(c->h);
	struct pollfd p = { .fd = PQsocket(c->h), .events = POLLIN };

	if (n == NULL) {
		if (p.fd < 0) {
			set_err(c, NULL, "08006");
			return -1;
		}
		if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR) {
			set_err(c, strerror(errno), "08006");
			return -1;
		}
		/* Readable: a message, or the server closing the session. */
		if (p.revents != 0 && !PQconsumeInput(c->h)) {
			set_err(c, NULL, "08006");
			return -1;
		}
		if ((n = PQnotifies(c->h)) == NULL)
			return PQstatus(c->h) == CONNECTION_OK ? 0 : -1;
	}
	snprintf(what, len, "%s", n->extra);
	PQfreemem(n);
	return 1;
}

void
db_pg_send(struct db_pgc *c, const char *sql)
{
	/* A failure shows on the next command, which reconnects. */
	(void)PQsendQuery(c->h, sql);
}

int
db_pg_in_tx(struct db_pgc *c)
{
	PGTransactionStatusType t = PQtransactionStatus(c->h);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
	    t == PQTRANS_ACTIVE;
}

int
db_pg_tx_failed(struct db_pgc *c)
{
	return PQtransactionStatus(c->h) == PQTRANS_INERROR;
}

const char *
db_pg_errmsg(struct db_pgc *c)
{
	return c->err;
}

const char *
db_pg_sqlstate(struct db_pgc *c)
{
	return c->state;
}

int
db_pg_store_error(struct db_pgc *c)
{
	const char *s = c->state;

	if (PQstatus(c->h) != CONNECTION_OK)
		return 1;
	/* A deadlock (40P01) or a serialization failure (40001) is two
	 * writers (two daemons) wanting the same rows at once: the job that
	 * lost fails alone and its client tries again; the store is well.
	 * 08 connection, 53 resources (disk full), 57 operator (shutdown),
	 * 58 system I/O, XX internal, the rest of 40 (a transaction's
	 * outcome unknown), 55P03 a lock not granted, 25006 a read-only
	 * server (a standby). */
	if (strcmp(s, "40P01") == 0 || strcmp(s, "40001") == 0)
		return 0;
	return strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 ||
	    strncmp(s, "57", 2) == 0 || strncmp(s, "58", 2) == 0 ||
	    strncmp(s, "XX", 2) == 0 || strncmp(s, "40", 2) == 0 ||
	    strcmp(s, "55P03") == 0 || strcmp(s, "25006") == 0;
}

int64_t
db_pg_changes(struct db_pgc *c)
{
	return c->changes;
}

int64_t
db_pg_total_changes(struct db_pgc *c)
{
	return c->total;
}

/* Fills *n with the highest $N of sql outside quotes and comments (what
 * the server infers as the number of parameters). 0, or -1 with the
 * offending placeholder in bad: only $1..$PG_PARAMS, as on SQLite
 * (conn.c), so a text is refused alike on both. */
static int
count_params(const char *sql, int *n, char *bad, size_t badlen)
{
	*n = 0;
	for (const char *p = sql; *p != '\0'; p++) {
		if (*p == '\'' || *p == '"') {
			const char *e = strchr(p + 1, *p);
			if (e == NULL)
				break;
			p = e;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
			if (*p == '\0')
				break;
		} else if (p[0] == ':' && p[1] == ':') {
			p++;		/* a cast, not :name */
		} else if (*p == '$' || *p == '?' || (*p == ':' &&
		    ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' &&
		    p[1] <= 'Z')))) {
			long v = *p == '$' && p[1] >= '1' && p[1] <= '9' ?
			    strtol(p + 1, NULL, 10) : 0;
			if (v < 1 || v > PG_PARAMS) {
				snprintf(bad, badlen, "%.*s", (int)(1 +
				    strspn(p + 1, "0123456789abcdefghijklmnopqrs"
				    "tuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")), p);
				return -1;
			}
			if (v > *n)
				*n = (int)v;
		}
	}
	return 0;
}

/* Prepares st under its name on the current session. 0, or -1. */
static int
prepare(struct db_pgs *st)
{
	PGresult *r;
	int rc;

	/* Parameter types are left to the server to infer from the text
	 * (both engines read the same SQL; CAST($n AS ...) where the context
	 * does not tell). */
	r = PQprepare(st->c->h, st->name, st->sql, st->nparams, NULL);
	rc = outcome(st->c, r);
	PQclear(r);
	if (rc == 0)
		st->gen = st->c->gen;
	return rc;
}

struct db_pgs *
db_pg_st_new(struct db_pgc *c, const char *sql)
{
	struct db_pgs *st = calloc(1, sizeof(*st));
	char bad[40];

	if (st == NULL) {
		set_err(c, "out of memory", "53200");
		return NULL;
	}
	st->c = c;
	st->sql = sql;
	snprintf(st->name, sizeof(st->name), "s%u", c->names++);
	if (count_params(sql, &st->nparams, bad, sizeof(bad)) != 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "placeholder %s is not $1..$%d", bad,
		    PG_PARAMS);
		set_err(c, msg, "42P02");
		free(st);
		return NULL;
	}
	if (prepare(st) != 0) {
		free(st);
		return NULL;
	}
	db_pg_st_clear(st);
	return st;
}

static void
drop_blobs(struct db_pgs *st)
{
	for (int k = 0; k < st->nblob; k++)
		PQfreemem(st->blob[k].p);
	st->nblob = 0;
}

void
db_pg_st_reset(struct db_pgs *st)
{
	drop_blobs(st);
	PQclear(st->res);
	st->res = NULL;
}

void
db_pg_st_free(struct db_pgs *st)
{
	if (st == NULL)
		return;
	db_pg_st_reset(st);
	free(st);
}

void
db_pg_st_clear(struct db_pgs *st)
{
	db_pg_st_reset(st);
	for (int k = 0; k < PG_PARAMS; k++) {
		st->val[k] = NULL;
		st->len[k] = 0;
		st->fmt[k] = 0;
	}
}

int
db_pg_st_busy(struct db_pgs *st)
{
	return st->res != NULL;
}

int
db_pg_bind_text(struct db_pgs *st, int i, const char *s)
{
	if (i < 1 || i > st->nparams)
		return -1;
	st->val[i - 1] = s;
	st->fmt[i - 1] = 0;
	return 0;
}

int
db_pg_bind_i64(struct db_pgs *st, int i, int64_t v)
{
	if (i < 1 || i > st->nparams)
		return -1;
	snprintf(st->num[i - 1], sizeof(st->num[0]), "%lld", (long long)v);
	return db_pg_bind_text(st, i, st->num[i - 1]);
}

int
db_pg_bind_double(struct db_pgs *st, int i, double v)
{
	if (i < 1 || i > st->nparams)
		return -1;
	/* %.17g round-trips every double. */
	snprintf(st->num[i - 1], sizeof(st->num[0]), "%.17g", v);
	return db_pg_bind_text(st, i, st->num[i - 1]);
}

int
db_pg_bind_blob(struct db_pgs *st, int i, const void *p, size_t n)
{
	static const char empty[1];

	if (i < 1 || i > st->nparams || n > INT32_MAX)
		return -1;
	/* Binary, so no escaping; a NULL pointer with no bytes is an empty
	 * value, as in SQLite, not NULL. */
	st->val[i - 1] = p != NULL ? p : empty;
	st->len[i - 1] = (int)n;
	st->fmt[i - 1] = 1;
	return 0;
}

/* Runs the statement; DB_STEP_ROW/DONE, DB_CONFLICT or DB_ERR. */
static int
run(struct db_pgs *st)
{
	PGresult *r;

	if (st->gen != st->c->gen && prepare(st) != 0)
		return DB_ERR;
	r = PQexecPrepared(st->c->h, st->name, st->nparams, st->val, st->len,
	    st->fmt, 0);
	if (outcome(st->c, r) != 0) {
		PQclear(r);
		return strncmp(st->c->state, "23", 2) == 0 ? DB_CONFLICT :
		    DB_ERR;
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0) {
		PQclear(r);
		return DB_STEP_DONE;
	}
	st->res = r;
	st->nrows = PQntuples(r);
	st->row = 0;
	return DB_STEP_ROW;
}

int
db_pg_step(struct db_pgs *st)
{
	/* Like SQLite's step after its end, a step without a result runs
	 * the statement (again). */
	if (st->res == NULL)
		return run(st);
	drop_blobs(st);
	if (++st->row < st->nrows)
		return DB_STEP_ROW;
	db_pg_st_reset(st);
	return DB_STEP_DONE;
}

static int
have(struct db_pgs *st, int i)
{
	return st->res != NULL && i >= 0 && i < PQnfields(st->res) &&
	    !PQgetisnull(st->res, st->row, i);
}

int64_t
db_pg_col_i64(struct db_pgs *st, int i)
{
	const char *s;
	char *end;
	long long v;

	if (!have(st, i))
		return 0;
	s = PQgetvalue(st->res, st->row, i);
	if (PQftype(st->res, i) == PG_BOOLOID)
		return s[0] == 't';
	v = strtoll(s, &end, 10);
	/* A numeric (SUM) or a double: truncated, as SQLite reads a real. */
	if (*end == '.' || *end == 'e' || *end == 'E')
		return (int64_t)strtod(s, NULL);
	return v;
}

double
db_pg_col_double(struct db_pgs *st, int i)
{
	if (!have(st, i))
		return 0;
	if (PQftype(st->res, i) == PG_BOOLOID)
		return PQgetvalue(st->res, st->row, i)[0] == 't';
	return strtod(PQgetvalue(st->res, st->row, i), NULL);
}

int
db_pg_col_null(struct db_pgs *st, int i)
{
	return !have(st, i);
}

const char *
db_pg_col_str(struct db_pgs *st, int i)
{
	return have(st, i) ? PQgetvalue(st->res, st->row, i) : NULL;
}

/* Column i of a bytea column decoded (kept until the row changes). */
static int
decoded(struct db_pgs *st, int i)
{
	size_t n = 0;
	unsigned char *p;

	for (int k = 0; k < st->nblob; k++)
		if (st->blob[k].col == i)
			return k;
	if (st->nblob >= PG_BLOBS)
		return -1;
	p = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res,
	    st->row, i), &n);
	if (p == NULL)
		return -1;
	st->blob[st->nblob].col = i;
	st->blob[st->nblob].p = p;
	st->blob[st->nblob].n = n;
	return st->nblob++;
}

const void *
db_pg_col_blob(struct db_pgs *st, int i)
{
	int k;

	if (!have(st, i))
		return NULL;
	if (PQftype(st->res, i) != PG_BYTEAOID)
		return PQgetvalue(st->res, st->row, i);
	k = decoded(st, i);
	return k >= 0 ? st->blob[k].p : NULL;
}

size_t
db_pg_col_bytes(struct db_pgs *st, int i)
{
	int k;

	if (!have(st, i))
		return 0;
	if (PQftype(st->res, i) != PG_BYTEAOID)
		return (size_t)PQgetlength(st->res, st->row, i);
	k = decoded(st, i);
	return k >= 0 ? st->blob[k].n : 0;
}
