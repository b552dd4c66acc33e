# Helpers for the scripts that run a second daemon on the first one's
# PostgreSQL database (source after tests/lib.sh and tests/sim_lib.sh,
# once sim_world has started the first). The second has a data dir of
# its own holding the first one's online key and a link to its
# artifacts (the shared directory of docs/operations.md, "Scaling out").
B_PID=
B_URL=
B_LOG=
_peer_cleanup() {
	[ -n "$B_PID" ] && kill -9 "$B_PID" 2>/dev/null
	[ -n "$B_PID" ] && wait "$B_PID" 2>/dev/null
	_sim_cleanup
}
trap _peer_cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# leader_of URL: true, false, or "down".
leader_of() {
	local l
	l=$(curl -s -m 2 "$1/healthz" | jq -r '.leader' 2>/dev/null)
	case $l in true|false) echo "$l" ;; *) echo down ;; esac
}

# wait_until SECONDS COMMAND...: polls the condition every 0.1 s.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

_peer_port() { grep -o 'listening on 127.0.0.1:[0-9]*' "$B_LOG" | head -1 | cut -d: -f2; }
_peer_listening() { test -n "$(_peer_port)"; }

# peer_start [otad args...]: the second daemon, serving; sets B_PID,
# B_URL and B_LOG.
peer_start() {
	local d2=$TMP/data2 STORE
	mkdir -m 700 "$d2"
	cp -p "$DATA/online.key" "$DATA/online.pub" "$DATA/online.pass" "$d2/"
	ln -s "$DATA/artifacts" "$d2/artifacts"
	_store_args
	B_LOG=$TMP/otad.b.log  # finish looks for sanitizer reports in otad.*.log
	"$BIN/otad" --listen 127.0.0.1:0 --data-dir "$d2" "${STORE[@]}" "$@" \
		2>"$B_LOG" &
	B_PID=$!
	wait_until 20 _peer_listening || return 1
	B_URL=http://127.0.0.1:$(_peer_port)
	wait_until 20 curl -sf "$B_URL/healthz" -o /dev/null
}
