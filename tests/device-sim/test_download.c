/* Downloads into a slot: bounded by the signed length, hashed, resumed
 * with Range after a dropped connection or a restart, read back. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "simfx.h"

#define IMG_SIZE (300 * 1024 + 123)

static struct fx_world w;
static struct sim_flash *f;
static struct sim_meta *m;
static struct sign_release *rel;
static uint8_t *rel_doc, *img;
static size_t rel_len, img_len;

static void
setup(void)
{
	struct sign_root *root = NULL;
	char err[256], p[512];

	fx_world_init(&w);
	fx_firmware(&w, "v1.bin", "1.0.0", SIM_FW_OK, 30000);
	fx_firmware(&w, "v2.bin", "1.1.0", SIM_FW_OK, IMG_SIZE);
	fx_device(&w, "v1.bin", 1, 0);
	f = fx_open(&w);
	m = fx_load(f);
	rel_doc = fx_release(&w, "v2.bin", "1.1.0", 2, util_now() + FX_DAY,
	    w.release, &rel_len);
	ck_assert_int_eq(sign_root_load(m->root, m->root_len, &root, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sign_release_verify(root, rel_doc, rel_len,
	    util_now(), &rel, err, sizeof(err)), SIGN_OK);
	sign_root_free(root);
	fx_path(&w, "v2.bin", p, sizeof(p));
	img = util_read_file(p, 1 << 20, 0, &img_len);
	ck_assert_ptr_nonnull(img);
}

static void
teardown(void)
{
	sim_meta_free(m);
	sim_flash_close(f);
	sign_release_free(rel);
	free(rel_doc);
	free(img);
	fx_world_free(&w);
}

static struct sim_dl *
begin(void)
{
	struct sim_dl_target t = { f, m, 1, rel, rel_doc, rel_len, "camp-7" };
	const char *reason = NULL;
	char err[256];
	struct sim_dl *d = sim_dl_begin(&t, &reason, err, sizeof(err));

	ck_assert_msg(d != NULL, "%s", err);
	return d;
}

/* Feeds img[from, to) as one answer starting at start, in odd chunks. */
static int
feed(struct sim_dl *d, uint64_t start, size_t from, size_t to)
{
	sim_dl_attempt(d);
	while (from < to) {
		size_t n = to - from < 7777 ? to - from : 7777;

		if (sim_dl_feed(d, start, img + from, n) != 0)
			return -1;
		from += n;
	}
	return 0;
}

static void
finish_ok(struct sim_dl *d)
{
	char err[256];

	ck_assert_int_eq(sim_dl_complete(d), 1);
	ck_assert_msg(sim_dl_finish(d, err, sizeof(err)) == SIGN_OK, "%s", err);
	sim_dl_free(d);
}

START_TEST(whole_download)
{
	struct sim_dl *d;
	uint8_t junk[4096], b[16];
	char err[256];
	uint64_t tail = sim_meta_slot_offset(m, 1) + 400 * 1024;

	/* Leftovers of an older, longer image past the new one. */
	memset(junk, 0xa5, sizeof(junk));
	ck_assert_int_eq(sim_flash_write(f, tail, junk, sizeof(junk), err,
	    sizeof(err)), 0);
	d = begin();
	ck_assert_uint_eq(sim_dl_offset(d), 0);
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_WRITING);
	ck_assert_int_eq(m->report.state, SIM_REPORT_DOWNLOADING);
	ck_assert_str_eq(m->report.campaign, "camp-7");
	ck_assert_int_eq(feed(d, 0, 0, img_len), 0);
	finish_ok(d);
	ck_assert_int_eq(sim_flash_read(f, tail, b, sizeof(b), err,
	    sizeof(err)), 0);
	ck_assert_int_eq(b[0], SIM_FLASH_ERASED);
}
END_TEST

START_TEST(dropped_connection_resumes)
{
	struct sim_dl *d = begin();
	char err[256];

	ck_assert_int_eq(feed(d, 0, 0, 200 * 1024), 0);
	ck_assert_int_eq(sim_dl_complete(d), 0);
	ck_assert_int_eq(sim_dl_interrupted(d, err, sizeof(err)), 0);
	/* Only whole written pages count; they are recorded durably. */
	ck_assert_uint_eq(sim_dl_offset(d), 3 * SIM_DL_PAGE);
	ck_assert_uint_eq(m->slot[1].written, 3 * SIM_DL_PAGE);
	ck_assert_int_eq(feed(d, 3 * SIM_DL_PAGE, 3 * SIM_DL_PAGE, img_len),
	    0);
	finish_ok(d);
}
END_TEST

