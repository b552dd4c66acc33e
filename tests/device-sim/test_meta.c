/* Metadata copies: encoding round trip, the two-copy store with sequence
 * numbers, and every torn or corrupt copy falling back to the other. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simfx.h"

static struct fx_world w;

static void
setup(void)
{
	fx_world_init(&w);
	fx_firmware(&w, "fw.bin", "1.0.0", SIM_FW_OK, 20000);
	fx_device(&w, "fw.bin", 5, 0);
}

static void
teardown(void)
{
	fx_world_free(&w);
}

START_TEST(round_trip)
{
	struct sim_flash *f = fx_open(&w);
	struct sim_meta *m = fx_load(f), *d;
	size_t len = 0;
	uint8_t *buf;

	m->report.state = SIM_REPORT_ROLLED_BACK;
	memcpy(m->report.reason, "selftest", 9);
	memcpy(m->slot[1].campaign, "c-9", 4);
	ck_assert_int_eq(sim_meta_set_blob(&m->slot[1].release,
	    &m->slot[1].release_len, (const uint8_t *)"{}", 2), 0);
	buf = sim_meta_encode(m, &len);
	ck_assert_ptr_nonnull(buf);
	d = sim_meta_decode(buf, len);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->device_id, FX_ID);
	ck_assert_str_eq(d->hw_class, FX_HW);
	ck_assert_str_eq(d->token, "tok-1");
	ck_assert_int_eq(d->committed_counter, 5);
	ck_assert_int_eq(d->slot[0].state, SIM_SLOT_FACTORY);
	ck_assert_str_eq(d->slot[0].fw_version, "1.0.0");
	ck_assert_uint_eq(d->slot[0].length, 20000);
	ck_assert_mem_eq(d->slot[0].sha256, m->slot[0].sha256, 32);
	ck_assert_uint_eq(d->root_len, w.root_len);
	ck_assert_int_eq(d->report.state, SIM_REPORT_ROLLED_BACK);
	ck_assert_str_eq(d->report.reason, "selftest");
	ck_assert_str_eq(d->slot[1].campaign, "c-9");
	ck_assert_uint_eq(d->slot[1].release_len, 2);
	/* The factory set the time floor from its clock. */
	ck_assert_int_le(d->time_floor, util_now());
	ck_assert_int_gt(d->time_floor, util_now() - 600);
	ck_assert_int_eq(d->time_floor, m->time_floor);
	/* Any flipped byte, and any cut, is refused. */
	for (size_t i = 0; i < len; i += 97) {
		buf[i] ^= 0x40;
		ck_assert_ptr_null(sim_meta_decode(buf, len));
		buf[i] ^= 0x40;
	}
	ck_assert_ptr_null(sim_meta_decode(buf, len - 1));
	ck_assert_ptr_null(sim_meta_decode(buf, 10));
	sim_meta_free(d);
	free(buf);
	sim_meta_free(m);
	sim_flash_close(f);
}
END_TEST

START_TEST(format_1_still_read)
{
	struct sim_flash *f = fx_open(&w);
	struct sim_meta *m = fx_load(f), *d;
	size_t len = 0;
	uint8_t *buf, sum[SIGN_SHA256_LEN];

	/* A copy as format 1 wrote it: no time floor before the checksum. */
	m->time_floor = 777;
	m->crash_count = 9;
	buf = sim_meta_encode(m, &len);
	ck_assert_ptr_nonnull(buf);
	len -= 8;
	buf[8] = 1;
	buf[12] = (uint8_t)len;
	buf[13] = (uint8_t)(len >> 8);
	buf[14] = (uint8_t)(len >> 16);
	buf[15] = (uint8_t)(len >> 24);
	sign_sha256(buf, len - SIGN_SHA256_LEN, sum);
	memcpy(buf + len - SIGN_SHA256_LEN, sum, SIGN_SHA256_LEN);
	d = sim_meta_decode(buf, len);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->crash_count, 9);
	ck_assert_int_eq(d->time_floor, 0);
	/* A format from the future is not read. */
	buf[8] = SIM_META_FORMAT + 1;
	ck_assert_ptr_null(sim_meta_decode(buf, len));
	sim_meta_free(d);
	free(buf);
	sim_meta_free(m);
	sim_flash_close(f);
}
END_TEST

