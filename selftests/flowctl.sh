#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flow control: a reader that stops for seconds.  The client writes SIZE
# with a non-blocking writer and SO_SNDBUF 64 KiB; the server, SO_RCVBUF
# 64 KiB, reads 1 MiB and then nothing for PAUSE seconds.  Must hold:
#
#   1. the writer is held back: EAGAIN, and one poll() wait of at least
#      half the pause;
#   2. the receive window reaches zero: a capture on the server's veth
#      shows a segment from the server advertising window 0;
#   3. the writer probes the closed window: zero-window probes counted
#      (WinProbe in /proc/net/tcpx_stat, TcpExt TCPWinProbe for TCP) and
#      more segments from the writer on the wire during the pause;
#   4. the transfer completes, intact, once reading resumes;
#   5. memory stays within the buffer limits: the most either socket had
#      charged (SO_MEMINFO rmem_alloc + backlog + wmem_queued, and tcpx's
#      own tcpi_rmem_alloc/tcpi_wmem_queued, sampled every 20 ms) is at
#      most twice the SO_RCVBUF/SO_SNDBUF value in effect (the kernel's
#      doubled one), and the bytes written but not yet read when the
#      writer first waited a second or more (the reader stopped) at most
#      twice rcvbuf + sndbuf.  TCP measures
#      about 1.0x and 1.0x; a send queue that grows with what the
#      application writes fails it.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c ------------ veth-s 10.0.1.2 [ $NS_SRV ]
#     writer (-N, SO_SNDBUF 64K)      tcpdump    reader (SO_RCVBUF 64K, pause)
#
# SIZE 16 MiB, PAUSE 4 s; TCPX_SLOW=1: 4 MiB, same pause.  Linux TCP
# passes it in 25-45 s on the stock lane, 50 s on the debug one.
#
#   flowctl.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/xfer_lib.sh"

PAUSE_MS=4000
PAUSE_AT=$((1 << 20))
if [ "$TCPX_SLOW" = 1 ]; then
	SIZE=4M
	T=180
else
	SIZE=16M
	T=60
fi

xfer_require tcpdump
ktap_print_header
ktap_set_plan 5
tcpx_topo_pair || ktap_exit_fail_msg "cannot build the topology"
ktap_print_msg "family $FAMILY, $SIZE, reader pause $PAUSE_MS ms after $PAUSE_AT bytes"

CAP=$XFER_TMP/flow.pcap
ip netns exec "$NS_SRV" tcpdump -i veth-s -s 96 -U -n -w "$CAP" \
	"ip proto $(fam_ipproto)" 2> "$XFER_TMP/tcpdump.err" &
CAP_PID=$!
TCPX_PIDS+=("$CAP_PID")
tcpx_wait_for "$XFER_START_WAIT" grep -qs listening "$XFER_TMP/tcpdump.err" ||
	ktap_print_msg "tcpdump may not have started"

probes_before=$(fam_stat "$NS_CLI" WinProbe)
xfer_start flow -- -t "$T" -n "$SIZE" -m 0 -R 64K -P "$PAUSE_AT:$PAUSE_MS" -i 20
start_ok=$?
if [ $start_ok = 0 ]; then
	xfer_client flow "$T" -- -n "$SIZE" -m 0 -S 64K -N -i 20
	xfer_wait_server flow "$XFER_START_WAIT"
fi
probes_after=$(fam_stat "$NS_CLI" WinProbe)
sleep 0.5
kill "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
C=$XFER_TMP/flow.cli
S=$XFER_TMP/flow.srv
sed 's/^/# /' "$C" "$S"

stalled() {
	local eagain stall
	eagain=$(kv "$C" eagain)
	stall=$(kv "$C" stall_ms)
	echo "# EAGAIN $eagain times, longest wait $stall ms"
	[ "${eagain:-0}" -gt 0 ] && [ "${stall:-0}" -ge $((PAUSE_MS / 2)) ]
}
check "a stopped reader holds the writer back (EAGAIN, poll waits)" stalled

# zero_windows: segments from the reader advertising window 0.  The
# window field is at byte 34 of the IPv4 packet (20-byte IP header, the
# TCP layout): tcpdump cannot dissect protocol 253, but it can count.
zero_windows() {
	local n
	n=$(tcpdump -r "$CAP" -n "src host $SRV and ip[34:2] = 0" 2>/dev/null | wc -l)
	echo "# zero-window segments from the reader: $n"
	[ "$n" -gt 0 ]
}
check "the receive window reaches zero" zero_windows

# probes: the writer's probe counter went up, and the capture shows it
# sending while the window was closed: segments from the writer between
# the reader's first zero window and its next nonzero one.
probes() {
	local d z0 z1 n
	d=$(( ${probes_after:-0} - ${probes_before:-0} ))
	z0=$(tcpdump -r "$CAP" -n -tt "src host $SRV and ip[34:2] = 0" 2>/dev/null |
		awk 'NR == 1 { print $1 }')
	z1=$(tcpdump -r "$CAP" -n -tt "src host $SRV and ip[34:2] != 0" 2>/dev/null |
		awk -v z="${z0:-0}" '$1 > z { print $1; exit }')
	n=0
	if [ -n "$z0" ]; then
		# A window never reopened: up to the end of the capture.
		n=$(tcpdump -r "$CAP" -n -tt "src host $CLI" 2>/dev/null |
			awk -v a="$z0" -v b="${z1:-1e12}" '$1 > a && $1 < b' | wc -l)
	fi
	echo "# WinProbe +$d (tcpx_info: $(kv "$C" win_probes)); window closed" \
		"${z0:-?} .. ${z1:-?}: $n segments from the writer"
	[ "$d" -gt 0 ] && [ "$n" -gt 0 ]
}
check "zero-window probes are sent while the window is closed" probes

check "the transfer completes intact when reading resumes" xfer_checked flow

within_limits() {
	local rb sb mr mw inflight rc=0
	rb=$(kv "$S" rcvbuf)
	sb=$(kv "$C" sndbuf)
	mr=$(kv "$S" max_mem)
	mw=$(kv "$C" max_mem)
	inflight=$(kv "$C" first_stall_at)
	[ "${inflight:--1}" -ge 0 ] || { echo "# the writer never stalled"; return 1; }
	inflight=$((inflight - PAUSE_AT))
	echo "# reader: rcvbuf $rb, most charged $mr; writer: sndbuf $sb, most charged $mw;" \
		"written-not-read at the stall $inflight"
	[ -n "$rb" ] && [ -n "$sb" ] && [ -n "$mr" ] && [ -n "$mw" ] || return 1
	[ "$mr" -le $((2 * rb)) ] || { echo "# reader over 2 x rcvbuf"; rc=1; }
	[ "$mw" -le $((2 * sb)) ] || { echo "# writer over 2 x sndbuf"; rc=1; }
	[ "$inflight" -le $((2 * (rb + sb))) ] || { echo "# in flight over 2 x (rcvbuf + sndbuf)"; rc=1; }
	return $rc
}
check "kernel memory stays within the buffer limits" within_limits

ktap_finished
