// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv6 socket API of tcpx, checked against Linux TCP over AF_INET6.
 *
 * Every TEST_F runs twice: on AF_TCPX (the family the loaded module
 * registered) and on AF_INET6/SOCK_STREAM, so "as TCP" means what the
 * running kernel's TCP does; the tcp variant must pass everywhere and the
 * tcpx variant then with the same body.  An AF_TCPX socket is undecided
 * after socket(): its first bind() or connect() with a sockaddr_in6, or its
 * first SOL_IPV6 option, makes it an IPv6 socket for good, like an AF_INET6
 * TCP socket; with a sockaddr_in it becomes an IPv4 one.  So each tcpx
 * socket meant to be IPv6 here starts with one of those (sock6() uses a
 * getsockopt(IPV6_V6ONLY)); the IPv4 clients are AF_INET TCP sockets on the
 * tcp variant and tcpx sockets connected with a sockaddr_in on the tcpx one.
 *
 * Covered: the sockaddr_in6 names of getsockname, getpeername and accept;
 * dual stack ([::] accepts IPv4 clients as ::ffff:a.b.c.d) and IPV6_V6ONLY;
 * address errors; connecting to v4-mapped addresses; EADDRINUSE between the
 * two families; tcpx's own port space; data, half close, resets and
 * TIME-WAIT over IPv6; the SOL_IPV6 and SOL_IP options of an IPv6 socket;
 * /proc/net/tcpx6 against /proc/net/tcp6.
 *
 * Everything runs over ::1 and 127.0.0.1 with ephemeral ports (port 0 and
 * getsockname()); sockets get 10 s SO_RCVTIMEO/SO_SNDTIMEO so that a broken
 * implementation fails instead of hanging.
 *
 * Build (the selftests Makefile does this):
 *         gcc -Wall -Wextra -O2 -I<linux>/tools/testing/selftests \
 *             -I<tcpx>/tcpx/uapi
 * Run:    ./inet6_api    as root in a namespace with lo up; without tcpx.ko
 *                        the tcpx variant SKIPs.  KTAP output.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcpx_test.h"

#define TEST_TIMEOUT		30	/* seconds, per test */
#define IO_TIMEOUT_S		10	/* SO_RCVTIMEO/SO_SNDTIMEO */
#define WAIT_MS			10000	/* an event that should come promptly */
#define XFER_SIZE		32768	/* each way; fits the loopback buffers */

#define TCPX6_PROC		"/proc/net/tcpx6"
#define TCP6_PROC		"/proc/net/tcp6"
#define BINDV6ONLY		"/proc/sys/net/ipv6/bindv6only"
#define HOP_LIMIT		"/proc/sys/net/ipv6/conf/all/hop_limit"
#define IP_TTL_DEFAULT		"/proc/sys/net/ipv4/ip_default_ttl"

#define LOOPBACK		htonl(INADDR_LOOPBACK)
#define ST_ESTABLISHED		1
#define ST_TIME_WAIT		6
#define ST_LISTEN		10

/* ---- addresses ----------------------------------------------------------- */

/* ::ffff:@addr, @addr in network order. */
static struct in6_addr mapped(in_addr_t addr)
{
	struct in6_addr in6 = { .s6_addr32 = { 0, 0, htonl(0xffff), addr } };

	return in6;
}

static struct sockaddr_in6 sin6(const struct in6_addr *addr,
				unsigned short port)
{
	struct sockaddr_in6 s = {
		.sin6_family	= AF_INET6,
		.sin6_port	= htons(port),
		.sin6_addr	= *addr,
	};

	return s;
}

static int bind6(int fd, const struct in6_addr *addr, unsigned short port)
{
	struct sockaddr_in6 s = sin6(addr, port);

	return bind(fd, (struct sockaddr *)&s, sizeof(s));
}

static int connect6(int fd, const struct in6_addr *addr, unsigned short port)
{
	struct sockaddr_in6 s = sin6(addr, port);

	return connect(fd, (struct sockaddr *)&s, sizeof(s));
}

static int bind4(int fd, in_addr_t addr, unsigned short port)
{
	struct sockaddr_in s = sin4(addr, port);

	return bind(fd, (struct sockaddr *)&s, sizeof(s));
}

static int connect4(int fd, unsigned short port)
{
	struct sockaddr_in s = sin4(LOOPBACK, port);

	return connect(fd, (struct sockaddr *)&s, sizeof(s));
}

/* ---- sockets ------------------------------------------------------------- */

static int set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * An IPv6 socket of @family: a getsockopt(SOL_IPV6) is its first call (what
 * makes a tcpx socket IPv6 without binding it); then the timeouts.
 */
