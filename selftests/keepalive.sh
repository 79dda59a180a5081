#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Keepalive and dead-peer detection, with the knobs scaled to seconds: a
# live peer answers the probes and the connection lives on; traffic
# pushes the first probe back; a peer cut off draws exactly
# keepalive_probes probes keepalive_intvl apart and then ETIMEDOUT (recv,
# poll, /proc, counters); a rebooted peer answers a probe with RST
# (ECONNRESET); the per-socket options override the sysctls and
# TCPX_USER_TIMEOUT bounds the probing; SO_KEEPALIVE on a live connection
# arms the timer; out-of-range options give EINVAL.  Also the orphaned
# FIN-WAIT-2 timeout (fin_timeout, TCPX_LINGER2), which shares the timer.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c -- veth-rc [ $NS_RTR ] veth-rs -- veth-s 10.0.2.2 [ $NS_SRV ]
#    tcpx_ka client (keepalive)               "cut": veth-rs deleted,    tcpx_ka server
#    tcpdump on veth-c                        blackhole route (silent)   (SO_LINGER 0)
#
# "Reboot": the server's namespace is deleted and made again with the same
# address, without the connection.  Probes are read from tcpdump captures by
# keepalive_cap.py, and timed on the capture's timestamps: a timer never
# fires early; one may fire up to TOL late (a stalled emulated guest), but
# in the median they come within SLACK (15 % of the 1 s intervals: the
# timer wheel rounds them up by some 20 ms), idle to first probe as probe
# to probe and last probe to RST.  An interval 1.2 times too long fails.
#
#   keepalive.sh [--proto tcp]
#
# --proto tcp runs the same scenarios over Linux TCP (net.ipv4.tcp_keepalive_*,
# tcp_fin_timeout, /proc/net/tcp, TcpExt counters): that is how the test's
# expectations are validated.
. "$(dirname "$0")/tcpx_lib.sh"

TCPX_KA=${TCPX_KA:-$TCPX_SELFTESTS/tcpx_ka}
PYTHON=/usr/bin/python3
CAPCHECK="$PYTHON $TCPX_SELFTESTS/keepalive_cap.py"
PROTO=tcpx
[ "$1" = --proto ] && PROTO=$2
CLI=10.0.1.1
SRV=10.0.2.2
TOL=1.0		# how late one timer may fire (a TCG guest on a busy host: 0.9 s seen)
SLACK=0.15	# how late they fire in the median (15 % of the 1 s intervals)
# shellcheck disable=SC2034 # tcpx_bg's limit
TCPX_BG_LIMIT=120
# Sysctls of the client's namespace for the whole test.
KA_TIME=2 KA_INTVL=1 KA_PROBES=3

tcpx_require ip awk tcpdump timeout "$PYTHON"
if [ "$PROTO" = tcpx ]; then
	tcpx_require_module
	FAM=tcpx CAPF="ip proto 253" PROC=/proc/net/tcpx
else
	FAM=tcp CAPF="tcp" PROC=/proc/net/tcp
fi
tcpx_require_built "$TCPX_KA"

TMPD=$(mktemp -d /tmp/tcpx-keepalive.XXXXXX)
ka_cleanup() {
	tcpx_cleanup
	rm -rf "$TMPD"
}
trap ka_cleanup EXIT

ktap_print_header
ktap_set_plan 15
tcpx_topo_router || ktap_exit_fail_msg "cannot build the topology"

# --- helpers -------------------------------------------------------------

# knob NS NAME VALUE: a tcpx sysctl, or its TCP twin with --proto tcp.
knob() {
	local f=/proc/sys/net/tcpx/$2
	[ "$PROTO" = tcp ] && f=/proc/sys/net/ipv4/tcp_$2
	ip netns exec "$1" sh -c "echo $3 > $f"
}

