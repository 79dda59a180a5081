#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcpx-ss against ss: the same scene of sockets (tcpx_ss.py: listeners, data
# queued unread over 127.0.0.1 and ::1, a TIME-WAIT, a SYN-RECV, a full
# receive buffer), on the same fixed ports, over TCP in one namespace and
# over tcpx (libtcpxize) in another.  `ss -t` in the first and tcpx-ss in
# the second must print the same header, the same rows, the same -i, -m,
# -e, -o, -p field names (less those struct tcpx_info does not carry,
# TCPX_SS_MISSING below), and select the same sockets for the same
# filters; -K resets a tcpx connection; bad input is refused.
#
#   [ $NS_T ]  TCP scene, lo only     [ $NS_X ]  tcpx scene, lo only
#   On each lo an egress filter drops the ACKs of client port 40005 (TCP,
#   or IP protocol 253), so the server side of 40005->5002 stays SYN-RECV.
. "$(dirname "$0")/tcpx_lib.sh"

TCPX_SS=${TCPX_SS:-$TCPX_SELFTESTS/tcpx-ss}
export TCPXIZE_LIB=${TCPXIZE_LIB:-$TCPX_SELFTESTS/libtcpxize.so}
SCENE=$TCPX_SELFTESTS/tcpx_ss.py
# The -i fields of TCP that struct tcpx_info has no counterpart of.
# (tcpx does not pace, samples no delivery rate, keeps no busy-time chronos
# and counts no out-of-order packets, D-SACKs or reordering events.)
TCPX_SS_MISSING=pacing_rate,delivery_rate,delivered,delivered_ce,busy
TCPX_SS_MISSING+=,rwnd_limited,sndbuf_limited,rcv_ooopack,dsack_dups,reord_seen
TCPX_SS_MISSING+=,app_limited
# Where the module's TCPX_INFO values differ from TCP_INFO's (zero on one
# side only, so ss omits the field on that side): tcpx leaves rcv_space,
# rcv_ssthresh and rcv_rtt at 0 (no receive-buffer autotuning yet), and a
# client whose ACKs were lost (40005) keeps no ssthresh where TCP's has one.
# The dump checks below prove tcpx-ss prints what ss would.
TCPX_SS_DEVIATE=rcv_space,rcv_ssthresh,rcv_rtt,ssthresh
TMPD=$(mktemp -d /tmp/tcpx-ss.XXXXXX)
ss_cleanup() {
	[ -n "$FD_T" ] && exec {FD_T}>&-
	[ -n "$FD_X" ] && exec {FD_X}>&-
	tcpx_cleanup
	rm -rf "$TMPD"
}
trap ss_cleanup EXIT

tcpx_require ip ss tc python3 awk
tcpx_require_module
tcpx_require_built "$TCPX_SS" "$TCPXIZE_LIB"

ktap_print_header
tcpx_ns_new NS_T && tcpx_ns_new NS_X || ktap_exit_fail_msg "cannot create namespaces"

# No inet_diag (the debug kernel): nothing to compare.
ip netns exec "$NS_X" "$TCPX_SS" -an > /dev/null 2> "$TMPD/probe"
if [ $? = 2 ] && grep -q 'no sock_diag' "$TMPD/probe"; then
	ktap_skip_all "no sock_diag for tcpx: $(cat "$TMPD/probe")"
	exit "$KSFT_SKIP"
fi

