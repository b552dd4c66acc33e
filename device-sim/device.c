/* The factory and the status view. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "flash.h"
#include "fw.h"
#include "meta.h"
#include "sign/sign.h"
#include "util/util.h"

#define COPY_CHUNK (1 << 20)

/* Copies the firmware file into slot A, hashing it. 0/-1. */
static int
copy_firmware(struct sim_flash *f, const struct sim_meta *m, int fd,
    uint64_t size, uint8_t sha[SIGN_SHA256_LEN], char *err, size_t errlen)
{
	struct sign_sha256 *h = sign_sha256_new();
	uint8_t *buf = malloc(COPY_CHUNK);
	uint64_t done = 0, base = sim_meta_slot_offset(m, 0);
	int rc = -1;

	if (h == NULL || buf == NULL) {
		(void)util_fmt(err, errlen, "out of memory");
		goto out;
	}
	while (done < size) {
		size_t want = size - done < COPY_CHUNK ? (size_t)(size - done) :
		    COPY_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)done);

		if (n <= 0) {
			(void)util_fmt(err, errlen, "--firmware: %s",
			    n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		sign_sha256_update(h, buf, (size_t)n);
		if (sim_flash_write(f, base + done, buf, (size_t)n, err,
		    errlen) != 0)
			goto out;
		done += (uint64_t)n;
	}
	sign_sha256_final(h, sha);
	rc = 0;
out:
	sign_sha256_free(h);
	free(buf);
	return rc;
}

/* Fills the factory slot from the image's header and size. */
static int
factory_slot(struct sim_meta *m, int fd, uint64_t size, int64_t counter,
    char *err, size_t errlen)
{
	uint8_t hdr[SIM_FW_HEADER_MAX];
	struct sim_fw_header fh;
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	struct sim_slot *s = &m->slot[0];

	if (n <= 0 || sim_fw_parse_header(hdr, (size_t)n, &fh) != 0) {
		(void)util_fmt(err, errlen, "--firmware: not an otasim image "
		    "(make one with otasim make-firmware)");
		return -1;
	}
	s->state = SIM_SLOT_FACTORY;
	memcpy(s->fw_version, fh.version, sizeof(s->fw_version));
	s->security_counter = counter;
	s->length = size;
	return 0;
}

/* Fills identity and trust from the factory's inputs. */
static int
identity(struct sim_meta *m, const struct sim_factory *fac, char *err,
    size_t errlen)
{
	struct sign_root *root = NULL;
	size_t len = 0;
	uint8_t *buf = util_read_file(fac->root_path, SIM_META_ROOT_MAX, 0,
	    &len);
	enum sign_result r;
	int rc = -1;

	if (buf == NULL) {
		(void)util_fmt(err, errlen, "--root: %s: %s", fac->root_path,
		    strerror(errno));
		return -1;
	}
	r = sign_root_load(buf, len, &root, err, errlen);
	if (r != SIGN_OK)
		goto out;
	if (util_fmt(m->device_id, sizeof(m->device_id), "%s",
	    fac->device_id) != 0 || util_fmt(m->hw_class, sizeof(m->hw_class),
	    "%s", fac->hw_class) != 0 || util_fmt(m->token, sizeof(m->token),
	    "%s", fac->token != NULL ? fac->token : "") != 0) {
		(void)util_fmt(err, errlen, "device id, hw class or token too "
		    "long");
		goto out;
	}
	m->root_version = root->version;
	/* The factory's clock is the first trusted time the device knows. */
	m->time_floor = sign_time_floor_raise(0, util_now(), root);
	m->root = buf;
	m->root_len = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	sign_root_free(root);
	return rc;
}

static int
fill_and_write(struct sim_flash *f, struct sim_meta *m,
    const struct sim_factory *fac, int fd, uint64_t size, char *err,
    size_t errlen)
{
	if (identity(m, fac, err, errlen) != 0 ||
	    factory_slot(m, fd, size, fac->security_counter, err, errlen) != 0 ||
	    copy_firmware(f, m, fd, size, m->slot[0].sha256, err, errlen) != 0)
		return -1;
	return sim_meta_store(f, m, err, errlen);
}

