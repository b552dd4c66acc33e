/* db/ddi: artifact digests (lazy fill, kept once known), actions (at most
 * one open per device, int32 ids, compare-and-set ends and cancels),
 * configData attributes and the configData link, the gateway role. */
#include "db/ddi.h"
#include "db/devices.h"
#include "db/tokens.h"
#include "db_fixture.h"

static struct db *db;

/* Two devices (ids 1, 2), two releases (1, 2) on artifacts "a", "b", a
 * campaign 1 of release 2. */
static void
setup(void)
{
	dbfx_dir();
	db_close(dbfx_open());
	dbfx_exec("INSERT INTO artifacts (sha256, size, created_at, created_by) "
	    "VALUES ('a', 1, 0, 'x'), ('b', 2, 0, 'x');"
	    "INSERT INTO releases (id, envelope, envelope_sha256, fw_version, "
	    "security_counter, artifact_sha256, length, expires, created, "
	    "uploaded_at, uploaded_by) VALUES (1, '', 'e1', '1.1.0', 1, 'a', 1, "
	    "9999999999, 0, 0, 'x'), (2, '', 'e2', '2.0.0', 2, 'b', 2, "
	    "9999999999, 0, 0, 'x');"
	    "INSERT INTO campaigns (id, name, release_id, salt, stages, policy, "
	    "state, created_at, created_by) VALUES (1, 'c', 2, x'00', '[100]', "
	    "'{}', 'running', 0, 'x');"
	    "INSERT INTO devices (id, device_id, hw_class, token_hash, "
	    "fw_version, created_at) VALUES (1, 'd1', 'b', randomblob(32), "
	    "'1.0.0', 0), (2, 'd2', 'b', randomblob(32), '1.0.0', 0);");
	db = dbfx_open();
}

static void
teardown(void)
{
	db_close(db);
	dbfx_rmdir();
}

static int64_t
new_action(int64_t device, int64_t campaign, int64_t release, int rc_want)
{
	struct db_ddi_action_new n = { device, campaign, release, 1, 100, 0 };

	ck_assert_int_eq(db_write(db, db_ddi_action_new, &n), rc_want);
	return n.id;
}

static int
end_action(int64_t id, int64_t device, enum rollout_ddi_end state,
    const char *result)
{
	struct db_ddi_action_end e = { id, device, state, result,
	    "closed/success", 200 };

	return db_write(db, db_ddi_action_end, &e);
}

START_TEST(digests_filled_once_and_kept)
{
	struct db_ddi_digests d;
	struct db_ddi_digests_set s = { "a", { "1111111111111111111111111111111111111111",
	    "22222222222222222222222222222222" } };

	ck_assert_int_eq(db_ddi_digests(db, "a", &d), DB_OK);
	ck_assert_str_eq(d.sha1, "");
	ck_assert_str_eq(d.md5, "");
	ck_assert_int_eq(db_ddi_digests(db, "zz", &d), DB_NOTFOUND);
	ck_assert_int_eq(db_write(db, db_ddi_digests_set, &s), DB_OK);
	ck_assert_int_eq(db_ddi_digests(db, "a", &d), DB_OK);
	ck_assert_str_eq(d.sha1, s.d.sha1);
	ck_assert_str_eq(d.md5, s.d.md5);
	/* A second computation (a race of two first uses) keeps the first. */
	s.d.sha1[0] = '9';
	ck_assert_int_eq(db_write(db, db_ddi_digests_set, &s), DB_OK);
	ck_assert_int_eq(db_ddi_digests(db, "a", &d), DB_OK);
	ck_assert_str_eq(d.sha1, "1111111111111111111111111111111111111111");
	s.sha256 = "nope";
	ck_assert_int_eq(db_write(db, db_ddi_digests_set, &s), DB_NOTFOUND);
}
END_TEST

START_TEST(upload_stores_digests)
{
	struct db_ddi_artifact_put p = { { "c", 3, "x", 5, 0 },
	    { "3333333333333333333333333333333333333333",
	      "44444444444444444444444444444444" } };
	struct db_ddi_digests d;

	ck_assert_int_eq(db_write(db, db_ddi_artifact_put, &p), DB_OK);
	ck_assert_int_eq(p.put.created, 1);
	ck_assert_int_eq(db_ddi_digests(db, "c", &d), DB_OK);
	ck_assert_str_eq(d.sha1, p.d.sha1);
	ck_assert_str_eq(d.md5, p.d.md5);
	ck_assert_int_eq(db_write(db, db_ddi_artifact_put, &p), DB_OK);
	ck_assert_int_eq(p.put.created, 0);
}
END_TEST

