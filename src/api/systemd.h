/* Talking to systemd (Type=notify): ready, watchdog, stopping. No-ops
 * when not started by systemd. */
#ifndef API_SYSTEMD_H
#define API_SYSTEMD_H

#include <stdint.h>

void sysd_ready(const char *status);
void sysd_stopping(void);
/* The watchdog interval in microseconds, or 0 when not enabled. */
uint64_t sysd_watchdog_usec(void);
/* Tells the watchdog we are alive: call only while the daemon can do its
 * work (the database writer makes progress). */
void sysd_watchdog_ping(void);
/* The one-line status systemctl status shows. */
void sysd_status(const char *status);

#endif
