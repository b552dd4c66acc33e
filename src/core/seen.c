/* Coalesced "last seen": sharded hash tables swapped out by the flush. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/devices.h"
#include "core/metrics.h"
#include "core/seen.h"

#define SHARDS 16
#define VERSION_MAX 64

struct note {
	int64_t device;		/* 0: empty slot */
	int64_t at;
	char fw_version[VERSION_MAX + 1];
};

struct table {
	struct note *slots;
	size_t cap, used;
};

struct shard {
	pthread_mutex_t mu;
	struct table t;
};

struct seen {
	struct shard shard[SHARDS];
	int (*on_change)(struct db_tx *, int64_t, const char *, int64_t,
	    void *);
	void *on_change_arg;
	/* seen_new_for: writes a note instead of db_device_seen. */
	int (*write)(struct db_tx *, int64_t, int64_t);
};

struct seen *
seen_new(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&s->shard[i].mu, NULL);
	return s;
}

struct seen *
seen_new_for(int (*write)(struct db_tx *tx, int64_t id, int64_t at))
{
	struct seen *s = seen_new();

	if (s != NULL)
		s->write = write;
	return s;
}

void
seen_free(struct seen *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_destroy(&s->shard[i].mu);
		free(s->shard[i].t.slots);
	}
	free(s);
}

static size_t
slot_of(const struct table *t, int64_t device)
{
	/* Row ids are dense; a multiplicative hash spreads them. */
	size_t i = (size_t)((uint64_t)device * 0x9E3779B97F4A7C15ULL >> 20) &
	    (t->cap - 1);

	while (t->slots[i].device != 0 && t->slots[i].device != device)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int
grow(struct table *t)
{
	struct table n = { NULL, t->cap ? t->cap * 2 : 256, 0 };

	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (n.slots == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].device == 0)
			continue;
		n.slots[slot_of(&n, t->slots[i].device)] = t->slots[i];
		n.used++;
	}
	free(t->slots);
	*t = n;
	return 0;
}

int
seen_note(struct seen *s, int64_t device, int64_t at, const char *fw_version)
{
	struct shard *sh = &s->shard[(uint64_t)device % SHARDS];
	struct note *n;
	size_t len = fw_version != NULL ? strlen(fw_version) : 0;
	int rc = 0;

	if (len > VERSION_MAX)
		len = VERSION_MAX;
	pthread_mutex_lock(&sh->mu);
	if ((sh->t.used + 1) * 4 > sh->t.cap * 3 && grow(&sh->t) != 0) {
		rc = -1;
		goto out;
	}
	n = &sh->t.slots[slot_of(&sh->t, device)];
	if (n->device == 0) {
		sh->t.used++;
		n->fw_version[0] = '\0';
	}
	n->device = device;
	if (at > n->at)
		n->at = at;
	/* No version declared: one noted earlier in this window stands. */
	if (fw_version != NULL) {
		memcpy(n->fw_version, fw_version, len);
		n->fw_version[len] = '\0';
	}
out:
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

void
seen_on_change(struct seen *s, int (*fn)(struct db_tx *tx, int64_t device,
    const char *fw_version, int64_t at, void *arg), void *arg)
{
	s->on_change = fn;
	s->on_change_arg = arg;
}

/* Writes one note, and tells the hook when the version changed. */
static int
flush_one(struct seen *s, struct db_tx *tx, const struct note *n)
{
	int changed, rc;

	if (s->write != NULL)
		return s->write(tx, n->device, n->at);
	rc = db_device_seen(tx, n->device, n->at, n->fw_version[0] != '\0' ?
	    n->fw_version : NULL, &changed);
	if (rc == DB_OK && changed && s->on_change != NULL)
		rc = s->on_change(tx, n->device, n->fw_version, n->at,
		    s->on_change_arg);
	return rc;
}

uint64_t
seen_pending(struct seen *s)
{
	uint64_t n = 0;

	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_lock(&s->shard[i].mu);
		n += s->shard[i].t.used;
		pthread_mutex_unlock(&s->shard[i].mu);
	}
	return n;
}

int
seen_flush(struct db_tx *tx, void *arg)
{
	struct seen *s = arg;
	uint64_t written = 0;

	for (int i = 0; i < SHARDS; i++) {
		struct table t;

		/* Swap the table out so polls never wait on the writes. */
		pthread_mutex_lock(&s->shard[i].mu);
		t = s->shard[i].t;
		memset(&s->shard[i].t, 0, sizeof(t));
		pthread_mutex_unlock(&s->shard[i].mu);
		for (size_t k = 0; k < t.cap; k++) {
			if (t.slots[k].device == 0)
				continue;
			if (flush_one(s, tx, &t.slots[k]) != DB_OK) {
				free(t.slots);
				return DB_ERR;
			}
			written++;
		}
		free(t.slots);
	}
	if (s->write == NULL)
		metrics_add(M_SEEN_FLUSHED, written);
	return DB_OK;
}
