-- folded into 001: webhook_endpoints, webhook_outbox and the two triggers
-- (as PL/pgSQL trigger functions).  (No PostgreSQL store predates
-- 001_init.sql; this file keeps the numbering and the name that otad's
-- history check compares.)  A statement, so that the script is not an
-- empty query to a client.
SELECT 1;
