/* campaigns: the live-campaign cache, reloaded by one poll while others
 * read it (meant for make TSAN=1 check, which reports any data race). */
#include <pthread.h>
#include <stdatomic.h>

#include "check_util.h"
#include "db/db.h"
#include "api/api.h"
#include "core/campaigns.h"
#include "sign/crypto.h"

#define POLLERS 4
#define POLLS 3000

static struct srv srv;
static atomic_int stop;

static void *
poller(void *arg)
{
	struct api_req a = { .srv = &srv };
	intptr_t n = (intptr_t)arg;

	snprintf(a.who.hw_class, sizeof(a.who.hw_class), "board-none");
	snprintf(a.who.device_id, sizeof(a.who.device_id), "dev-%d", (int)n);
	for (int i = 0; i < POLLS; i++) {
		/* Every poll sees a new second: the cache reloads often. */
		ck_assert_int_eq(campaigns_offer(&a, "1.0.0", NULL, "nonce-0001",
		    1000000 + i * 10), 0);
	}
	return NULL;
}

static void *
changer(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		campaigns_changed(srv.campaigns);
	return NULL;
}

START_TEST(reload_races_no_reader)
{
	char dir[256], path[400], err[512];
	pthread_t t[POLLERS], ch;

	ck_assert_int_eq(sign_init(), 0);
	tu_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	srv.db = db_open(path, POLLERS + 1, err, sizeof(err));
	ck_assert_msg(srv.db != NULL, "%s", err);
	srv.campaigns = campaigns_new(srv.db, 0);
	ck_assert_ptr_nonnull(srv.campaigns);
	ck_assert_int_eq(pthread_create(&ch, NULL, changer, NULL), 0);
	for (intptr_t i = 0; i < POLLERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, poller, (void *)i), 0);
	for (int i = 0; i < POLLERS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(ch, NULL);
	campaigns_free(srv.campaigns);
	db_close(srv.db);
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