START_TEST(one_open_action_per_device)
{
	struct db_ddi_action a;
	int64_t id1 = new_action(1, 1, 2, DB_OK), id2, id3;

	ck_assert_int_eq(id1, 1);
	new_action(1, 0, 1, DB_CONFLICT);
	id2 = new_action(2, 0, 1, DB_OK);
	ck_assert_int_eq(id2, 2);
	ck_assert_int_eq(db_ddi_action_open(db, NULL, 1, &a), DB_OK);
	ck_assert_int_eq(a.id, id1);
	ck_assert_int_eq(a.campaign_id, 1);
	ck_assert_int_eq(a.release_id, 2);
	ck_assert_int_eq(a.attempt, 1);
	ck_assert_int_eq(a.state, ROLLOUT_DDI_OPEN);
	ck_assert_int_eq(a.cancel, ROLLOUT_DDI_CANCEL_NONE);
	ck_assert_str_eq(a.result, "");
	ck_assert_int_eq(db_ddi_action_get(db, NULL, 2, id2, &a), DB_OK);
	ck_assert_int_eq(a.campaign_id, 0);
	/* Another device's action is not found. */
	ck_assert_int_eq(db_ddi_action_get(db, NULL, 2, id1, &a), DB_NOTFOUND);
	ck_assert_int_eq(db_ddi_action_get(db, NULL, 1, 0, &a), DB_NOTFOUND);
	ck_assert_int_eq(db_ddi_action_get(db, NULL, 1, DB_DDI_ACTION_MAX + 1,
	    &a), DB_NOTFOUND);
	/* Closed, a new one may open. */
	ck_assert_int_eq(end_action(id1, 1, ROLLOUT_DDI_CLOSE, "success"),
	    DB_OK);
	ck_assert_int_eq(db_ddi_action_open(db, NULL, 1, &a), DB_NOTFOUND);
	id3 = new_action(1, 1, 2, DB_OK);
	ck_assert_int_eq(id3, 3);
	ck_assert_int_eq(db_ddi_action_get(db, NULL, 1, id1, &a), DB_OK);
	ck_assert_int_eq(a.state, ROLLOUT_DDI_CLOSE);
	ck_assert_str_eq(a.result, "success");
	ck_assert_str_eq(a.closing, "closed/success");
	ck_assert_int_eq(a.closed_at, 200);
}
END_TEST

START_TEST(end_is_compare_and_set)
{
	int64_t id = new_action(1, 1, 2, DB_OK);

	ck_assert_int_eq(end_action(id, 2, ROLLOUT_DDI_CLOSE, "success"),
	    DB_NOTFOUND);
	ck_assert_int_eq(end_action(99, 1, ROLLOUT_DDI_CLOSE, "success"),
	    DB_NOTFOUND);
	ck_assert_int_eq(end_action(id, 1, ROLLOUT_DDI_CANCEL, "canceled"),
	    DB_OK);
	ck_assert_int_eq(end_action(id, 1, ROLLOUT_DDI_CLOSE, "success"),
	    DB_CONFLICT);
}
END_TEST

START_TEST(cancel_is_compare_and_set)
{
	struct db_ddi_action a;
	int64_t id = new_action(1, 1, 2, DB_OK);
	struct db_ddi_action_cancel c = { id, 1, ROLLOUT_DDI_CANCEL_NONE,
	    ROLLOUT_DDI_CANCEL_REQUESTED };

	ck_assert_int_eq(db_write(db, db_ddi_action_cancel, &c), DB_OK);
	ck_assert_int_eq(db_write(db, db_ddi_action_cancel, &c), DB_CONFLICT);
	c = (struct db_ddi_action_cancel){ id, 1, ROLLOUT_DDI_CANCEL_REQUESTED,
	    ROLLOUT_DDI_CANCEL_REJECTED };
	ck_assert_int_eq(db_write(db, db_ddi_action_cancel, &c), DB_OK);
	ck_assert_int_eq(db_ddi_action_open(db, NULL, 1, &a), DB_OK);
	ck_assert_int_eq(a.cancel, ROLLOUT_DDI_CANCEL_REJECTED);
	c = (struct db_ddi_action_cancel){ id, 2, ROLLOUT_DDI_CANCEL_REJECTED,
	    ROLLOUT_DDI_CANCEL_NONE };
	ck_assert_int_eq(db_write(db, db_ddi_action_cancel, &c), DB_NOTFOUND);
	ck_assert_int_eq(end_action(id, 1, ROLLOUT_DDI_CLOSE, "failure"),
	    DB_OK);
	c = (struct db_ddi_action_cancel){ id, 1, ROLLOUT_DDI_CANCEL_REJECTED,
	    ROLLOUT_DDI_CANCEL_NONE };
	ck_assert_int_eq(db_write(db, db_ddi_action_cancel, &c), DB_CONFLICT);
}
END_TEST

