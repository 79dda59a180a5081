#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reliable delivery over a bad path: checked transfers both ways at once
# under netem loss, reordering, duplication, corruption, all of them with
# jittered delay, and a 3 s burst of 50% loss mid-transfer; a link that
# goes silent for 5 s and comes back; a link that stays silent (ETIMEDOUT
# after retries2, after syn_retries for a SYN, after TCPX_USER_TIMEOUT
# when set).
#
#   [ $NS_CLI ] 10.0.1.1 veth-c ---- netem ---- veth-s 10.0.1.2 [ $NS_SRV ]
#      tcpx_xfer client  <== seeded streams both ways ==>  tcpx_xfer server
#
# The same netem on both ends, so data and ACKs both suffer.  Each transfer
# is checked byte for byte (tcpx_xfer compares with the stream it expects,
# and each end's hash of what it sent must equal the other's of what came).
#
# The profile with everything runs over IPv6 as well (fd00:1::1 and
# fd00:1::2 on the same link, tcpx_topo_ipv6): tcpx's IPv6 sockets, and
# Linux TCP's AF_INET6 ones for its bounds, measured in the same run
# (about 25 s more on the stock lane, 15 s on the debug one: SIZE_SLOW).
#
# Sizes (each way, per profile): SIZE, and SIZE_SLOW for the profile with
# everything and 20 ms delay.  Stock lane 4 MiB and 1 MiB, TCPX_SLOW=1
# 1 MiB and 256 KiB; TCPX_XFER_SIZE / TCPX_XFER_SIZE_SLOW override (the
# issue's 32M can be asked for that way).  Not 32 MiB by default: under
# QEMU/TCG on a loaded 2-core host Linux TCP needed 8-12 s for 4 MiB each
# way at 10% loss and 9-14 s for 1 MiB under everything at once (32 MiB:
# about 1.5 and 5 minutes), and the whole script takes TCP about 130 s on
# the stock lane and 215 s on the debug one.  Each transfer gets T
# seconds (45, 60 with TCPX_SLOW=1: several times TCP's worst); the
# bounds are the same on both lanes.
#
#   reliability.sh [-f tcp|tcpx]      (TCPX_FAMILY; default tcpx)
. "$(dirname "$0")/xfer_lib.sh"

if [ "$TCPX_SLOW" = 1 ]; then
	SIZE=${TCPX_XFER_SIZE:-1M}
	SIZE_SLOW=${TCPX_XFER_SIZE_SLOW:-256K}
	T=60
else
	SIZE=${TCPX_XFER_SIZE:-4M}
	SIZE_SLOW=${TCPX_XFER_SIZE_SLOW:-1M}
	T=45
fi
# The burst and silence tests limit the link so that SIZE takes about 4 s,
# and begin 0.5 s after the connection is established.
RATE=$(awk -v s="$(numfmt --from=iec "$SIZE")" 'BEGIN { printf "%dkbit", s * 8 / 4 / 1000 }')

xfer_require
ktap_print_header
ktap_set_plan 18
tcpx_topo_pair || ktap_exit_fail_msg "cannot build the topology"
tcpx_topo_ipv6 || ktap_exit_fail_msg "cannot add IPv6 to the topology"
# Permanent neighbours: a silenced link must not leave ARP failed behind
# for the next test (EHOSTUNREACH instead of the timeout under test), nor
# may netem's losses hit neighbour discovery.
mac_s=$(ip -n "$NS_SRV" -br link show veth-s | awk '{ print $3 }')
mac_c=$(ip -n "$NS_CLI" -br link show veth-c | awk '{ print $3 }')
for a in "$SRV" "$TCPX_SRV6"; do
	ip -n "$NS_CLI" neigh replace "$a" dev veth-c nud permanent lladdr "$mac_s"
done
for a in "$CLI" "$TCPX_CLI6"; do
	ip -n "$NS_SRV" neigh replace "$a" dev veth-s nud permanent lladdr "$mac_c"
done
ktap_print_msg "family $FAMILY, $SIZE / $SIZE_SLOW each way, burst and silence at $RATE"

# and_tcp CMD NAME ARGS...: CMD NAME ARGS..., then the same over Linux TCP
# as NAME.tcp, efficient()'s reference; the status of the first.
and_tcp() {
	local cmd=$1 name=$2 rc
	shift 2
	"$cmd" "$name" "$@"
	rc=$?
	FAMILY=tcp "$cmd" "$name.tcp" "$@"
	return $rc
}

