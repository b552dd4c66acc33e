-- Version table and admin tokens: the foundation of every later table.
CREATE TABLE tokens (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	role        TEXT NOT NULL CHECK (role IN ('admin', 'release', 'viewer')),
	hash        BLOB NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL
);
