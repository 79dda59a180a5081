#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The syscall fuzzer (fuzz_sys.c): threads of random socket calls on a
# shared table of tcpx sockets, over IPv4 and IPv6, in a fresh namespace,
# after a shorter run of the same on Linux TCP (AF_INET6 and AF_INET
# sockets, -f tcp6) that shows the harness is sound.  Fails on a HANG or
# an impossible answer (the program's exit status) or a fuzzer that does
# not end; tcpx sockets (/proc/net/tcpx and tcpx6) left in the namespace
# after a bounded wait; tcpx slab objects above their count before the run
# once the namespace is gone; a new kmemleak report (debug kernel; absent
# kmemleak is a visible skip); a hung task or a splat in the kernel log.
#
#   [ $NS_TCP ]  [ $NS_FUZZ ]   one namespace per run, loopback only
#                                (127.0.0.1, ::1, fe80::1)
#
# Environment: FUZZ_CALLS (tcpx calls, default 100000 on the debug kernel,
# 200000 on others), FUZZ_TCP_CALLS (default a fiftieth of it), FUZZ_THREADS
# (4), FUZZ_SEED (reproduce a run: the seed is printed), FUZZ_HANG (seconds
# a call may block, 30), FUZZ_VERBOSE=1 (the errno histogram).  The long run:
#   kselftest_override_timeout=36000 FUZZ_CALLS=10000000 make ... run_tests
. "$(dirname "$0")/tcpx_lib.sh"

FUZZ_SYS=${TCPX_FUZZ_SYS:-$TCPX_SELFTESTS/fuzz_sys}
KMEMLEAK=/sys/kernel/debug/kmemleak
HUNG=/proc/sys/kernel/hung_task_timeout_secs
OUT=$(mktemp -d /tmp/tcpx-fuzz-sys.XXXXXX)

tcpx_require ip awk od
tcpx_require_module
tcpx_require_built "$FUZZ_SYS"

if [ "$TCPX_SLOW" = 1 ]; then calls=${FUZZ_CALLS:-100000}; else calls=${FUZZ_CALLS:-200000}; fi
# TCP under the debug kernel makes ten times fewer calls per second than
# tcpx (its blocking calls wait their 20 ms): a fiftieth shows the harness.
tcp_calls=${FUZZ_TCP_CALLS:-$((calls / 50))}
threads=${FUZZ_THREADS:-4}
seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
hang=${FUZZ_HANG:-30}
hung_old=$(cat "$HUNG" 2>/dev/null)

fuzz_cleanup() {
	tcpx_cleanup
	[ -n "$hung_old" ] && echo "$hung_old" > "$HUNG"
	rm -rf "$OUT"
}
trap fuzz_cleanup EXIT

ktap_print_header
ktap_set_plan 6

mark() { echo "tcpx-fuzz-sys-mark $1" > /dev/kmsg; }
# The log since the mark; all of it when the mark is gone: splats filled the
# ring since, and what is left came after it.
since() {
	if dmesg | grep -q "tcpx-fuzz-sys-mark $1"; then
		dmesg | sed -n "/tcpx-fuzz-sys-mark $1/,\$p" | tail -n +2
	else
		dmesg
	fi
}

# The tcpx caches /proc/slabinfo lists by name (a merged one is not listed,
# and its count is not tcpx's), each as "NAME ACTIVE", after a shrink: it
# flushes the per-CPU slabs, whose free objects SLUB otherwise counts as in
# use, so the count is the live objects exactly.
slab_counts() {
	local name
	for name in $(awk 'tolower($1) ~ /tcpx/ { print $1 }' /proc/slabinfo); do
		echo 1 > "/sys/kernel/slab/$name/shrink" 2>/dev/null
	done
	awk 'tolower($1) ~ /tcpx/ { print $1, $2 }' /proc/slabinfo | sort
}

# No cache above its count in $OUT/slab.before (lower is fine: TIME-WAITs of
# earlier tests may end meanwhile).
slab_back() {
	slab_counts > "$OUT/slab.after"
	join "$OUT/slab.before" "$OUT/slab.after" | awk '$3 > $2 { bad = 1 } END { exit bad }'
}

# ns_del NS: delete a namespace of ours now (the diagnostics then skip it).
ns_del() {
	local i
	ip netns del "$1"
	for i in "${!TCPX_NS_LIST[@]}"; do
		[ "${TCPX_NS_LIST[$i]}" = "$1" ] && unset "TCPX_NS_LIST[$i]"
	done
}

kmemleak_objects() {
	echo scan > "$KMEMLEAK" && echo scan > "$KMEMLEAK" &&
		grep -o 'unreferenced object 0x[0-9a-f]*' "$KMEMLEAK" | sort
}

# fuzz NAME NS FAMILY CALLS: one run; passes when it ends by itself, with
# status 0, within $deadline s.  A HANG leaves a thread in the kernel,
# where no signal reaches it: then the program is left, not waited for.
fuzz() {
	local name=$1 ns=$2 family=$3 n=$4 pid rc
	ip netns exec "$ns" "$FUZZ_SYS" -f "$family" -s "$seed" -n "$n" \
		-t "$threads" -H "$hang" -v > "$OUT/$name" 2>&1 &
	pid=$!
	TCPX_PIDS+=("$pid")
	if ! tcpx_wait_for "$deadline" fuzz_over "$pid" "$OUT/$name"; then
		echo "# $name: still running after $deadline s"
		grep -v -e '^hist' -e '^time' "$OUT/$name" | sed 's/^/# /'
		return 1
	fi
	grep -v -e '^hist' -e '^time' "$OUT/$name" | sed 's/^/# /'
	if [ "${FUZZ_VERBOSE:-0}" = 1 ]; then
		grep -e '^hist' -e '^time' "$OUT/$name" | sed 's/^/# /'
	fi
	grep -q '^HANG' "$OUT/$name" && return 1
	wait "$pid"
	rc=$?
	[ $rc = 0 ] || echo "# $name: exit status $rc (2 HANG, 3 BUG)"
	[ $rc = 0 ]
}