# profile NAME SIZE NETEM...: a checked transfer under NETEM both ways,
# then Linux TCP's on the same path (NAME.tcp).
profile() {
	local name=$1 size=$2 rc
	shift 2
	netem_both "$@" || return 1
	and_tcp xfer "$name" "$T" -n "$size" -s "$((XFER_PORT + 1))"
	rc=$?
	netem_both
	return $rc
}

# efficient NAME RERUN...: retransmissions per delivered segment (both
# ends, from TCP(X)_INFO) at most max(2x TCP's on the same path in this
# run, TCP's + EFF_ABS per 1000).  Go-back-N resends whole windows for
# every loss: a mutated tcpx did 621 per 1000 at 10% loss (TCP 137), 185
# under reordering (TCP 21), 155 at 1% corruption (TCP 0.2); the module
# 138, 0.5 and 9.  EFF_ABS is 50 because TCP itself varies that much under
# reordering (15 and 54 in one TCP-mode run; 0 and 71 on the debug lane).
# A pair that misses the bound is not judged alone: RERUN (a command that
# takes a name) measures a second pair, NAME.2 and NAME.2.tcp, and the
# bound applies to the counts of both pairs pooled.  Small samples (256K
# on the debug lane: one retransmission is 2.8 per 1000) then weigh twice
# as much data; a go-back-N module misses the pooled bound as it missed
# the first.
EFF_ABS=50
efficient() {
	local name=$1 f t
	shift
	f=$(eff_rate "$name") && t=$(eff_rate "$name.tcp") || return 1
	echo "# $name: retransmitted per 1000 segments: $(fam_name) $f, tcp $t"
	eff_within "$f" "$t" && return 0
	echo "# $name: outside the bound: a second pair, pooled with the first"
	"$@" "$name.2" || return 1
	f=$(eff_rate "$name" "$name.2") && t=$(eff_rate "$name.tcp" "$name.2.tcp") || return 1
	echo "# $name + $name.2: retransmitted per 1000 segments: $FAMILY $f, tcp $t"
	eff_within "$f" "$t"
}

eff_within() {
	awk -v f="$1" -v t="$2" -v a="$EFF_ABS" 'BEGIN { exit !(f <= 2 * t || f <= t + a) }'
}

