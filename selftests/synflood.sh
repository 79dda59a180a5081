#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SYN flood defence: the bounded SYN queue, SYN cookies, synack_retries and
# accept-queue overflow.  Three namespaces (tcpx_topo_flood):
#
#   [ cli ] 10.0.1.1 ---- 10.0.1.2 [ srv ] 10.0.3.2 ---- 10.0.3.1 [ fld ]
#     real clients          listener :8080          tcpx-synflood, SYNs
#     (tcpx-synflood probe) (tcpx-synflood serve)   from 10.99.0.0/16
#
# The server routes 10.99.0.0/16 back to fld, which blackholes it: SYN+ACKs
# to forged sources die there.  The flood runs at the highest rate the VM
# sustains (--rate 0).  First it must work (cookies off: real clients fail),
# then the defence (cookies on: at least 99% of real connects succeed).
# Cookies are then forged by syncookie_ack.py from 10.0.1.200, an address no
# namespace owns (the server has a static neighbour entry for it), so no
# stack answers in its place: a wrong cookie, a cookie for another 4-tuple
# and one older than two clock periods (net.tcpx.syncookie_period set to
# 2 s) must be refused, every MSS of the cookie table must survive, and the
# data in the third ACK must arrive.
#
# The defence over IPv6 last (tcpx_topo_ipv6: the server fd00:1::2, the
# client fd00:1::1, forged sources in fd00:99::/64 behind fd00:3::1): a
# listener on [::], a flood of forged IPv6 SYNs, real IPv6 clients as in
# the IPv4 test (the same code, cookie_defence), and IPv4 clients under
# that flood, v4-mapped on the same dual-stack listener, through cookies
# too.
. "$(dirname "$0")/tcpx_lib.sh"

FLOOD=${TCPX_SYNFLOOD:-$TCPX_SELFTESTS/tcpx-synflood}
ACK=$TCPX_SELFTESTS/syncookie_ack.py
SRV=10.0.1.2:8080
FAKE=10.0.1.200

tcpx_require ip awk /usr/bin/python3
tcpx_require_module
tcpx_require_built "$FLOOD"

if [ "$TCPX_SLOW" = 1 ]; then
	REAL=200	# real connects under flood (stock: the issue's 1000)
	REAL4=20	# IPv4 ones to the [::] listener under the IPv6 flood
	ATTACKED=4	# real connects against the flood with cookies off
	SLABSECS=15
else
	REAL=1000
	REAL4=100
	ATTACKED=6
	SLABSECS=15
fi

ktap_print_header
ktap_set_plan 17
tcpx_topo_flood || ktap_exit_fail_msg "topology"
tcpx_topo_ipv6 || ktap_exit_fail_msg "IPv6 topology"

sysctl_srv() { ip netns exec "$NS_SRV" sh -c "echo $2 > /proc/sys/net/tcpx/$1"; }
stat_srv() { tcpx_stat "$NS_SRV" "$1"; }
# synrecv_none [PORT]: no request (SYN-RECV) left on PORT's listener.
synrecv_none() { [ "$(synrecv_count "$@")" = 0 ]; }
# above NAME VALUE: the server's counter NAME is above VALUE.
above() { [ "$(stat_srv "$1")" -gt "$2" ]; }
synrecv_count() {	# [PORT]
	ip netns exec "$NS_SRV" awk -v p=":$(printf %04X "${1:-8080}")" \
		'NR > 1 && $4 == "03" && substr($2, 9) == p { n++ } END { print n + 0 }' /proc/net/tcpx
}

SERVE_PID=
serve_start() {		# [BACKLOG [PORT [ANY]]]: ANY 0.0.0.0 or [::]
	ip netns exec "$NS_SRV" "$FLOOD" serve --bind "${3:-0.0.0.0}:${2:-8080}" \
		--backlog "${1:-128}" --seconds 900 > /tmp/synflood-serve.$$ &
	SERVE_PID=$!
	TCPX_PIDS+=("$SERVE_PID")
	tcpx_wait_for 10 grep -q listening /tmp/synflood-serve.$$
}
serve_stop() {
	kill "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	rm -f /tmp/synflood-serve.$$
}

