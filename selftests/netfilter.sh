#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netfilter sees tcpx as tcpx(7) says, beside TCP in the same run: its
# segments are IPv4 protocol 253 with the ports where TCP has them (nft's
# @th), a socket's segments are owned by it on output, so the owner match
# (nft meta skuid, iptables -m owner) applies as to TCP's, and SO_MARK
# marks all of them, its reset and its TIME-WAIT's answers included.  Needs
# nft and nf_tables; the debug kernel has no netfilter (a visible skip).
#
#   [ $NS ]   loopback only; the client runs as uid $CLI_UID
. "$(dirname "$0")/tcpx_lib.sh"

CLI_UID=4242
TMPD=$(mktemp -d /tmp/tcpx-nf.XXXXXX)
nf_cleanup() {
	tcpx_cleanup
	rm -rf "$TMPD"
}
trap nf_cleanup EXIT

tcpx_require ip awk setpriv
tcpx_require_module
if ! command -v nft >/dev/null; then
	ktap_skip_all "no nft (scripts/setup installs nftables)"
	exit "$KSFT_SKIP"
fi
tcpx_ns_new NS || ktap_exit_fail_msg "cannot create a namespace"
if ! ip netns exec "$NS" nft add table inet probe 2>/dev/null; then
	ktap_skip_all "this kernel has no nf_tables"
	exit "$KSFT_SKIP"
fi
ip netns exec "$NS" nft delete table inet probe

ktap_print_header
ktap_set_plan 4

# nf_rules PROTO: counters on output for PROTO's segments by owner, and
# on input by destination port (the second 16 bits of the header).
nf_rules() {
	ip netns exec "$NS" nft -f - <<-EOF
	table inet tcpxt {
		counter cli { }
		counter srv { }
		counter total { }
		counter dport { }
		chain out {
			type filter hook output priority 0; policy accept;
			meta l4proto $1 meta skuid $CLI_UID counter name "cli"
			meta l4proto $1 meta skuid 0 counter name "srv"
			meta l4proto $1 counter name "total"
		}
		chain in {
			type filter hook input priority 0; policy accept;
			meta l4proto $1 @th,16,16 $2 counter name "dport"
		}
	}
	EOF
}

