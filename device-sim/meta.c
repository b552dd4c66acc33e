/* Metadata copies: a bounded binary encoding, checksums, and the
 * two-copy store that survives a torn write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "util/util.h"

#define MAGIC "OTASIMMD"
#define MAGIC_LEN 8
/* magic, format (u32), total length (u32), sequence number (u64) */
#define HDR_LEN (MAGIC_LEN + 4 + 4 + 8)

static const char *const slot_names[] = {
	"empty", "writing", "pending", "confirmed", "factory"
};
static const char *const report_names[] = {
	"none", "downloading", "installed", "confirmed", "failed",
	"rolled_back"
};

const char *
sim_slot_state_name(enum sim_slot_state s)
{
	return (size_t)s < ARRAY_LEN(slot_names) ? slot_names[s] : "unknown";
}

const char *
sim_report_state_name(enum sim_report_state s)
{
	return (size_t)s < ARRAY_LEN(report_names) ? report_names[s] :
	    "unknown";
}

char
sim_slot_letter(int slot)
{
	return slot == 0 ? 'A' : 'B';
}

const char *
sim_reason_class(enum sign_result r)
{
	switch (r) {
	case SIGN_ERR_SIGNATURE:
	case SIGN_ERR_THRESHOLD:
	case SIGN_ERR_ROLE_OVERLAP:
	case SIGN_ERR_DEVICE:
	case SIGN_ERR_NONCE:
	case SIGN_ERR_RELEASE_MISMATCH:
		return "signature";
	case SIGN_ERR_EXPIRED:
	case SIGN_ERR_FREEZE:
	case SIGN_ERR_ROLLBACK:
	case SIGN_ERR_INCOMPATIBLE:
	case SIGN_ERR_HASH:
	case SIGN_ERR_LENGTH:
		return sign_result_name(r);
	default:
		return "other";
	}
}

void
sim_reason_detail(enum sign_result r, const char *msg,
    char out[SIM_DETAIL_MAX + 1])
{
	/* Cut rather than lost: the server takes at most SIM_DETAIL_MAX. */
	(void)snprintf(out, SIM_DETAIL_MAX + 1, "%s: %s", sign_result_name(r),
	    msg);
}

struct sim_meta *
sim_meta_new(void)
{
	struct sim_meta *m = calloc(1, sizeof(*m));

	if (m != NULL)
		m->copy = -1;
	return m;
}

void
sim_slot_clear(struct sim_slot *s)
{
	free(s->release);
	memset(s, 0, sizeof(*s));
}

void
sim_meta_free(struct sim_meta *m)
{
	if (m == NULL)
		return;
	free(m->root);
	sim_slot_clear(&m->slot[0]);
	sim_slot_clear(&m->slot[1]);
	free(m);
}

int
sim_meta_set_blob(uint8_t **dst, size_t *dstlen, const uint8_t *src,
    size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p == NULL)
		return -1;
	if (len)
		memcpy(p, src, len);
	free(*dst);
	*dst = p;
	*dstlen = len;
	return 0;
}

uint64_t
sim_meta_slot_offset(const struct sim_meta *m, int slot)
{
	return SIM_META_AREA + (uint64_t)slot * m->slot_size;
}

uint64_t
sim_meta_flash_size(uint64_t slot_size)
{
	if (slot_size == 0 || slot_size > (INT64_MAX - SIM_META_AREA) / 2)
		return 0;
	return SIM_META_AREA + 2 * slot_size;
}

/* ---- encoding: a cursor that fails once past its cap ---- */

struct enc {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void
put(struct enc *e, const void *src, size_t n)
{
	if (e->bad || n > e->cap - e->len) {
		e->bad = 1;
		return;
	}
	if (n == 0)
		return;
	memcpy(e->p + e->len, src, n);
	e->len += n;
}

static void
put_u64(struct enc *e, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(e, b, sizeof(b));
}

static void
put_u32(struct enc *e, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(e, b, sizeof(b));
}

static void
put_blob(struct enc *e, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		e->bad = 1;
		return;
	}
	put_u32(e, (uint32_t)n);
	put(e, p, n);
}

static void
put_str(struct enc *e, const char *s)
{
	put_blob(e, s, strlen(s));
}

static void
put_slot(struct enc *e, const struct sim_slot *s)
{
	put_u32(e, (uint32_t)s->state);
	put_str(e, s->fw_version);
	put_u64(e, (uint64_t)s->security_counter);
	put_u64(e, s->length);
	put(e, s->sha256, sizeof(s->sha256));
	put(e, s->release_sha256, sizeof(s->release_sha256));
	put_blob(e, s->release, s->release_len);
	put_str(e, s->campaign);
	put_u64(e, s->written);
}

static void
put_report(struct enc *e, const struct sim_report *r)
{
	put_u32(e, (uint32_t)r->state);
	put_u32(e, (uint32_t)r->sent);
	put_str(e, r->campaign);
	put(e, r->release_sha256, sizeof(r->release_sha256));
	put_str(e, r->reason);
	put_str(e, r->detail);
}