int
sim_device_init(const struct sim_factory *fac, char *err, size_t errlen)
{
	uint64_t slot = (fac->slot_size + SIM_FLASH_ERASE_BLOCK - 1) /
	    SIM_FLASH_ERASE_BLOCK * SIM_FLASH_ERASE_BLOCK;
	uint64_t total = sim_meta_flash_size(slot);
	struct sim_meta *m = sim_meta_new();
	struct sim_flash *f = NULL;
	struct stat st;
	int fd, rc = -1;

	fd = open(fac->firmware_path, O_RDONLY | O_CLOEXEC);
	if (m == NULL || fd < 0 || fstat(fd, &st) != 0) {
		(void)util_fmt(err, errlen, "--firmware: %s: %s",
		    fac->firmware_path, strerror(errno));
		goto out;
	}
	if (total == 0 || st.st_size <= 0 || (uint64_t)st.st_size > slot) {
		(void)util_fmt(err, errlen, "--slot-size: the %lld-byte "
		    "firmware does not fit a %llu-byte slot",
		    (long long)st.st_size, (unsigned long long)slot);
		goto out;
	}
	m->slot_size = slot;
	m->committed_counter = fac->security_counter;
	m->flags = fac->faulty ? SIM_META_FAULTY : 0;
	f = sim_flash_open(fac->flash_path, 1, total, err, errlen);
	if (f == NULL)
		goto out;
	rc = fill_and_write(f, m, fac, fd, (uint64_t)st.st_size, err, errlen);
	if (rc != 0)
		(void)sim_flash_unlink(fac->flash_path);
out:
	sim_flash_close(f);
	if (fd >= 0)
		close(fd);
	sim_meta_free(m);
	return rc;
}

static json_t *
slot_json(const struct sim_slot *s)
{
	char sha[SIGN_SHA256_HEX], rel[SIGN_SHA256_HEX];
	json_t *o;

	sign_hex(s->sha256, SIGN_SHA256_LEN, sha);
	sign_hex(s->release_sha256, SIGN_SHA256_LEN, rel);
	o = json_pack("{s:s, s:s, s:I, s:s, s:I}", "state",
	    sim_slot_state_name(s->state), "fw_version", s->fw_version,
	    "security_counter", (json_int_t)s->security_counter, "sha256", sha,
	    "length", (json_int_t)s->length);
	if (o != NULL && s->release_len > 0)
		json_object_set_new(o, "release", json_string(rel));
	if (o != NULL && s->state == SIM_SLOT_WRITING)
		json_object_set_new(o, "written", json_integer(
		    (json_int_t)s->written));
	return o;
}

static json_t *
report_json(const struct sim_report *r)
{
	char rel[SIGN_SHA256_HEX];

	if (r->state == SIM_REPORT_NONE)
		return json_null();
	sign_hex(r->release_sha256, SIGN_SHA256_LEN, rel);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "state",
	    sim_report_state_name(r->state), "campaign", r->campaign,
	    "release", rel, "reason", r->reason, "detail", r->detail, "sent",
	    r->sent);
}

static json_t *
meta_json(const struct sim_meta *m)
{
	int p = m->slot[0].state == SIM_SLOT_PENDING ? 0 :
	    m->slot[1].state == SIM_SLOT_PENDING ? 1 : -1;
	char letter[2] = { sim_slot_letter(m->active), '\0' };
	char pl[2] = { p >= 0 ? sim_slot_letter(p) : '\0', '\0' };
	char floor[21];

	util_time_fmt(m->time_floor, floor);
	return json_pack("{s:s, s:s, s:s, s:{s:o, s:o}, s:o, s:i, s:I, s:I, "
	    "s:I, s:I, s:b, s:I, s:o, s:s}",
	    "device_id", m->device_id, "hw_class", m->hw_class,
	    "active", letter, "slots", "A", slot_json(&m->slot[0]), "B",
	    slot_json(&m->slot[1]), "pending",
	    p >= 0 ? json_string(pl) : json_null(),
	    "trial_attempts_left", p >= 0 ? m->attempts_left : 0,
	    "committed_security_counter", (json_int_t)m->committed_counter,
	    "root_version", (json_int_t)m->root_version,
	    "boot_count", (json_int_t)m->boot_count,
	    "crash_count", (json_int_t)m->crash_count,
	    "faulty", (m->flags & SIM_META_FAULTY) != 0,
	    "metadata_seq", (json_int_t)m->seq,
	    "last_report", report_json(&m->report), "time_floor", floor);
}

json_t *
sim_device_status(const char *flash_path, char *err, size_t errlen)
{
	struct sim_flash *f = sim_flash_open(flash_path, 0, 0, err, errlen);
	struct sim_meta *m = f != NULL ? sim_meta_load(f, err, errlen) : NULL;
	json_t *o = m != NULL ? meta_json(m) : NULL;

	if (m != NULL && o == NULL)
		(void)util_fmt(err, errlen, "out of memory");
	sim_meta_free(m);
	sim_flash_close(f);
	return o;
}
