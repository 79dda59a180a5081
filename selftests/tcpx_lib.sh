# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the tcpx shell selftests: KTAP output, namespaces with random
# names that are always removed, topologies, polling waits, diagnostics.
#
# Topologies (addresses fixed, namespace names random):
#
#   tcpx_topo_pair:    [ $NS_CLI ] 10.0.1.1 --veth-- 10.0.1.2 [ $NS_SRV ]
#
#   tcpx_topo_router:  [ $NS_CLI ] 10.0.1.1 --veth-- 10.0.1.2 [ $NS_RTR ]
#                                     10.0.2.1 --veth-- 10.0.2.2 [ $NS_SRV ]
#
#   tcpx_topo_router6: tcpx_topo_router, and IPv6 beside IPv4 (nodad:
#                      usable at once), the router forwarding it:
#                      [ $NS_CLI ] fd00:1::1 --veth-- fd00:1::2 [ $NS_RTR ]
#                                  fd00:2::1 --veth-- fd00:2::2 [ $NS_SRV ]
#
#   tcpx_topo_flood:   [ $NS_CLI ] 10.0.1.1 --veth-- 10.0.1.2 [ $NS_SRV ]
#                      [ $NS_FLD ] 10.0.3.1 --veth-- 10.0.3.2 [ $NS_SRV ]
#                      $NS_FLD reaches 10.0.1.2 via 10.0.3.2 and forges
#                      sources in 10.99.0.0/16 ($TCPX_FLOOD_NET), which
#                      $NS_SRV routes back to $NS_FLD, where a blackhole
#                      route ends the SYN+ACKs to them.
#
#   tcpx_topo_ipv6:    IPv6 as well on the links built above (/64, no
#                      DAD): $TCPX_CLI6 fd00:1::1 and $TCPX_SRV6 fd00:1::2
#                      on the pair; with a flood namespace fd00:3::1 (fld)
#                      and fd00:3::2 (srv), forged sources in fd00:99::/64
#                      ($TCPX_FLOOD_NET6), routed and blackholed as above.

KSFT_DIR=${KSFT_DIR:-${TCPX_CACHE:-/var/cache/tcpx}/src/linux-source-6.12/tools/testing/selftests}
# shellcheck source=/dev/null
. "$KSFT_DIR/kselftest/ktap_helpers.sh"

TCPX_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TCPX_SOCK=${TCPX_SOCK:-$TCPX_SELFTESTS/tcpx_sock}
TCPX_NS_LIST=()
TCPX_PIDS=()
# Scale data and repetitions down on the debug kernel, never the tests.
if [ "${KSFT_MACHINE_SLOW:-no}" = yes ]; then TCPX_SLOW=1; else TCPX_SLOW=0; fi

tcpx_family() {
	cat /sys/module/tcpx/parameters/family 2>/dev/null || echo 18
}

# tcpx_require CMD...: skip the whole test (exit 4) if a tool is missing.
tcpx_require() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			ktap_skip_all "$c is not installed"
			exit "$KSFT_SKIP"
		fi
	done
}

# tcpx_require_tun: skip the whole test (exit 4) without /dev/net/tun.
tcpx_require_tun() {
	[ -c /dev/net/tun ] || modprobe -q tun 2>/dev/null
	if [ ! -c /dev/net/tun ]; then
		ktap_skip_all "no /dev/net/tun"
		exit "$KSFT_SKIP"
	fi
}

# tcpx_field NAME: NAME=VALUE's value in $SUMMARY (a program's
# "RESULT key=value ..." line), empty without one.
tcpx_field() {
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$SUMMARY"
}

# tcpx_require_built FILE...: skip the whole test if a program (or, for a
# .so, a library) that the selftests build is missing.
tcpx_require_built() {
	local f
	for f in "$@"; do
		case $f in
		*.so | *.o) [ -r "$f" ] ;;
		*) [ -x "$f" ] ;;
		esac && continue
		ktap_skip_all "no $f: build the selftests first"
		exit "$KSFT_SKIP"
	done
}

# tcpx_family_opts "$@": FAMILY, tcp or tcpx, from the test's -f option,
# else TCPX_FAMILY, else tcpx; a usage error exits 2.
tcpx_family_opts() {
	local o OPTIND=1
	FAMILY=${TCPX_FAMILY:-tcpx}
	while getopts "f:" o; do
		case $o in
		f) FAMILY=$OPTARG ;;
		*) echo "usage: $0 [-f tcp|tcpx]" >&2; exit 2 ;;
		esac
	done
	case $FAMILY in
	tcp|tcpx) ;;
	*) echo "family: tcp or tcpx" >&2; exit 2 ;;
	esac
}

tcpx_require_module() {
	if [ ! -d /sys/module/tcpx ]; then
		ktap_skip_all "the tcpx module is not loaded"
		exit "$KSFT_SKIP"
	fi
}