static int sock6(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (get_int(fd, SOL_IPV6, IPV6_V6ONLY) < 0 || set_timeouts(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An IPv4 client of @family4: tcpx decides at its connect(sockaddr_in). */
static int sock4(int family4)
{
	int fd = socket(family4, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (set_timeouts(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A listener of @family on @addr:@want (0: an ephemeral port), its port in
 * *@port: IPV6_V6ONLY set to @v6only first (-1: left alone, the bind is the
 * first call).
 */
static int listen6_at(struct __test_metadata *_metadata, int family,
		      const struct in6_addr *addr, int v6only, int want,
		      unsigned short *port)
{
	int fd, p;

	fd = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd) TH_LOG("socket(%d): %s", family, strerror(errno));
	if (v6only >= 0)
		ASSERT_EQ(0, set_int(fd, SOL_IPV6, IPV6_V6ONLY, v6only))
			TH_LOG("IPV6_V6ONLY %d: %s", v6only, strerror(errno));
	ASSERT_EQ(0, bind6(fd, addr, want))
		TH_LOG("bind port %d: %s", want, strerror(errno));
	ASSERT_EQ(0, listen(fd, 8)) TH_LOG("listen: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(fd));
	/* local_port() reads sin_port: where sin6_port is too. */
	p = local_port(fd);
	ASSERT_LT(0, p);
	*port = p;
	return fd;
}

static int listen6(struct __test_metadata *_metadata, int family,
		   const struct in6_addr *addr, int v6only,
		   unsigned short *port)
{
	return listen6_at(_metadata, family, addr, v6only, 0, port);
}

static int accept_t(struct __test_metadata *_metadata, int l)
{
	int a = accept(l, NULL, NULL);

	ASSERT_LE(0, a) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(a));
	return a;
}

/* A ::1 client of @family connected to @port and accepted from @l. */
static void pair6(struct __test_metadata *_metadata, int family, int l,
		  unsigned short port, int *c, int *a)
{
	*c = sock6(family);
	ASSERT_LE(0, *c);
	ASSERT_EQ(0, connect6(*c, &in6addr_loopback, port))
		TH_LOG("connect [::1]:%u: %s", port, strerror(errno));
	*a = accept_t(_metadata, l);
}

/* An IPv4 client of @family4 connected to 127.0.0.1:@port, accepted. */
static void pair4(struct __test_metadata *_metadata, int family4, int l,
		  unsigned short port, int *c, int *a)
{
	*c = sock4(family4);
	ASSERT_LE(0, *c);
	ASSERT_EQ(0, connect4(*c, port))
		TH_LOG("connect 127.0.0.1:%u: %s", port, strerror(errno));
	*a = accept_t(_metadata, l);
}

/* A few bytes each way between @c and @a. */
static void ping_pong(struct __test_metadata *_metadata, int c, int a)
{
	char buf[4];

	ASSERT_EQ(4, send(c, "ping", 4, MSG_NOSIGNAL));
	ASSERT_EQ(4, recv(a, buf, 4, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(4, send(a, "pong", 4, MSG_NOSIGNAL));
	ASSERT_EQ(4, recv(c, buf, 4, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "pong", 4));
}

/* An IPv4 listener of @family4 on 127.0.0.1, ephemeral port in *@port. */
static int listen4(struct __test_metadata *_metadata, int family4,
		   unsigned short *port)
{
	int fd = sock4(family4);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind4(fd, LOOPBACK, 0)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, 8));
	*port = local_port(fd);
	return fd;
}

/* A port free for @family's IPv6 and IPv4 sockets just now, or -1. */
static int free_port(int family)
{
	int fd = socket(family, SOCK_STREAM, 0), port;

	if (fd < 0)
		return -1;
	if (set_int(fd, SOL_IPV6, IPV6_V6ONLY, 0) ||
	    bind6(fd, &in6addr_any, 0))
		port = -1;
	else
		port = local_port(fd);
	close(fd);
	return port;
}

/*
 * A port free for IPv6 and IPv4 sockets of both @family and @other just
 * now, or -1.  Earlier tests leave TIME-WAIT sockets behind, and a port
 * picked in one port space may be held in the other.
 */
static int free_port2(int family, int other)
{
	int i, port, fd;

	for (i = 0; i < 100; i++) {
		port = free_port(family);
		if (port < 0)
			return -1;
		fd = socket(other, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (!set_int(fd, SOL_IPV6, IPV6_V6ONLY, 0) &&
		    !bind6(fd, &in6addr_any, port)) {
			close(fd);
			return port;
		}
		close(fd);
	}
	return -1;
}

/* ---- names --------------------------------------------------------------- */

/* @ss, @len is @addr:@port as a whole sockaddr_in6 (@port -1: any port). */
static void check_sin6(struct __test_metadata *_metadata,
		       const struct sockaddr_storage *ss, socklen_t len,
		       const struct in6_addr *addr, int port)
{
	const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
	char got[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];

	ASSERT_EQ(sizeof(*s), len) TH_LOG("family %d", s->sin6_family);
	ASSERT_EQ(AF_INET6, s->sin6_family);
	inet_ntop(AF_INET6, &s->sin6_addr, got, sizeof(got));
	inet_ntop(AF_INET6, addr, want, sizeof(want));
	ASSERT_EQ(0, memcmp(addr, &s->sin6_addr, sizeof(*addr)))
		TH_LOG("address %s, not %s", got, want);
	if (port >= 0)
		ASSERT_EQ(port, ntohs(s->sin6_port));
	ASSERT_EQ(0U, s->sin6_flowinfo);
	ASSERT_EQ(0U, s->sin6_scope_id);
}

/* @ss, @len is @addr:@port as a whole sockaddr_in. */
static void check_sin4(struct __test_metadata *_metadata,
		       const struct sockaddr_storage *ss, socklen_t len,
		       in_addr_t addr, int port)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

	ASSERT_EQ(sizeof(*s), len) TH_LOG("family %d", s->sin_family);
	ASSERT_EQ(AF_INET, s->sin_family);
	ASSERT_EQ(addr, s->sin_addr.s_addr);
	ASSERT_EQ(port, ntohs(s->sin_port));
}

/* getsockname() (@peer false) or getpeername() of @fd is @addr:@port. */
static void name6(struct __test_metadata *_metadata, int fd, bool peer,
		  const struct in6_addr *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0xa5, sizeof(ss));
	ASSERT_EQ(0, (peer ? getpeername : getsockname)(fd,
			(struct sockaddr *)&ss, &len))
		TH_LOG("get%sname: %s", peer ? "peer" : "sock", strerror(errno));
	check_sin6(_metadata, &ss, len, addr, port);
}

static void name4(struct __test_metadata *_metadata, int fd, bool peer,
		  in_addr_t addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ASSERT_EQ(0, (peer ? getpeername : getsockname)(fd,
			(struct sockaddr *)&ss, &len));
	check_sin4(_metadata, &ss, len, addr, port);
}

/* ---- /proc/net/tcp6 format ----------------------------------------------- */

/* @addr:@port as tcp6_seq_show() prints it: four host-order %08X words. */
static void proc6_addr(char *buf, size_t size, const struct in6_addr *addr,
		       unsigned short port)
{
	snprintf(buf, size, "%08X%08X%08X%08X:%04X", addr->s6_addr32[0],
		 addr->s6_addr32[1], addr->s6_addr32[2], addr->s6_addr32[3],
		 port);
}

/* The header line of /proc/net/tcp6, the reference; "" if unreadable. */
static const char *tcp6_header(void)
{
	static char line[512];
	FILE *f = fopen(TCP6_PROC, "r");

	line[0] = 0;
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return line;
}

/*
 * Lines of the tcp6-format table @path for @laddr:@lport -> @raddr:@rport
 * (@raddr NULL: any remote) in state @st (PROC_ANY: any).
 */
static int proc6_count(const char *path, const struct in6_addr *laddr,
		       int lport, const struct in6_addr *raddr, int rport,
		       int st)
{
	char want_l[64], want_r[64];

	proc6_addr(want_l, sizeof(want_l), laddr, lport);
	if (raddr)
		proc6_addr(want_r, sizeof(want_r), raddr, rport);
	return tcpx_proc_lines(path, tcp6_header(), want_l,
			       raddr ? want_r : NULL, st);
}

/* Wait until proc6_count() gives @count; return the last count. */
static int wait_proc6(const char *path, const struct in6_addr *laddr,
		      int lport, const struct in6_addr *raddr, int rport,
		      int st, int count)
{
	int n, i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		n = proc6_count(path, laddr, lport, raddr, rport, st);
		if (n == count || n < 0)
			break;
		usleep(10000);
	}
	return n;
}

/* Fields of the first line of @path whose local_address is @addr:@port. */
static int proc6_fields(const char *path, const struct in6_addr *addr,
			unsigned short port)
{
	char line[512], want[64], *tok, *save;
	int n = -1;
	FILE *f;

	proc6_addr(want, sizeof(want), addr, port);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (n < 0 && fgets(line, sizeof(line), f)) {
		if (!strstr(line, want) || strstr(line, want) > line + 8)
			continue;
		n = 0;
		for (tok = strtok_r(line, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save))
			n++;
	}
	fclose(f);
	return n;
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(inet6_api) {
	int family;		/* IPv6 sockets */
	int family4;		/* IPv4 clients */
	const char *skip;	/* why this variant cannot run here */
};

FIXTURE_VARIANT(inet6_api) {
	bool tcpx;		/* family read from /sys/module/tcpx */
	int family;
	int family4;
	int protocol;		/* what SO_PROTOCOL reports */
	const char *proc6;	/* the variant's /proc/net table, IPv6 */
	const char *proc4;	/* and IPv4 */
};

FIXTURE_VARIANT_ADD(inet6_api, tcpx) {
	.tcpx		= true,
	.family		= AF_TCPX,
	.family4	= AF_TCPX,
	.protocol	= IPPROTO_TCPX,
	.proc6		= TCPX6_PROC,
	.proc4		= TCPX_PROC,
};

FIXTURE_VARIANT_ADD(inet6_api, tcp) {
	.family		= AF_INET6,
	.family4	= AF_INET,
	.protocol	= IPPROTO_TCP,
	.proc6		= TCP6_PROC,
	.proc4		= TCP_PROC,
};

/*
 * The reason to skip is kept for the body: 6.1's harness runs the body even
 * after a SKIP in the setup.
 */
FIXTURE_SETUP(inet6_api)
{
	self->family = variant->family;
	self->family4 = variant->family4;
	if (variant->tcpx) {
		self->family = self->family4 = tcpx_family();
		if (self->family < 0)
			self->skip = TCPX_ABSENT;
	}
}

FIXTURE_TEARDOWN(inet6_api)
{
}

/* ---- 1. names over ::1 --------------------------------------------------- */

/*
 * A socket whose first call is bind() or connect() with a sockaddr_in6 is
 * IPv6: getsockname, getpeername and accept give 28-byte sockaddr_in6 (no
 * flow label, no scope), the client's port from the ephemeral range; a short
 * buffer gets a truncated copy and the full length; the accepted socket is
 * of the listener's family and protocol.
 */
TEST_F_TIMEOUT(inet6_api, names, TEST_TIMEOUT)
{
	const struct in6_addr *lo6 = &in6addr_loopback;
	struct sockaddr_storage from;
	unsigned char *raw = (unsigned char *)&from;
	int l, c, a, cport, lo, hi;
	unsigned short port;
	socklen_t len;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ASSERT_EQ(0, read_port_range(&lo, &hi));
	l = listen6(_metadata, self->family, lo6, -1, &port);
	name6(_metadata, l, false, lo6, port);
	len = sizeof(from);
	ASSERT_EQ(-1, getpeername(l, (struct sockaddr *)&from, &len));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(self->family, get_int(l, SOL_SOCKET, SO_DOMAIN));

	c = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect6(c, lo6, port))
		TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(c));
	cport = local_port(c);
	ASSERT_LE(lo, cport);
	ASSERT_GE(hi, cport);
	name6(_metadata, c, false, lo6, cport);
	name6(_metadata, c, true, lo6, port);

	memset(&from, 0xa5, sizeof(from));
	len = sizeof(from);
	a = accept(l, (struct sockaddr *)&from, &len);
	ASSERT_LE(0, a) TH_LOG("accept: %s", strerror(errno));
	check_sin6(_metadata, &from, len, lo6, cport);
	ASSERT_EQ(0xa5, raw[sizeof(struct sockaddr_in6)]);
	name6(_metadata, a, false, lo6, port);
	name6(_metadata, a, true, lo6, cport);
	ASSERT_EQ(self->family, get_int(a, SOL_SOCKET, SO_DOMAIN));
	ASSERT_EQ(variant->protocol, get_int(a, SOL_SOCKET, SO_PROTOCOL));
	ASSERT_EQ(0, set_timeouts(a));

	ping_pong(_metadata, c, a);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));

	/* A short address buffer: truncated copy, the full length reported. */
	c = sock6(self->family);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect6(c, lo6, port));
	memset(&from, 0xa5, sizeof(from));
	len = 8;
	a = accept(l, (struct sockaddr *)&from, &len);
	ASSERT_LE(0, a);
	ASSERT_EQ(sizeof(struct sockaddr_in6), len);
	ASSERT_EQ(AF_INET6, ((struct sockaddr_in6 *)&from)->sin6_family);
	ASSERT_EQ(htons(local_port(c)),
		  ((struct sockaddr_in6 *)&from)->sin6_port);
	ASSERT_EQ(0xa5, raw[8]);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));
}

/* ---- 2. dual stack ------------------------------------------------------- */

/*
 * A [::] listener without IPV6_V6ONLY accepts IPv4 clients and reports them
 * as ::ffff:127.0.0.1, in accept() and on the accepted socket, while the
 * client itself speaks sockaddr_in; IPv6 clients still get ::1.  A listener
 * bound to ::ffff:127.0.0.1 is an IPv4 one: IPv4 clients reach it, ::1
 * clients do not.
 */
TEST_F_TIMEOUT(inet6_api, dual_stack, TEST_TIMEOUT)
{
	struct in6_addr m = mapped(LOOPBACK);
	struct sockaddr_storage from;
	int l, c, a, cport;
	unsigned short port;
	socklen_t len;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listen6(_metadata, self->family, &in6addr_any, 0, &port);
	name6(_metadata, l, false, &in6addr_any, port);

	c = sock4(self->family4);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect4(c, port))
		TH_LOG("IPv4 client to [::]:%u: %s", port, strerror(errno));
	cport = local_port(c);
	name4(_metadata, c, false, LOOPBACK, cport);
	name4(_metadata, c, true, LOOPBACK, port);
	memset(&from, 0xa5, sizeof(from));
	len = sizeof(from);
	a = accept(l, (struct sockaddr *)&from, &len);
	ASSERT_LE(0, a) TH_LOG("accept: %s", strerror(errno));
	check_sin6(_metadata, &from, len, &m, cport);
	name6(_metadata, a, false, &m, port);
	name6(_metadata, a, true, &m, cport);
	ASSERT_EQ(self->family, get_int(a, SOL_SOCKET, SO_DOMAIN));
	ASSERT_EQ(0, set_timeouts(a));
	ping_pong(_metadata, c, a);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));

	pair6(_metadata, self->family, l, port, &c, &a);
	name6(_metadata, a, true, &in6addr_loopback, local_port(c));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));

	/* Bound to the v4-mapped loopback: an IPv4 listener. */
	l = listen6(_metadata, self->family, &m, 0, &port);
	name6(_metadata, l, false, &m, port);
	pair4(_metadata, self->family4, l, port, &c, &a);
	name6(_metadata, a, true, &m, local_port(c));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));
	c = sock6(self->family);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect6(c, &in6addr_loopback, port));
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));
}

