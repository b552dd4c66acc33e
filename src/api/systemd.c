/* Talking to systemd: the only file that includes <systemd/sd-daemon.h>. */
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "api/systemd.h"

void
sysd_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
sysd_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=draining requests");
}

uint64_t
sysd_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void
sysd_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void
sysd_watchdog_ping(void)
{
	sd_notify(0, "WATCHDOG=1");
}
