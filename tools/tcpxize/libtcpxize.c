// SPDX-License-Identifier: GPL-2.0
/*
 * libtcpxize.so: LD_PRELOAD'ed by tcpxize(1), makes a program's IPv4 and
 * IPv6 TCP stream sockets tcpx sockets.  tcpx takes sockaddr_in and
 * sockaddr_in6 addresses and TCP-level options, so socket() is the only
 * call that must change:
 *
 *   socket(AF_INET or AF_INET6, SOCK_STREAM[|SOCK_NONBLOCK|SOCK_CLOEXEC],
 *          0|IPPROTO_TCP)
 *     -> socket(AF_TCPX, same type and flags, 0)
 *
 * A tcpx socket takes its IP version from its first bind() or connect(),
 * or from its first SOL_IPV6 option: one made for AF_INET6 is made IPv6 at
 * once (tcpxize_make_v6()), so that it is one from the start, as the
 * program asked.  UDP, Unix, raw and packet sockets are untouched.
 *
 * With TCPXIZE_PORTS set ("80,6379,5000-5010") the swap is deferred: socket()
 * makes an ordinary TCP socket and remembers it; bind() to a listed local port
 * or connect() to a listed remote port then opens a tcpx socket, gives it
 * what the TCP one had (O_NONBLOCK, FD_CLOEXEC, the options set so far, the
 * address bound so far) and dup3()s it over the same descriptor number.  Any
 * other socket stays TCP.
 *
 * tcpx rejects TCP options it does not implement with ENOPROTOOPT.  Those
 * that only tune performance (TCP_FASTOPEN,
 * TCP_CONGESTION, ... see tcpxize_advisory()) report success on a tcpx socket
 * so that servers which insist on them start; everything else keeps its
 * error.  getsockopt(TCP_CONGESTION) answers "tcpx".
 *
 * Environment: TCPXIZE_PORTS (above), TCPXIZE_DEBUG=1 (one line on stderr per
 * decision), TCPXIZE_FAMILY (overrides the family number, otherwise read
 * from /sys/module/tcpx/parameters/family, else 18).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcpx_util.h"

#define TCPXIZE_EXPORT		__attribute__((visibility("default")))
#define TCPXIZE_MAX_OPTS	32	/* options replayed onto a swapped socket */
#define TCPXIZE_OPT_LEN		64	/* largest option value recorded */

/* TCP option numbers newer than some libc headers. */
#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT	30
#endif
#ifndef TCP_FASTOPEN_KEY
#define TCP_FASTOPEN_KEY	33
#endif
#ifndef TCP_FASTOPEN_NO_COOKIE
#define TCP_FASTOPEN_NO_COOKIE	34
#endif
#ifndef TCP_TX_DELAY
#define TCP_TX_DELAY		37
#endif

struct tcpxize_opt {
	int level;
	int name;
	socklen_t len;
	unsigned char val[TCPXIZE_OPT_LEN];
};

/* A TCP socket that may still become a tcpx one (TCPXIZE_PORTS mode). */
struct tcpxize_pending {
	dev_t dev;		/* identity of the socket, so that a reused */
	ino_t ino;		/* descriptor number is not mistaken for it */
	int domain;		/* AF_INET or AF_INET6, as the program asked */
	bool bound;
	socklen_t addr_len;
	struct sockaddr_in6 addr;	/* or a sockaddr_in: the bound address */
	int nopts;
	struct tcpxize_opt opts[TCPXIZE_MAX_OPTS];
};

static int (*real_socket)(int, int, int);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);

static pthread_once_t tcpxize_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t tcpxize_lock = PTHREAD_MUTEX_INITIALIZER;
static int tcpxize_family = AF_TCPX;
static bool tcpxize_debug;
static bool tcpxize_filter;		/* TCPXIZE_PORTS given */
static unsigned char tcpxize_ports[65536 / 8];
static struct tcpxize_pending **tcpxize_table;	/* by descriptor number */
static int tcpxize_table_len;

