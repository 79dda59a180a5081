#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything is per network namespace: /proc/net/tcpx lists a namespace's
# own sockets only, ports are per namespace, each namespace has its own
# sysctls (contract defaults, range-checked) and counters, and deleting a
# namespace frees its sockets and TIME-WAITs (observed host-wide: the
# module's reference count and the TIME-WAIT's end in the trace).
#
#   [ $NS_A ]   [ $NS_B ]     two namespaces, loopback only
. "$(dirname "$0")/tcpx_lib.sh"

TCPX_CONN=${TCPX_CONN:-$TCPX_SELFTESTS/tcpx_conn}
TMPF=$(mktemp /tmp/tcpx-netns.XXXXXX)
netns_cleanup() {
	tcpx_cleanup
	rm -f "$TMPF"
	if [ -d "$TRACE" ]; then
		echo 0 > "$TRACE/events/enable"
		rmdir "$TRACE"
	fi
}
trap netns_cleanup EXIT

tcpx_require ip awk
tcpx_require_module
tcpx_require_built "$TCPX_CONN"

ktap_print_header
ktap_set_plan 9
tcpx_ns_new NS_A && tcpx_ns_new NS_B || ktap_exit_fail_msg "cannot create namespaces"

own_proc() {
	local port
	tcpx_hold port "$NS_A" -- -b 127.0.0.1:0 -l 4 || return 1
	tcpx_proc_has "$NS_A" "$port" 0A && ! tcpx_proc_has "$NS_B" "$port" 0A &&
		! awk -v p=":$(printf '%04X' "$port")" 'NR > 1 && substr($2, 9) == p { f = 1 } END { exit !f }' /proc/net/tcpx
	local rc=$?
	tcpx_release
	[ $rc = 0 ] && ! tcpx_proc_has "$NS_A" "$port" 0A
}
tcpx_check "a listener shows in its own namespace's /proc/net/tcpx only" own_proc

header() {
	local want='  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'
	[ "$(ip netns exec "$NS_A" head -n 1 /proc/net/tcpx | sed 's/ *$//')" = "$want" ] &&
		[ "$(ip netns exec "$NS_A" head -n 1 /proc/net/tcp | sed 's/ *$//')" = "$want" ]
}
tcpx_check "/proc/net/tcpx has /proc/net/tcp's header" header

same_port() {
	local pa pb rc
	tcpx_hold pa "$NS_A" -- -b 127.0.0.1:0 -l 1 || return 1
	local first=$TCPX_HOLD_PID fd=$TCPX_HOLD_FD
	tcpx_hold pb "$NS_B" -- -b "127.0.0.1:$pa" -l 1
	rc=$?
	tcpx_release
	exec {fd}>&-
	wait "$first"
	[ $rc = 0 ] && [ "$pa" = "$pb" ]
}
tcpx_check "the same port can be bound in two namespaces" same_port

