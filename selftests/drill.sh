#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packet-level conformance (RFC 9293): drill/tcpx_drill.py replays every
# drill/*.pkt script (packetdrill-like syntax, drill/README) against the
# kernel under test; one KTAP test point per script and IP version.  The
# interpreter makes a private namespace for each script, gone with its
# process:
#
#   [ private netns ]
#     socket under test  <-- 192.0.2.1/24 tun drill0 -->  tcpx_drill.py
#     AF_TCPX, or AF_INET     198.51.100.0/24 via drill0   fake peers
#     with TCPX_DRILL_PROTO=tcp                            192.0.2.2, 198.51.100.x
#
#   over IPv6 (TCPX_DRILL_IP=6): 2001:db8::1/64 on drill0, peers
#   2001:db8::2 and 2001:db8:1::x (2001:db8:1::/64 via drill0), AF_INET6
#   or AF_TCPX with struct sockaddr_in6; the same scripts (drill/README).
#
# Every script runs against tcpx here and against Linux TCP in
# drill_tcp.sh (TCPX_DRILL_PROTO=tcp), one test point each, so the
# baseline the scripts were validated on cannot rot; two programs, so that
# each stays inside kselftest's timeout on the debug kernel.
# TCPX_DRILL_PROTO="tcpx tcp" runs both in one.  TCPX_DRILL_IP="4 6" runs
# each over IPv4 and IPv6 (points "drill NAME" and "drill6 NAME"; a script
# marked `// ip: 4` is skipped over IPv6); that is the default here, on
# every lane.  drill_tcp.sh runs both too, IPv4 alone on a slow machine.
# TCPX_DRILL_TIMESCALE stretches script times (default 2 on a slow
# machine).  TCPX_DRILL_JOBS scripts run at once (default 3, 2 on a slow
# machine), each in a namespace of its own, reported in order: the scripts
# sleep most of their time (under TCG one at a time keeps a vCPU 7% busy),
# and the longest,
# time-wait-restart, is 35 s of waiting (70 s on a slow machine), which
# then overlaps the others.  TCPX_DRILL_JOBS=1 runs them one at a time.
# Writes no files outside /tmp.
. "$(dirname "$0")/tcpx_lib.sh"

DRILL_DIR=$TCPX_SELFTESTS/drill
PROTOS=${TCPX_DRILL_PROTO:-tcpx}
IPS=${TCPX_DRILL_IP:-4 6}
# Two at once on a slow machine (the debug lane): its vCPUs are busier.
JOBS=${TCPX_DRILL_JOBS:-$([ "${TCPX_SLOW:-0}" = 1 ] && echo 2 || echo 3)}

tcpx_require /usr/bin/python3 ip timeout
tcpx_require_tun
for p in $PROTOS; do
	case $p in
	tcpx) tcpx_require_module ;;
	tcp) ;;
	*)
		ktap_print_header
		ktap_exit_fail_msg "TCPX_DRILL_PROTO must be tcpx or tcp, not '$p'"
		;;
	esac
done
for ip in $IPS; do
	case $ip in
	4 | 6) ;;
	*)
		ktap_print_header
		ktap_exit_fail_msg "TCPX_DRILL_IP must be 4 or 6, not '$ip'"
		;;
	esac
done
if ! [[ $JOBS =~ ^[1-9][0-9]*$ ]]; then
	ktap_print_header
	ktap_exit_fail_msg "TCPX_DRILL_JOBS must be a number of scripts, not '$JOBS'"
fi
if [ "$TCPX_SLOW" = 1 ] && [ -z "${TCPX_DRILL_TIMESCALE:-}" ]; then
	export TCPX_DRILL_TIMESCALE=2
fi

# as_comment TEXT: TEXT as KTAP diagnostic lines.
as_comment() {
	local l
	while IFS= read -r l; do
		echo "# $l"
	done <<<"$1"
}

# point_name SCRIPT: its test point's name under $PROTO and $IP: "drill
# NAME" ("drill6 NAME" over IPv6), "(tcp)" after it for Linux TCP.
point_name() {
	local name
	name=$(basename "$1" .pkt)
	[ "$PROTO" = tcpx ] || name="$name ($PROTO)"
	[ "$IP" = 6 ] && echo "drill6 $name" || echo "drill $name"
}

scripts=("$DRILL_DIR"/*.pkt)
runs=()
for p in $PROTOS; do
	for ip in $IPS; do
		runs+=("$p/$ip")
	done
done
ktap_print_header
ktap_set_plan $((${#scripts[@]} * ${#runs[@]}))
ktap_print_msg "protos $PROTOS, IP $IPS, timescale ${TCPX_DRILL_TIMESCALE:-1}, $JOBS at once"

# One interpreter per protocol and IP version (its start costs seconds
# under emulation); each script still runs in a child of its own, in its
# own namespace, and ends with a line "PASS|FAIL PATH (T s)" after its own
# output, or "SKIP PATH (WHY)" if it does not run over this IP version;
# with --jobs N up to N at once, their lines still in the scripts' order.
# Each failure's name and the last lines of its output are repeated at the
# end: a log cut to its tail (CI's) still says which script and why.
failed=()
for run in "${runs[@]}"; do
	PROTO=${run%/*}
	IP=${run#*/}
	declare -A seen=()
	lines=()
	while IFS= read -r l; do
		case $l in
		"PASS $DRILL_DIR/"*.pkt" ("*|"FAIL $DRILL_DIR/"*.pkt" ("*) ;;
		"SKIP $DRILL_DIR/"*.pkt" ("*)
			f=${l#* }
			f=${f%% (*}
			seen[$f]=1
			why=${l#* (}
			ktap_test_skip "$(point_name "$f"): ${why%)}"
			continue
			;;
		*)
			lines+=("$l")
			continue
			;;
		esac
		f=${l#* }
		f=${f% (*}
		seen[$f]=1
		name=$(point_name "$f")
		if [ "${l%% *}" = PASS ]; then
			ktap_test_pass "$name"
		else
			as_comment "$(printf '%s\n' "${lines[@]}")"
			ktap_test_fail "$name"
			failed+=("failed: $name")
			for o in "${lines[@]: -4}"; do failed+=("  $o"); done
			[ "$PROTO" = tcpx ] && tcpx_dump
		fi
		lines=()
	done < <(timeout $((120 * ${#scripts[@]})) /usr/bin/python3 "$DRILL_DIR/tcpx_drill.py" \
		--proto "$PROTO" --ip "$IP" --limit 120 --jobs "$JOBS" "${scripts[@]}" 2>&1)
	wait $! 2>/dev/null
	rc=$?
	# What never reported: skipped as a whole (rc 4), or lost to a crash.
	for f in "${scripts[@]}"; do
		[ -n "${seen[$f]:-}" ] && continue
		name=$(point_name "$f")
		if [ "$rc" = "$KSFT_SKIP" ]; then
			ktap_test_skip "$name: $(printf '%s ' "${lines[@]}")"
		else
			as_comment "$(printf '%s\n' "${lines[@]}")"
			[ "$rc" = 124 ] && echo "# timed out"
			ktap_test_fail "$name: no result (interpreter exit status $rc)"
			failed+=("failed: $name: no result (exit status $rc)")
			lines=()
		fi
	done
	unset seen
done

[ ${#failed[@]} -gt 0 ] && as_comment "$(printf '%s\n' "${failed[@]}")"
ktap_finished
