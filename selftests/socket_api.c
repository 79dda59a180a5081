// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpx socket API, checked against Linux TCP itself.
 *
 * Every TEST_F below runs twice: once on AF_TCPX (the family the loaded
 * module registered, read from /sys/module/tcpx/parameters/family) and once
 * on AF_INET/SOCK_STREAM, so "behaves like TCP" is asserted against the
 * running kernel's TCP rather than against our reading of it.  The tests of
 * the fixture without variants, "tcpx", are about tcpx only (its own port
 * space, level SOL_TCPX); socket_types checks tcpx's extra refusals.
 *
 * Covered: socket() types and protocols, SOCK_NONBLOCK/SOCK_CLOEXEC,
 * SO_DOMAIN/SO_TYPE/SO_PROTOCOL, bind() errors and EADDRINUSE rules,
 * ephemeral ports, getsockname(), listen() and the /proc/net table, the
 * TCP-level options with their ranges, TCP_INFO/TCPX_INFO and the
 * socket-level options.  Not yet: connect, accept, send, recv.
 *
 * Build (the selftests Makefile does this):
 *         gcc -Wall -Wextra -O2 -I<linux>/tools/testing/selftests \
 *             -I<tcpx>/tcpx/uapi
 * Run:    ./socket_api    as root, with tcpx.ko loaded (or installed, so
 *                         socket(AF_TCPX) loads it); without the module the
 *                         tcpx variant and the tcpx tests SKIP.  KTAP output.
 */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tcpx_test.h"

/* The uapi promises TCP's option numbers and TCP_INFO's leading layout. */
static_assert(TCPX_NODELAY == TCP_NODELAY, "TCPX_NODELAY");
static_assert(TCPX_MAXSEG == TCP_MAXSEG, "TCPX_MAXSEG");
static_assert(TCPX_KEEPIDLE == TCP_KEEPIDLE, "TCPX_KEEPIDLE");
static_assert(TCPX_KEEPINTVL == TCP_KEEPINTVL, "TCPX_KEEPINTVL");
static_assert(TCPX_KEEPCNT == TCP_KEEPCNT, "TCPX_KEEPCNT");
static_assert(TCPX_SYNCNT == TCP_SYNCNT, "TCPX_SYNCNT");
static_assert(TCPX_LINGER2 == TCP_LINGER2, "TCPX_LINGER2");
static_assert(TCPX_INFO == TCP_INFO, "TCPX_INFO");
static_assert(TCPX_USER_TIMEOUT == TCP_USER_TIMEOUT, "TCPX_USER_TIMEOUT");
static_assert(TCPX_QUICKACK == TCP_QUICKACK, "TCPX_QUICKACK");
static_assert(offsetof(struct tcpx_info, tcpi_total_retrans) ==
	       offsetof(struct tcp_info, tcpi_total_retrans),
	       "struct tcpx_info must start like struct tcp_info");

/* Fixed ports come from here: below the usual ephemeral range. */
#define PORT_BASE		20000
#define PORT_SPAN		10000

/* include/net/tcp.h (6.1) */
#define TCP_MIN_MSS		88
#define MAX_TCP_WINDOW		32767
#define MAX_TCP_KEEPIDLE	32767
#define MAX_TCP_KEEPINTVL	32767
#define MAX_TCP_KEEPCNT		127
#define MAX_TCP_SYNCNT		127
#define TCP_FIN_TIMEOUT_MAX	120	/* seconds */
#define UNCONNECTED_MSS		536	/* TCP_MSS_DEFAULT, before a route */

