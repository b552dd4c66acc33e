-- folded into 001: nothing: it moved SQLite stores' old health events into
-- 004's tables, and a PostgreSQL store never had them.  (No PostgreSQL
-- store predates 001_init.sql; this file keeps the numbering and the
-- name that otad's history check compares.)  A statement, so that the
-- script is not an empty query to a client.
SELECT 1;
