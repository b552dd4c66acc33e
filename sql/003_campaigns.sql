-- Campaigns: a release rolled out in stages over a cohort or a fleet, the
-- devices it holds (fixed at start, with their buckets), and its events.

CREATE TABLE campaigns (
	id               INTEGER PRIMARY KEY,
	name             TEXT NOT NULL,
	release_id       INTEGER NOT NULL REFERENCES releases(id),
	cohort_id        INTEGER REFERENCES cohorts(id),	-- NULL: whole fleet
	salt             BLOB NOT NULL,
	stages           TEXT NOT NULL,		-- JSON array of percentages
	policy           TEXT NOT NULL,		-- JSON object, defaults filled in
	supersede        INTEGER NOT NULL DEFAULT 0,
	state            TEXT NOT NULL,
	stage            INTEGER NOT NULL DEFAULT 0,
	stage_opened_at  INTEGER,
	verdict          TEXT,			-- the gate's latest verdict
	verdict_reason   TEXT,
	verdict_detail   TEXT,			-- JSON: the numbers behind it
	verdict_at       INTEGER,
	created_at       INTEGER NOT NULL,
	created_by       TEXT NOT NULL,
	started_at       INTEGER,
	finished_at      INTEGER
);
CREATE INDEX campaigns_state ON campaigns (state, id);

CREATE TABLE campaign_devices (
	campaign      INTEGER NOT NULL REFERENCES campaigns(id),
	device        INTEGER NOT NULL REFERENCES devices(id),
	bucket        INTEGER NOT NULL,
	state         TEXT NOT NULL DEFAULT 'pending',
	attempts      INTEGER NOT NULL DEFAULT 0,
	last_change   INTEGER,
	confirmed_at  INTEGER,
	reason        TEXT,
	PRIMARY KEY (campaign, device)
) WITHOUT ROWID;
CREATE INDEX campaign_devices_device ON campaign_devices (device, campaign);
CREATE INDEX campaign_devices_bucket ON campaign_devices (campaign, bucket, state);
CREATE INDEX campaign_devices_state ON campaign_devices (campaign, state);

CREATE TABLE campaign_events (
	id        INTEGER PRIMARY KEY,
	campaign  INTEGER NOT NULL REFERENCES campaigns(id),
	at        INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	actor     TEXT NOT NULL,
	stage     INTEGER,
	detail    TEXT		-- JSON
);
CREATE INDEX campaign_events_campaign ON campaign_events (campaign, id);