/* ---- 3. IPV6_V6ONLY ------------------------------------------------------ */

/*
 * The default is net.ipv6.bindv6only.  With IPV6_V6ONLY a [::] listener
 * refuses IPv4 clients (nothing listens for them: RST, ECONNREFUSED) and
 * still takes IPv6 ones; a v4-mapped address cannot be bound (EINVAL) nor
 * connected to (ENETUNREACH).  The option is fixed once the socket is
 * bound: EINVAL, the value unchanged.
 */
TEST_F_TIMEOUT(inet6_api, v6only, TEST_TIMEOUT)
{
	struct in6_addr m = mapped(LOOPBACK);
	int l, l4, c, a, s, def;
	unsigned short port, port4;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ASSERT_EQ(0, read_int(BINDV6ONLY, &def));
	s = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(def, get_int(s, SOL_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0, close(s));

	l = listen6(_metadata, self->family, &in6addr_any, 1, &port);
	ASSERT_EQ(1, get_int(l, SOL_IPV6, IPV6_V6ONLY));
	c = sock4(self->family4);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect4(c, port))
		TH_LOG("an IPv4 client reached a V6ONLY listener");
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, close(c));
	pair6(_metadata, self->family, l, port, &c, &a);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));

	ASSERT_EQ(-1, set_int(l, SOL_IPV6, IPV6_V6ONLY, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(1, get_int(l, SOL_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0, close(l));

	s = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, set_int(s, SOL_IPV6, IPV6_V6ONLY, 1));
	ASSERT_EQ(-1, bind6(s, &m, 0));
	ASSERT_EQ(EINVAL, errno) TH_LOG("bind: %s", strerror(errno));

	l4 = listen4(_metadata, self->family4, &port4);
	ASSERT_EQ(-1, connect6(s, &m, port4));
	ASSERT_EQ(ENETUNREACH, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(l4));
}

/* ---- 4. loopbacks do not cross ------------------------------------------- */

/*
 * A ::1 listener is not reachable from IPv4 clients, nor a 127.0.0.1 one
 * from ::1 clients: ECONNREFUSED both.  A bound port with no listener
 * refuses ::1 clients too, again on a retry.
 */
TEST_F_TIMEOUT(inet6_api, connect_refused, TEST_TIMEOUT)
{
	unsigned short port;
	int l, c, r;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listen6(_metadata, self->family, &in6addr_loopback, -1, &port);
	c = sock4(self->family4);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect4(c, port)) TH_LOG("reached a ::1 listener");
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));

	l = listen4(_metadata, self->family4, &port);
	c = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect6(c, &in6addr_loopback, port))
		TH_LOG("reached a 127.0.0.1 listener");
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));

	r = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, bind6(r, &in6addr_loopback, 0));
	port = local_port(r);
	c = sock6(self->family);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect6(c, &in6addr_loopback, port));
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(-1, connect6(c, &in6addr_loopback, port));
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("retry: %s", strerror(errno));
	ASSERT_EQ(0, get_int(c, SOL_SOCKET, SO_ERROR));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(r));
}

/* ---- 5. address errors --------------------------------------------------- */

/*
 * On an IPv6 socket, as inet6_bind() and tcp_v6_connect() answer: a length
 * under SIN6_LEN_RFC2133 (24) is EINVAL whatever the family -- a plain
 * sockaddr_in (16 bytes) included -- and 24 is enough; a long enough address
 * of another family is EAFNOSUPPORT; a link-local address without a scope
 * is EINVAL; an address not on this host, IPv6 or v4-mapped, EADDRNOTAVAIL.
 */
TEST_F_TIMEOUT(inet6_api, addr_errors, TEST_TIMEOUT)
{
	struct sockaddr_in6 a6 = sin6(&in6addr_loopback, 0);
	struct sockaddr_in6 other = a6;
	struct sockaddr_in a4 = sin4(LOOPBACK, 0);
	unsigned short port;
	struct in6_addr addr;
	int s, l;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	other.sin6_family = AF_INET;
	l = listen6(_metadata, self->family, &in6addr_any, 0, &port);
	a6.sin6_port = htons(port);
	other.sin6_port = htons(port);
	a4.sin_port = htons(port);

	s = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, set_int(s, SOL_IPV6, IPV6_V6ONLY, 0));
	ASSERT_EQ(0, set_timeouts(s));
	ASSERT_EQ(-1, bind(s, (struct sockaddr *)&a6, 23));
	ASSERT_EQ(EINVAL, errno) TH_LOG("bind 23: %s", strerror(errno));
	ASSERT_EQ(-1, bind(s, (struct sockaddr *)&a6, sizeof(a4)));
	ASSERT_EQ(EINVAL, errno) TH_LOG("bind 16: %s", strerror(errno));
	ASSERT_EQ(-1, bind(s, (struct sockaddr *)&a4, sizeof(a4)));
	ASSERT_EQ(EINVAL, errno) TH_LOG("bind sockaddr_in: %s", strerror(errno));
	ASSERT_EQ(-1, bind(s, (struct sockaddr *)&other, sizeof(other)));
	ASSERT_EQ(EAFNOSUPPORT, errno) TH_LOG("bind AF_INET: %s", strerror(errno));
	ASSERT_EQ(-1, connect(s, (struct sockaddr *)&a6, 23));
	ASSERT_EQ(EINVAL, errno) TH_LOG("connect 23: %s", strerror(errno));
	ASSERT_EQ(-1, connect(s, (struct sockaddr *)&a4, sizeof(a4)));
	ASSERT_EQ(EINVAL, errno)
		TH_LOG("connect sockaddr_in: %s", strerror(errno));
	ASSERT_EQ(-1, connect(s, (struct sockaddr *)&other, sizeof(other)));
	ASSERT_EQ(EAFNOSUPPORT, errno)
		TH_LOG("connect AF_INET: %s", strerror(errno));

	inet_pton(AF_INET6, "fe80::1", &addr);
	ASSERT_EQ(-1, bind6(s, &addr, 0));
	ASSERT_EQ(EINVAL, errno) TH_LOG("bind fe80::1: %s", strerror(errno));
	inet_pton(AF_INET6, "2001:db8::1", &addr);
	ASSERT_EQ(-1, bind6(s, &addr, 0));
	ASSERT_EQ(EADDRNOTAVAIL, errno)
		TH_LOG("bind 2001:db8::1: %s", strerror(errno));
	addr = mapped(inet_addr("192.0.2.1"));
	ASSERT_EQ(-1, bind6(s, &addr, 0));
	ASSERT_EQ(EADDRNOTAVAIL, errno)
		TH_LOG("bind ::ffff:192.0.2.1: %s", strerror(errno));

	/* Still unbound and unconnected: 24 bytes bind and connect. */
	a6.sin6_port = 0;
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&a6, 24))
		TH_LOG("bind 24: %s", strerror(errno));
	a6.sin6_port = htons(port);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&a6, 24))
		TH_LOG("connect 24: %s", strerror(errno));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(l));
}

/* ---- 6. connecting to a v4-mapped address -------------------------------- */

/*
 * An IPv6 socket without IPV6_V6ONLY reaches an IPv4 listener at
 * ::ffff:127.0.0.1: it names itself and its peer v4-mapped, the listener
 * sees a plain IPv4 client, and data flows.  It is listed in the IPv6 table
 * only, the accepted socket in the IPv4 one only.
 */
TEST_F_TIMEOUT(inet6_api, mapped_connect, TEST_TIMEOUT)
{
	struct in6_addr m = mapped(LOOPBACK);
	struct sockaddr_storage from;
	int l, c, a, cport;
	unsigned short port;
	socklen_t len;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listen4(_metadata, self->family4, &port);

	c = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(c, SOL_IPV6, IPV6_V6ONLY, 0));
	ASSERT_EQ(0, set_timeouts(c));
	ASSERT_EQ(0, connect6(c, &m, port))
		TH_LOG("connect ::ffff:127.0.0.1: %s", strerror(errno));
	cport = local_port(c);
	name6(_metadata, c, false, &m, cport);
	name6(_metadata, c, true, &m, port);

	len = sizeof(from);
	a = accept(l, (struct sockaddr *)&from, &len);
	ASSERT_LE(0, a) TH_LOG("accept: %s", strerror(errno));
	check_sin4(_metadata, &from, len, LOOPBACK, cport);
	name4(_metadata, a, false, LOOPBACK, port);
	ASSERT_EQ(0, set_timeouts(a));
	ping_pong(_metadata, c, a);

	ASSERT_EQ(1, wait_proc6(variant->proc6, &m, cport, &m, port,
				ST_ESTABLISHED, 1))
		TH_LOG("the v4-mapped client is not in %s", variant->proc6);
	ASSERT_EQ(0, tcpx_proc_count(variant->proc4, LOOPBACK, cport,
				     LOOPBACK, port, PROC_ANY));
	ASSERT_EQ(1, tcpx_proc_count(variant->proc4, LOOPBACK, port,
				     LOOPBACK, cport, ST_ESTABLISHED));
	ASSERT_EQ(0, proc6_count(variant->proc6, &m, port, &m, cport,
				 PROC_ANY));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));
}

