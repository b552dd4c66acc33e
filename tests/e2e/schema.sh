#!/bin/bash
# builds: rel
# scripts/schema-check (run first by tests/run) passes on the tree and
# fails, naming the difference, on each kind of difference planted in a copy
# of sql/ and sql/pg/: a column's type, NOT NULL, default, collation, an
# index, a unique constraint, a partial index's WHERE, a foreign key's ON
# DELETE, a CHECK, a trigger's body, a column only SQLite has.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
# One cluster for the script's checks (under PG=1, tests/run's).
if [ -z "${OTAD_TEST_PG_SOCK:-}" ]; then
	trap 'scripts/pg-test stop "$TMP/pg"; _cleanup' EXIT
	eval "export $(scripts/pg-test start "$TMP/pg")"
fi

check "the tree's migrations agree" scripts/schema-check

# plant NAME WANT SIDE SED: a copy with SED applied to SIDE's (lite or pg)
# migrations must fail, with WANT in the report.
plant() {
	local name=$1 want=$2 side=$3 expr=$4 dir out
	dir=$(mktemp -d "$TMP/plant.XXXXXX")
	mkdir "$dir/lite" "$dir/pg"
	cp sql/*.sql "$dir/lite/"
	cp sql/pg/*.sql "$dir/pg/"
	local before after
	before=$(cat "$dir/$side"/*.sql | md5sum)
	sed -i -e "$expr" "$dir/$side"/*.sql
	after=$(cat "$dir/$side"/*.sql | md5sum)
	if [ "$before" = "$after" ]; then
		fail "$name" "the plant changed nothing: $expr"
		return
	fi
	if out=$(scripts/schema-check "$dir/lite" "$dir/pg" 2>&1); then
		fail "$name" "schema-check passed"
	elif ! grep -qF -- "$want" <<<"$out"; then
		fail "$name" "report lacks '$want': $(head -c 600 <<<"$out")"
	else
		ok "$name"
	fi
}

plant "a 32-bit integer is a difference" "+column artifacts.size other:integer" \
	pg 's/^\tsize        BIGINT NOT NULL/\tsize        INTEGER NOT NULL/'
plant "a dropped NOT NULL is a difference" "+column tokens.expires_at integer null" \
	pg 's/expires_at    BIGINT NOT NULL DEFAULT 0/expires_at    BIGINT DEFAULT 0/'
plant "a default is compared" "+column audit.note text not-null default='x'" \
	pg "s/note         TEXT COLLATE \"C\" NOT NULL DEFAULT ''/note TEXT COLLATE \"C\" NOT NULL DEFAULT 'x'/"
plant "a text column needs COLLATE \"C\"" "+collation webhook_endpoints.url default" \
	pg 's/url      TEXT COLLATE "C" NOT NULL/url      TEXT NOT NULL/'
plant "a missing index is a difference" "-index audit audit_actor (actor,id)" \
	pg '/CREATE INDEX audit_actor/d'
plant "a missing unique constraint is a difference" "-unique devices (device_id)" \
	pg 's/device_id          TEXT COLLATE "C" NOT NULL UNIQUE/device_id TEXT COLLATE "C" NOT NULL/'
plant "a partial index's WHERE is compared" "+where webhook_outbox_due state='delivered'" \
	pg "s/WHERE state = 'pending'/WHERE state = 'delivered'/"
plant "an ON DELETE rule is compared" "on-delete=CASCADE" \
	pg 's/device        BIGINT PRIMARY KEY REFERENCES devices(id),/device BIGINT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,/'
plant "a dropped CHECK is a difference" "+checks ddi_actions 2" \
	pg 's/id           BIGINT PRIMARY KEY CHECK (id BETWEEN 1 AND 2147483647),/id BIGINT PRIMARY KEY,/'
plant "a trigger's body is compared" "the webhook triggers differ" \
	pg "s/',\"actor\":'/',\"actor\": '/"
plant "a column only SQLite has is a difference" "-column devices.note text null" \
	lite 's/^ALTER TABLE devices ADD COLUMN decommissioned_at INTEGER;/&\nALTER TABLE devices ADD COLUMN note TEXT;/'
finish
