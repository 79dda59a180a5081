#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installation, from the host (it changes the host, so it is not part of the
# in-VM suite; scripts/check runs it before the VM lanes):
#
#   1-3. make install (scripts/install) into a DESTDIR: the module under
#        lib/modules/<release>/updates/, <linux/tcpx.h> usable by a C
#        program, tcpxize finding its library, tcpx(7) rendering without a
#        warning; make uninstall leaves no file behind.
#   4-6. DKMS against the stock kernel's headers on the host: dkms add, build
#        and install put tcpx.ko under /lib/modules/<stock>/updates/dkms with
#        its net-pf alias; a VM booted without the module loads it on
#        demand at socket(AF_TCPX, ...); dkms remove takes it all away (also
#        when a step fails).
. "$(dirname "$0")/../tcpx_lib.sh"

ROOT=$(cd "$TCPX_SELFTESTS/.." && pwd)
OUT=${TCPX_OUT:-$ROOT/out}
RELEASE=$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -n 1)
MODULE=$OUT/build-$RELEASE/tcpx/tcpx.ko
DKMS_VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")

ktap_print_header
ktap_set_plan 6

TMPD=$(mktemp -d /tmp/tcpx-install.XXXXXX)
dkms_added=0
install_cleanup() {
	if [ "$dkms_added" = 1 ]; then
		"$ROOT/scripts/install" --dkms-remove > "$TMPD/dkms-remove.log" 2>&1 ||
			sed 's/^/# dkms remove: /' "$TMPD/dkms-remove.log"
	fi
	rm -rf "$TMPD"
}
trap install_cleanup EXIT

# --- make install / uninstall into a DESTDIR

DEST=$TMPD/dest
staged() {
	local out

	[ -r "$MODULE" ] || { echo "# $MODULE not built (scripts/build-module)"; return 1; }
	# make install is "make modules" and this; the module is the one
	# scripts/build-module made.
	out=$(DESTDIR=$DEST PREFIX=/usr "$ROOT/scripts/install" --module "$MODULE" 2>&1) ||
		{ echo "$out" | sed 's/^/# /'; return 1; }
	for f in "lib/modules/$RELEASE/updates/tcpx.ko" usr/include/linux/tcpx.h \
		 usr/bin/tcpxize usr/lib/tcpxize/libtcpxize.so usr/share/man/man7/tcpx.7; do
		[ -f "$DEST/$f" ] || { echo "# missing: $f"; return 1; }
	done
	modinfo -F vermagic "$DEST/lib/modules/$RELEASE/updates/tcpx.ko" | grep -q "^$RELEASE "
}
tcpx_check "make install DESTDIR=...: module in updates/, header, tcpxize, tcpx(7)" staged

usable() {
	local lib warn

	cat > "$TMPD/t.c" <<-'EOF'
	#include <sys/socket.h>
	#include <linux/tcpx.h>
	int main(void) { return socket(AF_TCPX, SOCK_STREAM, IPPROTO_TCPX) < 0 && SOL_TCPX != 253; }
	EOF
	cc -Wall -Werror -I"$DEST/usr/include" -o "$TMPD/t" "$TMPD/t.c" || return 1
	lib=$("$DEST/usr/bin/tcpxize" lib) || return 1
	[ "$lib" = "$(readlink -f "$DEST/usr/lib/tcpxize/libtcpxize.so")" ] ||
		{ echo "# tcpxize lib: $lib"; return 1; }
	# The library loads into a program (socket() of a UDP socket is untouched).
	LD_PRELOAD=$lib python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)' ||
		return 1
	warn=$(groff -ww -z -man "$DEST/usr/share/man/man7/tcpx.7" 2>&1)
	[ -z "$warn" ] || { echo "$warn" | sed 's/^/# groff: /'; return 1; }
	MANWIDTH=80 man -l "$DEST/usr/share/man/man7/tcpx.7" 2>/dev/null | grep -q 'AF_TCPX'
}
tcpx_check "installed: <linux/tcpx.h> compiles, tcpxize finds its library, man renders" usable

unstaged() {
	local left

	DESTDIR=$DEST PREFIX=/usr "$ROOT/scripts/install" --uninstall > "$TMPD/un.log" 2>&1 ||
		{ sed 's/^/# /' "$TMPD/un.log"; return 1; }
	left=$(find "$DEST" -type f)
	[ -z "$left" ] || { echo "$left" | sed 's/^/# left behind: /'; return 1; }
}
tcpx_check "make uninstall DESTDIR=...: no file left" unstaged

# --- DKMS on the host, module autoload in the VM

dkms_install() {
	local ko=/lib/modules/$RELEASE/updates/dkms/tcpx.ko

	command -v dkms > /dev/null || { echo "# dkms is not installed"; return 1; }
	if dkms status -m tcpx 2>/dev/null | grep -q .; then
		echo "# tcpx is already registered with DKMS: $(dkms status -m tcpx)"
		return 1
	fi
	dkms_added=1
	"$ROOT/scripts/install" --dkms -k "$RELEASE" > "$TMPD/dkms.log" 2>&1 ||
		{ tail -n 20 "$TMPD/dkms.log" | sed 's/^/# /'; return 1; }
	dkms status -m tcpx -v "$DKMS_VER" -k "$RELEASE" | grep -q installed || return 1
	[ -f "$ko" ] || [ -f "$ko.xz" ] || { echo "# no $ko"; return 1; }
	grep -q "^alias net-pf-$(tcpx_family) tcpx$" "/lib/modules/$RELEASE/modules.alias" ||
		{ echo "# modules.alias has no net-pf alias for tcpx"; return 1; }
}
tcpx_check "dkms add/build/install for $RELEASE: tcpx.ko in updates/dkms, net-pf alias" dkms_install

autoload() {
	local out

	[ "$dkms_added" = 1 ] || return 1
	# shellcheck disable=SC2016 # expanded in the guest
	out=$("$ROOT/scripts/vm-run" --kernel stock --no-module --timeout 300 -- sh -c '
		[ -d /sys/module/tcpx ] && { echo "loaded before socket()"; exit 1; }
		python3 -c "import socket; socket.socket(18, socket.SOCK_STREAM, 0).close()" || exit 1
		[ -d /sys/module/tcpx ] || { echo "not loaded by socket()"; exit 1; }
		modinfo -n tcpx' 2>&1)
	local rc=$?
	echo "$out" | tail -n 3 | sed 's/^/# /'
	[ $rc = 0 ] && echo "$out" | grep -q 'updates/dkms/tcpx.ko'
}
tcpx_check "VM without the module: socket(AF_TCPX) loads the DKMS-built tcpx" autoload

dkms_remove() {
	[ "$dkms_added" = 1 ] || return 1
	"$ROOT/scripts/install" --dkms-remove > "$TMPD/dkms-remove.log" 2>&1 ||
		{ sed 's/^/# /' "$TMPD/dkms-remove.log"; return 1; }
	dkms_added=0
	! dkms status -m tcpx | grep -q . &&
		[ ! -e "/lib/modules/$RELEASE/updates/dkms/tcpx.ko" ] &&
		[ ! -e "/usr/src/tcpx-$DKMS_VER" ] &&
		! grep -q ' tcpx$' "/lib/modules/$RELEASE/modules.alias"
}
tcpx_check "dkms remove: module, sources and alias gone" dkms_remove

ktap_finished
