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
. "$(dirname "${BASH_SOURCE[0]}")/tcpx_lib.sh"

TCPX_XFER=${TCPX_XFER:-$TCPX_SELFTESTS/tcpx_xfer}
FAMILY=${TCPX_FAMILY:-tcpx}
while getopts "f:" o; do
	case $o in
	f) FAMILY=$OPTARG ;;
	*) echo "usage: $0 [-f tcp|tcpx]" >&2; exit 2 ;;
	esac
done
case $FAMILY in
tcp|tcpx) ;;
*) echo "family: tcp or tcpx" >&2; exit 2 ;;
esac
# shellcheck disable=SC2034 # for the tests that source this
CLI=10.0.1.1
SRV=10.0.1.2
XFER_PORT=7000
XFER_TMP=$(mktemp -d /tmp/tcpx-xfer.XXXXXX)
# Starting a process takes seconds on the debug kernel under TCG.
XFER_START_WAIT=$((TCPX_SLOW ? 60 : 20))

xfer_cleanup() {
	tcpx_cleanup
	rm -rf "$XFER_TMP"
}
trap xfer_cleanup EXIT

# xfer_require: tools, the module (for tcpx) and tcpx_xfer, or skip all.
xfer_require() {
	tcpx_require ip tc awk timeout "$@"
	[ "$FAMILY" = tcp ] || tcpx_require_module
	if [ ! -x "$TCPX_XFER" ]; then
		ktap_skip_all "no $TCPX_XFER: build the selftests first"
		exit "$KSFT_SKIP"
	fi
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
	*) echo 0 ;;
	esac
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

# netem_both ARGS...: the same impairment on both ends of the pair topology.
netem_both() {
	netem "$NS_CLI" veth-c "$@" && netem "$NS_SRV" veth-s "$@"
}

# fam_established NS: NS has a synchronized connection of the family
# (ESTABLISHED or, the peer having nothing to send, CLOSE_WAIT: state 01
# or 08 in /proc/net/tcp or /proc/net/tcpx).
fam_established() {
	local f=/proc/net/tcpx
	[ "$FAMILY" = tcp ] && f=/proc/net/tcp
	# shellcheck disable=SC2016 # awk's own $4
	ip netns exec "$1" awk 'NR > 1 && ($4 == "01" || $4 == "08") { f = 1 } END { exit !f }' "$f"
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
	echo "# $name: $FAMILY $(kv "$XFER_TMP/$name.cli" elapsed_ms) ms," \
		"retrans $(kv "$XFER_TMP/$name.cli" total_retrans)/$(kv "$XFER_TMP/$name.srv" total_retrans)"
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
