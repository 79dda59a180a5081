#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU discovery (issue 12): the router's link to the server drops
# from MTU 1500 to 1000 in the middle of a transfer.  Segments sent with DF
# (ip_no_pmtu_disc 0, the default: IP_PMTUDISC_WANT) no longer fit; the
# router answers "fragmentation needed" (ICMP type 3 code 4, rate-limited
# as always: net.ipv4.icmp_ratelimit untouched); the sender lowers its MSS
# to fit and resends, and the transfer completes byte for byte, in about
# the time Linux TCP needs on the same path in the same run, not after
# retries2.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c -- veth-rc [ $NS_RTR ] veth-rs -- veth-s 10.0.2.2 [ $NS_SRV ]
#    tcpx_xfer client ==>                     rate RATE, MTU          tcpx_xfer server
#    SIZE to the server                       1500 -> 1000 mid-way    (sends nothing)
#
# The family's transfer first, then Linux TCP's (NAME.tcp), each with the
# client's route cache flushed and the MTU back at 1500.  Checked: the
# router sent frag-needed and the client received it (Icmp counters); the
# transfer is exact; it took at most max(3 x TCP's, TCP's + 5 s); the
# client's MSS was above what MTU 1000 allows and ended at or below it
# (TCP(X)_INFO tcpi_snd_mss); the client's route to the server caches MTU
# 1000; for tcpx, PmtuUpdates grew (TCP counts nothing of the kind).
#
#   hostile_pmtu.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/hostile_lib.sh"

SRV=10.0.2.2
RATE=8mbit	# SIZE takes 4 s (8 s on the debug lane, where every process
SIZE=$((TCPX_SLOW ? 8 : 4))M	# takes a second): still running when the MTU drops
NEW_MTU=1000
T=60		# the client's limit: a black hole would run into it
FIT=$((NEW_MTU - 40))	# the largest MSS MTU 1000 allows (no options)

hostile_require
ktap_print_header
ktap_set_plan 5
tcpx_topo_router || ktap_exit_fail_msg "cannot build the topology"
ktap_print_msg "family $FAMILY, $SIZE at $RATE, MTU 1500 -> $NEW_MTU after 1 s," \
	"ip_no_pmtu_disc $(ip netns exec "$NS_CLI" sysctl -n net.ipv4.ip_no_pmtu_disc)"

# icmp NS NAME: an Icmp counter of /proc/net/snmp in NS.
icmp() {
	ip netns exec "$1" cat /proc/net/snmp > "$XFER_TMP/snmp"
	snmp_val "$XFER_TMP/snmp" "Icmp:$2"
}

# lower_mtu NAME: once NAME's server has its connection, 1 s later, the
# router's link to the server goes to NEW_MTU; "$XFER_TMP/NAME.low" says
# whether the server was still receiving then.  The server's connection is
# read from its /proc/PID/net: "ip netns exec" takes seconds on the debug
# lane, longer than the whole transfer.
lower_mtu() {
	local name=$1
	local deadline=$((SECONDS + XFER_START_WAIT))
	until xfer_server_up; do
		[ $? = 1 ] && [ "$SECONDS" -lt "$deadline" ] || return
		sleep 0.1
	done
	sleep 1
	ip -n "$NS_RTR" link set veth-rs mtu "$NEW_MTU"
	[ -n "$(kv "$XFER_TMP/$name.srv" ok)" ] || echo running > "$XFER_TMP/$name.low"
}

