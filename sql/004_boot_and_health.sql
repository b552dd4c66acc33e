-- Rollouts under real device behaviour and bounded storage: boot ids, the
-- cause a device stated, and health kept apart from the update history
-- (005 moves the old rows).

-- The boot id the installed report came with (NULL: none sent). The old
-- version declared from another boot is a fallback; from the same boot the
-- device has not rebooted yet.
ALTER TABLE campaign_devices ADD COLUMN install_boot TEXT;
ALTER TABLE offers ADD COLUMN install_boot TEXT;
-- 1 once the device's own status report named its failure's cause: a
-- cause the server inferred (a health report, a timeout) gives way to it.
ALTER TABLE campaign_devices ADD COLUMN cause_stated INTEGER NOT NULL DEFAULT 0;

-- The gate counts a stage's pending members by bucket range.
DROP INDEX campaign_devices_state;
CREATE INDEX campaign_devices_state ON campaign_devices (campaign, state, bucket);

-- Each device's latest health report and its counters: one row a device,
-- rewritten by every report (telemetry, not history).
CREATE TABLE device_health (
	device             INTEGER PRIMARY KEY REFERENCES devices(id),
	at                 INTEGER NOT NULL,	-- of the latest report
	fw_version         TEXT NOT NULL,
	boot_id            TEXT,
	boot_ok            INTEGER NOT NULL,
	selftest_ok        INTEGER NOT NULL,
	crash_count        INTEGER NOT NULL,
	uptime_s           INTEGER NOT NULL,
	unhealthy          INTEGER NOT NULL,
	reports            INTEGER NOT NULL,	-- since first_at
	unhealthy_reports  INTEGER NOT NULL,
	crashes            INTEGER NOT NULL,	-- sum of crash_count
	first_at           INTEGER NOT NULL,
	sampled_at         INTEGER NOT NULL	-- when the latest sample was kept
);

-- Sampled health history: a report is kept when something changed or the
-- last sample is old; pruned by age and count (event_retention,
-- health_samples_max).
CREATE TABLE health_samples (
	id           INTEGER PRIMARY KEY,
	device       INTEGER NOT NULL REFERENCES devices(id),
	at           INTEGER NOT NULL,
	fw_version   TEXT NOT NULL,
	boot_id      TEXT,
	boot_ok      INTEGER NOT NULL,
	selftest_ok  INTEGER NOT NULL,
	crash_count  INTEGER NOT NULL,
	uptime_s     INTEGER NOT NULL,
	unhealthy    INTEGER NOT NULL
);
CREATE INDEX health_samples_device ON health_samples (device, id);