START_TEST(copies_alternate)
{
	struct sim_flash *f = fx_open(&w);
	struct sim_meta *m = fx_load(f);
	char err[256];
	uint64_t seq = m->seq;

	ck_assert_int_eq(m->copy, 0);
	for (int i = 1; i <= 4; i++) {
		m->crash_count = (uint32_t)i;
		ck_assert_int_eq(sim_meta_store(f, m, err, sizeof(err)), 0);
		ck_assert_int_eq(m->copy, i % 2);
		ck_assert_uint_eq(m->seq, seq + (uint64_t)i);
	}
	sim_meta_free(m);
	m = fx_load(f);
	ck_assert_uint_eq(m->crash_count, 4);
	ck_assert_uint_eq(m->seq, seq + 4);
	sim_meta_free(m);
	sim_flash_close(f);
}
END_TEST

/* Corrupts one byte of copy i. */
static void
corrupt_copy(struct sim_flash *f, int i, uint64_t at)
{
	(void)f;
	fx_flip(&w, (uint64_t)i * SIM_META_COPY_SIZE + at);
}

START_TEST(corrupt_newest_falls_back)
{
	struct sim_flash *f = fx_open(&w);
	struct sim_meta *m = fx_load(f);
	char err[256];

	m->crash_count = 7;
	ck_assert_int_eq(sim_meta_store(f, m, err, sizeof(err)), 0);
	ck_assert_int_eq(m->copy, 1);
	sim_meta_free(m);
	corrupt_copy(f, 1, 200);
	m = fx_load(f);
	ck_assert_int_eq(m->copy, 0);
	ck_assert_uint_eq(m->crash_count, 0);
	/* The next store goes over the corrupt copy, not the good one. */
	m->crash_count = 8;
	ck_assert_int_eq(sim_meta_store(f, m, err, sizeof(err)), 0);
	ck_assert_int_eq(m->copy, 1);
	sim_meta_free(m);
	m = fx_load(f);
	ck_assert_uint_eq(m->crash_count, 8);
	sim_meta_free(m);
	/* Both bad: no metadata at all. */
	corrupt_copy(f, 0, 100);
	corrupt_copy(f, 1, 100);
	ck_assert_ptr_null(sim_meta_load(f, err, sizeof(err)));
	ck_assert_str_eq(err, "no valid metadata copy");
	sim_flash_close(f);
}
END_TEST

/* Runs a store in a child that loses power at its n-th flash operation;
 * 1 when it was cut. */
static int
cut_store(int n, uint32_t value)
{
	pid_t pid = fork();
	int st = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sim_flash *f = fx_open(&w);
		struct sim_meta *m = fx_load(f);
		char err[256];

		sim_flash_cut_after((uint64_t)n);
		m->crash_count = value;
		_exit(sim_meta_store(f, m, err, sizeof(err)) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st) == SIM_FLASH_CUT_STATUS;
}

START_TEST(torn_store_keeps_old_state)
{
	struct sim_flash *f;
	struct sim_meta *m;

	/* Cut at the erase, then at the write (half written). */
	for (int n = 1; n <= 2; n++) {
		ck_assert_int_eq(cut_store(n, 40 + (uint32_t)n), 1);
		f = fx_open(&w);
		m = fx_load(f);
		ck_assert_uint_eq(m->crash_count, 0);
		ck_assert_str_eq(m->device_id, FX_ID);
		sim_meta_free(m);
		sim_flash_close(f);
	}
	ck_assert_int_eq(cut_store(3, 99), 0);
	f = fx_open(&w);
	m = fx_load(f);
	ck_assert_uint_eq(m->crash_count, 99);
	sim_meta_free(m);
	sim_flash_close(f);
}
END_TEST