# pmtu_xfer NAME: the transfer with the MTU dropping mid-way; the ICMP
# counters before and after in $XFER_TMP/NAME.icmp, the client's route
# to the server in NAME.route.
pmtu_xfer() {
	local name=$1 rc o0 i0
	ip -n "$NS_RTR" link set veth-rs mtu 1500
	ip netns exec "$NS_CLI" ip route flush cache
	# A short queue (100 packets, 150 ms): the data waits in the client.
	netem "$NS_RTR" veth-rs rate "$RATE" limit 100 || return 1
	o0=$(icmp "$NS_RTR" OutDestUnreachs) i0=$(icmp "$NS_CLI" InDestUnreachs)
	xfer_start "$name" "$NS_SRV" "$SRV" -- -t "$T" -n "$SIZE" -m 0 || return 1
	lower_mtu "$name" &
	xfer_client "$name" "$T" -- -n "$SIZE" -m 0
	wait $!
	xfer_wait_server "$name" "$XFER_START_WAIT"
	echo "$o0 $(icmp "$NS_RTR" OutDestUnreachs) $i0 $(icmp "$NS_CLI" InDestUnreachs)" \
		> "$XFER_TMP/$name.icmp"
	ip -n "$NS_CLI" route get "$SRV" > "$XFER_TMP/$name.route"
	echo "# $name: $FAMILY $(kv "$XFER_TMP/$name.srv" elapsed_ms) ms," \
		"mss $(kv "$XFER_TMP/$name.cli" max_snd_mss) -> $(kv "$XFER_TMP/$name.cli" snd_mss)," \
		"retrans $(kv "$XFER_TMP/$name.cli" total_retrans)"
	xfer_checked "$name"
	rc=$?
	[ -e "$XFER_TMP/$name.low" ] || { echo "# $name: over before the MTU dropped"; rc=1; }
	return $rc
}

P0=$(fam_stat "$NS_CLI" PmtuUpdates)
pmtu_xfer pmtu
XRC=$?
P1=$(fam_stat "$NS_CLI" PmtuUpdates)
FAMILY=tcp pmtu_xfer pmtu.tcp
TRC=$?

# frag_needed NAME: the router sent destination-unreachables (DF
# segments too big: nothing else is unreachable here) and the client
# received them.
frag_needed() {
	local o0 o1 i0 i1
	read -r o0 o1 i0 i1 < "$XFER_TMP/$1.icmp"
	echo "# $1: router OutDestUnreachs $o0 -> $o1, client InDestUnreachs $i0 -> $i1"
	[ "$o1" -gt "$o0" ] && [ "$i1" -gt "$i0" ]
}
check "MTU 1500 -> $NEW_MTU mid-transfer: the router sent frag-needed, the client got it" \
	frag_needed pmtu

done_exact() {
	[ "$XRC" = 0 ] || { [ "$TRC" = 0 ] || echo "# (TCP failed too)"; return 1; }
}
check "MTU 1500 -> $NEW_MTU mid-transfer: $SIZE arrive exactly" done_exact

# in_time: the server had everything within max(3 x TCP's, TCP's + 5 s)
# of this run (its time: the client is done once its data is queued).
in_time() {
	local f t
	f=$(kv "$XFER_TMP/pmtu.srv" elapsed_ms) t=$(kv "$XFER_TMP/pmtu.tcp.srv" elapsed_ms)
	echo "# elapsed: $FAMILY $f ms, tcp $t ms"
	[ "$TRC" = 0 ] && [ -n "$f" ] && [ -n "$t" ] &&
		awk -v f="$f" -v t="$t" 'BEGIN { exit !(f <= 3 * t || f <= t + 5000) }'
}
check "MTU 1500 -> $NEW_MTU mid-transfer: done within max(3x, +5 s) of TCP's time" in_time

# mss_fits NAME: the client's MSS was above FIT and ended at or below it,
# and its route to the server caches MTU NEW_MTU.
mss_fits() {
	local c=$XFER_TMP/$1.cli hi lo
	hi=$(kv "$c" max_snd_mss) lo=$(kv "$c" snd_mss)
	sed "s/^/# $1 route: /" "$XFER_TMP/$1.route"
	[ -n "$hi" ] && [ -n "$lo" ] && [ "$hi" -gt "$FIT" ] && [ "$lo" -le "$FIT" ] &&
		grep -q " mtu $NEW_MTU\b" "$XFER_TMP/$1.route"
}
check "MTU 1500 -> $NEW_MTU: the sender's MSS went from above $FIT to at most $FIT" mss_fits pmtu

# pmtu_counted: tcpx counts the MTU it learnt (PmtuUpdates); TCP has no
# such counter (its route cache, mss_fits, is the record): skipped there.
pmtu_counted() {
	echo "# PmtuUpdates $P0 -> $P1"
	[ -n "$P1" ] && [ "$P1" -gt "${P0:-0}" ]
}
if [ "$FAMILY" = tcp ]; then
	ktap_test_skip "MTU 1500 -> $NEW_MTU: the path MTU update counted (PmtuUpdates): TCP has none"
else
	check "MTU 1500 -> $NEW_MTU: the path MTU update counted (PmtuUpdates)" pmtu_counted
fi

ktap_finished
