/* Check suite for src/rollout/webhook.c: the backoff of failed webhook
 * deliveries and what an attempt comes to (delivered, retry, dead). */
#include <stdint.h>

#include "check_util.h"
#include "rollout/rollout.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_backoff)
{
	static const struct {
		int attempts;
		int64_t base, max, wait;
	} t[] = {
		{ 1, 5, 3600, 5 }, { 2, 5, 3600, 10 }, { 3, 5, 3600, 20 },
		{ 10, 5, 3600, 2560 }, { 11, 5, 3600, 3600 },	/* capped */
		{ 1000, 5, 3600, 3600 },	/* no overflow */
		{ 1, 1, 2, 1 }, { 2, 1, 2, 2 }, { 3, 1, 2, 2 },
		{ 0, 5, 3600, 5 },		/* nonsense: the first wait */
		{ 1, 0, 3600, 1 },		/* a base of 0: 1 s */
		{ 1, 10, 5, 5 },		/* max below base: max */
		{ 1, 10, 0, 1 },
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_webhook_backoff(t[i].attempts, t[i].base,
		    t[i].max) == t[i].wait, "case %zu: %lld", i,
		    (long long)rollout_webhook_backoff(t[i].attempts, t[i].base,
		    t[i].max));
}
END_TEST

START_TEST(test_verdict)
{
	static const struct {
		int attempts, max_tries, status, sent, verdict;
	} t[] = {
		{ 1, 3, 200, 1, ROLLOUT_HOOK_DELIVERED },
		{ 1, 3, 204, 1, ROLLOUT_HOOK_DELIVERED },
		{ 3, 3, 299, 1, ROLLOUT_HOOK_DELIVERED },	/* the last try */
		{ 1, 3, 500, 1, ROLLOUT_HOOK_RETRY },
		{ 1, 3, 301, 1, ROLLOUT_HOOK_RETRY },		/* not followed */
		{ 1, 3, 404, 1, ROLLOUT_HOOK_RETRY },
		{ 2, 3, 0, 0, ROLLOUT_HOOK_RETRY },		/* no answer */
		{ 3, 3, 500, 1, ROLLOUT_HOOK_DEAD },
		{ 3, 3, 0, 0, ROLLOUT_HOOK_DEAD },
		{ 7, 3, 0, 0, ROLLOUT_HOOK_DEAD },
		{ 1, 1, 503, 1, ROLLOUT_HOOK_DEAD },
		{ 1, 3, 200, 0, ROLLOUT_HOOK_RETRY },		/* not sent */
	};

	for (size_t i = 0; i < N_ELEM(t); i++)
		ck_assert_msg(rollout_webhook_verdict(t[i].attempts,
		    t[i].max_tries, t[i].status, t[i].sent) == t[i].verdict,
		    "case %zu", i);
}
END_TEST

/* Property: the wait never shrinks from one failure to the next and
 * never passes the cap. */
START_TEST(test_backoff_monotone)
{
	for (int64_t base = 1; base < 100; base += 7)
		for (int64_t max = 1; max < 5000; max += 333) {
			int64_t prev = 0;

			for (int a = 1; a < 40; a++) {
				int64_t w = rollout_webhook_backoff(a, base, max);

				ck_assert(w >= prev && w <= max && w >= 1);
				prev = w;
			}
		}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollout_webhook");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_verdict);
	tcase_add_test(tc, test_backoff_monotone);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
