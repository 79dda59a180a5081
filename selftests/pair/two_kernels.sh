#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two kernels on one link: scripts/vm-pair runs this in two guests, by
# default the stock kernel (a) and the debug kernel (b), joined by a
# virtio-net NIC each.  Every guest is a client of the other's server and
# a server for the other's client at the same time, so each check runs
# both ways across the two kernels, through a real NIC driver:
#   - the link: a virtio_net NIC, the peer reachable over IPv4 and IPv6;
#   - per family, a handshake and a teardown: both ends ESTABLISHED, this
#     end closes first and holds TIME-WAIT, the peer's end passes through
#     CLOSE-WAIT and is gone;
#   - per family, 2 MiB each way at once, byte-exact: tcpx_xfer checks
#     every byte it receives, and what one guest sent hashes as what the
#     other received;
#   - the same, 1 MiB each way, with netem on both NICs (delay, jitter,
#     loss);
#   - no segment failed its checksum.
#
#   two_kernels.sh ROLE DIR    ROLE a or b; DIR a folder both guests share
# shellcheck source=../tcpx_lib.sh
. "$(dirname "$0")/../tcpx_lib.sh"

# shellcheck source=../../scripts/pair-lib.sh
. "$TCPX_SELFTESTS/../scripts/pair-lib.sh"

pair_init "${1:-}" "${2:-}" || { echo "usage: $0 a|b DIR" >&2; exit 2; }
XFER=$TCPX_OUT/selftests/tcpx_xfer
CONN=$TCPX_OUT/selftests/tcpx_conn
TMP=$(mktemp -d)

ktap_print_header
tcpx_require ip tc ethtool busybox
tcpx_require_module
tcpx_require_built "$XFER" "$CONN"
ktap_set_plan 8

# The peer learns that this side is done, whatever way it ends; nothing
# is left holding a socket (the module unloads after the run).
cleanup() {
	pair_end
	: > "$TMP/hold4"
	: > "$TMP/hold6"
	# shellcheck disable=SC2046 # one word per job
	kill $(jobs -p) 2>/dev/null
	wait
	rm -rf "$TMP"
}
trap cleanup EXIT