/* ---- 7. EADDRINUSE between [::] and 0.0.0.0 ------------------------------ */

/* A socket of @family bound to @addr:@port, IPV6_V6ONLY @v6only first. */
static int bound6(struct __test_metadata *_metadata, int family,
		  const struct in6_addr *addr, int v6only, int port)
{
	int fd = socket(family, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	if (v6only >= 0)
		ASSERT_EQ(0, set_int(fd, SOL_IPV6, IPV6_V6ONLY, v6only));
	ASSERT_EQ(0, bind6(fd, addr, port))
		TH_LOG("bind6 port %d: %s", port, strerror(errno));
	return fd;
}

static int bound4(struct __test_metadata *_metadata, int family4,
		  in_addr_t addr, int port)
{
	int fd = socket(family4, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind4(fd, addr, port))
		TH_LOG("bind4 port %d: %s", port, strerror(errno));
	return fd;
}

/* bind6() of a new socket (IPV6_V6ONLY @v6only) fails with EADDRINUSE. */
static void inuse6(struct __test_metadata *_metadata, int family,
		   const struct in6_addr *addr, int v6only, int port)
{
	int fd = socket(family, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_int(fd, SOL_IPV6, IPV6_V6ONLY, v6only));
	ASSERT_EQ(-1, bind6(fd, addr, port)) TH_LOG("bind6 let through");
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind6: %s", strerror(errno));
	ASSERT_EQ(0, close(fd));
}

static void inuse4(struct __test_metadata *_metadata, int family4,
		   in_addr_t addr, int port)
{
	int fd = socket(family4, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, bind4(fd, addr, port)) TH_LOG("bind4 let through");
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind4: %s", strerror(errno));
	ASSERT_EQ(0, close(fd));
}

/*
 * As inet_bind_conflict() decides: a dual-stack [::] holds the port for
 * 0.0.0.0 and 127.0.0.1 too, and 0.0.0.0 keeps a dual-stack [::] off it,
 * not a V6ONLY one; ::1 and 127.0.0.1 coexist, [::] and ::1 do not.
 * SO_REUSEADDR on both lets a second socket bind while the first does not
 * listen, not once it does.
 */
TEST_F_TIMEOUT(inet6_api, addr_in_use, TEST_TIMEOUT)
{
	const struct in6_addr *any6 = &in6addr_any, *lo6 = &in6addr_loopback;
	in_addr_t any4 = htonl(INADDR_ANY);
	int port, s6, s4, s;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	port = free_port(self->family);
	ASSERT_LT(0, port);

	s6 = bound6(_metadata, self->family, any6, 0, port);
	inuse4(_metadata, self->family4, any4, port);
	inuse4(_metadata, self->family4, LOOPBACK, port);
	inuse6(_metadata, self->family, any6, 1, port);
	inuse6(_metadata, self->family, lo6, 1, port);
	ASSERT_EQ(0, close(s6));

	s4 = bound4(_metadata, self->family4, any4, port);
	inuse6(_metadata, self->family, any6, 0, port);
	s6 = bound6(_metadata, self->family, any6, 1, port);
	ASSERT_EQ(0, close(s6));
	ASSERT_EQ(0, close(s4));

	s6 = bound6(_metadata, self->family, any6, 1, port);
	s4 = bound4(_metadata, self->family4, any4, port);
	ASSERT_EQ(0, close(s4));
	ASSERT_EQ(0, close(s6));

	s6 = bound6(_metadata, self->family, lo6, -1, port);
	s4 = bound4(_metadata, self->family4, LOOPBACK, port);
	inuse6(_metadata, self->family, any6, 1, port);
	ASSERT_EQ(0, close(s4));
	ASSERT_EQ(0, close(s6));

	s6 = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, s6);
	ASSERT_EQ(0, set_int(s6, SOL_IPV6, IPV6_V6ONLY, 0));
	ASSERT_EQ(0, set_int(s6, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind6(s6, any6, port));
	s4 = socket(self->family4, SOCK_STREAM, 0);
	ASSERT_LE(0, s4);
	ASSERT_EQ(0, set_int(s4, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind4(s4, any4, port))
		TH_LOG("SO_REUSEADDR, not listening: %s", strerror(errno));
	ASSERT_EQ(0, listen(s6, 8));
	s = socket(self->family4, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, set_int(s, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(-1, bind4(s, any4, port)) TH_LOG("bound beside a listener");
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind4: %s", strerror(errno));
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(s4));
	ASSERT_EQ(0, close(s6));
}

/* ---- 8. tcpx's own port space -------------------------------------------- */

/*
 * tcpx and TCP ports are independent over IPv6 too: the other protocol
 * binds and listens on the same [::] port, and this one's ::1 clients still
 * reach only this one's listener; once it is gone, ECONNREFUSED.
 */
TEST_F_TIMEOUT(inet6_api, own_port_space, TEST_TIMEOUT)
{
	unsigned short port;
	int other, want, l, o, c, a;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	other = variant->tcpx ? AF_INET6 : tcpx_family();
	if (other < 0)
		SKIP(return, "tcpx not loaded: no other port space");
	want = free_port2(self->family, other);
	ASSERT_LT(0, want);
	l = listen6_at(_metadata, self->family, &in6addr_any, 0, want, &port);
	o = bound6(_metadata, other, &in6addr_any, 0, port);
	ASSERT_EQ(0, listen(o, 8));

	pair6(_metadata, self->family, l, port, &c, &a);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(l));
	c = sock6(self->family);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect6(c, &in6addr_loopback, port))
		TH_LOG("reached family %d's listener", other);
	ASSERT_EQ(ECONNREFUSED, errno);
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, poll(&(struct pollfd){ .fd = o, .events = POLLIN }, 1, 0))
		TH_LOG("family %d's listener got a connection", other);
	ASSERT_EQ(0, close(o));
}

/* ---- 9. data, half close, resets ----------------------------------------- */

/*
 * XFER_SIZE bytes each way on @c <-> @a; then @c half-closes: @a reads EOF
 * and still sends, @c still reads and may not send (EPIPE); @a closes and @c
 * reads EOF.
 */
