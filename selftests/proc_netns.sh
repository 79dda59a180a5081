#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything is per network namespace: /proc/net/tcpx lists a namespace's
# own sockets only, ports are per namespace, each namespace has its own
# sysctls (contract defaults, range-checked) and counters, and deleting a
# namespace whose process holds a socket cleans up.
#
#   [ $NS_A ]   [ $NS_B ]     two namespaces, loopback only
. "$(dirname "$0")/tcpx_lib.sh"

tcpx_require ip awk
tcpx_require_module

ktap_print_header
ktap_set_plan 8
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
		  keepalive_probes=10 retries2=15; do
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
		    ListenDrops KeepaliveProbes KeepaliveTimeouts TimeWaitCount; do
		# No segment has moved in this namespace: every counter is 0.
		n=$(tcpx_stat "$NS_A" "$want")
		if [ "$n" != 0 ]; then
			echo "# $want is '$n', not 0"
			return 1
		fi
	done
}
tcpx_check "/proc/net/tcpx_stat has every counter of the contract, at 0" counters

delete_ns() {
	local port ns
	tcpx_ns_new NS_GONE || return 1
	ns=$NS_GONE
	tcpx_hold port "$ns" -- -b 127.0.0.1:0 -l 1 || return 1
	ip netns del "$ns" || return 1
	tcpx_release
	# The namespace dies once its last socket is gone; a new one is clean.
	tcpx_ns_new NS_NEW && ! tcpx_proc_has "$NS_NEW" "$port" 0A
}
tcpx_check "deleting a namespace that holds a listener cleans up" delete_ns

ktap_finished
