#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hostile receiver's crafted SACK blocks (issue 14, the sender's side of
# hostile_ofo.sh): what each ACK costs the sender as its flight grows.
# hostile_sack.py, in a private namespace with a tun device (the drill's),
# opens a connection by hand to a listener (MSS 536, SACK, a 32 MiB
# window) and lets the accepted socket send: it ACKs every second segment
# until slow start has a flight of N segments out, then holds the ACK at
# the flight's head for good and writes crafted duplicate ACKs, each timed
# (a tun write runs the receive path, SACK processing, loss marking and
# the resends it allows, in the writer's context):
#
#   repeat: the same block, the flight's last segment, again and again;
#   walk:   a new segment each ACK, from the top down, scattered, four
#           blocks an ACK.
#
# The cost of an ACK at a flight of N over one at a flight of 256 is the
# "growth".  Linux TCP (an rbtree) is measured the same way in the same
# run, interleaved, three rounds, the median counting.
#
#   [ private netns ]
#     listener (tcpx, then TCP)  <-- 192.0.2.1 tun drill0 -->  hostile_sack.py
#     its child sends, SO_SNDBUFFORCE 16 MiB                   (peer 192.0.2.2)
#
# Test points, for each pattern:
#   - the flight held (TCP_INFO's unacked N) and the SACKed segments
#     counted exactly (sacked 1, or one a crafted ACK);
#   - once the peer ACKs (and SACKs) all it has, every byte sent is the
#     application's, all came, nothing is left unacked, SACKed or lost,
#     the connection is established, no reset;
#   - the growth at most max(2 x TCP's, TCP's + 1): O(log n) as TCP's,
#     not O(n) (a write queue walked from its head on every ACK);
#     TCP itself must have passed both points above (the reference).
#
#   hostile_sack.sh [-f tcp|tcpx]     (TCPX_FAMILY; default tcpx; with tcp,
#                                      Linux TCP against itself)
. "$(dirname "$0")/tcpx_lib.sh"

tcpx_family_opts "$@"

# A flight of 4,000 segments: 3 rounds of both families, two flights
# each, both patterns, take ~12 s on the stock kernel in the VM (tcpx's
# old write-queue walks ~410 us an ACK at 4,000, TCP ~35); half the
# flight on the debug kernel.
SACK_FLIGHT=${SACK_FLIGHT:-$((TCPX_SLOW ? 2000 : 4000))}
SACK_ROUNDS=${SACK_ROUNDS:-3}
SACK_TIMEOUT=$((TCPX_SLOW ? 500 : 250))

tcpx_require /usr/bin/python3 ip timeout
tcpx_require_tun
[ "$FAMILY" = tcp ] || tcpx_require_module

ktap_print_header
ktap_set_plan 6
ktap_print_msg "family $FAMILY against Linux TCP, a flight of $SACK_FLIGHT segments, $SACK_ROUNDS rounds"
OUT=$(mktemp /tmp/hostile_sack.XXXXXX)
trap 'rm -f "$OUT"; tcpx_cleanup' EXIT

# sack_test repeat|walk: one run of hostile_sack.py with that pattern,
# its three test points.
sack_test() {
	local tag=" ($1)" rc g t
	timeout "$SACK_TIMEOUT" /usr/bin/python3 "$TCPX_SELFTESTS/hostile_sack.py" \
		--family "$FAMILY" --flight "$SACK_FLIGHT" --rounds "$SACK_ROUNDS" \
		--pattern "$1" > "$OUT" 2>&1
	rc=$?
	sed 's/^/# /' "$OUT"
	[ "$rc" = 124 ] && echo "# timed out after $SACK_TIMEOUT s"
	SUMMARY=$(grep '^RESULT ' "$OUT")
	if [ "$rc" = "$KSFT_SKIP" ]; then
		ktap_test_skip "$FAMILY keeps its flight and counts hostile SACKs exactly$tag"
		ktap_test_skip "$FAMILY delivers all data intact after hostile SACKs$tag"
		ktap_test_skip "$FAMILY's cost per hostile SACK grows as TCP's$tag"
		return
	fi
	if [ -n "$SUMMARY" ] && [ "$(tcpx_field held)" = 1 ]; then
		ktap_test_pass "$FAMILY keeps a flight of $SACK_FLIGHT and counts hostile SACKs exactly$tag"
	else
		ktap_test_fail "$FAMILY keeps a flight of $SACK_FLIGHT and counts hostile SACKs exactly$tag"
	fi
	if [ -n "$SUMMARY" ] && [ "$(tcpx_field survived)" = 1 ]; then
		ktap_test_pass "$FAMILY delivers all data intact after hostile SACKs, no reset$tag"
	else
		ktap_test_fail "$FAMILY delivers all data intact after hostile SACKs, no reset$tag"
	fi
	g=$(tcpx_field growth) t=$(tcpx_field tcp_growth)
	if [ -n "$SUMMARY" ] && [ "$(tcpx_field ref)" = 1 ] &&
	   awk -v g="$g" -v t="$t" 'BEGIN { exit !(g > 0 && t > 0 && (g <= 2 * t || g <= t + 1)) }'; then
		ktap_test_pass "$FAMILY's cost per hostile SACK grows as TCP's ($g x, TCP $t x)$tag"
	else
		[ "$(tcpx_field ref)" = 1 ] || echo "# TCP, the reference, did not hold its flight or deliver all"
		ktap_test_fail "$FAMILY's cost per hostile SACK grows as TCP's (${g:-?} x, TCP ${t:-?} x; bound max(2x, +1))$tag"
	fi
}

sack_test repeat
sack_test walk
ktap_finished
