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
#             fd00:1::1              fd00:1::2           fd00:2::1        fd00:2::2
#    tcpx_xfer client ==>                     rate RATE, MTU          tcpx_xfer server
#    SIZE to the server                       1500 -> 1000 mid-way    (sends nothing)
#                                             (IPv6: 1500 -> 1280)
#
# The family's transfer first, then Linux TCP's (NAME.tcp), each with the
# client's route cache flushed and the MTU back at 1500.  Checked: the
# router sent frag-needed and the client received it (Icmp counters); the
# transfer is exact; it took at most max(3 x TCP's, TCP's + 5 s); the
# client's MSS was above what MTU 1000 allows and ended at or below it
# (TCP(X)_INFO tcpi_snd_mss); the client's route to the server caches MTU
# 1000; for tcpx, PmtuUpdates grew (TCP counts nothing of the kind).
#
# Then the same over IPv6 (test points "... (IPv6)"), with the same code:
# the link drops to 1280 (IPv6's minimum MTU), the router answers "packet
# too big" (ICMPv6 type 2, which net.ipv6.icmp.ratemask leaves unlimited),
# counted in Icmp6OutPktTooBigs and Icmp6InPktTooBigs (/proc/net/snmp6).
#
#   hostile_pmtu.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/hostile_lib.sh"

RATE=8mbit	# SIZE takes 4 s (8 s on the debug lane, where every process
SIZE=$((TCPX_SLOW ? 8 : 4))M	# takes a second): still running when the MTU drops
T=60		# the client's limit: a black hole would run into it

hostile_require
ktap_print_header
ktap_set_plan 10
tcpx_topo_router6 || ktap_exit_fail_msg "cannot build the topology"
ktap_print_msg "family $FAMILY, $SIZE at $RATE, MTU 1500 -> 1000 (IPv6: 1280) after 1 s," \
	"ip_no_pmtu_disc $(ip netns exec "$NS_CLI" sysctl -n net.ipv4.ip_no_pmtu_disc)"

# pmtu_af AF: the scenario's parameters for IP version AF (4 or 6): the
# server's address SRV, the MTU the link drops to NEW_MTU and the largest
# MSS it allows FIT (no options), the router's message MSG and its
# counters ICMP_OUT (the router's) and ICMP_IN (the client's), the
# transfer's name N and the test points' suffix TAG.
pmtu_af() {
	if [ "$1" = 6 ]; then
		SRV=fd00:2::2 NEW_MTU=1280 FIT=$((1280 - 60)) MSG=packet-too-big
		ICMP_OUT=Icmp6OutPktTooBigs ICMP_IN=Icmp6InPktTooBigs
		N=pmtu6 TAG=" (IPv6)"
	else
		SRV=10.0.2.2 NEW_MTU=1000 FIT=$((1000 - 40)) MSG=frag-needed
		ICMP_OUT=Icmp:OutDestUnreachs ICMP_IN=Icmp:InDestUnreachs
		N=pmtu TAG=
	fi
}

# icmp NS NAME: an ICMP counter of NS, "Icmp:NAME" from /proc/net/snmp or
# "Icmp6NAME" from /proc/net/snmp6.
icmp() {
	# shellcheck disable=SC2016 # awk's own $1, $2
	case $2 in
	Icmp6*) ip netns exec "$1" awk -v n="$2" '$1 == n { print $2 }' /proc/net/snmp6 ;;
	*) ip netns exec "$1" cat /proc/net/snmp > "$XFER_TMP/snmp"
		snmp_val "$XFER_TMP/snmp" "$2" ;;
	esac
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