static int bind_to(int fd, in_addr_t addr, unsigned short port)
{
	struct sockaddr_in sin = sin4(addr, port);

	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static unsigned short random_port(void)
{
	static int seeded;

	if (!seeded) {
		srand(getpid());
		seeded = 1;
	}
	return PORT_BASE + rand() % PORT_SPAN;
}

/*
 * Bind @fd to @addr and a random fixed port, trying others while the port is
 * taken (by someone else: callers use this where EADDRINUSE is not the point).
 */
static int bind_random(int fd, sa_family_t family, in_addr_t addr,
		       unsigned short *port)
{
	struct sockaddr_in sin;
	int i;

	for (i = 0; i < 100; i++) {
		sin = sin4(addr, random_port());
		sin.sin_family = family;
		if (!bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			*port = ntohs(sin.sin_port);
			return 0;
		}
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/* getsockname() into a buffer larger than sockaddr_in; returns the length. */
static int local_name(int fd, struct sockaddr_in *sin)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0xa5, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	memcpy(sin, &ss, sizeof(*sin));
	return len;
}

/*
 * Count the lines of a /proc/net/tcp-format table whose local_address is
 * @addr:@port, printed as the kernel prints them ("0100007F:4E20"), and whose
 * st column is @st.  -1 if the table is missing or its header is not TCP's.
 */
static int proc_count(const char *path, in_addr_t addr, unsigned short port,
		      unsigned int st)
{
	return tcpx_proc_count(path, addr, port, 0, PROC_ANY, st);
}

/* setsockopt(@set) at @slevel succeeds and getsockopt at @glevel reads @get. */
static void opt_set_get(struct __test_metadata *_metadata, int fd,
			int slevel, int glevel, int opt, const char *name,
			int set, int get)
{
	socklen_t len = sizeof(int);
	int val = set;

	ASSERT_EQ(0, setsockopt(fd, slevel, opt, &val, sizeof(val)))
		TH_LOG("setsockopt(%d, %s, %d): %s",
		       slevel, name, set, strerror(errno));
	val = ~get;
	ASSERT_EQ(0, getsockopt(fd, glevel, opt, &val, &len))
		TH_LOG("getsockopt(%d, %s): %s", glevel, name, strerror(errno));
	ASSERT_EQ(sizeof(int), len);
	ASSERT_EQ(get, val)
		TH_LOG("%s set to %d at level %d reads %d at level %d, not %d",
		       name, set, slevel, val, glevel, get);
}

/* setsockopt(@set) fails with EINVAL and leaves the value as it was. */
static void opt_einval(struct __test_metadata *_metadata, int fd, int level,
		       int opt, const char *name, int set)
{
	int before = get_int(fd, level, opt);

	errno = 0;
	ASSERT_EQ(-1, set_int(fd, level, opt, set))
		TH_LOG("setsockopt(%s, %d) accepted an out-of-range value",
		       name, set);
	ASSERT_EQ(EINVAL, errno)
		TH_LOG("setsockopt(%s, %d): %s", name, set, strerror(errno));
	ASSERT_EQ(before, get_int(fd, level, opt));
}

#define SET_GET(opt, set, get) \
	opt_set_get(_metadata, fd, slevel, glevel, opt, #opt, set, get)
#define SET_EINVAL(opt, set) \
	opt_einval(_metadata, fd, slevel, opt, #opt, set)
/* An option taking 1..@max: 1, @max and @typ read back; 0, -1, @max + 1 fail. */
#define SET_1_TO_MAX(opt, max, typ) do {		\
	SET_GET(opt, 1, 1);				\
	SET_GET(opt, max, max);				\
	SET_GET(opt, typ, typ);				\
	SET_EINVAL(opt, 0);				\
	SET_EINVAL(opt, -1);				\
	SET_EINVAL(opt, (max) + 1);			\
} while (0)

/*
 * The TCP-level options, set at @slevel and read at @glevel, with the value
 * ranges of do_tcp_setsockopt() and the read-back of do_tcp_getsockopt().
 */
static void check_tcp_options(struct __test_metadata *_metadata, int family,
			      int slevel, int glevel)
{
	int fd, fin_timeout;

	fd = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);

	/* Any non-zero value turns Nagle off; it reads back as 1. */
	ASSERT_EQ(0, get_int(fd, glevel, TCPX_NODELAY));
	SET_GET(TCPX_NODELAY, 1, 1);
	SET_GET(TCPX_NODELAY, 0, 0);
	SET_GET(TCPX_NODELAY, 7, 1);
	SET_GET(TCPX_NODELAY, -1, 1);
	SET_GET(TCPX_NODELAY, 0, 0);

	/*
	 * Unconnected, TCP_MAXSEG reads mss_cache (536) until the user sets
	 * one, then the user's value; 0 clears it again.
	 */
	ASSERT_EQ(UNCONNECTED_MSS, get_int(fd, glevel, TCPX_MAXSEG));
	SET_GET(TCPX_MAXSEG, 1000, 1000);
	SET_GET(TCPX_MAXSEG, TCP_MIN_MSS, TCP_MIN_MSS);
	SET_GET(TCPX_MAXSEG, MAX_TCP_WINDOW, MAX_TCP_WINDOW);
	SET_EINVAL(TCPX_MAXSEG, TCP_MIN_MSS - 1);
	SET_EINVAL(TCPX_MAXSEG, MAX_TCP_WINDOW + 1);
	SET_EINVAL(TCPX_MAXSEG, -1);
	SET_GET(TCPX_MAXSEG, 0, UNCONNECTED_MSS);

	SET_1_TO_MAX(TCPX_KEEPIDLE, MAX_TCP_KEEPIDLE, 600);
	SET_1_TO_MAX(TCPX_KEEPINTVL, MAX_TCP_KEEPINTVL, 30);
	SET_1_TO_MAX(TCPX_KEEPCNT, MAX_TCP_KEEPCNT, 5);
	SET_1_TO_MAX(TCPX_SYNCNT, MAX_TCP_SYNCNT, 3);

	/* Delayed ACKs on (0) or off (1); reads back as 0 or 1. */
	ASSERT_EQ(1, get_int(fd, glevel, TCPX_QUICKACK));
	SET_GET(TCPX_QUICKACK, 0, 0);
	SET_GET(TCPX_QUICKACK, 1, 1);
	SET_GET(TCPX_QUICKACK, 0, 0);
	SET_GET(TCPX_QUICKACK, 2, 1);

	/* Milliseconds, any value >= 0; 0 means the default behaviour. */
	ASSERT_EQ(0, get_int(fd, glevel, TCPX_USER_TIMEOUT));
	SET_GET(TCPX_USER_TIMEOUT, 12345, 12345);
	SET_GET(TCPX_USER_TIMEOUT, INT_MAX, INT_MAX);
	SET_GET(TCPX_USER_TIMEOUT, 0, 0);
	SET_EINVAL(TCPX_USER_TIMEOUT, -1);
	SET_EINVAL(TCPX_USER_TIMEOUT, INT_MIN);

	/*
	 * Never EINVAL: negative means "no FIN-WAIT-2 timer" and reads -1,
	 * 0 means the namespace's fin_timeout, larger values are capped at
	 * TCP_FIN_TIMEOUT_MAX.
	 */
	fin_timeout = get_int(fd, glevel, TCPX_LINGER2);
	ASSERT_LT(0, fin_timeout);
	SET_GET(TCPX_LINGER2, 30, 30);
	SET_GET(TCPX_LINGER2, -5, -1);
	SET_GET(TCPX_LINGER2, INT_MIN, -1);
	SET_GET(TCPX_LINGER2, 0, fin_timeout);
	SET_GET(TCPX_LINGER2, TCP_FIN_TIMEOUT_MAX, TCP_FIN_TIMEOUT_MAX);
	SET_GET(TCPX_LINGER2, TCP_FIN_TIMEOUT_MAX + 1, TCP_FIN_TIMEOUT_MAX);
	SET_GET(TCPX_LINGER2, INT_MAX, TCP_FIN_TIMEOUT_MAX);

	ASSERT_EQ(0, close(fd));
}

/*
 * Option lengths as do_tcp_setsockopt() and do_tcp_getsockopt() take them:
 * setting needs a whole int; reading takes any length >= 0 and copies at
 * most an int, so a zero length succeeds and copies nothing.
 */
static void check_option_lengths(struct __test_metadata *_metadata,
				 int family, int level)
{
	static const int opts[] = {
		TCPX_NODELAY, TCPX_MAXSEG, TCPX_KEEPIDLE, TCPX_KEEPINTVL,
		TCPX_KEEPCNT, TCPX_SYNCNT, TCPX_LINGER2, TCPX_USER_TIMEOUT,
	};
	unsigned int i;
	socklen_t len;
	int fd, val;

	fd = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		val = 1;
		ASSERT_EQ(-1, setsockopt(fd, level, opts[i], &val,
					 sizeof(val) - 1));
		ASSERT_EQ(EINVAL, errno) TH_LOG("option %d", opts[i]);
		ASSERT_EQ(-1, setsockopt(fd, level, opts[i], &val, 0));
		ASSERT_EQ(EINVAL, errno) TH_LOG("option %d", opts[i]);

		len = -1;
		ASSERT_EQ(-1, getsockopt(fd, level, opts[i], &val, &len));
		ASSERT_EQ(EINVAL, errno) TH_LOG("option %d", opts[i]);

		len = 0;
		val = 0x5a5a5a5a;
		ASSERT_EQ(0, getsockopt(fd, level, opts[i], &val, &len))
			TH_LOG("option %d: %s", opts[i], strerror(errno));
		ASSERT_EQ(0U, len);
		ASSERT_EQ(0x5a5a5a5a, val);

		len = 2 * sizeof(int);
		ASSERT_EQ(0, getsockopt(fd, level, opts[i], &val, &len));
		ASSERT_EQ(sizeof(int), len);
	}
	ASSERT_EQ(0, close(fd));
}

/* TCP_INFO: the whole struct, then truncated copies. */
static void check_info(struct __test_metadata *_metadata, int fd, int level,
		       unsigned int state)
{
	struct tcpx_info info;
	unsigned char buf[2];
	socklen_t len;

	memset(&info, 0xee, sizeof(info));
	len = sizeof(info);
	ASSERT_EQ(0, getsockopt(fd, level, TCPX_INFO, &info, &len))
		TH_LOG("TCPX_INFO: %s", strerror(errno));
	ASSERT_EQ(sizeof(info), len);
	ASSERT_EQ(state, info.tcpi_state);

	/* One byte: just tcpi_state, and the length says so. */
	memset(buf, 0xee, sizeof(buf));
	len = 1;
	ASSERT_EQ(0, getsockopt(fd, level, TCPX_INFO, buf, &len));
	ASSERT_EQ(1U, len);
	ASSERT_EQ(state, buf[0]);
	ASSERT_EQ(0xee, buf[1]);

	/* Zero bytes: nothing copied, and still no error. */
	memset(buf, 0xee, sizeof(buf));
	len = 0;
	ASSERT_EQ(0, getsockopt(fd, level, TCPX_INFO, buf, &len));
	ASSERT_EQ(0U, len);
	ASSERT_EQ(0xee, buf[0]);
}

FIXTURE(socket_api) {
	int family;
	const char *skip;	/* why this variant cannot run here */
};

FIXTURE_VARIANT(socket_api) {
	bool tcpx;		/* family read from /sys/module/tcpx */
	int family;		/* default family */
	int protocol;		/* what SO_PROTOCOL reports */
	const char *proc;	/* the variant's /proc/net table */
};

FIXTURE_VARIANT_ADD(socket_api, tcpx) {
	.tcpx		= true,
	.family		= AF_TCPX,
	.protocol	= IPPROTO_TCPX,
	.proc		= TCPX_PROC,
};

FIXTURE_VARIANT_ADD(socket_api, tcp) {
	.family		= AF_INET,
	.protocol	= IPPROTO_TCP,
	.proc		= TCP_PROC,
};

/*
 * The reason to skip is kept for the body: 6.1's harness runs the body even
 * after a SKIP in the setup.
 */
FIXTURE_SETUP(socket_api)
{
	self->family = variant->family;
	if (variant->tcpx) {
		self->family = tcpx_family();
		if (self->family < 0)
			self->skip = TCPX_ABSENT;
	}
}

FIXTURE_TEARDOWN(socket_api)
{
}

TEST_F(socket_api, socket_types)
{
	int fd, prot;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd) TH_LOG("socket(%d, SOCK_STREAM, 0): %s",
				self->family, strerror(errno));
	ASSERT_EQ(0, close(fd));

	fd = socket(self->family, SOCK_STREAM, variant->protocol);
	ASSERT_LE(0, fd) TH_LOG("socket(%d, SOCK_STREAM, %d): %s",
				self->family, variant->protocol,
				strerror(errno));
	ASSERT_EQ(0, close(fd));

	/* No AF_INET protocol registers SOCK_RDM. */
	ASSERT_EQ(-1, socket(self->family, SOCK_RDM, 0));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);

	/*
	 * AF_INET has no SOCK_SEQPACKET unless SCTP is loaded (protocol 0
	 * does not autoload it): then it is SCTP's.
	 */
	fd = socket(self->family, SOCK_SEQPACKET, 0);
	if (fd >= 0) {
		prot = get_int(fd, SOL_SOCKET, SO_PROTOCOL);
		close(fd);
		ASSERT_FALSE(variant->tcpx)
			TH_LOG("tcpx made a SOCK_SEQPACKET socket");
		ASSERT_EQ(IPPROTO_SCTP, prot);
		TH_LOG("SCTP is loaded: AF_INET SOCK_SEQPACKET is SCTP's");
	} else {
		ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	}

	/* A stream type with a protocol no stream socket of this family has. */
	ASSERT_EQ(-1, socket(self->family, SOCK_STREAM, IPPROTO_UDP));
	ASSERT_EQ(EPROTONOSUPPORT, errno);

	/* AF_INET has UDP and raw sockets and TCP itself for these. */
	if (!variant->tcpx)
		return;

	ASSERT_EQ(-1, socket(self->family, SOCK_DGRAM, 0));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(self->family, SOCK_DGRAM, IPPROTO_TCPX));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(self->family, SOCK_RAW, 0));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(self->family, SOCK_RAW, IPPROTO_TCPX));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(self->family, SOCK_STREAM, IPPROTO_TCP));
	ASSERT_EQ(EPROTONOSUPPORT, errno);
}