static void exchange(struct __test_metadata *_metadata, int c, int a)
{
	static char out[XFER_SIZE], in[XFER_SIZE];
	unsigned int i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = i * 7 + (i >> 8);
	ASSERT_EQ(XFER_SIZE, send(c, out, XFER_SIZE, MSG_NOSIGNAL));
	ASSERT_EQ(XFER_SIZE, recv(a, in, XFER_SIZE, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(in, out, XFER_SIZE));
	ASSERT_EQ(XFER_SIZE, send(a, out, XFER_SIZE, MSG_NOSIGNAL));
	ASSERT_EQ(XFER_SIZE, recv(c, in, XFER_SIZE, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(in, out, XFER_SIZE));

	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_EQ(0, recv(a, in, sizeof(in), 0)) TH_LOG("no EOF after SHUT_WR");
	ASSERT_EQ(4, send(a, "late", 4, MSG_NOSIGNAL));
	ASSERT_EQ(4, recv(c, in, 4, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(in, "late", 4));
	ASSERT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, recv(c, in, sizeof(in), 0));
	ASSERT_EQ(0, close(c));
}

TEST_F_TIMEOUT(inet6_api, transfer_half_close, TEST_TIMEOUT)
{
	unsigned short port;
	int l, c, a;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listen6(_metadata, self->family, &in6addr_any, 0, &port);
	pair6(_metadata, self->family, l, port, &c, &a);
	exchange(_metadata, c, a);
	pair6(_metadata, self->family, l, port, &c, &a);
	exchange(_metadata, a, c);
	/* The same over a v4-mapped connection, both ways. */
	pair4(_metadata, self->family4, l, port, &c, &a);
	exchange(_metadata, c, a);
	pair4(_metadata, self->family4, l, port, &c, &a);
	exchange(_metadata, a, c);
	ASSERT_EQ(0, close(l));
}

/* @c's peer was just aborted: the RST arrives (POLLERR), recv reports it. */
static void got_reset(struct __test_metadata *_metadata, int c)
{
	struct pollfd pfd = { .fd = c, .events = POLLIN };
	char buf[16];

	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	ASSERT_TRUE(pfd.revents & POLLERR) TH_LOG("revents %#x", pfd.revents);
	ASSERT_EQ(-1, recv(c, buf, sizeof(buf), 0));
	ASSERT_EQ(ECONNRESET, errno) TH_LOG("recv: %s", strerror(errno));
	ASSERT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	ASSERT_EQ(0, close(c));
}

/*
 * SO_LINGER 0 aborts with RST, and so does a close() with unread data: the
 * peer's recv reports ECONNRESET, then send EPIPE.  Over ::1 and v4-mapped.
 */
TEST_F_TIMEOUT(inet6_api, resets, TEST_TIMEOUT)
{
	struct pollfd pfd;
	unsigned short port;
	int l, c, a;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listen6(_metadata, self->family, &in6addr_any, 0, &port);
	pair6(_metadata, self->family, l, port, &c, &a);
	ASSERT_EQ(0, abort_close(a));
	got_reset(_metadata, c);
	pair6(_metadata, self->family, l, port, &c, &a);
	ASSERT_EQ(0, abort_close(c));
	got_reset(_metadata, a);
	pair4(_metadata, self->family4, l, port, &c, &a);
	ASSERT_EQ(0, abort_close(a));
	got_reset(_metadata, c);

	pair6(_metadata, self->family, l, port, &c, &a);
	ASSERT_EQ(5, send(c, "unread", 5, MSG_NOSIGNAL));
	pfd = (struct pollfd){ .fd = a, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	ASSERT_EQ(0, close(a));
	got_reset(_metadata, c);
	ASSERT_EQ(0, close(l));
}

/* ---- 10. TIME-WAIT ------------------------------------------------------- */

/*
 * The active closer's [::1]:port stays in TIME-WAIT (st 06 in the IPv6
 * table, not in the IPv4 one): binding it again, or [::] on that port, is
 * EADDRINUSE, also with SO_REUSEADDR on the new socket alone (the closer
 * had none); 127.0.0.1 on that port is another address and binds.
 */
TEST_F_TIMEOUT(inet6_api, time_wait, TEST_TIMEOUT)
{
	const struct in6_addr *lo6 = &in6addr_loopback;
	unsigned short port;
	int l, c, a, n, cport;
	char buf[4];

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listen6(_metadata, self->family, lo6, -1, &port);
	/* A client port no IPv4 socket holds, for the last bind below. */
	cport = free_port(self->family);
	ASSERT_LT(0, cport);
	c = sock6(self->family);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind6(c, lo6, cport));
	ASSERT_EQ(0, connect6(c, lo6, port));
	a = accept_t(_metadata, l);
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, recv(a, buf, sizeof(buf), 0));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(1, wait_proc6(variant->proc6, lo6, cport, lo6, port,
				ST_TIME_WAIT, 1))
		TH_LOG("[::1]:%d -> %u not in TIME_WAIT in %s", cport, port,
		       variant->proc6);
	ASSERT_EQ(0, wait_proc6(variant->proc6, lo6, port, lo6, cport,
				PROC_ANY, 0));
	ASSERT_EQ(0, tcpx_proc_count(variant->proc4, LOOPBACK, cport,
				     LOOPBACK, port, PROC_ANY));

	inuse6(_metadata, self->family, lo6, 0, cport);
	inuse6(_metadata, self->family, &in6addr_any, 1, cport);
	n = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, n);
	ASSERT_EQ(0, set_int(n, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(-1, bind6(n, lo6, cport));
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, close(n));
	n = bound4(_metadata, self->family4, LOOPBACK, cport);
	ASSERT_EQ(0, close(n));
	ASSERT_EQ(0, close(l));
}

/* ---- 11. SOL_IPV6 and SOL_IP options ------------------------------------- */

/* setsockopt(@level, @opt, @set) then getsockopt reads @get. */
#define SET_GET(fd, level, opt, set, get) do {				\
	ASSERT_EQ(0, set_int(fd, level, opt, set))			\
		TH_LOG(#opt " %d: %s", set, strerror(errno));		\
	ASSERT_EQ(get, get_int(fd, level, opt))				\
		TH_LOG(#opt " set to %d", set);				\
} while (0)

/* setsockopt(@level, @opt, @set) fails with @err, the value unchanged. */
#define SET_FAILS(fd, level, opt, set, err) do {			\
	int before_ = get_int(fd, level, opt);				\
									\
	ASSERT_EQ(-1, set_int(fd, level, opt, set))			\
		TH_LOG(#opt " %d accepted", set);			\
	ASSERT_EQ(err, errno) TH_LOG(#opt " %d: %s", set,		\
				     strerror(errno));			\
	ASSERT_EQ(before_, get_int(fd, level, opt));			\
} while (0)

/*
 * IPV6_V6ONLY: the sysctl's default, 0 or 1, fixed once bound.
 * IPV6_TCLASS: 0 by default, -1..255, -1 the default again; on a stream
 * socket the ECN bits are the stack's and stay as they were (0).
 * IPV6_UNICAST_HOPS: -1..255, -1 (the default) reads the
 * conf/all/hop_limit.  A connected socket takes TCLASS and hops; the
 * accepted one inherits the listener's three.
 */
TEST_F_TIMEOUT(inet6_api, ipv6_options, TEST_TIMEOUT)
{
	int s, l, c, a, def, hops;
	unsigned short port;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ASSERT_EQ(0, read_int(BINDV6ONLY, &def));
	ASSERT_EQ(0, read_int(HOP_LIMIT, &hops));
	s = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(def, get_int(s, SOL_IPV6, IPV6_V6ONLY));
	SET_GET(s, SOL_IPV6, IPV6_V6ONLY, 1, 1);
	SET_GET(s, SOL_IPV6, IPV6_V6ONLY, 0, 0);
	SET_GET(s, SOL_IPV6, IPV6_V6ONLY, 5, 1);

	ASSERT_EQ(0, get_int(s, SOL_IPV6, IPV6_TCLASS));
	SET_GET(s, SOL_IPV6, IPV6_TCLASS, 0x28, 0x28);
	SET_GET(s, SOL_IPV6, IPV6_TCLASS, 0x2b, 0x28);
	SET_GET(s, SOL_IPV6, IPV6_TCLASS, 255, 252);
	SET_GET(s, SOL_IPV6, IPV6_TCLASS, -1, 0);
	SET_FAILS(s, SOL_IPV6, IPV6_TCLASS, 256, EINVAL);
	SET_FAILS(s, SOL_IPV6, IPV6_TCLASS, -2, EINVAL);

	ASSERT_EQ(hops, get_int(s, SOL_IPV6, IPV6_UNICAST_HOPS));
	SET_GET(s, SOL_IPV6, IPV6_UNICAST_HOPS, 17, 17);
	SET_GET(s, SOL_IPV6, IPV6_UNICAST_HOPS, 255, 255);
	SET_GET(s, SOL_IPV6, IPV6_UNICAST_HOPS, 0, 0);
	SET_GET(s, SOL_IPV6, IPV6_UNICAST_HOPS, -1, hops);
	SET_FAILS(s, SOL_IPV6, IPV6_UNICAST_HOPS, 256, EINVAL);
	SET_FAILS(s, SOL_IPV6, IPV6_UNICAST_HOPS, -2, EINVAL);

	ASSERT_EQ(0, bind6(s, &in6addr_loopback, 0));
	SET_FAILS(s, SOL_IPV6, IPV6_V6ONLY, 0, EINVAL);
	ASSERT_EQ(0, close(s));

	l = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	SET_GET(l, SOL_IPV6, IPV6_V6ONLY, 1, 1);
	SET_GET(l, SOL_IPV6, IPV6_TCLASS, 0x28, 0x28);
	SET_GET(l, SOL_IPV6, IPV6_UNICAST_HOPS, 17, 17);
	ASSERT_EQ(0, bind6(l, &in6addr_any, 0));
	ASSERT_EQ(0, listen(l, 8));
	port = local_port(l);
	pair6(_metadata, self->family, l, port, &c, &a);
	ASSERT_EQ(1, get_int(a, SOL_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0x28, get_int(a, SOL_IPV6, IPV6_TCLASS));
	ASSERT_EQ(17, get_int(a, SOL_IPV6, IPV6_UNICAST_HOPS));
	SET_FAILS(a, SOL_IPV6, IPV6_V6ONLY, 0, EINVAL);
	SET_FAILS(c, SOL_IPV6, IPV6_V6ONLY, 1, EINVAL);
	SET_GET(c, SOL_IPV6, IPV6_TCLASS, 0x10, 0x10);
	SET_GET(c, SOL_IPV6, IPV6_UNICAST_HOPS, 3, 3);
	ASSERT_EQ(4, send(c, "ping", 4, MSG_NOSIGNAL));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(l));
}

/*
 * SOL_IP on an IPv6 socket goes to the IPv4 code (ipv6_setsockopt() passes
 * it on), as on an AF_INET6 TCP socket: IP_TOS (but its ECN bits) and
 * IP_TTL set and read back; IP_MTU without a route is ENOTCONN.
 */
TEST_F_TIMEOUT(inet6_api, ip_options, TEST_TIMEOUT)
{
	int s, ttl;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ASSERT_EQ(0, read_int(IP_TTL_DEFAULT, &ttl));
	s = sock6(self->family);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, get_int(s, SOL_IP, IP_TOS));
	SET_GET(s, SOL_IP, IP_TOS, 0x10, 0x10);
	SET_GET(s, SOL_IP, IP_TOS, 0x13, 0x10);
	ASSERT_EQ(ttl, get_int(s, SOL_IP, IP_TTL));
	SET_GET(s, SOL_IP, IP_TTL, 33, 33);
	SET_GET(s, SOL_IP, IP_TTL, -1, ttl);
	SET_FAILS(s, SOL_IP, IP_TTL, 256, EINVAL);
	SET_FAILS(s, SOL_IP, IP_TTL, 0, EINVAL);
	ASSERT_EQ(-1, get_int(s, SOL_IP, IP_MTU));
	ASSERT_EQ(ENOTCONN, errno) TH_LOG("IP_MTU: %s", strerror(errno));
	ASSERT_EQ(0, close(s));
}

/* ---- 11b. SOL_IPV6 options, TCP as the oracle ---------------------------- */

#ifndef IPV6_RECVERR_RFC4884
#define IPV6_RECVERR_RFC4884	31
#endif
#ifndef IPV6_ROUTER_ALERT_ISOLATE
#define IPV6_ROUTER_ALERT_ISOLATE 30
#endif
#ifndef IPV6_RECVFRAGSIZE
#define IPV6_RECVFRAGSIZE	77
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT	73
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND		78
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO		11
#endif
#ifndef IPV6_FLOWLABEL_MGR
#define IPV6_FLOWLABEL_MGR	32
#endif
#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND	33
#endif
#ifndef IPV6_PREFER_SRC_TMP	/* <linux/in6.h>, not in glibc's */
#define IPV6_PREFER_SRC_TMP	0x0001
#define IPV6_PREFER_SRC_PUBLIC	0x0002
#define IPV6_PREFER_SRC_COA	0x0004
#define IPV6_PREFER_SRC_HOME	0x0400
#endif
#define MRT6_INIT_OPT		200	/* MRT6_INIT */

/* What one setsockopt and the getsockopt after it gave. */
struct opt6_res {
	int set, set_errno;		/* setsockopt's return and errno */
	int get, get_errno;		/* getsockopt's, an int */
	int val;			/* the int read, when get is 0 */
	socklen_t len;			/* and its length */
};

/* setsockopt(SOL_IPV6, @opt) of @len bytes of @buf (NULL: a NULL pointer). */
static struct opt6_res opt6_try(int fd, int opt, const void *buf,
				socklen_t len)
{
	struct opt6_res r = { .val = -12345 };

	errno = 0;
	r.set = setsockopt(fd, SOL_IPV6, opt, buf, len);
	r.set_errno = r.set ? errno : 0;
	r.len = sizeof(int);
	errno = 0;
	r.get = getsockopt(fd, SOL_IPV6, opt, &r.val, &r.len);
	r.get_errno = r.get ? errno : 0;
	if (r.get) {
		r.val = -12345;
		r.len = 0;
	}
	return r;
}

/* @r of the variant is @o of TCP, or its setsockopt fails with @dev. */
static void opt6_same(struct __test_metadata *_metadata, const char *what,
		      const struct opt6_res *r, const struct opt6_res *o,
		      int dev)
{
	if (dev) {
		EXPECT_EQ(dev, r->set_errno) TH_LOG("%s: %s, deviation %s",
				what, strerror(r->set_errno), strerror(dev));
		return;
	}
	EXPECT_EQ(o->set_errno, r->set_errno) TH_LOG("%s: set %s, TCP %s",
			what, strerror(r->set_errno), strerror(o->set_errno));
	EXPECT_EQ(o->get_errno, r->get_errno) TH_LOG("%s: get %s, TCP %s",
			what, strerror(r->get_errno), strerror(o->get_errno));
	EXPECT_EQ(o->val, r->val) TH_LOG("%s: reads %d, TCP %d", what,
					 r->val, o->val);
	EXPECT_EQ(o->len, r->len) TH_LOG("%s: length %u, TCP %u", what,
					 r->len, o->len);
}

/*
 * The same setsockopt on @fd and on @tcp (an AF_INET6 TCP socket in the
 * same state), compared; on the tcp variant both are TCP's.  @want: the
 * errno TCP's setsockopt gives (0 for success), checked on both (-1: it
 * depends on the kernel's configuration).  @dev:
 * tcpx's documented errno where it deviates (tcpx variant only).
 */
static void opt6_cmp(struct __test_metadata *_metadata, bool tcpx, int fd,
		     int tcp, const char *what, int opt, const void *buf,
		     socklen_t len, int want, int dev)
{
	struct opt6_res r = opt6_try(fd, opt, buf, len);
	struct opt6_res o = opt6_try(tcp, opt, buf, len);

	if (want >= 0)
		EXPECT_EQ(want, o.set_errno) TH_LOG("%s: TCP %s, expected %s",
				what, strerror(o.set_errno), strerror(want));
	opt6_same(_metadata, what, &r, &o, tcpx ? dev : 0);
}

#define OPT6_INT(opt, v, l, want, dev) do {				\
	int v_ = (v);							\
	char what_[64];							\
									\
	snprintf(what_, sizeof(what_), #opt " %d/%d", v_, (int)(l));	\
	opt6_cmp(_metadata, variant->tcpx, s, t, what_, opt, &v_, l,	\
		 want, dev);						\
} while (0)

/* A boolean option: on, off, any non-zero is on, short, NULL. */
static void opt6_bool(struct __test_metadata *_metadata, bool tcpx, int s,
		      int t, const char *name, int opt, bool checks_len)
{
	int one = 1, zero = 0, seven = 7;
	char what[64];

	snprintf(what, sizeof(what), "%s 1", name);
	opt6_cmp(_metadata, tcpx, s, t, what, opt, &one, 4, 0, 0);
	snprintf(what, sizeof(what), "%s 0", name);
	opt6_cmp(_metadata, tcpx, s, t, what, opt, &zero, 4, 0, 0);
	snprintf(what, sizeof(what), "%s 7", name);
	opt6_cmp(_metadata, tcpx, s, t, what, opt, &seven, 4,
		 opt == IPV6_MULTICAST_LOOP || opt == IPV6_RECVERR_RFC4884 ?
		 EINVAL : 0, 0);
	snprintf(what, sizeof(what), "%s short", name);
	opt6_cmp(_metadata, tcpx, s, t, what, opt, &one, 2,
		 checks_len ? EINVAL : 0, 0);
	snprintf(what, sizeof(what), "%s NULL", name);
	opt6_cmp(_metadata, tcpx, s, t, what, opt, NULL, 4, 0, 0);
	snprintf(what, sizeof(what), "%s fault", name);
	opt6_cmp(_metadata, tcpx, s, t, what, opt, (void *)8, 4, EFAULT, 0);
}

static const struct {
	const char *name;
	int opt;
	bool checks_len;	/* a short value is EINVAL */
} opt6_bools[] = {
	{ "IPV6_FREEBIND",		IPV6_FREEBIND,		true },
	{ "IPV6_TRANSPARENT",		IPV6_TRANSPARENT,	true },
	{ "IPV6_RECVPKTINFO",		IPV6_RECVPKTINFO,	true },
	{ "IPV6_2292PKTINFO",		IPV6_2292PKTINFO,	true },
	{ "IPV6_RECVHOPLIMIT",		IPV6_RECVHOPLIMIT,	true },
	{ "IPV6_2292HOPLIMIT",		IPV6_2292HOPLIMIT,	true },
	{ "IPV6_RECVRTHDR",		IPV6_RECVRTHDR,		true },
	{ "IPV6_2292RTHDR",		IPV6_2292RTHDR,		true },
	{ "IPV6_RECVHOPOPTS",		IPV6_RECVHOPOPTS,	true },
	{ "IPV6_2292HOPOPTS",		IPV6_2292HOPOPTS,	true },
	{ "IPV6_RECVDSTOPTS",		IPV6_RECVDSTOPTS,	true },
	{ "IPV6_2292DSTOPTS",		IPV6_2292DSTOPTS,	true },
	{ "IPV6_RECVTCLASS",		IPV6_RECVTCLASS,	true },
	{ "IPV6_FLOWINFO",		IPV6_FLOWINFO,		true },
	{ "IPV6_RECVPATHMTU",		IPV6_RECVPATHMTU,	true },
	{ "IPV6_RECVORIGDSTADDR",	IPV6_RECVORIGDSTADDR,	true },
	{ "IPV6_RECVFRAGSIZE",		IPV6_RECVFRAGSIZE,	false },
	{ "IPV6_FLOWINFO_SEND",		IPV6_FLOWINFO_SEND,	true },
	{ "IPV6_AUTOFLOWLABEL",		IPV6_AUTOFLOWLABEL,	false },
	{ "IPV6_DONTFRAG",		IPV6_DONTFRAG,		false },
	{ "IPV6_RECVERR",		IPV6_RECVERR,		true },
	{ "IPV6_RECVERR_RFC4884",	IPV6_RECVERR_RFC4884,	true },
	{ "IPV6_MULTICAST_LOOP",	IPV6_MULTICAST_LOOP,	true },
	{ "IPV6_MULTICAST_ALL",		IPV6_MULTICAST_ALL,	true },
	{ "IPV6_ROUTER_ALERT_ISOLATE",	IPV6_ROUTER_ALERT_ISOLATE, true },
};

/* A fresh IPv6 socket of the variant and a TCP one. */
#define OPT6_PAIR() do {						\
	s = sock6(self->family);					\
	ASSERT_LE(0, s);						\
	t = sock6(AF_INET6);						\
	ASSERT_LE(0, t);						\
} while (0)

