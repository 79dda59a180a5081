# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by reliability.sh, flowctl.sh and congestion.sh: the family under
# test (tcpx, or Linux TCP as the reference the tests are validated
# against), its sysctls and counters, netem, and checked transfers with
# tcpx_xfer (TCPX_XFER, exported by the Makefile).
#
# Every test takes the family from "-f tcp|tcpx" or TCPX_FAMILY (default
# tcpx): with tcp the same test runs over AF_INET sockets and the
# net.ipv4.tcp_* sysctls, which is how its bounds were chosen.
#
# The address family is a parameter too: "xfer_af 6 CMD..." runs CMD with
# the IPv6 addresses of tcpx_topo_ipv6 in CLI and SRV, so tcpx_xfer opens
# IPv6 sockets (tcpx's dual-stack ones, AF_INET6 for TCP) and the
# family's /proc files are tcpx6 and tcp6; by default IPv4.
. "$(dirname "${BASH_SOURCE[0]}")/tcpx_lib.sh"

TCPX_XFER=${TCPX_XFER:-$TCPX_SELFTESTS/tcpx_xfer}
tcpx_family_opts "$@"
# shellcheck disable=SC2034 # for the tests that source this
CLI=10.0.1.1
SRV=10.0.1.2
XFER_AF=4
XFER_PORT=7000
XFER_TMP=$(mktemp -d /tmp/tcpx-xfer.XXXXXX)
# Starting a process takes seconds on the debug kernel under TCG.
XFER_START_WAIT=$((TCPX_SLOW ? 60 : 20))

xfer_cleanup() {
	tcpx_cleanup
	xfer_trace_stop
	rm -rf "$XFER_TMP"
}
trap xfer_cleanup EXIT

# xfer_require: tools, the module (for tcpx) and tcpx_xfer, or skip all.
xfer_require() {
	tcpx_require ip tc awk timeout "$@"
	[ "$FAMILY" = tcp ] || tcpx_require_module
	tcpx_require_built "$TCPX_XFER"
}

# xfer_af 4|6 CMD...: CMD with the addresses (CLI, SRV) of that family.
xfer_af() {
	local XFER_AF=$1 CLI=$CLI SRV=$SRV
	shift
	if [ "$XFER_AF" = 6 ]; then
		CLI=$TCPX_CLI6 SRV=$TCPX_SRV6
	fi
	"$@"
}

# fam_name: the family and, for IPv6, "/IPv6", for messages.
fam_name() {
	echo "$FAMILY$([ "$XFER_AF" = 6 ] && echo /IPv6)"
}

# fam_proc: the family's /proc/net file name for XFER_AF (tcp, tcpx,
# tcp6, tcpx6).
fam_proc() {
	local f=tcpx
	[ "$FAMILY" = tcp ] && f=tcp
	[ "$XFER_AF" = 6 ] && f=${f}6
	echo "$f"
}

# fam_ipproto: the IP protocol number the family's segments carry.
fam_ipproto() {
	if [ "$FAMILY" = tcp ]; then
		echo 6
	else
		cat /sys/module/tcpx/parameters/ipproto 2>/dev/null || echo 253
	fi
}

# fam_sysctl NS NAME VALUE: net.tcpx.NAME, or net.ipv4.tcp_NAME for TCP.
fam_sysctl() {
	if [ "$FAMILY" = tcp ]; then
		ip netns exec "$1" sysctl -qw "net.ipv4.tcp_$2=$3"
	else
		ip netns exec "$1" sh -c "echo $3 > /proc/sys/net/tcpx/$2"
	fi
}

# snmp_val FILE NAME: a counter from /proc/net/{snmp,netstat}-style pairs
# of header and value lines ("Tcp: RetransSegs" as Tcp.RetransSegs).
snmp_val() {
	awk -v want="$2" '
		$1 == prev { for (i = 2; i <= NF; i++) if (p ":" h[i] == want) print $i }
		{ prev = $1; p = $1; sub(/:$/, "", p); for (i = 2; i <= NF; i++) h[i] = $i }
	' "$1" | head -n 1
}