FLOOD_PID=
flood_start() {		# SECONDS [DST NET]
	ip netns exec "$NS_FLD" "$FLOOD" flood --dst "${2:-$SRV}" --src "${3:-$TCPX_FLOOD_NET}" \
		--rate 0 --seconds "$1" > /tmp/synflood-flood.$$ &
	FLOOD_PID=$!
	TCPX_PIDS+=("$FLOOD_PID")
}
flood_stop() {
	kill "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
	cat /tmp/synflood-flood.$$ 2>/dev/null | sed 's/^/# /'
	rm -f /tmp/synflood-flood.$$
}

# probe COUNT TIMEOUT_MS [DST]: sets OK and FAIL from a probe run.
probe() {
	local out
	out=$(ip netns exec "$NS_CLI" "$FLOOD" probe --dst "${3:-$SRV}" --count "$1" \
		--timeout "$2" --seconds 200)
	echo "# $out"
	OK=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$out")
	FAIL=$(sed -n 's/.* fail=\([0-9]*\).*/\1/p' <<<"$out")
	OK=${OK:-0} FAIL=${FAIL:-$1}
}

# 1, 2: the SYN queue is bounded by min(backlog 128, max_syn_backlog 64);
# the attack works with cookies off.
sysctl_srv syncookies 0
sysctl_srv max_syn_backlog 64
serve_start 128 || ktap_exit_fail_msg "server did not start"
# First 192 SYNs in a burst: exactly 64 are kept, 128 dropped (under a
# sustained flood the reqsk timer prunes old requests early, so a count
# taken then says less about the bound).
drops0=$(stat_srv ListenDrops)
ip netns exec "$NS_FLD" "$FLOOD" flood --dst $SRV --src "$TCPX_FLOOD_NET" \
	--count 192 --rate 2000 > /dev/null
sleep 0.5
qlen=$(synrecv_count)
drops1=$(stat_srv ListenDrops)
echo "# 192 SYNs: $qlen SYN-RECV requests kept, ListenDrops +$((drops1 - drops0))"
tcpx_check "SYN queue bounded by min(backlog 128, max_syn_backlog 64): $qlen kept, the rest dropped and counted" \
	test "$qlen" = 64 -a "$((drops1 - drops0))" = 128
drops0=$drops1
flood_start 60
# The flood is on when the full queue drops its SYNs.
tcpx_wait_for 10 above ListenDrops "$drops0"
probe "$ATTACKED" 1500
flood_stop
drops1=$(stat_srv ListenDrops)
echo "# syncookies=0: $OK of $ATTACKED real connects made it; ListenDrops +$((drops1 - drops0))"
tcpx_check "syncookies=0 under flood: real clients mostly fail ($OK of $ATTACKED connect)" \
	test "$((OK * 3))" -le "$ATTACKED" -a "$((drops1 - drops0))" -gt 1000
