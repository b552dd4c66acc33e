#!/bin/bash
# builds: rel
# backends: sqlite (no store: the package)
# make deb: a Debian package with the programs, the unit and its drop-in
# for the system user, /etc/otad/otad.conf as a conffile, and maintainer
# scripts that make the user and keep the data on purge. With
# OTAD_TEST_DEB_INSTALL=1 (CI, as root, on a throwaway machine) it is also
# installed, upgraded over a changed config, and purged.
. "$(dirname "$0")/../lib.sh"

out=$(make -s deb 2>&1)
expect "make deb" "$?" 0
deb=$(ls build/otad_*_"$(dpkg --print-architecture)".deb 2>/dev/null | tail -1)
check "it writes build/otad_VERSION_ARCH.deb" test -n "$deb"
[ -n "$deb" ] || finish
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/otad ./usr/bin/otactl ./usr/bin/otasim ./etc/otad/otad.conf \
	./lib/systemd/system/otad.service \
	./lib/systemd/system/otad.service.d/otad-user.conf ./usr/share/otad/sql/001_init.sql; do
	check "the package holds $f" grep -qxF "$f" <<<"$files"
done
mkdir -p "$TMP/ctl" "$TMP/x"
dpkg-deb -e "$deb" "$TMP/ctl"
dpkg-deb -x "$deb" "$TMP/x"
expect "otad.conf is a conffile" "$(cat "$TMP/ctl/conffiles")" /etc/otad/otad.conf
check "it depends on adduser and the libraries" \
	grep -q '^Depends:.*libmicrohttpd.*adduser' "$TMP/ctl/control"
check "postinst makes the system user otad" grep -q 'adduser --system --group' "$TMP/ctl/postinst"
check "postinst enables the unit" grep -q "deb-systemd-helper enable 'otad.service'" "$TMP/ctl/postinst"
check "the drop-in runs the unit as otad" grep -qx 'User=otad' \
	"$TMP/x/lib/systemd/system/otad.service.d/otad-user.conf"
check "the packaged unit runs the packaged binary" \
	grep -q '^ExecStart=/usr/bin/otad ' "$TMP/x/lib/systemd/system/otad.service"
expect "the packaged otad runs" "$("$TMP/x/usr/bin/otad" --version)" "otad $(dpkg-parsechangelog -S Version)"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/units/otad.service.d"
	sed "s|/usr/bin/otad|$TMP/x/usr/bin/otad|" "$TMP/x/lib/systemd/system/otad.service" \
		>"$TMP/units/otad.service"
	cp "$TMP/x/lib/systemd/system/otad.service.d/otad-user.conf" "$TMP/units/otad.service.d/"
	expect "systemd-analyze verify finds nothing in the packaged unit and its drop-in" \
		"$(systemd-analyze verify "$TMP/units/otad.service" 2>&1)" ""
fi

if [ "${OTAD_TEST_DEB_INSTALL:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
	out=$(dpkg -i "$deb" 2>&1)
	expect "dpkg -i installs it" "$?" 0
	check "the system user otad exists" id -u otad >/dev/null
	expect "/var/lib/otad is otad's, 0700" "$(stat -c '%U %a' /var/lib/otad)" "otad 700"
	echo "poll_interval = 42" >>/etc/otad/otad.conf
	out=$(dpkg -i --force-confold "$deb" 2>&1)
	expect "reinstalling over a changed config" "$?" 0
	check "keeps the operator's otad.conf" grep -q '^poll_interval = 42' /etc/otad/otad.conf
	touch /var/lib/otad/marker
	out=$(dpkg --purge otad 2>&1)
	expect "dpkg --purge" "$?" 0
	check "purge keeps the data dir" test -e /var/lib/otad/marker
	check "and says so" grep -q "kept /var/lib/otad" <<<"$out"
	check "purge removes the config" test ! -e /etc/otad/otad.conf
	rm -rf /var/lib/otad
else
	ok "# skip: installing the package needs OTAD_TEST_DEB_INSTALL=1 and root"
fi
finish