# fam_stat NS NAME: a tcpx_stat counter, or TCP's equivalent.
fam_stat() {
	if [ "$FAMILY" != tcp ]; then
		tcpx_stat "$1" "$2"
		return
	fi
	case $2 in
	RetransSegs|InCsumErrors|InErrs) ip netns exec "$1" cat /proc/net/snmp > "$XFER_TMP/snmp"
		snmp_val "$XFER_TMP/snmp" "Tcp:$2" ;;
	WinProbe) ip netns exec "$1" cat /proc/net/netstat > "$XFER_TMP/snmp"
		snmp_val "$XFER_TMP/snmp" "TcpExt:TCPWinProbe" ;;
	Timeouts) ip netns exec "$1" cat /proc/net/netstat > "$XFER_TMP/snmp"
		snmp_val "$XFER_TMP/snmp" "TcpExt:TCPTimeouts" ;;
	MemoryPressures|AbortOnMemory)
		ip netns exec "$1" cat /proc/net/netstat > "$XFER_TMP/snmp"
		snmp_val "$XFER_TMP/snmp" "TcpExt:TCP$2" ;;
	# TCP's own name, where tcpx's has no one twin (OrphanDrops).
	TcpExt:*) ip netns exec "$1" cat /proc/net/netstat > "$XFER_TMP/snmp"
		snmp_val "$XFER_TMP/snmp" "$2" ;;
	*) echo 0 ;;
	esac
}

# netem_drops NS DEV: the packets DEV's netem has dropped so far (its
# counters survive "tc qdisc replace" with other parameters).
netem_drops() {
	tc -n "$1" -s qdisc show dev "$2" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "(dropped") { sub(/,/, "", $(i + 1)); print $(i + 1); exit } }'
}

# The kernel's clock: a private trace instance (its own buffer, the global
# one left alone) recording the family's retransmissions and state changes
# and the script's markers, stamped with CLOCK_MONOTONIC.
XFER_TRACE=

# xfer_trace_start: the instance for FAMILY, or a message and 1 if
# tracefs cannot give one.
xfer_trace_start() {
	local t=/sys/kernel/tracing e events="tcpx/tcpx_retransmit tcpx/tcpx_set_state"
	[ "$FAMILY" = tcp ] && events="tcp/tcp_retransmit_skb sock/inet_sock_set_state"
	[ -d $t/instances ] || mount -t tracefs nodev $t 2>/dev/null
	XFER_TRACE=$t/instances/tcpx-xfer-$$
	if ! mkdir "$XFER_TRACE" 2>/dev/null; then
		echo "# no trace instance at $XFER_TRACE"
		XFER_TRACE=
		return 1
	fi
	echo mono > "$XFER_TRACE/trace_clock" || return 1
	for e in $events; do
		if ! echo 1 > "$XFER_TRACE/events/$e/enable"; then
			echo "# no trace event $e"
			return 1
		fi
	done
}

xfer_trace_stop() {
	[ -n "$XFER_TRACE" ] && [ -d "$XFER_TRACE" ] || return 0
	echo 0 > "$XFER_TRACE/events/enable"
	rmdir "$XFER_TRACE"
	XFER_TRACE=
}

# xfer_trace_mark TEXT: a marker in the trace (no-op without one).
xfer_trace_mark() {
	[ -z "$XFER_TRACE" ] || echo "$1" > "$XFER_TRACE/trace_marker"
}

