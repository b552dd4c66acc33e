/* Shared fixtures for the device-sim suites: a signing world (root,
 * release and online keys), firmware files, factory-fresh devices and
 * signed releases of an image. Header-only so each suite stays one
 * binary. */
#ifndef TESTS_SIMFX_H
#define TESTS_SIMFX_H

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "check_util.h"
#include "device.h"
#include "download.h"
#include "flash.h"
#include "fw.h"
#include "meta.h"
#include "sign/sign.h"
#include "util/util.h"

#define FX_DAY 86400LL
#define FX_HW "board-a"
#define FX_ID "dev-1"

/* Writes onto flash that was not erased that a test makes on purpose;
 * any other fails it (checked when the world is freed). */
static uint64_t fx_violations_expected;

/* The keys of one world; version-1 root written to dir/root.json. */
struct fx_world {
	char dir[256];
	struct sign_key *root, *release, *online;
	uint8_t *root_doc;
	size_t root_len;
};

static inline void
fx_path(const struct fx_world *w, const char *name, char *out, size_t size)
{
	ck_assert_int_eq(util_fmt(out, size, "%s/%s", w->dir, name), 0);
}

/* A root of version v signed by signers[0..n), with the world's roles. */
static inline uint8_t *
fx_root(struct fx_world *w, int64_t v, int64_t expires,
    struct sign_key *const *signers, size_t n, struct sign_key *release,
    size_t *len)
{
	struct sign_root *f = sign_root_new();
	struct sign_key *roles[SIGN_ROLE_COUNT] = { w->root, release,
	    w->online };
	uint8_t *out = NULL;
	char err[256];

	ck_assert_ptr_nonnull(f);
	f->version = v;
	f->expires = expires;
	for (int r = 0; r < SIGN_ROLE_COUNT; r++) {
		struct sign_pubkey pk;

		sign_key_pubkey(roles[r], &pk);
		ck_assert_int_eq(sign_role_add(&f->roles[r], &pk), 0);
		f->roles[r].threshold = 1;
	}
	ck_assert_msg(sign_root_create(f, (const struct sign_key *const *)
	    signers, n, &out, len, err, sizeof(err)) == SIGN_OK, "%s", err);
	sign_root_free(f);
	return out;
}

static inline void
fx_world_init(struct fx_world *w)
{
	char p[512];

	memset(w, 0, sizeof(*w));
	tu_tmpdir(w->dir, sizeof(w->dir));
	w->root = sign_key_generate();
	w->release = sign_key_generate();
	w->online = sign_key_generate();
	ck_assert(w->root && w->release && w->online);
	w->root_doc = fx_root(w, 1, util_now() + 365 * FX_DAY, &w->root, 1,
	    w->release, &w->root_len);
	fx_path(w, "root.json", p, sizeof(p));
	ck_assert_int_eq(util_write_atomic(p, w->root_doc, w->root_len, 0644),
	    0);
}

static inline void
fx_world_free(struct fx_world *w)
{
	/* Any write onto flash that was not erased fails the test. */
	ck_assert_msg(sim_flash_violations() == fx_violations_expected,
	    "%llu writes onto flash that was not erased",
	    (unsigned long long)sim_flash_violations());
	sign_key_free(w->root);
	sign_key_free(w->release);
	sign_key_free(w->online);
	free(w->root_doc);
	tu_rmtree(w->dir);
}

/* Writes a firmware image dir/name behaving as h. */
static inline void
fx_firmware_hdr(const struct fx_world *w, const char *name,
    const struct sim_fw_header *h, uint64_t size)
{
	char p[512], err[256];

	fx_path(w, name, p, sizeof(p));
	ck_assert_msg(sim_fw_make(p, h, size, err, sizeof(err)) == 0, "%s",
	    err);
}

/* Writes a firmware image dir/name. */
static inline void
fx_firmware(const struct fx_world *w, const char *name, const char *version,
    enum sim_fw_behavior b, uint64_t size)
{
	struct sim_fw_header h = { .behavior = b };

	ck_assert_int_eq(util_fmt(h.version, sizeof(h.version), "%s", version),
	    0);
	fx_firmware_hdr(w, name, &h, size);
}

/* A factory-fresh device dir/dev.img running firmware file fw. */
static inline void
fx_device(const struct fx_world *w, const char *fw, int64_t counter,
    int faulty)
{
	char flash[512], root[512], fwp[512], err[256];
	struct sim_factory fac;

	fx_path(w, "dev.img", flash, sizeof(flash));
	fx_path(w, "root.json", root, sizeof(root));
	fx_path(w, fw, fwp, sizeof(fwp));
	fac = (struct sim_factory){ flash, 1024 * 1024, FX_ID, FX_HW, root,
	    fwp, counter, "tok-1", faulty };
	ck_assert_msg(sim_device_init(&fac, err, sizeof(err)) == 0, "%s", err);
}

