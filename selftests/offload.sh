#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checksum offload (issue 14).  A connection's segments leave the sum to
# the device where its route can sum any protocol (NETIF_F_HW_CSUM, as
# veth and virtio-net can): CHECKSUM_PARTIAL, the pseudo-header's sum in
# the field (tcpx's with the ports' added: its csum_start is past them),
# csum_start and csum_offset for whoever finishes it.  Here the
# router's egress cannot sum (tx checksumming off), so the stack finishes
# it there in software from those fields, and the server verifies every
# segment in software: a wrong start, offset or seed is a checksum error
# at the server and a broken transfer.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c -- veth-rc [ $NS_RTR ] veth-rs -- veth-s 10.0.2.2 [ $NS_SRV ]
#     tcpx_xfer client     capture                      tx off   capture  tcpx_xfer server
#
# Per address family (IPv4, IPv6), three points:
#   1. offloaded: every segment the client sends is left for the device
#      (the capture on veth-c sees the seed, not a finished sum);
#   2. summed on the way: every one of them reaches the server with a
#      valid checksum, InCsumErrors stays, the transfer is exact;
#   3. software: with veth-c's tx checksumming off the client sums every
#      segment itself, and the transfer is exact.
# pcap_csum.py classifies the captured checksums.
#
#   offload.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/xfer_lib.sh"

SIZE=$((TCPX_SLOW ? 1 : 2))M
T=60

xfer_require tcpdump ethtool python3
ktap_print_header
ktap_set_plan 6
tcpx_topo_router6 || ktap_exit_fail_msg "cannot build the topology"
ip netns exec "$NS_RTR" ethtool -K veth-rs tx off > /dev/null ||
	ktap_exit_fail_msg "cannot turn veth-rs's tx checksumming off"
PROTO=$(fam_ipproto)
ktap_print_msg "family $FAMILY (IP protocol $PROTO), $SIZE each way"

# csum_counts PCAP SRC: pcap_csum.py's counts of SRC's segments, in C_*.
csum_counts() {
	local line
	line=$(python3 "$TCPX_SELFTESTS/pcap_csum.py" "$1" "$PROTO" "$2") || return 1
	echo "# $(basename "$1"): $line"
	read -r _ C_SEG _ C_DATA _ C_VALID _ C_PARTIAL _ _ _ C_RSTV <<< "$line"
}

# run NAME: a checked transfer between the router's two sides (the
# client at CLI, the server at SRV), captured on veth-c and veth-s; the
# server's InCsumErrors before and after in E0, E1.
run() {
	local name=$1 rc=0 cap_cli filter="ip proto $PROTO or ip6 proto $PROTO"
	E0=$(fam_stat "$NS_SRV" InCsumErrors)
	tcpx_cap_start "$NS_CLI" veth-c "$XFER_TMP/$name.cli.pcap" "$filter" || return 1
	cap_cli=$TCPX_CAP_PID
	tcpx_cap_start "$NS_SRV" veth-s "$XFER_TMP/$name.srv.pcap" "$filter" || return 1
	xfer "$name" "$T" -n "$SIZE" || rc=1
	tcpx_cap_stop
	kill -INT "$cap_cli" 2>/dev/null
	wait "$cap_cli" 2>/dev/null
	E1=$(fam_stat "$NS_SRV" InCsumErrors)
	return $rc
}

# offloaded NAME: every segment the client sent was left for the device;
# but a RST for a segment that found no socket (the connection gone, a
# late retransmission of the server's) is a reply the stack sums itself,
# as TCP's, and is not the connection's.
offloaded() {
	run "$1" || return 1
	csum_counts "$XFER_TMP/$1.cli.pcap" "$CLI" || return 1
	[ "$C_RSTV" = 0 ] || echo "# $C_RSTV RST(s) summed in software: replies outside the connection"
	[ "$C_DATA" -gt 0 ] && [ "$C_PARTIAL" = $((C_SEG - C_RSTV)) ]
}

# summed NAME: what the client sent in NAME arrived summed and valid.
summed() {
	csum_counts "$XFER_TMP/$1.srv.pcap" "$CLI" || return 1
	echo "# the server's InCsumErrors $E0 -> $E1"
	[ "$C_DATA" -gt 0 ] && [ "$C_VALID" = "$C_SEG" ] && [ "$E0" = "$E1" ]
}

# software NAME: with tx checksumming off the client sums every segment.
software() {
	local rc=0
	ip netns exec "$NS_CLI" ethtool -K veth-c tx off > /dev/null || return 1
	run "$1" || rc=1
	ip netns exec "$NS_CLI" ethtool -K veth-c tx on > /dev/null
	[ "$rc" = 0 ] || return 1
	csum_counts "$XFER_TMP/$1.cli.pcap" "$CLI" || return 1
	echo "# the server's InCsumErrors $E0 -> $E1"
	[ "$C_DATA" -gt 0 ] && [ "$C_VALID" = "$C_SEG" ] && [ "$E0" = "$E1" ]
}

# shellcheck disable=SC2034 # SRV and XFER_AF are xfer_lib.sh's
for af in 4 6; do
	if [ "$af" = 6 ]; then
		CLI=fd00:1::1 SRV=fd00:2::2
	else
		CLI=10.0.1.1 SRV=10.0.2.2
	fi
	XFER_AF=$af
	check "IPv$af, tx checksumming on: the client leaves every segment's sum to the device" \
		offloaded "hw$af"
	check "IPv$af, the router sums them for a device that cannot: all valid at the server, transfer exact" \
		summed "hw$af"
	check "IPv$af, tx checksumming off: the client sums every segment itself, transfer exact" \
		software "sw$af"
done

ktap_finished
