/* The tests' PostgreSQL, when the environment names one: with
 * OTAD_TEST_PG_SOCK (a socket directory) and OTAD_TEST_PG_USER (a
 * superuser) set, each test gets a fresh database of its own, made
 * through the `postgres` database and dropped after; without them the
 * suites run on SQLite files. Raw SQL for either backend (pgfx_exec). */
#ifndef TESTS_DB_PG_FIXTURE_H
#define TESTS_DB_PG_FIXTURE_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_util.h"

static char pgfx_name[64];

/* 1 if the tests run on PostgreSQL. */
static inline int
pgfx_on(void)
{
	const char *s = getenv("OTAD_TEST_PG_SOCK"), *u =
	    getenv("OTAD_TEST_PG_USER");

	return s != NULL && *s != '\0' && u != NULL && *u != '\0';
}

/* The URL of database name (of the `postgres` one for NULL). */
static inline void
pgfx_url(const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "postgresql:///%s?host=%s&user=%s",
	    name != NULL ? name : "postgres", getenv("OTAD_TEST_PG_SOCK"),
	    getenv("OTAD_TEST_PG_USER"));

	ck_assert(n > 0 && (size_t)n < len);
}

static inline PGconn *
pgfx_connect(const char *name)
{
	char url[512];
	PGconn *h;

	pgfx_url(name, url, sizeof(url));
	h = PQconnectdb(url);
	ck_assert_msg(PQstatus(h) == CONNECTION_OK, "%s", PQerrorMessage(h));
	PQsetNoticeProcessor(h, NULL, NULL);
	return h;
}

/* The tests' raw SQL is SQLite's; the two spellings it uses that
 * PostgreSQL reads otherwise are turned into PostgreSQL's here: x'HEX'
 * blobs ('\xHEX'::bytea) and randomblob(32) (32 random bytes). The
 * result is malloc'd. */
static inline char *
pgfx_dialect(const char *sql)
{
	static const char rnd[] = "randomblob(32)";
	static const char rnd_pg[] = "sha256(random()::text::bytea)";
	size_t len = strlen(sql) * 3 + 1, o = 0;
	char *out = malloc(len);
	int in_blob = 0, in_str = 0;

	ck_assert_ptr_nonnull(out);
	for (const char *p = sql; *p != '\0';) {
		ck_assert(o + sizeof(rnd_pg) + 8 < len);
		if (!in_blob && *p == '\'')
			in_str = !in_str;
		if (in_str) {
			out[o++] = *p++;
		} else if ((*p == 'x' || *p == 'X') && p[1] == '\'' && (p == sql ||
		    !(p[-1] >= 'a' && p[-1] <= 'z'))) {
			memcpy(out + o, "'\\x", 3);
			o += 3;
			p += 2;
			in_blob = 1;
		} else if (in_blob && *p == '\'') {
			memcpy(out + o, "'::bytea", 8);
			o += 8;
			p++;
			in_blob = 0;
		} else if (strncmp(p, rnd, sizeof(rnd) - 1) == 0) {
			memcpy(out + o, rnd_pg, sizeof(rnd_pg) - 1);
			o += sizeof(rnd_pg) - 1;
			p += sizeof(rnd) - 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return out;
}

static const char pgfx_resync[] = "DO $$ DECLARE r record; m bigint; "
    "BEGIN FOR r IN SELECT table_name t, column_name c FROM "
    "information_schema.columns WHERE table_schema = 'public' AND "
    "is_identity = 'YES' LOOP EXECUTE format('SELECT max(%I) FROM %I', "
    "r.c, r.t) INTO m; IF m IS NOT NULL THEN PERFORM setval("
    "pg_get_serial_sequence(r.t, r.c), m); END IF; END LOOP; END $$";

/* Runs sql on database name with a connection of its own: 0, or -1 with
 * the server's message printed (for the tests that expect a refusal). */
static inline int
pgfx_try(const char *name, const char *sql)
{
	PGconn *h = pgfx_connect(name);
	char *text = pgfx_dialect(sql);
	PGresult *r = PQexec(h, text);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "pgfx: %s: %s", sql, PQerrorMessage(h));
	PQclear(r);
	/* Rows planted with their ids leave an identity's sequence behind
	 * (SQLite's next rowid is max + 1): moved past them. */
	if (ok && name != NULL) {
		r = PQexec(h, pgfx_resync);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "pgfx: %s", PQerrorMessage(h));
		PQclear(r);
	}
	PQfinish(h);
	free(text);
	return ok ? 0 : -1;
}

static inline void
pgfx_exec(const char *name, const char *sql)
{
	ck_assert_msg(pgfx_try(name, sql) == 0, "%s", sql);
}

/* A fresh database for this test; its URL into out. */
static inline void
pgfx_create(char *out, size_t len)
{
	static unsigned n;
	struct timespec ts;
	char sql[128];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(pgfx_name, sizeof(pgfx_name), "otadt_%ld_%ld_%u",
	    (long)getpid(), (long)ts.tv_nsec, n++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pgfx_name);
	pgfx_exec(NULL, sql);
	pgfx_url(pgfx_name, out, len);
}

/* Drops this test's database (its connections are cut first). */
static inline void
pgfx_drop(void)
{
	char sql[128];

	if (pgfx_name[0] == '\0')
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    pgfx_name);
	pgfx_exec(NULL, sql);
	pgfx_name[0] = '\0';
}

#endif