# pmtu_xfer NAME: the transfer to SRV with the MTU dropping mid-way; the
# ICMP counters before and after in $XFER_TMP/NAME.icmp, the client's
# route to the server in NAME.route.
pmtu_xfer() {
	local name=$1 rc o0 i0
	ip -n "$NS_RTR" link set veth-rs mtu 1500
	# An MTU below 1280 (IPv4's 1000) took IPv6 off the link, and with it
	# the router's address there: back, usable at once.
	ip -n "$NS_RTR" addr replace fd00:2::1/64 dev veth-rs nodad
	ip netns exec "$NS_CLI" ip route flush cache
	ip netns exec "$NS_CLI" ip -6 route flush cache
	# A short queue (100 packets, 150 ms): the data waits in the client.
	netem "$NS_RTR" veth-rs rate "$RATE" limit 100 || return 1
	o0=$(icmp "$NS_RTR" "$ICMP_OUT") i0=$(icmp "$NS_CLI" "$ICMP_IN")
	xfer_start "$name" "$NS_SRV" "$SRV" -- -t "$T" -n "$SIZE" -m 0 || return 1
	lower_mtu "$name" &
	xfer_client "$name" "$T" "$NS_CLI" "$SRV" -- -n "$SIZE" -m 0
	wait $!
	xfer_wait_server "$name" "$XFER_START_WAIT"
	echo "$o0 $(icmp "$NS_RTR" "$ICMP_OUT") $i0 $(icmp "$NS_CLI" "$ICMP_IN")" \
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

# frag_needed NAME: the router sent its ICMP errors (segments too big, DF
# ones over IPv4: nothing else is unreachable or too big here) and the
# client received them.
frag_needed() {
	local o0 o1 i0 i1
	read -r o0 o1 i0 i1 < "$XFER_TMP/$1.icmp"
	echo "# $1: router $ICMP_OUT $o0 -> $o1, client $ICMP_IN $i0 -> $i1"
	[ "$o1" -gt "$o0" ] && [ "$i1" -gt "$i0" ]
}

done_exact() {
	[ "$XRC" = 0 ] || { [ "$TRC" = 0 ] || echo "# (TCP failed too)"; return 1; }
}

# in_time NAME: the server had everything within max(3 x TCP's, TCP's +
# 5 s) of this run (its time: the client is done once its data is queued).
in_time() {
	local f t
	f=$(kv "$XFER_TMP/$1.srv" elapsed_ms) t=$(kv "$XFER_TMP/$1.tcp.srv" elapsed_ms)
	echo "# elapsed: $FAMILY $f ms, tcp $t ms"
	[ "$TRC" = 0 ] && [ -n "$f" ] && [ -n "$t" ] &&
		awk -v f="$f" -v t="$t" 'BEGIN { exit !(f <= 3 * t || f <= t + 5000) }'
}

# mss_fits NAME: the client's MSS was above FIT and ended at or below it,
# and its route to the server caches MTU NEW_MTU.
mss_fits() {
	local c=$XFER_TMP/$1.cli hi lo
	hi=$(kv "$c" max_snd_mss) lo=$(kv "$c" snd_mss)
	sed "s/^/# $1 route: /" "$XFER_TMP/$1.route"
	[ -n "$hi" ] && [ -n "$lo" ] && [ "$hi" -gt "$FIT" ] && [ "$lo" -le "$FIT" ] &&
		grep -q " mtu $NEW_MTU\b" "$XFER_TMP/$1.route"
}

# pmtu_counted: tcpx counts the MTU it learnt (PmtuUpdates); TCP has no
# such counter (its route cache, mss_fits, is the record): skipped there.
pmtu_counted() {
	echo "# PmtuUpdates $P0 -> $P1"
	[ -n "$P1" ] && [ "$P1" -gt "${P0:-0}" ]
}

# pmtu_test AF: over IP version AF, the family's transfer, then TCP's, and
# the five test points.
pmtu_test() {
	local m
	pmtu_af "$1"
	m="MTU 1500 -> $NEW_MTU"
	P0=$(fam_stat "$NS_CLI" PmtuUpdates)
	pmtu_xfer "$N"
	XRC=$?
	P1=$(fam_stat "$NS_CLI" PmtuUpdates)
	FAMILY=tcp pmtu_xfer "$N.tcp"
	TRC=$?

	check "$m mid-transfer: the router sent $MSG, the client got it$TAG" frag_needed "$N"
	check "$m mid-transfer: $SIZE arrive exactly$TAG" done_exact
	check "$m mid-transfer: done within max(3x, +5 s) of TCP's time$TAG" in_time "$N"
	check "$m: the sender's MSS went from above $FIT to at most $FIT$TAG" mss_fits "$N"
	if [ "$FAMILY" = tcp ]; then
		ktap_test_skip "$m: the path MTU update counted (PmtuUpdates): TCP has none$TAG"
	else
		check "$m: the path MTU update counted (PmtuUpdates)$TAG" pmtu_counted
	fi
}

pmtu_test 4
pmtu_test 6

ktap_finished
