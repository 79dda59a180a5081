/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpx_util.h: what the test programs (selftests/) and the tools (tools/,
 * scripts/demo.d/) share, with no test harness: the family and IP protocol
 * the module registered, read from /sys; "tcpx|tcp|N" arguments; ADDR:PORT
 * and ADDR parsing, IPv4 or IPv6; sizes with a K/M/G suffix; the "err" line of the shell
 * tests' helper programs.  Header only, all static inline; nothing here
 * opens a socket (libtcpxize.so includes it and intercepts socket()).
 * Include path: -I selftests -I tcpx/uapi; build with _GNU_SOURCE (lib.mk
 * and tools/Makefile pass it) for strerrorname_np().
 */
#ifndef _TCPX_UTIL_H
#define _TCPX_UTIL_H

#ifndef _GNU_SOURCE
#error "tcpx_util.h wants _GNU_SOURCE, defined before the first #include"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpx.h"

#define TCPX_SYSFS		"/sys/module/tcpx"
#define TCPX_SYSFS_PARAM	TCPX_SYSFS "/parameters/"
#define TCPX_SYSFS_FAMILY	TCPX_SYSFS_PARAM "family"
#define TCPX_SYSFS_IPPROTO	TCPX_SYSFS_PARAM "ipproto"

/* One integer from a file (/proc, /sys): 0, or -1 when it cannot be read. */
static inline int tcpx_read_int(const char *path, int *val)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f)
		return -1;
	ret = fscanf(f, "%d", val) == 1 ? 0 : -1;
	fclose(f);
	return ret;
}

/*
 * The address family the loaded module registered (its "family" parameter),
 * or AF_TCPX, the number it asks for, when that cannot be read.
 */
static inline int tcpx_sys_family(void)
{
	int family;

	return tcpx_read_int(TCPX_SYSFS_FAMILY, &family) ? AF_TCPX : family;
}

/* The IP protocol number the loaded module uses, or IPPROTO_TCPX. */
static inline int tcpx_sys_ipproto(void)
{
	int proto;

	return tcpx_read_int(TCPX_SYSFS_IPPROTO, &proto) ? IPPROTO_TCPX : proto;
}

/* A decimal number that is all of @s and within [@min, @max]; else -1. */
static inline int tcpx_parse_int(const char *s, long min, long max, long *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*val = v;
	return 0;
}

/* "tcp" is @tcp, "tcpx" @tcpx, a number 1..@max itself; -1 otherwise. */
static inline int tcpx_choice(const char *name, int tcp, int tcpx, long max)
{
	long v;

	if (!strcmp(name, "tcp"))
		return tcp;
	if (!strcmp(name, "tcpx"))
		return tcpx;
	return tcpx_parse_int(name, 1, max, &v) ? -1 : v;
}

/*
 * A "--family"/"-f" argument: "tcp" is AF_INET, "tcpx" the family the
 * module registered, a positive number itself; -1 for anything else.
 */
static inline int tcpx_family_of(const char *name)
{
	return tcpx_choice(name, AF_INET, tcpx_sys_family(), INT_MAX);
}

/* The same for an IP protocol ("--proto"): IPPROTO_TCP, the module's, 1..255. */
static inline int tcpx_proto_of(const char *name)
{
	return tcpx_choice(name, IPPROTO_TCP, tcpx_sys_ipproto(), 255);
}

/*
 * An IPv4 address: dotted quad, "any" (INADDR_ANY) or "localhost".
 * 0, or -1 when it is none of them.
 */
static inline int tcpx_parse_ip(const char *s, struct in_addr *addr)
{
	if (!strcmp(s, "any")) {
		addr->s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (!strcmp(s, "localhost")) {
		addr->s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	return inet_pton(AF_INET, s, addr) == 1 ? 0 : -1;
}

/*
 * @s copied into @buf (@len bytes) and cut at its last @sep: what followed
 * @sep, or NULL when @s does not fit or has no @sep.
 */
static inline char *tcpx_split(const char *s, int sep, char *buf, size_t len)
{
	char *p;

	if (strlen(s) >= len)
		return NULL;
	strcpy(buf, s);
	p = strrchr(buf, sep);
	if (!p)
		return NULL;
	*p = '\0';
	return p + 1;
}

/*
 * "ADDR:PORT" into a whole sockaddr_in (family set, the rest zeroed); ADDR
 * as tcpx_parse_ip(), PORT 0..65535.  0, or -1 when @s is not that.
 */
static inline int tcpx_parse_addr(const char *s, struct sockaddr_in *sin)
{
	char buf[64], *port_str;
	long port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	port_str = tcpx_split(s, ':', buf, sizeof(buf));
	if (!port_str || tcpx_parse_int(port_str, 0, 65535, &port) ||
	    tcpx_parse_ip(buf, &sin->sin_addr))
		return -1;
	sin->sin_port = htons(port);
	return 0;
}

/*
 * An IPv4 or an IPv6 socket address, as tcpx (and TCP) take them, with
 * the length to pass along with it.
 */
struct tcpx_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	};
	socklen_t len;
};