# nf_count NAME: packets of the named counter NAME (not the rules: nft
# cannot print every raw @th match on a protocol it does not know).
nf_count() {
	ip netns exec "$NS" nft list counter inet tcpxt "$1" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# handshake FAMILY PROTO: a listener (root) and a client (uid CLI_UID) in
# NS, both held once connected; prints "cli srv total dport" packets.
handshake() {
	local port cli line
	tcpx_hold port "$NS" -- -f "$1" -b 127.0.0.1:0 -l 1 -A || return 1
	nf_rules "$2" "$port" || return 1
	ip netns exec "$NS" setpriv --reuid=$CLI_UID --regid=$CLI_UID --clear-groups \
		"$TCPX_SOCK" -H -f "$1" -c "127.0.0.1:$port" < <(sleep 60) > "$TMPD/cli" &
	cli=$!
	TCPX_PIDS+=("$cli")
	tcpx_wait_for 10 grep -qs . "$TMPD/cli" || return 1
	read -r line < "$TMPD/cli"
	[ "${line%% *}" = ok ] || { echo "# client: $line"; return 1; }
	# The accept, and the ACK of the handshake, have happened by now
	# (the client's connect returned; loopback delivers at once).
	sleep 0.2
	echo "$(nf_count cli) $(nf_count srv) $(nf_count total) $(nf_count dport)"
	kill "$cli"
	wait "$cli" 2>/dev/null
	tcpx_release
	ip netns exec "$NS" nft delete table inet tcpxt
}

# vs_tcp WHAT FUNC: FUNC for TCP, then for tcpx (FUNC FAMILY PROTO TABLE);
# prints both answers under WHAT and leaves them in T and X.
vs_tcp() {
	T=$("$2" tcp 6 /proc/net/tcp) || return 1
	X=$("$2" tcpx 253 /proc/net/tcpx) || return 1
	echo "# $1: TCP $T, tcpx $X"
}

owned() {
	vs_tcp "cli srv total dport packets" handshake || return 1
	# SYN, ACK from the client; SYN+ACK from the listener (through its
	# request sock on TCP); nothing unowned.
	[ "$X" = "$T" ] && [ "${X%% *}" -gt 0 ] && [ "$(echo "$X" | cut -d' ' -f2)" -gt 0 ]
}
tcpx_check "output segments are owned by their socket: meta skuid counts tcpx's as TCP's" owned

# The destination port rule counted the client's segments to the listener.
dport() {
	local x
	x=$(handshake tcpx 253) || return 1
	[ "$(echo "$x" | cut -d' ' -f4)" -ge 2 ]
}
tcpx_check "@th,16,16 matches tcpx's destination port" dport

# marks FAMILY PROTO: a client with SO_MARK 42 connects to a listener in
# NS and closes with a reset at once; prints the packets marked 42, the
# resets marked 42 and all resets (flags byte 0x14, RST and ACK, as a
# socket resets; nft cannot list a bit-sized or masked raw match on a
# protocol it does not know).
marks() {
	local port
	tcpx_hold port "$NS" -- -f "$1" -b 127.0.0.1:0 -l 1 || return 1
	ip netns exec "$NS" nft -f - <<-EOF || return 1
	table inet tcpxt {
		counter marked { }
		counter mrst { }
		counter rst { }
		chain out {
			type filter hook output priority 0; policy accept;
			meta l4proto $2 meta mark 42 counter name "marked"
			meta l4proto $2 meta mark 42 @th,104,8 0x14 counter name "mrst"
			meta l4proto $2 @th,104,8 0x14 counter name "rst"
		}
	}
	EOF
	ip netns exec "$NS" "$TCPX_SOCK" -f "$1" -m 42 -R -c "127.0.0.1:$port" >/dev/null ||
		return 1
	sleep 0.2
	echo "$(nf_count marked) $(nf_count mrst) $(nf_count rst)"
	tcpx_release
	ip netns exec "$NS" nft delete table inet tcpxt
}

# SYN, ACK and RST of the client marked; the reset is the only one.
marked() {
	vs_tcp "marked, marked resets, resets" marks || return 1
	[ "$X" = "$T" ] && [ "$X" = "3 1 1" ]
}
tcpx_check "SO_MARK marks every segment of a socket, its reset included, as TCP's" marked

# tw_marks FAMILY PROTO FILE: a client with SO_MARK 42 closes first and
# is left in TIME-WAIT; a segment out of its window (sent raw) makes the
# TIME-WAIT answer with an ACK; prints the packets marked 42 after that.
tw_marks() {
	local port cport line
	tcpx_hold port "$NS" -- -f "$1" -b 127.0.0.1:0 -l 1 -A || return 1
	line=$(ip netns exec "$NS" "$TCPX_SOCK" -f "$1" -m 42 -c "127.0.0.1:$port") || return 1
	cport=${line#ok }
	tcpx_release
	tcpx_wait_for 10 in_time_wait "$cport" "$3" || return 1
	ip netns exec "$NS" nft -f - <<-EOF || return 1
	table inet tcpxt {
		counter marked { }
		chain out {
			type filter hook output priority 0; policy accept;
			meta l4proto $2 meta mark 42 counter name "marked"
		}
	}
	EOF
	ip netns exec "$NS" env PYTHONPATH="$TCPX_SELFTESTS" python3 -c "
import socket, tcpx_pkt as p
a = '127.0.0.1'
seg = p.tcp_segment(a, a, $2, $port, $cport, 12345, 1, p.ACK)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(p.ip_packet(a, a, $2, seg), (a, 0))
" || return 1
	sleep 0.2
	nf_count marked
	ip netns exec "$NS" nft delete table inet tcpxt
}

# in_time_wait PORT FILE: local PORT is in TIME-WAIT in FILE of NS.
in_time_wait() {
	tcpx_proc_line "$NS" "$1" "$2" | awk '$4 == "06" { f = 1 } END { exit !f }'
}

tw_marked() {
	vs_tcp "marked answers of a TIME-WAIT" tw_marks || return 1
	[ "$X" = "$T" ] && [ "$X" = 1 ]
}
tcpx_check "a TIME-WAIT's answers carry its socket's SO_MARK, as TCP's" tw_marked

ktap_finished
