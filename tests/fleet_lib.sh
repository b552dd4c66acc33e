# Fleet helpers for end-to-end scripts (source after tests/lib.sh): keys and
# a root on the running daemon, signed releases, provisioned devices, and a
# scripted device that polls and reports like a real one.
export OTA_PASSPHRASE=e2e-passphrase

# setup_trust: root and release keys, root v1 with the daemon's online key.
setup_trust() {
	curl -sf "$URL/v1/trust/online-key" >"$TMP/online.pub" || return 1
	"$BIN/otactl" key new --out "$TMP/root.key" >/dev/null &&
		"$BIN/otactl" key new --out "$TMP/release.key" >/dev/null &&
		"$BIN/otactl" root new --root-key "$TMP/root.key" \
			--release-key "$TMP/release.key.pub" \
			--online-key "$TMP/online.pub" --expires 30d \
			--out "$TMP/root.json" >/dev/null || return 1
	api PUT /v1/trust/root "$ADMIN" --data-binary @"$TMP/root.json"
	[ "$STATUS" = 201 ]
}

# make_release VERSION COUNTER HW [SIZE] [EXPIRES]: uploads a random
# artifact, signs (expiring in EXPIRES, default 7d) and registers a
# release; sets REL_ID and REL_SHA (envelope sha256).
make_release() {
	local v=$1 sc=$2 hw=$3 size=${4:-4096} expires=${5:-7d}
	head -c "$size" /dev/urandom >"$TMP/fw-$v.bin"
	api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @"$TMP/fw-$v.bin"
	[ "$STATUS" = 201 ] || [ "$STATUS" = 200 ] || return 1
	"$BIN/otactl" release sign --artifact "$TMP/fw-$v.bin" --fw-version "$v" \
		--hw-class "$hw" --security-counter "$sc" --expires "$expires" \
		--key "$TMP/release.key" --out "$TMP/release-$v.json" >/dev/null || return 1
	api POST /v1/releases "$ADMIN" --data-binary @"$TMP/release-$v.json"
	[ "$STATUS" = 201 ] || return 1
	REL_ID=$(jqb .id)
	REL_SHA=$(jqb .sha256)
}

# provision N PREFIX HW VERSION: devices PREFIX0000.. ; their tokens go to
# $TMP/tokens-PREFIX (one "device_id token" line each) and each device's
# running version to $TMP/fw/<device_id>.
provision() {
	local n=$1 prefix=$2 hw=$3 v=$4
	mkdir -p "$TMP/fw"
	jq -n --argjson n "$n" --arg p "$prefix" --arg hw "$hw" --arg v "$v" \
		'[range($n) | {device_id: ($p + (. | tostring | ("0000" + .)[-4:])),
		  hw_class: $hw, fw_version: $v}]' >"$TMP/provision.json"
	api POST /v1/devices "$ADMIN" --data-binary @"$TMP/provision.json"
	[ "$STATUS" = 201 ] || return 1
	jqb '.devices[] | "\(.device_id) \(.token)"' >"$TMP/tokens-$prefix"
	while read -r id _; do echo "$v" >"$TMP/fw/$id"; done <"$TMP/tokens-$prefix"
}

# device_poll ID TOKEN: one poll with the device's version; sets STATUS and
# BODY, and on 200 OFFER_CAMPAIGN and OFFER_RELEASE (sha256 of the
# canonical release bytes, as a device computes it).
device_poll() {
	local fw
	fw=$(cat "$TMP/fw/$1")
	api GET "/v1/device/update?fw_version=$fw&nonce=$(nonce)" "$2"
	OFFER_CAMPAIGN=
	OFFER_RELEASE=
	if [ "$STATUS" = 200 ]; then
		OFFER_CAMPAIGN=$(jqb .campaign)
		OFFER_RELEASE=$(jq -j -c .release <<<"$BODY" | sha256sum | cut -c1-64)
		OFFER_VERSION=$(jqb .release.signed.fw_version)
	fi
}

