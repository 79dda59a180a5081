#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RTT estimation and congestion control.
#
# 1. RTT: netem delays the server's segments (the ACKs) by D = 100 ms; 4 s
#    of sending at 256 KiB/s (paced by the application: a bulk transfer
#    under TCG saturates the CPU and the queues, and measures those), once
#    over the family under test and once over Linux TCP, on the same path.
#    The client's tcpi_rtt and tcpi_rto (TCPX_INFO / TCP_INFO, µs) are
#    sampled every 50 ms from the first second on.  No RTT is shorter than
#    the path: the smoothed RTT never goes below D (less 1 % for clock
#    granularity); its median must be within 0.8 to 1.25 times TCP's median
#    (a loaded host stalls the guest now and then, and both smoothed RTTs
#    wander with it: the median is what the estimator converged to), and
#    so must the median RTO; tcpi_rto must be above the last sample.
#
# 2-5. Fairness on a shared bottleneck: two flows from the client to the
#    server through the router, whose egress towards the server is a tbf of
#    RATE with 20 ms of netem delay on the way back, run for DUR seconds
#    side by side.  The bytes each receiver counted must give Jain's index
#    (a+b)^2 / 2(a^2+b^2) >= 0.8 (the smaller flow at least 1/3 of the
#    larger), for two flows of the family under test, and for one flow of
#    it next to one Linux TCP flow (tcpx must not starve TCP: TCP's share
#    must also be at least 1/4 of the total).  Both transfers are checked
#    byte for byte, and together they must deliver at least 60% of RATE
#    (TCP: about 90%).  SO_SNDBUF 64 KiB, so that both stop soon after DUR.
#
#   [ $NS_CLI ] 10.0.1.1 -- 10.0.1.2 [ $NS_RTR ] 10.0.2.1 --tbf--> 10.0.2.2 [ $NS_SRV ]
#
# RATE 4 Mbit/s (TCG-emulated tcpx and TCP both fill it), DUR 12 s on the
# stock lane and 20 s with TCPX_SLOW=1.  Linux TCP passes it in 80 s on
# the stock lane, 115 s on the debug one.
#
#   congestion.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/xfer_lib.sh"

RATE=4mbit
D_MS=100
if [ "$TCPX_SLOW" = 1 ]; then
	DUR=20
	T=120
else
	DUR=12
	T=60
fi
SRV2=10.0.2.2

xfer_require
ktap_print_header
ktap_set_plan 5

# --- 1. RTT
tcpx_topo_pair || ktap_exit_fail_msg "cannot build the topology"
ktap_print_msg "family $FAMILY"

# rtt_run NAME FAMILY: the paced transfer of FAMILY over the delayed path,
# checked; sets RTT_MED, RTT_MIN, RTO_MED (µs, samples from 1 s on), and
# says what it saw.
rtt_run() {
	local name=$1 c=$XFER_TMP/$1.cli n
	FAMILY=$2 xfer_start "$name" -- -t "$T" -d 4 -m 0 || return 1
	FAMILY=$2 xfer_client "$name" "$T" -- -d 4 -m 0 -r 256K -v
	xfer_wait_server "$name" "$XFER_START_WAIT"
	xfer_checked "$name" || return 1
	# shellcheck disable=SC2016 # awk's own $i
	awk '$1 == "sample" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["t"] >= 1 && v["rtt"] > 0) print v["rtt"], v["rto"]
	}' "$c" > "$XFER_TMP/$name.rtt"
	n=$(wc -l < "$XFER_TMP/$name.rtt")
	RTT_MED=$(cut -d' ' -f1 "$XFER_TMP/$name.rtt" | tcpx_median)
	RTT_MIN=$(cut -d' ' -f1 "$XFER_TMP/$name.rtt" | sort -n | head -n 1)
	RTO_MED=$(cut -d' ' -f2 "$XFER_TMP/$name.rtt" | tcpx_median)
	echo "# $2: tcpi_rtt median $RTT_MED us, lowest $RTT_MIN us, last $(kv "$c" rtt) us;" \
		"tcpi_rto median $RTO_MED us, last $(kv "$c" rto) us ($n samples)"
	[ -n "$RTT_MED" ] && [ -n "$RTO_MED" ] && [ "$(kv "$c" rto)" -gt "$(kv "$c" rtt)" ]
}

