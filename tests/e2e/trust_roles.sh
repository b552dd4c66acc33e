#!/bin/bash
# The operator's slip that would hand the server's online key the power of
# a release manager: a root listing the online key as a release key. Played
# as the attack it enables, with the slip refused at each of the three
# places: otactl will not write such a root, otad will not store it, and a
# device that is served one anyway (by a server whose database the attacker
# wrote) refuses it while walking the chain and installs nothing the
# online key signed. Roots are forged here with openssl, not otactl, so
# that the server and the device are tried on bytes our own tool refuses
# to make.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sim_lib.sh"
W=$TMP/w
mkdir -p "$W"
cd "$W" || exit 1

# hexof FILE: the file's bytes as lowercase hex.
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# ossl_key NAME: an Ed25519 key NAME.pem and its public-key file NAME.pub
# in otad's format ({keyid, keytype, public}).
ossl_key() {
	local pub
	openssl genpkey -algorithm ed25519 -out "$1.pem" 2>/dev/null || return 1
	openssl pkey -in "$1.pem" -pubout -outform DER 2>/dev/null | tail -c 32 >"$1.raw"
	pub=$(hexof "$1.raw")
	jq -cnS --arg k "$(sha256sum <"$1.raw" | cut -c1-64)" --arg p "$pub" \
		'{keyid: $k, keytype: "ed25519", public: $p}' >"$1.pub"
}
# forge_root VERSION "ROOT.pub..." "RELEASE.pub..." "ONLINE.pub..." SIGNER.pem:
# root metadata with those roles (threshold 1 each), signed by SIGNER, in
# canonical JSON, on stdout.
forge_root() {
	local v=$1 sig signed
	signed=$(jq -cS -n --argjson v "$v" \
		--argjson root "$(jq -s . $2)" --argjson rel "$(jq -s . $3)" \
		--argjson onl "$(jq -s . $4)" '
		def role($ks): {keyids: [$ks[].keyid], threshold: 1};
		{_type: "root", version: $v, expires: "2099-01-01T00:00:00Z",
		 keys: ([$root[], $rel[], $onl[]] | map({(.keyid):
			{keytype: "ed25519", public: .public}}) | add),
		 roles: {root: role($root), release: role($rel), online: role($onl)}}')
	printf '%s' "$signed" >signed.bin
	openssl pkeyutl -sign -inkey "$5" -rawin -in signed.bin -out sig.bin || return 1
	sig=$(hexof sig.bin)
	jq -cSj -n --argjson s "$signed" --arg k "$(jq -r .keyid "${5%.pem}.pub")" \
		--arg g "$sig" '{signed: $s, signatures: [{keyid: $k, sig: $g}]}'
}

start_otad || { fail "otad starts"; finish; }
curl -sf "$URL/v1/trust/online-key" >online.pub
ONLINE=$(jq -r .keyid online.pub)
ctl() { "$OTACTL" "$@" >out.txt 2>err.txt; }
"$OTACTL" key new --out root >/dev/null 2>&1
"$OTACTL" key new --out rel >/dev/null 2>&1

# 1. otactl: the slip (the online key's .pub given as a release key) is
#    refused with a usage error naming the key and both roles.
ctl root new --root-key root --release-key rel.pub --release-key online.pub \
	--online-key online.pub --expires 30d --out slip1.json
expect "otactl root new with the online key as a release key: exit 2" "$?" 2
check "names the key and both roles" grep -q "$ONLINE.*online.*release\|$ONLINE.*release.*online" err.txt
check "and writes nothing" test ! -e slip1.json
ctl root new --root-key root --release-key root.pub --online-key online.pub \
	--expires 30d --out slip2.json
expect "a root key that is also a release key: exit 2" "$?" 2
check "names that key" grep -q "$(jq -r .keyid root.pub)" err.txt
ctl root new --root-key root --release-key rel.pub --online-key online.pub \
	--expires 30d --out good1.json
expect "a root with disjoint roles is written" "$?" 0
ctl root rotate --from good1.json --add-release-key online.pub --sign-key root \
	--out slip3.json
expect "otactl root rotate --add-release-key online.pub: exit 2" "$?" 2
check "names the key and both roles" grep -q "$ONLINE.*online.*release\|$ONLINE.*release.*online" err.txt
check "and writes nothing" test ! -e slip3.json

# 2. otad: the same slip made without otactl is refused with 422.
ossl_key R
forge_root 1 R.pub rel.pub online.pub R.pem >root1.json
forge_root 2 R.pub "rel.pub online.pub" online.pub R.pem >root2.json
api PUT /v1/trust/root "$ADMIN" --data-binary @root1.json
expect_status "a forged root with disjoint roles is accepted (the forgery is sound)" 201
api PUT /v1/trust/root "$ADMIN" --data-binary @root2.json
expect_status "PUT a root listing the online key as a release key: 422" 422
expect "error code role_overlap" "$(jqb .error.code)" role_overlap
check "the message names the key" grep -q "${ONLINE:0:16}" <<<"$BODY"
api GET /v1/trust/root/2.json
expect_status "nothing stored: no root 2" 404

# 3. The device: the attacker holds every server file, writes root 2 into
#    the database and signs a release with the server's own key.
stop_otad
db_sql "INSERT INTO trust_roots (version, body, expires, uploaded_at,
	uploaded_by) VALUES (2, $(db_bytes "$W/root2.json"), 4070908800, 0,
	'attacker') ON CONFLICT (version) DO NOTHING"
start_otad || { fail "otad restarts on the attacker's database"; finish; }
api GET /v1/trust/root/2.json
expect_status "the compromised server serves root 2" 200
check "and otad's log says the stored root is unsafe" grep -q "stored root is unsafe" "$OTAD_LOG"
"$SIM" make-firmware --fw-version 1.0.0 --behavior ok --size 48K --out factory.bin
"$SIM" make-firmware --fw-version 6.6.6 --behavior ok --size 100K --out evil.bin
api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @evil.bin
"$OTACTL" release sign --artifact evil.bin --fw-version 6.6.6 --hw-class "$HW" \
	--security-counter 1 --expires 1d --key "$DATA/online.key" \
	--passphrase-file "$DATA/online.pass" --out evil.json >/dev/null 2>&1
api POST /v1/releases "$ADMIN" --data-binary @evil.json
expect_status "the compromised server takes a release its own key signed" 201
EVIL=$(jqb .id)
cp root1.json root.json
sim_device d1
sim_assign d1 "$EVIL"
sim_run d1
expect "the device refuses root 2 while walking the chain" "$(sim_history d1)" \
	"failed:signature"
api GET /v1/devices/d1 "$ADMIN"
expect "the report's detail names the typed reason" \
	"$(jqb -r '[.history[] | select(.state == "failed")][0].detail' | cut -d: -f1)" \
	role_overlap
expect "it stays on its image" "$(sim_running d1)" "1.0.0 A"
expect "and keeps trusting root 1" "$(sim_st d1 .root_version)" 1
expect "nothing pending" "$(sim_st d1 .pending)" null
check "the log names the overlap" grep -q "online.*release\|release.*online" "$W/d1.log"

stop_otad
finish
