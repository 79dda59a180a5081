#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/tcpx-plot against what the kernel and the wire say.
#
#   [ $NS_CLI ] 10.0.1.1 veth-c ---------------- veth-s 10.0.1.2 [ $NS_SRV ]
#    tcpx_xfer client, tcpdump          nft: every 41st large segment dropped
#
# Bulk transfers client -> server over tcpx IPv4, tcpx IPv6 and TCP IPv4
# (offloads off: TCP's segments are MSS-sized, as tcpx's), captured on the
# sender's side, with the probe and retransmit events traced.  The nft
# rule in the receiver's namespace drops the same positions of the stream
# of large segments each run, so every run retransmits.  Checked:
#
#  - tseq --data marks as retransmitted exactly as many segments as the
#    sender's namespace counted (RetransSegs of tcpx's MIB or TCP's), for
#    tcpx as many as tcpx_retransmit fired for the connection, and, where
#    tshark decodes the segments (TCP; tcpx as TCP with -d
#    ip.proto==253,tcp), the same segments (relative seq and length) as
#    tshark's analysis calls retransmissions (fast, spurious, or
#    out-of-order: it names a quick resend so, and the capture, on the
#    sender, has no reordering);
#  - tcpx_probe fired once for every segment each end accepted: the
#    segments the capture holds from its peer, the SYN (or SYN+ACK) apart;
#    tcp_probe once for every segment that reached an ESTABLISHED socket
#    (tcp_rcv_established(): none once a FIN went either way);
#  - cwnd --data gives the sender's socket's events, their snd_cwnd in
#    order; tseq, cwnd and bars write PNG files; bars reads a results table
#    with every kind of cell; bad input is an error, not a graph.
#
# The three transfers run one after the other, alone on the machine; the
# tool then reads their captures and traces two at a time (it is python
# and matplotlib, slow under emulation), tshark beside it, and the checks
# come in order.  On the debug kernel (TCPX_SLOW) the tool's two lanes run
# one after the other: there they only slowed each other (188 s against
# 178 s for the program).
#
# The server sends too, 16 KiB slowly (4 s), so that it half-closes only
# after the client's megabyte: a sink that sends nothing half-closes at
# once (tcpx_xfer shuts down its side when its stream is written), and
# TCP's sockets leave ESTABLISHED, where alone tcp_probe fires, at the
# start (one event per connection).
. "$(dirname "$0")/xfer_lib.sh"

PLOT=$TCPX_SELFTESTS/../tools/tcpx-plot
[ -x "$PLOT" ] || PLOT=$(dirname "$(readlink -f "$0")")/../tools/tcpx-plot
T=/sys/kernel/tracing
TR=
DROP_EVERY=41
SIZE=1M
TMP=$XFER_TMP

ktap_print_header
xfer_require tcpdump nft ethtool
[ "$FAMILY" = tcpx ] || { ktap_skip_all "runs both families itself"; exit "$KSFT_SKIP"; }
tcpx_require_module
if [ ! -x "$PLOT" ]; then
	ktap_skip_all "no tools/tcpx-plot beside the selftests"
	exit "$KSFT_SKIP"
fi
# Found, not imported: an import takes seconds under emulation, and the
# tool's runs below import it (a broken install fails them).
if ! /usr/bin/python3 -c 'import importlib.util as u, sys
sys.exit(u.find_spec("matplotlib") is None)' 2>/dev/null; then
	ktap_skip_all "python3-matplotlib is not installed"
	exit "$KSFT_SKIP"
fi
# The drops are nft's.  Without nf_tables (the debug kernel) the transfers
# lose nothing: the retransmission checks skip, the probe, cwnd and PNG
# checks still run (tcpx_probe under KASAN and lockdep).
NFT=1
if ! nft list tables > /dev/null 2>&1; then
	NFT=0
	NO_NFT="no nf_tables in this kernel: no drops"
	echo "# $NO_NFT"
fi
HAVE_TSHARK=0
command -v tshark > /dev/null && HAVE_TSHARK=1

# 3 transfers x 6 checks, and the tool's own three.
ktap_set_plan 21

