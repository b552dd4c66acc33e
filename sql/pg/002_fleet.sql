-- folded into 001: trust roots, artifacts, releases, hw classes, devices,
-- tags, cohorts, offers and device events.  (No PostgreSQL store predates
-- 001_init.sql; this file keeps the numbering and the name that otad's
-- history check compares.)  A statement, so that the script is not an
-- empty query to a client.
SELECT 1;
