#!/bin/bash
# builds: rel san (otactl has no threads)
# backends: sqlite (otactl has no store)
# A 2-of-3 root rotation passed from person to person: each root key holder
# signs on their own machine with otactl root cosign, and otactl verify
# says which thresholds are met and which signatures are still missing.
. "$(dirname "$0")/../otactl_lib.sh"

# check NAME WANT [PATTERN]: the last run exited WANT, and its stdout or
# stderr matches PATTERN.
check() {
	local name=$1 want=$2 pat=${3:-}
	if [ "$rc" -eq "$want" ] && [[ "$out
$errout" =~ $pat ]]; then ok "$name"
	else not_ok "$name"; echo "# rc=$rc (want $want): $out $errout"; fi
}
id() { jq -r .keyid "$1.pub"; }

# Alice, Bob and Carol hold the root keys (2 of 3), each with their own
# passphrase; nobody ever holds two of them.
for p in alice bob carol rel rel2 online; do
	printf '%s passphrase\n' "$p" >"$p.pass"
	"$OTACTL" key new --out "$p" --passphrase-file "$p.pass" >/dev/null 2>&1
done
# Version 1 made person to person: Alice drafts it with Bob's public key
# and signs; Bob cosigns on his own machine.
run root new --root-key alice --root-pub bob.pub --threshold root=2 \
	--release-key rel.pub --online-key online.pub --expires 30d \
	--out r1.json --passphrase-file alice.pass
check "root 1 with one of two root signatures is refused" 1 \
	"give more --root-key, or write a --draft"
test ! -e r1.json && ok "... and nothing is written" || not_ok "... and nothing is written"
run root new --root-key alice --root-pub bob.pub --threshold root=2 \
	--release-key rel.pub --online-key online.pub --expires 30d \
	--draft root1.draft --passphrase-file alice.pass
check "alice drafts root 1 alone" 0 \
	"root role of root version 1: 1 of 2 signatures: 1 more needed, from any of $(id bob)"
run root new --root-pub alice.pub --root-pub bob.pub --threshold root=2 \
	--release-key rel.pub --online-key online.pub --expires 30d \
	--draft unsigned.draft
check "a draft may start unsigned" 0 "0 of 2 signatures"
run root new --root-pub alice.pub --release-key rel.pub --online-key online.pub \
	--expires 30d --out x.json
check "--out or --draft is asked for: without a root key --out is refused" 2 "--root-key"
run root new --root-key alice --release-key rel.pub --online-key online.pub \
	--expires 30d --out x.json --draft y.json --passphrase-file alice.pass
check "not both --out and --draft" 2 "not both"
run root cosign --key carol --in root1.draft --out x.json --passphrase-file carol.pass
check "carol, no root key of version 1, cannot cosign it" 1 "not a root key of version 1"
run root cosign --key bob --in root1.draft --out root1.json --passphrase-file bob.pass
check "bob cosigns root 1: every threshold met" 0 "every threshold is met"
run verify --root root1.json root1.json
check "root 1 verifies as its own trusted root" 0
# Version 2 adds Carol (2 of 3) and a release key. Alice drafts it alone.
run root rotate --from root1.json --add-root-key carol.pub --threshold root=2 \
	--add-release-key rel2.pub --sign-key alice --draft root2.draft \
	--passphrase-file alice.pass
check "alice writes a draft signed by her alone" 0 "not valid yet"
check "the draft says what version 1's root role still needs" 0 \
	"root role of root version 1: 1 of 2 signatures: 1 more needed, from any of $(id bob)"
run root rotate --from root1.json --add-root-key carol.pub --sign-key alice \
	--out r2.json --passphrase-file alice.pass
check "without --draft her signature alone is refused" 1 "give more --sign-key, or write a --draft"
test ! -e r2.json && ok "and nothing is written" || not_ok "and nothing is written"
run verify --root root1.json root2.draft
check "verify: not yet (threshold)" 1 "otactl: verify: threshold: "
check "verify names what is met and what is missing" 1 \
	"root role of root version 2: 1 of 2 signatures: 1 more needed, from any of ($(id bob),$(id carol)|$(id carol),$(id bob))"
# Bob cosigns the draft on his machine: both thresholds are met.
cp root2.draft signed-part.before
run root cosign --from root1.json --key bob --in root2.draft --out root2.json \
	--passphrase-file bob.pass
check "bob cosigns: every threshold met" 0 "every threshold is met"
check "the root role of version 1 is met" 0 "root role of root version 1: 2 of 2 signatures: met"
cmp -s <(jq -cS .signed signed-part.before) <(jq -cS .signed root2.json) &&
	ok "cosigning leaves the signed part as it was" ||
	not_ok "cosigning leaves the signed part as it was"
run verify --root root1.json root2.json
check "verify: ok" 0 "^ok: root version 2 follows version 1"
check "and says both thresholds are met" 0 "root role of root version 2: 2 of 2 signatures: met"

# Version 3 removes Alice: an unsigned draft from the tool, then Bob and
# Carol sign it in turn, one person at a time.
run root rotate --from root2.json --remove-root-key alice.pub --draft root3.json
check "an unsigned draft needs no key" 0 "0 of 2 signatures"
run root cosign --from root2.json --key carol --in root3.json --out root3.json \
	--passphrase-file carol.pass
check "carol signs first (in place)" 0 "not valid yet"
run root cosign --key bob --in root3.json --out root3.json --passphrase-file bob.pass
check "version 3 cannot be cosigned without the root it follows" 2 "--from ROOT is required"
run root cosign --from root1.json --key bob --in root3.json --out x.json \
	--passphrase-file bob.pass
check "nor against the wrong one" 1 "version: "
run root cosign --from root2.json --key rel --in root3.json --out x.json \
	--passphrase-file rel.pass
check "a key of neither root is refused" 1 "threshold: .*is a root key of neither"
run root cosign --from root2.json --key bob --in root3.json --out root3.json \
	--passphrase-file bob.pass
check "bob signs second: done" 0 "every threshold is met"
run verify --root root2.json root3.json
check "root 3 verifies after root 2" 0 "^ok: root version 3 follows version 2"

# What no device would accept, nobody signs.
jq -c '.signed.expires = "2099-01-01T00:00:00Z"' root3.json >tampered.json
run root cosign --from root2.json --key carol --in tampered.json --out x.json \
	--passphrase-file carol.pass
check "a draft changed after someone signed it is refused" 1 "signature: "
test ! -e x.json && ok "and nothing is written" || not_ok "and nothing is written"
jq -c --arg o "$(id online)" '.signed.roles.release.keyids += [$o] | .signatures = []' \
	root3.json >overlap.json
run root cosign --from root2.json --key bob --in overlap.json --out x.json \
	--passphrase-file bob.pass
check "a draft listing the online key as a release key is refused" 2 \
	"$(id online) is in both the release and the online role"

# Releases too: verify names the release keys still missing.
head -c 1000 /dev/urandom >fw.bin
run root rotate --from root3.json --threshold release=2 --sign-key bob \
	--sign-key carol --out root4.json --passphrase-file bob.pass \
	--passphrase-file carol.pass
run release sign --artifact fw.bin --fw-version 1.0.0 --hw-class b \
	--security-counter 1 --expires 1d --key rel --out release.json \
	--passphrase-file rel.pass
run verify --root root4.json release.json
check "a release 1 of 2: threshold, naming the missing key" 1 \
	"release role of root version 4: 1 of 2 signatures: 1 more needed, from any of $(id rel2)"
run release cosign --key rel2 --in release.json --out release.json --passphrase-file rel2.pass
run verify --root root4.json release.json
check "cosigned: met" 0 "release role of root version 4: 2 of 2 signatures: met"

[ "$failed" -eq 0 ]
