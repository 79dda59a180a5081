#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The drill scripts against Linux TCP, the baseline each was validated on
# (drill.sh runs them against tcpx): a program of its own, so that each
# stays inside kselftest's timeout on the debug kernel.  Over IPv4 and
# IPv6 (TCPX_DRILL_IP, default "4 6"): one test point per script and IP
# version, "drill NAME (tcp)" and "drill6 NAME (tcp)".  On the debug kernel
# (KSFT_MACHINE_SLOW) IPv4 only, unless TCPX_DRILL_IP says otherwise: the
# IPv6 run checks the interpreter and Linux TCP, not tcpx, the stock lane
# has it, and it would add three and a half minutes to this lane.
ips="4 6"
if [ "${KSFT_MACHINE_SLOW:-no}" = yes ]; then
	ips=4	# drill.sh's first message names the versions it runs
fi
TCPX_DRILL_PROTO=tcp TCPX_DRILL_IP=${TCPX_DRILL_IP:-$ips} exec "$(dirname "$0")/drill.sh"
