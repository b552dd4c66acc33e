/* Check suite for sign_random_id: the per-thread pool gives every caller
 * different bytes, across its refills and across threads, and any length
 * up to its bound and past it. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "sign/crypto.h"

#define ID_LEN 12
/* Past three refills of the 4 KiB pool. */
#define MANY 1200

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, ID_LEN);
}

/* MANY ids of one thread, sorted, and whether two were equal. */
static int
repeats(uint8_t (*ids)[ID_LEN])
{
	for (int i = 0; i < MANY; i++)
		sign_random_id(ids[i], ID_LEN);
	qsort(ids, MANY, ID_LEN, cmp_id);
	for (int i = 1; i < MANY; i++)
		if (memcmp(ids[i - 1], ids[i], ID_LEN) == 0)
			return 1;
	return 0;
}

START_TEST(distinct_across_refills)
{
	static uint8_t ids[MANY][ID_LEN];

	ck_assert_int_eq(repeats(ids), 0);
}
END_TEST

static void *
draw(void *arg)
{
	sign_random_id(arg, ID_LEN);
	return NULL;
}

/* Each thread has its own pool: were it shared without a lock, or seeded
 * alike, two threads' first ids would be equal. */
START_TEST(distinct_across_threads)
{
	uint8_t a[ID_LEN], b[ID_LEN], mine[ID_LEN];
	pthread_t t1, t2;

	ck_assert_int_eq(pthread_create(&t1, NULL, draw, a), 0);
	ck_assert_int_eq(pthread_create(&t2, NULL, draw, b), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	sign_random_id(mine, ID_LEN);
	ck_assert(memcmp(a, b, ID_LEN) != 0);
	ck_assert(memcmp(a, mine, ID_LEN) != 0);
	ck_assert(memcmp(b, mine, ID_LEN) != 0);
}
END_TEST

/* Every byte of a long id is written, past the pool's bound as well. */
START_TEST(lengths)
{
	static const size_t lens[] = { 1, 64, 65, 4096, 5000 };
	static uint8_t buf[5000], zero[5000];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int nonzero = 0;

		memset(buf, 0, sizeof(buf));
		/* Drawn until a nonzero last byte: 1 in 256 is zero. */
		for (int k = 0; k < 8 && !nonzero; k++) {
			sign_random_id(buf, lens[i]);
			nonzero = buf[lens[i] - 1] != 0;
		}
		ck_assert(nonzero);
		ck_assert(memcmp(buf + lens[i], zero, sizeof(buf) - lens[i]) ==
		    0);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sign_random_id");
	TCase *tc = tcase_create("core");

	if (sign_init() != 0)
		return 1;
	tcase_add_test(tc, distinct_across_refills);
	tcase_add_test(tc, distinct_across_threads);
	tcase_add_test(tc, lengths);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
