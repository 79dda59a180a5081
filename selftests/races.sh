#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Races the packet path must survive, provoked on purpose:
#   - the third ACK and a data segment of one handshake on two CPUs at once
#     (race_ownreq.py, through a tun device in a private namespace): one
#     child per handshake, no double free (vm-run watches the kernel log).
. "$(dirname "$0")/tcpx_lib.sh"

tcpx_require /usr/bin/python3 ip
tcpx_require_module
[ -c /dev/net/tun ] || modprobe -q tun
[ -c /dev/net/tun ] || { ktap_skip_all "no /dev/net/tun"; exit "$KSFT_SKIP"; }

ktap_print_header
ktap_set_plan 1

rounds=2000
[ "$TCPX_SLOW" = 1 ] && rounds=500

ownreq() {
	local out
	tcpx_ns_new NS_RACE || return 1
	out=$(ip netns exec "$NS_RACE" timeout 300 /usr/bin/python3 \
		"$TCPX_SELFTESTS/race_ownreq.py" "$rounds")
	local rc=$?
	echo "# $out"
	return $rc
}
tcpx_check "third ACK and data on two CPUs: one child per handshake" ownreq

ktap_finished