START_TEST(action_ids_fit_int32)
{
	struct db_ddi_action a;

	dbfx_exec("INSERT INTO ddi_actions (id, device, release_id, attempt, "
	    "state, created_at) VALUES (2147483646, 2, 1, 1, 'closed', 0)");
	ck_assert_int_eq(new_action(1, 1, 2, DB_OK), 2147483647);
	ck_assert_int_eq(db_ddi_action_get(db, NULL, 1, 2147483647, &a), DB_OK);
	/* The next one would not fit: refused, not wrapped or widened. */
	new_action(2, 0, 1, DB_ERR);
	ck_assert_int_eq(db_ddi_action_open(db, NULL, 2, &a), DB_NOTFOUND);
}
END_TEST

START_TEST(action_ids_checked_by_the_schema)
{
	ck_assert_int_eq(dbfx_try("INSERT INTO ddi_actions (id, device, "
	    "release_id, attempt, created_at) VALUES (2147483648, 2, 1, 1, 0)"),
	    -1);
	ck_assert_int_eq(dbfx_try("INSERT INTO ddi_actions (id, device, "
	    "release_id, attempt, state, created_at) VALUES (5, 2, 1, 1, 'x', 0)"),
	    -1);
	/* The same insert in range is taken (the refusals were the checks'). */
	ck_assert_int_eq(dbfx_try("INSERT INTO ddi_actions (id, device, "
	    "release_id, attempt, created_at) VALUES (2147483647, 2, 1, 1, 0)"),
	    0);
}
END_TEST

struct attrs {
	char text[512];
};

static void
attr_cat(const char *k, const char *v, void *arg)
{
	struct attrs *a = arg;
	size_t n = strlen(a->text);

	snprintf(a->text + n, sizeof(a->text) - n, "%s%s=%s", n ? "," : "", k, v);
}

static const char *
attrs_of(int64_t device, struct attrs *a)
{
	a->text[0] = '\0';
	ck_assert_int_eq(db_ddi_attrs(db, device, attr_cat, a), DB_OK);
	return a->text;
}

static int
put_attrs(int64_t device, enum db_ddi_mode mode, int n, const char *const *k,
    const char *const *v)
{
	struct db_ddi_attrs_put p = { device, mode, n, k, v, 300, 0 };

	return db_write(db, db_ddi_attrs_put, &p);
}

START_TEST(attributes_merge_replace_remove)
{
	static const char *const k1[] = { "board", "revision" };
	static const char *const v1[] = { "otad-board", "1.0" };
	static const char *const k2[] = { "revision", "serial" };
	static const char *const v2[] = { "1.1", "42" };
	struct attrs a;

	ck_assert_str_eq(attrs_of(1, &a), "");
	ck_assert_int_eq(put_attrs(1, DB_DDI_MERGE, 2, k1, v1), DB_OK);
	ck_assert_int_eq(put_attrs(1, DB_DDI_MERGE, 2, k2, v2), DB_OK);
	ck_assert_str_eq(attrs_of(1, &a), "board=otad-board,revision=1.1,serial=42");
	ck_assert_str_eq(attrs_of(2, &a), "");
	ck_assert_int_eq(put_attrs(1, DB_DDI_REMOVE, 1, k1, v1), DB_OK);
	ck_assert_str_eq(attrs_of(1, &a), "revision=1.1,serial=42");
	ck_assert_int_eq(put_attrs(1, DB_DDI_REPLACE, 1, k1, v1), DB_OK);
	ck_assert_str_eq(attrs_of(1, &a), "board=otad-board");
	ck_assert_int_eq(put_attrs(1, DB_DDI_REPLACE, 0, k1, v1), DB_OK);
	ck_assert_str_eq(attrs_of(1, &a), "");
}
END_TEST

