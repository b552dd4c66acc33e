-- folded into 001: devices.decommissioned_at.  (No PostgreSQL store
-- predates 001_init.sql; this file keeps the numbering and the name that
-- otad's history check compares.)  A statement, so that the script is
-- not an empty query to a client.
SELECT 1;
