/* The bootloader: picks the slot to boot, re-verifies it, runs trial boots
 * of a pending image with a limited number of attempts, falls back; and
 * the two ways a trial ends (confirm, roll back). */
#ifndef SIM_BOOT_H
#define SIM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "fw.h"
#include "meta.h"
#include "sign/sign.h"

/* What a power-on came to. */
struct sim_boot {
	int slot;			/* booted slot, or -1 */
	int trial;			/* a pending image, in trial mode */
	struct sim_fw_header fw;	/* the booted image's header */
	int fell_back;			/* a pending image was given up */
	char why[320];			/* one line for humans */
};

/* Feeds len bytes of slot from offset off into h, reading the flash in
 * bounded chunks. 0, or -1 with a message. */
int sim_slot_hash_into(struct sim_flash *f, const struct sim_meta *m,
    int slot, uint64_t off, uint64_t len, struct sign_sha256 *h, char *err,
    size_t errlen);
/* Hashes the first len bytes of slot into out, reading the flash in
 * bounded chunks. 0, or -1 with a message. */
int sim_slot_hash(struct sim_flash *f, const struct sim_meta *m, int slot,
    uint64_t len, uint8_t out[SIGN_SHA256_LEN], char *err, size_t errlen);

/* Checks that slot holds a bootable image: a bootable state; for a
 * non-factory slot, its stored release verified against the stored root
 * (SIGN_NO_EXPIRY) and consistent with the slot; its security counter not
 * below the committed one; its bytes hashing to the recorded sha256. On
 * SIGN_OK fills *hdr (if not NULL) from the image's header; an image
 * without one gets behaviour crash-on-boot. */
enum sign_result sim_slot_verify(struct sim_flash *f,
    const struct sim_meta *m, const struct sign_root *root, int slot,
    struct sim_fw_header *hdr, char *err, size_t errlen);

/* Powers on: the bootloader logic, writing the metadata as it goes (a
 * trial attempt is consumed before the image runs; crashes and fallbacks
 * are recorded, and a given-up image leaves a rolled_back report; the
 * boot count, which grows at every power-on, is stored before the image
 * runs). When the metadata cannot be stored, no trial runs: the settled
 * image boots and a pending one stays pending (and the boot count may
 * repeat). 0 when an image booted (*out says which and why), -1 when
 * none can (out->why says why). */
int sim_boot_run(struct sim_flash *f, struct sim_meta *m, struct sim_boot *out);

/* Makes the trial image in slot permanent: confirmed, active, its
 * security counter committed (never lowered); records a confirmed report.
 * 0, or -1 with a message. */
int sim_boot_confirm(struct sim_flash *f, struct sim_meta *m, int slot,
    char *err, size_t errlen);
/* Gives up the image in slot: empties it and records a rolled_back report
 * with reason and detail. 0, or -1 with a message. */
int sim_boot_rollback(struct sim_flash *f, struct sim_meta *m, int slot,
    const char *reason, const char *detail, char *err, size_t errlen);
/* Records a report (unsent) in m without storing it. */
void sim_meta_set_report(struct sim_meta *m, enum sim_report_state state,
    const char *campaign, const uint8_t release_sha256[SIGN_SHA256_LEN],
    const char *reason, const char *detail);

#endif
