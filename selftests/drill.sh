#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packet-level conformance (RFC 9293): drill/tcpx_drill.py replays every
# drill/*.pkt script (packetdrill-like syntax, drill/README) against the
# kernel under test; one KTAP test point per script.  The interpreter makes
# a private namespace for each script, gone with its process:
#
#   [ private netns ]
#     socket under test  <-- 192.0.2.1/24 tun drill0 -->  tcpx_drill.py
#     AF_TCPX, or AF_INET     198.51.100.0/24 via drill0   fake peers
#     with TCPX_DRILL_PROTO=tcp                            192.0.2.2, 198.51.100.x
#
# Every script runs against tcpx here and against Linux TCP in
# drill_tcp.sh (TCPX_DRILL_PROTO=tcp), one test point each, so the
# baseline the scripts were validated on cannot rot; two programs, so that
# each stays inside kselftest's timeout on the debug kernel.
# TCPX_DRILL_PROTO="tcpx tcp" runs both in one.
# TCPX_DRILL_TIMESCALE stretches script times (default 2 on a slow
# machine).  Writes no files outside /tmp.
. "$(dirname "$0")/tcpx_lib.sh"

DRILL_DIR=$TCPX_SELFTESTS/drill
PROTOS=${TCPX_DRILL_PROTO:-tcpx}

tcpx_require /usr/bin/python3 ip timeout
[ -c /dev/net/tun ] || modprobe -q tun 2>/dev/null
if [ ! -c /dev/net/tun ]; then
	ktap_skip_all "no /dev/net/tun"
	exit "$KSFT_SKIP"
fi
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

# point_name SCRIPT: its test point's name under $PROTO.
point_name() {
	local name
	name=$(basename "$1" .pkt)
	[ "$PROTO" = tcpx ] || name="$name ($PROTO)"
	echo "$name"
}

scripts=("$DRILL_DIR"/*.pkt)
nprotos=$(echo $PROTOS | wc -w)
ktap_print_header
ktap_set_plan $((${#scripts[@]} * nprotos))
ktap_print_msg "protos $PROTOS, timescale ${TCPX_DRILL_TIMESCALE:-1}"

# One interpreter per protocol (its start costs seconds under emulation);
# each script still runs in a child of its own, in its own namespace, and
# ends with a line "PASS|FAIL PATH (T s)" after its own output.
for PROTO in $PROTOS; do
	declare -A seen=()
	lines=()
	while IFS= read -r l; do
		case $l in
		"PASS $DRILL_DIR/"*.pkt" ("*|"FAIL $DRILL_DIR/"*.pkt" ("*) ;;
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
			ktap_test_pass "drill $name"
		else
			as_comment "$(printf '%s\n' "${lines[@]}")"
			ktap_test_fail "drill $name"
			[ "$PROTO" = tcpx ] && tcpx_dump
		fi
		lines=()
	done < <(timeout $((120 * ${#scripts[@]})) /usr/bin/python3 "$DRILL_DIR/tcpx_drill.py" \
		--proto "$PROTO" --limit 120 "${scripts[@]}" 2>&1)
	wait $! 2>/dev/null
	rc=$?
	# What never reported: skipped as a whole (rc 4), or lost to a crash.
	for f in "${scripts[@]}"; do
		[ -n "${seen[$f]:-}" ] && continue
		name=$(point_name "$f")
		if [ "$rc" = "$KSFT_SKIP" ]; then
			ktap_test_skip "drill $name: $(printf '%s ' "${lines[@]}")"
		else
			as_comment "$(printf '%s\n' "${lines[@]}")"
			[ "$rc" = 124 ] && echo "# timed out"
			ktap_test_fail "drill $name: no result (interpreter exit status $rc)"
			lines=()
		fi
	done
	unset seen
done

ktap_finished
