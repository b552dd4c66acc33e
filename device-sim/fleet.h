/* Fleet mode: many simulated devices, each with its own flash file and
 * identity, driven step by step by a small pool of threads. */
#ifndef SIM_FLEET_H
#define SIM_FLEET_H

#include <stdint.h>

#include "agent.h"

struct sim_fleet_opts {
	int devices;
	const char *server;
	const char *admin_token;	/* provision through POST /v1/devices */
	const char *hw_class;
	const char *fw_version;
	const char *tokens_path;	/* or: a saved POST /v1/devices answer */
	const char *root_path;
	const char *firmware_path;
	const char *dir;
	const char *id_prefix;		/* device ids are PREFIX-00001 ... */
	const char *summary_path;	/* final tallies as JSON; may be NULL */
	uint64_t slot_size;		/* 0: four times the firmware */
	int faulty_pct;			/* index mod 100 below it: faulty */
	int silent_pct;			/* index mod 100 at 100 - it or above:
					   silent from the next offer on */
	int concurrency;
	int64_t poll_interval;
	int poll_fixed;			/* poll_interval wins over Retry-After */
	int64_t reboot_delay;		/* seconds from install to reboot */
	enum sim_boot_id_mode boot_id;
	int64_t duration;		/* stop after; 0 none */
	int64_t until_idle;		/* stop after this long idle */
	int64_t progress_every;		/* seconds between progress lines */
};

/* Provisions (or reuses) the devices under o->dir and runs them until the
 * duration or idle time is reached, printing progress lines and the final
 * tallies on stdout. Idle: every device polled, no device changed for
 * until_idle seconds, no reboot is due, and (with an admin token) the
 * server runs no campaign that moves on its own (one waiting for
 * approval does not count). 0, or -1 (logged) when the fleet could not
 * start. */
int sim_fleet_run(const struct sim_fleet_opts *o);

#endif