/*
 * Every boolean SOL_IPV6 option TCP takes (the IPV6_RECV* ones and their
 * RFC 2292 forms set the bits IPV6_PKTOPTIONS reports), then the valued
 * ones, each set and read back on the variant and on TCP: the same
 * successes, values, lengths and errnos, short values and bad pointers
 * included.
 */
TEST_F_TIMEOUT(inet6_api, ipv6_options_oracle, TEST_TIMEOUT)
{
	unsigned int i;
	int s, t;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	OPT6_PAIR();
	for (i = 0; i < sizeof(opt6_bools) / sizeof(opt6_bools[0]); i++)
		opt6_bool(_metadata, variant->tcpx, s, t, opt6_bools[i].name,
			  opt6_bools[i].opt, opt6_bools[i].checks_len);

	OPT6_INT(IPV6_MTU, 1280, 4, 0, 0);
	OPT6_INT(IPV6_MTU, 1279, 4, EINVAL, 0);
	OPT6_INT(IPV6_MTU, 9000, 4, 0, 0);
	OPT6_INT(IPV6_MTU, 0, 4, 0, 0);
	OPT6_INT(IPV6_MTU, 1280, 3, EINVAL, 0);
	for (i = 0; i <= 5; i++)
		OPT6_INT(IPV6_MTU_DISCOVER, (int)i, 4, 0, 0);
	OPT6_INT(IPV6_MTU_DISCOVER, 6, 4, EINVAL, 0);
	OPT6_INT(IPV6_MTU_DISCOVER, -1, 4, EINVAL, 0);
	OPT6_INT(IPV6_MTU_DISCOVER, 1, 0, EINVAL, 0);
	OPT6_INT(IPV6_MULTICAST_HOPS, 3, 4, ENOPROTOOPT, 0);
	OPT6_INT(IPV6_MULTICAST_HOPS, 3, 0, ENOPROTOOPT, 0);
	OPT6_INT(IPV6_MULTICAST_IF, 1, 4, ENOPROTOOPT, 0);
	OPT6_INT(IPV6_MINHOPCOUNT, 0, 4, 0, 0);
	OPT6_INT(IPV6_MINHOPCOUNT, 256, 4, EINVAL, 0);
	OPT6_INT(IPV6_MINHOPCOUNT, -1, 4, EINVAL, 0);
	OPT6_INT(IPV6_MINHOPCOUNT, 1, 2, EINVAL, 0);
	OPT6_INT(IPV6_MINHOPCOUNT, 255, 4, 0, 0);
	OPT6_INT(IPV6_ADDR_PREFERENCES, IPV6_PREFER_SRC_TMP, 4, 0, 0);
	OPT6_INT(IPV6_ADDR_PREFERENCES, IPV6_PREFER_SRC_PUBLIC |
		 IPV6_PREFER_SRC_COA, 4, 0, 0);
	OPT6_INT(IPV6_ADDR_PREFERENCES, IPV6_PREFER_SRC_PUBLIC |
		 IPV6_PREFER_SRC_TMP, 4, EINVAL, 0);
	OPT6_INT(IPV6_ADDR_PREFERENCES, IPV6_PREFER_SRC_HOME |
		 IPV6_PREFER_SRC_COA, 4, EINVAL, 0);
	OPT6_INT(IPV6_ADDR_PREFERENCES, 0, 4, 0, 0);
	OPT6_INT(IPV6_ADDR_PREFERENCES, 0, 2, EINVAL, 0);
	OPT6_INT(IPV6_UNICAST_IF, (int)htonl(1), 4, 0, 0);
	OPT6_INT(IPV6_UNICAST_IF, (int)htonl(99999), 4, EADDRNOTAVAIL, 0);
	OPT6_INT(IPV6_UNICAST_IF, 0, 4, 0, 0);
	OPT6_INT(IPV6_UNICAST_IF, 0, 8, EINVAL, 0);
	OPT6_INT(IPV6_ROUTER_ALERT, 0, 4, ENOPROTOOPT, 0);
	OPT6_INT(IPV6_ROUTER_ALERT, 0, 0, EINVAL, 0);
	/* EOPNOTSUPP with CONFIG_IPV6_MROUTE, else unknown. */
	OPT6_INT(MRT6_INIT_OPT, 1, 4, -1, 0);
	OPT6_INT(MRT6_INIT_OPT + 1, 1, 0, -1, 0);
	OPT6_INT(99, 1, 4, ENOPROTOOPT, 0);
	OPT6_INT(IPV6_V6ONLY, 1, 2, EINVAL, 0);
	OPT6_INT(IPV6_TCLASS, 0x20, 1, EINVAL, 0);
	OPT6_INT(IPV6_UNICAST_HOPS, 7, 0, EINVAL, 0);
	/* Not connected: IPV6_ADDRFORM has nothing to turn into IPv4. */
	OPT6_INT(IPV6_ADDRFORM, AF_INET, 4, ENOTCONN, 0);
	OPT6_INT(IPV6_ADDRFORM, AF_INET6, 4, EINVAL, 0);
	OPT6_INT(IPV6_ADDRFORM, AF_INET, 2, EINVAL, 0);
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(t));
}

