/* campaigns: the live-campaign cache, reloaded by one poll while others
 * read it (meant for make TSAN=1 check, which reports any data race). */
#include <pthread.h>
#include <stdatomic.h>

#include "check_util.h"
#include "db/db.h"
#include "core/campaigns.h"
#include "core/core.h"
#include "core/poll.h"
#include "sign/crypto.h"

#define POLLERS 4
#define POLLS 3000

static struct core core;
static atomic_int stop;

static void *
poller(void *arg)
{
	char id[32];
	struct poll_device d = { 1, id, "board-none", "1.0.0", "1.0.0", NULL, 0,
	    ROLLOUT_DEV_OFFERED };
	struct poll_answer ans;

	snprintf(id, sizeof(id), "dev-%d", (int)(intptr_t)arg);
	for (int i = 0; i < POLLS; i++) {
		/* Every poll sees a new second: the cache reloads often. */
		ck_assert_int_eq(poll_decide(&core, &d, 1000000 + i * 10, &ans),
		    0);
		ck_assert_int_eq(ans.verdict, POLL_NOTHING);
	}
	return NULL;
}

static void *
changer(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		campaigns_changed(core.campaigns);
	return NULL;
}

START_TEST(reload_races_no_reader)
{
	char dir[256], path[400], err[512];
	pthread_t t[POLLERS], ch;

	ck_assert_int_eq(sign_init(), 0);
	tu_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	core.db = db_open(path, POLLERS + 1, err, sizeof(err));
	ck_assert_msg(core.db != NULL, "%s", err);
	core.campaigns = campaigns_new(core.db, 0, 5);
	ck_assert_ptr_nonnull(core.campaigns);
	ck_assert_int_eq(pthread_create(&ch, NULL, changer, NULL), 0);
	for (intptr_t i = 0; i < POLLERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, poller, (void *)i), 0);
	for (int i = 0; i < POLLERS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(ch, NULL);
	campaigns_free(core.campaigns);
	db_close(core.db);
	tu_rmtree(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("campaigns_cache");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reload_races_no_reader);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