static void tcpxize_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (!tcpxize_debug)
		return;
	n = snprintf(buf, sizeof(buf), "tcpxize[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	/* One write per line: stdio may not be usable in every caller. */
	n = strlen(buf);
	if (n < (int)sizeof(buf) - 1)
		buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

static bool tcpxize_port_listed(unsigned int port)
{
	return tcpxize_ports[port / 8] & (1u << (port % 8));
}

/* "80,6379,5000-5010": a bad list selects no port and says so. */
static void tcpxize_parse_ports(const char *s)
{
	const char *p = s;
	char *end;

	tcpxize_filter = true;
	while (*p) {
		unsigned long lo, hi;

		lo = strtoul(p, &end, 10);
		if (end == p || lo > 65535)
			goto bad;
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || hi > 65535 || hi < lo)
				goto bad;
		}
		for (; lo <= hi; lo++)
			tcpxize_ports[lo / 8] |= 1u << (lo % 8);
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	return;
bad:
	memset(tcpxize_ports, 0, sizeof(tcpxize_ports));
	fprintf(stderr, "tcpxize: bad TCPXIZE_PORTS \"%s\": no socket becomes tcpx\n", s);
}

static void tcpxize_init(void)
{
	const char *s;

	real_socket = dlsym(RTLD_NEXT, "socket");
	real_bind = dlsym(RTLD_NEXT, "bind");
	real_connect = dlsym(RTLD_NEXT, "connect");
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");

	s = getenv("TCPXIZE_DEBUG");
	tcpxize_debug = s && *s && strcmp(s, "0");

	s = getenv("TCPXIZE_FAMILY");
	if (s && *s)
		tcpxize_family = atoi(s);
	else
		tcpxize_family = tcpx_sys_family();

	s = getenv("TCPXIZE_PORTS");
	if (s && *s)
		tcpxize_parse_ports(s);
}

static void tcpxize_setup(void)
{
	pthread_once(&tcpxize_once, tcpxize_init);
}

/* The options tcpx does not implement that only tune performance. */
static bool tcpxize_advisory(int name)
{
	switch (name) {
	case TCP_CONGESTION:
	case TCP_THIN_LINEAR_TIMEOUTS:
	case TCP_THIN_DUPACK:
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_CONNECT:
	case TCP_FASTOPEN_KEY:
	case TCP_FASTOPEN_NO_COOKIE:
	case TCP_TX_DELAY:
		return true;
	}
	return false;
}

static bool tcpxize_is_tcpx(int fd)
{
	socklen_t len = sizeof(int);
	int domain;

	return !real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
	       domain == tcpxize_family;
}

