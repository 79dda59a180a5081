#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The drill scripts against Linux TCP, the baseline each was validated on
# (drill.sh runs them against tcpx): a program of its own, so that each
# stays inside kselftest's timeout on the debug kernel.  Over IPv4 and
# IPv6 (TCPX_DRILL_IP, default "4 6"): one test point per script and IP
# version, "drill NAME (tcp)" and "drill6 NAME (tcp)".
TCPX_DRILL_PROTO=tcp TCPX_DRILL_IP=${TCPX_DRILL_IP:-4 6} exec "$(dirname "$0")/drill.sh"
