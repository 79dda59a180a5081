#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's life: its parameters, rmmod refused while a process holds a
# tcpx socket and accepted after, clean load failures (taken family, taken
# IP protocol, out-of-range values) that leave nothing behind, and a moved
# family.  Runs in the VM, where vm-run exports TCPX_MODULE; leaves the
# module loaded with its defaults.
. "$(dirname "$0")/tcpx_lib.sh"

tcpx_require insmod rmmod dmesg tc
if [ -z "${TCPX_MODULE:-}" ] || [ ! -r "$TCPX_MODULE" ]; then
	ktap_skip_all "needs the module file in TCPX_MODULE (scripts/vm-run sets it)"
	exit "$KSFT_SKIP"
fi
tcpx_require_module

ktap_print_header
ktap_set_plan 12

# Lines the kernel logged since the last mark.
mark() { echo "tcpx-selftest-mark $1" > /dev/kmsg; }
since() { dmesg | sed -n "/tcpx-selftest-mark $1/,\$p" | tail -n +2; }

unloaded_clean() {
	[ ! -d /sys/module/tcpx ] && [ ! -e /proc/net/tcpx ] &&
		[ ! -e /proc/net/tcpx_stat ] && [ ! -d /proc/sys/net/tcpx ] &&
		! grep -q '^TCPX ' /proc/slabinfo
}

params() {
	local p=/sys/module/tcpx/parameters
	[ "$(cat $p/family)" = 18 ] && [ "$(cat $p/ipproto)" = 253 ] &&
		[ "$(stat -c %a $p/family)" = 444 ] &&
		[ "$(stat -c %a $p/ipproto)" = 444 ]
}
tcpx_check "parameters family=18 ipproto=253, read-only" params

rmmod_busy() {
	local port out
	tcpx_hold port -- -b 127.0.0.1:0 || return 1
	if out=$(rmmod tcpx 2>&1); then
		echo "# rmmod succeeded with a socket open"
		return 1
	fi
	echo "$out" | grep -q "in use" || { echo "# rmmod: $out"; return 1; }
	[ -d /sys/module/tcpx ] || return 1
	tcpx_release
	rmmod tcpx || return 1
	unloaded_clean
}
tcpx_check "rmmod fails (EBUSY) while a socket is open, works after close" rmmod_busy

# load_fails ARGS REASON: insmod with ARGS fails, logs exactly one tcpx line
# matching REASON, and leaves nothing behind.
load_fails() {
	local args=$1 reason=$2 tag=$RANDOM lines
	mark "$tag"
	# shellcheck disable=SC2086
	if insmod "$TCPX_MODULE" $args 2>/dev/null; then
		echo "# insmod $args succeeded"
		rmmod tcpx
		return 1
	fi
	lines=$(since "$tag" | grep 'tcpx: ')
	if [ "$(echo "$lines" | grep -c .)" != 1 ] || ! echo "$lines" | grep -q "$reason"; then
		echo "# kernel log: $lines"
		return 1
	fi
	unloaded_clean
}
# The last step fails: every step before it is undone.
tcpx_check "load fails cleanly when family 16 (netlink) is taken" \
	load_fails "family=16" "address family 16 is taken"
# TIME-WAIT socks carry AF_INET or AF_INET6: tcpx may be neither.
tcpx_check "load fails cleanly for family 2 (AF_INET)" \
	load_fails "family=2" "family 2 is an IP family"
tcpx_check "load fails cleanly when IP protocol 6 is taken" \
	load_fails "ipproto=6" "IPv4 protocol 6 is taken"
tcpx_check "load fails cleanly for family 46 (AF_MAX)" \
	load_fails "family=46" "family 46 out of range"
tcpx_check "load fails cleanly for ipproto 256" \
	load_fails "ipproto=256" "ipproto 256 out of range"

# rmmod purges what no process holds: TIME-WAIT, and connections whose
# sockets were closed but whose FINs cannot get through.
loaded() { [ -d /sys/module/tcpx ] || insmod "$TCPX_MODULE"; }

