#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Orphans of a zero-window peer (issue 12).  The server accepts with a tiny
# SO_RCVBUF and never reads, and stays alive: it answers every window
# probe with a zero window, forever.  The client writes until it can no
# more and closes: an orphan in FIN-WAIT-1 with its send buffer full,
# which nothing but the kernel's limits will ever free.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c ---- veth-s 10.0.1.2 [ $NS_SRV ]
#    tcpx_fill client: fill, close       tcpx_fill server: -R 2048, never reads
#
# 1. max_orphans 2: two orphans are kept; closing two more puts the family
#    over the limit: at least one is reset at once, and within one probe
#    interval no more than 2 remain; each drop is counted (tcpx OrphanDrops,
#    TCP TCPAbortOnMemory) and its peer saw the RST (its connection gone).
#    Linux TCP compares a count refreshed every 100 ms
#    (tcp_orphan_update()): the closes are 0.3 s apart, which is why.
# 2. orphan_retries 2: one orphan is gone within the bound of Linux TCP's
#    rule for a peer that keeps answering (tcp_probe_timer(): the answers
#    reset the probe count; the orphan dies at the first probe whose
#    backed-off RTO reaches TCP_RTO_MAX, 120 s, and no sooner than
#    orphan_retries probes): at most sum(b * 2^k, k < K) + 120 s after
#    its first probe, b its RTO, K the least k >= 2 with b * 2^k >= 120 s
#    (about 330 s at b = 200 ms; 1/8 more for the timer wheel), and
#    counted (tcpx OrphanDrops, TCP TCPAbortOnTimeout).
# 3. Afterwards nothing is left in /proc/net/tcpx (tcp) of either side.
#
# Part 2 waits about six minutes of real time.  With TCPX_ASYNC_DIR set (make
# check's lanes set it) and tcpx's knobs being per namespace (TCP's
# max_orphans is the host's), it runs in the background instead, once part
# 1 is done, in a second instance of this script with namespaces of its own
# (TCPX_ORPHAN_PART=2: part 2, then part 3 for its namespaces), while the
# lane's later programs run; async_wait.sh, the lane's last program, waits
# for it and reports its points.  The debug lane (TCPX_SLOW) skips part 2
# visibly.
#
#   hostile_orphan.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/hostile_lib.sh"

MAX_ORPHANS=2
RETRIES=2
RCVBUF=2048
# shellcheck disable=SC2034 # tcpx_bg's limit: part 2 runs minutes
TCPX_BG_LIMIT=600
PROC=/proc/net/tcpx
[ "$FAMILY" = tcp ] && PROC=/proc/net/tcp

# PART: all (1, 2, 3), main (1 and 3, 2 started in the background) or
# retries (2 and 3: the background instance).
PART=all
if [ "${TCPX_ORPHAN_PART:-}" = 2 ]; then
	PART=retries
elif [ -n "${TCPX_ASYNC_DIR:-}" ] && [ "$FAMILY" = tcpx ] && [ "$TCPX_SLOW" != 1 ]; then
	PART=main
fi

hostile_require
ktap_print_header
case $PART in
all) ktap_set_plan 3 ;;
*) ktap_set_plan 2 ;;
esac
tcpx_topo_pair || ktap_exit_fail_msg "cannot build the topology"
ktap_print_msg "family $FAMILY, max_orphans $MAX_ORPHANS, orphan_retries $RETRIES"

# listed NS PORT: a connection of local PORT is in NS's /proc file.
listed() {
	[ -n "$(tcpx_proc_line "$1" "$2" "$PROC")" ]
}

unlisted() {
	! listed "$@"
}

# fin_wait1 PORT: the client's connection of local PORT is in FIN-WAIT-1.
fin_wait1() {
	tcpx_proc_line "$NS_CLI" "$1" "$PROC" | awk '$4 == "04" { f = 1 } END { exit !f }'
}

# peer_listed PORT: the server still has the connection from client PORT.
peer_listed() {
	tcpx_proc_lines "$NS_SRV" "$PROC" |
		awk -v p=":$(printf '%04X' "$1")" 'substr($3, 9) == p { f = 1 } END { exit !f }'
}

