#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Buffer autotuning (issue 14; the contract's rmem and wmem sysctls).  A
# socket starts with rmem[1] and wmem[1] bytes of buffer and the kernel
# grows them, within rmem[2] and wmem[2], as a transfer needs: one bulk
# connection fills a long path without SO_RCVBUF, as TCP's does.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c ---- veth-s 10.0.1.2 [ $NS_SRV ]
#     tcpx_xfer client ==> SIZE   netem delay 100 ms, 8 Mbit/s,    server
#                                 each way
#
# The path holds 200 KB (its bandwidth-delay product): more than a window
# rmem[1] can offer (about 57 KB), and slow enough that neither family is
# held back by the CPU (the debug kernel moves tcpx a few MB/s).  Without
# autotuning tcpx would take about three times TCP's time here.
#
#   1. /proc/sys/net/tcpx/rmem and wmem (net.ipv4.tcp_rmem and tcp_wmem
#      for TCP) hold the contract's defaults, and a new socket's SO_RCVBUF
#      and SO_SNDBUF are rmem[1] and wmem[1];
#   2. over the 200 ms path the receiver's buffer grows past rmem[1] and the
#      sender's past wmem[1], neither past its [2];
#   3. the transfer takes at most twice Linux TCP's time over the same
#      path in the same run (whose buffers autotune too);
#   4. rmem[2] lowered in the receiver's namespace: its buffer stops there;
#   5. SO_RCVBUF and SO_SNDBUF set: the buffers never move.
#
#   autotune.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/xfer_lib.sh"

SIZE=4M
T=60
RMEM_CAP=262144

xfer_require python3
ktap_print_header
ktap_set_plan 5
tcpx_topo_pair || ktap_exit_fail_msg "cannot build the topology"
netem_both delay 100ms rate 8mbit limit 10000 || ktap_exit_fail_msg "cannot add netem"
ktap_print_msg "family $FAMILY, $SIZE over a 200 ms RTT at 8 Mbit/s"

# knob NS rmem|wmem [VALUE]: the family's sysctl in NS, read or written.
knob() {
	local f=/proc/sys/net/tcpx/$2
	[ "$FAMILY" = tcp ] && f=/proc/sys/net/ipv4/tcp_$2
	if [ $# = 3 ]; then
		ip netns exec "$1" sh -c "echo '$3' > $f"
	else
		ip netns exec "$1" cat "$f"
	fi
}

# fresh_bufs: SO_RCVBUF and SO_SNDBUF of a new socket of the family.
fresh_bufs() {
	local af=18
	[ "$FAMILY" = tcp ] && af=2
	ip netns exec "$NS_CLI" python3 -c "
import socket
s = socket.socket($af, socket.SOCK_STREAM, 0)
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
      s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))"
}

defaults() {
	local r w bufs
	r=$(knob "$NS_CLI" rmem | tr -s ' \t' ' ')
	w=$(knob "$NS_CLI" wmem | tr -s ' \t' ' ')
	bufs=$(fresh_bufs)
	echo "# rmem '$r', wmem '$w'; a new socket: SO_RCVBUF, SO_SNDBUF $bufs"
	[ "$r" = "4096 131072 6291456" ] && [ "$w" = "4096 16384 4194304" ] &&
		[ "$bufs" = "131072 16384" ]
}
check "rmem and wmem hold the contract's defaults, a new socket starts from rmem[1] and wmem[1]" \
	defaults

# bulk NAME ARGS...: SIZE from the client, nothing back; prints the ends'
# buffers before and after.
bulk() {
	local name=$1
	shift
	xfer "$name" "$T" -n "$SIZE" -m 0 "$@" || return 1
	echo "# $name: receiver rcvbuf $(kv "$XFER_TMP/$name.srv" rcvbuf) ->" \
		"$(kv "$XFER_TMP/$name.srv" end_rcvbuf) (rcv_space $(kv "$XFER_TMP/$name.srv" rcv_space)," \
		"rcv_rtt $(kv "$XFER_TMP/$name.srv" rcv_rtt) us); sender sndbuf" \
		"$(kv "$XFER_TMP/$name.cli" sndbuf) -> $(kv "$XFER_TMP/$name.cli" end_sndbuf)"
}

grows() {
	local rb sb
	bulk grow || return 1
	rb=$(kv "$XFER_TMP/grow.srv" end_rcvbuf)
	sb=$(kv "$XFER_TMP/grow.cli" end_sndbuf)
	[ "$rb" -gt 131072 ] && [ "$rb" -le 6291456 ] &&
		[ "$sb" -gt 16384 ] && [ "$sb" -le 4194304 ]
}
check "over a 200 ms RTT both buffers grow from [1], within [2]" grows

# against_tcp: the same transfer over TCP; at most twice its time.
against_tcp() {
	local mine tcp
	mine=$(kv "$XFER_TMP/grow.cli" elapsed_ms)
	FAMILY=tcp bulk tcp || return 1
	tcp=$(kv "$XFER_TMP/tcp.cli" elapsed_ms)
	echo "# $SIZE: $FAMILY $mine ms, tcp $tcp ms"
	[ -n "$mine" ] && [ "$mine" -le $((2 * tcp)) ]
}
check "the transfer takes at most twice Linux TCP's time on the same path" against_tcp

capped() {
	local saved rb rc=0
	saved=$(knob "$NS_SRV" rmem)
	knob "$NS_SRV" rmem "4096 131072 $RMEM_CAP" || return 1
	bulk capped || rc=1
	knob "$NS_SRV" rmem "$saved"
	rb=$(kv "$XFER_TMP/capped.srv" end_rcvbuf)
	[ "$rc" = 0 ] && [ "$rb" -gt 131072 ] && [ "$rb" -le "$RMEM_CAP" ]
}
check "rmem[2] lowered to $RMEM_CAP: the receiver's buffer grows to it, not past" capped

fixed() {
	local r0 r1 s0 s1
	bulk fixed -R 128K -S 128K || return 1
	r0=$(kv "$XFER_TMP/fixed.srv" rcvbuf) r1=$(kv "$XFER_TMP/fixed.srv" end_rcvbuf)
	s0=$(kv "$XFER_TMP/fixed.cli" sndbuf) s1=$(kv "$XFER_TMP/fixed.cli" end_sndbuf)
	[ "$r0" = $((2 * 131072)) ] && [ "$r1" = "$r0" ] && [ "$s0" = $((2 * 131072)) ] && [ "$s1" = "$s0" ]
}
check "SO_RCVBUF and SO_SNDBUF set: the buffers stay as set" fixed

ktap_finished