/*
 * Options with a structure: IPV6_PKTINFO (sticky), memberships (refused on
 * TCP: EPROTO; MCAST_LEAVE_GROUP finds none), anycast, IPsec policy (NULL
 * clears it).  tcpx's documented deviations: multicast joins (EPROTO),
 * flow label leases and sticky extension headers (ENOPROTOOPT).
 */
TEST_F_TIMEOUT(inet6_api, ipv6_struct_options, TEST_TIMEOUT)
{
	struct in6_pktinfo pi = { .ipi6_addr = IN6ADDR_LOOPBACK_INIT };
	struct ipv6_mreq mreq = { .ipv6mr_interface = 1 };
	struct group_req gr = { .gr_interface = 1 };
	struct group_source_req gsr = { .gsr_interface = 1 };
	struct sockaddr_in6 *grp = (struct sockaddr_in6 *)&gr.gr_group;
	struct sockaddr_in6 *sgrp = (struct sockaddr_in6 *)&gsr.gsr_group;
	struct sockaddr_in6 *ssrc = (struct sockaddr_in6 *)&gsr.gsr_source;
	char flr[32] = { 0 };		/* struct in6_flowlabel_req */
	bool tcpx = variant->tcpx;
	int s, t;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	OPT6_PAIR();
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_PKTINFO ::1", IPV6_PKTINFO,
		 &pi, sizeof(pi), 0, 0);
	pi.ipi6_ifindex = 1;
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_PKTINFO lo", IPV6_PKTINFO,
		 &pi, sizeof(pi), 0, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_PKTINFO short", IPV6_PKTINFO,
		 &pi, sizeof(pi) - 1, EINVAL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_PKTINFO empty", IPV6_PKTINFO,
		 &pi, 0, EINVAL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_PKTINFO NULL", IPV6_PKTINFO,
		 NULL, sizeof(pi), EINVAL, 0);

	inet_pton(AF_INET6, "ff02::1:3", &mreq.ipv6mr_multiaddr);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_ADD_MEMBERSHIP",
		 IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq), EPROTO, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_DROP_MEMBERSHIP",
		 IPV6_DROP_MEMBERSHIP, &mreq, sizeof(mreq), EPROTO, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_ADD_MEMBERSHIP short",
		 IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq) - 1, EINVAL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_JOIN_ANYCAST short",
		 IPV6_JOIN_ANYCAST, &mreq, 4, EINVAL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_JOIN_ANYCAST multicast",
		 IPV6_JOIN_ANYCAST, &mreq, sizeof(mreq), EINVAL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_LEAVE_ANYCAST",
		 IPV6_LEAVE_ANYCAST, &mreq, sizeof(mreq), ENOENT, 0);

	grp->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "ff02::1:3", &grp->sin6_addr);
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_LEAVE_GROUP", MCAST_LEAVE_GROUP,
		 &gr, sizeof(gr), EADDRNOTAVAIL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_LEAVE_GROUP short",
		 MCAST_LEAVE_GROUP, &gr, sizeof(gr) - 1, EINVAL, 0);
	/* TCP joins (uselessly); tcpx refuses, as IPV6_ADD_MEMBERSHIP. */
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_JOIN_GROUP", MCAST_JOIN_GROUP,
		 &gr, sizeof(gr), 0, EPROTO);
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_LEAVE_GROUP joined",
		 MCAST_LEAVE_GROUP, &gr, sizeof(gr), 0, EADDRNOTAVAIL);
	grp->sin6_addr = in6addr_loopback;
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_JOIN_GROUP unicast",
		 MCAST_JOIN_GROUP, &gr, sizeof(gr), EINVAL, 0);
	grp->sin6_family = AF_INET;
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_LEAVE_GROUP AF_INET",
		 MCAST_LEAVE_GROUP, &gr, sizeof(gr), EADDRNOTAVAIL, 0);
	sgrp->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "ff02::1:3", &sgrp->sin6_addr);
	ssrc->sin6_family = AF_INET;
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_BLOCK_SOURCE AF_INET",
		 MCAST_BLOCK_SOURCE, &gsr, sizeof(gsr), EADDRNOTAVAIL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_LEAVE_SOURCE_GROUP short",
		 MCAST_LEAVE_SOURCE_GROUP, &gsr, sizeof(gsr) - 1, EINVAL, 0);
	opt6_cmp(_metadata, tcpx, s, t, "MCAST_MSFILTER short", MCAST_MSFILTER,
		 &gsr, 8, EINVAL, 0);

	/* 0 with CONFIG_XFRM, else ENOPROTOOPT. */
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_XFRM_POLICY NULL",
		 IPV6_XFRM_POLICY, NULL, 0, -1, 0);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_IPSEC_POLICY NULL",
		 IPV6_IPSEC_POLICY, NULL, 0, -1, 0);

	/* Documented: no flow label leases, no sticky extension headers. */
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_FLOWLABEL_MGR short",
		 IPV6_FLOWLABEL_MGR, flr, 4, EINVAL, ENOPROTOOPT);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_HOPOPTS none", IPV6_HOPOPTS,
		 NULL, 0, 0, ENOPROTOOPT);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_RTHDR none", IPV6_RTHDR,
		 NULL, 0, 0, ENOPROTOOPT);
	opt6_cmp(_metadata, tcpx, s, t, "IPV6_2292PKTOPTIONS none",
		 IPV6_2292PKTOPTIONS, NULL, 0, 0, ENOPROTOOPT);
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(t));
}

/*
 * IPV6_FREEBIND and IPV6_TRANSPARENT do what they do on TCP: a bind() to
 * an address of no interface, EADDRNOTAVAIL without them, succeeds.
 */
TEST_F_TIMEOUT(inet6_api, freebind_transparent, TEST_TIMEOUT)
{
	static const int opts[] = { IPV6_FREEBIND, IPV6_TRANSPARENT };
	struct in6_addr far;
	unsigned int i;
	int s;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	inet_pton(AF_INET6, "2001:db8::7", &far);
	s = sock6(self->family);
	ASSERT_LE(0, s);
	ASSERT_EQ(-1, bind6(s, &far, 0));
	ASSERT_EQ(EADDRNOTAVAIL, errno);
	ASSERT_EQ(0, close(s));
	for (i = 0; i < 2; i++) {
		s = sock6(self->family);
		ASSERT_LE(0, s);
		SET_GET(s, SOL_IPV6, opts[i], 1, 1);
		ASSERT_EQ(0, bind6(s, &far, 0)) TH_LOG("%d: %s", opts[i],
							strerror(errno));
		ASSERT_EQ(0, close(s));
	}
}