# fill_n N: N connections filled against a zero-window server; their
# client ports in PORTS[1..N].
fill_n() {
	local i
	fill_server "$NS_SRV" "$SRV" -R "$RCVBUF" || return 1
	fill_client "$NS_CLI" "$SRV"
	PORTS=()
	for ((i = 1; i <= $1; i++)); do
		fill_cmd fill || return 1
		read -r -a w <<< "$FILL_LINE"
		PORTS[i]=$(field port "${w[@]}")
	done
}

# close_conn I: close connection I; its RTO (ms) and backoff at the close
# in RTO_MS and BACKOFF, and in PROBE_MS the longest its window probe
# timer may still take, b * 2^backoff, if more than that of those before.
close_conn() {
	local t
	fill_cmd "close $1" || return 1
	read -r -a w <<< "$FILL_LINE"
	RTO_MS=$(($(field rto "${w[@]}") / 1000)) BACKOFF=$(field backoff "${w[@]}")
	t=$((RTO_MS << BACKOFF))
	[ "$t" -gt 120000 ] && t=120000	# TCP_RTO_MAX
	[ "$t" -gt "${PROBE_MS:-0}" ] && PROBE_MS=$t
	echo "# $FILL_LINE"
}

# --- 1. max_orphans ------------------------------------------------------

# many_orphans: K = MAX_ORPHANS kept, then K + 2 closed in all.
N=$((MAX_ORPHANS + 2))
many_orphans() {
	local i p d0 d1 left=0 gone=0 rst=0 t
	d0=$(orphan_stat "$NS_CLI" many)
	fam_knob "$NS_CLI" max_orphans "$MAX_ORPHANS" || return 1
	fill_n "$N" || return 1
	for ((i = 1; i <= MAX_ORPHANS; i++)); do
		close_conn "$i" || return 1
		sleep 0.3
	done
	for ((i = 1; i <= MAX_ORPHANS; i++)); do
		p=${PORTS[i]}
		fin_wait1 "$p" ||
			{ echo "# orphan $i (port $p) not kept in FIN-WAIT-1 within max_orphans"; return 1; }
	done
	for ((i = MAX_ORPHANS + 1; i <= N; i++)); do
		close_conn "$i" || return 1
		[ "$i" -lt "$N" ] && sleep 0.3
	done
	# At once: one is reset when the last close returns (a second to see it).
	if ! tcpx_wait_for 2 orphans_over "$((N - 1))"; then
		echo "# $N orphans, max_orphans $MAX_ORPHANS: none reset at once"
		return 1
	fi
	# Within one probe interval of each (1/8 more: the timer wheel), no
	# more than MAX_ORPHANS left.
	t=$((PROBE_MS * 9 / 8 / 1000 + 2))
	if ! tcpx_wait_for "$t" orphans_over "$MAX_ORPHANS"; then
		echo "# more than $MAX_ORPHANS orphans still after ${t} s"
		return 1
	fi
	for ((i = 1; i <= N; i++)); do
		p=${PORTS[i]}
		if listed "$NS_CLI" "$p"; then
			left=$((left + 1))
		else
			gone=$((gone + 1))
			peer_listed "$p" || rst=$((rst + 1))
		fi
	done
	d1=$(orphan_stat "$NS_CLI" many)
	echo "# $left orphans left, $gone reset ($rst peers saw it), drops counted $d0 -> $d1"
	[ "$rst" = "$gone" ] && [ "$((d1 - d0))" = "$gone" ]
}

# orphans_over MAX: at most MAX of the N client connections are listed
# (one read of the file: this polls).
orphans_over() {
	local lines i n=0
	lines=$(tcpx_proc_lines "$NS_CLI" "$PROC" | awk '{ print substr($2, 10) }')
	for ((i = 1; i <= N; i++)); do
		grep -qx "$(printf '%04X' "${PORTS[i]}")" <<< "$lines" && n=$((n + 1))
	done
	[ "$n" -le "$1" ]
}

# end_all: the client and the server go; their sockets with them (the
# server's unread data makes its close a reset of what is left).
end_all() {
	fill_end
	kill "$FILL_SRV_PID" 2>/dev/null
	wait "$FILL_SRV_PID" 2>/dev/null
}

