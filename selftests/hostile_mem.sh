#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memory pressure (issue 12): the protocol's memory is bounded host-wide by
# mem (min, pressure, max pages, as tcp_mem).  Connections whose reader
# never reads are filled one after the other until the protocol holds more
# than max: pressure is entered (MemoryPressures), a connection opened
# then is refused what a fresh one took before (EAGAIN), closing the
# senders over max resets them (AbortOnMemory), and once everything is
# closed the memory and the pressure flag are back where they were.
#
#   [ $NS ] 127.0.0.1:  tcpx_fill client ==> tcpx_fill server (never reads)
#                       N connections, SO_SNDBUF 256K, written until EAGAIN
#
# mem is 1024 2048 4096 pages, not a few hundred: each CPU keeps up to
# 1 MiB (SK_MEMORY_PCPU_RESERVE, 256 pages) of a protocol's charges out of
# the global count, so the count read from /proc/net/protocols is within
# nproc x 256 pages of the truth and the limits must stand well above that.
#
#   hostile_mem.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/hostile_lib.sh"

MEM_MIN=1024 MEM_PRESSURE=2048 MEM_MAX=4096
SLACK=$(($(nproc) * 256))
MAX_CONNS=160	# about 130 pages each: three times what max needs
OVER=4		# connections opened over max
LO=127.0.0.1

hostile_require nproc
ktap_print_header
ktap_set_plan 4
tcpx_ns_new NS || ktap_exit_fail_msg "cannot make a namespace"
ktap_print_msg "family $FAMILY, mem $MEM_MIN $MEM_PRESSURE $MEM_MAX pages, slack $SLACK"

BASE=$(proto_mem)
P0=$(fam_stat "$NS" MemoryPressures)
A0=$(fam_stat "$NS" AbortOnMemory)
echo "# baseline: $BASE pages, press $(proto_mem 5), MemoryPressures $P0, AbortOnMemory $A0"
is_num() { [[ $1 =~ ^[0-9]+$ ]]; }
is_num "$BASE" || ktap_exit_fail_msg "no memory column for $FAMILY in /proc/net/protocols"
host_knob mem "$MEM_MIN $MEM_PRESSURE $MEM_MAX" || ktap_exit_fail_msg "cannot set mem"

# fill_to_max: the first connection (the reference: its buffers alone),
# then more until the protocol holds more than max before one is filled,
# then OVER more.  FIRST: what the first took; OVER_SENT: what the ones
# opened over max took; PEAK: the most memory seen.
fill_to_max() {
	local n=0 over=0 mem0 mem sent
	fill_server "$NS" "$LO" || return 1
	fill_client "$NS" "$LO" -S 256K
	PEAK=0 OVER_SENT=()
	while [ "$over" -lt "$OVER" ]; do
		n=$((n + 1))
		[ "$n" -le "$MAX_CONNS" ] || { echo "# $MAX_CONNS connections and never over max"; return 1; }
		fill_cmd fill || return 1
		read -r -a w <<< "$FILL_LINE"
		mem0=$(field mem0 "${w[@]}") mem=$(field mem "${w[@]}") sent=$(field sent "${w[@]}")
		[ "$mem" -gt "$PEAK" ] && PEAK=$mem
		[ "$n" = 1 ] && FIRST=$sent
		if [ "$mem0" -gt "$MEM_MAX" ]; then
			over=$((over + 1))
			OVER_SENT+=("$sent")
			echo "# over max: $FILL_LINE"
		fi
	done
	NCONN=$n
	echo "# $n connections; the first took $FIRST bytes, those over max ${OVER_SENT[*]}; peak $PEAK pages"
}

# pressure: MemoryPressures grew (the protocol entered pressure).
pressure() {
	local p
	p=$(fam_stat "$NS" MemoryPressures)
	echo "# MemoryPressures $P0 -> $p, press now $(proto_mem 5)"
	is_num "$p" && [ "$p" -gt "$P0" ]
}

# refused: each connection opened over max took less than half what the
# first one did, and stopped on EAGAIN (no other error).
refused() {
	local s rc=0
	[ "${#OVER_SENT[@]}" = "$OVER" ] || return 1
	for s in "${OVER_SENT[@]}"; do
		[ "$((s * 2))" -lt "$FIRST" ] || rc=1
	done
	grep '^conn' "$XFER_TMP/fill.cli" | grep -v 'eagain=1' | grep -q . && rc=1
	grep -q ' err=' "$XFER_TMP/fill.cli" && rc=1
	return $rc
}

# close_over_max: the senders closed while the protocol is over max:
# orphans with data queued, reset at once (AbortOnMemory grew), as TCP's
# tcp_close() does when tcp_out_of_memory().
close_over_max() {
	local i a mem
	mem=$(proto_mem)
	echo "# closing $NCONN senders at $mem pages"
	for ((i = 1; i <= NCONN; i++)); do
		fill_cmd "close $i" || return 1
	done
	a=$(fam_stat "$NS" AbortOnMemory)
	echo "# AbortOnMemory $A0 -> $a"
	[ "$mem" -gt "$MEM_MAX" ] && is_num "$a" && [ "$a" -gt "$A0" ]
}

# back_to_base: the reader and the client gone, the memory returns to
# within SLACK of the baseline and pressure is left, in 30 s.
mem_low() {
	[ "$(proto_mem)" -le $((BASE + SLACK)) ] && [ "$(proto_mem 5)" != yes ]
}
back_to_base() {
	local t=$SECONDS rc=0
	fill_end
	kill "$FILL_SRV_PID" 2>/dev/null
	wait "$FILL_SRV_PID" 2>/dev/null
	tcpx_wait_for 30 mem_low || rc=1
	echo "# $(proto_mem) pages, press $(proto_mem 5) after $((SECONDS - t)) s (baseline $BASE)"
	return $rc
}

if fill_to_max; then
	check "over mem max ($MEM_MAX pages): pressure entered (MemoryPressures)" pressure
	check "over mem max: a new connection's sends refused (EAGAIN, under half a fresh one's)" refused
	check "senders closed over mem max: reset (AbortOnMemory)" close_over_max
else
	tcpx_show "$XFER_TMP/fill.cli" "$XFER_TMP/fill.srv"
	ktap_test_fail "over mem max ($MEM_MAX pages): pressure entered (MemoryPressures)"
	ktap_test_fail "over mem max: a new connection's sends refused (EAGAIN, under half a fresh one's)"
	ktap_test_fail "senders closed over mem max: reset (AbortOnMemory)"
fi
check "all closed: memory back to baseline (+$SLACK pages), pressure left" back_to_base

ktap_finished
