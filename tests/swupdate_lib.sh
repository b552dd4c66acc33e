# Helpers that run Debian's real swupdate in suricatta (hawkBit DDI) mode
# against a test server, without a bootloader; source after tests/lib.sh.
# Everything lives under $TMP/swupdate; swupdate is stopped on exit.
#
# How it runs without a bootloader (docs/notes/swupdate-observed.md):
# a CMS-signed .swu whose sw-description sends one file, through the
# rawfile handler, to $SWU_FLASH; -k trusts the test's own certificate;
# -H gives the hardware; TMPDIR is private (swupdate's IPC sockets and
# its copy of the image go there). The bootloader interface is "none", an
# environment in RAM, so the update state is lost at every restart: a
# "reboot" is a restart with --confirm 2 (the new image came up: swupdate
# posts closed/success) or --confirm 3 (fallback: closed/failure), sent
# to whatever deploymentBase the server shows then (none: it is dropped).
SWU_DIR=$TMP/swupdate
SWU_FLASH=$SWU_DIR/flash.img
SWU_HW=${SWU_HW:-otad-board:1.0}
SWU_CERT=
SWU_KEY=
SWU_PID=
SWU_LOG=
SWU_RUNS=0
mkdir -p "$SWU_DIR"

# swu_make_cert DIR: a throwaway self-signed signing certificate,
# DIR/cert.pem and DIR/key.pem (EC P-256: cheap to make). The first one
# made is the one devices trust (SWU_CERT) and images are signed with.
swu_make_cert() {
	local dir=$1
	mkdir -p "$dir" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 7 -subj "/CN=otad test signer $(basename "$dir")" \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null || return 1
	if [ -z "$SWU_CERT" ]; then
		SWU_CERT=$dir/cert.pem
		SWU_KEY=$dir/key.pem
	fi
}

# swu_make_image OUT.swu --version V [--hw board:rev] --payload FILE
#   [--bad-sig] [--bad-hash]: a signed .swu (cpio newc: sw-description,
#   sw-description.sig, the payload) whose payload swupdate writes to
#   $SWU_FLASH. --bad-sig signs with a certificate the device does not
#   trust; --bad-hash signs the payload's SHA-256 but ships it with its
#   first byte changed. swupdate refuses both.
swu_make_image() {
	local out=$1 ver="" hw=$SWU_HW payload="" bad_sig="" bad_hash=""
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--version) ver=$2; shift 2 ;;
		--hw) hw=$2; shift 2 ;;
		--payload) payload=$2; shift 2 ;;
		--bad-sig) bad_sig=1; shift ;;
		--bad-hash) bad_hash=1; shift ;;
		*) echo "swu_make_image: unknown option $1" >&2; return 2 ;;
		esac
	done
	if [ -z "$ver" ] || [ -z "$payload" ] || [[ $hw != *:* ]]; then
		echo "swu_make_image: need --version, --payload, --hw board:rev" >&2
		return 2
	fi
	[ -n "$SWU_CERT" ] || swu_make_cert "$SWU_DIR/cert" || return 1
	local key=$SWU_KEY cert=$SWU_CERT
	if [ -n "$bad_sig" ]; then
		[ -f "$SWU_DIR/untrusted/cert.pem" ] \
			|| swu_make_cert "$SWU_DIR/untrusted" || return 1
		key=$SWU_DIR/untrusted/key.pem
		cert=$SWU_DIR/untrusted/cert.pem
	fi
	local b
	b=$(mktemp -d "$SWU_DIR/build.XXXXXX") || return 1
	cp "$payload" "$b/image.bin" || return 1
	_swu_description "$ver" "${hw%%:*}" "${hw#*:}" \
		"$(sha256sum "$b/image.bin" | cut -d' ' -f1)" >"$b/sw-description"
	[ -n "$bad_hash" ] && _swu_flip_first_byte "$b/image.bin"
	openssl cms -sign -in "$b/sw-description" -out "$b/sw-description.sig" \
		-signer "$cert" -inkey "$key" -outform DER -nosmimecap -binary \
		|| return 1
	(cd "$b" && printf '%s\n' sw-description sw-description.sig image.bin \
		| cpio --quiet -o -H newc) >"$out" || return 1
	rm -rf "$b"
}

