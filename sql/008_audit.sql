-- Who did what (docs/operations.md, "Audit trail"): one row per
-- state-changing management call, kept apart from device telemetry and
-- pruned only by audit_retention_days; and the tokens' expiry and last
-- use. Depends on nothing after 006.

-- 0: never expires / never used (times are seconds since the epoch).
ALTER TABLE tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE audit (
	id           INTEGER PRIMARY KEY,
	at           INTEGER NOT NULL,
	actor        TEXT NOT NULL,		-- the token's name
	client       TEXT NOT NULL,		-- the client's address
	request_id   TEXT NOT NULL,
	method       TEXT NOT NULL,
	path         TEXT NOT NULL,
	object_type  TEXT NOT NULL,		-- "device", "campaign", ...
	object_id    TEXT NOT NULL,		-- "" when the call names none
	action       TEXT NOT NULL,		-- "create", "delete", "revoke", ...
	note         TEXT NOT NULL DEFAULT '',	-- what changed, in words
	-- the reply's HTTP status; NULL when the change committed and the
	-- daemon stopped before the reply was recorded
	status       INTEGER,
	error        TEXT NOT NULL DEFAULT ''	-- the error code, if any
);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_actor ON audit(actor, id);
CREATE INDEX audit_object ON audit(object_type, object_id, id);