# max_orphans as it was: per namespace for tcpx, host-wide for TCP.
MO_FILE=$(fam_knob_file max_orphans)
MO=$(ip netns exec "$NS_CLI" cat "$MO_FILE" 2>/dev/null || cat "$MO_FILE" 2>/dev/null)
if [ $PART != retries ]; then
	check "max_orphans $MAX_ORPHANS: $MAX_ORPHANS orphans kept, more reset at once, counted, peers reset" \
		many_orphans
	end_all
	[ -n "$MO" ] && fam_knob "$NS_CLI" max_orphans "$MO"
fi

if [ $PART = main ]; then
	# After part 1: the count of orphans it limits is the module's, as
	# TCP's is the host's, and would include the background's orphan.
	# A session of its own (its group's id in .pid, its status in .rc)
	# and no descriptor of the runner's: the runner waits for the end of
	# this program's output, not for it.  Not our child either (the
	# subshell forks it and ends): the exit trap's wait must not wait
	# for it.
	A=$TCPX_ASYNC_DIR/hostile_orphan
	mkdir -p "$TCPX_ASYNC_DIR" || ktap_exit_fail_msg "cannot make $TCPX_ASYNC_DIR"
	rm -f "$A".*
	# shellcheck disable=SC2016 # expanded by the inner shell
	(setsid bash -c 'echo $$ > "$1.pid"; TCPX_ORPHAN_PART=2 "$2" -f "$3"; echo $? > "$1.rc"' \
		_ "$A" "$0" "$FAMILY" < /dev/null > "$A.ktap" 2>&1 3>&- 4>&- 5>&- 6>&- &)
	ktap_print_msg "orphan_retries $RETRIES: in the background, reported by async_wait.sh"
fi

# --- 2. orphan_retries ----------------------------------------------------

# now_ms: CLOCK_MONOTONIC-ish milliseconds (bash's EPOCHREALTIME is enough
# for bounds of minutes).
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# retries_bound B_MS: Linux TCP's latest death of an answered orphan, in
# ms from its first probe (the rule in the header), each timer up to 1/8
# late (the timer wheel's granularity, kernel/time/timer.c), and 1 s.
retries_bound() {
	awk -v b="$1" -v r="$RETRIES" 'BEGIN {
		if (b < 200) b = 200
		for (k = 0; k < r || b * 2 ^ k < 120000; k++) s += b * 2 ^ k
		print int((s + 120000) * 9 / 8 + 1000)
	}'
}

one_orphan() {
	local p d0 d1 t0 t bound
	fam_knob "$NS_CLI" orphan_retries "$RETRIES" || return 1
	d0=$(orphan_stat "$NS_CLI" retries)
	fill_n 1 || return 1
	p=${PORTS[1]}
	close_conn 1 || return 1
	t0=$(now_ms)
	bound=$(retries_bound "$RTO_MS")
	fin_wait1 "$p" || { echo "# no orphan in FIN-WAIT-1"; return 1; }
	echo "# orphan (port $p) closed with RTO $RTO_MS ms, backoff $BACKOFF: gone within $bound ms?"
	tcpx_wait_for $((bound / 1000 + 1)) unlisted "$NS_CLI" "$p"
	t=$(($(now_ms) - t0))
	d1=$(orphan_stat "$NS_CLI" retries)
	echo "# orphan listed for $t ms; drops counted $d0 -> $d1"
	! listed "$NS_CLI" "$p" && [ "$t" -le "$bound" ] && [ "$((d1 - d0))" = 1 ]
}
# Six minutes of real time whatever the machine: the stock lane runs it,
# the debug lane (TCPX_SLOW) says so and goes on.
if [ $PART = main ]; then
	:
elif [ "${TCPX_SLOW:-0}" = 1 ]; then
	ktap_test_skip "orphan_retries $RETRIES: run on the stock lane only (6 minutes of real time)"
else
	check "orphan_retries $RETRIES, a peer answering with a zero window: the orphan is gone in time, counted" \
		one_orphan
	end_all
fi

# --- 3. nothing left -------------------------------------------------------

empty() {
	[ -z "$(tcpx_proc_lines "$NS_CLI" "$PROC")" ] && [ -z "$(tcpx_proc_lines "$NS_SRV" "$PROC")" ]
}
nothing_left() {
	tcpx_wait_for 10 empty && return 0
	tcpx_show <(tcpx_proc_lines "$NS_CLI" "$PROC") <(tcpx_proc_lines "$NS_SRV" "$PROC")
	return 1
}
check "all processes gone: nothing left in $PROC of either side" nothing_left

ktap_finished
