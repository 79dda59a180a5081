#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The last program of make check's lanes: what earlier programs left
# running in the background (TCPX_ASYNC_DIR set) is waited for here, and
# its KTAP output is this program's.  Today that is hostile_orphan.sh's
# part 2, six minutes of real time waiting on an orphan's timers, which
# the stock lane spends running the programs after it.
#
# Fails when TCPX_ASYNC_DIR is set and nothing was started (unless the
# machine is slow, TCPX_SLOW, where hostile_orphan.sh skips that part in
# the foreground), when what was started does not end within 600 s
# (it is killed), or when it failed.  Without TCPX_ASYNC_DIR everything
# ran in the foreground: a visible skip.
. "$(dirname "$0")/tcpx_lib.sh"

LIMIT=600

# done_rc: the background program ended (its status written).
# shellcheck disable=SC2317 # called by tcpx_wait_for
done_rc() {
	[ -s "$A.rc" ]
}

if [ -z "${TCPX_ASYNC_DIR:-}" ]; then
	ktap_print_header
	ktap_skip_all "nothing runs in the background without TCPX_ASYNC_DIR"
	exit "$KSFT_SKIP"
fi
A=$TCPX_ASYNC_DIR/hostile_orphan
if [ ! -e "$A.ktap" ]; then
	ktap_print_header
	if [ "$TCPX_SLOW" = 1 ]; then
		ktap_skip_all "nothing in the background: on a slow machine (TCPX_SLOW) hostile_orphan.sh skips its part 2"
		exit "$KSFT_SKIP"
	fi
	ktap_exit_fail_msg "hostile_orphan.sh started nothing in $TCPX_ASYNC_DIR"
fi

# group_gone PG: no process of group PG is left.
# shellcheck disable=SC2317 # called by tcpx_wait_for
group_gone() {
	! kill -0 -- -"$1" 2>/dev/null
}

if ! tcpx_wait_for "$LIMIT" done_rc; then
	pg=$(cat "$A.pid" 2>/dev/null)
	if [ -n "$pg" ]; then
		kill -- -"$pg" 2>/dev/null
		tcpx_wait_for 10 group_gone "$pg" || kill -9 -- -"$pg" 2>/dev/null
	fi
	cat "$A.ktap"
	echo "# hostile_orphan.sh (part 2) still running after $LIMIT s here: killed"
	exit "$KSFT_FAIL"
fi
cat "$A.ktap"
exit "$(cat "$A.rc")"