# tcpx_ns_new VAR: create a namespace with a random name, lo up.
tcpx_ns_new() {
	local name
	name=tcpx-$1-$(mktemp -u XXXXXX)
	ip netns add "$name" || return 1
	ip -n "$name" link set lo up
	TCPX_NS_LIST+=("$name")
	printf -v "$1" '%s' "$name"
}

tcpx_cleanup() {
	local p ns pids i
	for p in "${TCPX_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# What still runs in a namespace of ours (a daemon's workers, a
	# server behind a wrapper that was killed) goes too: nothing may
	# hold a tcpx socket past the script, or the module cannot unload.
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		pids=
		for ns in "${TCPX_NS_LIST[@]}"; do
			pids+=" $(ip netns pids "$ns" 2>/dev/null)"
		done
		[ -z "${pids// /}" ] && break
		# shellcheck disable=SC2086
		if [ $i -le 10 ]; then kill $pids; else kill -9 $pids; fi 2>/dev/null
		sleep 0.5
	done
	for ns in "${TCPX_NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	TCPX_NS_LIST=()
}
trap tcpx_cleanup EXIT

# tcpx_veth NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: a veth pair between two
# namespaces, each end addressed (/24) and up.
tcpx_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

tcpx_topo_pair() {
	tcpx_ns_new NS_CLI && tcpx_ns_new NS_SRV || return 1
	tcpx_veth "$NS_CLI" veth-c 10.0.1.1 "$NS_SRV" veth-s 10.0.1.2
}

tcpx_topo_router() {
	tcpx_ns_new NS_CLI && tcpx_ns_new NS_RTR && tcpx_ns_new NS_SRV || return 1
	tcpx_veth "$NS_CLI" veth-c 10.0.1.1 "$NS_RTR" veth-rc 10.0.1.2 || return 1
	tcpx_veth "$NS_SRV" veth-s 10.0.2.2 "$NS_RTR" veth-rs 10.0.2.1 || return 1
	ip -n "$NS_CLI" route add default via 10.0.1.2
	ip -n "$NS_SRV" route add default via 10.0.2.1
	ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
}

tcpx_topo_router6() {
	tcpx_topo_router || return 1
	ip -n "$NS_CLI" addr add fd00:1::1/64 dev veth-c nodad &&
		ip -n "$NS_RTR" addr add fd00:1::2/64 dev veth-rc nodad &&
		ip -n "$NS_RTR" addr add fd00:2::1/64 dev veth-rs nodad &&
		ip -n "$NS_SRV" addr add fd00:2::2/64 dev veth-s nodad &&
		ip -n "$NS_CLI" -6 route add default via fd00:1::2 &&
		ip -n "$NS_SRV" -6 route add default via fd00:2::1 &&
		ip netns exec "$NS_RTR" sysctl -qw net.ipv6.conf.all.forwarding=1
}

TCPX_FLOOD_NET=10.99.0.0/16
tcpx_topo_flood() {
	tcpx_topo_pair && tcpx_ns_new NS_FLD || return 1
	tcpx_veth "$NS_FLD" veth-f 10.0.3.1 "$NS_SRV" veth-sf 10.0.3.2 || return 1
	ip -n "$NS_FLD" route add 10.0.1.0/24 via 10.0.3.2
	ip -n "$NS_FLD" route add blackhole "$TCPX_FLOOD_NET"
	ip -n "$NS_SRV" route add "$TCPX_FLOOD_NET" via 10.0.3.1
}

TCPX_CLI6=fd00:1::1
TCPX_SRV6=fd00:1::2
TCPX_FLOOD_NET6=fd00:99::/64
tcpx_topo_ipv6() {
	ip -n "$NS_CLI" addr add "$TCPX_CLI6/64" dev veth-c nodad &&
	ip -n "$NS_SRV" addr add "$TCPX_SRV6/64" dev veth-s nodad || return 1
	[ -n "$NS_FLD" ] || return 0
	ip -n "$NS_FLD" addr add fd00:3::1/64 dev veth-f nodad &&
	ip -n "$NS_SRV" addr add fd00:3::2/64 dev veth-sf nodad || return 1
	ip -n "$NS_FLD" route add fd00:1::/64 via fd00:3::2
	ip -n "$NS_FLD" route add blackhole "$TCPX_FLOOD_NET6"
	ip -n "$NS_SRV" route add "$TCPX_FLOOD_NET6" via fd00:3::1
}

# tcpx_wait_for SECONDS CMD...: poll CMD until it succeeds or time runs out.
tcpx_wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# tcpx_hold VAR [NS] -- ARGS...: run tcpx_sock -H in the background (in NS
# if given), wait for its "ok PORT" line, store the port in VAR and the
# process in TCPX_HOLD_PID.  Closing its stdin (tcpx_release) ends it.
tcpx_hold() {
	local var=$1 ns= line fifo
	shift
	if [ "$1" != -- ]; then ns=$1; shift; fi
	shift
	fifo=$(mktemp -u /tmp/tcpx-hold.XXXXXX)
	mkfifo "$fifo"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$TCPX_SOCK" -H "$@" < "$fifo" > "$fifo.out" &
	else
		"$TCPX_SOCK" -H "$@" < "$fifo" > "$fifo.out" &
	fi
	TCPX_HOLD_PID=$!
	TCPX_PIDS+=("$TCPX_HOLD_PID")
	exec {TCPX_HOLD_FD}>"$fifo"
	rm -f "$fifo"
	tcpx_wait_for 10 grep -q . "$fifo.out" || return 1
	read -r line < "$fifo.out"
	rm -f "$fifo.out"
	case $line in
	"ok "*) printf -v "$var" '%s' "${line#ok }" ;;
	*) echo "# tcpx_sock: $line"; return 1 ;;
	esac
}

