#!/bin/bash
# docs/api.md cannot rot: every route in src/api/router.c must be
# documented there, and every ```sh block in it runs, in order, against the
# real otad and must exit 0. The blocks see $URL, $ADMIN, $DEVICE, otactl
# on the PATH, and the files that the doc's introduction names, prepared
# here.
. "$(dirname "$0")/../lib.sh"

DOC=$PWD/docs/api.md
ROUTER=$PWD/src/api/router.c
[ -r "$DOC" ] || { fail "docs/api.md exists"; finish; }

# Every route is documented as "METHOD /path", with a {name} for each {}.
n=0
missing=0
while read -r method pattern; do
	re=$(sed -e 's/[.[\*^$]/\\&/g' -e 's/{}/\\{[a-z0-9_]+\\}/g' <<<"$pattern")
	if grep -Eq "(^|[^A-Z])$method $re([^a-z/{]|$)" "$DOC"; then
		n=$((n + 1))
	else
		fail "docs/api.md documents $method $pattern"
		missing=$((missing + 1))
	fi
done < <(grep -o '{ HTTP_[A-Z]*, "[^"]*"' "$ROUTER" |
	sed -E 's/\{ HTTP_([A-Z]+), "([^"]*)"/\1 \2/')
if [ "$n" -lt 30 ]; then fail "routes found in router.c" "only $n"
elif [ "$missing" -eq 0 ]; then ok "docs/api.md documents all $n routes of router.c"
fi

# The server, and what the introduction promises.
start_otad || { fail "otad starts"; finish; }
WORK=$TMP/work
mkdir -p "$WORK" && cd "$WORK" || exit 1
export PATH="$BIN:$PATH"
printf 'release manager passphrase\n' >pass
otactl key new --out root-key --passphrase-file pass >/dev/null &&
otactl key new --out release-key --passphrase-file pass >/dev/null &&
curl -fsS "$URL/v1/trust/online-key" >server-online.pub &&
otactl root new --root-key root-key --release-key release-key.pub \
    --online-key server-online.pub --expires 365d --out root.json \
    --passphrase-file pass >/dev/null &&
head -c 300000 /dev/urandom >fw.bin &&
head -c 250000 /dev/urandom >fw-1.2.0.bin &&
otactl release sign --artifact fw.bin --fw-version 1.1.0 \
    --hw-class board-a --security-counter 1 --expires 90d \
    --notes "fixes the watchdog" --key release-key --out release.json \
    --passphrase-file pass >/dev/null &&
otactl release sign --artifact fw-1.2.0.bin --fw-version 1.2.0 \
    --hw-class board-a --security-counter 1 --expires 90d \
    --key release-key --out release-1.2.0.json --passphrase-file pass >/dev/null
check "keys, root.json, fw.bin, release.json, fw-1.2.0.bin, release-1.2.0.json" \
    test -s release-1.2.0.json
rm -f pass root-key release-key
api POST /v1/devices "$ADMIN" \
    -d '{"device_id":"dev-0001","hw_class":"board-a","fw_version":"1.0.0","tags":["lab"]}'
expect_status "device dev-0001 provisioned" 201
DEVICE=$(jqb .token)
export URL ADMIN DEVICE

# Run each ```sh block in its own bash, stopping at its first error.
awk -v dir="$TMP/blocks" '
	BEGIN { system("mkdir -p " dir) }
	/^```sh[ \t]*$/ { n++; f = sprintf("%s/%03d", dir, n);
		printf "# line %d\n", NR + 1 > f; inblk = 1; next }
	inblk && /^```[ \t]*$/ { inblk = 0; close(f); next }
	inblk { print > f }
' "$DOC"
nblocks=$(find "$TMP/blocks" -type f | wc -l)
[ "$nblocks" -ge 30 ] && ok "docs/api.md has $nblocks sh examples" ||
	fail "docs/api.md has enough sh examples" "only $nblocks"
for f in "$TMP/blocks"/*; do
	where=$(head -1 "$f" | sed 's/^# //')
	first=$(sed -n '2,$p' "$f" | grep -v '^#' | grep -m1 . | cut -c1-60)
	if out=$(bash -e -o pipefail "$f" 2>&1); then
		ok "example at $where: $first"
		# API_DOCS_SHOW=1 shows what each example printed.
		[ -n "${API_DOCS_SHOW:-}" ] && sed 's/^/#   /' <<<"$out"
	else
		fail "example at $where: $first" "exit $?"
		sed 's/^/#   /' <<<"$out" | tail -20
	fi
done

finish