static bool tcpxize_is_stream(int type, int protocol)
{
	return (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/*
 * A tcpx socket stands undecided between IPv4 and IPv6 until its first
 * bind() or connect(), or its first option at level SOL_IPV6.  One that
 * replaces an AF_INET6 socket must be IPv6 from the start: a program may
 * call getsockname() first and expect a sockaddr_in6, or set an IPV6_*
 * option it assumes applies.  A harmless getsockopt(IPV6_V6ONLY) decides
 * it.  Failure (a tcpx without IPv6) is only logged: the program's first
 * IPv6 call then fails the same way.
 */
static void tcpxize_make_v6(int fd)
{
	socklen_t len = sizeof(int);
	int v6only;

	if (real_getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len))
		tcpxize_log("fd %d: cannot be made IPv6: %s", fd, strerror(errno));
}

/* Called with tcpxize_lock held. */
static struct tcpxize_pending *tcpxize_lookup(int fd)
{
	struct tcpxize_pending *p;
	struct stat st;

	if (fd < 0 || fd >= tcpxize_table_len || !tcpxize_table[fd])
		return NULL;
	p = tcpxize_table[fd];
	if (fstat(fd, &st) || st.st_dev != p->dev || st.st_ino != p->ino) {
		/* Closed and the number reused by another socket. */
		free(p);
		tcpxize_table[fd] = NULL;
		return NULL;
	}
	return p;
}

static void tcpxize_forget(int fd)
{
	free(tcpxize_table[fd]);
	tcpxize_table[fd] = NULL;
}

static void tcpxize_track(int fd, int domain)
{
	struct tcpxize_pending *p;
	struct stat st;

	if (fstat(fd, &st))
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->domain = domain;

	pthread_mutex_lock(&tcpxize_lock);
	if (fd >= tcpxize_table_len) {
		int len = fd < 64 ? 128 : fd * 2;
		void *t = realloc(tcpxize_table, len * sizeof(*tcpxize_table));

		if (!t) {
			pthread_mutex_unlock(&tcpxize_lock);
			free(p);
			return;
		}
		tcpxize_table = t;
		memset(tcpxize_table + tcpxize_table_len, 0,
		       (len - tcpxize_table_len) * sizeof(*tcpxize_table));
		tcpxize_table_len = len;
	}
	free(tcpxize_table[fd]);
	tcpxize_table[fd] = p;
	pthread_mutex_unlock(&tcpxize_lock);
}

/*
 * Replace the TCP socket at fd by a tcpx socket with the same file flags,
 * options and bound address.  Called with tcpxize_lock held; the entry is
 * gone afterwards either way.  On failure fd is still the TCP socket.
 */
static int tcpxize_swap(int fd, struct tcpxize_pending *p, const char *why)
{
	int fl, fdfl, nfd, i, err;

	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		goto fail;
	nfd = real_socket(tcpxize_family,
			  SOCK_STREAM | SOCK_CLOEXEC | (fl & O_NONBLOCK ? SOCK_NONBLOCK : 0), 0);
	if (nfd < 0)
		goto fail;
	if (p->domain == AF_INET6)
		tcpxize_make_v6(nfd);
	for (i = 0; i < p->nopts; i++) {
		struct tcpxize_opt *o = &p->opts[i];

		if (real_setsockopt(nfd, o->level, o->name, o->val, o->len) &&
		    !(errno == ENOPROTOOPT && o->level == IPPROTO_TCP &&
		      tcpxize_advisory(o->name)))
			tcpxize_log("fd %d: option %d/%d not carried over: %s",
				    fd, o->level, o->name, strerror(errno));
	}
	if (p->bound && real_bind(nfd, (struct sockaddr *)&p->addr, p->addr_len))
		goto fail_close;
	if (dup3(nfd, fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0)
		goto fail_close;
	close(nfd);
	tcpxize_log("fd %d: tcpx (%s)", fd, why);
	tcpxize_forget(fd);
	return 0;

fail_close:
	err = errno;
	close(nfd);
	errno = err;
fail:
	tcpxize_log("fd %d: cannot become tcpx (%s): %s", fd, why, strerror(errno));
	tcpxize_forget(fd);
	return -1;
}

/* The length of a sockaddr_in or sockaddr_in6 at @addr; 0 if it is neither. */
static socklen_t tcpxize_addr_len(const struct sockaddr *addr, socklen_t len)
{
	socklen_t want;

	if (!addr || len < sizeof(sa_family_t))
		return 0;
	switch (addr->sa_family) {
	case AF_INET:
		want = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		want = sizeof(struct sockaddr_in6);
		break;
	default:
		return 0;
	}
	return len < want ? 0 : want;
}

static unsigned int tcpxize_sin_port(const struct sockaddr *addr, socklen_t len)
{
	if (!tcpxize_addr_len(addr, len))
		return 0;
	if (addr->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)addr)->sin_port);
}

/*
 * With tcpxize_lock held: a pending TCP socket @p whose bind() or connect()
 * (@call) names a listed port becomes tcpx.  True if it was one (the swap
 * may still have failed: the TCP socket then stays, better than none).
 */
static bool tcpxize_swap_listed(int fd, struct tcpxize_pending *p,
				const struct sockaddr *addr, socklen_t len,
				const char *call)
{
	unsigned int port = tcpxize_sin_port(addr, len);
	char why[32];

	if (!p || !port || !tcpxize_port_listed(port))
		return false;
	snprintf(why, sizeof(why), "%s port %u", call, port);
	tcpxize_swap(fd, p, why);
	return true;
}