# _swu_description VERSION BOARD REV SHA256: the libconfig sw-description.
# Files and hardware-compatibility sit under the board's name, so another
# board finds neither and the image is refused.
_swu_description() {
	cat <<EOF
software =
{
	version = "$1";
	description = "otad test image $1";
	$2 = {
		hardware-compatibility: [ "$3" ];
		files: (
			{
				filename = "image.bin";
				path = "$SWU_FLASH";
				type = "rawfile";
				sha256 = "$4";
			}
		);
	};
}
EOF
}

_swu_flip_first_byte() {
	local first
	first=$(head -c1 "$1" | od -An -tu1 | tr -d ' ')
	printf '%b' "\\0$(printf '%03o' $(((first + 1) % 256)))" \
		| dd of="$1" bs=1 count=1 conv=notrunc status=none
}

# swu_start --url URL --tenant T --id ID --token TOK [--gateway]
#   [--confirm 2|3] [--hw board:rev] [--poll SECONDS] [--attr KEY=VALUE]...
#   [--retry N] [--retrywait SECONDS]
# Starts swupdate in suricatta mode in the background (a fresh TMPDIR, as
# after a reboot); sets SWU_PID and SWU_LOG (this run's stdout+stderr).
# --gateway sends TOK as a GatewayToken instead of a TargetToken.
# --confirm 2|3 is the post-"reboot" run: it reports success or failure
# for the action the server shows before it starts polling. --attr fills
# the identify section, which swupdate PUTs as configData (at start and
# when the server links configData); default: board and revision of --hw.
# --no-attrs leaves it empty: then swupdate never PUTs configData.
# URL is scheme://host:port (swupdate appends /TENANT/controller/v1/ID).
swu_start() {
	local url="" tenant="" id="" token="" toktype=targettoken confirm=""
	local hw=$SWU_HW poll=1 retry=3 retrywait=1 attrs=() noattrs=""
	while [ $# -gt 0 ]; do
		case $1 in
		--url) url=$2; shift 2 ;;
		--tenant) tenant=$2; shift 2 ;;
		--id) id=$2; shift 2 ;;
		--token) token=$2; shift 2 ;;
		--gateway) toktype=gatewaytoken; shift ;;
		--confirm) confirm=$2; shift 2 ;;
		--hw) hw=$2; shift 2 ;;
		--poll) poll=$2; shift 2 ;;
		--retry) retry=$2; shift 2 ;;
		--retrywait) retrywait=$2; shift 2 ;;
		--attr) attrs+=("$2"); shift 2 ;;
		--no-attrs) noattrs=1; shift ;;
		*) echo "swu_start: unknown option $1" >&2; return 2 ;;
		esac
	done
	if [ -z "$url" ] || [ -z "$tenant" ] || [ -z "$id" ]; then
		echo "swu_start: need --url, --tenant, --id" >&2
		return 2
	fi
	case $confirm in ""|1|2|3) ;; *) echo "swu_start: --confirm 1, 2 or 3" >&2; return 2 ;; esac
	[ ${#attrs[@]} -eq 0 ] && [ -z "$noattrs" ] \
		&& attrs=("board=${hw%%:*}" "revision=${hw#*:}")
	[ -n "$SWU_CERT" ] || swu_make_cert "$SWU_DIR/cert" || return 1
	swu_stop
	SWU_RUNS=$((SWU_RUNS + 1))
	SWU_LOG=$SWU_DIR/swupdate.$SWU_RUNS.log
	rm -rf "$SWU_DIR/tmp"
	mkdir -p "$SWU_DIR/tmp"
	_swu_config "${url%/}" "$tenant" "$id" "$toktype" "$token" "$poll" \
		"$retry" "$retrywait" "${attrs[@]}" >"$SWU_DIR/swupdate.cfg"
	# setsid: swupdate forks a suricatta and a downloader process; its own
	# process group lets swu_stop end all three even if the parent is stuck.
	TMPDIR=$SWU_DIR/tmp setsid swupdate -f "$SWU_DIR/swupdate.cfg" \
		-k "$SWU_CERT" -H "$hw" -v -u "${confirm:+-c $confirm}" \
		</dev/null >"$SWU_LOG" 2>&1 &
	SWU_PID=$!
	local i
	for i in $(seq 1 100); do
		grep -q 'suricatta main loop\|Sleeping for' "$SWU_LOG" 2>/dev/null \
			&& return 0
		kill -0 "$SWU_PID" 2>/dev/null || break
		sleep 0.1
	done
	# Not fatal while it keeps running: with --confirm it retries the
	# report until the server takes it.
	kill -0 "$SWU_PID" 2>/dev/null && return 0
	echo "# swupdate did not start:"; sed 's/^/# /' "$SWU_LOG" | tail -20
	wait "$SWU_PID" 2>/dev/null
	SWU_PID=
	return 1
}

# _swu_config URL TENANT ID TOKTYPE TOKEN POLL RETRY RETRYWAIT ATTR...
# swupdate reads retrywait as a string: unquoted, it is silently ignored
# (5 s). The server's config.polling.sleep overrides polldelay after the
# first poll. initial-report-resend-period: how often a --confirm report
# the server refused is resent (default 10 s).
_swu_config() {
	local url=$1 tenant=$2 id=$3 toktype=$4 token=$5 poll=$6 retry=$7 wait=$8
	shift 8
	cat <<EOF
globals :
{
	verbose = true;
	loglevel = 6;
	syslog = false;
	bootloader = "none";
};
suricatta :
{
	tenant = "$tenant";
	id = "$id";
	url = "$url";
	polldelay = $poll;
	retry = $retry;
	retrywait = "$wait";
	connection-timeout = 10;
	initial-report-resend-period = 1;
EOF
	[ -n "$token" ] && printf '\t%s = "%s";\n' "$toktype" "$token"
	printf '};\n'
	[ $# -eq 0 ] && return 0
	printf 'identify : (\n'
	local a sep=""
	for a in "$@"; do
		printf '%s\t{ name = "%s"; value = "%s"; }' "$sep" "${a%%=*}" "${a#*=}"
		sep=$',\n'
	done
	printf '\n);\n'
}

# swu_stop: stops swupdate (SIGTERM to its process group, SIGKILL after
# 5 s) and waits for it. Safe to call when it is not running.
swu_stop() {
	[ -z "$SWU_PID" ] && return 0
	kill -TERM -- "-$SWU_PID" 2>/dev/null
	local i
	for i in $(seq 1 50); do
		kill -0 -- "-$SWU_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$SWU_PID" 2>/dev/null
	wait "$SWU_PID" 2>/dev/null
	SWU_PID=
}

# swu_wait_log REGEX [TIMEOUT]: waits (default 30 s) until this run's log
# has a line matching the extended REGEX; on timeout prints the log's
# tail as comments and returns 1.
swu_wait_log() {
	local re=$1 timeout=${2:-30} i
	for i in $(seq 1 $((timeout * 5))); do
		grep -qE -- "$re" "$SWU_LOG" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "# swu_wait_log: no /$re/ in $SWU_LOG after ${timeout}s; its tail:"
	grep -v lua_report "$SWU_LOG" 2>/dev/null | tail -15 | sed 's/^/# /'
	return 1
}

# Chain onto the EXIT trap already set (tests/lib.sh's _cleanup removes
# $TMP, so swupdate must be gone first).
eval "_swu_prev_trap=($(trap -p EXIT))"
_SWU_PREV_EXIT=${_swu_prev_trap[2]:-}
_swu_exit() {
	swu_stop
	eval "$_SWU_PREV_EXIT"
}
trap _swu_exit EXIT
