-- folded into 001: install_boot, cause_stated, the campaign_devices_state
-- index on (campaign, state, bucket), device_health and health_samples.
-- (No PostgreSQL store predates 001_init.sql; this file keeps
-- the numbering and the name that otad's history check compares.)
-- A statement, so that the script is not an empty query to a client.
SELECT 1;
