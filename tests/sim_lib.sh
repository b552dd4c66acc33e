# Helpers for the otasim end-to-end scripts (tests/e2e/sim_*.sh); source
# after tests/lib.sh. A "world" is a running otad with a root of fresh
# keys, a factory image, and devices whose flash files live in $W.
SIM=$BIN/otasim
OTACTL=$BIN/otactl
export OTA_PASSPHRASE=otasim-e2e-passphrase
W=
REL_ID=
HW=board-a

# sim_world [otad args...]: starts otad, makes root/release keys and a
# version-1 root, uploads it, and makes the factory image 1.0.0.
sim_world() {
	start_otad "$@" || return 1
	W=$TMP/w
	mkdir -p "$W"
	curl -sf "$URL/v1/trust/online-key" >"$W/online.pub" || return 1
	"$OTACTL" key new --out "$W/root" >/dev/null 2>&1 || return 1
	"$OTACTL" key new --out "$W/rel" >/dev/null 2>&1 || return 1
	"$OTACTL" root new --root-key "$W/root" --release-key "$W/rel.pub" \
		--online-key "$W/online.pub" --expires 365d \
		--out "$W/root.json" >/dev/null 2>&1 || return 1
	api PUT /v1/trust/root "$ADMIN" --data-binary @"$W/root.json"
	case $STATUS in 2*) ;; *) echo "# PUT root: $STATUS $BODY"; return 1 ;; esac
	"$SIM" make-firmware --fw-version 1.0.0 --behavior ok --size 48K \
		--out "$W/factory.bin"
}

# sim_release NAME VERSION BEHAVIOR COUNTER [HW] [SIZE]: an image, its
# artifact upload, its signed release, registered; sets REL_ID.
sim_release() {
	local name=$1 ver=$2 beh=$3 ctr=$4 hw=${5:-$HW} size=${6:-200K}
	"$SIM" make-firmware --fw-version "$ver" --behavior "$beh" \
		--size "$size" --out "$W/$name.bin" || return 1
	api POST /v1/artifacts "$ADMIN" -H "Content-Type: application/octet-stream" --data-binary @"$W/$name.bin"
	"$OTACTL" release sign --artifact "$W/$name.bin" --fw-version "$ver" \
		--hw-class "$hw" --security-counter "$ctr" --expires 30d \
		--key "$W/rel" --out "$W/$name.json" >/dev/null 2>&1 || return 1
	api POST /v1/releases "$ADMIN" --data-binary @"$W/$name.json"
	REL_ID=$(jqb .id)
	case $STATUS in 2*) ;; *) echo "# POST release: $STATUS $BODY"; return 1 ;; esac
}

# sim_device ID [COUNTER] [HW]: provisions a device and makes its flash
# ($W/ID.img, slots of $SLOT bytes) with the factory image and the device
# token.
SLOT=1M
sim_device() {
	local id=$1 ctr=${2:-1} hw=${3:-$HW}
	api POST /v1/devices "$ADMIN" -d "{\"device_id\":\"$id\",\"hw_class\":\"$hw\",\"fw_version\":\"1.0.0\"}"
	jqb '.token // .devices[0].token' >"$W/$id.token"
	"$SIM" init --flash "$W/$id.img" --slot-size "$SLOT" --device-id "$id" \
		--hw-class "$hw" --root "$W/root.json" --firmware "$W/factory.bin" \
		--security-counter "$ctr" --token-file "$W/$id.token"
}

# sim_fleet N PREFIX HW OUT [otasim fleet args...]: N devices PREFIX.. of
# HW on the factory image, run as the args say (--until-idle,
# --duration, ...); the summary in $W/OUT.json, the output in $W/OUT.out
# and .err.
sim_fleet() {
	local n=$1 prefix=$2 hw=$3 out=$4
	shift 4
	"$SIM" fleet --devices "$n" --server "$URL" --admin-token "$ADMIN" \
		--hw-class "$hw" --fw-version 1.0.0 --id-prefix "$prefix" \
		--root "$W/root.json" --firmware "$W/factory.bin" \
		--dir "$W/$prefix" --concurrency 16 --summary "$W/$out.json" \
		--log-level error "$@" >"$W/$out.out" 2>"$W/$out.err"
}

