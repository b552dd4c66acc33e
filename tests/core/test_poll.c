/* poll_decide against a real store, without HTTP: the direct offer before
 * campaigns, a first offer taken on the writer then offered again, what a
 * release the device cannot use gets, and the DDI form (no declared
 * version: the stored one decides and nothing is recorded). */
#include "core_fixture.h"
#include "core/poll.h"
#include "core/reports.h"

static const int all[] = { 100 };
static int64_t now;

static void
setup(void)
{
	fx_setup();
	now = util_now();
}

/* The device as its token lookup would find it, declaring fw (NULL: as
 * DDI polls, without a version). */
static struct poll_device
dev(int64_t id, const char *device_id, const char *fw, const char *stored)
{
	static struct db_offer off;
	struct poll_device d = { id, device_id, "board-a", fw, stored, NULL,
	    0, ROLLOUT_DEV_OFFERED };

	if (db_offer_get(fx.db, id, &off) == DB_OK) {
		d.offer_release = off.release_id;
		d.offer_state = off.state;
	}
	return d;
}

static enum poll_verdict
decide(const struct poll_device *d, struct poll_answer *ans)
{
	ck_assert_int_eq(poll_decide(&fx, d, now, ans), 0);
	return ans->verdict;
}

START_TEST(nothing_without_offers)
{
	struct poll_device d;
	struct poll_answer ans;

	fx_device("d1", "board-a", "1.0.0");
	d = dev(1, "d1", "1.0.0", "1.0.0");
	ck_assert_int_eq(decide(&d, &ans), POLL_NOTHING);
	ck_assert_int_eq(ans.nsight, 0);
}
END_TEST

START_TEST(direct_offer_comes_first)
{
	int64_t rd = fx_release("2.0.0", "board-a", now + 86400);
	int64_t rc = fx_release("3.0.0", "board-a", now + 86400);
	int64_t id = fx_device("d1", "board-a", "1.0.0");
	struct poll_device d;
	struct poll_answer ans;

	fx_campaign(rc, all, 1, NULL, now);
	fx_direct("d1", rd);
	d = dev(id, "d1", "1.0.0", "1.0.0");
	ck_assert_int_eq(decide(&d, &ans), POLL_OFFER);
	ck_assert_int_eq(ans.campaign, 0);
	ck_assert_str_eq(ans.campaign_name, "direct");
	ck_assert_int_eq(ans.rel.id, rd);
	poll_answer_free(&ans);
	/* running it, the device is not offered it again: the campaign's
	 * newer release is its answer */
	d = dev(id, "d1", "2.0.0", "2.0.0");
	ck_assert_int_eq(decide(&d, &ans), POLL_TAKE);
	ck_assert_int_eq(ans.rel.id, rc);
	poll_answer_free(&ans);
}
END_TEST

START_TEST(first_offer_is_taken_then_offered_again)
{
	int64_t r = fx_release("2.0.0", "board-a", now + 86400);
	int64_t id = fx_device("d1", "board-a", "1.0.0");
	int64_t c = fx_campaign(r, all, 1, NULL, now);
	struct poll_device d = dev(id, "d1", "1.0.0", "1.0.0");
	struct poll_answer ans;
	struct db_member m;

	ck_assert_int_eq(decide(&d, &ans), POLL_TAKE);
	ck_assert_int_eq(ans.campaign, c);
	ck_assert_int_eq(ans.kind, ROLLOUT_OFFER_FIRST);
	ck_assert_int_eq(ans.take.campaign, c);
	ck_assert_int_eq(ans.take.device, id);
	/* deciding wrote nothing */
	fx_member(c, id, &m);
	ck_assert_int_eq(m.state, ROLLOUT_DEV_PENDING);
	ck_assert_int_eq(db_write(fx.db, reports_offer_take, &ans.take), DB_OK);
	ck_assert(ans.take.granted);
	poll_answer_free(&ans);
	fx_member(c, id, &m);
	ck_assert_int_eq(m.state, ROLLOUT_DEV_OFFERED);
	ck_assert_int_eq(m.attempts, 1);
	/* the attempt in flight is offered again, with nothing to write */
	ck_assert_int_eq(decide(&d, &ans), POLL_OFFER);
	ck_assert_int_eq(ans.kind, ROLLOUT_OFFER_AGAIN);
	ck_assert_int_eq(ans.campaign, c);
	poll_answer_free(&ans);
}
END_TEST