plot_cleanup() {
	# TCPX_PLOT_KEEP=DIR keeps the graphs, their data and the captures.
	if [ -n "${TCPX_PLOT_KEEP:-}" ] && mkdir -p "$TCPX_PLOT_KEEP"; then
		cp "$TMP"/*.png "$TMP"/*.tsv "$TMP"/*.pcap "$TMP"/*.trace \
			"$TCPX_PLOT_KEEP/" 2>/dev/null
	fi
	if [ -n "$TR" ] && [ -d "$TR" ]; then
		echo 0 > "$TR/events/enable"
		rmdir "$TR"
	fi
	xfer_cleanup
}
trap plot_cleanup EXIT

setup() {
	local ns dev
	tcpx_topo_pair && tcpx_topo_ipv6 || return 1
	for ns in "$NS_CLI:veth-c" "$NS_SRV:veth-s"; do
		dev=${ns#*:}
		ns=${ns%%:*}
		ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off \
			> /dev/null 2>&1
	done
	# Data only (large), the same positions every run: no randomness.
	if [ $NFT = 1 ]; then
		ip netns exec "$NS_SRV" nft -f - <<-EOF || return 1
		table inet tcpx_plot {
			counter drops { }
			chain in {
				type filter hook input priority 0; policy accept;
				meta l4proto { 6, 253 } meta length > 1000 numgen inc mod $DROP_EVERY == $((DROP_EVERY / 2)) counter name drops drop
			}
		}
		EOF
	fi
	# Own buffer (large, nothing overwritten), events on before traffic.
	TR=$T/instances/tcpx-plot-$$
	mkdir "$TR" || return 1
	echo 16384 > "$TR/buffer_size_kb"
	local e
	for e in tcpx/tcpx_probe tcpx/tcpx_retransmit tcp/tcp_probe; do
		echo 1 > "$TR/events/$e/enable" || return 1
	done
	sleep 1
}

drops() {
	[ $NFT = 1 ] || { echo 0; return; }
	ip netns exec "$NS_SRV" nft list counter inet tcpx_plot drops |
		awk '$1 == "packets" { print $2 }'
}

# capture_stop PCAP: wait for tcpdump to write what the kernel queued for
# it (the size steady for a second), then end it; fails if it lost any.
capture_stop() {
	local size=-1 now i
	for i in $(seq 30); do
		now=$(stat -c %s "$1")
		[ "$now" = "$size" ] && break
		size=$now
		sleep 1
	done
	tcpx_cap_stop
	if ! grep -q '^0 packets dropped by kernel' "$1.err"; then
		tcpx_show "$1.err"
		return 1
	fi
}

# Per transfer NAME: whether it and its capture went well, its family and
# port, the sender's RetransSegs before and after, the segments nft dropped.
declare -A R_OK R_FAM R_PORT R_RETRANS0 R_RETRANS R_DROPS

# xfer_run NAME FAMILY AF: one transfer, captured, its trace kept.
xfer_run() {
	FAMILY=$2
	XFER_AF=$3
	xfer_af "$3" xfer_run_af "$1" "$TMP/$1.pcap"
}

xfer_run_af() {
	local name=$1 pcap=$2 ok=1 d0
	d0=$(drops)
	R_RETRANS0[$name]=$(fam_stat "$NS_CLI" RetransSegs)
	stat_snap "$name.0"
	tcpx_cap_start "$NS_CLI" veth-c "$pcap" || ok=0
	echo "$name" > "$TR/trace_marker"
	if [ $ok = 1 ]; then
		xfer_start "$name" -- -t 60 -n "$SIZE" -m 16K -r 4K || ok=0
	fi
	if [ $ok = 1 ]; then
		xfer_client "$name" 60 -- -n "$SIZE" -m 16K
		xfer_wait_server "$name" "$XFER_START_WAIT"
		xfer_checked "$name" || ok=0
	fi
	capture_stop "$pcap" || ok=0
	cat "$TR/trace" > "$TMP/$name.trace"
	echo > "$TR/trace"
	R_OK[$name]=$ok
	R_FAM[$name]=$FAMILY
	R_PORT[$name]=$XFER_PORT
	R_DROPS[$name]=$(($(drops) - d0))
	R_RETRANS[$name]=$(fam_stat "$NS_CLI" RetransSegs)
	stat_snap "$name.1"
}

# plots NAME...: the tool's tseq and cwnd on each transfer that went well,
# and its bars, in two lanes at once; its exit status in NAME.OUT.rc.  With
# drops, tshark's analysis of the captures in a third.
plots() {
	local name tsh=
	if [ $NFT = 1 ] && [ $HAVE_TSHARK = 1 ]; then
		(
			for name in "$@"; do
				[ "${R_OK[$name]}" = 1 ] && tshark_run "$name" "${R_FAM[$name]}"
			done
		) &
		tsh=$!
	fi
	(
		for name in "$@"; do
			[ "${R_OK[$name]}" = 1 ] || continue
			"$PLOT" tseq "$TMP/$name.pcap" --port "${R_PORT[$name]}" \
				--data "$TMP/$name.tsv" -o "$TMP/$name.png" 2> "$TMP/$name.plot.err"
			echo $? > "$TMP/$name.png.rc"
		done
	) &
	local lane=$!
	[ "$TCPX_SLOW" = 1 ] && wait "$lane"
	(
		for name in "$@"; do
			[ "${R_OK[$name]}" = 1 ] || continue
			"$PLOT" cwnd "$TMP/$name.trace" --port "${R_PORT[$name]}" \
				--data "$TMP/$name.cwnd.tsv" -o "$TMP/$name.cwnd.png" \
				2> "$TMP/$name.cwnd.err"
			echo $? > "$TMP/$name.cwnd.png.rc"
		done
		bars_md > "$TMP/results.md"
		"$PLOT" bars "$TMP/results.md" --data "$TMP/bars.tsv" -o "$TMP/bars.png"
		echo $? > "$TMP/bars.png.rc"
	)
	wait "$lane"
	[ -z "$tsh" ] || wait "$tsh"
}

# checks NAME FAMILY AF: the checks of one transfer.
checks() {
	FAMILY=$2
	XFER_AF=$3
	xfer_af "$3" checks_af "$1" "$TMP/$1.pcap"
}

checks_af() {
	local name=$1 pcap=$2 port=${R_PORT[$1]} ok=${R_OK[$1]}
	RETRANS0=${R_RETRANS0[$name]}
	RUN_RETRANS=${R_RETRANS[$name]}
	RUN_DROPS=${R_DROPS[$name]}
	echo "# $name: $(fam_name) port $port, $(kv "$TMP/$name.cli" elapsed_ms) ms," \
		"TCP(X)_INFO total_retrans $(kv "$TMP/$name.cli" total_retrans), $RUN_DROPS dropped"
	tcpx_check "$name: transfer intact, capture complete" [ "$ok" = 1 ]
	if [ "$ok" != 1 ]; then
		for i in rtx png tshark probe cwnd; do
			ktap_test_skip "$name: $i (no transfer)"
		done
		return 0
	fi

	if [ $NFT = 1 ]; then
		check_rtx "$name" "$port"
	else
		ktap_test_skip "$name: tseq marks the sender's retransmissions ($NO_NFT)"
	fi
	tcpx_check "$name: tseq PNG" png_ok "$TMP/$name.png"
	if [ $NFT = 1 ]; then
		check_tshark "$name"
	else
		ktap_test_skip "$name: tshark marks the same segments ($NO_NFT)"
	fi
	tcpx_check "$name: $(fam_name) probe events: one per segment received" \
		check_probe "$name" "$pcap" "$port"
	tcpx_check "$name: cwnd --data is the sender's events" \
		check_cwnd "$name" "$port"
}

png_ok() {
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		[ "$(stat -c %s "$1")" -gt 10000 ]
}

# The retransmitted rows, as "seq len" lines.
rtx_rows() {
	awk -v OFS='\t' '$1 !~ /^#/ && $4 == "yes" { print $2, $3 }' "$1"
}

check_rtx() {
	local name=$1 port=$2 n sender traced=
	n=$(rtx_rows "$TMP/$name.tsv" | wc -l)
	sender=$((RUN_RETRANS - RETRANS0))
	if [ "$FAMILY" = tcpx ]; then
		# The client's retransmissions: its address first.
		traced=$(grep -c "tcpx_retransmit: saddr=$CLI sport=[0-9]* daddr=$SRV dport=$port " \
			"$TMP/$name.trace")
	fi
	echo "# $name: tseq marks $n of $(grep -vc '^#' "$TMP/$name.tsv") segments;" \
		"RetransSegs in the sender's namespace $sender${traced:+, tcpx_retransmit $traced}"
	tcpx_check "$name: tseq marks the sender's retransmissions" \
		[ "$n" -gt 0 ] && [ "$n" = "$sender" ] && [ "${traced:-$n}" = "$n" ]
}

# tshark_run NAME FAMILY: tshark's own analysis of the capture (run by
# plots): the retransmitted segments' "seq len" in NAME.tshark, and in
# NAME.tshark.all how many data segments it decodes at all.
tshark_run() {
	local name=$1 pcap=$TMP/$1.pcap port=${R_PORT[$1]} d=()
	# ip.proto is IPv6's next header too.
	[ "$2" = tcpx ] && d=(-d "ip.proto==$(FAMILY=$2 fam_ipproto),tcp")
	tshark -r "$pcap" "${d[@]}" -o tcp.relative_sequence_numbers:TRUE \
		-o tcp.analyze_sequence_numbers:TRUE \
		-Y "tcp.dstport == $port && tcp.len > 0 && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order)" \
		-T fields -e tcp.seq -e tcp.len 2> "$TMP/$name.tshark.err" |
		sort -n > "$TMP/$name.tshark"
	tshark -r "$pcap" "${d[@]}" -Y "tcp.dstport == $port && tcp.len > 0" 2>/dev/null |
		wc -l > "$TMP/$name.tshark.all"
}

# tshark's own analysis of the same capture: the same segments.
check_tshark() {
	local name=$1 all
	if [ $HAVE_TSHARK = 0 ]; then
		ktap_test_skip "$name: tshark agrees (no tshark)"
		return
	fi
	rtx_rows "$TMP/$name.tsv" | sort -n > "$TMP/$name.rows"
	# tshark's decoding of the capture at all: its data segments.
	all=$(cat "$TMP/$name.tshark.all")
	echo "# $name: tshark decodes $all data segments, $(wc -l < "$TMP/$name.tshark") retransmitted"
	if [ "$all" = 0 ]; then
		ktap_test_skip "$name: tshark agrees (tshark cannot decode it)"
		return
	fi
	if ! cmp -s "$TMP/$name.tshark" "$TMP/$name.rows"; then
		diff "$TMP/$name.tshark" "$TMP/$name.rows" | head -n 10 | sed 's/^/# tshark<>tseq: /'
	fi
	tcpx_check "$name: tshark marks the same segments" \
		cmp -s "$TMP/$name.tshark" "$TMP/$name.rows"
}

# probe_count TRACE EVENT src|dest PORT: events of the socket whose own
# (src) or peer's (dest) port is PORT.
probe_count() {
	grep -cE "$2: family=AF_INET6? .*$3=[^ ]*:$4 " "$1"
}

# stat_snap NAME: both ends' counters, tcpx's or TCP's.
stat_snap() {
	local ns n
	for ns in cli srv; do
		if [ $ns = cli ]; then n=$NS_CLI; else n=$NS_SRV; fi
		if [ "$FAMILY" = tcpx ]; then
			ip netns exec "$n" cat /proc/net/tcpx_stat
		else
			ip netns exec "$n" cat /proc/net/netstat
		fi > "$TMP/$1.$ns.stat"
	done
}

# coalesced NAME cli|srv: segments TCP merged into the one before in a
# socket's backlog (one call, one event, for both).
coalesced() {
	echo $(($(snmp_val "$TMP/$1.1.$2.stat" TcpExt:TCPBacklogCoalesce) -
		$(snmp_val "$TMP/$1.0.$2.stat" TcpExt:TCPBacklogCoalesce)))
}

# refused NAME cli|srv: segments that end's tcpx dropped before the
# probe (its backlog full, PAWS, a bad ACK or sequence number).
refused() {
	awk '
		FNR == NR { a[$1] = $2; next }
		$1 ~ /^(BacklogDrops|PAWSDrops|InErrs|ChallengeACKs|ACKSkippedChallenge|ACKSkippedOOW)$/ {
			n += $2 - a[$1]
			if ($2 != a[$1]) printf "# %s %s +%d\n", end, $1, $2 - a[$1] > "/dev/stderr"
		}
		END { print n + 0 }' end="$2" "$TMP/$1.0.$2.stat" "$TMP/$1.1.$2.stat"
}

# check_probe NAME PCAP PORT: tcpx: the client's socket got an event for
# each segment from the server (none dropped: the rule takes only large
# ones), the SYN+ACK apart (SYN-SENT is not synchronized).  The server's
# got one for each from the client that nft let through, the SYN apart
# (the listener's), less those it did not accept: duplicates of what it
# had (tcpx fires after the acceptance test), at most one per
# retransmission, and what its counters say it refused (a full backlog,
# PAWS).  TCP: one for each segment an ESTABLISHED socket got, duplicates
# too: the client's, from the server before the client's FIN; the
# server's, from the client up to that FIN, the SYN and the handshake's
# ACK (the listener's) apart, less what nft dropped; less those coalesced
# in the socket's backlog (TCPBacklogCoalesce: one event for two
# segments); within 2 (the capture and the socket may see a segment and
# the FIN in either order).  The client's count only to half: ACKs that
# wait in its backlog while it sends (it holds the socket) are processed
# after its FIN went, in FIN-WAIT-1, without an event (8 of 147 seen on
# the stock kernel; the debug kernel holds the socket longer).  That is
# TCP's tracepoint, not tcpx's: the check is that the tool reads it.
check_probe() {
	local name=$1 pcap=$2 port=$3 ev e_c e_s a_c a_s n lo_c lo_s hi_c hi_s fin
	ev=tcpx_probe
	[ "$FAMILY" = tcp ] && ev=tcp_probe
	e_c=$(probe_count "$TMP/$name.trace" "$ev" dest "$port")
	e_s=$(probe_count "$TMP/$name.trace" "$ev" src "$port")
	n=$(rtx_rows "$TMP/$name.tsv" | wc -l)
	if [ "$FAMILY" = tcpx ]; then
		a_c=$(seg_times "$pcap" "$port" in | wc -l)
		a_s=$(($(seg_times "$pcap" "$port" out | wc -l) - RUN_DROPS))
		hi_c=$a_c
		hi_s=$a_s
		lo_c=$((a_c - $(refused "$name" cli)))
		lo_s=$((a_s - n - $(refused "$name" srv)))
	else
		fin=$(seg_times "$pcap" "$port" out fin | head -n 1)
		a_c=$(seg_times "$pcap" "$port" in | awk -v f="${fin:-inf}" '$1 < f + 0' | wc -l)
		a_s=$(seg_times "$pcap" "$port" out | awk -v f="${fin:-inf}" '$1 <= f + 0' | wc -l)
		a_s=$((a_s - 1 - RUN_DROPS))
		lo_c=$(((a_c - $(coalesced "$name" cli)) / 2 - 2))
		hi_c=$((a_c + 2))
		lo_s=$((a_s - $(coalesced "$name" srv) - 2))
		hi_s=$((a_s + 2))
		echo "# $name: TCPBacklogCoalesce client +$(coalesced "$name" cli), server +$(coalesced "$name" srv)"
	fi
	echo "# $name: $ev: client $e_c for $a_c segments from the server," \
		"server $e_s for $a_s from the client ($n retransmitted)"
	[ "$e_c" -ge "$lo_c" ] && [ "$e_c" -le "$hi_c" ] &&
		[ "$e_s" -ge "$lo_s" ] && [ "$e_s" -le "$hi_s" ] &&
		[ "$a_c" -gt 10 ] && [ "$a_s" -gt 100 ]
}

# seg_times PCAP PORT in|out [fin]: the times of the segments of the
# connection to PORT that the client received (in) or sent (out), SYNs
# apart, or of its FINs only; tcpdump's reading, not the tool's.
seg_times() {
	local filter flags
	if [ "$3" = in ]; then filter="src host $SRV"; else filter="src host $CLI"; fi
	# tcpdump reads no ports or flags of protocol 253: bytes of the
	# header by offset (no IP options, no extension headers here).
	if [ "$FAMILY" = tcp ]; then
		flags="tcp[13]"
		filter+=" and tcp and port $2"
	elif [ "$XFER_AF" = 4 ]; then
		flags="ip[((ip[0] & 15) * 4) + 13]"
		filter+=" and ip proto $(fam_ipproto) and (ip[(ip[0] & 15) * 4 : 2] = $2 or ip[((ip[0] & 15) * 4) + 2 : 2] = $2)"
	else
		flags="ip6[53]"
		filter+=" and ip6 proto $(fam_ipproto) and (ip6[40:2] = $2 or ip6[42:2] = $2)"
	fi
	filter+=" and ($flags & 2) == 0"
	[ "${4:-}" = fin ] && filter+=" and ($flags & 1) != 0"
	tcpdump -tt -nr "$1" "$filter" 2>/dev/null | awk '{ print $1 }'
}

# The sender's socket (the client's: its peer is the server's port): its
# events' snd_cwnd, in order, are the rows' cwnd column.
check_cwnd() {
	local name=$1 port=$2 ev=tcpx_probe
	# The sender, the client: its peer's port is PORT.
	[ "$FAMILY" = tcp ] && ev=tcp_probe
	grep -E "$ev: .* dest=[^ ]*:$port " "$TMP/$name.trace" |
		sed -E 's/.* snd_cwnd=([0-9]+) .*/\1/' > "$TMP/$name.cwnd.want"
	awk '$1 !~ /^#/ { print $2 }' "$TMP/$name.cwnd.tsv" > "$TMP/$name.cwnd.got"
	echo "# $name: cwnd rows $(wc -l < "$TMP/$name.cwnd.got"), events $(wc -l < "$TMP/$name.cwnd.want")"
	[ -s "$TMP/$name.cwnd.want" ] && cmp -s "$TMP/$name.cwnd.want" "$TMP/$name.cwnd.got" &&
		png_ok "$TMP/$name.cwnd.png"
}

