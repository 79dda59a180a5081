# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by hostile_mem.sh, hostile_pmtu.sh and hostile_orphan.sh (issue
# 12): xfer_lib.sh's family switch ("-f tcp|tcpx", TCPX_FAMILY) and
# counters, sysctls that are host-wide and put back at exit, and tcpx_fill
# (TCPX_FILL), whose server never reads.
#
# What each test reads, tcpx and its Linux TCP twin:
#   /proc/sys/net/tcpx/mem            net.ipv4.tcp_mem (initial namespace)
#   /proc/sys/net/tcpx/max_orphans    net.ipv4.tcp_max_orphans (initial ns;
#                                     tcpx's is per namespace where it exists)
#   /proc/sys/net/tcpx/orphan_retries net.ipv4.tcp_orphan_retries
#   tcpx_stat MemoryPressures         TcpExt TCPMemoryPressures
#   tcpx_stat AbortOnMemory           TcpExt TCPAbortOnMemory
#   tcpx_stat OrphanDrops             TcpExt TCPAbortOnMemory (too many
#                                     orphans) or TCPAbortOnTimeout
#                                     (orphan_retries): orphan_stat
#   tcpx_stat PmtuUpdates             none: the route's cached MTU and
#                                     the sender's MSS (TCP_INFO) instead
#   /proc/net/protocols "TCPX" line   its "TCP" line (memory, press)
. "$(dirname "${BASH_SOURCE[0]}")/xfer_lib.sh"

TCPX_FILL=${TCPX_FILL:-$TCPX_SELFTESTS/tcpx_fill}
HOSTILE_RESTORE=()

hostile_cleanup() {
	local i
	xfer_cleanup
	# Host-wide knobs last, in reverse: the sockets are gone by now.
	for ((i = ${#HOSTILE_RESTORE[@]} - 1; i >= 0; i--)); do
		eval "${HOSTILE_RESTORE[i]}"
	done
}
trap hostile_cleanup EXIT

# hostile_require TOOL...: xfer_require, and tcpx_fill.
hostile_require() {
	xfer_require "$@"
	tcpx_require_built "$TCPX_FILL"
}

# fam_knob_file NAME: the family's sysctl file for NAME.
fam_knob_file() {
	if [ "$FAMILY" = tcp ]; then
		echo "/proc/sys/net/ipv4/tcp_$1"
	else
		echo "/proc/sys/net/tcpx/$1"
	fi
}

# host_knob NAME VALUE: the family's NAME in the initial namespace (the
# host-wide ones: mem; TCP's max_orphans), put back at exit.
host_knob() {
	local f
	f=$(fam_knob_file "$1")
	[ -w "$f" ] || { echo "# no $f"; return 1; }
	HOSTILE_RESTORE+=("echo '$(cat "$f")' > $f")
	echo "$2" > "$f"
}

# fam_knob NS NAME VALUE: NAME in NS where the family has it per
# namespace, else host-wide (host_knob).
fam_knob() {
	local f
	f=$(fam_knob_file "$2")
	if ip netns exec "$1" test -w "$f"; then
		ip netns exec "$1" sh -c "echo '$3' > $f"
	else
		host_knob "$2" "$3"
	fi
}

# orphan_stat NS WHY: orphans dropped, WHY "many" (over max_orphans) or
# "retries" (orphan_retries spent): tcpx counts both in OrphanDrops, TCP
# the first in TCPAbortOnMemory and the second in TCPAbortOnTimeout.
orphan_stat() {
	if [ "$FAMILY" != tcp ]; then
		tcpx_stat "$1" OrphanDrops
	elif [ "$2" = many ]; then
		fam_stat "$1" TcpExt:TCPAbortOnMemory
	else
		fam_stat "$1" TcpExt:TCPAbortOnTimeout
	fi
}

# proto_mem [COLUMN]: the family's line of /proc/net/protocols, column 4
# (memory, pages, host-wide) or COLUMN (5: press).
proto_mem() {
	local name=TCPX
	[ "$FAMILY" = tcp ] && name=TCP
	awk -v n="$name" -v c="${1:-4}" '$1 == n { print $c }' /proc/net/protocols
}

# fill_server NS ADDR [ARGS...]: a tcpx_fill server on ADDR (port 0) in
# NS in the background; FILL_PORT, FILL_SRV_PID, output $XFER_TMP/fill.srv.
fill_server() {
	local ns=$1 addr=$2
	shift 2
	tcpx_bg FILL_SRV_PID "$XFER_TMP/fill.srv" listening "$ns" \
		"$TCPX_FILL" -f "$FAMILY" -l "$addr:0" "$@" || return 1
	FILL_PORT=$(awk '/^listening/ { print $2 }' "$XFER_TMP/fill.srv")
}

# fill_client NS ADDR ARGS...: a tcpx_fill client of the last server, as
# coprocess FILL (commands to ${FILL[1]}, lines from fill_read).
fill_client() {
	local ns=$1 addr=$2
	shift 2
	coproc FILL { timeout "${TCPX_BG_LIMIT:-300}" ip netns exec "$ns" \
		"$TCPX_FILL" -f "$FAMILY" -c "$addr:$FILL_PORT" "$@" 2>&1; }
	TCPX_PIDS+=("$FILL_PID")
	FILL_OUT=${FILL[0]} FILL_IN=${FILL[1]}
}

# fill_cmd CMD: one command; its answer in FILL_LINE (and the log).  A
# line in 60 s (filling a connection under TCG takes a few), else fails.
fill_cmd() {
	echo "$1" >&"$FILL_IN" || return 1
	fill_read
}

# fill_read: the client's next line into FILL_LINE; fails on "err" or EOF.
fill_read() {
	FILL_LINE=
	read -r -t 60 FILL_LINE <&"$FILL_OUT"
	echo "$FILL_LINE" >> "$XFER_TMP/fill.cli"
	case $FILL_LINE in
	""|err*) echo "# tcpx_fill: '${FILL_LINE}'"; return 1 ;;
	esac
}

# fill_end: close the client's stdin and wait for it.
fill_end() {
	[ -n "$FILL_IN" ] || return 0
	exec {FILL_IN}>&-
	FILL_IN=
	wait "$FILL_PID" 2>/dev/null
}

# field KEY LINE...: KEY's value in "key=value" words (kv reads a file).
field() {
	local k=$1 w
	shift
	for w in "$@"; do
		[[ $w == "$k="* ]] && { echo "${w#*=}"; return; }
	done
}
