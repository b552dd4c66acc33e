/* The bootloader and the firmware header: trial boots, crashes, fallback,
 * confirm committing the counter, boot-time refusals. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "simfx.h"

static struct fx_world w;

static void
setup(void)
{
	fx_world_init(&w);
	fx_firmware(&w, "v1.bin", "1.0.0", SIM_FW_OK, 30000);
	fx_firmware(&w, "v2.bin", "1.1.0", SIM_FW_OK, 50000);
	fx_firmware(&w, "crash.bin", "1.1.0", SIM_FW_CRASH_ON_BOOT, 50000);
	fx_firmware(&w, "bad.bin", "1.1.0", SIM_FW_SELFTEST_FAIL, 50000);
}

static void
teardown(void)
{
	fx_world_free(&w);
}

START_TEST(header_parsing)
{
	struct sim_fw_header h;
	const char *ok = "OTASIM-FW 1 version=2.3.4-rc.1 behavior=crash-on-boot"
	    "\nrest";
	static const char *const bad[] = {
		"OTASIM-FW 2 version=1.0.0 behavior=ok\n",
		"OTASIM-FW 1 version=1.0 behavior=ok\n",
		"OTASIM-FW 1 version=1.0.0 behavior=fine\n",
		"OTASIM-FW 1 version=1.0.0 behavior=ok",
		"OTASIM-FW 1 behavior=ok version=1.0.0\n",
		"OTASIM-FW 1 version= behavior=ok\n",
		"",
	};

	ck_assert_int_eq(sim_fw_parse_header((const uint8_t *)ok, strlen(ok),
	    &h), 0);
	ck_assert_str_eq(h.version, "2.3.4-rc.1");
	ck_assert_int_eq(h.behavior, SIM_FW_CRASH_ON_BOOT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sim_fw_parse_header((const uint8_t *)bad[i],
		    strlen(bad[i]), &h) != 0, "accepted %s", bad[i]);
	/* The header must come within its cap. */
	ck_assert_int_ne(sim_fw_parse_header((const uint8_t *)ok, 20, &h), 0);
}
END_TEST

START_TEST(degrade_behaviour)
{
	struct sim_fw_header h;
	const char *ok = "OTASIM-FW 1 version=1.2.0 behavior=degrade-after=90\n";
	static const char *const bad[] = { "degrade-after", "degrade-after=",
	    "degrade-after=0", "degrade-after=-5", "degrade-after=2y",
	    "degrade-after=400d", "degrade" };
	char text[SIM_FW_BEHAVIOR_MAX + 1];

	ck_assert_int_eq(sim_fw_parse_header((const uint8_t *)ok, strlen(ok),
	    &h), 0);
	ck_assert_int_eq(h.behavior, SIM_FW_DEGRADE);
	ck_assert_int_eq(h.degrade_after, 90);
	ck_assert_int_eq(sim_fw_behavior_format(&h, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "degrade-after=90");
	ck_assert_int_eq(sim_fw_behavior_parse("degrade-after=15m", &h), 0);
	ck_assert_int_eq(h.degrade_after, 900);
	ck_assert(!sim_fw_degraded(&h, 899));
	ck_assert(sim_fw_degraded(&h, 900));
	ck_assert_int_eq(sim_fw_behavior_parse("ok", &h), 0);
	ck_assert_int_eq(h.degrade_after, 0);
	ck_assert(!sim_fw_degraded(&h, 1000000));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sim_fw_behavior_parse(bad[i], &h) != 0,
		    "accepted %s", bad[i]);
}
END_TEST

START_TEST(images_are_deterministic)
{
	uint8_t a[SIGN_SHA256_LEN], b[SIGN_SHA256_LEN], c[SIGN_SHA256_LEN];
	char p[512];
	uint64_t n;

	fx_firmware(&w, "again.bin", "1.1.0", SIM_FW_OK, 50000);
	fx_path(&w, "again.bin", p, sizeof(p));
	ck_assert_int_eq(sign_sha256_file(p, &n, a), 0);
	ck_assert_uint_eq(n, 50000);
	fx_path(&w, "v2.bin", p, sizeof(p));
	ck_assert_int_eq(sign_sha256_file(p, &n, b), 0);
	fx_path(&w, "bad.bin", p, sizeof(p));
	ck_assert_int_eq(sign_sha256_file(p, &n, c), 0);
	ck_assert_mem_eq(a, b, SIGN_SHA256_LEN);
	ck_assert_int_ne(memcmp(b, c, SIGN_SHA256_LEN), 0);
}
END_TEST

/* A device on v1 (counter ctr0) with fw (version ver, counter ctr)
 * pending in slot B, its release signed by key. */
static void
dev_pending(struct sim_flash **f, struct sim_meta **m, int64_t ctr0,
    const char *fw, const char *ver, int64_t ctr, int faulty,
    struct sign_key *key, int64_t expires)
{
	uint8_t *rel;
	size_t len;