START_TEST(unusable_releases_are_not_offered)
{
	int64_t r = fx_release("2.0.0", "board-a", now + 100);
	int64_t id = fx_device("d1", "board-a", "1.0.0");
	struct poll_device d = dev(id, "d1", "1.0.0", "1.0.0");
	struct db_release_revoke rv = { r, "test", now };
	struct poll_answer ans;

	fx_campaign(r, all, 1, NULL, now);
	/* expired by the time of the poll: devices would refuse it */
	ck_assert_int_eq(poll_decide(&fx, &d, now + 100, &ans), 0);
	ck_assert_int_eq(ans.verdict, POLL_NOTHING);
	ck_assert_int_eq(decide(&d, &ans), POLL_TAKE);
	poll_answer_free(&ans);
	/* another hw class: not in the live campaign's classes */
	d.hw_class = "board-b";
	ck_assert_int_eq(decide(&d, &ans), POLL_NOTHING);
	/* revoked (read past the release cache's few seconds) */
	d.hw_class = "board-a";
	ck_assert_int_eq(db_write(fx.db, db_release_revoke, &rv), DB_OK);
	offers_forget(fx.offers, r);
	ck_assert_int_eq(decide(&d, &ans), POLL_NOTHING);
}
END_TEST

START_TEST(a_newer_version_is_sighted_not_offered)
{
	int64_t r = fx_release("2.0.0", "board-a", now + 86400);
	int64_t id = fx_device("d1", "board-a", "1.0.0");
	int64_t c = fx_campaign(r, all, 1, NULL, now);
	struct poll_device d = dev(id, "d1", "3.0.0", "1.0.0");
	struct poll_answer ans;
	struct db_member m;

	ck_assert_int_eq(decide(&d, &ans), POLL_NOTHING);
	ck_assert_int_eq(ans.nsight, 1);
	ck_assert_int_eq(ans.sight[0], c);
	poll_record(&fx, &d, &ans, now);
	fx_drain();
	fx_member(c, id, &m);
	ck_assert_int_eq(m.state, ROLLOUT_DEV_SUPERSEDED);
}
END_TEST

START_TEST(without_a_declared_version_the_stored_one_decides)
{
	int64_t r = fx_release("2.0.0", "board-a", now + 86400);
	int64_t id = fx_device("d1", "board-a", "1.0.0");
	int64_t c = fx_campaign(r, all, 1, NULL, now);
	struct poll_device d = dev(id, "d1", NULL, "1.0.0");
	struct poll_answer ans;
	struct db_member m;

	ck_assert_int_eq(decide(&d, &ans), POLL_TAKE);
	ck_assert_int_eq(ans.campaign, c);
	poll_answer_free(&ans);
	/* stored on the release: nothing */
	d.stored_fw = "2.0.0";
	ck_assert_int_eq(decide(&d, &ans), POLL_NOTHING);
	/* stored on a newer one: the answer names the sighting, but with no
	 * declared version poll_record writes nothing */
	d.stored_fw = "3.0.0";
	ck_assert_int_eq(decide(&d, &ans), POLL_NOTHING);
	ck_assert_int_eq(ans.nsight, 1);
	poll_record(&fx, &d, &ans, now);
	fx_drain();
	fx_member(c, id, &m);
	ck_assert_int_eq(m.state, ROLLOUT_DEV_PENDING);
}
END_TEST

START_TEST(only_the_open_stage_is_offered)
{
	static const int tiny[] = { 5, 100 };
	int64_t r = fx_release("2.0.0", "board-a", now + 86400);
	int64_t ids[200], c;
	struct db_campaign camp;
	int in = 0;

	for (int i = 0; i < 200; i++) {
		char name[16];

		snprintf(name, sizeof(name), "d%d", i);
		ids[i] = fx_device(name, "board-a", "1.0.0");
	}
	c = fx_campaign(r, tiny, 2, NULL, now);
	ck_assert_int_eq(db_campaign_get(fx.db, c, &camp), DB_OK);
	for (int i = 0; i < 200; i++) {
		char name[16];
		struct poll_device d;
		struct poll_answer ans;
		int want;

		snprintf(name, sizeof(name), "d%d", i);
		d = dev(ids[i], name, "1.0.0", "1.0.0");
		want = rollout_in_stage(rollout_bucket(camp.salt, DB_SALT_LEN,
		    name), 5);
		in += want;
		ck_assert_msg((decide(&d, &ans) == POLL_TAKE) == want,
		    "%s: verdict %d", name, ans.verdict);
		poll_answer_free(&ans);
	}
	/* some in, most out (a 5 % stage of 200) */
	ck_assert(in > 0 && in < 40);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("core_poll");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, nothing_without_offers);
	tcase_add_test(tc, direct_offer_comes_first);
	tcase_add_test(tc, first_offer_is_taken_then_offered_again);
	tcase_add_test(tc, unusable_releases_are_not_offered);
	tcase_add_test(tc, a_newer_version_is_sighted_not_offered);
	tcase_add_test(tc, without_a_declared_version_the_stored_one_decides);
	tcase_add_test(tc, only_the_open_stage_is_offered);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