# ka_stat NS NAME: a tcpx counter, or what TCP counts instead (TcpExt).
ka_stat() {
	local n=$2
	if [ "$PROTO" = tcpx ]; then
		tcpx_stat "$1" "$n"
		return
	fi
	case $n in
	KeepaliveProbes) n=TCPKeepAlive ;;
	KeepaliveTimeouts) n=TCPAbortOnTimeout ;;
	esac
	ip netns exec "$1" awk -v n="$n" '$1 == "TcpExt:" {
		if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c[n] }' /proc/net/netstat
}

# proc_line NS PORT: the /proc line of local PORT (TCP's format).
proc_line() {
	tcpx_proc_line "$1" "$2" "$PROC"
}

# The router drops what goes to the server, silently (no ICMP, which would
# give TCP a soft error), at once (deleting a veth takes a while).
cut_link() {
	ip -n "$NS_RTR" route replace blackhole 10.0.2.0/24
}

# srv_ns_new: a new server namespace, linked to the router, same address.
srv_ns_new() {
	tcpx_ns_new NS_SRV || return 1
	ip -n "$NS_RTR" route del blackhole 10.0.2.0/24 2>/dev/null
	tcpx_veth "$NS_SRV" veth-s "$SRV" "$NS_RTR" veth-rs 10.0.2.1 || return 1
	ip -n "$NS_SRV" route add default via 10.0.2.1
}

# server_stop: the server process goes (its SO_LINGER 0 aborts).
server_stop() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
}

# srv_ns_gone: the server process, its link and its namespace go.
srv_ns_gone() {
	server_stop
	ip -n "$NS_RTR" link del veth-rs
	ip netns del "$NS_SRV"
	local ns keep=()
	for ns in "${TCPX_NS_LIST[@]}"; do
		[ "$ns" = "$NS_SRV" ] || keep+=("$ns")
	done
	TCPX_NS_LIST=("${keep[@]}")
}

# srv_reboot: the server's namespace made again, without its connections.
srv_reboot() {
	srv_ns_gone
	srv_ns_new || ktap_exit_fail_msg "cannot make the server namespace again"
}

# server_start PORT ARGS...: tcpx_ka server in $NS_SRV, in the background.
server_start() {
	local port=$1
	shift
	tcpx_bg SRV_PID "$TMPD/srv.out" listening "$NS_SRV" \
		"$TCPX_KA" -f "$FAM" server "$SRV:$port" "$@"
}

# client_start PORT ARGS...: tcpx_ka client in $NS_CLI, in the background;
# waits until it is connected and sets CPORT.
client_start() {
	local port=$1 line
	shift
	tcpx_bg CLI_PID "$TMPD/cli.out" connected "$NS_CLI" \
		"$TCPX_KA" -f "$FAM" client "$SRV:$port" "$@" || return 1
	line=$(grep '^connected' "$TMPD/cli.out")
	read -r _ CPORT _ <<<"$line"
	CPORT=${CPORT##*:}
}

# client_wait: the client's end; it must have ended "ok".
client_wait() {
	wait "$CLI_PID"
	grep -q '^ok' "$TMPD/cli.out" || { tcpx_show "$TMPD/cli.out"; return 1; }
}

# cli_fail MSG: "# MSG" and the client's output, for a check that failed.
cli_fail() {
	echo "# $1"
	tcpx_show "$TMPD/cli.out"
}

# cap_start: capture the family's segments on the client's veth.
cap_start() {
	# shellcheck disable=SC2086
	tcpx_cap_start "$NS_CLI" veth-c "$TMPD/cap.pcap" $CAPF
}

# capcheck ARGS...: keepalive_cap.py on the last capture, client CPORT;
# NPROBES the probes found, LATE_FIRST gathers how late first probes came.
capcheck() {
	local out
	out=$($CAPCHECK "$TMPD/cap.pcap" "$CLI:$CPORT" --slack $SLACK "$@")
	local rc=$?
	NPROBES=$(sed -n 's/^probes //p' <<<"$out")
	local late
	late=$(sed -n 's/^late_first //p' <<<"$out")
	[ -z "$late" ] || LATE_FIRST+=("$late")
	grep '^#' <<<"$out"
	return $rc
}
LATE_FIRST=()

# in_range X LO HI: LO <= X <= HI (decimals).
in_range() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && x >= lo && x <= hi) }'
}

