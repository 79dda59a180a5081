#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A NIC that sums TCP and UDP only (NETIF_F_IP_CSUM, no HW_CSUM): QEMU's
# rtl8139, driven by 8139cp.  tcpx must sum its own segments there: handed
# one as CHECKSUM_PARTIAL, skb_csum_hwoffload_help() takes csum_offset 16
# for TCP's, and 8139cp WARNs ("Net bug: asked to checksum invalid Legacy
# IP packet") and drops it; vm-run fails on the WARN.  Nothing answers on
# the link: the SYNs of a connect() are what is checked.
#   1. the NIC is 8139cp, IPv4 checksumming on, generic checksumming off;
#   2. the SYNs a tcpx connect() sends leave it summed (a capture on the
#      NIC sees what the device is given) and none is dropped;
#   3. forwarded: the SYNs of a connect() in a namespace behind a veth,
#      which leave it CHECKSUM_PARTIAL, are routed out of the NIC summed
#      (by the stack, as tcpx's csum_offset is not TCP's) and none is
#      dropped.
#
#   [ $NS2 ] 10.9.7.2 veth-a -- veth-b 10.9.7.1 [ $NS ] 10.9.8.1 8139cp -- (10.9.8.2)
# make check runs it in a lane of its own (scripts/check); by hand:
#   scripts/vm-run --nic 40101:40102 --nic-model rtl8139 -- $PWD/selftests/nic/ip_csum.sh
# shellcheck source=../tcpx_lib.sh
. "$(dirname "$0")/../tcpx_lib.sh"

BENCH=$TCPX_OUT/tools/tcpx-bench
PROTO=$(cat /sys/module/tcpx/parameters/ipproto 2>/dev/null || echo 253)

ktap_print_header
tcpx_require ip ethtool tcpdump python3 timeout modprobe
tcpx_require_module
tcpx_require_built "$BENCH"
modprobe 8139cp 2>/dev/null
NIC=
for d in /sys/class/net/*; do
	[ "$(basename "$(readlink "$d/device/driver" 2>/dev/null)")" = 8139cp ] &&
		NIC=$(basename "$d")
done
if [ -z "$NIC" ]; then
	ktap_skip_all "no 8139cp NIC (scripts/vm-run --nic-model rtl8139)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 3
tcpx_ns_new NS || ktap_exit_fail_msg "cannot make a namespace"
tcpx_ns_new NS2 || ktap_exit_fail_msg "cannot make a namespace"
if ! { ip link set "$NIC" netns "$NS" &&
	ip -n "$NS" link set "$NIC" up &&
	ip -n "$NS" addr add 10.9.8.1/24 dev "$NIC" &&
	ip -n "$NS" neigh add 10.9.8.2 lladdr 02:00:00:00:00:02 dev "$NIC"; }; then
	ktap_exit_fail_msg "cannot set $NIC up"
fi
if ! { ip -n "$NS2" link add veth-a type veth peer name veth-b netns "$NS" &&
	ip -n "$NS2" link set veth-a up && ip -n "$NS" link set veth-b up &&
	ip -n "$NS2" addr add 10.9.7.2/24 dev veth-a &&
	ip -n "$NS" addr add 10.9.7.1/24 dev veth-b &&
	ip -n "$NS2" route add default via 10.9.7.1 &&
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1; }; then
	ktap_exit_fail_msg "cannot route from a veth out of $NIC"
fi
TMP=$(mktemp -d)

ip_csum_only() {
	local f
	f=$(ip netns exec "$NS" ethtool -k "$NIC") || return 1
	grep -E 'tx-checksum-(ipv4|ip-generic):' <<< "$f" | sed 's/^[[:space:]]*/# /'
	grep -q 'tx-checksum-ipv4: on' <<< "$f" &&
		grep -q 'tx-checksum-ip-generic: off' <<< "$f"
}

# syns_summed FROM_NS SRC: the SYNs of a connect() from FROM_NS (its
# address SRC) to the far end of the NIC leave the NIC summed, none dropped.
syns_summed() {
	local pcap=$TMP/syn-$2.pcap line d0 d1 seg valid
	d0=$(ip netns exec "$NS" cat "/sys/class/net/$NIC/statistics/tx_dropped")
	tcpx_cap_start "$NS" "$NIC" "$pcap" ip proto "$PROTO" || return 1
	timeout 5 ip netns exec "$1" "$BENCH" --family tcpx rr --host 10.9.8.2 \
		--port 9 --seconds 1 > /dev/null 2>&1
	tcpx_cap_stop
	d1=$(ip netns exec "$NS" cat "/sys/class/net/$NIC/statistics/tx_dropped")
	line=$(python3 "$TCPX_SELFTESTS/pcap_csum.py" "$pcap" "$PROTO" "$2") || return 1
	echo "# $line; tx_dropped $d0 -> $d1"
	read -r _ seg _ _ _ valid _ <<< "$line"
	[ "$seg" -gt 0 ] && [ "$valid" = "$seg" ] && [ "$d0" = "$d1" ]
}

# veth_partial: the route from NS2 is a veth's, which sums any protocol
# (the forwarded SYNs leave NS2 CHECKSUM_PARTIAL, offload.sh checks that).
veth_partial() {
	ip netns exec "$NS2" ethtool -k veth-a | grep -q 'tx-checksum-ip-generic: on' &&
		syns_summed "$NS2" 10.9.7.2
}

tcpx_check "the NIC is 8139cp: it sums TCP and UDP only" ip_csum_only
tcpx_check "a connect's SYNs leave the NIC summed by tcpx, none dropped" \
	syns_summed "$NS" 10.9.8.1
tcpx_check "SYNs forwarded from a veth leave the NIC summed, none dropped" veth_partial
rm -rf "$TMP"
ktap_finished