TEST_F(socket_api, socket_flags)
{
	static const int flags[] = {
		0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC,
	};
	unsigned int i;
	int fd, fl;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		fd = socket(self->family, SOCK_STREAM | flags[i], 0);
		ASSERT_LE(0, fd) TH_LOG("flags %#x: %s", flags[i],
					strerror(errno));

		fl = fcntl(fd, F_GETFL);
		ASSERT_LE(0, fl);
		ASSERT_EQ(!!(flags[i] & SOCK_NONBLOCK), !!(fl & O_NONBLOCK))
			TH_LOG("flags %#x: F_GETFL %#x", flags[i], fl);

		fl = fcntl(fd, F_GETFD);
		ASSERT_LE(0, fl);
		ASSERT_EQ(!!(flags[i] & SOCK_CLOEXEC), !!(fl & FD_CLOEXEC))
			TH_LOG("flags %#x: F_GETFD %#x", flags[i], fl);

		ASSERT_EQ(0, close(fd));
	}
}

TEST_F(socket_api, so_domain_type_protocol)
{
	int protocols[] = { 0, variant->protocol };
	unsigned int i;
	int fd;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	for (i = 0; i < ARRAY_SIZE(protocols); i++) {
		fd = socket(self->family, SOCK_STREAM, protocols[i]);
		ASSERT_LE(0, fd);
		ASSERT_EQ(self->family, get_int(fd, SOL_SOCKET, SO_DOMAIN));
		ASSERT_EQ(SOCK_STREAM, get_int(fd, SOL_SOCKET, SO_TYPE));
		ASSERT_EQ(variant->protocol,
			  get_int(fd, SOL_SOCKET, SO_PROTOCOL))
			TH_LOG("created with protocol %d", protocols[i]);
		ASSERT_EQ(0, close(fd));
	}
}