# eff_rate NAME...: the transfers' retransmissions per 1000 delivered
# segments, pooled.
eff_rate() {
	local name r=0 s=0 c
	for name in "$@"; do
		c=$(xfer_retrans_counts "$name") || {
			echo "# $name: no retransmission count (transfer failed?)" >&2
			return 1
		}
		r=$((r + ${c% *})) s=$((s + ${c#* }))
	done
	awk -v r="$r" -v s="$s" 'BEGIN { printf "%.1f", r * 1000 / s }'
}

# profile_as SIZE NETEM... NAME: profile() with the name last (efficient()'s
# RERUN).
profile_as() {
	local args=("$@")
	profile "${args[-1]}" "${args[@]:0:$#-1}"
}

# NAME|AF|DESCRIPTION|SIZE|NETEM: AF 4 or 6 (xfer_af), the IPv6 points'
# descriptions begin with "IPv6: ".
ALL="delay 20ms 10ms loss 10% duplicate 10% corrupt 1% reorder 25% 50%"
ALL_DESC="loss, reordering, duplication, corruption, 20 +- 10 ms, $SIZE_SLOW each way"
for p in "loss|4|10% loss, $SIZE each way|$SIZE|loss 10%" \
	 "reorder|4|25% reordering with 10 ms delay, $SIZE each way|$SIZE|delay 10ms reorder 25% 50%" \
	 "dup|4|10% duplication, $SIZE each way|$SIZE|duplicate 10%" \
	 "corrupt|4|1% corruption, $SIZE each way|$SIZE|corrupt 1%" \
	 "all|4|$ALL_DESC|$SIZE_SLOW|$ALL" \
	 "all6|6|IPv6: $ALL_DESC|$SIZE_SLOW|$ALL"; do
	IFS='|' read -r name af desc size args <<< "$p"
	# shellcheck disable=SC2086 # netem's arguments
	check "$desc" xfer_af "$af" profile "$name" "$size" $args
	# shellcheck disable=SC2086
	check "$desc: retransmissions within max(2x, +$EFF_ABS/1000) of TCP's" \
		xfer_af "$af" efficient "$name" profile_as "$size" $args
done

# is_num VALUE: VALUE is a non-negative integer (an empty one is not).
is_num() {
	[[ $1 =~ ^[0-9]+$ ]]
}

# impair NAME SECONDS NETEM...: in the background, 0.5 s after NAME's
# connection is up, NETEM on both ends for SECONDS, then the clean link
# again; $XFER_TMP/NAME.imp says "running" if the client had not finished
# by then.  Between the connection and the impairment run no processes
# but tc (each takes seconds on the debug lane).
impair() {
	local name=$1 secs=$2
	shift 2
	while :; do
		xfer_server_up
		case $? in
		0) break ;;
		2) return ;;	# the server is gone
		esac
		sleep 0.1
	done
	sleep 0.5
	netem_both rate "$RATE" limit 10000 "$@"
	sleep "$secs"
	netem_both rate "$RATE" limit 10000
	[ -n "$(kv "$XFER_TMP/$name.cli" ok)" ] || echo running > "$XFER_TMP/$name.imp"
}

# impaired_xfer NAME SIZE COUNTER SECONDS NETEM...: a checked transfer of
# SIZE each way over the link limited to RATE, which NETEM impairs for
# SECONDS (impair()).  The impairment must have hit the transfer: netem
# dropped packets both ways (its queue, 10000 packets, never overflows
# here, so every drop is the impairment's), COUNTER (RetransSegs, or
# Timeouts: the RTO fired) grew on both ends, and the client had not
# finished when the link came back.
impaired_xfer() {
	local name=$1 size=$2 counter=$3 secs=$4 rc=0 k v0 v1 d n0 n1 c0 c1
	shift 4
	netem_both rate "$RATE" limit 10000 || return 1
	n0=$(netem_drops "$NS_CLI" veth-c) n1=$(netem_drops "$NS_SRV" veth-s)
	c0=$(fam_stat "$NS_CLI" "$counter") c1=$(fam_stat "$NS_SRV" "$counter")
	xfer_start "$name" -- -t "$T" -n "$size" || return 1
	impair "$name" "$secs" "$@" &
	xfer_client "$name" "$T" -- -n "$size"
	wait $!
	xfer_wait_server "$name" "$XFER_START_WAIT"
	echo "# $name: $(fam_name) $(kv "$XFER_TMP/$name.cli" elapsed_ms) ms," \
		"retrans $(kv "$XFER_TMP/$name.cli" total_retrans)/$(kv "$XFER_TMP/$name.srv" total_retrans)"
	xfer_checked "$name" || rc=1
	d=
	for k in "drops_c $n0 $(netem_drops "$NS_CLI" veth-c)" \
		 "drops_s $n1 $(netem_drops "$NS_SRV" veth-s)" \
		 "${counter}_c $c0 $(fam_stat "$NS_CLI" "$counter")" \
		 "${counter}_s $c1 $(fam_stat "$NS_SRV" "$counter")"; do
		read -r k v0 v1 <<< "$k"
		if ! is_num "$v0" || ! is_num "$v1" || [ "$v1" -le "$v0" ]; then
			echo "# $name: $k '$v0' before, '$v1' after: did not grow"
			rc=1
		fi
		d="$d $k +$((v1 - v0))"
	done
	if [ ! -e "$XFER_TMP/$name.imp" ]; then
		echo "# $name: the transfer was over before the link came back"
		rc=1
	fi
	echo "# $name:$d"
	netem_both
	return $rc
}

# 50% loss for 3 s from 0.5 s into the transfer, then a clean link.  The
# link is limited to RATE and the transfer is 2 x SIZE (about 8 s), so it
# is still running then; Linux TCP does the same (burst.tcp) for efficient().
burst() {
	and_tcp impaired_xfer "${1:-burst}" $(($(numfmt --from=iec "$SIZE") * 2)) RetransSegs 3 loss 50%
}
check "50% loss for 3 s, then clean, 2 x $SIZE each way" burst
check "50% loss for 3 s: retransmissions within max(2x, +$EFF_ABS/1000) of TCP's" \
	efficient burst burst

# The link goes silent for 5 s mid-transfer (limited to RATE, three times
# SIZE: about 12 s, so the transfer is still running however slowly the
# silence starts) and comes back: the connection survives.  The silence
# is real (impaired_xfer): the RTO fired on both ends (Timeouts).
silent5() {
	impaired_xfer silent $(($(numfmt --from=iec "$SIZE") * 3)) Timeouts 5 loss 100%
}
check "a link silent for 5 s mid-transfer: the connection survives" silent5

# timed_out NAME MIN_MS MAX_MS: the client's call failed with ETIMEDOUT
# (from send, recv, SO_ERROR or connect) between MIN_MS and MAX_MS.
timed_out() {
	local c=$XFER_TMP/$1.cli ms
	ms=$(kv "$c" elapsed_ms)
	if ! grep -q 'ETIMEDOUT' "$c" || ! is_num "$ms" ||
	   [ "$ms" -lt "$2" ] || [ "$ms" -gt "$3" ]; then
		echo "# $1: expected ETIMEDOUT after $2..$3 ms:"
		sed "s/^/# $1 client: /" "$c"
		return 1
	fi
	echo "# $1: ETIMEDOUT after $ms ms"
}

# silent_for_good NAME CHECK CLIENT_ARGS...: the link dies 1 s after the
# connection is up, in a transfer that the client keeps writing
# (non-blocking, so poll and SO_ERROR report the error): it must end in
# ETIMEDOUT, and CHECK (silent_retries or silent_user) judges the kernel's
# timing of it from the trace, read with xfer_trace_events.  netem's
# queue is short (100 packets, 150 ms at 8 Mbit/s), so the oldest segment
# unacknowledged when the link dies was sent at most ~0.35 s before
# (its one-way time and a delayed ACK).
silent_for_good() {
	local name=$1 chk=$2 rc=0
	shift 2
	[ -n "$XFER_TRACE" ] || xfer_trace_start || return 1
	echo > "$XFER_TRACE/trace"
	netem_both rate 8mbit limit 100 || return 1
	xfer_start "$name" -- -t "$T" -n 64M -m 0 || return 1
	(
		tcpx_wait_for "$T" fam_established "$NS_CLI"
		sleep 1
		xfer_trace_mark silence0
		netem_both rate 8mbit limit 100 loss 100%
		xfer_trace_mark silence1
	) &
	xfer_client "$name" "$T" -- -n 64M -m 0 -N "$@"
	wait $!
	kill "$XFER_SRV_PID" 2>/dev/null
	wait "$XFER_SRV_PID" 2>/dev/null
	timed_out "$name" 0 $((T * 1000)) || rc=1
	xfer_trace_events "$XFER_PORT" > "$XFER_TMP/$name.ev"
	$chk "$XFER_TMP/$name.ev" || rc=1
	netem_both
	return $rc
}

# silent_times EVENTS: the client's resends of its oldest segment (the
# last one resent) after the silence began and the close, from the kernel
# clock: "m0 m1 c r1 r2 ..." in ms (markers before and after netem
# changed, close, resends); nothing if there was no close.
silent_times() {
	awk '
		$2 == "mark" && $3 == "silence0" { m0 = $1 }
		$2 == "mark" && $3 == "silence1" { m1 = $1 }
		m0 == "" || c != "" { next }
		$2 == "rtx" { t[++k] = $1; key[k] = $3 }
		$2 == "close" { c = $1 }
		END {
			if (c == "" || m1 == "") exit
			printf "%s %s %s", m0, m1, c
			for (i = 1; i <= k; i++) if (key[i] == key[k]) printf " %s", t[i]
			print ""
		}' "$1"
}

# silent_read EVENTS: silent_times into the caller's array t, or, when
# there was no resend or no close after the silence, the trace's tail and
# a failure.
silent_read() {
	read -r -a t <<< "$(silent_times "$1")"
	[ "${#t[@]}" -ge 4 ] && return 0
	echo "# no resend, or no close, after the silence:"
	sed 's/^/#   /' "$1" | tail -n 20
	return 1
}

# backoff_ok M0 M1 C R1...: the resends and the close after the last one
# are spaced by a doubling RTO, each wait 1.5-2.5 times the one before;
# with user=1 the last wait may be shorter (clamped to the user timeout).
# Prints the times relative to the silence.
backoff_ok() {
	awk -v user="${user:-0}" 'BEGIN {
		m0 = ARGV[1]; c = ARGV[3]; n = ARGC - 4
		for (i = 1; i <= n; i++) r[i] = ARGV[i + 3]
		r[n + 1] = c
		s = "# silence at 0 ms (netem changed by " int(ARGV[2] - m0) " ms): resent at"
		for (i = 1; i <= n; i++) s = s sprintf(" %d", r[i] - m0)
		print s sprintf(", closed at %d ms", c - m0)
		for (i = 3; i <= n + 1; i++) {
			q = (r[i] - r[i - 1]) / (r[i - 1] - r[i - 2])
			if (q > 2.5 || (q < 1.5 && !(user && i == n + 1))) {
				printf "# wait %d is %.2f times the one before, not 1.5-2.5\n", i - 1, q
				bad = 1
			}
		}
		exit bad
	}' "$@"
}