FILTERS=(
	"-l"
	"-a state listening"
	"-a exclude listening"
	"-a state established"
	"-a state connected"
	"-a state synchronized"
	"-a state time-wait"
	"-a state syn-recv"
	"-a dport = :5000"
	"-a sport >= :5001"
	"-a src 127.0.0.1"
	"-a dst [::1]"
	"-a src 127.0.0.0/8 and not sport = :5000"
	"-a ( sport = :5000 or dport = :5000 ) and not dst 127.0.0.1:40004"
	"-a sport gt :40000 or dport lt :5002"
	"-a dport != :5000 and dport le :40003"
	"-4 -a"
	"-6 -a"
	""
)
# Options the dump is shown with, by ss and by tcpx-ss.
DUMPOPTS=(
	"-an" "-a" "-ani" "-anm" "-ane" "-ano" "-anp" "-anieomp" "-anH" "-aoi"
	"-an sport = :5000 or dst [::1]"
)
BAD=(
	"-Z"
	"-a dport = :nosuchport"
	"-a sport >"
	"-a state nosuchstate"
	"-a ( dport = :1"
	"-a dst 300.1.2.3"
)
ktap_set_plan $((12 + ${#FILTERS[@]} + ${#DUMPOPTS[@]} + ${#BAD[@]}))

# scene NS PROTO FDVAR [PRELOAD]: the scene in NS, ACKs of 40005 dropped.
scene() {
	local ns=$1 proto=$2 fifo=$TMPD/fifo.$2
	# SYN+ACKs retransmitted long enough for the SYN-RECV to last the test.
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_synack_retries=10 &&
	ip netns exec "$ns" sysctl -qw net.tcpx.synack_retries=10 &&
	ip netns exec "$ns" tc qdisc add dev lo clsact &&
	ip netns exec "$ns" tc filter add dev lo egress protocol ip prio 1 u32 \
		match ip protocol "$proto" 0xff match u16 40005 0xffff at 20 \
		match u8 0x10 0x12 at 33 action drop || return 1
	mkfifo "$fifo"
	if [ -n "$4" ]; then
		ip netns exec "$ns" env LD_PRELOAD="$TCPXIZE_LIB" python3 "$SCENE" scene \
			< "$fifo" > "$TMPD/scene.$proto" 2>&1 &
	else
		ip netns exec "$ns" python3 "$SCENE" scene < "$fifo" > "$TMPD/scene.$proto" 2>&1 &
	fi
	TCPX_PIDS+=("$!")
	exec {fd}>"$fifo"
	printf -v "$3" '%s' "$fd"
	tcpx_wait_for 30 grep -q -e '^ready' -e 'Error' "$TMPD/scene.$proto" &&
		grep -q '^ready' "$TMPD/scene.$proto" || {
		tcpx_show "$TMPD/scene.$proto"
		return 1
	}
}
scene "$NS_T" 6 FD_T || ktap_exit_fail_msg "the TCP scene did not come up"
scene "$NS_X" 253 FD_X 1 || ktap_exit_fail_msg "the tcpx scene did not come up"

# run NAME ARGS...: ss -t ARGS in NS_T into NAME.tcp, tcpx-ss ARGS in NS_X
# into NAME.tcpx.
run() {
	local name=$1
	shift
	# shellcheck disable=SC2068
	ip netns exec "$NS_T" ss -t $@ > "$TMPD/$name.tcp" 2> "$TMPD/$name.tcp.err"
	# shellcheck disable=SC2068
	ip netns exec "$NS_X" "$TCPX_SS" $@ > "$TMPD/$name.tcpx" 2> "$TMPD/$name.tcpx.err"
}

# sorted FILE: the header, then the other lines sorted.
sorted() {
	head -n 1 "$1"
	tail -n +2 "$1" | sort
}

# differ NAME: show both outputs of NAME.
differ() {
	tcpx_show "$TMPD/$1.tcp" "$TMPD/$1.tcpx"
	return 1
}

# The 5003 pair's queues depend on buffer sizes: compared apart.
NOT5003="not sport = :5003 and not dport = :5003"
run an -an "$NOT5003"

same_header() {
	[ "$(head -n 1 "$TMPD/an.tcp")" = "$(head -n 1 "$TMPD/an.tcpx")" ] &&
		head -n 1 "$TMPD/an.tcpx" | grep -q '^State  *Recv-Q Send-Q  *Local Address:Port  *Peer Address:Port *Process' ||
		differ an
}
tcpx_check "the header as ss's, same widths" same_header

same_rows() {
	[ "$(sorted "$TMPD/an.tcp")" = "$(sorted "$TMPD/an.tcpx")" ] &&
		[ "$(wc -l < "$TMPD/an.tcpx")" -ge 12 ] || differ an
}
tcpx_check "-an: the same rows, character for character, as ss -tan's" same_rows

# row FILE STATE RQ SQ LOCAL PEER: FILE has that row.
row() {
	awk -v s="$2" -v r="$3" -v q="$4" -v l="$5" -v p="$6" \
		'$1 == s && $2 == r && $3 == q && $4 == l && $5 == p { f = 1 } END { exit !f }' "$1"
}
queues() {
	local f=$TMPD/an.tcpx
	row "$f" ESTAB 1000 0 127.0.0.1:5000 127.0.0.1:40001 &&
	row "$f" ESTAB 700 0 127.0.0.1:40001 127.0.0.1:5000 &&
	row "$f" ESTAB 3000 0 '[::1]:5001' '[::1]:40002' &&
	row "$f" LISTEN 1 8 127.0.0.1:5000 0.0.0.0:'*' &&
	row "$f" LISTEN 0 8 '[::1]:5001' '[::]:*' &&
	row "$f" TIME-WAIT 0 0 127.0.0.1:40003 127.0.0.1:5000 &&
	row "$f" SYN-RECV 0 0 127.0.0.1:5002 127.0.0.1:40005 &&
	row "$f" ESTAB 0 0 127.0.0.1:40005 127.0.0.1:5002 || differ an
}
tcpx_check "Recv-Q/Send-Q as the scene fixes them; TIME-WAIT, SYN-RECV shown" queues

run p5003 -an "sport = :5003 or dport = :5003"
full_queues() {
	local f
	for f in "$TMPD/p5003.tcp" "$TMPD/p5003.tcpx"; do
		awk '$1 == "ESTAB" && $4 ~ /:5003$/ && $3 > 0 { s = 1 }
		     $1 == "ESTAB" && $4 ~ /:40006$/ && $2 > 0 { r = 1 }
		     END { exit !(s && r) }' "$f" || { differ p5003; return; }
	done
}
tcpx_check "a full receiver: Send-Q and Recv-Q non-zero, as with TCP" full_queues

# names MODE: the field names of -a -n -MODE, socket by socket.
names() {
	local miss="" dev=""
	[ "$1" = i ] && miss=$TCPX_SS_MISSING dev=$TCPX_SS_DEVIATE
	run "n$1" "-an$1"
	python3 "$SCENE" names "$1" "$TMPD/n$1.tcp" "$TMPD/n$1.tcpx" "$miss" "$dev" ||
		differ "n$1"
}
tcpx_check "-i: ss's field names, less those tcpx_info lacks, and known value differences" names i
skmem() {
	names m && grep -qP '^\t skmem:\(r\d+,rb\d+,t\d+,tb\d+,f\d+,w\d+,o\d+,bl\d+,d\d+\)$' "$TMPD/nm.tcpx"
}
tcpx_check "-m: skmem:(r,rb,t,tb,f,w,o,bl,d) where ss prints it" skmem
tcpx_check "-e: uid, ino, sk, cgroup, v6only as ss" names e
tcpx_check "-o: the same timers as ss (timewait, on, ...)" names o
procs() {
	names p && grep -q 'users:(("python3",pid=[0-9]*,fd=[0-9]*)' "$TMPD/np.tcpx"
}
tcpx_check "-p: users:((\"python3\",pid=N,fd=N)) as ss" procs

# keys FILE: state (if shown), local and peer of each socket.
keys() {
	awk 'NR > 1 && !/^\t/ { if ($1 ~ /^[A-Z]/) print $1, $4, $5; else print $3, $4 }' "$1" | sort
}
i=0
for f in "${FILTERS[@]}"; do
	i=$((i + 1))
	same_sel() {
		run "f$i" -n $f
		[ "$(keys "$TMPD/f$i.tcp")" = "$(keys "$TMPD/f$i.tcpx")" ] &&
		[ "$(head -n 1 "$TMPD/f$i.tcp" | tr -s ' ')" = \
		  "$(head -n 1 "$TMPD/f$i.tcpx" | tr -s ' ')" ] || differ "f$i"
	}
	tcpx_check "filter '$f': the sockets ss selects" same_sel
done

# One raw dump of the tcpx sockets (-D, struct tcp_info's layout), shown
# by ss itself (TCPDIAG_FILE) and by tcpx-ss: the same text, to the space.
dumped() {
	ip netns exec "$NS_X" "$TCPX_SS" -a -D "$TMPD/dump" &&
		[ "$(wc -c < "$TMPD/dump")" -gt 1000 ]
}
tcpx_check "-D: a raw dump of the tcpx sockets" dumped
i=0
for o in "${DUMPOPTS[@]}"; do
	i=$((i + 1))
	same_text() {
		# shellcheck disable=SC2086
		ip netns exec "$NS_X" env TCPDIAG_FILE="$TMPD/dump" ss -t $o > "$TMPD/d$i.tcp" 2>/dev/null
		# shellcheck disable=SC2086
		ip netns exec "$NS_X" env TCPDIAG_FILE="$TMPD/dump" "$TCPX_SS" $o > "$TMPD/d$i.tcpx" &&
			cmp -s "$TMPD/d$i.tcp" "$TMPD/d$i.tcpx" && [ "$(wc -l < "$TMPD/d$i.tcp")" -gt 5 ] || {
			diff "$TMPD/d$i.tcp" "$TMPD/d$i.tcpx" | head -n 20 | sed 's/^/# /'
			return 1
		}
	}
	tcpx_check "the dump as ss shows it, byte for byte: $o" same_text
done

noheader() {
	run h -anH
	! grep -q 'Recv-Q' "$TMPD/h.tcpx" &&
		[ "$(sort "$TMPD/h.tcp" | awk '{ print $1, $4, $5 }')" = \
		  "$(sort "$TMPD/h.tcpx" | awk '{ print $1, $4, $5 }')" ] || differ h
}
tcpx_check "-H: the rows without the header" noheader

kill_conn() {
	local line
	ip netns exec "$NS_X" "$TCPX_SS" -K -an src '[::1]:5001' and dst '[::1]:40002' \
		> "$TMPD/kill" 2>&1 || { tcpx_show "$TMPD/kill"; return 1; }
	# It shows what it closed.
	grep -q 'ESTAB .*\[::1\]:5001 *\[::1\]:40002' "$TMPD/kill" || { tcpx_show "$TMPD/kill"; return 1; }
	echo reset >&"$FD_X"
	tcpx_wait_for 10 grep -q '^reset' "$TMPD/scene.253"
	line=$(grep '^reset' "$TMPD/scene.253")
	echo "# peer: $line"
	[ "$line" = "reset ECONNRESET" ] &&
		! ip netns exec "$NS_X" "$TCPX_SS" -an | grep -q '\[::1\]:5001 *\[::1\]:40002'
}
tcpx_check "-K: the connection is reset, the peer sees ECONNRESET" kill_conn

for b in "${BAD[@]}"; do
	refused() {
		# shellcheck disable=SC2086
		ip netns exec "$NS_X" "$TCPX_SS" $b > "$TMPD/bad.out" 2> "$TMPD/bad.err"
		local rc=$?
		[ $rc -ne 0 ] && [ -s "$TMPD/bad.err" ] && [ ! -s "$TMPD/bad.out" ] || {
			echo "# exit $rc"
			tcpx_show "$TMPD/bad.out" "$TMPD/bad.err"
			return 1
		}
		sed 's/^/# /' "$TMPD/bad.err" | head -n 1
	}
	tcpx_check "refused with a message: tcpx-ss $b" refused
done

ktap_finished
