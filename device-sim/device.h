/* A device's life outside the agent: the factory (init) and what
 * `otasim status` shows. */
#ifndef SIM_DEVICE_H
#define SIM_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* What the factory puts on a fresh device. Borrowed strings. */
struct sim_factory {
	const char *flash_path;
	uint64_t slot_size;
	const char *device_id;
	const char *hw_class;
	const char *root_path;		/* the trust anchor */
	const char *firmware_path;	/* goes into slot A */
	int64_t security_counter;
	const char *token;		/* stored for `run`; may be NULL */
	int faulty;			/* every boot of a new image fails */
};

/* Makes a factory-fresh device: a new sparse flash file with slot A
 * holding the firmware (confirmed, "factory") and one metadata copy. The
 * root must verify against its own root keys. 0, or -1 with a message in
 * err (the flash file is removed again on failure). */
int sim_device_init(const struct sim_factory *fac, char *err, size_t errlen);

/* The device's state as JSON (see docs/device-sim.md), without touching
 * the flash beyond reading it. A new reference, or NULL with a message. */
json_t *sim_device_status(const char *flash_path, char *err, size_t errlen);

#endif