# bars_md: a results table with every kind of cell.
bars_md() {
	cat <<-'EOF'
	# tcpx vs TCP

	| metric | tcp | tcpx | tcpx/tcp |
	| --- | ---: | ---: | ---: |
	| stream (Gbit/s) | 2.5 | 1.25 | 0.50 |
	| rr (transactions/s) | 1000* | 1500 | 1.50 |
	| crr latency p50 (µs) | n/a | 40 | - |
	| memory per idle connection | 4000 | fail | - |
	| pairs | 10/12 | 20/12 | - |
	| skipped | - | 3 | - |

	| profile | tcp | tcpx | tcpx/tcp |
	| --- | ---: | ---: | ---: |
	| 1% loss | 80 | 120 | - |
	EOF
}

# The tool's bars on bars_md (run by plots).
check_bars() {
	[ "$(cat "$TMP/bars.png.rc" 2>/dev/null)" = 0 ] || return 1
	awk -F'\t' '$1 !~ /^#/ { print $4 }' "$TMP/bars.tsv" | tr '\n' ' ' > "$TMP/bars.got"
	echo "# bars ratios: $(cat "$TMP/bars.got")"
	[ "$(cat "$TMP/bars.got")" = "0.5 1.5 - - 2 - 1.5 " ] && png_ok "$TMP/bars.png"
}