/* A release of the image file fw made at created, signed by key; the
 * caller frees. */
static inline uint8_t *
fx_release_at(const struct fx_world *w, const char *fw, const char *version,
    int64_t counter, int64_t created, int64_t expires, struct sign_key *key,
    size_t *len)
{
	struct sign_release *f = sign_release_new();
	char p[512], err[256];
	uint8_t *out = NULL;

	ck_assert_ptr_nonnull(f);
	fx_path(w, fw, p, sizeof(p));
	ck_assert_int_eq(sign_sha256_file(p, &f->length, f->sha256), 0);
	memcpy(f->fw_version, version, strlen(version) + 1);
	memcpy(f->hw_classes[0], FX_HW, sizeof(FX_HW));
	f->nhw_classes = 1;
	f->security_counter = counter;
	f->created = created;
	f->expires = expires;
	ck_assert_msg(sign_release_create(f, (const struct sign_key *const *)
	    &key, 1, &out, len, err, sizeof(err)) == SIGN_OK, "%s", err);
	sign_release_free(f);
	return out;
}

/* Flips one bit of the flash file at off, as a bad cell would (not a
 * write: the unit map does not change). */
static inline void
fx_flip(const struct fx_world *w, uint64_t off)
{
	char p[512];
	uint8_t b;
	int fd;

	fx_path(w, "dev.img", p, sizeof(p));
	fd = open(p, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x08;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

/* A release made a day ago; see fx_release_at. */
static inline uint8_t *
fx_release(const struct fx_world *w, const char *fw, const char *version,
    int64_t counter, int64_t expires, struct sign_key *key, size_t *len)
{
	return fx_release_at(w, fw, version, counter, util_now() - FX_DAY,
	    expires, key, len);
}

static inline struct sim_flash *
fx_open(const struct fx_world *w)
{
	char p[512], err[256];
	struct sim_flash *f;

	fx_path(w, "dev.img", p, sizeof(p));
	f = sim_flash_open(p, 0, 0, err, sizeof(err));
	ck_assert_msg(f != NULL, "%s", err);
	return f;
}

static inline struct sim_meta *
fx_load(struct sim_flash *f)
{
	char err[256];
	struct sim_meta *m = sim_meta_load(f, err, sizeof(err));

	ck_assert_msg(m != NULL, "%s", err);
	return m;
}

/* Copies file fw into slot and marks it PENDING with the release rel,
 * as the agent does after a download (without the network). */
static inline void
fx_install(const struct fx_world *w, struct sim_flash *f, struct sim_meta *m,
    int slot, const char *fw, const uint8_t *rel, size_t rel_len)
{
	char p[512], err[256];
	struct sign_release *r = NULL;
	struct sim_slot *s = &m->slot[slot];
	size_t len = 0;
	uint8_t *img;

	fx_path(w, fw, p, sizeof(p));
	img = util_read_file(p, 64 * 1024 * 1024, 0, &len);
	ck_assert_ptr_nonnull(img);
	ck_assert_int_eq(sim_flash_erase(f, sim_meta_slot_offset(m, slot),
	    m->slot_size, err, sizeof(err)), 0);
	ck_assert_int_eq(sim_flash_write(f, sim_meta_slot_offset(m, slot), img,
	    len, err, sizeof(err)), 0);
	free(img);
	{
		struct sign_root *root = NULL;

		ck_assert_int_eq(sign_root_load(m->root, m->root_len, &root,
		    err, sizeof(err)), SIGN_OK);
		ck_assert_int_eq(sign_release_verify(root, rel, rel_len,
		    SIGN_NO_EXPIRY, &r, err, sizeof(err)), SIGN_OK);
		sign_root_free(root);
	}
	sim_slot_clear(s);
	s->state = SIM_SLOT_PENDING;
	memcpy(s->fw_version, r->fw_version, sizeof(s->fw_version));
	s->security_counter = r->security_counter;
	s->length = r->length;
	memcpy(s->sha256, r->sha256, SIGN_SHA256_LEN);
	sign_sha256(rel, rel_len, s->release_sha256);
	ck_assert_int_eq(sim_meta_set_blob(&s->release, &s->release_len, rel,
	    rel_len), 0);
	memcpy(s->campaign, "camp-1", 7);
	s->written = s->length;
	m->attempts_left = SIM_TRIAL_ATTEMPTS;
	sign_release_free(r);
	ck_assert_int_eq(sim_meta_store(f, m, err, sizeof(err)), 0);
}

#endif