# silent_retries EVENTS: with retries2 3, ETIMEDOUT after exactly 3
# resends of the oldest segment (the contract: retries2 retransmissions),
# RTO doubling, the close one backed-off RTO after the last.  Linux TCP
# reads retries2 as a time (3 resends at its 200 ms minimum RTO, 3 s from
# the first transmission): it resends 1-3 times.
silent_retries() {
	local t n
	silent_read "$1" || return 1
	n=$((${#t[@]} - 3))
	backoff_ok "${t[@]}" || return 1
	if [ "$FAMILY" = tcp ]; then
		[ "$n" -le 3 ] || { echo "# tcp: $n resends, more than 3"; return 1; }
	elif [ "$n" != 3 ]; then
		echo "# $n resends before the close, not retries2 (3)"
		return 1
	fi
	echo "# $FAMILY: $n resends of the oldest segment, then ETIMEDOUT"
}

# silent_user EVENTS: USER_TIMEOUT (U = 3000 ms) counts, in tcpx, from
# the oldest unacknowledged segment's first transmission, S: the close
# comes U after it, however the resends fall.  S went out before the
# second marker and at most ~0.35 s before netem changed, so in the
# kernel's clock:
#   close - first resend <= U + 300 ms, close - silence1 <= U + 300 ms,
#   close - silence0 >= U - 500 ms
# (300 ms: the timer wheel fires a 2-16 s timer up to 256 ms late; 500 ms
# for S's age).  Linux TCP counts from its first resend instead
# (tcp_retransmit_skb() takes retrans_stamp from the skb it has just
# resent): close - first resend = U +- 300 ms.  Resends double as ever.
silent_user() {
	local t
	silent_read "$1" || return 1
	user=1 backoff_ok "${t[@]}" || return 1
	awk -v m0="${t[0]}" -v m1="${t[1]}" -v c="${t[2]}" -v r1="${t[3]}" -v u=3000 \
	    -v tcp="$([ "$FAMILY" = tcp ] && echo 1)" 'BEGIN {
		printf "# close - first resend %d ms, - silence1 %d ms, - silence0 %d ms (U %d)\n",
			c - r1, c - m1, c - m0, u
		if (tcp)
			exit !(c - r1 >= u - 300 && c - r1 <= u + 300)
		exit !(c - r1 <= u + 300 && c - m1 <= u + 300 && c - m0 >= u - 500)
	}'
}

fam_sysctl "$NS_CLI" retries2 3
check "silent link: ETIMEDOUT after retries2 (3) resends, RTO doubling" \
	silent_for_good retries2 silent_retries
fam_sysctl "$NS_CLI" retries2 15

# syn_retries 2: SYN at 0, 1 and 3 s, ETIMEDOUT at 7 s.
syn_timeout() {
	local rc
	netem_both loss 100% || return 1
	fam_sysctl "$NS_CLI" syn_retries 2
	xfer_client syn 60 -- -n 1
	fam_sysctl "$NS_CLI" syn_retries 6
	grep -q connect_err "$XFER_TMP/syn.cli" || { cat "$XFER_TMP/syn.cli"; rc=1; }
	timed_out syn 5000 12000 || rc=1
	netem_both
	return ${rc:-0}
}
check "silent peer: connect ETIMEDOUT after syn_retries (2), 5-12 s" syn_timeout

# USER_TIMEOUT 3000 ms with retries2 at its default 15 (~15 minutes):
# the option decides.
check "silent link: TCPX_USER_TIMEOUT (3 s) from the oldest segment's send" \
	silent_for_good user_timeout silent_user -u 3000

ktap_finished
