/* Streaming a signed release's image into a slot: bounded by the signed
 * length, hashed as it goes, resumable (Range) after a dropped connection
 * or a power cut, read back before it counts. */
#ifndef SIM_DOWNLOAD_H
#define SIM_DOWNLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "meta.h"
#include "net.h"
#include "sign/sign.h"

/* Bytes buffered before one flash write; resume points are multiples. */
#define SIM_DL_PAGE (64 * 1024)
/* Durable progress is recorded in the metadata every this many bytes. */
#define SIM_DL_CHECKPOINT (1024 * 1024)

/* One download into one slot (opaque). */
struct sim_dl;

/* What the release promises and where the bytes go. Borrowed. */
struct sim_dl_target {
	struct sim_flash *f;
	struct sim_meta *m;
	int slot;
	const struct sign_release *rel;	/* verified: length, sha256 */
	const uint8_t *release;		/* its envelope bytes */
	size_t release_len;
	const char *campaign;
};

/* Starts (or resumes) the download. When the slot already holds part of
 * the same release (same envelope hash), resumes from its checkpoint and
 * re-hashes what is there; otherwise records the slot as WRITING with a
 * downloading report, then erases the image's blocks. Returns the
 * download, or NULL with a message (reason in *reason: "length" when the
 * image does not fit the slot, "flash" when the flash or the metadata
 * store failed, else "download"). Free with sim_dl_free. */
struct sim_dl *sim_dl_begin(const struct sim_dl_target *t,
    const char **reason, char *err, size_t errlen);
/* Frees d; NULL is a no-op. */
void sim_dl_free(struct sim_dl *d);
/* Where the next byte goes: the offset to ask for with Range. */
uint64_t sim_dl_offset(const struct sim_dl *d);
/* 1 once every signed byte has arrived. */
int sim_dl_complete(const struct sim_dl *d);
/* 1 when the last transfer was resumed by the download itself. */
int sim_dl_resumed(const struct sim_dl *d);

/* Starts one transfer attempt (the next sim_dl_feed names its start). */
void sim_dl_attempt(struct sim_dl *d);
/* Takes n bytes of an answer whose first byte is at offset start (0 for a
 * whole-file answer, which restarts the download). -1 stops the transfer:
 * a byte past the signed length (sim_dl_over), an answer starting
 * elsewhere, or a flash error. */
int sim_dl_feed(struct sim_dl *d, uint64_t start, const uint8_t *p,
    size_t n);
/* 1 when the server sent more than the signed length. */
int sim_dl_over(const struct sim_dl *d);
/* Ends a transfer that fell short: drops bytes not yet written and
 * records durable progress. 0, or -1 on a flash error. */
int sim_dl_interrupted(struct sim_dl *d, char *err, size_t errlen);
/* Ends a complete download: writes the last bytes, checks the digest,
 * erases the slot tail past the length, reads the image back and
 * re-hashes it. SIGN_OK, SIGN_ERR_HASH, SIGN_ERR_LENGTH or SIGN_ERR_IO. */
enum sign_result sim_dl_finish(struct sim_dl *d, char *err, size_t errlen);

/* How the network part runs. */
struct sim_dl_net {
	struct sim_net *net;
	const char *url;
	const char *token;
	struct sim_net_limits limits;
	int tries;			/* transfers before giving up */
	int64_t backoff_max_ms;		/* between tries: 250 ms doubling */
};

/* Runs transfers (Range from sim_dl_offset) until the download is
 * complete, refused or out of tries, then finishes it. SIGN_OK; or a
 * refusal with *reason set ("length", "hash", "download", "flash" when a
 * write, erase, read-back or metadata store failed, or "slow_retrieval"
 * when the last try hit n->limits once connected). */
enum sign_result sim_dl_run(struct sim_dl *d, const struct sim_dl_net *n,
    const char **reason, char *err, size_t errlen);

#endif
