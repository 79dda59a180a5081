#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Segment fuzzer (issue 12): fuzz_seg.py brings a tcpx socket into every
# state and writes mutated segments into it, then replays the same segments
# against a Linux TCP socket in the same state and compares the answers.
# One private namespace (the drill's), gone with the process:
#
#   [ private netns ]
#     tcpx socket, then TCP  <-- 192.0.2.1/24 tun drill0 -->  fuzz_seg.py
#     127.0.0.1: a fresh pair moving 1 MiB after each batch   (fake peer
#                                                              192.0.2.2)
#
# Test points: every state legal after its segments, every 1 MiB transfer
# exact, no exception or hang (a kernel splat fails the VM run); and no
# disagreement with TCP outside Documentation/fuzzing.rst's deliberate
# differences (their count is printed by kind).  FUZZ_SEGMENTS (segments
# into tcpx; TCP gets the same again) and FUZZ_SEED set the run; the seed
# is printed, and each failure prints the command that replays its batch.
# Writes no files outside /tmp.
. "$(dirname "$0")/tcpx_lib.sh"

# 21,000 segments: about two minutes on the debug kernel under emulation.
FUZZ_SEGMENTS=${FUZZ_SEGMENTS:-21000}
FUZZ_SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
# The kselftest runner stops a test at settings' timeout (600 s); a long
# run (make fuzz) passes FUZZ_TIMEOUT and its own runner timeout.
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-570}

tcpx_require /usr/bin/python3 ip timeout
tcpx_require_tun
tcpx_require_module

ktap_print_header
ktap_set_plan 4
ktap_print_msg "seed $FUZZ_SEED, $FUZZ_SEGMENTS segments"
out=$(mktemp /tmp/fuzz_seg.XXXXXX)
timeout "$FUZZ_TIMEOUT" /usr/bin/python3 "$TCPX_SELFTESTS/fuzz_seg.py" \
	--seed "$FUZZ_SEED" --segments "$FUZZ_SEGMENTS" > "$out" 2>&1
rc=$?
sed 's/^/# /' "$out"
[ "$rc" = 124 ] && echo "# timed out after $FUZZ_TIMEOUT s"
summary=$(grep '^RESULT ' "$out")
rm -f "$out"

# field NAME: NAME=VALUE of the RESULT line; empty without one.
field() {
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$summary"
}

point() {
	if [ -n "$summary" ] && [ "$(field "$1")" = 0 ]; then
		ktap_test_pass "$2"
	else
		ktap_test_fail "$2"
	fi
}
point illegal "every state legal after its segments, no wrapped queue"
point transfer "a fresh pair moves 1 MiB exactly after every batch"
point unexplained "no unexplained disagreement with Linux TCP"
if [ -n "$summary" ] && [ "$(field exception)" = 0 ] && [ "$rc" -le 1 ]; then
	ktap_test_pass "no exception, no hang ($(field rate) segments/s)"
else
	ktap_test_fail "no exception, no hang (exit status $rc)"
	tcpx_dump
fi
ktap_finished