# kv FILE KEY: KEY's value on FILE's "result" line.
kv() {
	sed -n 's/^result //p' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# tstat NAME: a tcpx_stat counter.
tstat() {
	awk -v n="$1" '$1 == n { print $2 }' /proc/net/tcpx_stat
}

# sock_state FILE PORT STATE LOCAL|REMOTE: a line of /proc/net/FILE with
# state STATE (hex) whose local or remote port is PORT.
sock_state() {
	local col=2
	[ "$4" = REMOTE ] && col=3
	awk -v c=$col -v p="$(printf '%04X' "$2")" -v s="$3" '
		NR > 1 && (s == "" || $4 == s) &&
		substr($c, length($c) - 3) == p { f = 1 }
		END { exit !f }' "/proc/net/$1"
}

# port_gone FILE PORT: no socket of /proc/net/FILE has local port PORT.
port_gone() {
	! sock_state "$1" "$2" "" LOCAL
}

echo "# $PAIR_ROLE: $(uname -r), NIC ${PAIR_NIC:-none}, peer $PAIR_PEER"
csum0=$(tstat InCsumErrors)
tcpx_check "link: virtio_net, the peer answers over IPv4 and IPv6" pair_link_up

# handshake_teardown 4|6: each side's client connects to the other side's
# server, exchanges 64 KiB, and closes first.
handshake_teardown() {
	local v=$1 port=$((7000 + $1)) proc=tcpx me=$ME4 peer=$PEER4 srv cli
	if [ "$v" = 6 ]; then proc=tcpx6 me="[$ME6]" peer="[$PEER6]"; fi
	srv=$TMP/conn$v.srv cli=$TMP/conn$v.cli
	"$CONN" server "$me:$port" --bytes 64K --expect 64K --timeout 120 > "$srv" 2>&1 &
	local spid=$!
	tcpx_wait_for 30 grep -q '^listening' "$srv" || { cat "$srv"; return 1; }
	pair_sync "listen$v" || return 1
	"$CONN" client "$peer:$port" --first --bytes 64K --expect 64K \
		--hold-until "$TMP/hold$v" --timeout 120 > "$cli" 2>&1 &
	local cpid=$! ok=1
	# Held up: both of this guest's connections are ESTABLISHED, the
	# client's and the one its server accepted.
	tcpx_wait_for 60 sock_state $proc $port 01 REMOTE || {
		echo "# the client to the peer is not ESTABLISHED"; ok=0; }
	tcpx_wait_for 60 sock_state $proc $port 01 LOCAL || {
		echo "# the server's connection is not ESTABLISHED"; ok=0; }
	pair_sync "est$v" || return 1
	: > "$TMP/hold$v"
	wait $cpid || { sed 's/^/# client: /' "$cli"; return 1; }
	wait $spid || { sed 's/^/# server: /' "$srv"; return 1; }
	if ! grep -q '^connected .* state=1$' "$cli" || ! grep -qx 'ok 1' "$cli"; then
		sed 's/^/# client: /' "$cli"
		return 1
	fi
	# The server read the client's FIN first: CLOSE-WAIT (8) at its EOF.
	if ! grep -q '^connected .* state=1$' "$srv" || ! grep -qx 'eof state=8' "$srv" ||
	   ! grep -qx 'ok 1' "$srv"; then
		sed 's/^/# server: /' "$srv"
		return 1
	fi
	# This end closed first: TIME-WAIT (06) holds its side.
	sock_state $proc $port 06 REMOTE || {
		echo "# no TIME-WAIT toward the peer's port $port"; cat /proc/net/$proc; return 1; }
	# The peer's end did: its last ACK has come, nothing is left here.
	pair_sync "closed$v" || return 1
	tcpx_wait_for 30 port_gone $proc $port || {
		echo "# the server's side of port $port is still here"; cat /proc/net/$proc; return 1; }
	[ $ok = 1 ]
}

# transfer NAME 4|6 BYTES: each side's client and the other side's server
# send BYTES each way at once; all four ends agree byte for byte.
transfer() {
	local name=$1 v=$2 bytes=$3 port=$((7100 + $2)) me=$ME4 peer=$PEER4
	if [ "$v" = 6 ]; then port=$((port + 10)) me=$ME6 peer=$PEER6; fi
	[ "$name" = netem ] && port=$((port + 100))
	local s=$PAIR_DIR/$PAIR_ROLE.$name$v.srv c=$PAIR_DIR/$PAIR_ROLE.$name$v.cli
	local ps=$PAIR_DIR/$PAIR_PEER.$name$v.srv pc=$PAIR_DIR/$PAIR_PEER.$name$v.cli
	"$XFER" -l -a "$me" -p "$port" -n "$bytes" -m "$bytes" -t 300 > "$s" 2>&1 &
	local spid=$!
	tcpx_wait_for 30 grep -q '^listening' "$s" || { cat "$s"; return 1; }
	pair_sync "$name-listen$v" || return 1
	"$XFER" -c "$peer" -p "$port" -n "$bytes" -m "$bytes" -t 300 > "$c" 2>&1
	local crc=$?
	wait $spid
	local src=$?
	pair_sync "$name-done$v" 400 || return 1
	echo "# $name IPv$v: client $(kv "$c" elapsed_ms) ms, retrans" \
		"$(kv "$c" total_retrans)/$(kv "$s" total_retrans), mss $(kv "$c" snd_mss)"
	if [ $crc != 0 ] || [ $src != 0 ] || [ "$(kv "$c" ok)" != 1 ] ||
	   [ "$(kv "$s" ok)" != 1 ] ||
	   [ "$(kv "$c" sent_hash)" != "$(kv "$ps" recv_hash)" ] ||
	   [ "$(kv "$pc" sent_hash)" != "$(kv "$s" recv_hash)" ] ||
	   [ "$(kv "$c" sent)" != "$(kv "$ps" rcvd)" ] ||
	   [ "$(kv "$pc" sent)" != "$(kv "$s" rcvd)" ]; then
		local f
		for f in "$c" "$s" "$pc" "$ps"; do
			tail -n 2 "$f" | sed "s|^|# ${f##*/}: |"
		done
		return 1
	fi
}

netem_on() {
	tc qdisc replace dev "$PAIR_NIC" root netem delay 8ms 3ms loss 1% &&
		pair_sync netem-on
}

for v in 4 6; do
	tcpx_check "IPv$v: handshake with the peer, both ESTABLISHED; close first: TIME-WAIT here, the peer's end gone" \
		handshake_teardown $v
	tcpx_check "IPv$v: 2 MiB each way with the peer at once, byte-exact" \
		transfer clean $v 2M
done
if netem_on; then
	for v in 4 6; do
		tcpx_check "IPv$v, netem on both NICs: 1 MiB each way, byte-exact" \
			transfer netem $v 1M
	done
else
	ktap_test_fail "IPv4, netem on both NICs: not set up"
	ktap_test_fail "IPv6, netem on both NICs: not set up"
fi
tc qdisc del dev "$PAIR_NIC" root 2>/dev/null

csum() {
	local now
	now=$(tstat InCsumErrors)
	[ "$now" = "$csum0" ] || { echo "# InCsumErrors $csum0 -> $now"; return 1; }
}
tcpx_check "no segment failed its checksum (InCsumErrors)" csum
ktap_finished