# out_field KEY: the value of KEY=... on the client's line starting with $1.
out_field() {
	sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" "$TMPD/cli.out" | tail -n 1
}

# counters_mark: P0 and T0, the client's KeepaliveProbes and
# KeepaliveTimeouts now, for delta().
counters_mark() {
	P0=$(ka_stat "$NS_CLI" KeepaliveProbes) T0=$(ka_stat "$NS_CLI" KeepaliveTimeouts)
}

# delta NAME BASE: how much the client's counter NAME grew since BASE.
delta() {
	echo $(($(ka_stat "$NS_CLI" "$1") - $2))
}

# probes_at_least BASE N: KeepaliveProbes went up by N or more since BASE.
probes_at_least() {
	[ "$(delta KeepaliveProbes "$1")" -ge "$2" ]
}

# proc_has PORT ST TR MAXWHEN MINPROBES: the client's /proc line of PORT
# is in state ST with timer TR due within MAXWHEN ticks and MINPROBES
# probes out; the line is left in PROC_SEEN.
proc_has() {
	local tr when
	PROC_SEEN=$(proc_line "$NS_CLI" "$1")
	[ -n "$PROC_SEEN" ] || return 1
	IFS=: read -r tr when <<<"$(awk '{ print $6 }' <<<"$PROC_SEEN")"
	[ "$(awk '{ print $4 }' <<<"$PROC_SEEN")" = "$2" ] && [ "$tr" = "$3" ] &&
		[ $((16#$when)) -le "$4" ] &&
		[ "$(awk '{ print $9 }' <<<"$PROC_SEEN")" -ge "$5" ]
}

# listed NS PORT [STATE]: /proc lists local PORT (in STATE).
listed() {
	local l
	l=$(proc_line "$1" "$2")
	[ -n "$l" ] && { [ -z "$3" ] || [ "$(awk '{ print $4 }' <<<"$l")" = "$3" ]; }
}

for ns in "$NS_CLI" "$NS_SRV"; do
	knob "$ns" keepalive_time $KA_TIME
	knob "$ns" keepalive_intvl $KA_INTVL
	knob "$ns" keepalive_probes $KA_PROBES
done
ktap_print_msg "proto $PROTO; sysctls: keepalive_time $KA_TIME, intvl $KA_INTVL, probes $KA_PROBES"

# --- 1. a live peer --------------------------------------------------------

# The server sends a byte every 0.4 s for 2 s, then stays idle; the client
# (KEEPIDLE 1 against the sysctl's 2, KEEPCNT 1: one unanswered probe
# would end it) holds 8 s.  Probes: none while bytes arrive, then one a
# second, each ACKed.
counters_mark
live_ok=0 proc_ok=0
if cap_start && server_start 6001 --send-count 5 --send-gap 400 &&
   client_start 6001 --keepalive --idle 1 --cnt 1 --hold 8; then
	tcpx_wait_for 8 proc_has "$CPORT" 01 02 100 0 && proc_ok=1
	PROC_LIVE=$PROC_SEEN
	client_wait && live_ok=1
	tcpx_cap_stop
	server_stop
fi
live_probes() {
	[ $live_ok = 1 ] && capcheck --idle 1 --intvl "$KA_INTVL" --tol $TOL \
		--min-probes 4 --answered all
}
tcpx_check "live peer: no probe while data arrives, then one (seq snd.una-1, no data) each idle second, each ACKed" \
	live_probes
live_state() {
	local st pr d
	st=$(out_field info state) pr=$(out_field info probes)
	d=$(delta KeepaliveProbes "$P0")
	if [ "$st" != 1 ] || [ "$pr" != 0 ] || [ "$d" != "$NPROBES" ] ||
	   [ "$(delta KeepaliveTimeouts "$T0")" != 0 ]; then
		cli_fail "state=$st probes=$pr, KeepaliveProbes +$d (captured $NPROBES)"
		return 1
	fi
}
tcpx_check "live peer: ESTABLISHED after 8 s (KEEPCNT 1), tcpi_probes 0, KeepaliveProbes = probes captured" \
	live_state
# The line: sl local rem st tx:rx tr:when retrnsmt uid probes inode...
proc_timer() {
	[ $proc_ok = 1 ] && return 0
	echo "# $PROC: '$PROC_LIVE', expected st 01, tr 02, when <= 100 ticks"
	return 1
}
tcpx_check "$PROC: an idle keepalive connection shows timer 2, due within the idle time" proc_timer

# --- 2. the peer vanishes ----------------------------------------------------

# The sysctls only.  The link is cut once the connection is up (a probe
# may come and be answered before): keepalive_probes probes intvl apart
# after the peer's last segment, then RST and ETIMEDOUT.
counters_mark
dead_ok=0 proc_ok=0
if cap_start && server_start 6002 && client_start 6002 --keepalive --wait &&
   cut_link; then
	# One sampler in the namespace, not a process tree per sample.
	ip netns exec "$NS_CLI" sh -c "while :; do cat $PROC; sleep 0.05; done" \
		> "$TMPD/proc.log" 2>/dev/null &
	SAMPLER=$!
	client_wait && dead_ok=1
	kill "$SAMPLER"
	wait "$SAMPLER" 2>/dev/null
	tcpx_cap_stop
	# The line of CPORT while probing: st 01, tr 02, probes out >= 1.
	PROC_DEAD=$(awk -v p=":$(printf '%04X' "$CPORT")" 'substr($2, 9) == p &&
		$4 == "01" && substr($6, 1, 2) == "02" && $9 >= 1' "$TMPD/proc.log" | tail -n 1)
	[ -n "$PROC_DEAD" ] && proc_ok=1
fi
dead_probes() {
	[ $dead_ok = 1 ] && capcheck --idle $KA_TIME --intvl $KA_INTVL --tol $TOL \
		--unanswered $KA_PROBES --rst client
}
tcpx_check "peer cut off: exactly keepalive_probes ($KA_PROBES) probes, intvl apart, unanswered, then RST" \
	dead_probes
# poll sees HUP, and ERR unless recv took the error first.
dead_errors() {
	if ! grep -q "^recv ETIMEDOUT" "$TMPD/cli.out" ||
	   ! grep -q '^poll revents=.*HUP' "$TMPD/cli.out" ||
	   ! grep -q "^poll probes=$KA_PROBES " "$TMPD/cli.out"; then
		cli_fail "expected recv ETIMEDOUT, poll HUP, tcpi_probes up to $KA_PROBES"
		return 1
	fi
}
tcpx_check "peer cut off: ETIMEDOUT on the blocked recv, poll woken (HUP), tcpi_probes counted" \
	dead_errors
dead_gone() {
	local pr=$(delta KeepaliveProbes "$P0") to=$(delta KeepaliveTimeouts "$T0")
	if [ -n "$(proc_line "$NS_CLI" "$CPORT")" ] || [ "$pr" != "$NPROBES" ] ||
	   [ "$to" != 1 ]; then
		echo "# KeepaliveProbes +$pr (captured $NPROBES), KeepaliveTimeouts +$to"
		proc_line "$NS_CLI" "$CPORT" | sed 's/^/# left: /'
		return 1
	fi
}
tcpx_check "peer cut off: the socket gone from $PROC, KeepaliveProbes counted, KeepaliveTimeouts +1" \
	dead_gone
proc_probes() {
	[ $proc_ok = 1 ] && return 0
	echo "# $PROC while probing: no line of port $CPORT with st 01, tr 02, probes (column 9) >= 1"
	grep -c . "$TMPD/proc.log" | sed 's/^/# samples (lines): /'
	return 1
}
tcpx_check "$PROC while probing: timer 2, probes out in the timeout column" proc_probes

# --- 3. per-socket options; the peer reboots -----------------------------------

# KEEPIDLE 1, KEEPINTVL 1, KEEPCNT 20 against the sysctls' 2, 1, 3: more
# than 3 probes go unanswered and the connection lives.  Then the peer
# "reboots" (a new namespace with its address, no connection): the next
# probe draws a RST, and recv gets ECONNRESET.
srv_reboot
counters_mark
reboot_ok=0 over_ok=0
if cap_start && server_start 6003 &&
   client_start 6003 --keepalive --idle 1 --intvl 1 --cnt 20 --wait && cut_link; then
	# More probes out than the sysctl allows, and still ESTABLISHED.
	tcpx_wait_for 20 proc_has "$CPORT" 01 02 100 $((KA_PROBES + 1)) && over_ok=1
	srv_ns_gone
	srv_ns_new && client_wait && reboot_ok=1
	tcpx_cap_stop
fi
overrides() {
	[ $over_ok = 1 ] && [ $reboot_ok = 1 ] &&
		capcheck --idle 1 --intvl 1 --tol $TOL --min-probes $((KA_PROBES + 1)) --rst peer
}
tcpx_check "KEEPIDLE/KEEPINTVL/KEEPCNT override the sysctls: $((KA_PROBES + 1))+ probes out 1 s apart, still ESTABLISHED" \
	overrides
rebooted() {
	if ! grep -q '^recv ECONNRESET' "$TMPD/cli.out" ||
	   [ "$(delta KeepaliveTimeouts "$T0")" != 0 ] ||
	   [ -n "$(proc_line "$NS_CLI" "$CPORT")" ]; then
		cli_fail "expected recv ECONNRESET, no keepalive timeout, no socket left"
		return 1
	fi
}
tcpx_check "peer rebooted: a probe draws RST at rcv.nxt, recv ECONNRESET" rebooted

# The first probes of the three connections above, each KEEPIDLE or
# keepalive_time after the peer's last segment: how late they came, in the
# median (the later probes are held to the same in each check above).
first_probes() {
	local med
	[ ${#LATE_FIRST[@]} = 3 ] && med=$(printf '%s\n' "${LATE_FIRST[@]}" | tcpx_median)
	echo "# idle to first probe, lateness (s): ${LATE_FIRST[*]}; median ${med:-none}"
	[ -n "$med" ] && awk -v m="$med" -v s=$SLACK 'BEGIN { exit !(m >= -0.05 && m <= s) }'
}
tcpx_check "idle to the first probe: keepalive_time/KEEPIDLE, no more than $SLACK s late (median of 3)" \
	first_probes

# --- 4. TCPX_USER_TIMEOUT; SO_KEEPALIVE on a live connection ------------------

# SO_KEEPALIVE set 0.3 s after the connection is up arms the timer (the
# first probe comes late by that much).  With a user timeout of 2.5 s,
# KEEPCNT 20 does not count: the first expiry after 2.5 s of silence with a
# probe out ends it: one probe (at time), then RST (at time + intvl).  The
# timer looks at the user timeout only when it fires, so that is its
# resolution: any timeout from 2.3 to 3.3 s looks the same on the wire.
srv_reboot
counters_mark
ut_ok=0
if cap_start && server_start 6004 &&
   client_start 6004 --keepalive-after 300 --cnt 20 --user-timeout 2500 --wait &&
   cut_link; then
	client_wait && ut_ok=1
	tcpx_cap_stop
fi
user_timeout() {
	[ $ut_ok = 1 ] || return 1
	capcheck --idle $KA_TIME --intvl $KA_INTVL --tol $TOL --arm-delay 2 \
		--unanswered 1 --rst client || return 1
	if ! grep -q '^recv ETIMEDOUT' "$TMPD/cli.out" ||
	   [ "$(delta KeepaliveTimeouts "$T0")" != 1 ]; then
		cli_fail "expected recv ETIMEDOUT, KeepaliveTimeouts +1"
		return 1
	fi
}
tcpx_check "SO_KEEPALIVE on a live connection arms; TCPX_USER_TIMEOUT 2.5 s ends it after 1 probe, not KEEPCNT 20" \
	user_timeout

# --- 5. out-of-range options ---------------------------------------------------

bad_values() {
	local o out
	for o in "--idle 0" "--idle 32768" "--intvl 0" "--intvl 32768" \
		 "--cnt 0" "--cnt 128"; do
		# shellcheck disable=SC2086
		out=$(ip netns exec "$NS_CLI" "$TCPX_KA" -f "$FAM" client 127.0.0.1:9 $o)
		case $out in
		"err TCP_KEEP"*" EINVAL") ;;
		*) echo "# $o: $out"; return 1 ;;
		esac
	done
}
tcpx_check "KEEPIDLE/KEEPINTVL 0 and 32768, KEEPCNT 0 and 128: EINVAL" bad_values

# --- 6. the orphaned FIN-WAIT-2 timeout ------------------------------------

# The client closes while the server holds its end: an orphan in
# FIN-WAIT-2, listed until fin_timeout (or TCPX_LINGER2) ends it.  tcpx
# keeps the full socket on the keepalive timer (tr 2); TCP hands it to a
# TIME-WAIT sock in FIN-WAIT-2 (tr 3).
FW2_TR=02
[ "$PROTO" = tcp ] && FW2_TR=03

# fw2 PORT SECONDS CLIENT-ARGS...: the client closes and watches its orphan
# in /proc itself (the shell may be slow): listed in FIN-WAIT-2 with the
# timer due within SECONDS, gone SECONDS after the close.  The timer counts
# jiffies: armed late in a tick, it ends up to one tick (at most 10 ms)
# before SECONDS have passed on the client's clock (2.998 s seen for 3).
fw2() {
	local port=$1 secs=$2 st tr when t
	shift 2
	server_start "$port" || return 1
	client_start "$port" "$@" --close || return 1
	client_wait
	server_stop
	read -r st tr when <<<"$(sed -n 's/^orphan st=\(.*\) tr=\(.*\) when=\(.*\)/\1 \2 \3/p' "$TMPD/cli.out")"
	t=$(out_field "orphan gone" t)
	if [ "$st" != 05 ] || [ "$tr" != "$FW2_TR" ] || [ -z "$when" ] ||
	   [ "$when" -gt $((secs * 100)) ] || [ "$when" -lt $((secs * 100 - 50)) ] ||
	   ! in_range "$t" "$(awk -v s="$secs" 'BEGIN { print s - 0.01 }')" \
		"$(awk -v s="$secs" -v t=$TOL 'BEGIN { print s + t }')"; then
		cli_fail "expected the orphan in 05 with tr $FW2_TR due in ${secs}00 ticks, gone after $secs s"
		return 1
	fi
}
srv_reboot
knob "$NS_CLI" fin_timeout 3
tcpx_check "orphaned FIN-WAIT-2 ends after fin_timeout (3 s), timer in $PROC" fw2 6005 3
knob "$NS_CLI" fin_timeout 30
tcpx_check "TCPX_LINGER2 1 overrides fin_timeout 30" fw2 6006 1 --linger2 1

# --- 7. leftovers ------------------------------------------------------------

nothing_left() {
	local l
	l=$(tcpx_proc_lines "$NS_CLI" "$PROC")
	[ -z "$l" ] || { sed 's/^/# left: /' <<<"$l"; return 1; }
}
tcpx_check "no socket left in the client's namespace" nothing_left

ktap_finished