serve_stop
# The first flood's requests die with their closed listener (their timers
# find it gone); the next listener starts with an empty SYN queue.
echo "# t=${SECONDS}s"
# cookie_defence 4|6: with syncookies=1, a listener on 8080 (0.0.0.0, or
# [::] for 6) and, under a flood of forged SYNs of that family, REAL real
# connects of it one after the other: at least 99% exchange data, and
# they came through cookies (SyncookiesSent grows past REAL with the
# flood's, SyncookiesRecv by at least half of REAL: only real clients
# answer).  With 6 then REAL4 IPv4 clients under the same flood, to the
# same dual-stack listener: at least 99% too, and through cookies.  The
# listener stays up.
cookie_defence() {
	local dst=$SRV net=$TCPX_FLOOD_NET any=0.0.0.0 v= sent0 recv0 sent1 recv1 recv2 ok
	if [ "$1" = 6 ]; then
		dst="[$TCPX_SRV6]:8080" net=$TCPX_FLOOD_NET6 any="[::]" v="IPv6: "
	fi
	sysctl_srv syncookies 1
	serve_start 128 8080 "$any" || ktap_exit_fail_msg "server did not start"
	sent0=$(stat_srv SyncookiesSent)
	recv0=$(stat_srv SyncookiesRecv)
	flood_start 300 "$dst" "$net"
	# The flood has filled the SYN queue when cookies go out.
	tcpx_wait_for 10 above SyncookiesSent "$sent0"
	probe "$REAL" 3000 "$dst"
	ok=$OK
	recv1=$(stat_srv SyncookiesRecv)
	[ "$1" = 6 ] && probe "$REAL4" 3000 "$SRV"
	recv2=$(stat_srv SyncookiesRecv)
	flood_stop
	sent1=$(stat_srv SyncookiesSent)
	echo "# ${v}syncookies=1: SyncookiesSent +$((sent1 - sent0)) SyncookiesRecv +$((recv1 - recv0))"
	tcpx_check "${v}syncookies=1 under flood: $ok of $REAL real connects exchange data (>= 99%)" \
		test "$((ok * 100))" -ge "$((REAL * 99))"
	tcpx_check "${v}syncookies=1: SyncookiesSent and SyncookiesRecv rise (the real clients came through cookies)" \
		test "$((sent1 - sent0))" -gt "$REAL" -a "$((recv1 - recv0))" -ge "$((REAL / 2))"
	[ "$1" = 6 ] || return 0
	echo "# IPv4 clients to [::]: SyncookiesRecv +$((recv2 - recv1))"
	tcpx_check "IPv4 clients under the IPv6 flood reach the [::] listener through cookies: $OK of $REAL4 (>= 99%)" \
		test "$((OK * 100))" -ge "$((REAL4 * 99))" -a "$((recv2 - recv1))" -ge "$((REAL4 / 2))"
}
# 3, 4: the defence.
cookie_defence 4

echo "# t=${SECONDS}s"
# 5: syncookies=2, no flood: every SYN gets a cookie, no request is kept.
sleep 1
sysctl_srv syncookies 2
sent0=$(stat_srv SyncookiesSent)
recv0=$(stat_srv SyncookiesRecv)
probe 20 3000
sent1=$(stat_srv SyncookiesSent)
recv1=$(stat_srv SyncookiesRecv)
echo "# syncookies=2: SyncookiesSent +$((sent1 - sent0)) SyncookiesRecv +$((recv1 - recv0))"
tcpx_check "syncookies=2 without flood: 20 connects, 20 cookies sent and received" \
	test "$OK" = 20 -a "$((sent1 - sent0))" -ge 20 -a "$((recv1 - recv0))" -ge 20

