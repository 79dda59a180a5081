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

/* An IPv4 address, @addr in network order. */
static inline struct sockaddr_in sin4(in_addr_t addr, unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family	= AF_INET,
		.sin_port	= htons(port),
		.sin_addr	= { .s_addr = addr },
	};

	return sin;
}

/* An int socket option, or -1 when getsockopt() fails. */
static inline int get_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val;

	if (getsockopt(fd, level, opt, &val, &len))
		return -1;
	return val;
}

static inline int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

/* Set SO_LINGER {1, 0} and close: an abort, RST instead of FIN. */
static inline int abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		return -1;
	return close(fd);
}

/* The socket's local port, or -1. */
static inline int local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	return ntohs(sin.sin_port);
}

#define PROC_ANY	(-1)	/* tcpx_proc_count(): any remote, any state */

/*
 * Count the lines of a /proc/net/tcp-format table (/proc/net/tcp6's too)
 * whose local_address is @want_l, whose rem_address is @want_r (NULL: any)
 * and whose st is @st (PROC_ANY: any), both as the table prints them.  -1 if
 * the table is missing or its header line does not start with @header.
 */
static inline int tcpx_proc_lines(const char *path, const char *header,
				  const char *want_l, const char *want_r,
				  int st)
{
	char line[512], local[64], rem[64];
	unsigned int state;
	int n = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, header, strlen(header))) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %63s %63s %x", local, rem, &state) != 3)
			continue;
		if (strcmp(local, want_l))
			continue;
		if (want_r && strcmp(rem, want_r))
			continue;
		if (st == PROC_ANY || (int)state == st)
			n++;
	}
	fclose(f);
	return n;
}

/*
 * Count the lines of a /proc/net/tcp-format table whose local address is
 * @laddr:@lport, whose remote is @raddr:@rport (@rport PROC_ANY: any
 * remote) and whose st is @st (PROC_ANY: any).  Addresses in network
 * order: the kernel prints the __be32 as a host integer, %08X
 * ("0100007F:4E20").  -1 if the table is missing or its header is not TCP's.
 */
static inline int tcpx_proc_count(const char *path, in_addr_t laddr, int lport,
				  in_addr_t raddr, int rport, int st)
{
	/* Room for what gcc thinks an int port may print. */
	char want_l[24], want_r[24];

	snprintf(want_l, sizeof(want_l), "%08X:%04X", laddr, lport);
	snprintf(want_r, sizeof(want_r), "%08X:%04X", raddr,
		 rport == PROC_ANY ? 0 : rport);
	return tcpx_proc_lines(path, PROC_HEADER, want_l,
			       rport == PROC_ANY ? NULL : want_r, st);
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
