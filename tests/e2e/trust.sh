#!/bin/bash
# The daemon's side of the trust model: its online key, root upload and
# rotation (both thresholds), the root chain devices walk, and a leaked
# release key revoked by a new root.
. "$(dirname "$0")/../lib.sh"
export OTA_PASSPHRASE=trust-e2e
cd "$TMP" || exit 1
ctl() { "$BIN/otactl" "$@" >/dev/null 2>&1; }

start_otad || { fail "otad starts"; finish; }
api GET /v1/trust/root.json
expect_status "no root yet: 404" 404
expect "the error says what to do" "$(jqb .error.code)" no_root

curl -sf "$URL/v1/trust/online-key" >online.pub
expect "online key is a public key file" "$(jq -r .keytype online.pub)" ed25519
expect "its key id is the hash of the key" "$(jq -r .keyid online.pub)" \
	"$(printf "$(jq -r .public online.pub | sed 's/../\\x&/g')" | sha256sum | cut -c1-64)"
expect "online.key is 0600" "$(stat -c %a "$DATA/online.key")" 600
check "online.key holds no clear seed" grep -q '"ciphertext"' "$DATA/online.key"

for k in rootA rootB relA relB; do ctl key new --out "$k"; done
"$BIN/otactl" key new --out rogue-online >/dev/null 2>&1
ctl root new --root-key rootA --release-key relA.pub --online-key online.pub \
	--expires 30d --out root1.json
ctl root new --root-key rootA --release-key relA.pub \
	--online-key rogue-online.pub --expires 30d --out root-rogue.json
api PUT /v1/trust/root "$ADMIN" --data-binary @root-rogue.json
expect_status "a root without this server's online key: 422" 422
expect "named online_key_missing" "$(jqb .error.code)" online_key_missing

# Tampered: a field of "signed" changed after signing.
jq -c '.signed.expires = "2099-01-01T00:00:00Z"' root1.json >root-tampered.json
api PUT /v1/trust/root "$ADMIN" --data-binary @root-tampered.json
expect_status "a tampered root: 422" 422
expect "reason signature" "$(jqb .error.code)" signature

api PUT /v1/trust/root "$(cat "$DATA/admin.token")" --data-binary @root1.json
expect_status "root 1 accepted" 201
api GET /v1/trust/root.json
expect "root.json serves the bytes uploaded" "$(sha256sum <<<"$BODY" | cut -c1-64)" \
	"$( (cat root1.json; echo) | sha256sum | cut -c1-64)"
api GET /v1/trust/root/1.json
expect_status "root/1.json" 200
api PUT /v1/trust/root "$ADMIN" --data-binary @root1.json
expect_status "root 1 again: 422" 422
expect "reason version" "$(jqb .error.code)" version

# Rotation to version 2: root key A -> B, release key A (leaked) -> B.
ctl root rotate --from root1.json --remove-root-key rootA.pub --add-root-key rootB.pub \
	--remove-release-key relA.pub --add-release-key relB.pub \
	--sign-key rootA --sign-key rootB --out root2.json
check "otactl made root 2" test -s root2.json
A=$(jq -r .keyid rootA.pub)
B=$(jq -r .keyid rootB.pub)
jq -c --arg k "$B" '.signatures |= map(select(.keyid != $k))' root2.json >root2-old-only.json
jq -c --arg k "$A" '.signatures |= map(select(.keyid != $k))' root2.json >root2-new-only.json
api PUT /v1/trust/root "$ADMIN" --data-binary @root2-old-only.json
expect_status "root 2 signed only by the old root key: 422" 422
expect "reason threshold" "$(jqb .error.code)" threshold
api PUT /v1/trust/root "$ADMIN" --data-binary @root2-new-only.json
expect_status "root 2 signed only by the new root key: 422" 422
ctl root rotate --from root2.json --sign-key rootB --out root3.json
api PUT /v1/trust/root "$ADMIN" --data-binary @root3.json
expect_status "a jump from 1 to 3: 422" 422
expect "reason version" "$(jqb .error.code)" version
VIEWER=$(curl -s -H "Authorization: Bearer $ADMIN" -d '{"name":"v","role":"release"}' "$URL/v1/tokens" | jq -r .token)
api PUT /v1/trust/root "$VIEWER" --data-binary @root2.json
expect_status "a release token may not change the root: 403" 403
api PUT /v1/trust/root "$ADMIN" --data-binary @root2.json
expect_status "root 2 signed by both thresholds: 201" 201
api GET /v1/trust/root.json
expect "root.json is now version 2" "$(jqb .signed.version)" 2
api GET /v1/trust/root/1.json
expect "the chain keeps version 1 for devices to walk" "$(jqb .signed.version)" 1
api GET /v1/trust/root/3.json
expect_status "no version 3: 404" 404
api PUT /v1/trust/root "$ADMIN" --data-binary @root3.json
expect_status "root 3 chained to 2: 201" 201

