#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The drill scripts against Linux TCP, the baseline each was validated on
# (drill.sh runs them against tcpx): a program of its own, so that each
# stays inside kselftest's timeout on the debug kernel.
TCPX_DRILL_PROTO=tcp exec "$(dirname "$0")/drill.sh"