fuzz_over() {
	! kill -0 "$1" 2>/dev/null || grep -q '^HANG' "$2"
}

# The debug kernel under emulation makes about 500 tcpx calls per second:
# the deadline allows about a third of that.
deadline=$((60 + calls / 200))
[ -w "$HUNG" ] && echo 30 > "$HUNG"
mark start

# fe80::1 on lo: the fuzzer's link-local addresses, with a scope id, can
# be bound and connected to.
link_local() {
	ip -n "$1" -6 addr add fe80::1/64 dev lo nodad ||
		echo "# no fe80::1 in $1: link-local addresses are only refused"
}

tcpx_ns_new NS_TCP || ktap_exit_fail_msg "cannot create a namespace"
link_local "$NS_TCP"
tcpx_check "Linux TCP: $tcp_calls calls, no HANG or impossible answer (seed $seed)" \
	fuzz tcp "$NS_TCP" tcp6 "$tcp_calls"
ns_del "$NS_TCP"

# TIME-WAIT 2 s and FIN-WAIT-2 1 s, and an orphan that gets no answer to
# its retransmission or window probe ends after one (orphan_retries 1): what
# closes ends in seconds, so the wait below is for sockets that do not end,
# not for their timers.  With TCP's 8, an orphan that cannot send at all
# (a socket bound to an ifindex no device has: every route lookup fails)
# waits out about 100 s of backoff, on TCP as on tcpx (conn_api's
# orphan_unroutable compares the two).
tcpx_ns_new NS_FUZZ || ktap_exit_fail_msg "cannot create a namespace"
link_local "$NS_FUZZ"
ip netns exec "$NS_FUZZ" sysctl -qw net.tcpx.msl=1 net.tcpx.fin_timeout=1 \
	net.tcpx.orphan_retries=1
slab_counts > "$OUT/slab.before"
leaks_before=
[ -w "$KMEMLEAK" ] && leaks_before=$(kmemleak_objects)
tcpx_check "tcpx: $calls calls, no HANG or impossible answer (seed $seed)" \
	fuzz tcpx "$NS_FUZZ" tcpx "$calls"
end=$SECONDS

# IPv4 sockets in /proc/net/tcpx, IPv6 ones (v4-mapped too) in tcpx6.
all_proc_lines() {
	tcpx_proc_lines "$NS_FUZZ"
	tcpx_proc_lines "$NS_FUZZ" /proc/net/tcpx6
}
no_sockets() {
	[ -z "$(all_proc_lines)" ]
}
sockets_gone() {
	tcpx_wait_for 60 no_sockets && return 0
	all_proc_lines | head -n 20 | sed 's/^/# left: /'
	return 1
}
tcpx_check "the namespace's tcpx sockets are gone within 60 s" sockets_gone

# On failure, what may hold the objects: processes left in the namespace
# (a thread a HANG left in the kernel, a child never reaped), with their
# kernel stacks.
objects_freed() {
	local pids pid
	pids=$(ip netns pids "$NS_FUZZ" 2>/dev/null)
	ns_del "$NS_FUZZ"
	tcpx_wait_for 60 slab_back && return 0
	join -a 1 -a 2 "$OUT/slab.before" "$OUT/slab.after" | sed 's/^/# slab before after: /'
	for pid in $pids; do
		echo "# left in the namespace: $pid $(cat "/proc/$pid/comm" 2>/dev/null)"
		cat /proc/"$pid"/task/*/stack 2>/dev/null | sed 's/^/#   /'
	done
	return 1
}
tcpx_check "tcpx slab objects back to their count before the run" objects_freed

# kmemleak reports an object unreferenced for 5 s: the scan waits that long.
no_new_leaks() {
	local new
	sleep $((end + 6 > SECONDS ? end + 6 - SECONDS : 0))
	new=$(comm -13 <(echo "$leaks_before") <(kmemleak_objects))
	[ -z "$new" ] && return 0
	echo "$new" | sed 's/^/# new: /'
	head -n 60 "$KMEMLEAK" | sed 's/^/# kmemleak: /'
	return 1
}
if [ -w "$KMEMLEAK" ]; then
	tcpx_check "no new kmemleak report" no_new_leaks
else
	ktap_test_skip "no new kmemleak report (no $KMEMLEAK on this kernel)"
fi

log_clean() {
	local bad
	bad=$(since start | grep -E 'blocked for more than|WARNING:|BUG|Oops|general protection|UBSAN:|unreferenced object|refcount_t:')
	[ -z "$bad" ] && return 0
	echo "$bad" | head -n 40 | sed 's/^/# dmesg: /'
	return 1
}
tcpx_check "no hung task or splat in the kernel log" log_clean

echo "# fuzz_sys.sh: $SECONDS s"
ktap_finished