# The leaked release key no longer signs anything the server accepts.
head -c 4096 /dev/urandom >fw.bin
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @fw.bin
ctl release sign --artifact fw.bin --fw-version 1.0.1 --hw-class b \
	--security-counter 1 --expires 1d --key relA --out leaked.json
api POST /v1/releases "$ADMIN" --data-binary @leaked.json
expect_status "a release signed by the revoked key: 422" 422
expect "reason threshold" "$(jqb .error.code)" threshold
ctl release sign --artifact fw.bin --fw-version 1.0.1 --hw-class b \
	--security-counter 1 --expires 1d --key relB --out good.json
api POST /v1/releases "$ADMIN" --data-binary @good.json
expect_status "a release signed by the new key: 201" 201

# The online key rotates in two steps; until a root lists the key in use,
# no offer goes out (devices would refuse it).
api POST /v1/devices "$ADMIN" -d '{"device_id":"d1","hw_class":"b","fw_version":"1.0.0"}'
DEV=$(jqb .token)
api POST /v1/devices/d1/assign "$ADMIN" -d "{\"release\": 1}"
expect_status "direct offer" 201
old_online=$(jq -r .keyid online.pub)
next=$(otad_run --data-dir "$DATA" online-key next 2>/dev/null)
expect "online-key next prints the new key id" "$next" "$(jq -r .keyid "$DATA/online-next.pub")"
api GET "/v1/device/update?fw_version=1.0.0&nonce=rotate-000" "$DEV"
expect_status "until the switch, offers are signed by the old key" 200
expect "by the old key" "$(jqb -r '.assignment.signatures[0].keyid')" "$old_online"
stop_otad
otad_run --data-dir "$DATA" online-key switch >/dev/null 2>&1
expect "online-key switch" "$?" 0
check "the old key is kept aside" test -e "$DATA/online-old-${old_online:0:16}.key"
start_otad || fail "otad restarts with the new online key"
expect "the server now serves the new key" "$(curl -s "$URL/v1/trust/online-key" | jq -r .keyid)" "$next"
api GET "/v1/device/update?fw_version=1.0.0&nonce=rotate-001" "$DEV"
expect_status "no offer while the root does not list the new key" 204
check "and the log says why" grep -q "does not list this server's online key" "$OTAD_LOG"
curl -s "$URL/v1/trust/online-key" >online2.pub
ctl root rotate --from root3.json --remove-online-key online.pub \
	--add-online-key online2.pub --sign-key rootB --out root4.json
api PUT /v1/trust/root "$ADMIN" --data-binary @root4.json
expect_status "root 4 with the new online key" 201
api GET "/v1/device/update?fw_version=1.0.0&nonce=rotate-002" "$DEV"
expect_status "offers resume" 200
expect "signed by the new key" "$(jqb -r '.assignment.signatures[0].keyid')" "$next"
jq -j -c .assignment <<<"$BODY" >asg.json
check "the assignment verifies against root 4" "$BIN/otactl" verify --root root4.json asg.json
"$BIN/otactl" verify --root root3.json asg.json >/dev/null 2>&1
check "and not against root 3, which trusts the old key" test $? -ne 0

# An expired root is refused.
# (10 s: otactl checks the root it made, and on a loaded machine 2 s
# had passed by then.)
"$BIN/otactl" root rotate --from root4.json --sign-key rootB --expires 10s \
	--out root5.json >/dev/null 2>root5.err
check "otactl made a root that expires soon" test -s root5.json
[ -s root5.json ] || sed 's/^/# /' root5.err
EXP=$(date -u -d "$(jq -r .signed.expires root5.json)" +%s)
while [ "$(date +%s)" -le "$EXP" ]; do sleep 0.2; done
api PUT /v1/trust/root "$ADMIN" --data-binary @root5.json
expect_status "an expired root: 422" 422
expect "reason expired" "$(jqb .error.code)" expired

# The online key and the root survive a restart; a loose key file stops it.
stop_otad
start_otad || fail "otad restarts"
expect "same online key after restart" "$(curl -s "$URL/v1/trust/online-key" | jq -r .keyid)" "$next"
api GET /v1/trust/root.json
expect "same root after restart" "$(jqb .signed.version)" 4
stop_otad
chmod 0644 "$DATA/online.key"
out=$(otad_run --listen 127.0.0.1:0 --data-dir "$DATA" 2>&1)
expect "a group-readable online key stops otad" "$?" 1
check "and the message names it" grep -q "online key.*online.key" <<<"$out"
finish
