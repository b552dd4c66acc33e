/* The device's metadata: identity, trust anchor, committed security
 * counter and the state of both slots, kept as two checksummed copies
 * with sequence numbers at the start of the flash. */
#ifndef SIM_META_H
#define SIM_META_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "sign/assignment.h"
#include "sign/crypto.h"
#include "sign/release.h"
#include "sign/result.h"
#include "sign/semver.h"

/* Flash layout: copy 0, copy 1, slot A, slot B. */
#define SIM_META_COPY_SIZE (1024 * 1024)
#define SIM_META_AREA (2 * (uint64_t)SIM_META_COPY_SIZE)
/* Format version written in every copy; copies of format 1 (without the
 * time floor) are still read. */
#define SIM_META_FORMAT 2
/* Caps on the stored documents and strings. */
#define SIM_META_ROOT_MAX (128 * 1024)
#define SIM_META_RELEASE_MAX (64 * 1024)
#define SIM_META_TOKEN_MAX 256
#define SIM_REASON_MAX 32
#define SIM_DETAIL_MAX 256
/* Trial boots a pending image gets. */
#define SIM_TRIAL_ATTEMPTS 3

enum sim_slot_state {
	SIM_SLOT_EMPTY = 0,	/* nothing bootable */
	SIM_SLOT_WRITING,	/* a download in progress (release stored) */
	SIM_SLOT_PENDING,	/* complete and checked: boots in trial mode */
	SIM_SLOT_CONFIRMED,	/* made permanent by a successful trial */
	SIM_SLOT_FACTORY,	/* the factory image: trusted by its sha256 */
	SIM_SLOT_STATE_COUNT
};

/* Report states, in the words of POST /v1/device/status. */
enum sim_report_state {
	SIM_REPORT_NONE = 0,
	SIM_REPORT_DOWNLOADING,
	SIM_REPORT_INSTALLED,
	SIM_REPORT_CONFIRMED,
	SIM_REPORT_FAILED,
	SIM_REPORT_ROLLED_BACK,
	SIM_REPORT_STATE_COUNT
};

/* Device flags. */
#define SIM_META_FAULTY 0x1	/* every boot of a new image fails */

struct sim_slot {
	enum sim_slot_state state;
	char fw_version[SIGN_SEMVER_MAX + 1];
	int64_t security_counter;
	uint64_t length;
	uint8_t sha256[SIGN_SHA256_LEN];	/* of the image */
	uint8_t release_sha256[SIGN_SHA256_LEN]; /* of the envelope */
	uint8_t *release;			/* envelope bytes (owned) */
	size_t release_len;
	char campaign[SIGN_ID_MAX + 1];
	uint64_t written;		/* WRITING: bytes durably written */
};

/* The latest update outcome, kept until the server has it. */
struct sim_report {
	enum sim_report_state state;
	int sent;
	char campaign[SIGN_ID_MAX + 1];
	uint8_t release_sha256[SIGN_SHA256_LEN];
	char reason[SIM_REASON_MAX + 1];
	char detail[SIM_DETAIL_MAX + 1];
};

struct sim_meta {
	uint64_t seq;
	int copy;			/* the copy it came from; -1 for none */
	char device_id[SIGN_ID_MAX + 1];
	char hw_class[SIGN_HW_CLASS_MAX + 1];
	char token[SIM_META_TOKEN_MAX + 1];
	uint64_t slot_size;
	uint32_t flags;
	int64_t committed_counter;
	uint8_t *root;			/* trusted root bytes (owned) */
	size_t root_len;
	int64_t root_version;
	int active;			/* 0 (A) or 1 (B) */
	int attempts_left;		/* for the PENDING slot */
	uint32_t boot_count;
	uint32_t crash_count;
	struct sim_slot slot[2];
	struct sim_report report;
	int64_t time_floor;		/* newest trusted time seen; never
					 * lowered (docs/trust.md) */
};

/* "empty", "writing", "pending", "confirmed", "factory". Static. */
const char *sim_slot_state_name(enum sim_slot_state s);
/* "downloading", "installed", "confirmed", "failed", "rolled_back"
 * ("none" for SIM_REPORT_NONE). Static. */
const char *sim_report_state_name(enum sim_report_state s);
/* 'A' or 'B'. */
char sim_slot_letter(int slot);

/* The reason class a refusal with result r is reported under (the names
 * the server counts, docs/trust.md section 4): "signature", "expired",
 * "freeze", "rollback", "incompatible", "hash", "length", else "other".
 * Static. */
const char *sim_reason_class(enum sign_result r);
/* Writes "NAME: msg" (NAME the result's own name, so the typed reason
 * stays in the report) into out, cut to SIM_DETAIL_MAX bytes. */
void sim_reason_detail(enum sign_result r, const char *msg,
    char out[SIM_DETAIL_MAX + 1]);

/* A zeroed metadata record (copy -1), or NULL; free with sim_meta_free. */
struct sim_meta *sim_meta_new(void);
/* Frees m and the documents it owns; NULL is a no-op. */
void sim_meta_free(struct sim_meta *m);
/* Replaces *dst (freed) with a malloc'd copy of len bytes. 0/-1. */
int sim_meta_set_blob(uint8_t **dst, size_t *dstlen, const uint8_t *src,
    size_t len);
/* Empties a slot (frees its release). */
void sim_slot_clear(struct sim_slot *s);

/* Flash offset of slot 0 or 1. */
uint64_t sim_meta_slot_offset(const struct sim_meta *m, int slot);
/* Flash size for a slot size (rounded up to erase blocks); 0 if absurd. */
uint64_t sim_meta_flash_size(uint64_t slot_size);

/* Encodes m as one copy (sequence number m->seq). Returns a malloc'd
 * record of *len bytes (at most SIM_META_COPY_SIZE), or NULL. */
uint8_t *sim_meta_encode(const struct sim_meta *m, size_t *len);
/* Decodes a copy of len bytes: magic, format, length and checksum must
 * hold. Returns a new record (copy -1), or NULL. */
struct sim_meta *sim_meta_decode(const uint8_t *buf, size_t len);

/* Reads both copies and returns the valid one with the higher sequence
 * number, or NULL (with a message in err) when neither is valid. */
struct sim_meta *sim_meta_load(struct sim_flash *f, char *err, size_t errlen);
/* Writes m as the next sequence number into the copy it did not come
 * from (erase, then write), so the other copy survives a torn write; on
 * success updates m->seq and m->copy. 0, or -1 with a message. */
int sim_meta_store(struct sim_flash *f, struct sim_meta *m, char *err,
    size_t errlen);

#endif
