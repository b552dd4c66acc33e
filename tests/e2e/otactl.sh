#!/bin/bash
# builds: rel san (otactl has no threads)
# backends: sqlite (otactl has no store)
# otactl end to end: keys, roots, releases, cosigning, rotation, and the
# refusals a release manager must see. Prints "ok - name" / "not ok -
# name" per check; exits non-zero when any check fails.
. "$(dirname "$0")/../otactl_lib.sh"

printf 'release manager passphrase\n' > pass
printf 'the other passphrase\n' > pass2

# Help ------------------------------------------------------------------
run release sign --help
if [ "$rc" -eq 0 ] && [[ $out == *"release sign --artifact FILE"* ]] &&
    [[ $out != *"root new"* ]] && [[ $out == *Passphrases* ]]; then
	ok "release sign --help: its usage on stdout, exit 0"
else
	not_ok "release sign --help: its usage on stdout, exit 0"; echo "# rc=$rc $out"
fi
run help root
if [ "$rc" -eq 0 ] && [[ $out == *"root new"* ]] && [[ $out == *"root rotate"* ]] &&
    [[ $out != *"release sign"* ]]; then
	ok "help root: every root subcommand, nothing else"
else
	not_ok "help root: every root subcommand, nothing else"; echo "# rc=$rc $out"
fi
run help
[ "$rc" -eq 0 ] && [[ $out == *"verify --root"* ]] && [[ $out == *"key new"* ]] &&
    ok "help lists every command" || not_ok "help lists every command"

# Keys ------------------------------------------------------------------
for k in root1 root2 root3 rel1 rel2 rel3 online; do
	run key new --out "$k" --passphrase-file pass
	[ "$rc" -eq 0 ] || { not_ok "key new $k"; echo "# $errout"; }
done
run key new --out newroot --passphrase-file pass2
if [ "$rc" -eq 0 ] && [[ $out =~ ^[0-9a-f]{64}$ ]] &&
    [ "$(stat -c %a newroot)" = 600 ] && [ -f newroot.pub ] &&
    [ "$out" = "$(jq -r .keyid newroot.pub)" ]; then
	ok "key new writes a 0600 secret, the .pub, and prints the key id"
else
	not_ok "key new writes a 0600 secret, the .pub, and prints the key id"
fi
expect_fail "key new refuses to overwrite a key" 1 "io: .*already exists" \
    key new --out root1 --passphrase-file pass
OTA_PASSPHRASE=$(cat pass) expect_ok "key new takes OTA_PASSPHRASE" \
    key new --out envkey

# Passphrases never on argv ---------------------------------------------
expect_fail "--passphrase on the command line is refused" 2 \
    "passphrase.*never taken on the command line" \
    key new --out argvkey --passphrase hunter2
expect_fail "--passphrase=VALUE is refused too" 2 "never taken" \
    release cosign --key rel1 --in x --out x --passphrase=hunter2
expect_fail "no passphrase source is a usage error" 2 "no passphrase" \
    key new --out nopass
[ ! -e argvkey ] && [ ! -e nopass ] && ok "no key file left behind" ||
    not_ok "no key file left behind"

# Root ------------------------------------------------------------------
expect_ok "root new" root new --root-key root1 --root-key root2 \
    --threshold root=2 --release-key rel1.pub --release-key rel2.pub \
    --threshold release=2 --online-key online.pub --expires 365d \
    --out root.json --passphrase-file pass
if [ "$(jq -r .signed.version root.json)" = 1 ] &&
    [ "$(jq '.signatures | length' root.json)" = 2 ] &&
    [ "$(jq -r '.signed.roles.release.threshold' root.json)" = 2 ]; then
	ok "root.json is version 1 with two root signatures"
else
	not_ok "root.json is version 1 with two root signatures"
fi
expect_fail "root new below its root threshold" 1 "threshold" \
    root new --root-key root1 --root-key root2 --threshold root=3 \
    --release-key rel1.pub --online-key online.pub --expires 1d \
    --out bad-root.json --passphrase-file pass