START_TEST(attributes_capped_in_total)
{
	static char keys[DB_DDI_ATTRS_MAX + 1][16];
	const char *k[DB_DDI_ATTRS_MAX + 1], *v[DB_DDI_ATTRS_MAX + 1];
	struct attrs a;

	for (int i = 0; i <= DB_DDI_ATTRS_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%03d", i);
		k[i] = keys[i];
		v[i] = "v";
	}
	ck_assert_int_eq(put_attrs(1, DB_DDI_MERGE, DB_DDI_ATTRS_MAX, k, v),
	    DB_OK);
	/* One more key by merging: refused, nothing of it kept. */
	ck_assert_int_eq(put_attrs(1, DB_DDI_MERGE, 1, k + DB_DDI_ATTRS_MAX,
	    v), DB_INVALID);
	ck_assert_ptr_null(strstr(attrs_of(1, &a), "k128"));
	/* Replacing with as many is fine. */
	ck_assert_int_eq(put_attrs(1, DB_DDI_REPLACE, DB_DDI_ATTRS_MAX, k + 1,
	    v), DB_OK);
}
END_TEST

static int
ask_job(struct db_tx *tx, void *arg)
{
	return db_ddi_config_ask(tx, *(int64_t *)arg);
}

START_TEST(config_link_asked_until_put)
{
	static const char *const k[] = { "board" }, *const v[] = { "b" };
	int64_t dev = 1;
	int asked = -1;

	/* Never sent: asked. */
	ck_assert_int_eq(db_ddi_config_asked(db, NULL, 1, &asked), DB_OK);
	ck_assert_int_eq(asked, 1);
	ck_assert_int_eq(put_attrs(1, DB_DDI_MERGE, 1, k, v), DB_OK);
	ck_assert_int_eq(db_ddi_config_asked(db, NULL, 1, &asked), DB_OK);
	ck_assert_int_eq(asked, 0);
	ck_assert_int_eq(db_ddi_config_asked(db, NULL, 2, &asked), DB_OK);
	ck_assert_int_eq(asked, 1);
	/* A closed action asks again; the next PUT answers it. */
	ck_assert_int_eq(db_write(db, ask_job, &dev), DB_OK);
	ck_assert_int_eq(db_ddi_config_asked(db, NULL, 1, &asked), DB_OK);
	ck_assert_int_eq(asked, 1);
	ck_assert_int_eq(put_attrs(1, DB_DDI_MERGE, 0, k, v), DB_OK);
	ck_assert_int_eq(db_ddi_config_asked(db, NULL, 1, &asked), DB_OK);
	ck_assert_int_eq(asked, 0);
}
END_TEST

START_TEST(gateway_role_and_tokens_kept)
{
	uint8_t h1[32], h2[32];
	struct db_token_add a = { "gw", "gateway", h1, 1, 0 };
	struct db_token_add b = { "bad", "root", h2, 1, 0 };
	struct db_token t;

	sign_sha256("gw", 2, h1);
	sign_sha256("bad", 3, h2);
	ck_assert_int_eq(db_write(db, db_token_add, &a), DB_OK);
	ck_assert_int_eq(db_token_find(db, h1, &t), DB_OK);
	ck_assert_str_eq(t.role, "gateway");
	ck_assert_int_ne(db_write(db, db_token_add, &b), DB_OK);
}
END_TEST

/* A database from before 006: its tokens come through the rebuilt table. */
START_TEST(tokens_survive_the_rebuild)
{
	struct db_token t;
	uint8_t h[32];

	/* A store as 005 left it, made by hand from the migrations. */
	db_close(db);
	dbfx_rmdir();
	dbfx_dir();
	dbfx_store_until(5);
	dbfx_exec("INSERT INTO tokens (id, name, role, hash, created_at) VALUES "
	    "(7, 'old', 'viewer', x'" "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff', 5);");
	db = dbfx_open();
	ck_assert_int_eq(sign_unhex("00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff", h, 32), 0);
	ck_assert_int_eq(db_token_find(db, h, &t), DB_OK);
	ck_assert_int_eq(t.id, 7);
	ck_assert_str_eq(t.role, "viewer");
	ck_assert_int_eq(t.created_at, 5);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_ddi");
	TCase *tc = tcase_create("ddi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, digests_filled_once_and_kept);
	tcase_add_test(tc, upload_stores_digests);
	tcase_add_test(tc, one_open_action_per_device);
	tcase_add_test(tc, end_is_compare_and_set);
	tcase_add_test(tc, cancel_is_compare_and_set);
	tcase_add_test(tc, action_ids_fit_int32);
	tcase_add_test(tc, action_ids_checked_by_the_schema);
	tcase_add_test(tc, attributes_merge_replace_remove);
	tcase_add_test(tc, attributes_capped_in_total);
	tcase_add_test(tc, config_link_asked_until_put);
	tcase_add_test(tc, gateway_role_and_tokens_kept);
	tcase_add_test(tc, tokens_survive_the_rebuild);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