TCPXIZE_EXPORT int socket(int domain, int type, int protocol)
{
	int fd;

	tcpxize_setup();
	if ((domain != AF_INET && domain != AF_INET6) ||
	    !tcpxize_is_stream(type, protocol))
		return real_socket(domain, type, protocol);

	if (!tcpxize_filter) {
		fd = real_socket(tcpxize_family, type, 0);
		if (fd < 0) {
			tcpxize_log("socket(AF_TCPX=%d): %s", tcpxize_family, strerror(errno));
			return fd;
		}
		if (domain == AF_INET6)
			tcpxize_make_v6(fd);
		tcpxize_log("fd %d: tcpx%s", fd, domain == AF_INET6 ? " (IPv6)" : "");
		return fd;
	}
	fd = real_socket(domain, type, protocol);
	if (fd >= 0)
		tcpxize_track(fd, domain);
	return fd;
}

TCPXIZE_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tcpxize_pending *p;
	socklen_t alen;
	int ret;

	tcpxize_setup();
	if (!tcpxize_filter)
		return real_bind(fd, addr, len);

	pthread_mutex_lock(&tcpxize_lock);
	p = tcpxize_lookup(fd);
	if (tcpxize_swap_listed(fd, p, addr, len, "bind to"))
		p = NULL;
	pthread_mutex_unlock(&tcpxize_lock);
	ret = real_bind(fd, addr, len);
	alen = tcpxize_addr_len(addr, len);
	if (ret || !p || !alen)
		return ret;

	/* Replayed if a connect() later moves the socket to tcpx. */
	pthread_mutex_lock(&tcpxize_lock);
	p = tcpxize_lookup(fd);
	if (p) {
		memcpy(&p->addr, addr, alen);
		p->addr_len = alen;
		p->bound = true;
	}
	pthread_mutex_unlock(&tcpxize_lock);
	return ret;
}

TCPXIZE_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tcpxize_pending *p;

	tcpxize_setup();
	if (!tcpxize_filter)
		return real_connect(fd, addr, len);

	pthread_mutex_lock(&tcpxize_lock);
	p = tcpxize_lookup(fd);
	if (!tcpxize_swap_listed(fd, p, addr, len, "connect to") && p) {
		/* Connected over TCP: it stays TCP. */
		tcpxize_forget(fd);
	}
	pthread_mutex_unlock(&tcpxize_lock);
	return real_connect(fd, addr, len);
}

TCPXIZE_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct tcpxize_pending *p;
	int ret;

	tcpxize_setup();
	ret = real_setsockopt(fd, level, name, val, len);
	if (ret && errno == ENOPROTOOPT && level == IPPROTO_TCP &&
	    tcpxize_advisory(name) && tcpxize_is_tcpx(fd)) {
		tcpxize_log("fd %d: TCP option %d ignored (tcpx does not implement it)", fd, name);
		return 0;
	}
	if (ret || !tcpxize_filter || !val || len > TCPXIZE_OPT_LEN)
		return ret;

	pthread_mutex_lock(&tcpxize_lock);
	p = tcpxize_lookup(fd);
	if (p && p->nopts < TCPXIZE_MAX_OPTS) {
		struct tcpxize_opt *o = &p->opts[p->nopts++];

		o->level = level;
		o->name = name;
		o->len = len;
		memcpy(o->val, val, len);
	}
	pthread_mutex_unlock(&tcpxize_lock);
	return ret;
}

TCPXIZE_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static const char ca[] = "tcpx";
	int ret, err;

	tcpxize_setup();
	ret = real_getsockopt(fd, level, name, val, len);
	if (!ret || level != IPPROTO_TCP || name != TCP_CONGESTION || !val || !len)
		return ret;
	err = errno;
	if (err != ENOPROTOOPT || !tcpxize_is_tcpx(fd)) {
		errno = err;
		return ret;
	}
	/* Programs that print the algorithm (iperf3) get tcpx's own. */
	*len = *len < sizeof(ca) ? *len : sizeof(ca);
	memcpy(val, ca, *len);
	return 0;
}
