#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The policy an administrator applies to TCP applies to tcpx, beside TCP
# in the same run.  Netfilter, as tcpx(7) says: segments are IPv4
# protocol 253 with the ports where TCP has them (nft's @th), a socket's
# segments are owned by it on output, so the owner match (nft meta skuid,
# iptables -m owner) applies as to TCP's, and SO_MARK marks all of them,
# its reset and its TIME-WAIT's answers included.  IPsec: an input policy
# that requires ESP keeps plain segments out (xfrm4_policy_check).  LSM:
# a BPF LSM (tcpx_lsm) refuses through security_inet_conn_request() and
# security_sock_rcv_skb().  The netfilter checks need nft and nf_tables,
# the IPsec one XFRM, the LSM one BTF and the BPF LSM; the debug kernel
# has none of them (visible skips).
#
#   [ $NS ]   loopback only; the client runs as uid $CLI_UID
#   tcpx_topo_pair for IPsec (loopback is exempt from policy)
. "$(dirname "$0")/tcpx_lib.sh"

CLI_UID=4242
TMPD=$(mktemp -d /tmp/tcpx-policy.XXXXXX)
policy_cleanup() {
	tcpx_cleanup
	rm -rf "$TMPD"
}
trap policy_cleanup EXIT

tcpx_require ip awk setpriv timeout
tcpx_require_module
tcpx_ns_new NS || ktap_exit_fail_msg "cannot create a namespace"
NF_WHY=
if ! command -v nft >/dev/null; then
	NF_WHY="no nft: scripts/setup installs nftables"
elif ! ip netns exec "$NS" nft add table inet probe 2>/dev/null; then
	NF_WHY="this kernel has no nf_tables"
else
	ip netns exec "$NS" nft delete table inet probe
fi
XFRM_WHY=
ip -n "$NS" xfrm policy list >/dev/null 2>&1 || XFRM_WHY="this kernel has no XFRM"
TCPX_LSM=${TCPX_LSM:-$TCPX_SELFTESTS/tcpx_lsm}
tcpx_require_built "$TCPX_LSM" "$TCPX_LSM.bpf.o"
LSM_WHY=
[ -d /sys/kernel/security ] && ! [ -e /sys/kernel/security/lsm ] &&
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
if ! [ -r /sys/kernel/btf/vmlinux ]; then
	LSM_WHY="this kernel has no BTF"
elif ! grep -qsw bpf /sys/kernel/security/lsm; then
	LSM_WHY="this kernel runs no BPF LSM"
fi

# why_check WHY DESC FUNC: tcpx_check, or a skip saying WHY.
why_check() {
	local why=$1

	shift
	if [ -n "$why" ]; then ktap_test_skip "$1 ($why)"; else tcpx_check "$@"; fi
}
nf_check() { why_check "$NF_WHY" "$@"; }

ktap_print_header
ktap_set_plan 6

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
	local port cli line infd
	tcpx_hold port "$NS" -- -f "$1" -b 127.0.0.1:0 -l 1 -A || return 1
	nf_rules "$2" "$port" || return 1
	# Held until its stdin, a fifo, closes: nothing is left running to
	# keep the caller's $(...) open.
	rm -f "$TMPD/in" "$TMPD/cli"
	mkfifo "$TMPD/in"
	ip netns exec "$NS" setpriv --reuid=$CLI_UID --regid=$CLI_UID --clear-groups \
		"$TCPX_SOCK" -H -f "$1" -c "127.0.0.1:$port" < "$TMPD/in" > "$TMPD/cli" &
	cli=$!
	TCPX_PIDS+=("$cli")
	exec {infd}>"$TMPD/in"
	tcpx_wait_for 10 grep -qs . "$TMPD/cli" || return 1
	read -r line < "$TMPD/cli"
	[ "${line%% *}" = ok ] || { echo "# client: $line"; return 1; }
	# The accept, and the ACK of the handshake, have happened by now
	# (the client's connect returned; loopback delivers at once).
	sleep 0.2
	echo "$(nf_count cli) $(nf_count srv) $(nf_count total) $(nf_count dport)"
	exec {infd}>&-
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
nf_check "output segments are owned by their socket: meta skuid counts tcpx's as TCP's" owned