static void
put_body(struct enc *e, const struct sim_meta *m)
{
	put_str(e, m->device_id);
	put_str(e, m->hw_class);
	put_str(e, m->token);
	put_u64(e, m->slot_size);
	put_u32(e, m->flags);
	put_u64(e, (uint64_t)m->committed_counter);
	put_blob(e, m->root, m->root_len);
	put_u64(e, (uint64_t)m->root_version);
	put_u32(e, (uint32_t)m->active);
	put_u32(e, (uint32_t)m->attempts_left);
	put_u32(e, m->boot_count);
	put_u32(e, m->crash_count);
	put_slot(e, &m->slot[0]);
	put_slot(e, &m->slot[1]);
	put_report(e, &m->report);
	put_u64(e, (uint64_t)m->time_floor);
}

uint8_t *
sim_meta_encode(const struct sim_meta *m, size_t *len)
{
	struct enc e = { NULL, 0, SIM_META_COPY_SIZE, 0 };
	uint8_t sum[SIGN_SHA256_LEN];

	e.p = malloc(e.cap);
	if (e.p == NULL)
		return NULL;
	put(&e, MAGIC, MAGIC_LEN);
	put_u32(&e, SIM_META_FORMAT);
	put_u32(&e, 0);			/* the length, filled in below */
	put_u64(&e, m->seq);
	put_body(&e, m);
	if (e.bad || e.len + SIGN_SHA256_LEN > e.cap) {
		free(e.p);
		return NULL;
	}
	e.len += SIGN_SHA256_LEN;
	for (int i = 0; i < 4; i++)
		e.p[MAGIC_LEN + 4 + i] = (uint8_t)(e.len >> (8 * i));
	sign_sha256(e.p, e.len - SIGN_SHA256_LEN, sum);
	memcpy(e.p + e.len - SIGN_SHA256_LEN, sum, SIGN_SHA256_LEN);
	*len = e.len;
	return e.p;
}

/* ---- decoding: a cursor that fails on any overrun ---- */

struct dec {
	const uint8_t *p;
	size_t len, pos;
	int bad;
};

static void
get(struct dec *d, void *dst, size_t n)
{
	if (d->bad || n > d->len - d->pos) {
		d->bad = 1;
		memset(dst, 0, n);
		return;
	}
	if (n == 0)
		return;
	memcpy(dst, d->p + d->pos, n);
	d->pos += n;
}