# xfer_trace_events PORT: the connection from $CLI to PORT in the trace
# (the family's events only), and the markers, one line each, times in ms:
#   MS mark TEXT      MS rtx KEY      MS close
# KEY names the segment resent: tcpx traces its sequence number, TCP the
# address of its skb (the same skb each time the same data goes again).
xfer_trace_events() {
	local ev=tcpx_
	[ "$FAMILY" = tcp ] && ev='(tcp_retransmit_skb|inet_sock_set_state)'
	# shellcheck disable=SC2016 # awk's own $i
	awk -v cli="$CLI" -v port="$1" -v ev="^$ev" '
		{
			ts = ""
			for (i = 1; i < NF; i++)
				if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); break }
			if (ts == "") next
			name = $(i + 1); sub(/:$/, "", name)
			if (name == "tracing_mark_write") { printf "%.3f mark %s\n", ts * 1000, $(i + 2); next }
			if (name !~ ev) next
			split("", f)
			for (j = i + 2; j <= NF; j++)
				if ((n = index($j, "=")) > 0) f[substr($j, 1, n - 1)] = substr($j, n + 1)
			if (f["saddr"] != cli || f["dport"] != port) next
			if (name ~ /retransmit/)
				printf "%.3f rtx %s\n", ts * 1000, ("seq" in f) ? f["seq"] : f["skbaddr"]
			else if (f["newstate"] ~ /^(TCP_)?CLOSE$/)
				printf "%.3f close\n", ts * 1000
		}' "$XFER_TRACE/trace"
}

# xfer_retrans_counts NAME: "RETRANS SEGMENTS": both ends' retransmitted
# segments (TCP(X)_INFO) and their delivered bytes in segments of 1448
# bytes (TCP's MSS here).
xfer_retrans_counts() {
	local c=$XFER_TMP/$1.cli s=$XFER_TMP/$1.srv
	awk -v r="$(kv "$c" total_retrans)" -v r2="$(kv "$s" total_retrans)" \
	    -v b="$(kv "$c" sent)" -v b2="$(kv "$s" sent)" \
		'BEGIN { if (r == "" || r2 == "" || b + b2 == 0) exit 1
			 printf "%d %d", r + r2, (b + b2) / 1448 }'
}

# netem NS DEV ARGS...: replace DEV's root qdisc by netem ARGS; "netem NS
# DEV" alone puts the default qdisc back.
netem() {
	local ns=$1 dev=$2
	shift 2
	if [ $# = 0 ]; then
		tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null
		return 0
	fi
	tc -n "$ns" qdisc replace dev "$dev" root netem "$@"
}

# netem_both ARGS...: the same impairment on both ends of the pair
# topology, both at once.
netem_both() {
	local pid rc
	netem "$NS_CLI" veth-c "$@" &
	pid=$!
	netem "$NS_SRV" veth-s "$@"
	rc=$?
	wait "$pid" && return $rc
}

# fam_established NS: NS has a synchronized connection of the family
# (ESTABLISHED or, the peer having nothing to send, CLOSE_WAIT: state 01
# or 08 in /proc/net/tcp or /proc/net/tcpx, or their IPv6 twins).
fam_established() {
	local f
	f=/proc/net/$(fam_proc)
	# shellcheck disable=SC2016 # awk's own $4
	ip netns exec "$1" awk 'NR > 1 && ($4 == "01" || $4 == "08") { f = 1 } END { exit !f }' "$f"
}

# xfer_server_up: the last server's connection is synchronized (as
# fam_established, or in FIN-WAIT-1/2 for a server that sends nothing,
# from the server's /proc/PID/net, tcpx or tcpx6 (tcp, tcp6): no process
# started, each takes seconds on the debug lane); 2 if the server has gone.
xfer_server_up() {
	local f=/proc/$XFER_SRV_PID/net/tcpx st
	[ "$FAMILY" = tcp ] && f=/proc/$XFER_SRV_PID/net/tcp
	[ "$XFER_AF" = 6 ] && f=${f}6
	[ -r "$f" ] || return 2
	for f in "$f" "${f}6"; do
		[ -r "$f" ] || continue
		while read -r _ _ _ st _; do
			case $st in 01 | 04 | 05 | 08) return 0 ;; esac
		done < "$f"
	done
	return 1
}

# kv FILE KEY: KEY's value on FILE's "result" line (bash only: under TCG
# every process costs).
kv() {
	local line w
	while read -r line; do
		[[ $line == "result "* ]] && break
		line=
	done < "$1"
	for w in $line; do
		if [[ $w == "$2="* ]]; then
			echo "${w#*=}"
			return
		fi
	done
}

