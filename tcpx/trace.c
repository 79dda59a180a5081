// SPDX-License-Identifier: GPL-2.0
/* The one place the tracepoints are instantiated. */
#include "tcpx.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