echo "# t=${SECONDS}s"
# 6-10: forged ACKs from $FAKE.
mac=$(ip -n "$NS_CLI" -o link show veth-c | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$NS_SRV" neigh replace $FAKE lladdr "$mac" dev veth-s nud permanent
T=/sys/kernel/tracing
[ -d $T/events/tcpx ] || mount -t tracefs nodev $T 2>/dev/null
if [ -e $T/events/tcpx/tcpx_syncookie/enable ]; then
	echo > $T/trace
	echo 1 > $T/events/tcpx/tcpx_syncookie/enable
	echo 1 > $T/tracing_on
fi
forge() { ip netns exec "$NS_CLI" /usr/bin/python3 "$ACK" --dev veth-c --src $FAKE --dst $SRV "$@"; }
# reject DESCRIPTION ARGS...: the ACK gets a RST, SyncookiesFailed +1,
# SyncookiesRecv unchanged, no new connection.
reject() {
	local desc=$1 out f0 f1 r0 r1 e0 e1
	shift
	f0=$(stat_srv SyncookiesFailed) r0=$(stat_srv SyncookiesRecv)
	e0=$(stat_srv PassiveOpens)
	out=$(forge "$@")
	f1=$(stat_srv SyncookiesFailed) r1=$(stat_srv SyncookiesRecv)
	e1=$(stat_srv PassiveOpens)
	echo "# $desc: $(tr '\n' ' ' <<<"$out") SyncookiesFailed +$((f1 - f0)) Recv +$((r1 - r0)) PassiveOpens +$((e1 - e0))"
	tcpx_check "$desc: reset, counted, nothing created" \
		test "$(tail -n1 <<<"$out")" = rst -a "$((f1 - f0))" = 1 \
		-a "$((r1 - r0))" = 0 -a "$((e1 - e0))" = 0
}
reject "wrong cookie" --ack-xor 0x00800000
reject "cookie of another 4-tuple" --other-port
sysctl_srv syncookie_period 2
reject "cookie older than two clock periods (period 2 s, ACK after 4.5 s)" --wait 4.5
sysctl_srv syncookie_period 64

# Every MSS of the table (and values between) and data in the third ACK.
r0=$(stat_srv SyncookiesRecv)
out=$(forge --mss 1460,1440,1300,536,1459,1000,100 --data 1460)
r1=$(stat_srv SyncookiesRecv)
sed 's/^/# /' <<<"$out"
got=$(awk '$1 == "data" { printf "%s%s:%s", sep, $2, $3; sep = " " }' <<<"$out")
echo "# first echoed segment per MSS: $got; SyncookiesRecv +$((r1 - r0))"
tcpx_check "every MSS of the cookie table survives; the third ACK's data arrives" \
	test "$got" = "1460:ok 1440:ok 1300:ok 536:ok 1440:ok 536:ok 536:ok" -a "$((r1 - r0))" = 7

if [ -e $T/events/tcpx/tcpx_syncookie/enable ]; then
	echo 0 > $T/events/tcpx/tcpx_syncookie/enable
	tr_sent=$(grep -c 'tcpx_syncookie:.* sent mss=' $T/trace)
	tr_acc=$(grep -c 'tcpx_syncookie:.* accepted mss=' $T/trace)
	tr_rej=$(grep -c 'tcpx_syncookie:.* rejected mss=0' $T/trace)
	echo "# tcpx_syncookie: sent $tr_sent accepted $tr_acc rejected $tr_rej"
	grep -m3 'tcpx_syncookie:' $T/trace | sed 's/^ */# /'
	tcpx_check "tcpx_syncookie traces each outcome (sent 10, accepted 7, rejected 3)" \
		test "$tr_sent" = 10 -a "$tr_acc" = 7 -a "$tr_rej" = 3
else
	ktap_test_skip "tcpx_syncookie tracepoint: no tracefs"
fi

echo "# t=${SECONDS}s"
# 11: the module's slab stays flat during a long flood with cookies
# engaged: syncookies=2, so no SYN takes a request sock (with 1, the full
# SYN queue's requests expire and are replaced during the flood: churn that
# KASAN's quarantine on the debug kernel would show as growth).
slab_bytes() {
	awk '$1 ~ /TCPX/ { b += $3 * $4 } END { print b + 0 }' /proc/slabinfo
}
sysctl_srv syncookies 2
sent0=$(stat_srv SyncookiesSent)
flood_start "$SLABSECS"
sleep 4
base=$(slab_bytes)
peak=$base
while kill -0 "$FLOOD_PID" 2>/dev/null; do
	b=$(slab_bytes)
	[ "$b" -gt "$peak" ] && peak=$b
	sleep 1
done
flood_stop
sent1=$(stat_srv SyncookiesSent)
grep TCPX /proc/slabinfo | awk '{ print "# slab", $1, $2, $3, $4 }'
echo "# slab bytes after 4 s: $base, peak after: $peak; cookies sent: $((sent1 - sent0))"
tcpx_check "slab flat during a ${SLABSECS} s flood with cookies (grew $((peak - base)) bytes)" \
	test "$((peak - base))" -le 16384 -a "$((sent1 - sent0))" -gt "$REAL"

echo "# t=${SECONDS}s"
# 12: synack_retries: one forged SYN, whose SYN+ACKs go to the blackhole:
# sent at 0 s, again at 1 s and 3 s, dropped at 7 s with synack_retries=2
# (the default 5 would resend at 7 s and keep it).  A new port: the flood's
# requests (on 8080) die with their listener and resend nothing.
serve_stop
sysctl_srv syncookies 0
sysctl_srv synack_retries 2
serve_start 128 8081
rt0=$(stat_srv RetransSegs)
ip netns exec "$NS_FLD" "$FLOOD" flood --dst 10.0.1.2:8081 --src "$TCPX_FLOOD_NET" --count 1 >/dev/null
sleep 0.5
held=$(synrecv_count 8081)
# The request's end, polled (a test of the count taken once would only
# sleep the 15 s).
tcpx_wait_for 15 synrecv_none 8081
rt1=$(stat_srv RetransSegs)
echo "# request held: $held; SYN+ACK retransmissions: $((rt1 - rt0))"
tcpx_check "synack_retries=2: the SYN+ACK goes 1+2 times, then the request is dropped" \
	test "$held" = 1 -a "$((rt1 - rt0))" = 2 -a "$(synrecv_count 8081)" = 0
sysctl_srv synack_retries 5
serve_stop

echo "# t=${SECONDS}s"
# 13: accept-queue overflow: a listener (backlog 1) nobody accepts from.
tcpx_hold _ "$NS_SRV" -- -r -b 0.0.0.0:8082 -l 1 -H ||
	ktap_exit_fail_msg "tcpx_sock did not listen"
o0=$(stat_srv ListenOverflows) d0=$(stat_srv ListenDrops)
ip netns exec "$NS_CLI" "$FLOOD" probe --dst 10.0.1.2:8082 --count 4 --timeout 1000 --bytes 1 > /dev/null
o1=$(stat_srv ListenOverflows) d1=$(stat_srv ListenDrops)
tcpx_release
echo "# accept queue full: ListenOverflows +$((o1 - o0)) ListenDrops +$((d1 - d0))"
tcpx_check "accept-queue overflow counted in ListenOverflows and ListenDrops" \
	test "$((o1 - o0))" -ge 1 -a "$((d1 - d0))" -ge "$((o1 - o0))"

echo "# t=${SECONDS}s"
# 14: a cookie's SYN+ACK advertises the window a request sock's does (one
# formula, as TCP's tcp_openreq_init_rwin() serves both), the rcv_wnd its
# child keeps.  The same forged SYN (MSS only: no window scale) with
# syncookies=1 and an empty SYN queue, then with syncookies=2, to a
# listener whose buffer (net.core.rmem_default, global, for its creation
# only) makes that window less than 65535.
rmem=$(cat /proc/sys/net/core/rmem_default)
echo 131072 > /proc/sys/net/core/rmem_default
serve_start 128 8083
echo "$rmem" > /proc/sys/net/core/rmem_default
sysctl_srv syncookies 1
w_req=$(forge --dst 10.0.1.2:8083 | awk '$1 == "synack" { sub("win=", "", $4); print $4 }')
sysctl_srv syncookies 2
w_ck=$(forge --dst 10.0.1.2:8083 | awk '$1 == "synack" { sub("win=", "", $4); print $4 }')
sysctl_srv syncookies 0
serve_stop
echo "# SYN+ACK window: request sock $w_req, cookie $w_ck"
tcpx_check "a cookie's SYN+ACK window is a request sock's" \
	test -n "$w_req" -a "$w_req" = "$w_ck"

echo "# t=${SECONDS}s"
# 15, 16, 17: the defence over IPv6, and IPv4 clients to its listener.
cookie_defence 6
serve_stop
sysctl_srv syncookies 0

echo "# t=${SECONDS}s"
ktap_finished
