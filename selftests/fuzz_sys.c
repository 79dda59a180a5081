// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_sys: a syscall fuzzer for tcpx sockets (or, with -f tcp, for Linux
 * TCP, to show the harness itself is sound; with -f tcp6, for AF_INET6 and
 * AF_INET TCP sockets, half each, the IPv6 harness too).
 *
 *   fuzz_sys [-f tcpx|tcp|tcp6|N] [-s SEED] [-n CALLS] [-t THREADS]
 *            [-S SLOTS] [-H SECONDS] [-v]
 *
 * THREADS threads (default 4) issue CALLS (default 100000) random calls in
 * all on the sockets of one small shared table of SLOTS fds (default 8):
 * socket, bind, listen, connect (blocking or not; to a listener of the
 * table, a dead port, the socket's own address, other addresses), accept,
 * send/recv in all their forms with random MSG_ flag bits, sendfile and
 * splice, shutdown, close, dup, fork, poll and epoll, setsockopt and
 * getsockopt of every name 0..OPT_NAMES-1 at SOL_SOCKET, SOL_IP, SOL_IPV6,
 * SOL_TCPX and IPPROTO_TCP with random lengths, values and buffers (NULL, a
 * page that faults, one that ends at such a page), ioctls and fcntls, and
 * reads of /proc/net/tcpx6 and /proc/net/tcpx (tcp6, tcp for TCP).  The
 * table is shared on purpose: one thread's close or shutdown races another's
 * send or recv on the same fd.
 *
 * Addresses (bind, connect, sendto, sendmsg) are sockaddr_in or, as often,
 * sockaddr_in6: ::1, ::, v4-mapped ones (::ffff:127.0.0.1), fe80::1 with and
 * without a scope id, multicast, unroutable and random ones, with lengths
 * 0..28 and others, AF_INET6 at AF_INET's length and the reverse.  Mostly
 * the family a socket already speaks, but any family on any socket: a tcpx
 * socket's first address makes it IPv4 or IPv6, and a listener of the table
 * on [::] gets IPv4 clients (127.0.0.1) as an IPv4 one gets v4-mapped ones.
 *
 * No call may block the fuzzer: sockets start with SO_RCVTIMEO and
 * SO_SNDTIMEO of 20 ms, and a watchdog signals (SIGUSR1, no SA_RESTART) a
 * thread whose call has run for KICK_MS, again every KICK_MS.  A call still
 * running after -H seconds (default 30) cannot be interrupted: that is a
 * kernel bug, reported as HANG with the thread's kernel stack and its last
 * calls, and the program exits at once.
 *
 * Output: "seed S ..." first; "BUG ..." for an answer no kernel may give (a
 * count above the length asked, an errno that is not one, a /proc/net file
 * that does not begin with its header); at the end
 * "calls N in T s: R calls/s", and with -v the time each kind of call took
 * in all threads, "time CALL MS", and a histogram of its outcomes,
 * "hist CALL ERRNO-NAME|ok COUNT".
 * Exit status: 0 clean, 1 usage or setup error, 2 HANG, 3 BUG.
 *
 * Reproduce with the seed: -s SEED -n CALLS -t THREADS -S SLOTS gives
 * every thread the same sequence of choices; with -t 1 the run is the same
 * up to timing (which calls time out).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/types.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/in6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

#define MAX_THREADS	64
#define MAX_SLOTS	64
#define BUF_SIZE	(256 << 10)	/* each thread's buffer; a faulting page follows */
#define SMALL_SIZE	16		/* the small buffer: the last bytes before it */
#define FILE_SIZE	(256 << 10)	/* what sendfile() reads from */
#define OUT_MAX		(1024 * 1024)	/* sendfile()'s output file is emptied past this */
#define PORT_BASE	20000		/* below the ephemeral range */
#define PORT_POOL	8		/* few ports, so binds collide */
#define PORT_DEAD	(PORT_BASE + 100)	/* never bound: connect is refused */
#define OPT_NAMES	80		/* 0..79: SOL_SOCKET ends at 7x */
#define IO_TIMEO_US	20000
#define KICK_MS		200
#define RING		16		/* calls kept for a HANG or BUG report */
#define ERR_SLOTS	256		/* errno values counted; above: BUG */
#define CHILD_CALLS	4		/* at most, by a forked child */
#define CHILD_ALARM	3		/* seconds a forked child may live */
#define CHILD_KILL_NS	(5 * NSEC_PER_SEC)
#define NSEC_PER_SEC	1000000000LL

enum fuzz_op {
	OP_SOCKET, OP_BIND, OP_LISTEN, OP_CONNECT, OP_ACCEPT,
	OP_SEND, OP_SENDTO, OP_SENDMSG, OP_RECV, OP_RECVFROM, OP_RECVMSG,
	OP_RW, OP_SENDFILE, OP_SPLICE, OP_SHUTDOWN, OP_CLOSE, OP_DUP,
	OP_FORK, OP_POLL, OP_EPOLL, OP_SETSOCKOPT, OP_GETSOCKOPT, OP_IOCTL,
	OP_GETNAME, OP_FCNTL, OP_PROC,
	OP_MAX
};

struct fuzz_call {
	int op;
	int fd;
	long a, b, c;		/* the call's main arguments, per op */
	long ret;
	int err;
};

struct fuzz_thread {
	pthread_t tid;
	pid_t ktid;		/* for /proc/self/task/ktid/stack */
	int idx;
	__u64 rng;
	unsigned long calls;	/* to make */
	unsigned long done;
	int in_child;		/* in a forked child: no reports, no fork */
	int epfd;
	int pipe[2];		/* non-blocking, for splice() */
	int outfd;		/* sendfile()'s output file */
	int procfd[2];		/* /proc/net/tcpx, tcpx6 (-1: none) */
	char *buf;		/* BUF_SIZE bytes, then a PROT_NONE page */
	__s64 start_ns;	/* of the running call, 0 between calls */
	__s64 kicked_ns;
	struct fuzz_call cur;
	struct fuzz_call ring[RING];
	unsigned int hist[OP_MAX][ERR_SLOTS];
	__s64 op_ns[OP_MAX];	/* time spent in each call */
};

static struct {
	int family;
	int family2;		/* -f tcp6: AF_INET, for every other socket() */
	const char *proc;	/* /proc/net/ file: "tcpx" or "tcp" (and 6) */
	int tcpx_level;		/* SOL_TCPX */
	int tcpx_proto;		/* the module's IP protocol, for socket() */
	unsigned long long seed;
	unsigned long calls;
	int nthreads;
	int nslots;
	int hang_s;
	int verbose;
	int infd;		/* sendfile()'s input, FILE_SIZE bytes */
	int weight_sum;
	int bugs;
	int running;
} fz;

static int slots[MAX_SLOTS];
static struct fuzz_thread threads[MAX_THREADS];

static const char *const op_names[OP_MAX] = {
	"socket", "bind", "listen", "connect", "accept",
	"send", "sendto", "sendmsg", "recv", "recvfrom", "recvmsg",
	"rw", "sendfile", "splice", "shutdown", "close", "dup",
	"fork", "poll", "epoll", "setsockopt", "getsockopt", "ioctl",
	"getname", "fcntl", "proc",
};

/* How often each call is made, relative to the others. */
static const int op_weights[OP_MAX] = {
	[OP_SOCKET] = 8, [OP_BIND] = 5, [OP_LISTEN] = 5, [OP_CONNECT] = 8,
	[OP_ACCEPT] = 6, [OP_SEND] = 6, [OP_SENDTO] = 3, [OP_SENDMSG] = 4,
	[OP_RECV] = 6, [OP_RECVFROM] = 3, [OP_RECVMSG] = 4, [OP_RW] = 3,
	[OP_SENDFILE] = 2, [OP_SPLICE] = 3, [OP_SHUTDOWN] = 3, [OP_CLOSE] = 4,
	[OP_DUP] = 2, [OP_FORK] = 1, [OP_POLL] = 3, [OP_EPOLL] = 3,
	[OP_SETSOCKOPT] = 14, [OP_GETSOCKOPT] = 10, [OP_IOCTL] = 6,
	[OP_GETNAME] = 2, [OP_FCNTL] = 2, [OP_PROC] = 1,
};

static __s64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* splitmix64: each thread's stream of choices, from the seed. */
static __u64 rnd(struct fuzz_thread *t)
{
	__u64 z = (t->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long below(struct fuzz_thread *t, unsigned long n)
{
	return rnd(t) % n;
}

static int chance(struct fuzz_thread *t, unsigned long n)
{
	return below(t, n) == 0;
}

#define PICK(t, arr)	((arr)[below(t, sizeof(arr) / sizeof((arr)[0]))])

static int pick_fd(struct fuzz_thread *t);

static int is_listener(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) && on;
}

/*
 * A listener of the table, most of the time, so that connect() and accept()
 * make connections to send on; any fd of it otherwise.
 */
static int pick_listener(struct fuzz_thread *t, int fd)
{
	int i, other;

	for (i = 0; i < 3 && !is_listener(fd); i++) {
		other = pick_fd(t);
		if (is_listener(other))
			return other;
	}
	return fd;
}

/* An fd of the table; -1 (EBADF) when the slots tried are empty. */
static int pick_fd(struct fuzz_thread *t)
{
	int i, fd;

	for (i = 0; i < 3; i++) {
		fd = __atomic_load_n(&slots[below(t, fz.nslots)], __ATOMIC_RELAXED);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/*
 * A new fd into the table: an empty slot if there is one, else in place
 * of a random one, which is closed (every fd leaves the table once).
 */
static void put_fd(struct fuzz_thread *t, int fd)
{
	int i, start = below(t, fz.nslots), empty, old;

	for (i = 0; i < fz.nslots; i++) {
		empty = -1;
		if (__atomic_compare_exchange_n(&slots[(start + i) % fz.nslots],
						&empty, fd, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
	old = __atomic_exchange_n(&slots[start], fd, __ATOMIC_SEQ_CST);
	if (old >= 0)
		close(old);
}

/* An answer no kernel may give: reported with the calls before it. */
static void bug(struct fuzz_thread *t, const char *what, long val)
{
	int i;

	if (t->in_child)
		return;
	__atomic_add_fetch(&fz.bugs, 1, __ATOMIC_RELAXED);
	printf("BUG thread %d call %lu %s fd %d (%ld %ld %ld): %s %ld; seed %llu\n",
	       t->idx, t->done, op_names[t->cur.op], t->cur.fd, t->cur.a,
	       t->cur.b, t->cur.c, what, val, fz.seed);
	for (i = 0; i < RING; i++) {
		struct fuzz_call *c = &t->ring[(t->done + i) % RING];

		if (c->op >= 0)
			printf("  before: %s fd %d (%ld %ld %ld) = %ld %s\n",
			       op_names[c->op], c->fd, c->a, c->b, c->c, c->ret,
			       c->ret < 0 ? strerrorname_np(c->err) ?: "?" : "");
	}
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_usec = IO_TIMEO_US };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- arguments ---- */

/* A length: the usual ones, edges, more than the buffer, "negative". */
static size_t pick_len(struct fuzz_thread *t)
{
	static const size_t lens[] = {
		0, 1, 2, 4, 8, 16, 100, 1460, 4096, 65536, BUF_SIZE,
		BUF_SIZE * 4, SIZE_MAX, (size_t)INT_MAX + 1,
	};

	if (chance(t, 3))
		return below(t, BUF_SIZE);
	return PICK(t, lens);
}

/*
 * A user buffer: the big one (@len bytes of it, or more), the small one
 * that ends where the faulting page starts, that page itself, NULL, or an
 * odd address.
 */
static char *pick_buf(struct fuzz_thread *t, size_t *len)
{
	*len = pick_len(t);
	switch (below(t, 10)) {
	case 0:
		*len = chance(t, 2) ? SMALL_SIZE : *len;
		return t->buf + BUF_SIZE - SMALL_SIZE;
	case 1:
		return t->buf + BUF_SIZE;
	case 2:
		return NULL;
	case 3:
		return t->buf + 1;
	default:
		if (*len > BUF_SIZE && !chance(t, 4))
			*len = below(t, BUF_SIZE + 1);
		return t->buf;
	}
}

/* MSG_ flags: none, one bit of 32, a sparse random set, or DONTWAIT and one. */
static int pick_flags(struct fuzz_thread *t)
{
	switch (below(t, 5)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return 1U << below(t, 32);
	case 3:
		return (int)(rnd(t) & rnd(t) & rnd(t));
	default:
		return MSG_DONTWAIT | (1U << below(t, 32));
	}
}

static in_addr_t pick_ip(struct fuzz_thread *t)
{
	static const in_addr_t ips[] = {
		0x7f000001, 0x7f000001, 0x7f000001, 0, 0x7f000002,
		0x0a010203, 0xe0000001, 0xffffffff,
	};

	return htonl(PICK(t, ips));
}

/* An address of IPv6's: loopback, any, v4-mapped, link-local, others. */
static void pick_ip6(struct fuzz_thread *t, struct sockaddr_in6 *sin6)
{
	struct in6_addr *a = &sin6->sin6_addr;
	int i;

	switch (below(t, 12)) {
	case 0: case 1: case 2:
		a->s6_addr[15] = 1;			/* ::1 */
		break;
	case 3:
		break;					/* :: */
	case 4: case 5:
		a->s6_addr32[2] = htonl(0xffff);	/* ::ffff:a.b.c.d */
		a->s6_addr32[3] = pick_ip(t);
		break;
	case 6: case 7:
		/* fe80::1 (on lo in fuzz_sys.sh), without a scope id or with one */
		a->s6_addr32[0] = htonl(0xfe800000);
		a->s6_addr[15] = 1;
		if (!chance(t, 3))
			sin6->sin6_scope_id = chance(t, 4) ? (__u32)rnd(t) : 1;
		break;
	case 8:
		a->s6_addr32[0] = htonl(0xff020000);	/* ff02::1 */
		a->s6_addr[15] = 1;
		break;
	case 9:
		a->s6_addr32[0] = htonl(0x20010db8);	/* 2001:db8::1: no route */
		a->s6_addr[15] = 1;
		break;
	case 10:
		a->s6_addr32[3] = htonl(INADDR_LOOPBACK);	/* ::127.0.0.1 */
		break;
	default:
		for (i = 0; i < 16; i++)
			a->s6_addr[i] = rnd(t);
	}
	if (chance(t, 8))
		sin6->sin6_flowinfo = rnd(t);
	if (chance(t, 16))
		sin6->sin6_scope_id = rnd(t);
}

/*
 * The address of a socket of the table (0: none), in family @family, any
 * address as loopback: an IPv4 one as v4-mapped for IPv6, an IPv6 one on
 * [::] (or v4-mapped) as 127.0.0.1 (or its own) for IPv4, [::] as ::1 or
 * (@mapped) ::ffff:127.0.0.1 for IPv6.  0 for an IPv6 address that IPv4
 * cannot reach.
 */
static int slot_addr(int fd, int family, int mapped, struct sockaddr_storage *ss)
{
	struct sockaddr_storage own;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss, *osin;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss, *osin6;
	socklen_t len = sizeof(own);
	in_addr_t ip;

	osin = (struct sockaddr_in *)&own;
	osin6 = (struct sockaddr_in6 *)&own;
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&own, &len) ||
	    !osin->sin_port)
		return 0;
	if (own.ss_family == AF_INET) {
		ip = osin->sin_addr.s_addr ?: htonl(INADDR_LOOPBACK);
	} else if (own.ss_family != AF_INET6) {
		return 0;
	} else if (IN6_IS_ADDR_V4MAPPED(&osin6->sin6_addr)) {
		ip = osin6->sin6_addr.s6_addr32[3] ?: htonl(INADDR_LOOPBACK);
	} else if (family == AF_INET6) {
		*sin6 = *osin6;
		sin6->sin6_flowinfo = 0;
		if (!IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return 1;
		if (!mapped) {
			sin6->sin6_addr.s6_addr[15] = 1;
			return 1;
		}
		ip = htonl(INADDR_LOOPBACK);
	} else if (IN6_IS_ADDR_UNSPECIFIED(&osin6->sin6_addr)) {
		ip = htonl(INADDR_LOOPBACK);
	} else {
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = osin->sin_port;
		sin->sin_addr.s_addr = ip;
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = osin->sin_port;
		sin6->sin6_addr.s6_addr32[2] = htonl(0xffff);
		sin6->sin6_addr.s6_addr32[3] = ip;
	}
	return 1;
}

/*
 * The family of the next address for the socket of the call: the one it
 * speaks (its name has a port, or is IPv6) three times in four, either
 * otherwise.
 */
static int pick_family(struct fuzz_thread *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!chance(t, 4) && t->cur.fd >= 0 &&
	    !getsockname(t->cur.fd, (struct sockaddr *)&ss, &len) &&
	    (ss.ss_family == AF_INET6 ||
	     (ss.ss_family == AF_INET && ((struct sockaddr_in *)&ss)->sin_port)))
		return ss.ss_family;
	return chance(t, 2) ? AF_INET6 : AF_INET;
}

/* The same as pick_addr(), for a sockaddr_in6. */
static socklen_t pick_addr6(struct fuzz_thread *t, int own,
			    struct sockaddr_storage *ss)
{
	static const socklen_t lens[] = {
		0, 2, 8, 16, 16, 23, 24, 27, 29, sizeof(*ss), sizeof(*ss) + 1,
		4096, (socklen_t)-1,
	};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	socklen_t len = sizeof(*sin6);

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	pick_ip6(t, sin6);
	switch (below(t, 10)) {
	case 0: case 1: case 2: case 3:
		/* a socket of the table: a live listener, or not */
		if (slot_addr(pick_listener(t, pick_fd(t)), AF_INET6,
			      chance(t, 3), ss))
			break;
		fallthrough;
	case 4: case 5:
		sin6->sin6_port = htons(PORT_BASE + below(t, PORT_POOL));
		break;
	case 6:
		memset(&sin6->sin6_addr, 0, sizeof(sin6->sin6_addr));
		if (chance(t, 2)) {
			sin6->sin6_addr.s6_addr32[2] = htonl(0xffff);
			sin6->sin6_addr.s6_addr32[3] = htonl(INADDR_LOOPBACK);
		} else {
			sin6->sin6_addr.s6_addr[15] = 1;
		}
		sin6->sin6_port = htons(PORT_DEAD);
		break;
	case 7:
		if (slot_addr(own, AF_INET6, chance(t, 3), ss))
			break;
		fallthrough;
	case 8:
		sin6->sin6_port = chance(t, 2) ? 0 : htons(below(t, 65536));
		break;
	default:
		/* no well formed address */
		sin6->sin6_port = htons(PORT_BASE + below(t, PORT_POOL));
		switch (below(t, 5)) {
		case 0:
			sin6->sin6_family = AF_UNSPEC;	/* connect: disconnect */
			break;
		case 1:
			sin6->sin6_family = AF_INET;	/* at IPv6's length */
			break;
		case 2:
			sin6->sin6_family = below(t, 65536);
			break;
		case 3:
			len = below(t, sizeof(*sin6) + 1);	/* 0..28 */
			break;
		default:
			len = PICK(t, lens);
		}
	}
	return len;
}

/*
 * An address for bind() (@own: the socket's own fd, for connect's self
 * address) or connect(): IPv4 or IPv6 (pick_family()), mostly well formed,
 * sometimes with the wrong family or length.  Returns the length to pass.
 */
static socklen_t pick_addr(struct fuzz_thread *t, int own,
			   struct sockaddr_storage *ss)
{
	static const socklen_t lens[] = {
		0, 1, 2, 15, 17, 28, sizeof(*ss), sizeof(*ss) + 1, 4096,
		(socklen_t)-1,
	};
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	socklen_t len = sizeof(*sin);

	if (pick_family(t) == AF_INET6)
		return pick_addr6(t, own, ss);
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = pick_ip(t);
	switch (below(t, 10)) {
	case 0: case 1: case 2: case 3:
		/* a socket of the table: a live listener (on [::] too), or not */
		if (slot_addr(pick_listener(t, pick_fd(t)), AF_INET, 0, ss))
			break;
		fallthrough;
	case 4: case 5:
		sin->sin_port = htons(PORT_BASE + below(t, PORT_POOL));
		break;
	case 6:
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(PORT_DEAD);
		break;
	case 7:
		if (slot_addr(own, AF_INET, 0, ss))
			break;
		fallthrough;
	case 8:
		sin->sin_port = chance(t, 2) ? 0 : htons(below(t, 65536));
		break;
	default:
		/* no well formed address */
		switch (below(t, 4)) {
		case 0:
			sin->sin_family = AF_UNSPEC;	/* connect: disconnect */
			break;
		case 1:
			sin->sin_family = AF_INET6;	/* at IPv4's length */
			break;
		case 2:
			sin->sin_family = below(t, 65536);
			break;
		default:
			len = PICK(t, lens);
		}
	}
	return len;
}

/*
 * An address for a BUG report: an IPv4 one as a number, an IPv6 one as its
 * first and last 32 bits (fe80::1 is 0xfe80000000000001), the v4-mapped
 * ones with 0xffff above; the port; for IPv6, 6 in the 100000s of the port.
 */
static void note_addr(struct fuzz_thread *t, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	if (ss->ss_family != AF_INET6) {
		t->cur.a = ntohl(sin->sin_addr.s_addr);
		t->cur.b = ntohs(sin->sin_port);
		return;
	}
	t->cur.a = (long)((unsigned long)(ntohl(sin6->sin6_addr.s6_addr32[0]) ^
					  ntohl(sin6->sin6_addr.s6_addr32[2])) << 32 |
			  ntohl(sin6->sin6_addr.s6_addr32[3]));
	t->cur.b = 600000 + ntohs(sin6->sin6_port);
}

/* ---- the calls; each returns the answer of its main call, errno kept ---- */

static long op_socket(struct fuzz_thread *t)
{
	int type = SOCK_STREAM, proto = 0, fd;

	switch (below(t, 12)) {
	case 0:
		type = below(t, 16);
		break;
	case 1:
		proto = IPPROTO_TCP;
		break;
	case 2:
		proto = fz.tcpx_proto;
		break;
	case 3:
		proto = below(t, 256);
		break;
	}
	if (chance(t, 4))
		type |= SOCK_NONBLOCK;
	if (chance(t, 4))
		type |= SOCK_CLOEXEC;
	t->cur.a = type;
	t->cur.b = proto;
	t->cur.c = fz.family2 && chance(t, 2) ? fz.family2 : fz.family;
	fd = socket(t->cur.c, type, proto);
	if (fd < 0)
		return fd;
	set_timeouts(fd);
	put_fd(t, fd);
	return fd;
}

static long op_bind(struct fuzz_thread *t)
{
	struct sockaddr_storage ss;
	socklen_t len = pick_addr(t, -1, &ss);

	note_addr(t, &ss);
	t->cur.c = len;
	return bind(t->cur.fd, chance(t, 50) ? NULL : (struct sockaddr *)&ss, len);
}

static long op_listen(struct fuzz_thread *t)
{
	static const int backlogs[] = { 0, 1, 2, 5, 128, -1, INT_MAX, INT_MIN };

	t->cur.a = chance(t, 4) ? (int)rnd(t) : PICK(t, backlogs);
	return listen(t->cur.fd, t->cur.a);
}

/* Blocking or not, as the socket is or chosen now. */
static void pick_blocking(struct fuzz_thread *t, int fd)
{
	int fl;

	if (chance(t, 3))
		return;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, chance(t, 2) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static long op_connect(struct fuzz_thread *t)
{
	struct sockaddr_storage ss;
	socklen_t len;

	pick_blocking(t, t->cur.fd);
	len = pick_addr(t, t->cur.fd, &ss);
	note_addr(t, &ss);
	t->cur.c = len;
	return connect(t->cur.fd, chance(t, 50) ? NULL : (struct sockaddr *)&ss, len);
}

static long op_accept(struct fuzz_thread *t)
{
	static const int flags[] = {
		0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC, 1,
		O_APPEND,
	};
	static const socklen_t lens[] = { 0, 4, 16, 28, 128, (socklen_t)-1 };
	struct sockaddr_storage ss;
	socklen_t len = PICK(t, lens), *lenp = &len;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	int fd;

	t->cur.fd = pick_listener(t, t->cur.fd);
	pick_blocking(t, t->cur.fd);
	if (chance(t, 3)) {
		sa = NULL;
		lenp = chance(t, 2) ? NULL : lenp;
	}
	t->cur.a = PICK(t, flags);
	t->cur.b = len;
	fd = chance(t, 4) ? accept(t->cur.fd, sa, lenp) :
			    accept4(t->cur.fd, sa, lenp, t->cur.a);
	if (fd >= 0)
		put_fd(t, fd);
	return fd;
}

/* send() and recv() must not answer more bytes than they were asked for. */
static long check_len(struct fuzz_thread *t, long ret, size_t len)
{
	if (ret > 0 && (size_t)ret > len)
		bug(t, "answered more bytes than asked", ret);
	return ret;
}

/*
 * The same for a receive call, but a datagram socket (socket() of a random
 * type makes UDP ones under -f tcp and tcp6) answers MSG_TRUNC with the
 * datagram's whole length, as recv(2) says.
 */
static long check_recv_len(struct fuzz_thread *t, long ret, size_t len,
			   int flags)
{
	socklen_t tlen = sizeof(int);
	int type;

	if (ret > 0 && (size_t)ret > len && (flags & MSG_TRUNC) &&
	    !getsockopt(t->cur.fd, SOL_SOCKET, SO_TYPE, &type, &tlen) &&
	    type != SOCK_STREAM)
		return ret;
	return check_len(t, ret, len);
}

enum { BUF_RECV, BUF_SEND, BUF_RECVFROM, BUF_SENDTO };

/* send(), recv(), sendto() (MSG_FASTOPEN: a connect) or recvfrom(). */
static long buf_op(struct fuzz_thread *t, int kind)
{
	static const socklen_t lens[] = { 0, 2, 16, 28, 128, (socklen_t)-1 };
	struct sockaddr *sa = NULL;
	struct sockaddr_storage ss;
	socklen_t alen = 0;
	size_t len;
	char *buf = pick_buf(t, &len);
	long ret;

	if (kind == BUF_SENDTO && !chance(t, 3))
		alen = pick_addr(t, t->cur.fd, &ss);
	if (kind == BUF_RECVFROM && !chance(t, 4))
		alen = PICK(t, lens);
	if (alen)
		sa = (struct sockaddr *)&ss;
	t->cur.a = len;
	t->cur.b = pick_flags(t);
	t->cur.c = alen;
	switch (kind) {
	case BUF_RECV:
		ret = recv(t->cur.fd, buf, len, t->cur.b);
		break;
	case BUF_SEND:
		ret = send(t->cur.fd, buf, len, t->cur.b);
		break;
	case BUF_RECVFROM:
		ret = recvfrom(t->cur.fd, buf, len, t->cur.b, sa, sa ? &alen : NULL);
		break;
	default:
		ret = sendto(t->cur.fd, buf, len, t->cur.b, sa, alen);
	}
	if (kind == BUF_RECV || kind == BUF_RECVFROM)
		return check_recv_len(t, ret, len, t->cur.b);
	return check_len(t, ret, len);
}

static long op_send(struct fuzz_thread *t)
{
	return buf_op(t, BUF_SEND);
}

static long op_sendto(struct fuzz_thread *t)
{
	return buf_op(t, BUF_SENDTO);
}

/* Control messages: none, random bytes, or well formed ones. */
static void pick_control(struct fuzz_thread *t, struct msghdr *msg, char *cbuf,
			 size_t size)
{
	static const int cmsg_levels[] = {
		SOL_SOCKET, SOL_SOCKET, SOL_IP, SOL_IP, SOL_IPV6,
	};
	struct cmsghdr *cm = (struct cmsghdr *)cbuf;
	size_t i;

	msg->msg_control = cbuf;
	msg->msg_controllen = below(t, size + 1);
	switch (below(t, 6)) {
	case 0:
		for (i = 0; i < size; i++)
			cbuf[i] = rnd(t);
		break;
	case 1:
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = PICK(t, cmsg_levels);
		cm->cmsg_type = below(t, OPT_NAMES);
		*(int *)CMSG_DATA(cm) = chance(t, 2) ? 1 : (int)rnd(t);
		msg->msg_controllen = CMSG_SPACE(sizeof(int));
		break;
	case 2:
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		*(int *)CMSG_DATA(cm) = t->epfd;
		msg->msg_controllen = CMSG_SPACE(sizeof(int));
		break;
	default:
		msg->msg_control = chance(t, 2) ? NULL : t->buf + BUF_SIZE;
		msg->msg_controllen = chance(t, 2) ? 0 : size;
	}
}

/* Up to 4 iovecs, or too many; *len is the sum of those given. */
static void pick_iov(struct fuzz_thread *t, struct msghdr *msg,
		     struct iovec *iov, size_t *len)
{
	size_t i, n = below(t, 5);

	*len = 0;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = pick_buf(t, &iov[i].iov_len);
		if (i && iov[i].iov_len > BUF_SIZE)
			iov[i].iov_len = below(t, BUF_SIZE);
		*len += iov[i].iov_len;
	}
	msg->msg_iov = iov;
	msg->msg_iovlen = chance(t, 50) ? UIO_MAXIOV + 1 : n;
	if (msg->msg_iovlen > n)
		*len = SIZE_MAX;
}

static void pick_msg(struct fuzz_thread *t, struct msghdr *msg,
		     struct sockaddr_storage *ss, struct iovec *iov,
		     char *cbuf, size_t csize, size_t *len)
{
	memset(msg, 0, sizeof(*msg));
	if (chance(t, 3)) {
		msg->msg_name = ss;
		msg->msg_namelen = pick_addr(t, t->cur.fd, ss);
	}
	pick_iov(t, msg, iov, len);
	if (chance(t, 3))
		pick_control(t, msg, cbuf, csize);
}

/* sendmsg() or recvmsg(), one time in 8 their two-message forms. */
static long msg_op(struct fuzz_thread *t, int send_it)
{
	struct timespec ts = { .tv_nsec = 5000000 };
	struct mmsghdr mm[2] = { 0 };
	struct msghdr *msg = &mm[0].msg_hdr;
	struct sockaddr_storage ss;
	struct iovec iov[4];
	char cbuf[128];
	size_t len;

	pick_msg(t, msg, &ss, iov, cbuf, sizeof(cbuf), &len);
	t->cur.a = len;
	t->cur.b = pick_flags(t);
	if (chance(t, 8)) {
		mm[1].msg_hdr = *msg;
		t->cur.c = 2;
		if (send_it)
			return sendmmsg(t->cur.fd, mm, 2, t->cur.b);
		return recvmmsg(t->cur.fd, mm, 2, t->cur.b, chance(t, 2) ? &ts : NULL);
	}
	if (send_it)
		return check_len(t, sendmsg(t->cur.fd, msg, t->cur.b), len);
	return check_recv_len(t, recvmsg(t->cur.fd, msg, t->cur.b), len,
			      t->cur.b);
}

static long op_sendmsg(struct fuzz_thread *t)
{
	return msg_op(t, 1);
}

static long op_recv(struct fuzz_thread *t)
{
	return buf_op(t, BUF_RECV);
}

static long op_recvfrom(struct fuzz_thread *t)
{
	return buf_op(t, BUF_RECVFROM);
}

static long op_recvmsg(struct fuzz_thread *t)
{
	return msg_op(t, 0);
}

/* read(), write(), readv(), writev(): the file side of a socket. */
static long op_rw(struct fuzz_thread *t)
{
	struct msghdr msg;
	struct iovec iov[4];
	size_t len;
	char *buf;

	t->cur.a = below(t, 4);
	if (t->cur.a < 2) {
		buf = pick_buf(t, &len);
		t->cur.b = len;
		if (t->cur.a)
			return check_len(t, write(t->cur.fd, buf, len), len);
		return check_len(t, read(t->cur.fd, buf, len), len);
	}
	pick_iov(t, &msg, iov, &len);
	t->cur.b = len;
	if (t->cur.a == 3)
		return check_len(t, writev(t->cur.fd, iov, msg.msg_iovlen), len);
	return check_len(t, readv(t->cur.fd, iov, msg.msg_iovlen), len);
}

static long op_sendfile(struct fuzz_thread *t)
{
	off_t off = chance(t, 4) ? FILE_SIZE + 1 : (off_t)below(t, FILE_SIZE);
	size_t len = pick_len(t);
	long ret;
	int err;

	t->cur.a = len;
	t->cur.b = off;
	if (chance(t, 2))
		return check_len(t, sendfile(t->cur.fd, fz.infd,
					     chance(t, 4) ? NULL : &off, len), len);
	/* a socket as the input: its splice_read */
	t->cur.c = 1;
	ret = check_len(t, sendfile(t->outfd, t->cur.fd, NULL, len), len);
	err = errno;
	if (lseek(t->outfd, 0, SEEK_CUR) > OUT_MAX) {
		ftruncate(t->outfd, 0);
		lseek(t->outfd, 0, SEEK_SET);
	}
	errno = err;
	return ret;
}

/* Empty the splice pipe (non-blocking), keeping errno. */
static void drain_pipe(struct fuzz_thread *t)
{
	int err = errno;

	while (read(t->pipe[0], t->buf, BUF_SIZE) > 0)
		;
	errno = err;
}

static long op_splice(struct fuzz_thread *t)
{
	size_t len = pick_len(t);
	long ret;

	t->cur.a = len;
	t->cur.b = chance(t, 4) ? (int)rnd(t) : (int)below(t, 16);
	t->cur.c = chance(t, 2);
	if (t->cur.c) {
		/* pipe to socket: the socket's splice_write */
		write(t->pipe[1], t->buf, below(t, 65536));
		ret = splice(t->pipe[0], NULL, t->cur.fd, NULL, len, t->cur.b);
	} else {
		ret = splice(t->cur.fd, NULL, t->pipe[1], NULL, len, t->cur.b);
	}
	drain_pipe(t);
	return check_len(t, ret, len);
}

static long op_shutdown(struct fuzz_thread *t)
{
	static const int hows[] = {
		SHUT_RD, SHUT_WR, SHUT_RDWR, SHUT_RD, SHUT_WR, SHUT_RDWR, -1, 3,
	};

	t->cur.a = chance(t, 8) ? (int)rnd(t) : PICK(t, hows);
	return shutdown(t->cur.fd, t->cur.a);
}

/* Take an fd out of the table and close it. */
static long op_close(struct fuzz_thread *t)
{
	int idx = below(t, fz.nslots);
	int fd = __atomic_exchange_n(&slots[idx], -1, __ATOMIC_SEQ_CST);

	t->cur.fd = fd;
	t->cur.a = idx;
	return close(fd);
}

static long op_dup(struct fuzz_thread *t)
{
	int fd, other = pick_fd(t);

	t->cur.a = below(t, 4);
	t->cur.b = other;
	switch (t->cur.a) {
	case 0:
		fd = dup(t->cur.fd);
		break;
	case 1:
		fd = fcntl(t->cur.fd, F_DUPFD_CLOEXEC, 0);
		break;
	case 2:
		/* onto a socket of the table: it is replaced, not lost */
		return other < 0 ? dup2(t->cur.fd, t->cur.fd) :
				   dup2(t->cur.fd, other);
	default:
		return dup3(t->cur.fd, chance(t, 2) ? t->cur.fd : other,
			    chance(t, 2) ? O_CLOEXEC : (int)below(t, 1 << 20));
	}
	if (fd >= 0)
		put_fd(t, fd);
	return fd;
}

static long op_poll(struct fuzz_thread *t)
{
	struct pollfd pfd[4];
	int i, n = 1 + below(t, 4);
	long ret;

	for (i = 0; i < n; i++) {
		pfd[i].fd = i ? pick_fd(t) : t->cur.fd;
		pfd[i].events = chance(t, 2) ? POLLIN | POLLOUT | POLLRDHUP : rnd(t);
	}
	t->cur.a = n;
	ret = poll(pfd, n, chance(t, 2) ? 0 : 5);
	if (ret > n)
		bug(t, "poll answered more fds than given", ret);
	return ret;
}

static long op_epoll(struct fuzz_thread *t)
{
	struct epoll_event ev[8] = { 0 };
	long ret;

	t->cur.a = below(t, 4);
	if (t->cur.a < 3) {
		ev[0].events = chance(t, 2) ? EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET :
					      (__u32)rnd(t);
		t->cur.b = ev[0].events;
		return epoll_ctl(t->epfd, t->cur.a + 1, t->cur.fd, ev);
	}
	ret = epoll_wait(t->epfd, ev, 8, chance(t, 2) ? 0 : 5);
	if (ret > 8)
		bug(t, "epoll_wait answered more events than room", ret);
	return ret;
}

/* A level: the five named, the module's protocol number, or any. */
static int pick_level(struct fuzz_thread *t)
{
	switch (below(t, 16)) {
	case 0: case 1: case 2:
		return SOL_SOCKET;
	case 3: case 4: case 5:
		return SOL_IP;
	case 6: case 7: case 8:
		return fz.tcpx_level;
	case 9: case 10: case 11:
		return IPPROTO_TCP;
	case 12: case 13: case 14:
		return SOL_IPV6;
	default:
		return chance(t, 2) ? fz.tcpx_proto : (int)rnd(t);
	}
}

/*
 * A SOL_IPV6 option value in @buf (@size bytes, at least SMALL_SIZE): an
 * int of IPv6's edges (hop limits, traffic classes, MTUs, PMTU discovery
 * modes, IPV6_ADDRFORM's families), or a struct its options take
 * (ipv6_mreq, group_req, in6_pktinfo, in6_flowlabel_req, a hop-by-hop
 * header).  Returns the struct's size, to pass as the length.
 */
static socklen_t fill_value6(struct fuzz_thread *t, char *buf, size_t size)
{
	static const int ints[] = {
		-1, 0, 1, 2, 3, 5, 6, 255, 256, 1279, 1280, 1500, 65535, 65536,
		AF_INET, AF_INET6, INT_MIN, INT_MAX,
	};
	struct in6_addr mc = { .s6_addr = { 0xff, 0x02, [15] = 1 } };
	struct ipv6_mreq mr = { .ipv6mr_multiaddr = mc, .ipv6mr_interface = 1 };
	struct in6_pktinfo pi = { .ipi6_addr = in6addr_loopback, .ipi6_ifindex = 1 };
	struct in6_flowlabel_req fl = {
		.flr_dst = in6addr_loopback,
		.flr_action = IPV6_FL_A_GET,
		.flr_share = IPV6_FL_S_EXCL,
		.flr_flags = IPV6_FL_F_CREATE,
		.flr_linger = 1,
	};
	struct group_req gr = { .gr_interface = 1 };
	struct sockaddr_in6 *grp = (struct sockaddr_in6 *)&gr.gr_group;
	/* next header 0, length 0 (8 bytes), a PadN of 4 */
	static const char hbh[8] = { 0, 0, 1, 4 };
	const void *src;
	socklen_t n;
	int v;

	switch (below(t, 6)) {
	case 0:
		src = &mr;
		n = sizeof(mr);
		break;
	case 1:
		grp->sin6_family = AF_INET6;
		grp->sin6_addr = mc;
		src = &gr;
		n = sizeof(gr);
		break;
	case 2:
		src = &pi;
		n = sizeof(pi);
		break;
	case 3:
		fl.flr_label = chance(t, 2) ? 0 : htonl(below(t, 1 << 20));
		fl.flr_action = below(t, 4);
		src = &fl;
		n = sizeof(fl);
		break;
	case 4:
		src = hbh;
		n = sizeof(hbh);
		break;
	default:
		v = PICK(t, ints);
		memcpy(buf, &v, sizeof(v));
		return sizeof(v);
	}
	memcpy(buf, src, n < size ? n : size);
	return n;
}

/*
 * An option value in @buf (BUF_SIZE bytes): an int of the edges, random
 * bytes, or a struct options take (linger, timeval, ip_mreqn, IP options).
 */
static void fill_value(struct fuzz_thread *t, char *buf, size_t size)
{
	static const int ints[] = { 0, 1, -1, INT_MAX, INT_MIN, 2, 16, 65536 };
	struct ip_mreqn mr = {
		.imr_multiaddr.s_addr = htonl(0xe0010203),
		.imr_ifindex = 1,
	};
	struct timeval tv = { .tv_usec = IO_TIMEO_US };
	struct linger lg = { 1, 0 };
	/* record route, then a NOP: the option space shrinks by 12 */
	static const char ipopt[12] = { 7, 11, 4 };
	int v;

	switch (below(t, 8)) {
	case 0:
		lg.l_linger = below(t, 3);
		memcpy(buf, &lg, sizeof(lg));
		return;
	case 1:
		memcpy(buf, &tv, sizeof(tv));
		return;
	case 2:
		memcpy(buf, &mr, sizeof(mr));
		return;
	case 3:
		memcpy(buf, ipopt, sizeof(ipopt));
		return;
	case 4:
		for (v = 0; v < 64 && (size_t)v < size; v++)
			buf[v] = rnd(t);
		return;
	default:
		v = chance(t, 4) ? (int)rnd(t) : PICK(t, ints);
		memcpy(buf, &v, sizeof(v));
	}
}

/*
 * An option's buffer and length: the big buffer, the small one, NULL, a
 * fault.  At SOL_IPV6, half the values are IPv6's, given a third of the time
 * at their own size.
 */
static char *pick_optval(struct fuzz_thread *t, int level, socklen_t *len)
{
	static const socklen_t lens[] = {
		0, 1, 2, 4, 4, 4, 8, 12, 16, 40, 64, 256, 4096, 65536,
		BUF_SIZE + 1, (socklen_t)-1, (socklen_t)INT_MIN,
	};
	socklen_t size;
	char *buf;

	*len = PICK(t, lens);
	switch (below(t, 12)) {
	case 0:
		buf = t->buf + BUF_SIZE - SMALL_SIZE;
		break;
	case 1:
		return NULL;
	case 2:
		return t->buf + BUF_SIZE;
	default:
		buf = t->buf;
	}
	if (level == SOL_IPV6 && chance(t, 2)) {
		size = fill_value6(t, buf, buf == t->buf ? BUF_SIZE : SMALL_SIZE);
		if (chance(t, 3))
			*len = size;
		return buf;
	}
	fill_value(t, buf, buf == t->buf ? BUF_SIZE : SMALL_SIZE);
	return buf;
}

static long op_setsockopt(struct fuzz_thread *t)
{
	int level = pick_level(t);
	socklen_t len;
	char *val = pick_optval(t, level, &len);

	t->cur.a = level;
	t->cur.b = chance(t, 40) ? (int)rnd(t) : (int)below(t, OPT_NAMES);
	t->cur.c = len;
	return setsockopt(t->cur.fd, t->cur.a, t->cur.b, val, len);
}

static long op_getsockopt(struct fuzz_thread *t)
{
	int level = pick_level(t);
	socklen_t len, given, *lenp = &len;
	char *val = pick_optval(t, level, &len);
	long ret;

	given = len;
	if (chance(t, 20))
		lenp = chance(t, 2) ? NULL : (socklen_t *)(t->buf + BUF_SIZE);
	t->cur.a = level;
	t->cur.b = chance(t, 40) ? (int)rnd(t) : (int)below(t, OPT_NAMES);
	t->cur.c = len;
	ret = getsockopt(t->cur.fd, t->cur.a, t->cur.b, val, lenp);
	if (!ret && lenp == &len && (int)given >= 0 && len > given)
		bug(t, "getsockopt answered a length above the one given", len);
	return ret;
}

/*
 * ioctls: the queue ones of tcp_ioctl() and the socket layer's, or a random
 * command outside the 0x89 (device and routing) and 0x8b (wireless) ranges,
 * which as root would reconfigure the namespace under the fuzzer.
 */
static long op_ioctl(struct fuzz_thread *t)
{
	static const unsigned long cmds[] = {
		SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, SIOCATMARK, FIONBIO, FIOASYNC,
		SIOCGSTAMP_OLD, SIOCGSTAMPNS_OLD, FIOGETOWN, SIOCGPGRP,
		FIOSETOWN, SIOCSPGRP, SIOCPROTOPRIVATE, SIOCPROTOPRIVATE + 15,
	};
	unsigned long cmd;
	int *arg = (int *)t->buf;
	long ret;

	cmd = chance(t, 5) ? (__u32)rnd(t) : PICK(t, cmds);
	if (((cmd >> 8) & 0xff) == 0x89 || ((cmd >> 8) & 0xff) == 0x8b) {
		if (cmd != FIOSETOWN && cmd != SIOCSPGRP &&
		    (cmd < SIOCPROTOPRIVATE || cmd > SIOCPROTOPRIVATE + 15) &&
		    cmd != SIOCINQ && cmd != SIOCOUTQ && cmd != SIOCOUTQNSD &&
		    cmd != SIOCATMARK && cmd != FIOGETOWN && cmd != SIOCGPGRP &&
		    cmd != SIOCGSTAMP_OLD && cmd != SIOCGSTAMPNS_OLD)
			cmd = SIOCINQ;
	}
	*arg = chance(t, 2) ? (int)below(t, 2) : (int)rnd(t);
	/* SIGIO and SIGURG go to us, who ignore them */
	if (cmd == FIOSETOWN || cmd == SIOCSPGRP)
		*arg = getpid();
	if (chance(t, 10))
		arg = chance(t, 2) ? NULL : (int *)(t->buf + BUF_SIZE);
	t->cur.a = cmd;
	ret = ioctl(t->cur.fd, cmd, arg);
	if (!ret && arg == (int *)t->buf && *arg < 0 &&
	    (cmd == SIOCINQ || cmd == SIOCOUTQ || cmd == SIOCOUTQNSD))
		bug(t, "a queue ioctl answered a negative size", *arg);
	return ret;
}

static long op_getname(struct fuzz_thread *t)
{
	static const socklen_t lens[] = { 0, 2, 16, 24, 28, 128, (socklen_t)-1 };
	struct sockaddr_storage ss;
	socklen_t len = PICK(t, lens);

	t->cur.a = below(t, 2);
	t->cur.b = len;
	if (t->cur.a)
		return getpeername(t->cur.fd, (struct sockaddr *)&ss, &len);
	return getsockname(t->cur.fd, (struct sockaddr *)&ss, &len);
}

/* File status flags, O_ASYNC included (the fasync list must go at close). */
static long op_fcntl(struct fuzz_thread *t)
{
	static const int fl[] = { O_NONBLOCK, O_ASYNC, O_APPEND, O_DIRECT };
	int cur = fcntl(t->cur.fd, F_GETFL);

	if (cur < 0)
		return cur;
	t->cur.a = cur ^ PICK(t, fl);
	return fcntl(t->cur.fd, F_SETFL, t->cur.a);
}

/* "/proc/net/tcpx6" (@v6) or "/proc/net/tcpx"; tcp6, tcp for TCP. */
static void proc_path(char *path, size_t size, int v6)
{
	snprintf(path, size, "/proc/net/%s%s", fz.proc, v6 ? "6" : "");
}

/*
 * /proc/net/tcpx6 (three times in four) or /proc/net/tcpx, read in chunks
 * of random sizes, from the start or an offset, while the other threads
 * change what it lists: no read may answer more than it was asked, and the
 * file begins with its header.  Mostly the thread's own open file, from
 * setup_thread(): its number never comes back as a socket of the table,
 * which another thread's dup2() onto a stale number could put in place of
 * a file opened now (so such a file's header is not checked).  Answers the
 * bytes read.
 */
static long op_proc(struct fuzz_thread *t)
{
	static const size_t sizes[] = {
		1, 7, 64, 149, 150, 151, 1000, 4096, 4096, 65536,
	};
	int fd, err, i, n = 1 + below(t, 64), fresh = chance(t, 4);
	long ret = 0, total = 0;
	char path[32];
	size_t len;
	off_t off;

	t->cur.a = !chance(t, 4);
	fd = t->procfd[t->cur.a];
	if (fresh) {
		proc_path(path, sizeof(path), t->cur.a);
		fd = open(path, O_RDONLY);
	}
	t->cur.fd = fd;
	if (fd < 0) {
		errno = ENOENT;
		return -1;
	}
	off = lseek(fd, chance(t, 4) ? below(t, 8192) : 0, SEEK_SET);
	t->cur.c = off;
	for (i = 0; i < n; i++) {
		len = PICK(t, sizes);
		ret = check_len(t, read(fd, t->buf, len), len);
		if (ret <= 0)
			break;
		if (!fresh && !off && !total && ret >= 4 &&
		    memcmp(t->buf, "  sl", 4))
			bug(t, "a /proc file began with no header, bytes", ret);
		total += ret;
	}
	if (fresh) {
		err = errno;
		close(fd);
		errno = err;
	}
	t->cur.b = total;
	return ret < 0 ? ret : total;
}

static long run_op(struct fuzz_thread *t, int op);

/*
 * A child that makes a few calls on its copy of the table and exits;
 * alarm() ends it if one blocks.  Its parent waits, SIGKILL after
 * CHILD_KILL_NS; a child that cannot be reaped is a HANG of this call.
 */
static long op_fork(struct fuzz_thread *t)
{
	__s64 start = now_ns();
	int i, n, status;
	pid_t pid;
	long ret;

	pid = fork();
	if (pid < 0)
		return pid;
	if (!pid) {
		t->in_child = 1;
		alarm(CHILD_ALARM);
		n = 1 + below(t, CHILD_CALLS);
		for (i = 0; i < n; i++)
			run_op(t, below(t, OP_MAX));
		_exit(0);
	}
	t->cur.a = pid;
	/* what the child does is its own stream: skip it in ours */
	t->rng += 0x9e3779b97f4a7c15ULL * 64;
	for (;;) {
		ret = waitpid(pid, &status, 0);
		if (ret == pid)
			break;
		if (now_ns() - start > CHILD_KILL_NS)
			kill(pid, SIGKILL);
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGALRM &&
	    WTERMSIG(status) != SIGKILL)
		bug(t, "child killed by signal", WTERMSIG(status));
	return 0;
}

static long (*const op_fns[OP_MAX])(struct fuzz_thread *t) = {
	[OP_SOCKET] = op_socket, [OP_BIND] = op_bind, [OP_LISTEN] = op_listen,
	[OP_CONNECT] = op_connect, [OP_ACCEPT] = op_accept,
	[OP_SEND] = op_send, [OP_SENDTO] = op_sendto,
	[OP_SENDMSG] = op_sendmsg, [OP_RECV] = op_recv,
	[OP_RECVFROM] = op_recvfrom, [OP_RECVMSG] = op_recvmsg,
	[OP_RW] = op_rw, [OP_SENDFILE] = op_sendfile,
	[OP_SPLICE] = op_splice, [OP_SHUTDOWN] = op_shutdown,
	[OP_CLOSE] = op_close, [OP_DUP] = op_dup, [OP_FORK] = op_fork,
	[OP_POLL] = op_poll, [OP_EPOLL] = op_epoll,
	[OP_SETSOCKOPT] = op_setsockopt, [OP_GETSOCKOPT] = op_getsockopt,
	[OP_IOCTL] = op_ioctl, [OP_GETNAME] = op_getname,
	[OP_FCNTL] = op_fcntl, [OP_PROC] = op_proc,
};

/* One call, timed for the watchdog and counted in the histogram. */
static long run_op(struct fuzz_thread *t, int op)
{
	__s64 start;
	long ret;
	int err;

	if (op == OP_FORK && t->in_child)
		op = OP_SEND;
	memset(&t->cur, 0, sizeof(t->cur));
	t->cur.op = op;
	t->cur.fd = pick_fd(t);
	start = now_ns();
	__atomic_store_n(&t->start_ns, start, __ATOMIC_SEQ_CST);
	errno = 0;
	ret = op_fns[op](t);
	err = ret < 0 ? errno : 0;
	__atomic_store_n(&t->start_ns, 0, __ATOMIC_SEQ_CST);
	t->op_ns[op] += now_ns() - start;
	t->cur.ret = ret;
	t->cur.err = err;
	if (err >= ERR_SLOTS || (err && !strerrorname_np(err))) {
		bug(t, "answered an errno that is none", err);
		err = ERR_SLOTS - 1;
	}
	t->hist[op][err]++;
	t->ring[t->done % RING] = t->cur;
	t->done++;
	return ret;
}

static int pick_op(struct fuzz_thread *t)
{
	int i, r = below(t, fz.weight_sum);

	for (i = 0; r >= op_weights[i]; i++)
		r -= op_weights[i];
	return i;
}

static void *fuzz_thread(void *arg)
{
	struct fuzz_thread *t = arg;

	t->ktid = syscall(SYS_gettid);
	while (t->done < t->calls)
		run_op(t, pick_op(t));
	__atomic_sub_fetch(&fz.running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* ---- the watchdog ---- */

static void show_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
}

static void hang(struct fuzz_thread *t, __s64 ns)
{
	char path[64];

	t->in_child = 0;
	bug(t, "HANG: blocked seconds", ns / NSEC_PER_SEC);
	printf("HANG thread %d call %lu (%s) blocked %lld s; seed %llu\n",
	       t->idx, t->done, op_names[t->cur.op],
	       (long long)(ns / NSEC_PER_SEC), fz.seed);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", t->ktid);
	show_file(path);
	fflush(stdout);
	_exit(2);
}

/* Kick every call older than KICK_MS; one older than -H is a HANG. */
static void watchdog(void)
{
	struct timespec tick = { .tv_nsec = 50000000 };
	__s64 now, start;
	int i;

	while (__atomic_load_n(&fz.running, __ATOMIC_SEQ_CST)) {
		nanosleep(&tick, NULL);
		now = now_ns();
		for (i = 0; i < fz.nthreads; i++) {
			struct fuzz_thread *t = &threads[i];

			start = __atomic_load_n(&t->start_ns, __ATOMIC_SEQ_CST);
			if (!start || now - start < KICK_MS * 1000000LL)
				continue;
			if (now - start > fz.hang_s * NSEC_PER_SEC)
				hang(t, now - start);
			if (now - t->kicked_ns >= KICK_MS * 1000000LL) {
				t->kicked_ns = now;
				pthread_kill(t->tid, SIGUSR1);
			}
		}
	}
}

/* ---- setup and report ---- */

static void on_kick(int sig)
{
	(void)sig;
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_kick };	/* no SA_RESTART */
	struct sigaction ign = { .sa_handler = SIG_IGN };

	return sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGPIPE, &ign, NULL) ||
	       sigaction(SIGIO, &ign, NULL) || sigaction(SIGURG, &ign, NULL);
}

static int setup_thread(struct fuzz_thread *t, int idx)
{
	char path[32];
	int i;

	t->idx = idx;
	t->rng = fz.seed + idx * 0x632be59bd9b4e019ULL;
	t->calls = fz.calls / fz.nthreads + (idx < (int)(fz.calls % fz.nthreads));
	for (i = 0; i < RING; i++)
		t->ring[i].op = -1;
	t->buf = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->buf == MAP_FAILED ||
	    mprotect(t->buf + BUF_SIZE, 4096, PROT_NONE))
		return tcpx_fail("mmap");
	for (i = 0; i < BUF_SIZE; i++)
		t->buf[i] = i;
	t->epfd = epoll_create1(0);
	t->outfd = memfd_create("fuzz_sys_out", 0);
	for (i = 0; i < 2; i++) {
		proc_path(path, sizeof(path), i);
		t->procfd[i] = open(path, O_RDONLY);
	}
	if (t->epfd < 0 || t->outfd < 0 || pipe2(t->pipe, O_NONBLOCK))
		return tcpx_fail("setup");
	return 0;
}

/* The fds every thread shares or owns: opened before any socket, never closed. */
static int setup(void)
{
	static char data[FILE_SIZE];
	int i, fd;

	fd = socket(fz.family, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpx_fail("socket");
	close(fd);
	fz.infd = memfd_create("fuzz_sys_in", 0);
	memset(data, 'x', sizeof(data));
	if (fz.infd < 0 || write(fz.infd, data, sizeof(data)) != sizeof(data))
		return tcpx_fail("memfd");
	if (setup_signals())
		return tcpx_fail("sigaction");
	for (i = 0; i < MAX_SLOTS; i++)
		slots[i] = -1;
	for (i = 0; i < OP_MAX; i++)
		fz.weight_sum += op_weights[i];
	for (i = 0; i < fz.nthreads; i++)
		if (setup_thread(&threads[i], i))
			return 1;
	return 0;
}

static void report(double secs)
{
	unsigned long total = 0, sum;
	int i, op, e;
	__s64 ns;

	for (i = 0; i < fz.nthreads; i++)
		total += threads[i].done;
	printf("calls %lu in %.1f s: %.0f calls/s\n", total, secs, total / secs);
	if (!fz.verbose)
		return;
	for (op = 0; op < OP_MAX; op++) {
		ns = 0;
		for (i = 0; i < fz.nthreads; i++)
			ns += threads[i].op_ns[op];
		printf("time %s %lld ms\n", op_names[op], (long long)(ns / 1000000));
		for (e = 0; e < ERR_SLOTS; e++) {
			sum = 0;
			for (i = 0; i < fz.nthreads; i++)
				sum += threads[i].hist[op][e];
			if (sum)
				printf("hist %s %s %lu\n", op_names[op],
				       e ? strerrorname_np(e) ?: "?" : "ok", sum);
		}
	}
}

static int print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-f tcpx|tcp|tcp6|N] [-s SEED] [-n CALLS] [-t THREADS] [-S SLOTS] [-H SECONDS] [-v]\n",
		prog);
	return 1;
}

static int parse_args(int argc, char **argv)
{
	long v;
	int opt;

	while ((opt = getopt(argc, argv, "f:s:n:t:S:H:v")) != -1) {
		switch (opt) {
		case 'f':
			fz.family2 = 0;
			if (!strcmp(optarg, "tcp6")) {
				fz.family = AF_INET6;
				fz.family2 = AF_INET;
				break;
			}
			fz.family = tcpx_family_of(optarg);
			if (fz.family < 0)
				return -1;
			break;
		case 's':
			errno = 0;
			fz.seed = strtoull(optarg, NULL, 0);
			if (errno)
				return -1;
			break;
		case 'n':
			if (tcpx_parse_size(optarg) < 0)
				return -1;
			fz.calls = tcpx_parse_size(optarg);
			break;
		case 't':
			if (tcpx_parse_int(optarg, 1, MAX_THREADS, &v))
				return -1;
			fz.nthreads = v;
			break;
		case 'S':
			if (tcpx_parse_int(optarg, 1, MAX_SLOTS, &v))
				return -1;
			fz.nslots = v;
			break;
		case 'H':
			if (tcpx_parse_int(optarg, 1, 3600, &v))
				return -1;
			fz.hang_s = v;
			break;
		case 'v':
			fz.verbose = 1;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	__s64 start;
	int i;

	fz.family = tcpx_sys_family();
	fz.tcpx_level = SOL_TCPX;
	fz.tcpx_proto = tcpx_sys_ipproto();
	fz.seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	fz.calls = 100000;
	fz.nthreads = 4;
	fz.nslots = 8;
	fz.hang_s = 30;
	if (parse_args(argc, argv))
		return print_usage(argv[0]);
	fz.proc = fz.family == AF_INET || fz.family == AF_INET6 ? "tcp" : "tcpx";
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %llu family %d calls %lu threads %d slots %d\n", fz.seed,
	       fz.family, fz.calls, fz.nthreads, fz.nslots);
	if (setup())
		return 1;
	fz.running = fz.nthreads;
	start = now_ns();
	for (i = 0; i < fz.nthreads; i++)
		if (pthread_create(&threads[i].tid, NULL, fuzz_thread, &threads[i]))
			return tcpx_fail("pthread_create");
	watchdog();
	for (i = 0; i < fz.nthreads; i++)
		pthread_join(threads[i].tid, NULL);
	for (i = 0; i < fz.nslots; i++)
		if (slots[i] >= 0)
			close(slots[i]);
	report((now_ns() - start) / 1e9);
	if (fz.bugs)
		printf("%d BUG answers; seed %llu\n", fz.bugs, fz.seed);
	return fz.bugs ? 3 : 0;
}