defaults() {
	local ns=$1 kv k v
	for kv in syncookies=1 max_syn_backlog=1024 syn_retries=6 synack_retries=5 \
		  msl=30 fin_timeout=60 keepalive_time=7200 keepalive_intvl=75 \
		  keepalive_probes=10 retries2=15 min_snd_mss=48 \
		  challenge_ack_limit=2147483647 orphan_retries=0 \
		  max_orphans="$(cat /proc/sys/net/ipv4/tcp_max_orphans)"; do
		k=${kv%=*} v=${kv#*=}
		if [ "$(ip netns exec "$ns" cat /proc/sys/net/tcpx/$k)" != "$v" ]; then
			echo "# $k is $(ip netns exec "$ns" cat /proc/sys/net/tcpx/$k), not $v"
			return 1
		fi
	done
}
tcpx_check "a new namespace has the contract's sysctl defaults" defaults "$NS_A"

sysctl_per_ns() {
	ip netns exec "$NS_A" sh -c 'echo 5 > /proc/sys/net/tcpx/msl' || return 1
	[ "$(ip netns exec "$NS_A" cat /proc/sys/net/tcpx/msl)" = 5 ] &&
		[ "$(ip netns exec "$NS_B" cat /proc/sys/net/tcpx/msl)" = 30 ] &&
		[ "$(cat /proc/sys/net/tcpx/msl)" = 30 ]
}
tcpx_check "a sysctl set in one namespace leaves the others alone" sysctl_per_ns

# mem is host-wide, as tcp_mem: the initial namespace has it, starting at
# tcp_mem's values; other namespaces do not see it.
mem_host_wide() {
	[ "$(cat /proc/sys/net/tcpx/mem)" = "$(cat /proc/sys/net/ipv4/tcp_mem)" ] ||
		{ echo "# mem $(cat /proc/sys/net/tcpx/mem), tcp_mem $(cat /proc/sys/net/ipv4/tcp_mem)"; return 1; }
	! ip netns exec "$NS_A" test -e /proc/sys/net/tcpx/mem
}
tcpx_check "mem is host-wide and starts as tcp_mem" mem_host_wide

sysctl_ranges() {
	local kv k
	for kv in syncookies=3 syncookies=-1 msl=0 syn_retries=0 syn_retries=128 \
		  keepalive_probes=0 max_syn_backlog=0; do
		k=${kv%=*}
		if ip netns exec "$NS_B" sh -c "echo ${kv#*=} > /proc/sys/net/tcpx/$k" 2>/dev/null; then
			echo "# $kv was accepted"
			return 1
		fi
	done
	defaults "$NS_B"
}
tcpx_check "out-of-range sysctl values are refused and change nothing" sysctl_ranges

counters() {
	local n want
	for want in ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab \
		    InSegs OutSegs RetransSegs InErrs InCsumErrors OutRsts \
		    SyncookiesSent SyncookiesRecv SyncookiesFailed ListenOverflows \
		    ListenDrops KeepaliveProbes KeepaliveTimeouts TimeWaitCount \
		    ChallengeACKs MemoryPressures AbortOnMemory OrphanDrops \
		    OfoPruned PmtuUpdates; do
		# No segment has moved in this namespace: every counter is 0.
		n=$(tcpx_stat "$NS_A" "$want")
		if [ "$n" != 0 ]; then
			echo "# $want is '$n', not 0"
			return 1
		fi
	done
}
tcpx_check "/proc/net/tcpx_stat has every counter of the contract, at 0" counters

# tcpx_refs: the module's reference count: one per open tcpx socket file
# (struct proto has no owner: socks and TIME-WAITs do not pin the module).
tcpx_refs() {
	cat /sys/module/tcpx/refcnt
}

# The TIME-WAIT's end: its destructor traces TIME_WAIT (6) -> CLOSE (7).
TRACE=/sys/kernel/tracing/instances/tcpx-netns-$$
tw_trace() {
	[ -d /sys/kernel/tracing/instances ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	mkdir "$TRACE" &&
	echo "oldstate == 6 && newstate == 7 && dport == 9000" \
		> "$TRACE/events/tcpx/tcpx_set_state/filter" &&
	echo 1 > "$TRACE/events/tcpx/tcpx_set_state/enable"
}

# gone: the listener's socket file is closed (delete_ns's base count of
# references again) and the TIME-WAIT has been freed.
gone() {
	[ "$(tcpx_refs)" -le "$base" ] && grep -q 'tcpx_set_state:' "$TRACE/trace"
}

# A listener held by a process, and a TIME-WAIT (2 MSL: 60 s) from a
# connection over loopback that the client closed first; then the
# namespace is deleted.  Its cleanup (a workqueue, once the process has
# gone) must free both well before the TIME-WAIT would have ended, and a
# new namespace is clean.  (Socks left on the namespace's list when its
# exit has purged it are a WARNING, which vm-run fails on.)
delete_ns() {
	local port ns base held srv out
	base=$(tcpx_refs) && [ -n "$base" ] || return 1
	tw_trace || { echo "# no trace instance"; return 1; }
	tcpx_ns_new NS_GONE || return 1
	ns=$NS_GONE
	ip netns exec "$ns" "$TCPX_CONN" server 127.0.0.1:9000 > "$TMPF" &
	srv=$!
	TCPX_PIDS+=("$srv")
	tcpx_wait_for 10 grep -q '^listening' "$TMPF" || return 1
	out=$(ip netns exec "$ns" timeout 20 "$TCPX_CONN" client 127.0.0.1:9000 --first | tail -n 1)
	wait "$srv"
	tw_up() { [ "$(tcpx_stat "$ns" TimeWaitCount)" = 1 ]; }
	if [ "$out" != "ok 1" ] || ! tcpx_wait_for 10 tw_up; then
		echo "# client: $out, TimeWaitCount $(tcpx_stat "$ns" TimeWaitCount), not 1"
		return 1
	fi
	tcpx_hold port "$ns" -- -b 127.0.0.1:0 -l 1 || return 1
	held=$(tcpx_refs)
	ip netns del "$ns" || return 1
	tcpx_release
	tcpx_wait_for 20 gone
	echo "# module references: $base before, $held with the listener, $(tcpx_refs) after;" \
		"TIME-WAIT freed: $(grep -c 'tcpx_set_state:' "$TRACE/trace") (in 20 s, of its 60)"
	[ "$held" -gt "$base" ] && gone &&
		tcpx_ns_new NS_NEW && ! tcpx_proc_has "$NS_NEW" "$port" 0A
}
tcpx_check "deleting a namespace frees its listener and TIME-WAIT; a new one is clean" delete_ns

ktap_finished
