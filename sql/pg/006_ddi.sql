-- folded into 001: artifacts' sha1 and md5, the token role gateway
-- (SQLite rebuilt the table), ddi_actions, device_attributes and
-- ddi_devices.  (No PostgreSQL store predates 001_init.sql; this file
-- keeps the numbering and the name that otad's history check compares.)
-- A statement, so that the script is not an empty query to a client.
SELECT 1;