static uint64_t
get_u64(struct dec *d)
{
	uint8_t b[8];
	uint64_t v = 0;

	get(d, b, sizeof(b));
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint32_t
get_u32(struct dec *d)
{
	uint8_t b[4];
	uint32_t v = 0;

	get(d, b, sizeof(b));
	for (int i = 3; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* A string of at most size - 1 bytes, without NUL bytes. */
static void
get_str(struct dec *d, char *out, size_t size)
{
	uint32_t n = get_u32(d);

	if (d->bad || n >= size) {
		d->bad = 1;
		out[0] = '\0';
		return;
	}
	get(d, out, n);
	out[n] = '\0';
	if (strlen(out) != n)
		d->bad = 1;
}

static void
get_blob(struct dec *d, uint8_t **out, size_t *outlen, size_t cap)
{
	uint32_t n = get_u32(d);

	if (d->bad || n > cap || n > d->len - d->pos) {
		d->bad = 1;
		return;
	}
	if (n > 0 && sim_meta_set_blob(out, outlen, d->p + d->pos, n) != 0)
		d->bad = 1;
	d->pos += n;
}

/* A small enum or count, checked against its bound. */
static int
get_small(struct dec *d, uint32_t bound)
{
	uint32_t v = get_u32(d);

	if (v >= bound)
		d->bad = 1;
	return d->bad ? 0 : (int)v;
}

static void
get_slot(struct dec *d, struct sim_slot *s)
{
	s->state = (enum sim_slot_state)get_small(d, SIM_SLOT_STATE_COUNT);
	get_str(d, s->fw_version, sizeof(s->fw_version));
	s->security_counter = (int64_t)get_u64(d);
	s->length = get_u64(d);
	get(d, s->sha256, sizeof(s->sha256));
	get(d, s->release_sha256, sizeof(s->release_sha256));
	get_blob(d, &s->release, &s->release_len, SIM_META_RELEASE_MAX);
	get_str(d, s->campaign, sizeof(s->campaign));
	s->written = get_u64(d);
}

static void
get_report(struct dec *d, struct sim_report *r)
{
	r->state = (enum sim_report_state)get_small(d, SIM_REPORT_STATE_COUNT);
	r->sent = get_small(d, 2);
	get_str(d, r->campaign, sizeof(r->campaign));
	get(d, r->release_sha256, sizeof(r->release_sha256));
	get_str(d, r->reason, sizeof(r->reason));
	get_str(d, r->detail, sizeof(r->detail));
}

static void
get_body(struct dec *d, struct sim_meta *m, uint32_t format)
{
	get_str(d, m->device_id, sizeof(m->device_id));
	get_str(d, m->hw_class, sizeof(m->hw_class));
	get_str(d, m->token, sizeof(m->token));
	m->slot_size = get_u64(d);
	m->flags = get_u32(d);
	m->committed_counter = (int64_t)get_u64(d);
	get_blob(d, &m->root, &m->root_len, SIM_META_ROOT_MAX);
	m->root_version = (int64_t)get_u64(d);
	m->active = get_small(d, 2);
	m->attempts_left = get_small(d, SIM_TRIAL_ATTEMPTS + 1);
	m->boot_count = get_u32(d);
	m->crash_count = get_u32(d);
	get_slot(d, &m->slot[0]);
	get_slot(d, &m->slot[1]);
	get_report(d, &m->report);
	if (format >= 2)
		m->time_floor = (int64_t)get_u64(d);
}

/* The total length a copy's header claims (and its format), or 0 when it
 * is not one. */
static size_t
claimed_len(const uint8_t *buf, size_t len, uint32_t *format)
{
	struct dec d = { buf, len, MAGIC_LEN, 0 };
	uint32_t total;

	if (len < HDR_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
		return 0;
	*format = get_u32(&d);
	total = get_u32(&d);
	if (*format < 1 || *format > SIM_META_FORMAT ||
	    total < HDR_LEN + SIGN_SHA256_LEN || total > SIM_META_COPY_SIZE)
		return 0;
	return total;
}

struct sim_meta *
sim_meta_decode(const uint8_t *buf, size_t len)
{
	uint32_t format = 0;
	size_t total = claimed_len(buf, len, &format);
	uint8_t sum[SIGN_SHA256_LEN];
	struct dec d = { buf, 0, MAGIC_LEN + 8, 0 };
	struct sim_meta *m;

	if (total == 0 || total > len)
		return NULL;
	sign_sha256(buf, total - SIGN_SHA256_LEN, sum);
	if (!sign_memeq(sum, buf + total - SIGN_SHA256_LEN, SIGN_SHA256_LEN))
		return NULL;
	m = sim_meta_new();
	if (m == NULL)
		return NULL;
	d.len = total - SIGN_SHA256_LEN;
	m->seq = get_u64(&d);
	get_body(&d, m, format);
	if (d.bad || d.pos != d.len || m->slot_size == 0 ||
	    m->slot_size % SIM_FLASH_ERASE_BLOCK != 0) {
		sim_meta_free(m);
		return NULL;
	}
	return m;
}

/* Reads and decodes copy i; NULL when it is not valid. */
static struct sim_meta *
load_copy(struct sim_flash *f, int i, uint8_t *buf)
{
	char err[128];
	struct sim_meta *m;
	uint32_t format;
	size_t total;

	if (sim_flash_read(f, (uint64_t)i * SIM_META_COPY_SIZE, buf, HDR_LEN,
	    err, sizeof(err)) != 0)
		return NULL;
	total = claimed_len(buf, HDR_LEN, &format);
	if (total == 0 || sim_flash_read(f, (uint64_t)i * SIM_META_COPY_SIZE,
	    buf, total, err, sizeof(err)) != 0)
		return NULL;
	m = sim_meta_decode(buf, total);
	if (m != NULL)
		m->copy = i;
	return m;
}

struct sim_meta *
sim_meta_load(struct sim_flash *f, char *err, size_t errlen)
{
	struct sim_meta *c[2] = { NULL, NULL };
	struct sim_meta *best = NULL;
	uint8_t *buf = malloc(SIM_META_COPY_SIZE);

	if (buf == NULL || sim_flash_size(f) < SIM_META_AREA) {
		(void)util_fmt(err, errlen, "flash too small or out of memory");
		goto out;
	}
	c[0] = load_copy(f, 0, buf);
	c[1] = load_copy(f, 1, buf);
	if (c[0] != NULL && (c[1] == NULL || c[0]->seq > c[1]->seq))
		best = c[0];
	else
		best = c[1];
	if (best == NULL)
		(void)util_fmt(err, errlen, "no valid metadata copy");
	else if (sim_meta_flash_size(best->slot_size) > sim_flash_size(f)) {
		(void)util_fmt(err, errlen, "metadata slot size exceeds the "
		    "flash");
		best = NULL;
	}
out:
	if (c[0] != best)
		sim_meta_free(c[0]);
	if (c[1] != best)
		sim_meta_free(c[1]);
	free(buf);
	return best;
}

int
sim_meta_store(struct sim_flash *f, struct sim_meta *m, char *err,
    size_t errlen)
{
	int target = m->copy == 0 ? 1 : 0;
	uint64_t off = (uint64_t)target * SIM_META_COPY_SIZE;
	uint8_t *buf;
	size_t len = 0;
	int rc = -1;

	m->seq++;
	buf = sim_meta_encode(m, &len);
	if (buf == NULL) {
		(void)util_fmt(err, errlen, "metadata does not fit a copy");
		m->seq--;
		return -1;
	}
	if (sim_flash_erase(f, off, SIM_META_COPY_SIZE, err, errlen) == 0 &&
	    sim_flash_write(f, off, buf, len, err, errlen) == 0) {
		m->copy = target;
		rc = 0;
	} else {
		m->seq--;
	}
	free(buf);
	return rc;
}
