# SPDX-License-Identifier: GPL-2.0
# Shared by the scripts under scripts/: paths and small helpers.
# shellcheck shell=bash

TCPX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCPX_CACHE=${TCPX_CACHE:-/var/cache/tcpx}
TCPX_OUT=${TCPX_OUT:-$TCPX_ROOT/out}
export TCPX_ROOT TCPX_CACHE TCPX_OUT

tcpx_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
tcpx_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# The stock kernel: the newest Debian amd64 image installed.
tcpx_stock_release() {
	local v
	v=$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -n 1)
	[ -n "$v" ] || return 1
	echo "$v"
}

# Where the module is built for a kernel: out/build-<release>/.
tcpx_build_dir() { echo "$TCPX_OUT/build-$1"; }

# The kernel tree with kselftest's lib.mk, checkpatch and the harness.
tcpx_ksrc() { echo "$TCPX_CACHE/src/linux-source-6.1"; }

# Unpack /usr/src/linux-source-V.tar.xz into the cache once.
tcpx_unpack_source() {
	local v=$1 dir="$TCPX_CACHE/src/linux-source-$1"
	local tarball="/usr/src/linux-source-$1.tar.xz"

	mkdir -p "$TCPX_CACHE/src"
	(
		flock 9
		[ -e "$dir/.tcpx-unpacked" ] && exit 0
		[ -r "$tarball" ] || tcpx_die "$tarball missing: apt-get install linux-source-$v"
		tcpx_log "unpacking $tarball into $TCPX_CACHE/src"
		rm -rf "$dir"
		tar -C "$TCPX_CACHE/src" -xJf "$tarball"
		touch "$dir/.tcpx-unpacked"
	) 9>"$TCPX_CACHE/src/.lock"
}

# tcpx_usage [FILE]: the header comment of FILE (default: the running
# script), from after the SPDX line up to the first line that is not a
# comment (or is a shellcheck directive), without the "# ": a --help that
# follows the header however lines move.
tcpx_usage() {
	awk 'NR == 1 && /^#!/ { next }
	     /^# SPDX-License-Identifier/ { next }
	     !/^#/ || /^# shellcheck/ { exit }
	     { sub(/^# ?/, "") }
	     !seen && $0 == "" { next }
	     { seen = 1; print }' "${1:-$0}"
}
