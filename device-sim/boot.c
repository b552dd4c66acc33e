/* The bootloader logic and the end of a trial. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "util/util.h"

#define HASH_CHUNK (1 << 20)
/* Power-ons one sim_boot_run may go through (crashes reset the device). */
#define BOOT_TRIES (2 * SIM_TRIAL_ATTEMPTS + 4)

int
sim_slot_hash_into(struct sim_flash *f, const struct sim_meta *m, int slot,
    uint64_t off, uint64_t len, struct sign_sha256 *h, char *err,
    size_t errlen)
{
	uint64_t base = sim_meta_slot_offset(m, slot) + off, done = 0;
	uint8_t *buf = malloc(HASH_CHUNK);
	int rc = -1;

	if (buf == NULL || off > m->slot_size || len > m->slot_size - off) {
		(void)util_fmt(err, errlen, "cannot hash slot %c",
		    sim_slot_letter(slot));
		goto out;
	}
	while (done < len) {
		size_t n = len - done < HASH_CHUNK ? (size_t)(len - done) :
		    HASH_CHUNK;

		if (sim_flash_read(f, base + done, buf, n, err, errlen) != 0)
			goto out;
		sign_sha256_update(h, buf, n);
		done += n;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int
sim_slot_hash(struct sim_flash *f, const struct sim_meta *m, int slot,
    uint64_t len, uint8_t out[SIGN_SHA256_LEN], char *err, size_t errlen)
{
	struct sign_sha256 *h = sign_sha256_new();
	int rc = -1;

	if (h == NULL) {
		(void)util_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (sim_slot_hash_into(f, m, slot, 0, len, h, err, errlen) == 0) {
		sign_sha256_final(h, out);
		rc = 0;
	}
	sign_sha256_free(h);
	return rc;
}

/* The stored release of a slot, verified and matching the slot. */
static enum sign_result
verify_release(const struct sim_meta *m, const struct sign_root *root,
    const struct sim_slot *s, char *err, size_t errlen)
{
	struct sign_release *rel = NULL;
	enum sign_result r;

	r = sign_release_verify(root, s->release, s->release_len,
	    SIGN_NO_EXPIRY, &rel, err, errlen);
	if (r == SIGN_OK && !sign_release_has_hw_class(rel, m->hw_class))
		r = SIGN_ERR_INCOMPATIBLE;
	if (r == SIGN_OK && (rel->length != s->length ||
	    !sign_memeq(rel->sha256, s->sha256, SIGN_SHA256_LEN) ||
	    rel->security_counter != s->security_counter))
		r = SIGN_ERR_FORMAT;
	if (r != SIGN_OK && r != SIGN_ERR_SIGNATURE &&
	    r != SIGN_ERR_THRESHOLD && r != SIGN_ERR_FORMAT)
		(void)util_fmt(err, errlen, "stored release does not fit "
		    "the slot");
	sign_release_free(rel);
	return r;
}

/* Reads the image header; an image without one crashes on boot. */
static void
read_header(struct sim_flash *f, const struct sim_meta *m, int slot,
    struct sim_fw_header *hdr)
{
	uint8_t buf[SIM_FW_HEADER_MAX];
	const struct sim_slot *s = &m->slot[slot];
	size_t n = s->length < sizeof(buf) ? (size_t)s->length : sizeof(buf);
	char err[128];

	if (sim_flash_read(f, sim_meta_slot_offset(m, slot), buf, n, err,
	    sizeof(err)) != 0 || sim_fw_parse_header(buf, n, hdr) != 0) {
		memset(hdr, 0, sizeof(*hdr));
		hdr->behavior = SIM_FW_CRASH_ON_BOOT;
	}
}

static int
bootable_state(enum sim_slot_state st)
{
	return st == SIM_SLOT_PENDING || st == SIM_SLOT_CONFIRMED ||
	    st == SIM_SLOT_FACTORY;
}

enum sign_result
sim_slot_verify(struct sim_flash *f, const struct sim_meta *m,
    const struct sign_root *root, int slot, struct sim_fw_header *hdr,
    char *err, size_t errlen)
{
	const struct sim_slot *s = &m->slot[slot];
	uint8_t digest[SIGN_SHA256_LEN];
	enum sign_result r = SIGN_OK;

	if (!bootable_state(s->state) || s->length == 0 ||
	    s->length > m->slot_size) {
		(void)util_fmt(err, errlen, "slot %c is %s",
		    sim_slot_letter(slot), sim_slot_state_name(s->state));
		return SIGN_ERR_FORMAT;
	}
	if (s->state != SIM_SLOT_FACTORY)
		r = verify_release(m, root, s, err, errlen);
	/* A confirmed image was verified when installed; a later root that
	 * rotated its release key out must not brick the device, so it
	 * stays bootable on its recorded hash. A pending one may not. */
	if (s->state == SIM_SLOT_CONFIRMED &&
	    (r == SIGN_ERR_SIGNATURE || r == SIGN_ERR_THRESHOLD))
		r = SIGN_OK;
	if (r == SIGN_OK && s->security_counter < m->committed_counter) {
		(void)util_fmt(err, errlen, "slot %c has security counter "
		    "%lld, below the committed %lld", sim_slot_letter(slot),
		    (long long)s->security_counter,
		    (long long)m->committed_counter);
		r = SIGN_ERR_ROLLBACK;
	}
	if (r == SIGN_OK && sim_slot_hash(f, m, slot, s->length, digest, err,
	    errlen) != 0)
		r = SIGN_ERR_IO;
	if (r == SIGN_OK && !sign_memeq(digest, s->sha256, SIGN_SHA256_LEN)) {
		(void)util_fmt(err, errlen, "slot %c does not hash to its "
		    "recorded sha256", sim_slot_letter(slot));
		r = SIGN_ERR_HASH;
	}
	if (r == SIGN_OK && hdr != NULL)
		read_header(f, m, slot, hdr);
	return r;
}

void
sim_meta_set_report(struct sim_meta *m, enum sim_report_state state,
    const char *campaign, const uint8_t release_sha256[SIGN_SHA256_LEN],
    const char *reason, const char *detail)
{
	struct sim_report *r = &m->report;

	memset(r, 0, sizeof(*r));
	r->state = state;
	if (strlen(campaign) < sizeof(r->campaign))
		memcpy(r->campaign, campaign, strlen(campaign) + 1);
	memcpy(r->release_sha256, release_sha256, SIGN_SHA256_LEN);
	if (reason != NULL && strlen(reason) < sizeof(r->reason))
		memcpy(r->reason, reason, strlen(reason) + 1);
	/* The detail is informative: cut it rather than lose the report. */
	if (detail != NULL) {
		size_t n = strlen(detail);

		n = n < SIM_DETAIL_MAX ? n : SIM_DETAIL_MAX;
		memcpy(r->detail, detail, n);
		r->detail[n] = '\0';
	}
}

int
sim_boot_rollback(struct sim_flash *f, struct sim_meta *m, int slot,
    const char *reason, const char *detail, char *err, size_t errlen)
{
	struct sim_slot *s = &m->slot[slot];

	sim_meta_set_report(m, SIM_REPORT_ROLLED_BACK, s->campaign,
	    s->release_sha256, reason, detail);
	sim_slot_clear(s);
	m->attempts_left = 0;
	return sim_meta_store(f, m, err, errlen);
}

int
sim_boot_confirm(struct sim_flash *f, struct sim_meta *m, int slot,
    char *err, size_t errlen)
{
	struct sim_slot *s = &m->slot[slot];

	if (s->state != SIM_SLOT_PENDING) {
		(void)util_fmt(err, errlen, "slot %c is not pending",
		    sim_slot_letter(slot));
		return -1;
	}
	s->state = SIM_SLOT_CONFIRMED;
	m->active = slot;
	m->attempts_left = 0;
	if (s->security_counter > m->committed_counter)
		m->committed_counter = s->security_counter;
	sim_meta_set_report(m, SIM_REPORT_CONFIRMED, s->campaign,
	    s->release_sha256, NULL, NULL);
	return sim_meta_store(f, m, err, errlen);
}

static int
pending_slot(const struct sim_meta *m)
{
	for (int i = 0; i < 2; i++)
		if (m->slot[i].state == SIM_SLOT_PENDING)
			return i;
	return -1;
}

static void say(struct sim_boot *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets the one-line account of the power-on (cut if too long). */
static void
say(struct sim_boot *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

/* The metadata store of a trial failed: says so; -1. */
static int
store_failed(struct sim_boot *out, int p, const char *err)
{
	say(out, "flash: cannot record the trial of slot %c (%s): booting "
	    "the settled image, the pending one waits", sim_slot_letter(p),
	    err);
	return -1;
}

/* One trial power-on of pending slot p: 1 booted, 0 reset (try again),
 * -1 when its metadata could not be stored (out->why says so). */
static int
try_pending(struct sim_flash *f, struct sim_meta *m,
    const struct sign_root *root, int p, struct sim_boot *out)
{
	char err[256], why[256], detail[SIM_DETAIL_MAX + 1];
	enum sign_result r;

	if (m->attempts_left <= 0) {
		out->fell_back = 1;
		say(out, "gave up %s in slot %c: trial boot attempts exhausted",
		    m->slot[p].fw_version, sim_slot_letter(p));
		return sim_boot_rollback(f, m, p, "crash_on_boot", "trial boot "
		    "attempts exhausted", err, sizeof(err)) == 0 ? 0 :
		    store_failed(out, p, err);
	}
	m->attempts_left--;
	if (sim_meta_store(f, m, err, sizeof(err)) != 0)
		return store_failed(out, p, err);
	r = sim_slot_verify(f, m, root, p, &out->fw, why, sizeof(why));
	if (r != SIGN_OK) {
		out->fell_back = 1;
		say(out, "refused the pending image in slot %c: %s (%s)",
		    sim_slot_letter(p), sign_result_name(r), why);
		sim_reason_detail(r, why, detail);
		return sim_boot_rollback(f, m, p, sim_reason_class(r), detail,
		    err, sizeof(err)) == 0 ? 0 : store_failed(out, p, err);
	}
	if (out->fw.behavior == SIM_FW_CRASH_ON_BOOT ||
	    (m->flags & SIM_META_FAULTY)) {
		m->crash_count++;
		return 0;
	}
	out->slot = p;
	out->trial = 1;
	return 1;
}

/* Boots a confirmed or factory slot: the active one, else the other. */
static int
boot_settled(struct sim_flash *f, struct sim_meta *m,
    const struct sign_root *root, struct sim_boot *out)
{
	char err[256], first[256] = "";
	int slot = m->active;

	for (int k = 0; k < 2; k++, slot = 1 - slot) {
		enum sign_result r;

		if (!bootable_state(m->slot[slot].state) ||
		    m->slot[slot].state == SIM_SLOT_PENDING)
			continue;
		r = sim_slot_verify(f, m, root, slot, &out->fw, err,
		    sizeof(err));
		if (r == SIGN_OK && out->fw.behavior == SIM_FW_CRASH_ON_BOOT) {
			m->crash_count++;
			(void)util_fmt(err, sizeof(err), "crashes on boot");
			r = SIGN_ERR_FORMAT;
		}
		if (r != SIGN_OK) {
			if (first[0] == '\0')
				(void)util_fmt(first, sizeof(first), "slot %c: %s",
				    sim_slot_letter(slot), err);
			continue;
		}
		if (slot != m->active) {
			m->active = slot;
			/* If this cannot be stored, the next power-on makes
			 * the same choice again. */
			(void)sim_meta_store(f, m, err, sizeof(err));
		}
		out->slot = slot;
		return 0;
	}
	say(out, "no bootable image (%s)", first);
	return -1;
}

int
sim_boot_run(struct sim_flash *f, struct sim_meta *m, struct sim_boot *out)
{
	struct sign_root *root = NULL;
	char err[256];
	int rc = -1, booted = 0, unrecorded = 0;

	memset(out, 0, sizeof(*out));
	out->slot = -1;
	if (sign_root_load(m->root, m->root_len, &root, err, sizeof(err)) !=
	    SIGN_OK) {
		say(out, "stored root is unusable: %s", err);
		goto out;
	}
	for (int i = 0; i < BOOT_TRIES && !booted; i++) {
		int p = pending_slot(m);

		m->boot_count++;
		if (p < 0)
			break;
		booted = try_pending(f, m, root, p, out);
		/* A trial whose attempt is not on flash does not run (it
		 * could crash for ever uncounted); the settled image boots. */
		if (booted < 0) {
			booted = 0;
			unrecorded = 1;
			break;
		}
	}
	if (!booted && boot_settled(f, m, root, out) != 0)
		goto out;
	/* The boot count names this boot to the server (the agent's boot
	 * id), so it is durable before the image runs; a trial boot stored
	 * it with its attempt. Not after a trial whose attempt could not be
	 * stored (the record in memory counts an attempt that never ran);
	 * and a flash that refuses the store still boots the settled image,
	 * as it would any other. */
	if (!booted && !unrecorded && sim_meta_store(f, m, err,
	    sizeof(err)) != 0 && out->why[0] == '\0')
		say(out, "flash: cannot record the boot count (%s)", err);
	rc = 0;
out:
	sign_root_free(root);
	return rc;
}