TEST_F(socket_api, bind_errors)
{
	struct sockaddr_in sin;
	unsigned short port;
	int fd, nonlocal = 0;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);

	sin = sin4(htonl(INADDR_LOOPBACK), random_port());
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin) - 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sa_family_t)));
	ASSERT_EQ(EINVAL, errno);

	sin.sin_family = AF_INET6;
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(EAFNOSUPPORT, errno);

	/* AF_UNSPEC passes for AF_INET only with INADDR_ANY (inet_bind). */
	sin.sin_family = AF_UNSPEC;
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(EAFNOSUPPORT, errno);

	/* Nothing above may have bound it. */
	ASSERT_EQ(0, local_port(fd));

	read_int("/proc/sys/net/ipv4/ip_nonlocal_bind", &nonlocal);
	if (nonlocal) {
		TH_LOG("ip_nonlocal_bind=1: EADDRNOTAVAIL not checked");
	} else {
		ASSERT_EQ(-1, bind_to(fd, inet_addr("192.0.2.1"),
				      random_port()));
		ASSERT_EQ(EADDRNOTAVAIL, errno);
	}

	ASSERT_EQ(0, bind_random(fd, AF_UNSPEC, htonl(INADDR_ANY), &port))
		TH_LOG("AF_UNSPEC + INADDR_ANY: %s", strerror(errno));
	ASSERT_EQ((int)sizeof(sin), local_name(fd, &sin));
	ASSERT_EQ(AF_INET, sin.sin_family);
	ASSERT_EQ(htonl(INADDR_ANY), sin.sin_addr.s_addr);
	ASSERT_EQ(port, ntohs(sin.sin_port));

	/* Bound already: EINVAL, whatever the new address. */
	ASSERT_EQ(-1, bind_to(fd, htonl(INADDR_LOOPBACK), random_port()));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, bind_to(fd, htonl(INADDR_LOOPBACK), 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(port, local_port(fd));

	ASSERT_EQ(0, close(fd));
}

