-- folded into 001: tokens' expires_at and last_used_at, and the audit
-- table with its indexes.  (No PostgreSQL store predates 001_init.sql;
-- this file keeps the numbering and the name that otad's history check
-- compares.)  A statement, so that the script is not an empty query to
-- a client.
SELECT 1;