expect_fail "root new: bad --threshold names the flag" 2 "--threshold" \
    root new --root-key root1 --release-key rel1.pub --online-key \
    online.pub --threshold admin=1 --expires 1d --out x.json \
    --passphrase-file pass
expect_fail "root new: missing --expires" 2 "--expires is required" \
    root new --root-key root1 --release-key rel1.pub --online-key \
    online.pub --out x.json --passphrase-file pass
expect_ok "verify a root against itself" verify --root root.json root.json

# Release ---------------------------------------------------------------
head -c 200000 /dev/urandom > fw.bin
expect_ok "release sign" release sign --artifact fw.bin --fw-version 1.4.0 \
    --hw-class board-a --hw-class board-b --security-counter 7 \
    --expires 90d --notes "fixes the watchdog" --key rel1 \
    --out release.json --passphrase-file pass
if [ "$(jq -r .signed.length release.json)" = 200000 ] &&
    [ "$(jq -r .signed.hashes.sha256 release.json)" = \
      "$(sha256sum fw.bin | cut -d' ' -f1)" ]; then
	ok "release names the artifact's length and sha256"
else
	not_ok "release names the artifact's length and sha256"
fi
expect_fail "one release signature of threshold 2 is refused" 1 \
    "^otactl: verify: threshold: " verify --root root.json release.json
expect_ok "cosign in place (--in = --out)" release cosign --key rel2 \
    --in release.json --out release.json --passphrase-file pass
run verify --root root.json --artifact fw.bin release.json
if [ "$rc" -eq 0 ] && [[ $out =~ ^ok:\ release\ 1\.4\.0 ]] &&
    [[ $out == *"$(jq -r .keyid rel1.pub)"* ]] &&
    [[ $out == *"$(jq -r .keyid rel2.pub)"* ]]; then
	ok "verify ok after cosign, naming both signers"
else
	not_ok "verify ok after cosign, naming both signers"; echo "# $out $errout"
fi
expect_fail "release sign: bad --fw-version" 2 "--fw-version" \
    release sign --artifact fw.bin --fw-version 1.4 --hw-class a \
    --security-counter 1 --expires 1d --key rel1 --out r.json \
    --passphrase-file pass
expect_fail "release sign: a hw class no device can have" 2 \
    '--hw-class: "board a" must be 1 to 64 of' \
    release sign --artifact fw.bin --fw-version 1.5.0 --hw-class board-a \
    --hw-class "board a" --security-counter 1 --expires 1d --key rel1 \
    --out r.json --passphrase-file pass
[ ! -e r.json ] && ok "nothing signed for a bad hw class" ||
    not_ok "nothing signed for a bad hw class"
expect_fail "cosign refuses a root" 1 "format: .*expected a release" \
    release cosign --key rel1 --in root.json --out r.json \
    --passphrase-file pass

# Tampering -------------------------------------------------------------
sed 's/"security_counter":7/"security_counter":8/' release.json > tampered.json
expect_fail "tampered release refused: signature" 1 \
    "^otactl: verify: signature: " verify --root root.json tampered.json
cp fw.bin long.bin && printf 'x' >> long.bin
expect_fail "artifact one byte longer: length" 1 "^otactl: verify: length: " \
    verify --root root.json --artifact long.bin release.json
cp fw.bin flip.bin
printf '%b' "\\x$(printf '%02x' $(( $(od -An -tu1 -j100 -N1 fw.bin) ^ 1 )))" |
    dd of=flip.bin bs=1 seek=100 conv=notrunc status=none
expect_fail "artifact with one bit flipped: hash" 1 "^otactl: verify: hash: " \
    verify --root root.json --artifact flip.bin release.json