/* The child's steps: the first that differs from TCP's, 0 for none. */
static int opt6_unprivileged(int family)
{
	struct ipv6_mreq mreq = { .ipv6mr_interface = 1 };
	static const char policy[16];
	struct opt6_res r, o;
	int s, t, one = 1, zero = 0;

	s = sock6(family);
	t = sock6(AF_INET6);
	if (s < 0 || t < 0)
		return 100;
	mreq.ipv6mr_multiaddr = in6addr_loopback;
#define STEP(n, opt, buf, len, want) do {				\
	r = opt6_try(s, opt, buf, len);					\
	o = opt6_try(t, opt, buf, len);					\
	if (o.set_errno != (want))					\
		return 50 + (n);					\
	if (r.set_errno != o.set_errno || r.val != o.val)		\
		return (n);						\
} while (0)
	STEP(1, IPV6_TRANSPARENT, &one, 4, EPERM);
	STEP(2, IPV6_TRANSPARENT, &one, 2, EINVAL);	/* short: read as 0 */
	STEP(3, IPV6_TRANSPARENT, &zero, 4, 0);
	STEP(4, IPV6_FREEBIND, &one, 4, 0);
	STEP(5, IPV6_JOIN_ANYCAST, &mreq, sizeof(mreq), EPERM);
	STEP(6, IPV6_XFRM_POLICY, policy, sizeof(policy), EPERM);
	STEP(7, IPV6_IPSEC_POLICY, NULL, 0, EPERM);
	STEP(8, IPV6_RECVPKTINFO, &one, 4, 0);
#undef STEP
	return 0;
}

/*
 * Without CAP_NET_RAW and CAP_NET_ADMIN (a child as nobody): turning
 * IPV6_TRANSPARENT on (a short value reads as 0: EINVAL), joining an
 * anycast address and IPsec policies are EPERM, as on TCP; the others
 * still work.
 */
TEST_F_TIMEOUT(inet6_api, ipv6_options_unprivileged, TEST_TIMEOUT)
{
	int status;
	pid_t pid;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(99);
		_exit(opt6_unprivileged(self->family));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d differs from TCP (5x: TCP not as expected)",
		       WEXITSTATUS(status));
}

/* getsockopt(IPV6_2292PKTOPTIONS) of @fd, its length, -1 on error. */
static int pktoptions(int fd, char *buf, socklen_t size)
{
	socklen_t len = size;

	if (getsockopt(fd, SOL_IPV6, IPV6_2292PKTOPTIONS, buf, &len))
		return -1;
	return len;
}

/*
 * A connected socket: with IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT and
 * IPV6_RECVTCLASS set after connect() and nothing received since,
 * IPV6_PKTOPTIONS reports the socket's values as on TCP.  IPV6_ADDRFORM:
 * connected over IPv6 it is EADDRNOTAVAIL as on TCP; connected to a
 * v4-mapped peer TCP turns the socket into AF_INET, tcpx declines with
 * ENOPROTOOPT (documented) and the socket goes on working.
 */
TEST_F_TIMEOUT(inet6_api, connected_options, TEST_TIMEOUT)
{
	char buf[256], tbuf[256];
	int l, c, a, tl, tc, ta, n, tn, one = 1, fam = AF_INET;
	struct in6_addr m = mapped(LOOPBACK);
	unsigned short port, tport;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	memset(buf, 0, sizeof(buf));	/* cmsg padding is not written */
	memset(tbuf, 0, sizeof(tbuf));
	l = listen6(_metadata, self->family, &in6addr_any, 0, &port);
	tl = listen6(_metadata, AF_INET6, &in6addr_any, 0, &tport);
	pair6(_metadata, self->family, l, port, &c, &a);
	pair6(_metadata, AF_INET6, tl, tport, &tc, &ta);
	ASSERT_EQ(0, setsockopt(c, SOL_IPV6, IPV6_RECVPKTINFO, &one, 4));
	ASSERT_EQ(0, setsockopt(c, SOL_IPV6, IPV6_RECVHOPLIMIT, &one, 4));
	ASSERT_EQ(0, setsockopt(c, SOL_IPV6, IPV6_RECVTCLASS, &one, 4));
	ASSERT_EQ(0, setsockopt(tc, SOL_IPV6, IPV6_RECVPKTINFO, &one, 4));
	ASSERT_EQ(0, setsockopt(tc, SOL_IPV6, IPV6_RECVHOPLIMIT, &one, 4));
	ASSERT_EQ(0, setsockopt(tc, SOL_IPV6, IPV6_RECVTCLASS, &one, 4));
	n = pktoptions(c, buf, sizeof(buf));
	tn = pktoptions(tc, tbuf, sizeof(tbuf));
	ASSERT_LT(0, tn);
	ASSERT_EQ(tn, n);
	ASSERT_EQ(0, memcmp(buf, tbuf, n));
	opt6_cmp(_metadata, variant->tcpx, c, tc, "ADDRFORM over IPv6",
		 IPV6_ADDRFORM, &fam, 4, EADDRNOTAVAIL, 0);
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(tc));
	ASSERT_EQ(0, close(ta));

	c = sock6(self->family);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect6(c, &m, port));
	a = accept_t(_metadata, l);
	errno = 0;
	n = setsockopt(c, SOL_IPV6, IPV6_ADDRFORM, &fam, 4);
	if (variant->tcpx) {
		ASSERT_EQ(-1, n);
		ASSERT_EQ(ENOPROTOOPT, errno);
		ASSERT_EQ(AF_INET6, getpeername(c, (void *)buf,
			  &(socklen_t){ sizeof(buf) }) ? -1 :
			  ((struct sockaddr *)buf)->sa_family);
	} else {
		ASSERT_EQ(0, n) TH_LOG("ADDRFORM: %s", strerror(errno));
		/* An IPv4 socket now: SOL_IPV6 is not its level. */
		ASSERT_EQ(-1, get_int(c, SOL_IPV6, IPV6_TCLASS));
		ASSERT_EQ(EOPNOTSUPP, errno);
	}
	ping_pong(_metadata, c, a);
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(l));
	ASSERT_EQ(0, close(tl));
}

/* ---- 12. /proc/net/tcpx6 ------------------------------------------------- */

/*
 * The variant's IPv6 table has /proc/net/tcp6's header line and its
 * columns (compared with a TCP listener's line); listeners on ::1 and [::]
 * show st 0A with their hex address and port, an established ::1 pair two
 * lines of st 01, and the v4-mapped end of an IPv4 client's connection
 * shows there as ::ffff:127.0.0.1 while the client is in the IPv4 table.
 * No IPv6 socket shows in the IPv4 table.
 */
TEST_F_TIMEOUT(inet6_api, proc, TEST_TIMEOUT)
{
	const struct in6_addr *lo6 = &in6addr_loopback;
	struct in6_addr m = mapped(LOOPBACK);
	unsigned short port, port2, tport;
	int l, l2, t, c, a, c4, a4, cport, c4port, want;
	const char *p6 = variant->proc6;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ASSERT_NE(0, tcp6_header()[0]);
	ASSERT_LE(0, proc6_count(p6, lo6, 0, NULL, 0, PROC_ANY))
		TH_LOG("%s missing or its header is not tcp6's", p6);

	t = listen6(_metadata, AF_INET6, lo6, -1, &tport);
	/* A port no IPv4 socket holds: the IPv4 table is searched for it. */
	want = free_port(self->family);
	ASSERT_LT(0, want);
	l = listen6_at(_metadata, self->family, lo6, -1, want, &port);
	ASSERT_EQ(1, proc6_count(p6, lo6, port, &in6addr_any, 0, ST_LISTEN))
		TH_LOG("listener [::1]:%u not in %s", port, p6);
	ASSERT_EQ(proc6_fields(TCP6_PROC, lo6, tport),
		  proc6_fields(p6, lo6, port));
	l2 = listen6(_metadata, self->family, &in6addr_any, 0, &port2);
	ASSERT_EQ(1, proc6_count(p6, &in6addr_any, port2, &in6addr_any, 0,
				 ST_LISTEN));

	pair6(_metadata, self->family, l, port, &c, &a);
	cport = local_port(c);
	ASSERT_EQ(1, wait_proc6(p6, lo6, cport, lo6, port, ST_ESTABLISHED, 1));
	ASSERT_EQ(1, wait_proc6(p6, lo6, port, lo6, cport, ST_ESTABLISHED, 1));
	ASSERT_EQ(2, proc6_count(p6, lo6, port, NULL, 0, PROC_ANY));

	pair4(_metadata, self->family4, l2, port2, &c4, &a4);
	c4port = local_port(c4);
	ASSERT_EQ(1, wait_proc6(p6, &m, port2, &m, c4port, ST_ESTABLISHED, 1))
		TH_LOG("the v4-mapped accepted socket is not in %s", p6);
	ASSERT_EQ(1, tcpx_proc_count(variant->proc4, LOOPBACK, c4port,
				     LOOPBACK, port2, ST_ESTABLISHED));
	ASSERT_EQ(0, tcpx_proc_count(variant->proc4, LOOPBACK, port2,
				     LOOPBACK, c4port, PROC_ANY));
	ASSERT_EQ(0, tcpx_proc_count(variant->proc4, 0, port2, 0, PROC_ANY,
				     PROC_ANY));
	ASSERT_EQ(0, tcpx_proc_count(variant->proc4, 0, port, 0, PROC_ANY,
				     PROC_ANY));
	ASSERT_EQ(0, tcpx_proc_count(variant->proc4, LOOPBACK, port, 0,
				     PROC_ANY, PROC_ANY));

	ASSERT_EQ(0, close(c4));
	ASSERT_EQ(0, close(a4));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(l2));
	ASSERT_EQ(0, close(l));
	ASSERT_EQ(0, proc6_count(p6, lo6, port, &in6addr_any, 0, ST_LISTEN));
	ASSERT_EQ(0, close(t));
}

TEST_HARNESS_MAIN
