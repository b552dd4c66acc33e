/* The update agent: power-on (bootloader, trial self-test, confirm or roll
 * back) and the poll cycle (verify, download, install, reboot, report),
 * one step at a time so one thread can drive many devices. */
#ifndef SIM_AGENT_H
#define SIM_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "net.h"

/* Where the agent sends its boot id ("boot-N", N the persistent boot
 * count): nowhere, on polls only (a query parameter, which servers
 * without boot ids ignore), or on polls and in every status and health
 * report (servers without boot ids refuse the unknown body field). */
enum sim_boot_id_mode {
	SIM_BOOT_ID_NONE = 0,
	SIM_BOOT_ID_POLL,
	SIM_BOOT_ID_ALL,
};
/* What otasim sends unless told otherwise (the contract). */
#define SIM_BOOT_ID_DEFAULT SIM_BOOT_ID_ALL

/* Settings shared by every agent of a run (borrowed for their life). */
struct sim_agent_opts {
	const char *server;		/* base URL, without a trailing '/' */
	const char *token;		/* NULL: the token stored at init */
	int64_t poll_interval;		/* seconds */
	int download_tries;
	int64_t backoff_max_ms;
	struct sim_net_limits limits;
	int64_t clock_offset;		/* seconds added to the host clock */
	int poll_fixed;			/* poll_interval wins over Retry-After */
	int64_t reboot_delay;		/* seconds from install to reboot */
	enum sim_boot_id_mode boot_id;
};

/* What a fleet tallies about one device. */
struct sim_agent_view {
	char fw_version[SIGN_SEMVER_MAX + 1];	/* running now */
	enum sim_report_state last_state;	/* last reported */
	char last_reason[SIM_REASON_MAX + 1];	/* its reason class */
	int dead;				/* no bootable image */
	int healthy;		/* the last health report the server took */
	int reported;		/* the server took a health report */
	int silent;		/* took an offer and went silent */
	int reboot_due;		/* an installed image waits for its reboot */
	uint32_t installs;	/* images installed (made pending) */
};

struct sim_agent;

/* An agent for the device whose flash is at path (copied). NULL when out
 * of memory. Free with sim_agent_free. */
struct sim_agent *sim_agent_new(const char *path,
    const struct sim_agent_opts *o);
/* Frees a; NULL is a no-op. */
void sim_agent_free(struct sim_agent *a);

/* Powers the device on: the bootloader, then for a trial image its
 * self-test and confirm or roll back, then health and any unsent report.
 * net may be NULL (no server: nothing is sent). 0, or -1 when no image
 * boots or the flash fails (logged). */
int sim_agent_power_on(struct sim_agent *a, struct sim_net *net);
/* One poll and whatever it brings (an update runs to its end, reboot
 * included; with a reboot_delay the reboot is done by the first call
 * once it is due, before that call's poll). Sets *next_s to the seconds
 * until the next call (no later than a due reboot). A device that went
 * silent does nothing. 0, or -1 when the server gave no usable answer or
 * the flash failed (logged). */
int sim_agent_poll(struct sim_agent *a, struct sim_net *net, int64_t *next_s);
/* Copies what the fleet tallies. */
void sim_agent_view(const struct sim_agent *a, struct sim_agent_view *out);
/* Makes the device go silent at its next offer: it takes it and then
 * neither reports nor polls again (sim_agent_poll does nothing). */
void sim_agent_set_silent(struct sim_agent *a);

#endif