START_TEST(flash_rules)
{
	struct sim_flash *f = fx_open(&w);
	uint8_t b[64] = { 1 };
	char err[256];
	uint64_t ops = sim_flash_ops();

	ck_assert_int_ne(sim_flash_write(f, 3, b, 16, err, sizeof(err)), 0);
	ck_assert_int_ne(sim_flash_erase(f, 100, 4096, err, sizeof(err)), 0);
	ck_assert_int_ne(sim_flash_erase(f, 0, 100, err, sizeof(err)), 0);
	ck_assert_int_ne(sim_flash_read(f, sim_flash_size(f) - 8, b, 16, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(sim_flash_ops(), ops);
	ck_assert_int_eq(sim_flash_erase(f, SIM_META_AREA, 4096, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_write(f, SIM_META_AREA, b, 5, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_erase(f, SIM_META_AREA, 4096, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(sim_flash_ops(), ops + 3);
	ck_assert_int_eq(sim_flash_read(f, SIM_META_AREA, b, 16, err,
	    sizeof(err)), 0);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(b[i], SIM_FLASH_ERASED);
	sim_flash_close(f);
}
END_TEST

/* Slot B of a fresh device: never written, so erased. */
static uint64_t
slot_b(void)
{
	return SIM_META_AREA + 1024 * 1024;
}

START_TEST(writes_need_erase)
{
	struct sim_flash *f = fx_open(&w);
	uint64_t base = slot_b();
	uint8_t b[64];
	char err[256];

	memset(b, 0x5a, sizeof(b));
	/* 40 bytes fill three units (the last padded); the next is free. */
	ck_assert_int_eq(sim_flash_write(f, base, b, 40, err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_write(f, base + 48, b, 16, err,
	    sizeof(err)), 0);
	/* The padded unit is programmed too, and the same bytes again are
	 * no exception: real flash refuses a second write. */
	ck_assert_int_ne(sim_flash_write(f, base + 32, b, 16, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "not erased"));
	ck_assert_int_ne(sim_flash_write(f, base, b, 40, err, sizeof(err)), 0);
	ck_assert_uint_eq(sim_flash_violations(), 2);
	/* The map outlives the process that wrote. */
	sim_flash_close(f);
	f = fx_open(&w);
	ck_assert_int_ne(sim_flash_write(f, base + 48, b, 16, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(sim_flash_violations(), 3);
	fx_violations_expected = 3;
	/* An erase makes the block writable again, and only that block. */
	ck_assert_int_eq(sim_flash_write(f, base + 4096, b, 16, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_erase(f, base, 4096, err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_write(f, base, b, 64, err, sizeof(err)), 0);
	ck_assert_int_ne(sim_flash_write(f, base + 4096, b, 16, err,
	    sizeof(err)), 0);
	fx_violations_expected = 4;
	sim_flash_close(f);
}
END_TEST

START_TEST(injected_faults)
{
	struct sim_flash *f = fx_open(&w);
	uint64_t base = slot_b();
	uint8_t b[16] = { 7 }, r[16];
	char err[256];

	/* The second write from now fails, once. */
	sim_flash_fail_write(2);
	ck_assert_int_eq(sim_flash_write(f, base, b, 16, err, sizeof(err)), 0);
	ck_assert_int_ne(sim_flash_write(f, base + 16, b, 16, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "injected"));
	ck_assert_int_eq(sim_flash_write(f, base + 32, b, 16, err,
	    sizeof(err)), 0);
	/* What a failed write touched is not erased: erase before again. */
	ck_assert_int_ne(sim_flash_write(f, base + 16, b, 16, err,
	    sizeof(err)), 0);
	fx_violations_expected = 1;
	/* The first erase from now fails and erases nothing. */
	sim_flash_fail_erase(1);
	ck_assert_int_ne(sim_flash_erase(f, base, 4096, err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_read(f, base, r, 16, err, sizeof(err)), 0);
	ck_assert_int_eq(r[0], 7);
	ck_assert_int_eq(sim_flash_erase(f, base, 4096, err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_write(f, base + 16, b, 16, err,
	    sizeof(err)), 0);
	/* A bad region: everything touching it fails, the rest works. */
	sim_flash_bad_region(SIM_META_COPY_SIZE, 4096);
	ck_assert_int_ne(sim_flash_erase(f, SIM_META_COPY_SIZE, 8192, err,
	    sizeof(err)), 0);
	ck_assert_int_ne(sim_flash_write(f, SIM_META_COPY_SIZE + 4080, b, 16,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_erase(f, SIM_META_COPY_SIZE + 4096, 4096,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_write(f, SIM_META_COPY_SIZE + 4096, b, 16,
	    err, sizeof(err)), 0);
	sim_flash_bad_region(0, 0);
	ck_assert_int_eq(sim_flash_erase(f, SIM_META_COPY_SIZE, 4096, err,
	    sizeof(err)), 0);
	sim_flash_close(f);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("device-sim meta");
	TCase *tc = tcase_create("meta");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, format_1_still_read);
	tcase_add_test(tc, copies_alternate);
	tcase_add_test(tc, corrupt_newest_falls_back);
	tcase_add_test(tc, torn_store_keeps_old_state);
	tcase_add_test(tc, flash_rules);
	tcase_add_test(tc, writes_need_erase);
	tcase_add_test(tc, injected_faults);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sign_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