# tcpx_release: end the last tcpx_hold'er and wait for it.
tcpx_release() {
	exec {TCPX_HOLD_FD}>&-
	wait "$TCPX_HOLD_PID" 2>/dev/null
}

# tcpx_proc_lines NS [FILE]: FILE (/proc/net/tcpx; /proc/net/tcp for
# TCP) of NS without its header.
tcpx_proc_lines() {
	ip netns exec "$1" cat "${2:-/proc/net/tcpx}" | tail -n +2
}

# tcpx_proc_line NS PORT [FILE]: the line of local PORT (TCP's format,
# tcp6's too: the port is what follows the address's last ':').
tcpx_proc_line() {
	tcpx_proc_lines "$1" "$3" | awk -v p=":$(printf '%04X' "$2")" \
		'substr($2, length($2) - 4) == p'
}

# tcpx_proc_has NS PORT STATE [FILE]: /proc/net/tcpx (or FILE) of NS lists
# local PORT in STATE.
tcpx_proc_has() {
	tcpx_proc_line "$1" "$2" "$4" | awk -v st="$3" '$4 == st { f = 1 } END { exit !f }'
}

tcpx_stat() {
	ip netns exec "$1" awk -v n="$2" '$1 == n { print $2 }' /proc/net/tcpx_stat
}

# tcpx_median: the median of the numbers on stdin, one a line (the upper
# one of an even count); nothing if there are none.
tcpx_median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int(NR / 2) + 1] }'
}

# tcpx_show FILE...: files as KTAP diagnostics, each line after its name.
tcpx_show() {
	local f
	for f in "$@"; do
		[ -e "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
	done
}

# tcpx_bg VAR OUT READY NS CMD...: CMD in namespace NS in the background,
# killed after TCPX_BG_LIMIT seconds (default 300), output in OUT, its pid
# in VAR (and TCPX_PIDS).  Waits for a line of OUT starting with READY or
# "err"; fails, showing OUT, unless READY came.
tcpx_bg() {
	local var=$1 out=$2 ready=$3 ns=$4
	shift 4
	: > "$out"
	timeout "${TCPX_BG_LIMIT:-300}" ip netns exec "$ns" "$@" > "$out" 2>&1 &
	printf -v "$var" '%s' $!
	TCPX_PIDS+=("$!")
	if ! tcpx_wait_for 20 grep -q -e "^$ready" -e '^err' "$out" ||
	   ! grep -q "^$ready" "$out"; then
		tcpx_show "$out"
		return 1
	fi
}

# tcpx_cap_start NS DEV PCAP FILTER...: tcpdump on DEV of NS into PCAP
# (its messages in PCAP.err), in the background; waits until it listens.
tcpx_cap_start() {
	local ns=$1 dev=$2 pcap=$3
	shift 3
	rm -f "$pcap"
	: > "$pcap.err"
	ip netns exec "$ns" tcpdump --immediate-mode -U -n -i "$dev" -w "$pcap" \
		"$@" 2> "$pcap.err" &
	TCPX_CAP_PID=$!
	TCPX_PIDS+=("$TCPX_CAP_PID")
	tcpx_wait_for 20 grep -q 'listening on' "$pcap.err" || {
		tcpx_show "$pcap.err"
		return 1
	}
}

# tcpx_cap_stop: end the last capture (what is in flight arrives first).
tcpx_cap_stop() {
	sleep 0.2
	kill -INT "$TCPX_CAP_PID" 2>/dev/null
	wait "$TCPX_CAP_PID" 2>/dev/null
}

# Diagnostics for a failed step: what the kernel thinks, per namespace.
tcpx_dump() {
	local ns
	echo "# --- diagnostics"
	for ns in "${TCPX_NS_LIST[@]}"; do
		echo "# [$ns] /proc/net/tcpx:"
		ip netns exec "$ns" cat /proc/net/tcpx 2>&1 | sed 's/^/#   /'
		# IPv6 sockets, when there are any.
		ip netns exec "$ns" awk 'NR == 2 { print "# [" ns "] /proc/net/tcpx6:" } NR > 1 { print "#   " $0 }' \
			ns="$ns" /proc/net/tcpx6 2>/dev/null
	done
	dmesg | tail -n 10 | sed 's/^/# dmesg: /'
}

# tcpx_check DESCRIPTION CMD...: one KTAP test point; dump on failure.
tcpx_check() {
	local desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
		tcpx_dump
	fi
}