START_TEST(restart_resumes_same_release)
{
	struct sim_dl *d = begin();
	char err[256];

	ck_assert_int_eq(feed(d, 0, 0, 150 * 1024), 0);
	ck_assert_int_eq(sim_dl_interrupted(d, err, sizeof(err)), 0);
	sim_dl_free(d);
	/* Power off: all that is left is what the flash holds. */
	sim_meta_free(m);
	m = fx_load(f);
	ck_assert_uint_eq(m->slot[1].written, 2 * SIM_DL_PAGE);
	d = begin();
	ck_assert_int_eq(sim_dl_resumed(d), 1);
	ck_assert_uint_eq(sim_dl_offset(d), 2 * SIM_DL_PAGE);
	ck_assert_int_eq(feed(d, 2 * SIM_DL_PAGE, 2 * SIM_DL_PAGE, img_len),
	    0);
	finish_ok(d);
}
END_TEST

START_TEST(power_cut_resume_erases_first)
{
	struct sim_dl *d = begin();

	/* Three pages written, none recorded: the power goes before a
	 * checkpoint. They are programmed, so the resume must erase. */
	ck_assert_int_eq(feed(d, 0, 0, 200 * 1024), 0);
	sim_dl_free(d);
	sim_meta_free(m);
	m = fx_load(f);
	ck_assert_uint_eq(m->slot[1].written, 0);
	d = begin();
	ck_assert_uint_eq(sim_dl_offset(d), 0);
	ck_assert_int_eq(feed(d, 0, 0, img_len), 0);
	finish_ok(d);
}
END_TEST

START_TEST(other_release_starts_over)
{
	struct sim_dl *d = begin();
	char err[256];

	ck_assert_int_eq(feed(d, 0, 0, 150 * 1024), 0);
	ck_assert_int_eq(sim_dl_interrupted(d, err, sizeof(err)), 0);
	sim_dl_free(d);
	m->slot[1].release_sha256[0] ^= 1;
	d = begin();
	ck_assert_int_eq(sim_dl_resumed(d), 0);
	ck_assert_uint_eq(sim_dl_offset(d), 0);
	ck_assert_uint_eq(m->slot[1].written, 0);
	sim_dl_free(d);
}
END_TEST

START_TEST(range_ignored_restarts)
{
	struct sim_dl *d = begin();
	char err[256];

	ck_assert_int_eq(feed(d, 0, 0, 100 * 1024), 0);
	ck_assert_int_eq(sim_dl_interrupted(d, err, sizeof(err)), 0);
	/* A 200 answer to a Range request: the whole file again. */
	ck_assert_int_eq(feed(d, 0, 0, img_len), 0);
	finish_ok(d);
}
END_TEST

START_TEST(wrong_start_refused)
{
	struct sim_dl *d = begin();

	ck_assert_int_eq(feed(d, 0, 0, 100 * 1024), 0);
	ck_assert_int_ne(feed(d, 4096, 4096, 8192), 0);
	ck_assert_int_eq(sim_dl_over(d), 0);
	sim_dl_free(d);
}
END_TEST

START_TEST(more_than_length_refused)
{
	struct sim_dl *d = begin();
	uint8_t extra = 'x';

	ck_assert_int_eq(feed(d, 0, 0, img_len), 0);
	ck_assert_int_ne(sim_dl_feed(d, 0, &extra, 1), 0);
	ck_assert_int_eq(sim_dl_over(d), 1);
	sim_dl_free(d);
}
END_TEST

START_TEST(changed_bytes_refused)
{
	struct sim_dl *d = begin();
	char err[256];

	img[img_len / 2] ^= 0x10;
	ck_assert_int_eq(feed(d, 0, 0, img_len), 0);
	ck_assert_int_eq(sim_dl_finish(d, err, sizeof(err)), SIGN_ERR_HASH);
	sim_dl_free(d);
}
END_TEST

START_TEST(too_big_for_slot)
{
	struct sim_dl_target t = { f, m, 1, rel, rel_doc, rel_len, "c" };
	const char *reason = NULL;
	char err[256];

	rel->length = m->slot_size + 1;
	ck_assert_ptr_null(sim_dl_begin(&t, &reason, err, sizeof(err)));
	ck_assert_str_eq(reason, "length");
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_EMPTY);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("device-sim download");
	TCase *tc = tcase_create("download");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, whole_download);
	tcase_add_test(tc, dropped_connection_resumes);
	tcase_add_test(tc, restart_resumes_same_release);
	tcase_add_test(tc, power_cut_resume_erases_first);
	tcase_add_test(tc, other_release_starts_over);
	tcase_add_test(tc, range_ignored_restarts);
	tcase_add_test(tc, wrong_start_refused);
	tcase_add_test(tc, more_than_length_refused);
	tcase_add_test(tc, changed_bytes_refused);
	tcase_add_test(tc, too_big_for_slot);
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
