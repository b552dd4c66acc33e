/* db: the audit trail's rows (add, finish, filters, pages, prune) and the
 * tokens' expiry and last use, with the coalesced last-use buffer. */
#include <stdio.h>
#include <string.h>

#include "core/seen.h"
#include "db/audit.h"
#include "db/tokens.h"
#include "db_fixture.h"

static struct db *db;

static void
setup(void)
{
	dbfx_dir();
	db = dbfx_open();
}

static void
teardown(void)
{
	db_close(db);
	dbfx_rmdir();
}

struct add_job {
	struct db_audit r;
	int64_t id;
};

static int
add(struct db_tx *tx, void *arg)
{
	struct add_job *j = arg;

	return db_audit_add(tx, &j->r, &j->id);
}

static int
finish(struct db_tx *tx, void *arg)
{
	return db_audit_finish(tx, arg);
}

static int64_t
record(int64_t at, const char *actor, const char *type, const char *id,
    int status)
{
	struct add_job j = { .r = { .at = at, .status = status } };

	snprintf(j.r.actor, sizeof(j.r.actor), "%s", actor);
	snprintf(j.r.client, sizeof(j.r.client), "127.0.0.1");
	snprintf(j.r.request_id, sizeof(j.r.request_id), "rq-%lld",
	    (long long)at);
	snprintf(j.r.method, sizeof(j.r.method), "POST");
	snprintf(j.r.path, sizeof(j.r.path), "/v1/%ss", type);
	snprintf(j.r.object_type, sizeof(j.r.object_type), "%s", type);
	snprintf(j.r.object_id, sizeof(j.r.object_id), "%s", id);
	snprintf(j.r.action, sizeof(j.r.action), "create");
	ck_assert_int_eq(db_write(db, add, &j), DB_OK);
	return j.id;
}

static void
ids(const struct db_audit *r, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 256 - n, "%s%lld", n ? "," : "", (long long)r->id);
}

static const char *
list(struct db_audit_filter f)
{
	static char buf[256];

	buf[0] = '\0';
	if (f.limit == 0)
		f.limit = 100;
	ck_assert_int_eq(db_audit_list(db, &f, ids, buf), DB_OK);
	return buf;
}

START_TEST(audit_filters_pages_and_results)
{
	struct db_audit r = { 0 };
	struct db_audit_filter f = { .limit = 1 };
	int64_t a = record(100, "alice", "device", "dev-1", 0);

	record(200, "bob", "device", "dev-2", 403);
	record(300, "alice", "token", "carol", 201);
	ck_assert_str_eq(list((struct db_audit_filter){ 0 }), "3,2,1");
	ck_assert_str_eq(list((struct db_audit_filter){ .actor = "alice" }),
	    "3,1");
	ck_assert_str_eq(list((struct db_audit_filter){ .object_type =
	    "device" }), "2,1");
	ck_assert_str_eq(list((struct db_audit_filter){ .object_type =
	    "device", .object_id = "dev-2" }), "2");
	ck_assert_str_eq(list((struct db_audit_filter){ .since = 200 }), "3,2");
	ck_assert_str_eq(list((struct db_audit_filter){ .until = 300 }), "2,1");
	ck_assert_str_eq(list((struct db_audit_filter){ .after = 3 }), "2,1");
	ck_assert_str_eq(list(f), "3");
	/* A record written with its change has no result until finished. */
	r.id = a;
	r.status = 201;
	snprintf(r.object_id, sizeof(r.object_id), "dev-1");
	snprintf(r.note, sizeof(r.note), "tags lab");
	ck_assert_int_eq(db_write(db, finish, &r), DB_OK);
	r.id = 99;
	ck_assert_int_eq(db_write(db, finish, &r), DB_NOTFOUND);
}
END_TEST

struct prune_job {
	int64_t before, gone;
};

static int
prune(struct db_tx *tx, void *arg)
{
	struct prune_job *p = arg;

	return db_audit_prune(tx, p->before, 2, &p->gone);
}

START_TEST(audit_prune_takes_old_rows_in_batches)
{
	struct prune_job p = { 250, 0 };

	for (int i = 1; i <= 5; i++)
		record(i * 100, "alice", "device", "d", 200);
	ck_assert_int_eq(db_write(db, prune, &p), DB_OK);
	ck_assert_int_eq(p.gone, 2);
	ck_assert_int_eq(db_write(db, prune, &p), DB_OK);
	ck_assert_int_eq(p.gone, 0);
	ck_assert_str_eq(list((struct db_audit_filter){ 0 }), "5,4,3");
}
END_TEST

static int writes;

static int
count_use(struct db_tx *tx, int64_t id, int64_t at)
{
	writes++;
	return db_token_used(tx, id, at);
}

START_TEST(token_expiry_and_coalesced_last_use)
{
	uint8_t hash[32];
	struct db_token_add add = { "alice", "admin", hash, 1000, 5000 };
	struct db_token t;
	struct seen *use = seen_new_for(count_use);

	sign_sha256("alice", 5, hash);
	ck_assert_int_eq(db_write(db, db_token_add, &add), DB_OK);
	ck_assert_int_eq(db_token_find(db, hash, &t), DB_OK);
	ck_assert_int_eq(t.expires_at, 5000);
	ck_assert_int_eq(t.last_used_at, 0);
	/* A hundred uses between two flushes are one write. */
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(seen_note(use, t.id, 2000 + i, NULL), 0);
	seen_note(use, t.id, 1500, NULL);
	ck_assert_int_eq(db_write(db, seen_flush, use), DB_OK);
	ck_assert_int_eq(writes, 1);
	ck_assert_int_eq(db_token_find(db, hash, &t), DB_OK);
	ck_assert_int_eq(t.last_used_at, 2099);
	/* Never backwards; a flush with nothing noted writes nothing. */
	seen_note(use, t.id, 1200, NULL);
	ck_assert_int_eq(db_write(db, seen_flush, use), DB_OK);
	ck_assert_int_eq(db_write(db, seen_flush, use), DB_OK);
	ck_assert_int_eq(writes, 2);
	ck_assert_int_eq(db_token_find(db, hash, &t), DB_OK);
	ck_assert_int_eq(t.last_used_at, 2099);
	seen_free(use);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, audit_filters_pages_and_results);
	tcase_add_test(tc, audit_prune_takes_old_rows_in_batches);
	tcase_add_test(tc, token_expiry_and_coalesced_last_use);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