TEST_F(socket_api, bind_addrinuse)
{
	unsigned short port;
	int a, b, c;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	a = socket(self->family, SOCK_STREAM, 0);
	b = socket(self->family, SOCK_STREAM, 0);
	c = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);

	/* Same address and port, no SO_REUSEADDR. */
	ASSERT_EQ(0, bind_random(a, AF_INET, htonl(INADDR_LOOPBACK), &port));
	ASSERT_EQ(-1, bind_to(b, htonl(INADDR_LOOPBACK), port));
	ASSERT_EQ(EADDRINUSE, errno);

	/* The wildcard address overlaps 127.0.0.1. */
	ASSERT_EQ(-1, bind_to(b, htonl(INADDR_ANY), port));
	ASSERT_EQ(EADDRINUSE, errno);

	/* Once a is closed the port is free again (nothing was listening). */
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, bind_to(b, htonl(INADDR_LOOPBACK), port))
		TH_LOG("port %u still taken after close: %s", port,
		       strerror(errno));
	ASSERT_EQ(0, close(b));

	/* SO_REUSEADDR on both and neither listening: both bind. */
	a = socket(self->family, SOCK_STREAM, 0);
	b = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind_random(a, AF_INET, htonl(INADDR_LOOPBACK), &port));
	ASSERT_EQ(0, bind_to(b, htonl(INADDR_LOOPBACK), port))
		TH_LOG("SO_REUSEADDR, none listening: %s", strerror(errno));

	/* One of them listens: the other may not, a third may not bind. */
	ASSERT_EQ(0, listen(a, 1));
	ASSERT_EQ(-1, listen(b, 1));
	ASSERT_EQ(EADDRINUSE, errno);
	ASSERT_EQ(-1, bind_to(c, htonl(INADDR_LOOPBACK), port));
	ASSERT_EQ(EADDRINUSE, errno);

	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(b));
	ASSERT_EQ(0, close(c));
}

/* fd's name: AF_INET, addr (network order), a port in lo..hi; the port. */
static unsigned short assert_ephemeral(struct __test_metadata *_metadata,
				       int fd, in_addr_t addr, int lo, int hi)
{
	struct sockaddr_in sin;
	int port;

	ASSERT_EQ((int)sizeof(sin), local_name(fd, &sin));
	ASSERT_EQ(AF_INET, sin.sin_family);
	ASSERT_EQ(addr, sin.sin_addr.s_addr);
	port = ntohs(sin.sin_port);
	ASSERT_LE(lo, port) TH_LOG("port %d outside %d-%d", port, lo, hi);
	ASSERT_GE(hi, port) TH_LOG("port %d outside %d-%d", port, lo, hi);
	return port;
}

