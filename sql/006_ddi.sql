-- hawkBit DDI (docs/api.md, "hawkBit DDI"): SHA-1 and MD5 of artifacts,
-- one action per offer attempt, device attributes from configData, and
-- the token role `gateway`.

-- NULL until computed: at upload, or once on first DDI use for artifacts
-- stored before this migration.
ALTER TABLE artifacts ADD COLUMN sha1 TEXT;
ALTER TABLE artifacts ADD COLUMN md5 TEXT;

-- The role list is a CHECK constraint, which SQLite cannot alter: the
-- table is rebuilt with its rows and ids (nothing references it).
CREATE TABLE tokens_new (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	role        TEXT NOT NULL CHECK (role IN ('admin', 'release', 'viewer',
	                'gateway')),
	hash        BLOB NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL
);
INSERT INTO tokens_new (id, name, role, hash, created_at)
SELECT id, name, role, hash, created_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;

-- One attempt of one offer, as a DDI client sees it. Ids fit an int32
-- (SWUpdate parses them with json_object_get_int).
CREATE TABLE ddi_actions (
	id           INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 2147483647),
	device       INTEGER NOT NULL REFERENCES devices(id),
	campaign_id  INTEGER REFERENCES campaigns(id),	-- NULL: a direct offer
	release_id   INTEGER NOT NULL REFERENCES releases(id),
	attempt      INTEGER NOT NULL,
	state        TEXT NOT NULL DEFAULT 'open'
	             CHECK (state IN ('open', 'closed', 'canceled')),
	cancel       TEXT NOT NULL DEFAULT 'none'
	             CHECK (cancel IN ('none', 'requested', 'rejected')),
	-- how it ended: success, failure, superseded, timed_out, canceled
	result       TEXT,
	-- the closing report as "execution/finished", so that its HTTP
	-- retry can be told from a late report (410)
	closing      TEXT,
	created_at   INTEGER NOT NULL,
	closed_at    INTEGER
);
CREATE UNIQUE INDEX ddi_actions_open ON ddi_actions (device)
	WHERE state = 'open';
CREATE INDEX ddi_actions_device ON ddi_actions (device, id);

-- What a device said about itself in configData (string to string).
CREATE TABLE device_attributes (
	device  INTEGER NOT NULL REFERENCES devices(id),
	key     TEXT NOT NULL,
	value   TEXT NOT NULL,
	PRIMARY KEY (device, key)
) WITHOUT ROWID;

-- Per DDI device: whether the controller base shows the configData link.
-- No row: the device never sent configData, so it is asked for.
CREATE TABLE ddi_devices (
	device       INTEGER PRIMARY KEY REFERENCES devices(id),
	config_asked INTEGER NOT NULL
);
