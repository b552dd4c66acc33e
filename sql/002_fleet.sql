-- The fleet: trust roots, artifacts, releases, devices, cohorts, offers,
-- and each device's history.

-- Root metadata as uploaded (envelope bytes verbatim), one row a version.
CREATE TABLE trust_roots (
	version      INTEGER PRIMARY KEY,
	body         BLOB NOT NULL,
	expires      INTEGER NOT NULL,
	uploaded_at  INTEGER NOT NULL,
	uploaded_by  TEXT NOT NULL
);

-- Artifacts live in <data-dir>/artifacts/<sha256>; a row means the file
-- was fsynced and renamed into place before the row was committed.
CREATE TABLE artifacts (
	sha256      TEXT PRIMARY KEY,
	size        INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	created_by  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE releases (
	id                INTEGER PRIMARY KEY,
	envelope          BLOB NOT NULL,	-- as signed by otactl, verbatim
	envelope_sha256   TEXT NOT NULL UNIQUE,
	fw_version        TEXT NOT NULL,
	security_counter  INTEGER NOT NULL,
	artifact_sha256   TEXT NOT NULL REFERENCES artifacts(sha256),
	length            INTEGER NOT NULL,
	expires           INTEGER NOT NULL,
	created           INTEGER NOT NULL,
	notes             TEXT,
	uploaded_at       INTEGER NOT NULL,
	uploaded_by       TEXT NOT NULL,
	revoked_at        INTEGER,
	revoked_by        TEXT
);

-- One row per hw class a release lists; a version exists once per class.
CREATE TABLE release_hw_classes (
	release_id  INTEGER NOT NULL REFERENCES releases(id),
	hw_class    TEXT NOT NULL,
	fw_version  TEXT NOT NULL,
	PRIMARY KEY (release_id, hw_class),
	UNIQUE (hw_class, fw_version)
) WITHOUT ROWID;

CREATE TABLE devices (
	id           INTEGER PRIMARY KEY,
	device_id    TEXT NOT NULL UNIQUE,
	hw_class     TEXT NOT NULL,
	token_hash   BLOB NOT NULL UNIQUE,
	fw_version   TEXT NOT NULL,		-- last declared by the device
	created_at   INTEGER NOT NULL,
	last_seen    INTEGER			-- NULL until its first poll
);
CREATE INDEX devices_hw_class ON devices (hw_class, id);
CREATE INDEX devices_fw_version ON devices (fw_version, id);

CREATE TABLE device_tags (
	device  INTEGER NOT NULL REFERENCES devices(id),
	tag     TEXT NOT NULL,
	PRIMARY KEY (device, tag)
) WITHOUT ROWID;
CREATE INDEX device_tags_tag ON device_tags (tag, device);

CREATE TABLE cohorts (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	description  TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	created_by   TEXT NOT NULL
);

CREATE TABLE cohort_devices (
	cohort  INTEGER NOT NULL REFERENCES cohorts(id),
	device  INTEGER NOT NULL REFERENCES devices(id),
	PRIMARY KEY (cohort, device)
) WITHOUT ROWID;
CREATE INDEX cohort_devices_device ON cohort_devices (device, cohort);

-- A direct assignment: at most one per device (campaign offers live with
-- their campaign).
CREATE TABLE offers (
	device      INTEGER PRIMARY KEY REFERENCES devices(id),
	release_id  INTEGER NOT NULL REFERENCES releases(id),
	state       TEXT NOT NULL,
	reason      TEXT,
	created_at  INTEGER NOT NULL,
	created_by  TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
);

-- Everything that happened to a device, in order: its update history.
CREATE TABLE device_events (
	id           INTEGER PRIMARY KEY,
	device       INTEGER NOT NULL REFERENCES devices(id),
	at           INTEGER NOT NULL,
	kind         TEXT NOT NULL,
	release_id   INTEGER,
	campaign_id  INTEGER,
	state        TEXT,
	reason       TEXT,
	detail       TEXT
);
CREATE INDEX device_events_device ON device_events (device, id);