TEST_F(socket_api, bind_ephemeral)
{
	struct sockaddr_in sin;
	int fd, lo, hi;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	ASSERT_EQ(0, read_port_range(&lo, &hi));

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);

	/* Unbound: AF_INET 0.0.0.0:0, full sockaddr_in length. */
	ASSERT_EQ((int)sizeof(sin), local_name(fd, &sin));
	ASSERT_EQ(AF_INET, sin.sin_family);
	ASSERT_EQ(htonl(INADDR_ANY), sin.sin_addr.s_addr);
	ASSERT_EQ(0, sin.sin_port);

	ASSERT_EQ(0, bind_to(fd, htonl(INADDR_LOOPBACK), 0));
	assert_ephemeral(_metadata, fd, htonl(INADDR_LOOPBACK), lo, hi);
	ASSERT_EQ(0, close(fd));
}

/*
 * A send on a socket never bound nor connected fails with EPIPE and binds
 * nothing (TCP's no_autobind): the socket keeps port 0 and binds later.
 */
TEST_F(socket_api, send_unconnected_binds_nothing)
{
	struct sockaddr_in sin;
	int fd;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	errno = 0;
	ASSERT_EQ(-1, send(fd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	ASSERT_EQ((int)sizeof(sin), local_name(fd, &sin));
	ASSERT_EQ(0, sin.sin_port);
	ASSERT_EQ(0, bind_to(fd, htonl(INADDR_LOOPBACK), 0));
	ASSERT_EQ(0, close(fd));
}

TEST_F(socket_api, getsockname_bound)
{
	struct sockaddr_in sin;
	unsigned short port;
	int fd;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_random(fd, AF_INET, htonl(INADDR_LOOPBACK), &port));
	ASSERT_EQ((int)sizeof(sin), local_name(fd, &sin));
	ASSERT_EQ(AF_INET, sin.sin_family);
	ASSERT_EQ(htonl(INADDR_LOOPBACK), sin.sin_addr.s_addr);
	ASSERT_EQ(htons(port), sin.sin_port);
	ASSERT_EQ(0, close(fd));
}

TEST_F(socket_api, listen_proc)
{
	unsigned short port;
	int fd, lo, hi;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	ASSERT_EQ(0, read_port_range(&lo, &hi));

	/* listen() on an unbound socket binds 0.0.0.0 and an ephemeral port. */
	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get_int(fd, SOL_SOCKET, SO_ACCEPTCONN));
	ASSERT_EQ(0, listen(fd, 8));
	ASSERT_EQ(1, get_int(fd, SOL_SOCKET, SO_ACCEPTCONN));
	port = assert_ephemeral(_metadata, fd, htonl(INADDR_ANY), lo, hi);
	ASSERT_EQ(1, proc_count(variant->proc, htonl(INADDR_ANY), port, 0x0A))
		TH_LOG("0.0.0.0:%u not listed as LISTEN in %s",
		       port, variant->proc);
	/* listen() again only changes the backlog. */
	ASSERT_EQ(0, listen(fd, 16));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, proc_count(variant->proc, htonl(INADDR_ANY), port, 0x0A));

	/* Bound but not listening: not in the table (TCP lists no CLOSE). */
	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_random(fd, AF_INET, htonl(INADDR_LOOPBACK), &port));
	ASSERT_EQ(0, proc_count(variant->proc, htonl(INADDR_LOOPBACK), port,
				0x07));
	ASSERT_EQ(0, proc_count(variant->proc, htonl(INADDR_LOOPBACK), port,
				0x0A));

	ASSERT_EQ(0, listen(fd, 8));
	ASSERT_EQ(1, proc_count(variant->proc, htonl(INADDR_LOOPBACK), port,
				0x0A))
		TH_LOG("127.0.0.1:%u not listed as LISTEN in %s",
		       port, variant->proc);
	ASSERT_EQ(port, local_port(fd));

	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, proc_count(variant->proc, htonl(INADDR_LOOPBACK), port,
				0x0A))
		TH_LOG("closed listener still in %s", variant->proc);
}

TEST_F(socket_api, tcp_options)
{
	if (self->skip)
		SKIP(return, "%s", self->skip);

	check_tcp_options(_metadata, self->family, IPPROTO_TCP, IPPROTO_TCP);
}

TEST_F(socket_api, tcp_option_lengths)
{
	if (self->skip)
		SKIP(return, "%s", self->skip);

	check_option_lengths(_metadata, self->family, IPPROTO_TCP);
}

TEST_F(socket_api, tcp_info)
{
	int fd;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	check_info(_metadata, fd, IPPROTO_TCP, TCP_CLOSE);
	ASSERT_EQ(0, listen(fd, 1));
	check_info(_metadata, fd, IPPROTO_TCP, TCP_LISTEN);
	ASSERT_EQ(0, close(fd));
}

