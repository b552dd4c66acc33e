#!/bin/bash
# The systemd unit: valid, sandboxed, and "make install" lays out the files.
. "$(dirname "$0")/../lib.sh"

if ! command -v systemd-analyze >/dev/null; then
	fail "systemd-analyze is installed (scripts/install-deps installs systemd)"
	finish
fi
sed "s|@BINDIR@|$BIN|" systemd/otad.service >"$TMP/otad.service"
out=$(systemd-analyze verify "$TMP/otad.service" 2>&1)
expect "systemd-analyze verify finds nothing" "$out" ""
for key in Type=notify DynamicUser=yes StateDirectory=otad ProtectSystem=strict \
	ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'CapabilityBoundingSet=$' \
	Restart=on-failure WatchdogSec=; do
	check "unit sets $key" grep -q "^$key" systemd/otad.service
done
if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	score=$(systemd-analyze security --offline=true "$TMP/otad.service" 2>/dev/null \
		| sed -n 's/.*Overall exposure level for otad.service: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security exposure is low (<= 2.0, got $score)" \
		awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
fi

# make install into a staging root
make -s install DESTDIR="$TMP/root" PREFIX=/usr >/dev/null 2>&1
for f in usr/bin/otad usr/bin/otactl usr/bin/otasim etc/otad/otad.conf \
	lib/systemd/system/otad.service; do
	check "make install puts $f" test -e "$TMP/root/$f"
done
check "installed unit points at the installed binary" \
	grep -q '^ExecStart=/usr/bin/otad ' "$TMP/root/lib/systemd/system/otad.service"
check "make install puts the migrations" test -n "$(ls "$TMP/root/usr/share/otad/sql/"*.sql 2>/dev/null)"
expect "make install puts both dialects' migrations, the same files" \
	"$(cd "$TMP/root/usr/share/otad/sql/pg" 2>/dev/null && ls *.sql)" \
	"$(cd sql && ls *.sql)"
echo "poll_interval = 42" >>"$TMP/root/etc/otad/otad.conf"
out=$(make -s install DESTDIR="$TMP/root" PREFIX=/usr 2>&1)
check "make install again keeps the operator's otad.conf" \
	grep -q "^poll_interval = 42" "$TMP/root/etc/otad/otad.conf"
check "and puts this release's next to it" cmp -s conf/otad.conf "$TMP/root/etc/otad/otad.conf.dist"
check "saying so" grep -q "kept .*otad.conf; this release's is otad.conf.dist" <<<"$out"
finish