# device_report TOKEN STATE [REASON]: a status report on the last offer.
device_report() {
	local body
	body=$(jq -n -c --arg c "$OFFER_CAMPAIGN" --arg r "$OFFER_RELEASE" \
		--arg s "$2" --arg why "${3:-}" \
		'{campaign: $c, release: $r, state: $s} +
		 (if $why == "" then {} else {reason: $why} end)')
	api POST /v1/device/status "$1" -d "$body"
}

# batch_curl FILE: runs the requests of a curl config in one process,
# reusing connections; each request's "write-out" line goes to stdout.
batch_curl() {
	[ -s "$1" ] || return 0
	sed -i '$d' "$1"	# the last "next" would start an empty request
	curl --parallel --parallel-max 8 -K "$1" 2>/dev/null
}

# boot_of ID: sets BOOT to the device's boot id with BOOT_IDS=1 (boot-N,
# N its boot count, kept in $TMP/boot/ID), else to nothing.
boot_of() {
	local n=1
	BOOT=
	[ "${BOOT_IDS:-0}" = 1 ] || return 0
	[ -e "$TMP/boot/$1" ] && read -r n <"$TMP/boot/$1"
	BOOT=boot-$n
}
# reboot ID: counts one more boot of the device.
reboot() {
	local n=1
	mkdir -p "$TMP/boot"
	[ -e "$TMP/boot/$1" ] && read -r n <"$TMP/boot/$1"
	echo $((n + 1)) >"$TMP/boot/$1"
}

# device_round PREFIX BEHAVIOUR: every device of PREFIX polls once (one
# batch of requests); those offered an update act it out in batches of
# reports. BEHAVIOUR: good (installs, confirms, runs the new version),
# bad (installs, fails its self-test, rolls back), silent (installs, then
# comes back on the old version without a word), early (installs and
# keeps running the old version: it has not rebooted yet), idle (takes
# the offer and reports nothing). With BOOT_IDS=1 the devices send their
# boot id on polls and reports, and each reboots after installing (early
# ones do not). Sets OFFERS; appends offered ids to $TMP/offered-PREFIX.
device_round() {
	local prefix=$1 how=$2 id tok fw code state reason r=$TMP/round
	declare -A token
	rm -rf "$r" && mkdir -p "$r"
	while read -r id tok; do
		token[$id]=$tok
		read -r fw <"$TMP/fw/$id"
		boot_of "$id"
		printf 'url = "%s/v1/device/update?fw_version=%s&nonce=n%s%s%s"\n' \
			"$URL" "$fw" "$RANDOM$RANDOM" "$id" "${BOOT:+&boot_id=$BOOT}"
		printf 'header = "Authorization: Bearer %s"\noutput = "%s/%s"\n' \
			"$tok" "$r" "$id"
		printf 'write-out = "%s %%{http_code}\\n"\nsilent\nnext\n' "$id"
	done <"$TMP/tokens-$prefix" >"$r/polls"
	batch_curl "$r/polls" | awk '$2 == 200 { print $1 }' >"$r/offered"
	OFFERS=$(wc -l <"$r/offered")
	cat "$r/offered" >>"$TMP/offered-$prefix"
	[ "$how" = idle ] && return 0
	for state in downloading installed confirmed rolled_back health; do
		case "$how/$state" in
		good/rolled_back | bad/confirmed | bad/health | silent/confirmed | \
		silent/rolled_back | silent/health | early/confirmed | \
		early/rolled_back | early/health) continue ;;
		esac
		reason=
		[ "$state" = rolled_back ] && reason=selftest
		while read -r id; do
			offer_of "$r/$id"
			boot_of "$id"
			if [ "$state" = health ]; then
				printf 'url = "%s/v1/device/health"\n' "$URL"
				printf 'data = "{\\"fw_version\\":\\"%s\\",\\"boot_ok\\":true,\\"selftest\\":\\"pass\\",\\"crash_count\\":0,\\"uptime_s\\":5%s}"\n' \
					"$OFFER_VERSION" "${BOOT:+,\\\"boot_id\\\":\\\"$BOOT\\\"}"
			else
				printf 'url = "%s/v1/device/status"\n' "$URL"
				printf 'data = "{\\"campaign\\":\\"%s\\",\\"release\\":\\"%s\\",\\"state\\":\\"%s\\"%s%s}"\n' \
					"$OFFER_CAMPAIGN" "$OFFER_RELEASE" "$state" \
					"${reason:+,\\\"reason\\\":\\\"$reason\\\"}" \
					"${BOOT:+,\\\"boot_id\\\":\\\"$BOOT\\\"}"
			fi
			printf 'header = "Authorization: Bearer %s"\n' "${token[$id]}"
			printf 'output = "/dev/null"\nwrite-out = "%s %%{http_code}\\n"\nsilent\nnext\n' "$id"
		done <"$r/offered" >"$r/$state"
		batch_curl "$r/$state" >"$r/$state.out"
		if [ "$state" = installed ] && [ "$how" != early ] &&
			[ "${BOOT_IDS:-0}" = 1 ]; then
			while read -r id; do reboot "$id"; done <"$r/offered"
		fi
	done
	if [ "$how" = good ]; then
		while read -r id; do
			offer_of "$r/$id"
			echo "$OFFER_VERSION" >"$TMP/fw/$id"
		done <"$r/offered"
	fi
}

# offer_of FILE: campaign, release sha256 and version of a saved offer;
# the release part is the same for every device, so it is hashed once.
declare -A _offer_sha _offer_ver
offer_of() {
	local camp body=
	read -r -d '' body <"$1"
	[[ $body =~ \"campaign\":\"([0-9a-z]+)\"\}$ ]] || return 1
	camp=${BASH_REMATCH[1]}
	if [ -z "${_offer_sha[$camp]:-}" ]; then
		_offer_sha[$camp]=$(jq -j -c .release "$1" | sha256sum | cut -c1-64)
		_offer_ver[$camp]=$(jq -r .release.signed.fw_version "$1")
	fi
	OFFER_CAMPAIGN=$camp
	OFFER_RELEASE=${_offer_sha[$camp]}
	OFFER_VERSION=${_offer_ver[$camp]}
}

# campaign_field ID JQ: a field of the campaign view.
campaign_field() {
	api GET "/v1/campaigns/$1" "$ADMIN"
	jqb "$2"
}

# wait_campaign ID JQ_CONDITION SECONDS: polls the view until true.
wait_campaign() {
	local i
	for i in $(seq 1 $(($3 * 5))); do
		api GET "/v1/campaigns/$1" "$ADMIN"
		[ "$(jqb "$2")" = true ] && return 0
		sleep 0.2
	done
	return 1
}

# check_jq NAME FILTER: ok when jq -e FILTER holds on the last body.
check_jq() {
	if jq -e "$2" <<<"$BODY" >/dev/null 2>&1; then ok "$1"
	else fail "$1" "$2 is false on: $(head -c 300 <<<"$BODY")"; fi
}