TEST_F(socket_api, socket_options)
{
	struct linger lg;
	struct timeval tv;
	static const int timeos[] = { SO_RCVTIMEO, SO_SNDTIMEO };
	/* Each set in turn: the value before, the value set, the value read. */
	static const struct {
		int opt, before, set, after;
	} ints[] = {
		{ SO_REUSEADDR, 0, 1, 1 },
		{ SO_KEEPALIVE, 0, 1, 1 },
		{ SO_KEEPALIVE, 1, 0, 0 },
		{ SO_RCVLOWAT, 1, 100, 100 },	/* default 1 */
		{ SO_RCVLOWAT, 100, 0, 1 },	/* 0 means 1 */
	};
	static const struct {
		int opt;
		const char *max;
	} bufs[] = {
		{ SO_RCVBUF, "/proc/sys/net/core/rmem_max" },
		{ SO_SNDBUF, "/proc/sys/net/core/wmem_max" },
	};
	unsigned int i;
	socklen_t len;
	int fd, max;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);

	for (i = 0; i < ARRAY_SIZE(ints); i++) {
		ASSERT_EQ(ints[i].before, get_int(fd, SOL_SOCKET, ints[i].opt))
			TH_LOG("option %d before %d", ints[i].opt, ints[i].set);
		ASSERT_EQ(0, set_int(fd, SOL_SOCKET, ints[i].opt, ints[i].set));
		ASSERT_EQ(ints[i].after, get_int(fd, SOL_SOCKET, ints[i].opt))
			TH_LOG("option %d set to %d", ints[i].opt, ints[i].set);
	}

	/* SO_LINGER: l_linger in seconds; a short optlen is EINVAL. */
	lg.l_onoff = 1;
	lg.l_linger = 5;
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	memset(&lg, 0, sizeof(lg));
	len = sizeof(lg);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	ASSERT_EQ(sizeof(lg), len);
	ASSERT_EQ(1, lg.l_onoff);
	ASSERT_EQ(5, lg.l_linger);
	lg.l_onoff = 0;
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	len = sizeof(lg);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	ASSERT_EQ(0, lg.l_onoff);
	ASSERT_EQ(-1, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
				 sizeof(lg) - 1));
	ASSERT_EQ(EINVAL, errno);

	/* Buffers: capped at [rw]mem_max, then doubled for overhead. */
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		ASSERT_EQ(0, read_int(bufs[i].max, &max));
		ASSERT_EQ(0, set_int(fd, SOL_SOCKET, bufs[i].opt, 65536));
		ASSERT_EQ(2 * (max < 65536 ? max : 65536),
			  get_int(fd, SOL_SOCKET, bufs[i].opt))
			TH_LOG("option %d", bufs[i].opt);
	}

	for (i = 0; i < ARRAY_SIZE(timeos); i++) {
		len = sizeof(tv);
		ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, timeos[i], &tv, &len));
		ASSERT_EQ(sizeof(tv), len);
		ASSERT_EQ(0, tv.tv_sec);
		ASSERT_EQ(0, tv.tv_usec);

		tv.tv_sec = 5;
		tv.tv_usec = 0;
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, timeos[i], &tv,
					sizeof(tv)));
		memset(&tv, 0, sizeof(tv));
		len = sizeof(tv);
		ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, timeos[i], &tv, &len));
		ASSERT_EQ(5, tv.tv_sec) TH_LOG("option %d", timeos[i]);
		ASSERT_EQ(0, tv.tv_usec) TH_LOG("option %d", timeos[i]);

		tv.tv_usec = 1000000;
		ASSERT_EQ(-1, setsockopt(fd, SOL_SOCKET, timeos[i], &tv,
					 sizeof(tv)));
		ASSERT_EQ(EDOM, errno);
	}

	ASSERT_EQ(0, get_int(fd, SOL_SOCKET, SO_ERROR));

	ASSERT_EQ(0, close(fd));
}

/*
 * TCP (tcp_set_rcvlowat) caps SO_RCVLOWAT at half the receive buffer once
 * SO_RCVBUF has locked it, so a reader never waits for more than can arrive.
 */
TEST_F(socket_api, so_rcvlowat_capped)
{
	int fd, max, rcvbuf;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	ASSERT_EQ(0, read_int("/proc/sys/net/core/rmem_max", &max));
	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_RCVBUF, 65536));
	rcvbuf = get_int(fd, SOL_SOCKET, SO_RCVBUF);
	ASSERT_EQ(2 * (max < 65536 ? max : 65536), rcvbuf);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 1 << 24));
	ASSERT_EQ(rcvbuf / 2, get_int(fd, SOL_SOCKET, SO_RCVLOWAT));
	ASSERT_EQ(rcvbuf, get_int(fd, SOL_SOCKET, SO_RCVBUF));
	ASSERT_EQ(0, close(fd));
}

/*
 * tcpx only.  A fixture without variants rather than TEST(): 6.1's TEST()
 * leaves a parameter unused, which -Wextra reports where the macro expands.
 */
FIXTURE(tcpx) {
	int family;
};

FIXTURE_SETUP(tcpx)
{
	self->family = tcpx_family();
}

FIXTURE_TEARDOWN(tcpx)
{
}