/* Room for what tcpx_fmt_sockaddr() writes: "[v6 address]:65535". */
#define TCPX_ADDRSTRLEN		(INET6_ADDRSTRLEN + 8)

/*
 * An address without a port into a whole tcpx_sockaddr (port 0): one with
 * a ':' is IPv6 ("::1", "[::1]", "::ffff:10.0.0.1"), anything else as
 * tcpx_parse_ip().  0, or -1 when @s is none of them.
 */
static inline int tcpx_parse_ip46(const char *s, struct tcpx_sockaddr *a)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(a, 0, sizeof(*a));
	if (!strchr(s, ':')) {
		a->sin.sin_family = AF_INET;
		a->len = sizeof(a->sin);
		return tcpx_parse_ip(s, &a->sin.sin_addr);
	}
	if (n >= sizeof(buf))
		return -1;
	if (s[0] == '[' && s[n - 1] == ']') {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		strcpy(buf, s);
	}
	a->sin6.sin6_family = AF_INET6;
	a->len = sizeof(a->sin6);
	return inet_pton(AF_INET6, buf, &a->sin6.sin6_addr) == 1 ? 0 : -1;
}

/* The port of @a, host order. */
static inline unsigned int tcpx_sockaddr_port(const struct tcpx_sockaddr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->sin6.sin6_port :
		     a->sin.sin_port);
}

static inline void tcpx_sockaddr_set_port(struct tcpx_sockaddr *a,
					  unsigned int port)
{
	if (a->sa.sa_family == AF_INET6)
		a->sin6.sin6_port = htons(port);
	else
		a->sin.sin_port = htons(port);
}

/*
 * "ADDR:PORT" into a whole tcpx_sockaddr: ADDR as tcpx_parse_ip46(), an
 * IPv6 one best in brackets ("[::1]:80"; "::1:80" is read as the same,
 * the port being what follows the last ':'), PORT 0..65535.  0, or -1.
 */
static inline int tcpx_parse_addr46(const char *s, struct tcpx_sockaddr *a)
{
	char buf[64], *port_str;
	long port;

	port_str = tcpx_split(s, ':', buf, sizeof(buf));
	if (!port_str || tcpx_parse_int(port_str, 0, 65535, &port) ||
	    tcpx_parse_ip46(buf, a))
		return -1;
	tcpx_sockaddr_set_port(a, port);
	return 0;
}

/*
 * @a (what getsockname() and the like return, @a->len unused) as
 * "10.0.0.1:80" or "[::1]:80" into @buf; @buf.
 */
static inline const char *tcpx_fmt_sockaddr(const struct tcpx_sockaddr *a,
					    char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->sin6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6.sin6_port));
	} else {
		inet_ntop(AF_INET, &a->sin.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin.sin_port));
	}
	return buf;
}

/*
 * The family to open a socket in for @a: a tcpx family is dual-stack and
 * stays as it is, "tcp" (AF_INET) becomes AF_INET6 for an IPv6 address.
 */
static inline int tcpx_family_for(int family, const struct tcpx_sockaddr *a)
{
	return family == AF_INET && a->sa.sa_family == AF_INET6 ? AF_INET6 :
	       family;
}

/*
 * A byte count, decimal or 0x hex, with an optional k/K, m/M or g/G suffix
 * (KiB, MiB, GiB); @end, when not NULL, receives what follows it (the
 * caller decides what may: "1M:200").  -1 when @s does not start with a
 * non-negative number, has a suffix other than those, or overflows.
 */
static inline long long tcpx_parse_size_end(const char *s, const char **end)
{
	unsigned int shift = 0;
	long long v;
	char *p;

	errno = 0;
	v = strtoll(s, &p, 0);
	if (errno || p == s || v < 0)
		return -1;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	}
	if (v > (LLONG_MAX >> shift))
		return -1;
	if (end)
		*end = p;
	else if (*p)
		return -1;
	return v << shift;
}

/* A byte count as above that is all of @s; -1 if not. */
static inline long long tcpx_parse_size(const char *s)
{
	return tcpx_parse_size_end(s, NULL);
}

/*
 * The failure line of the helper programs the shell tests run (tcpx_sock,
 * tcpx_conn, tcpx_ka): "err STEP DETAIL", flushed at once; 1, their exit
 * status.
 */
static inline int tcpx_fail_msg(const char *step, const char *detail)
{
	printf("err %s %s\n", step, detail);
	fflush(stdout);
	return 1;
}

/* The same with errno's name for DETAIL: "err connect ECONNREFUSED". */
static inline int tcpx_fail(const char *step)
{
	return tcpx_fail_msg(step, strerrorname_np(errno) ?: "?");
}

#endif /* _TCPX_UTIL_H */