rmmod_time_wait() {
	local port
	loaded || return 1
	tcpx_hold port -- -b 127.0.0.1:0 -l 1 -A || return 1
	"$TCPX_SOCK" -c "127.0.0.1:$port" >/dev/null || return 1
	tcpx_release
	tcpx_wait_for 10 tcpx_proc_has_init_st 06 || return 1
	rmmod tcpx || return 1
	unloaded_clean || return 1
	insmod "$TCPX_MODULE"
}
tcpx_proc_has_init_st() {
	awk -v st="$1" 'NR > 1 && $4 == st { f = 1 } END { exit !f }' /proc/net/tcpx
}
tcpx_check "rmmod with a TIME-WAIT socket succeeds and purges it" rmmod_time_wait

rmmod_orphans() {
	local port
	loaded || return 1
	tcpx_topo_pair || return 1
	tcpx_hold port "$NS_SRV" -- -b 10.0.1.2:0 -l 1 -A || return 1
	local srv=$TCPX_HOLD_PID srvfd=$TCPX_HOLD_FD
	tcpx_hold port "$NS_CLI" -- -c "10.0.1.2:$port" || return 1
	# Cut the wire, then close both ends: two orphans in FIN-WAIT-1.
	ip -n "$NS_CLI" link set veth-c down
	tcpx_release
	exec {srvfd}>&-
	wait "$srv"
	tcpx_wait_for 10 orphans_present || return 1
	rmmod tcpx || return 1
	unloaded_clean || return 1
	insmod "$TCPX_MODULE"
}
orphans_present() {
	[ "$(ip netns exec "$NS_CLI" awk 'NR > 1 && $4 == "04"' /proc/net/tcpx | wc -l)" = 1 ] &&
		[ "$(ip netns exec "$NS_SRV" awk 'NR > 1 && $4 == "04"' /proc/net/tcpx | wc -l)" = 1 ]
}
tcpx_check "rmmod with orphaned connections in FIN-WAIT-1 purges them" rmmod_orphans

# Segments are owned by their socket: a socket purged at rmmod lives on
# while its segments wait in a qdisc (netem holds them 3 s), and rmmod
# waits for them before its code and its slab go.
rmmod_held_segments() {
	local port held
	loaded || return 1
	tcpx_topo_pair || return 1
	tc -n "$NS_CLI" qdisc add dev veth-c root netem delay 3s || return 1
	tcpx_hold port "$NS_SRV" -- -b 10.0.1.2:0 -l 1 -A || return 1
	local srv=$TCPX_HOLD_PID srvfd=$TCPX_HOLD_FD
	tcpx_hold port "$NS_CLI" -- -c "10.0.1.2:$port" || return 1
	tcpx_release
	exec {srvfd}>&-
	wait "$srv"
	held=$(tc -n "$NS_CLI" -s qdisc show dev veth-c | awk '$1 == "backlog" { print $3 + 0 }')
	echo "# segments in the qdisc at rmmod: ${held:-none}"
	[ "${held:-0}" -gt 0 ] || return 1
	rmmod tcpx || return 1
	unloaded_clean || return 1
	insmod "$TCPX_MODULE"
}
tcpx_check "rmmod waits for a purged socket's segments held in a qdisc" rmmod_held_segments

moved_family() {
	local port
	[ -d /sys/module/tcpx ] && { rmmod tcpx || return 1; }
	insmod "$TCPX_MODULE" family=19 || return 1
	[ "$(cat /sys/module/tcpx/parameters/family)" = 19 ] || return 1
	tcpx_hold port -- -f 19 -b 127.0.0.1:0 -l 1 || return 1
	tcpx_proc_has_init "$port" 0A || return 1
	tcpx_release
	rmmod tcpx && unloaded_clean
}
tcpx_proc_has_init() {
	awk -v p=":$(printf '%04X' "$1")" -v st="$2" \
		'NR > 1 && substr($2, 9) == p && $4 == st { f = 1 } END { exit !f }' /proc/net/tcpx
}
tcpx_check "family=19 moves the family; sockets of family 19 are tcpx" moved_family

cycles() {
	local i n=20
	[ "$TCPX_SLOW" = 1 ] && n=5
	for i in $(seq $n); do
		insmod "$TCPX_MODULE" || return 1
		"$TCPX_SOCK" -b 127.0.0.1:0 -l 1 >/dev/null || return 1
		rmmod tcpx || return 1
		unloaded_clean || return 1
	done
	insmod "$TCPX_MODULE"
}
tcpx_check "load, use, unload cycles leave nothing behind" cycles

ktap_finished