# xfer_start NAME [SRV_NS SRV_ADDR] -- SERVER_ARGS...: a tcpx_xfer server
# in the background on a fresh port; XFER_SRV_PID, output $XFER_TMP/NAME.srv.
xfer_start() {
	local name=$1 ns=$NS_SRV addr=$SRV
	shift
	if [ "$1" != -- ]; then ns=$1; addr=$2; shift 2; fi
	shift
	XFER_PORT=$((XFER_PORT + 1))
	ip netns exec "$ns" "$TCPX_XFER" -f "$FAMILY" -l -a "$addr" -p "$XFER_PORT" "$@" \
		> "$XFER_TMP/$name.srv" 2>&1 &
	XFER_SRV_PID=$!
	TCPX_PIDS+=("$XFER_SRV_PID")
	if ! tcpx_wait_for "$XFER_START_WAIT" grep -q '^listening' "$XFER_TMP/$name.srv"; then
		echo "# $name: the server did not start: $(cat "$XFER_TMP/$name.srv")"
		return 1
	fi
}

# xfer_client NAME SECONDS [CLI_NS SRV_ADDR] -- CLIENT_ARGS...: the client
# against the last server, killed after SECONDS; output $XFER_TMP/NAME.cli.
xfer_client() {
	local name=$1 secs=$2 ns=$NS_CLI addr=$SRV
	shift 2
	if [ "$1" != -- ]; then ns=$1; addr=$2; shift 2; fi
	shift
	timeout -k 5 $((secs + XFER_START_WAIT)) ip netns exec "$ns" "$TCPX_XFER" -f "$FAMILY" -c "$addr" \
		-p "$XFER_PORT" -t "$secs" "$@" > "$XFER_TMP/$name.cli" 2>&1
}

# xfer_wait_server NAME SECONDS: the server's exit status, killed if late.
xfer_wait_server() {
	local pid=$XFER_SRV_PID deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill "$pid" 2>/dev/null
			echo "result timeout" >> "$XFER_TMP/$1.srv"
			break
		fi
		sleep 0.1
	done
	wait "$pid"
}

# xfer_checked NAME: both ends succeeded, and what each sent is what the
# other received (hash and byte count); says why not.
xfer_checked() {
	local c=$XFER_TMP/$1.cli s=$XFER_TMP/$1.srv
	if [ "$(kv "$c" ok)" != 1 ] || [ "$(kv "$s" ok)" != 1 ] ||
	   [ "$(kv "$c" sent_hash)" != "$(kv "$s" recv_hash)" ] ||
	   [ "$(kv "$s" sent_hash)" != "$(kv "$c" recv_hash)" ] ||
	   [ "$(kv "$c" sent)" != "$(kv "$s" rcvd)" ] ||
	   [ "$(kv "$s" sent)" != "$(kv "$c" rcvd)" ]; then
		sed "s/^/# $1 client: /" "$c" | tail -n 3
		sed "s/^/# $1 server: /" "$s" | tail -n 3
		return 1
	fi
}

# xfer NAME SECONDS ARGS...: a checked transfer with the same ARGS on both
# ends, all within SECONDS; prints the client's summary.
xfer() {
	local name=$1 secs=$2
	shift 2
	xfer_start "$name" -- -t "$secs" "$@" || return 1
	xfer_client "$name" "$secs" -- "$@"
	xfer_wait_server "$name" "$XFER_START_WAIT"
	echo "# $name: $(fam_name) $(kv "$XFER_TMP/$name.cli" elapsed_ms) ms," \
		"retrans $(kv "$XFER_TMP/$name.cli" total_retrans)/$(kv "$XFER_TMP/$name.srv" total_retrans)," \
		"mss $(kv "$XFER_TMP/$name.cli" snd_mss)"
	xfer_checked "$name"
}

# mib BYTES: BYTES in MiB, for messages.
mib() {
	awk -v b="$1" 'BEGIN { printf "%g MiB", b / 1048576 }'
}

# check DESCRIPTION CMD...: tcpx_check, with the step's wall time.
check() {
	local t=$SECONDS
	tcpx_check "$@"
	echo "# ($((SECONDS - t)) s)"
}