	fx_device(&w, "v1.bin", ctr0, faulty);
	*f = fx_open(&w);
	*m = fx_load(*f);
	rel = fx_release(&w, fw, ver, ctr, expires, key, &len);
	fx_install(&w, *f, *m, 1, fw, rel, len);
	free(rel);
}

static void
dev_close(struct sim_flash *f, struct sim_meta *m)
{
	sim_meta_free(m);
	sim_flash_close(f);
}

/* Flips one bit of slot, as a bad flash cell would. */
static void
corrupt_slot(struct sim_flash *f, const struct sim_meta *m, int slot)
{
	(void)f;
	fx_flip(&w, sim_meta_slot_offset(m, slot) + 4096);
}

START_TEST(factory_boot)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;

	fx_device(&w, "v1.bin", 3, 0);
	f = fx_open(&w);
	m = fx_load(f);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 0);
	ck_assert_int_eq(b.trial, 0);
	ck_assert_str_eq(b.fw.version, "1.0.0");
	ck_assert_int_eq(b.fw.behavior, SIM_FW_OK);
	dev_close(f, m);
}
END_TEST

START_TEST(trial_then_confirm_commits_counter)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sign_root *root = NULL;
	struct sim_boot b;
	char err[256];

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 4, 0, w.release,
	    util_now() + FX_DAY);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 1);
	ck_assert_int_eq(b.trial, 1);
	ck_assert_int_eq(m->attempts_left, SIM_TRIAL_ATTEMPTS - 1);
	ck_assert_int_eq(m->committed_counter, 1);
	ck_assert_int_eq(sim_boot_confirm(f, m, 1, err, sizeof(err)), 0);
	sim_meta_free(m);
	m = fx_load(f);
	ck_assert_int_eq(m->active, 1);
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_CONFIRMED);
	ck_assert_int_eq(m->committed_counter, 4);
	ck_assert_int_eq(m->report.state, SIM_REPORT_CONFIRMED);
	/* The factory image (counter 1) may no longer boot. */
	ck_assert_int_eq(sign_root_load(m->root, m->root_len, &root, err,
	    sizeof(err)), SIGN_OK);
	ck_assert_int_eq(sim_slot_verify(f, m, root, 0, NULL, err,
	    sizeof(err)), SIGN_ERR_ROLLBACK);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 1);
	ck_assert_int_eq(b.trial, 0);
	sign_root_free(root);
	dev_close(f, m);
}
END_TEST

START_TEST(trial_not_recorded_boots_settled)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 4, 0, w.release,
	    util_now() + FX_DAY);
	/* The store of the trial attempt fails (the erase of the other
	 * copy): no trial may run uncounted, the factory image boots. */
	sim_flash_fail_erase(1);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 0);
	ck_assert_int_eq(b.trial, 0);
	ck_assert_ptr_nonnull(strstr(b.why, "flash"));
	sim_meta_free(m);
	/* The pending image waits for the next power-on, attempts intact. */
	m = fx_load(f);
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_PENDING);
	ck_assert_int_eq(m->attempts_left, SIM_TRIAL_ATTEMPTS);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 1);
	ck_assert_int_eq(b.trial, 1);
	dev_close(f, m);
}
END_TEST

/* Boots and expects the factory image after giving up slot B. */
static void
expect_fallback(struct sim_flash *f, struct sim_meta *m, const char *reason)
{
	struct sim_boot b;

	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 0);
	ck_assert_int_eq(b.trial, 0);
	ck_assert_int_eq(b.fell_back, 1);
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_EMPTY);
	ck_assert_int_eq(m->report.state, SIM_REPORT_ROLLED_BACK);
	ck_assert_str_eq(m->report.reason, reason);
	ck_assert_str_eq(m->report.campaign, "camp-1");
	sim_meta_free(m);
	m = fx_load(f);
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_EMPTY);
	ck_assert_int_eq(m->active, 0);
	ck_assert_int_eq(m->committed_counter, 1);
	dev_close(f, m);
}

START_TEST(crash_on_boot_falls_back)
{
	struct sim_flash *f;
	struct sim_meta *m;

	dev_pending(&f, &m, 1, "crash.bin", "1.1.0", 2, 0, w.release,
	    util_now() + FX_DAY);
	ck_assert_uint_eq(m->crash_count, 0);
	sim_meta_free(m);
	expect_fallback(f, fx_load(f), "crash_on_boot");
	f = fx_open(&w);
	m = fx_load(f);
	ck_assert_uint_eq(m->crash_count, SIM_TRIAL_ATTEMPTS);
	dev_close(f, m);
}
END_TEST

START_TEST(faulty_hardware_falls_back)
{
	struct sim_flash *f;
	struct sim_meta *m;

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 2, 1, w.release,
	    util_now() + FX_DAY);
	sim_meta_free(m);
	expect_fallback(f, fx_load(f), "crash_on_boot");
}
END_TEST