# The destination port rule counted the client's segments to the listener.
dport() {
	local x
	x=$(handshake tcpx 253) || return 1
	[ "$(echo "$x" | cut -d' ' -f4)" -ge 2 ]
}
nf_check "@th,16,16 matches tcpx's destination port" dport

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
nf_check "SO_MARK marks every segment of a socket, its reset included, as TCP's" marked

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
nf_check "a TIME-WAIT's answers carry its socket's SO_MARK, as TCP's" tw_marked

# xfrm_case FAMILY PROTO: a connect while the server's namespace requires
# ESP for PROTO from the client, then one after the policy is gone; prints
# "blocked|open TMPL-MISMATCHES-ROSE blocked|open".
xfrm_case() {
	local port first second before after
	tcpx_topo_pair || return 1
	ip -n "$NS_SRV" xfrm policy add dir in src 10.0.1.1/32 dst 10.0.1.2/32 \
		proto "$2" tmpl proto esp mode transport level required || return 1
	tcpx_hold port "$NS_SRV" -- -f "$1" -b 10.0.1.2:0 -l 1 || return 1
	before=$(xfrm_stat XfrmInTmplMismatch)
	first=open second=open
	ip netns exec "$NS_CLI" timeout 2 "$TCPX_SOCK" -f "$1" -c "10.0.1.2:$port" \
		>/dev/null || first=blocked
	after=$(xfrm_stat XfrmInTmplMismatch)
	ip -n "$NS_SRV" xfrm policy flush
	ip netns exec "$NS_CLI" timeout 10 "$TCPX_SOCK" -f "$1" -c "10.0.1.2:$port" \
		>/dev/null || second=blocked
	tcpx_release
	echo "$first $((after > before)) $second"
}
xfrm_stat() {
	ip netns exec "$NS_SRV" awk -v n="$1" '$1 == n { print $2 }' /proc/net/xfrm_stat
}

xfrm_in() {
	vs_tcp "with the policy, counted, without" xfrm_case || return 1
	[ "$X" = "$T" ] && [ "$X" = "blocked 1 open" ]
}
why_check "$XFRM_WHY" "an IPsec input policy keeps plain segments out, as TCP's" xfrm_in

# lsm_try CONN_PORT RCV_PORT FAMILY PORT: a connect to PORT while the BPF
# LSM refuses connection requests to CONN_PORT and segments for sockets
# bound to RCV_PORT; prints "blocked|open" and whether each hook refused.
lsm_try() {
	local infd lsm r
	rm -f "$TMPD/lin" "$TMPD/lout"
	mkfifo "$TMPD/lin"
	"$TCPX_LSM" "$TCPX_LSM.bpf.o" "$1" "$2" < "$TMPD/lin" > "$TMPD/lout" &
	lsm=$!
	exec {infd}>"$TMPD/lin"
	if ! tcpx_wait_for 10 grep -qs attached "$TMPD/lout"; then
		exec {infd}>&-
		wait "$lsm"
		return 1
	fi
	r=open
	ip netns exec "$NS" timeout 2 "$TCPX_SOCK" -f "$3" -c "127.0.0.1:$4" \
		>/dev/null || r=blocked
	exec {infd}>&-
	wait "$lsm" || return 1
	awk -v r=$r '$1 == "refused" { print r, ($2 > 0), ($3 > 0) }' "$TMPD/lout"
}

# lsm_case FAMILY PROTO: connects to a listener while the LSM refuses its
# connection requests, then while it refuses its segments, then freely.
lsm_case() {
	local port a b c=open
	tcpx_hold port "$NS" -- -f "$1" -b 127.0.0.1:0 -l 4 || return 1
	a=$(lsm_try "$port" 0 "$1" "$port") || return 1
	b=$(lsm_try 0 "$port" "$1" "$port") || return 1
	ip netns exec "$NS" timeout 10 "$TCPX_SOCK" -f "$1" -c "127.0.0.1:$port" \
		>/dev/null || c=blocked
	tcpx_release
	echo "$a, $b, $c"
}

lsm_hooks() {
	vs_tcp "conn_request refused, sock_rcv_skb refused, neither" lsm_case || return 1
	[ "$X" = "$T" ] && [ "$X" = "blocked 1 0, blocked 0 1, open" ]
}
why_check "$LSM_WHY" "an LSM refuses through the hooks TCP calls" lsm_hooks

ktap_finished