# sim_assign ID RELEASE_ID: a direct offer.
sim_assign() {
	api POST "/v1/devices/$1/assign" "$ADMIN" -d "{\"release\": $2}"
	case $STATUS in 2*) ;; *) echo "# assign: $STATUS $BODY" ;; esac
}

# sim_run ID [otasim run args...]: one power-on and poll.
sim_run() {
	local id=$1
	shift
	"$SIM" run --flash "$W/$id.img" --server "$URL" --once \
		--poll-interval 1 "$@" 2>>"$W/$id.log"
}

# sim_st ID JQ: a field of otasim status.
sim_st() {
	"$SIM" status --flash "$W/$1.img" | jq -r "$2"
}

# sim_running ID: "VERSION SLOT" of the running (active) image.
sim_running() {
	"$SIM" status --flash "$W/$1.img" | jq -r '.active as $a |
		"\(.slots[$a].fw_version) \($a)"'
}

# sim_history ID: the device's reported states as "state:reason" words.
sim_history() {
	api GET "/v1/devices/$1" "$ADMIN"
	jqb '[.history[] | select(.kind == "status") |
		"\(.state)\(if .reason then ":" + .reason else "" end)"] | reverse | join(",")'
}

# sim_detail ID: the detail of the device's latest status report.
sim_detail() {
	api GET "/v1/devices/$1" "$ADMIN"
	jqb -r '[.history[] | select(.kind == "status")][0].detail // ""'
}

SIM_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROXY_PID=
PURL=
MIRROR_PID=
MURL=
_sim_cleanup() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	[ -n "$MIRROR_PID" ] && kill "$MIRROR_PID" 2>/dev/null
	_cleanup
}
trap _sim_cleanup EXIT

# _proxy_start NAME UPSTREAM_PORT [proxy args...]: builds and starts
# tests/sim/proxy.c, waits for its port; sets _PID and _URL.
_proxy_start() {
	local name=$1 i
	shift
	if [ ! -x "$TMP/proxy" ]; then
		cc -std=c11 -D_GNU_SOURCE -O1 -o "$TMP/proxy" \
			"$SIM_TESTS/sim/proxy.c" || return 1
	fi
	rm -f "$TMP/$name.port"
	"$TMP/proxy" "$TMP/$name.port" "$@" &
	_PID=$!
	for i in $(seq 1 100); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.02
	done
	_URL=http://127.0.0.1:$(cat "$TMP/$name.port")
}

# sim_proxy [--update-body F] [--artifact F] [--artifact-cut N] [--log F]:
# starts the middlebox of tests/sim/proxy.c in front of otad; sets PURL.
sim_proxy() {
	sim_proxy_stop
	_proxy_start proxy "${URL##*:}" "$@" || return 1
	PROXY_PID=$_PID
	PURL=$_URL
}

# sim_mirror --artifact F [--log F]: a second listener on another origin
# that serves artifacts from F and forwards nothing (a CDN behind
# public_url); may start before otad. Sets MURL.
sim_mirror() {
	_proxy_start mirror 1 "$@" || return 1
	MIRROR_PID=$_PID
	MURL=$_URL
}

sim_proxy_stop() {
	[ -n "$PROXY_PID" ] && { kill "$PROXY_PID"; wait "$PROXY_PID"; } 2>/dev/null
	PROXY_PID=
}

# sim_run_via BASEURL ID [args...]: one power-on and poll through BASEURL.
sim_run_via() {
	local base=$1 id=$2
	shift 2
	"$SIM" run --flash "$W/$id.img" --server "$base" --once \
		--poll-interval 1 "$@" 2>>"$W/$id.log"
}

# sim_slot_sha ID SLOT: sha256 of the image bytes in slot A or B, read
# straight from the flash file (what would really boot). Slots of $SLOT
# bytes follow the 2 MiB metadata area (docs/device-sim.md).
sim_slot_sha() {
	local st len off
	st=$("$SIM" status --flash "$W/$1.img")
	len=$(jq -r ".slots.$2.length" <<<"$st")
	off=$((2 * 1024 * 1024))
	[ "$2" = B ] && off=$((off + $(numfmt --from=iec "$SLOT")))
	tail -c +$((off + 1)) "$W/$1.img" | head -c "$len" | sha256sum | cut -d' ' -f1
}

# file_sha FILE
file_sha() { sha256sum "$1" | cut -d' ' -f1; }
