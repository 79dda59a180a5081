/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the C selftests: the harness, tcpx_util.h (the tcpx header,
 * the family from /sys, address and size parsing) and what only the
 * harness-based tests need.
 */
#ifndef _TCPX_TEST_H
#define _TCPX_TEST_H

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * -Wextra is for the tests' own code: 6.1's harness has unused parameters,
 * and 6.12's TEST_F() keeps a variable across its setjmp() (-Wclobbered,
 * which has to stay off where the macro expands; the tests have no setjmp
 * of their own).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "tcpx_util.h"

#define TCPX_PROC		"/proc/net/tcpx"
#define TCP_PROC		"/proc/net/tcp"
#define PROC_HEADER		"  sl  local_address rem_address   st"
#define TCPX_ABSENT		"tcpx module not loaded (no " TCPX_SYSFS ")"

/*
 * The family the tcpx module registered, or -1 when it is not loaded.  One
 * socket() call first gives MODULE_ALIAS_NETPROTO a chance to load it.
 */
static inline int tcpx_family(void)
{
	int fd;

	if (access(TCPX_SYSFS, F_OK)) {
		fd = socket(AF_TCPX, SOCK_STREAM, 0);
		if (fd >= 0)
			close(fd);
		if (access(TCPX_SYSFS, F_OK))
			return -1;
	}
	return tcpx_sys_family();
}

static inline int read_int(const char *path, int *val)
{
	return tcpx_read_int(path, val);
}

static inline int read_port_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int ret;

	if (!f)
		return -1;
	ret = fscanf(f, "%d %d", lo, hi) == 2 ? 0 : -1;
	fclose(f);
	return ret;
}

#endif /* _TCPX_TEST_H */