rtt_converges() {
	local x_med x_min x_rto rc=0
	netem "$NS_SRV" veth-s delay "${D_MS}ms" || return 1
	rtt_run rtt "$FAMILY" || rc=1
	x_med=$RTT_MED x_min=$RTT_MIN x_rto=$RTO_MED
	rtt_run rtt-tcp tcp || rc=1
	netem "$NS_SRV" veth-s
	[ $rc = 0 ] || return 1
	awk -v d=$((D_MS * 1000)) -v m="$x_med" -v lo="$x_min" -v o="$x_rto" \
		-v tm="$RTT_MED" -v to="$RTO_MED" -v f="$FAMILY" 'BEGIN {
		printf "# %s/TCP: median tcpi_rtt %.2f, median tcpi_rto %.2f; lowest tcpi_rtt %.3f D\n",
			f, m / tm, o / to, lo / d
		exit !(lo >= 0.99 * d && m >= 0.8 * tm && m <= 1.25 * tm &&
		       o >= 0.8 * to && o <= 1.25 * to)
	}'
}
check "tcpi_rtt converges to the path's delay ($D_MS ms), as TCP's on the same path" rtt_converges
tcpx_cleanup

# --- 2, 3. Fairness
tcpx_topo_router || ktap_exit_fail_msg "cannot build the router topology"
if ! tc -n "$NS_RTR" qdisc replace dev veth-rs root tbf rate "$RATE" burst 8kb latency 100ms ||
   ! tc -n "$NS_RTR" qdisc replace dev veth-rc root netem delay 20ms; then
	ktap_exit_fail_msg "cannot set up the bottleneck"
fi

# share FAM_A FAM_B: two flows side by side; prints and checks the shares.
share() {
	local fa=$1 fb=$2 name pa pb ca cb a b rc=0
	name=share-$fa-$fb
	FAMILY=$fa xfer_start "$name-a" "$NS_SRV" "$SRV2" -- -t "$T" -d "$DUR" -m 0 -s 11 || return 1
	pa=$XFER_SRV_PID
	FAMILY=$fb xfer_start "$name-b" "$NS_SRV" "$SRV2" -- -t "$T" -d "$DUR" -m 0 -s 13 || return 1
	pb=$XFER_SRV_PID
	timeout -k 5 "$T" ip netns exec "$NS_CLI" "$TCPX_XFER" -f "$fa" -c "$SRV2" \
		-p $((XFER_PORT - 1)) -t "$T" -d "$DUR" -m 0 -s 11 -S 64K > "$XFER_TMP/$name-a.cli" 2>&1 &
	ca=$!
	timeout -k 5 "$T" ip netns exec "$NS_CLI" "$TCPX_XFER" -f "$fb" -c "$SRV2" \
		-p "$XFER_PORT" -t "$T" -d "$DUR" -m 0 -s 13 -S 64K > "$XFER_TMP/$name-b.cli" 2>&1 &
	cb=$!
	wait "$ca" "$cb"
	XFER_SRV_PID=$pa xfer_wait_server "$name-a" "$XFER_START_WAIT"
	XFER_SRV_PID=$pb xfer_wait_server "$name-b" "$XFER_START_WAIT"
	xfer_checked "$name-a" || rc=1
	xfer_checked "$name-b" || rc=1
	a=$(kv "$XFER_TMP/$name-a.srv" rcvd)
	b=$(kv "$XFER_TMP/$name-b.srv" rcvd)
	[ -n "$a" ] && [ -n "$b" ] || return 1
	SHARE_TOTAL=$((a + b))
	awk -v a="$a" -v b="$b" -v fa="$fa" -v fb="$fb" -v d="$DUR" 'BEGIN {
		j = (a + b) ^ 2 / (2 * (a * a + b * b) + 1e-9)
		printf "# %s %.0f kbit/s, %s %.0f kbit/s, Jain %.3f, %s share %.2f\n",
			fa, a * 8 / d / 1000, fb, b * 8 / d / 1000, j, fb, b / (a + b + 1e-9)
		exit !(j >= 0.8 && b / (a + b + 1e-9) >= 0.25)
	}' || rc=1
	return $rc
}
# utilised: the two flows together delivered at least 60% of RATE over
# DUR (congestion control that collapses wastes the link; TCP: ~90%).
utilised() {
	awk -v t="${SHARE_TOTAL:-0}" -v d="$DUR" -v r="${RATE%mbit}" 'BEGIN {
		u = t * 8 / d / (r * 1000000)
		printf "# together %.0f kbit/s, %.0f%% of the link\n", t * 8 / d / 1000, u * 100
		exit !(u >= 0.6)
	}'
}

SHARE_TOTAL=0
check "two $FAMILY flows share a $RATE bottleneck fairly" share "$FAMILY" "$FAMILY"
check "two $FAMILY flows use at least 60% of the bottleneck" utilised
SHARE_TOTAL=0
check "a $FAMILY flow does not starve a TCP flow on a $RATE bottleneck" share "$FAMILY" tcp
check "a $FAMILY flow and a TCP flow use at least 60% of the bottleneck" utilised

ktap_finished
