/* Coalesced "last seen": polls note the time and declared version in
 * memory; the writer flushes them in one transaction every few seconds,
 * so a poll never waits on a write. */
#ifndef CORE_SEEN_H
#define CORE_SEEN_H

#include <stdint.h>

#include "db/db.h"

struct seen;

/* A new, empty buffer; NULL on allocation failure. */
struct seen *seen_new(void);
/* The same buffer for other rows used in bursts (a management token's
 * last use): notes are ids and times only, and the flush calls write for
 * each instead of recording a device's sighting. */
struct seen *seen_new_for(int (*write)(struct db_tx *tx, int64_t id,
    int64_t at));
/* Frees what is left unflushed. NULL ok. */
void seen_free(struct seen *s);
/* Notes that device polled at 'at' running fw_version (copied; NULL: a
 * poll that declares no version, a DDI poll, moves last_seen only). 0, or
 * -1 if the note could not be kept (out of memory; the next poll
 * retries). */
int seen_note(struct seen *s, int64_t device, int64_t at,
    const char *fw_version);
/* Has the flush call fn (inside its transaction) for each device whose
 * declared version differs from the stored one; a nonzero return fails
 * the flush. Set before traffic starts. */
void seen_on_change(struct seen *s, int (*fn)(struct db_tx *tx,
    int64_t device, const char *fw_version, int64_t at, void *arg),
    void *arg);
/* Writer job (db_every): writes every note taken so far. */
int seen_flush(struct db_tx *tx, void *s);
/* Notes waiting for the next flush. */
uint64_t seen_pending(struct seen *s);

#endif
