/* Fleet mode: many simulated devices, each with its own flash file and
 * identity, driven step by step by a small pool of threads. */
#ifndef SIM_FLEET_H
#define SIM_FLEET_H

#include <stdint.h>

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
	int faulty_pct;
	int concurrency;
	int64_t poll_interval;
	int64_t duration;		/* stop after; 0 none */
	int64_t until_idle;		/* stop after this long unchanged */
	int64_t progress_every;		/* seconds between progress lines */
};

/* Provisions (or reuses) the devices under o->dir and runs them until the
 * duration or idle time is reached, printing progress lines and the final
 * tallies on stdout. 0, or -1 (logged) when the fleet could not start. */
int sim_fleet_run(const struct sim_fleet_opts *o);

#endif