printf '{"signed":{"_type":"release","length":1.5},"signatures":[]}' > float.json
expect_fail "a float in a document: format" 1 "format: .*floating-point" \
    verify --root root.json float.json
{ cat release.json; printf 'trailing'; } > trailing.json
expect_fail "trailing bytes: format" 1 "format: " \
    verify --root root.json trailing.json

# Keys at rest ----------------------------------------------------------
expect_fail "wrong passphrase" 1 "passphrase: .*wrong passphrase" \
    release cosign --key rel3 --in release.json --out r.json \
    --passphrase-file pass2
cp rel3 rel3-open && chmod 0644 rel3-open
expect_fail "key file with mode 0644 refused" 1 "keyfile: .*must be 0600" \
    release cosign --key rel3-open --in release.json --out r.json \
    --passphrase-file pass
expect_fail "a public key given as the secret key is named" 1 \
    "keyfile: rel3.pub: that is a public key" \
    release cosign --key rel3.pub --in release.json --out r.json \
    --passphrase-file pass
head -c 100 rel3 > rel3-cut && chmod 600 rel3-cut
expect_fail "truncated key file refused" 1 "keyfile: " \
    release cosign --key rel3-cut --in release.json --out r.json \
    --passphrase-file pass
ln -s rel3 rel3-link
expect_fail "key file behind a symlink refused" 1 "keyfile: .*symbolic link" \
    release cosign --key rel3-link --in release.json --out r.json \
    --passphrase-file pass
expect_ok "one --passphrase-file per key" release cosign --key rel3 \
    --key newroot --in release.json --out r2.json --passphrase-file pass \
    --passphrase-file pass2

# Rotation --------------------------------------------------------------
# Version 2: root keys root1 root2 -> root2 root3 (threshold 2), and the
# leaked rel1 revoked.
expect_ok "root rotate" root rotate --from root.json \
    --remove-root-key root1.pub --add-root-key root3.pub \
    --remove-release-key "$(jq -r .keyid rel1.pub)" \
    --add-release-key rel3.pub --sign-key root1 --sign-key root2 \
    --sign-key root3 --out root-2.json --passphrase-file pass
run verify --root root.json root-2.json
if [ "$rc" -eq 0 ] && [[ $out =~ ^ok:\ root\ version\ 2 ]]; then
	ok "root 2 verifies as the step from root 1"
else
	not_ok "root 2 verifies as the step from root 1"; echo "# $errout"
fi
expect_fail "rotate refused when only the new keys sign" 1 \
    "threshold: root role of root version 1" \
    root rotate --from root.json --remove-root-key root1.pub \
    --add-root-key root3.pub --sign-key root2 --sign-key root3 \
    --out r3.json --passphrase-file pass
expect_fail "rotate refused when only the old keys sign" 1 \
    "threshold: root role of root version 2" \
    root rotate --from root.json --remove-root-key root1.pub \
    --add-root-key root3.pub --sign-key root1 --sign-key root2 \
    --out r3.json --passphrase-file pass
[ ! -e r3.json ] && ok "a refused rotation writes nothing" ||
    not_ok "a refused rotation writes nothing"
expect_fail "rotate refuses a signer outside both roots" 1 \
    "root key of neither" \
    root rotate --from root.json --sign-key rel1 --sign-key root1 \
    --sign-key root2 --out r3.json --passphrase-file pass
cp root-2.json root-2-copy.json
expect_ok "root 2 verifies against itself" verify --root root-2.json \
    root-2-copy.json
expect_ok "root rotate again (version 3)" root rotate --from root-2.json \
    --sign-key root2 --sign-key root3 --expires 30d --out root-3.json \
    --passphrase-file pass
expect_fail "a version jump (3 from 1) is refused" 1 \
    "^otactl: verify: version: " verify --root root.json root-3.json
expect_fail "the revoked release key no longer counts" 1 "threshold: " \
    verify --root root-2.json release.json
expect_ok "the same release still verifies under root 1" \
    verify --root root.json release.json

[ "$failed" -eq 0 ]