check_bad_input() {
	local rc
	printf 'not a capture' > "$TMP/bad.pcap"
	"$PLOT" tseq "$TMP/bad.pcap" -o "$TMP/bad.png" 2> "$TMP/bad.err"
	rc=$?
	[ $rc = 1 ] && [ ! -e "$TMP/bad.png" ] && grep -q 'not a pcap' "$TMP/bad.err" || return 1
	"$PLOT" cwnd /dev/null --data "$TMP/bad.tsv" 2> "$TMP/bad.err"
	[ $? = 1 ] && grep -q 'no tcp_probe' "$TMP/bad.err" || return 1
	"$PLOT" bars /dev/null 2> /dev/null
	[ $? = 1 ] || return 1
	"$PLOT" tseq "$TMP/tcpx4.pcap" --port 1 2> /dev/null
	[ $? = 1 ]
}

if ! setup; then
	ktap_test_fail "setup"
	ktap_finished
	exit
fi
xfer_run tcpx4 tcpx 4
xfer_run tcpx6 tcpx 6
xfer_run tcp4 tcp 4
plots tcpx4 tcpx6 tcp4
checks tcpx4 tcpx 4
checks tcpx6 tcpx 6
checks tcp4 tcp 4
tcpx_check "bars: the ratios of every kind of cell, a PNG" check_bars
tcpx_check "bad input: exit status 1, a message, no output" check_bad_input
if [ $NFT = 1 ]; then
	tcpx_check "the nft rule dropped segments" [ "$(drops)" -gt 0 ]
else
	ktap_test_skip "the nft rule dropped segments ($NO_NFT)"
fi
ktap_finished