START_TEST(unconfirmed_trials_run_out)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 2, 0, w.release,
	    util_now() + FX_DAY);
	/* Power-ons that never reach confirm: each costs an attempt. */
	for (int i = SIM_TRIAL_ATTEMPTS; i > 0; i--) {
		sim_meta_free(m);
		m = fx_load(f);
		ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
		ck_assert_int_eq(b.slot, 1);
		ck_assert_int_eq(b.trial, 1);
		ck_assert_int_eq(m->attempts_left, i - 1);
	}
	sim_meta_free(m);
	expect_fallback(f, fx_load(f), "crash_on_boot");
}
END_TEST

START_TEST(corrupt_pending_refused)
{
	struct sim_flash *f;
	struct sim_meta *m;

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 2, 0, w.release,
	    util_now() + FX_DAY);
	corrupt_slot(f, m, 1);
	sim_meta_free(m);
	expect_fallback(f, fx_load(f), "hash");
}
END_TEST

START_TEST(unsigned_pending_refused)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sign_key *other = sign_key_generate();
	uint8_t *rel;
	size_t len;

	/* fx_install insists on a valid release; swap in a foreign one. */
	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 2, 0, w.release,
	    util_now() + FX_DAY);
	rel = fx_release(&w, "v2.bin", "1.1.0", 2, util_now() + FX_DAY, other,
	    &len);
	ck_assert_int_eq(sim_meta_set_blob(&m->slot[1].release,
	    &m->slot[1].release_len, rel, len), 0);
	{
		char err[256];

		ck_assert_int_eq(sim_meta_store(f, m, err, sizeof(err)), 0);
	}
	free(rel);
	sign_key_free(other);
	sim_meta_free(m);
	expect_fallback(f, fx_load(f), "signature");
}
END_TEST

START_TEST(lower_counter_refused_at_boot)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;

	dev_pending(&f, &m, 5, "v2.bin", "1.1.0", 3, 0, w.release,
	    util_now() + FX_DAY);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 0);
	ck_assert_str_eq(m->report.reason, "rollback");
	ck_assert_int_eq(m->committed_counter, 5);
	dev_close(f, m);
}
END_TEST

START_TEST(confirm_never_lowers_counter)
{
	struct sim_flash *f;
	struct sim_meta *m;
	char err[256];

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 3, 0, w.release,
	    util_now() + FX_DAY);
	m->committed_counter = 9;
	ck_assert_int_eq(sim_boot_confirm(f, m, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(m->committed_counter, 9);
	ck_assert_int_ne(sim_boot_confirm(f, m, 1, err, sizeof(err)), 0);
	dev_close(f, m);
}
END_TEST

START_TEST(expired_release_still_boots)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 2, 0, w.release,
	    util_now() - 10);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 1);
	ck_assert_int_eq(b.trial, 1);
	dev_close(f, m);
}
END_TEST

START_TEST(selftest_fail_rolls_back)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;
	char err[256];

	dev_pending(&f, &m, 1, "bad.bin", "1.1.0", 2, 0, w.release,
	    util_now() + FX_DAY);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.trial, 1);
	ck_assert_int_eq(b.fw.behavior, SIM_FW_SELFTEST_FAIL);
	ck_assert_int_eq(sim_boot_rollback(f, m, 1, "selftest", "failed",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 0);
	ck_assert_int_eq(m->report.state, SIM_REPORT_ROLLED_BACK);
	ck_assert_str_eq(m->report.reason, "selftest");
	dev_close(f, m);
}
END_TEST

START_TEST(corrupt_active_uses_other_slot)
{
	struct sim_flash *f;
	struct sim_meta *m;
	struct sim_boot b;
	char err[256];

	dev_pending(&f, &m, 1, "v2.bin", "1.1.0", 1, 0, w.release,
	    util_now() + FX_DAY);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(sim_boot_confirm(f, m, 1, err, sizeof(err)), 0);
	corrupt_slot(f, m, 1);
	ck_assert_int_eq(sim_boot_run(f, m, &b), 0);
	ck_assert_int_eq(b.slot, 0);
	ck_assert_int_eq(m->active, 0);
	/* And with the factory image gone too, nothing boots. */
	corrupt_slot(f, m, 0);
	ck_assert_int_ne(sim_boot_run(f, m, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.why, "no bootable image"));
	dev_close(f, m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("device-sim boot");
	TCase *tc = tcase_create("boot");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, header_parsing);
	tcase_add_test(tc, degrade_behaviour);
	tcase_add_test(tc, images_are_deterministic);
	tcase_add_test(tc, factory_boot);
	tcase_add_test(tc, trial_then_confirm_commits_counter);
	tcase_add_test(tc, trial_not_recorded_boots_settled);
	tcase_add_test(tc, crash_on_boot_falls_back);
	tcase_add_test(tc, faulty_hardware_falls_back);
	tcase_add_test(tc, unconfirmed_trials_run_out);
	tcase_add_test(tc, corrupt_pending_refused);
	tcase_add_test(tc, unsigned_pending_refused);
	tcase_add_test(tc, lower_counter_refused_at_boot);
	tcase_add_test(tc, confirm_never_lowers_counter);
	tcase_add_test(tc, expired_release_still_boots);
	tcase_add_test(tc, selftest_fail_rolls_back);
	tcase_add_test(tc, corrupt_active_uses_other_slot);
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
