-- Webhooks (issue #18): a durable outbox of campaign and device events for
-- the configured endpoint (docs/rollouts.md, "Webhooks"). Triggers write
-- the outbox rows, so every event is queued IN THE SAME TRANSACTION as the
-- change that caused it, whichever code path made it; the sender thread
-- (src/core/webhooks.c) delivers them and records each attempt.

-- The endpoints otad delivers to, as the config names them at start (the
-- secret stays in its file). Only enabled ones get outbox rows.
CREATE TABLE webhook_endpoints (
	id       INTEGER PRIMARY KEY,
	url      TEXT NOT NULL,
	enabled  INTEGER NOT NULL DEFAULT 0
);

-- One delivery of one event to one endpoint. state: pending (due at
-- next_at), delivered, dead (gave up after the configured tries).
CREATE TABLE webhook_outbox (
	id            INTEGER PRIMARY KEY,
	endpoint      INTEGER NOT NULL REFERENCES webhook_endpoints(id),
	event_id      TEXT NOT NULL,	-- stable across retries: receivers dedupe
	kind          TEXT NOT NULL,
	body          TEXT NOT NULL,	-- JSON, signed as sent
	created_at    INTEGER NOT NULL,
	state         TEXT NOT NULL DEFAULT 'pending',
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_at       INTEGER NOT NULL,
	last_error    TEXT,
	done_at       INTEGER
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_at, id)
	WHERE state = 'pending';

-- Every campaign event: stage opened, gate verdicts (advanced, halted with
-- its reason, awaiting_approval, completed), operators' actions, windows.
CREATE TRIGGER webhook_campaign_event AFTER INSERT ON campaign_events
BEGIN
	INSERT INTO webhook_outbox (endpoint, event_id, kind, body, created_at,
	    next_at)
	SELECT e.id, 'campaign-event-' || NEW.id, NEW.kind,
	    json_object('id', 'campaign-event-' || NEW.id, 'kind', NEW.kind,
	    'campaign', NEW.campaign, 'at', strftime('%Y-%m-%dT%H:%M:%SZ',
	    NEW.at, 'unixepoch'), 'actor', NEW.actor, 'stage',
	    COALESCE(NEW.stage, 0) + 1, 'detail',
	    CASE WHEN json_valid(NEW.detail) THEN json(NEW.detail) ELSE NULL END),
	    NEW.at, NEW.at
	FROM webhook_endpoints e WHERE e.enabled = 1;
END;

-- A campaign member that failed: its failure report, a fallback, or a
-- timeout the gate's sweep found.
CREATE TRIGGER webhook_device_failed AFTER INSERT ON device_events
WHEN NEW.campaign_id IS NOT NULL AND NEW.kind IN ('status', 'campaign')
	AND NEW.state IN ('failed', 'rolled_back', 'timed_out')
BEGIN
	INSERT INTO webhook_outbox (endpoint, event_id, kind, body, created_at,
	    next_at)
	SELECT e.id, 'device-event-' || NEW.id, 'device_failed',
	    json_object('id', 'device-event-' || NEW.id, 'kind', 'device_failed',
	    'campaign', NEW.campaign_id, 'at', strftime('%Y-%m-%dT%H:%M:%SZ',
	    NEW.at, 'unixepoch'), 'device', (SELECT device_id FROM devices
	    WHERE id = NEW.device), 'release', NEW.release_id, 'state',
	    NEW.state, 'reason', NEW.reason),
	    NEW.at, NEW.at
	FROM webhook_endpoints e WHERE e.enabled = 1;
END;