/* tcpx's ports are its own: TCP holding a port does not take it from tcpx. */
TEST_F(tcpx, port_space)
{
	int family = self->family;
	unsigned short port;
	int tcp, x;

	if (family < 0)
		SKIP(return, TCPX_ABSENT);

	tcp = socket(AF_INET, SOCK_STREAM, 0);
	x = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, tcp);
	ASSERT_LE(0, x);

	ASSERT_EQ(0, bind_random(tcp, AF_INET, htonl(INADDR_LOOPBACK), &port));
	ASSERT_EQ(0, bind_to(x, htonl(INADDR_LOOPBACK), port))
		TH_LOG("tcpx bind to TCP's 127.0.0.1:%u: %s",
		       port, strerror(errno));

	ASSERT_EQ(0, listen(tcp, 1));
	ASSERT_EQ(0, listen(x, 1));
	ASSERT_EQ(1, proc_count(TCP_PROC, htonl(INADDR_LOOPBACK), port, 0x0A));
	ASSERT_EQ(1, proc_count(TCPX_PROC, htonl(INADDR_LOOPBACK), port,
				0x0A));

	ASSERT_EQ(0, close(x));
	ASSERT_EQ(0, proc_count(TCPX_PROC, htonl(INADDR_LOOPBACK), port,
				0x0A));
	ASSERT_EQ(1, proc_count(TCP_PROC, htonl(INADDR_LOOPBACK), port, 0x0A));
	ASSERT_EQ(0, close(tcp));
}

/* SOL_TCPX and IPPROTO_TCP name the same options. */
TEST_F(tcpx, sol_tcpx)
{
	int family = self->family;
	int fd;

	if (family < 0)
		SKIP(return, TCPX_ABSENT);

	check_tcp_options(_metadata, family, SOL_TCPX, SOL_TCPX);
	check_tcp_options(_metadata, family, SOL_TCPX, IPPROTO_TCP);
	check_tcp_options(_metadata, family, IPPROTO_TCP, SOL_TCPX);
	check_option_lengths(_metadata, family, SOL_TCPX);

	fd = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	check_info(_metadata, fd, SOL_TCPX, TCP_CLOSE);
	ASSERT_EQ(0, listen(fd, 1));
	check_info(_metadata, fd, SOL_TCPX, TCP_LISTEN);
	ASSERT_EQ(0, close(fd));
}

/*
 * Every SOL_SOCKET and SOL_IP option number 0..99, read and set (an int 0
 * and an int 1) on a fresh tcpx socket and a fresh TCP socket: the same
 * success or the same errno, except where tcpx(7) says why not.  Values
 * are not compared (SO_DOMAIN, SO_PROTOCOL, cookies differ by design).
 */
struct opt_diff {
	int level, name;
	const char *why;
};

static const struct opt_diff opt_diffs[] = {
	{ SOL_SOCKET, SO_ZEROCOPY, "no MSG_ZEROCOPY: EOPNOTSUPP, as for any non-TCP family" },
	/* The core allows it on AF_INET/AF_INET6 sockets only (sk_is_inet()). */
	{ SOL_SOCKET, SO_REUSEPORT, "EOPNOTSUPP: not an AF_INET family" },
	/* TCP has a peek offset since 6.7 (set_peek_off); tcpx does not. */
	{ SOL_SOCKET, SO_PEEK_OFF, "EOPNOTSUPP: no set_peek_off" },
	/* SO_DEVMEM_DONTNEED (80, 6.12): device-memory TCP only. */
	{ SOL_SOCKET, 80, "EBADF: devmem is TCP's alone" },
};

static const char *opt_diff_why(int level, int name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opt_diffs); i++)
		if (opt_diffs[i].level == level && opt_diffs[i].name == name)
			return opt_diffs[i].why;
	return NULL;
}

/* ret and errno of one call on a fresh socket of @family. */
static int opt_call(int family, int level, int name, int set, int val)
{
	char buf[256] = { 0 };
	socklen_t len = sizeof(buf);
	int fd, ret, err;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1000;
	memcpy(buf, &val, sizeof(val));
	if (set)
		ret = setsockopt(fd, level, name, buf, sizeof(int));
	else
		ret = getsockopt(fd, level, name, buf, &len);
	err = ret ? errno : 0;
	close(fd);
	return err;
}

TEST_F(tcpx, option_parity)
{
	static const int levels[] = { SOL_SOCKET, SOL_IP };
	int family = self->family, diffs = 0;
	size_t l;
	int name, k;

	if (family < 0)
		SKIP(return, TCPX_ABSENT);
	for (l = 0; l < ARRAY_SIZE(levels); l++) {
		for (name = 0; name < 100; name++) {
			for (k = 0; k < 3; k++) {
				int x = opt_call(family, levels[l], name, k > 0, k - 1);
				int t = opt_call(AF_INET, levels[l], name, k > 0, k - 1);

				if (x == t || opt_diff_why(levels[l], name))
					continue;
				diffs++;
				TH_LOG("level %d option %d %s: tcpx %s, TCP %s",
				       levels[l], name, k ? "set" : "get",
				       x ? strerror(x) : "ok", t ? strerror(t) : "ok");
			}
		}
	}
	ASSERT_EQ(0, diffs);
}

TEST_HARNESS_MAIN
