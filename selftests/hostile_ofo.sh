#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hostile peer's tiny out-of-order segments (issue 14): what each costs
# the receiver as its out-of-order queue grows.  hostile_ofo.py, in a
# private namespace with a tun device (the drill's), opens a connection to
# a listener with a large SO_RCVBUF by hand and writes N one-byte segments
# beyond RCV.NXT in descending order, a hole before each: every one goes in
# front of all the queue holds.  The writes are timed in batches (a tun
# write runs the receive path in the writer's context, the ACK is queued
# before it returns); the cost of a segment at depth ~N over one at depth
# ~0 is the "growth".  Linux TCP (an rbtree) is measured the same way in
# the same run, interleaved, three rounds, the median counting.
#
#   [ private netns ]
#     listener (tcpx, then TCP)  <-- 192.0.2.1 tun drill0 -->  hostile_ofo.py
#     SO_RCVBUFFORCE 6 KiB a segment                           (peer 192.0.2.2)
#
# Then the same with the segments in ascending order, one run past a
# single hole ("a run"): cheap to queue, but one SACK block over N
# segments, which a SACK builder walking the queue for its highest blocks
# walks whole on every ACK (IPv4 only: the same code serves IPv6).
#
# Test points, for the holes over IPv4, the run over IPv4, the holes over
# IPv6 (2001:db8::1, "... (IPv6)"):
#   - all N segments held (the family's out-of-order counter +N, none
#     dropped or pruned; with holes, tcpx's TCPX_INFO tcpi_ofo_segs N),
#     each batch's ACKs there at once, the last one SACKing the last
#     segment;
#   - the holes filled (ascending), all bytes read back exactly;
#   - the growth at most max(2 x TCP's, TCP's + 1): O(log n) as TCP's, not
#     O(n) (a list searched from its tail grows ~8x at N 10,000 under TCG);
#     TCP itself must have held and read back everything (the reference).
#
#   hostile_ofo.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx; with tcp,
#                                      Linux TCP against itself)
. "$(dirname "$0")/tcpx_lib.sh"

tcpx_family_opts "$@"

# 10,000 segments: tcpx's old list took ~1 s a round to fill (~180 us a
# segment at the end), TCP 0.2 s; 3 rounds of both, three times (holes,
# run, holes over IPv6), take ~50 s on the stock kernel under TCG.
# The debug kernel (KASAN) took 243 s for them: 4,000 there, where a
# list's growth is still ~3x against TCP's ~1.
OFO_SEGMENTS=${OFO_SEGMENTS:-$((TCPX_SLOW ? 4000 : 10000))}
OFO_ROUNDS=${OFO_ROUNDS:-3}
OFO_TIMEOUT=$((TCPX_SLOW ? 500 : 250))

tcpx_require /usr/bin/python3 ip timeout
tcpx_require_tun
[ "$FAMILY" = tcp ] || tcpx_require_module

ktap_print_header
ktap_set_plan 9
ktap_print_msg "family $FAMILY against Linux TCP, $OFO_SEGMENTS segments, $OFO_ROUNDS rounds"
OUT=$(mktemp /tmp/hostile_ofo.XXXXXX)
trap 'rm -f "$OUT"; tcpx_cleanup' EXIT

# ofo_test 4|6 holes|run: one run of hostile_ofo.py over that IP version
# with that pattern, its three test points.
ofo_test() {
	local tag='' run='' what held rc g t
	[ "$1" = 6 ] && tag=" (IPv6)"
	[ "$2" = run ] && run="a run of "
	what="${run}tiny out-of-order segments"
	held="$FAMILY holds ${run}$OFO_SEGMENTS tiny out-of-order segments, no drop$tag"
	timeout "$OFO_TIMEOUT" /usr/bin/python3 "$TCPX_SELFTESTS/hostile_ofo.py" \
		--family "$FAMILY" --segments "$OFO_SEGMENTS" --rounds "$OFO_ROUNDS" \
		--ip "$1" --pattern "$2" > "$OUT" 2>&1
	rc=$?
	sed 's/^/# /' "$OUT"
	[ "$rc" = 124 ] && echo "# timed out after $OFO_TIMEOUT s"
	SUMMARY=$(grep '^RESULT ' "$OUT")
	if [ "$rc" = "$KSFT_SKIP" ]; then
		ktap_test_skip "$FAMILY holds $what$tag"
		ktap_test_skip "$FAMILY reads $what back once the holes fill$tag"
		ktap_test_skip "$FAMILY's cost per segment of $what grows as TCP's$tag"
		return
	fi
	if [ -n "$SUMMARY" ] && [ "$(tcpx_field held)" = 1 ] && [ "$(tcpx_field async)" = 0 ]; then
		ktap_test_pass "$held"
	else
		ktap_test_fail "$held"
	fi
	if [ -n "$SUMMARY" ] && [ "$(tcpx_field filled)" = 1 ]; then
		ktap_test_pass "$FAMILY reads $what back exactly once the holes fill$tag"
	else
		ktap_test_fail "$FAMILY reads $what back exactly once the holes fill$tag"
	fi
	g=$(tcpx_field growth) t=$(tcpx_field tcp_growth)
	if [ -n "$SUMMARY" ] && [ "$(tcpx_field ref)" = 1 ] &&
	   awk -v g="$g" -v t="$t" 'BEGIN { exit !(g > 0 && t > 0 && (g <= 2 * t || g <= t + 1)) }'; then
		ktap_test_pass "$FAMILY's cost per segment of $what grows as TCP's ($g x, TCP $t x)$tag"
	else
		[ "$(tcpx_field ref)" = 1 ] || echo "# TCP, the reference, did not hold or read back all"
		ktap_test_fail "$FAMILY's cost per segment of $what grows as TCP's (${g:-?} x, TCP ${t:-?} x; bound max(2x, +1))$tag"
	fi
}

ofo_test 4 holes
ofo_test 4 run
ofo_test 6 holes
ktap_finished
