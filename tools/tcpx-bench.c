// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx-bench: throughput, latency and memory of a stream socket family,
 * the same code for AF_TCPX and AF_INET/TCP, so the two compare like for like.
 *
 *   tcpx-bench --family tcpx|tcp|N server [--port P] [--bind ADDR]
 *                                         [--max-seconds S]
 *   tcpx-bench --family F stream --host ADDR [--port P] [--seconds S]
 *                                [--size BYTES] [--direction send|recv]
 *   tcpx-bench --family F rr     --host ADDR [--port P] [--seconds S]
 *   tcpx-bench --family F crr    --host ADDR [--port P] [--seconds S]
 *   tcpx-bench --family F idle   --host ADDR[,ADDR...] [--port P] --count N
 *                                [--wait] [--max-seconds S]
 *
 * Wire protocol: the client's first byte names what it wants.
 *   'R', 'C', 'I'  (rr, crr, idle)  echo: the server answers every byte with
 *                  one byte, and closes when the client does.
 *   'S'            sink: the server reads until EOF, then answers with the
 *                  number of bytes it read after 'S' (8 bytes, big endian),
 *                  so the client's figure is the goodput the peer received.
 *   'D' + be32     source: the server writes chunks of that size until the
 *                  client closes.
 *
 * The server is one epoll loop over non-blocking sockets, so it holds
 * thousands of idle connections with no thread or process per connection.
 * It and the idle client watch stdin when it is a pipe, socket or terminal
 * and stop when it closes; --max-seconds bounds them either way.
 *
 * Output: one line of key=value pairs per result (starting "mode="), then a
 * line for humans.  Exit status: 0 ok, 1 error, 2 usage, 4 the family is not
 * available (socket() gives EAFNOSUPPORT: tcpx not loaded).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

#define BENCH_DEFAULT_PORT	5001
#define BENCH_DEFAULT_SECONDS	5
#define BENCH_DEFAULT_SIZE	(128 * 1024)
#define BENCH_MAX_SIZE		(1024 * 1024)
#define BENCH_MAX_SECONDS	600	/* server and idle, unless told */
#define BENCH_MAX_HOSTS		16	/* idle's --host list */
#define BENCH_GRACE		30	/* watchdog slack over --seconds */
#define BENCH_BACKLOG		4096
#define BENCH_EVENTS		64
#define BENCH_BURST		64	/* reads or writes per wakeup */

#define EXIT_USAGE		2
#define EXIT_NOFAMILY		4

#define NSEC_PER_SEC		1000000000ULL

/* As the kernel spells them (tools/include/linux/compiler.h). */
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define __noreturn		__attribute__((noreturn))
#define BIT(nr)			(1UL << (nr))

enum bench_op {
	BENCH_OP_RR	= 'R',
	BENCH_OP_CRR	= 'C',
	BENCH_OP_IDLE	= 'I',
	BENCH_OP_SINK	= 'S',
	BENCH_OP_SOURCE	= 'D',
};

/* 'D' and the chunk size the server is to write. */
#define BENCH_HDR_SOURCE	5

struct bench_opts {
	const char	*family_name;
	int		family;
	const char	*mode;
	const char	*host;
	const char	*bind;
	int		port;
	int		seconds;
	int		max_seconds;
	size_t		size;
	bool		recv;		/* stream: the server sends */
	int		count;
	bool		wait;		/* idle: wait for a line before connecting */
};

static const char *prog = "tcpx-bench";

/* "tcpx-bench: " and the message on stderr, ": strerror(@err)" unless 0. */
static void __noreturn vdie(int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static void __printf(1, 2) __noreturn
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(0, fmt, ap);
}

static void __printf(1, 2) __noreturn
die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vdie(err, fmt, ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* The watchdog ends a run that stopped making progress, whatever it was in. */
static char watchdog_msg[128];

static void watchdog_fired(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, watchdog_msg, strlen(watchdog_msg)) < 0)
		_exit(EXIT_FAILURE);
	_exit(EXIT_FAILURE);
}

static void watchdog_arm(const char *mode, unsigned int seconds)
{
	struct sigaction sa = { .sa_handler = watchdog_fired };

	snprintf(watchdog_msg, sizeof(watchdog_msg),
		 "%s: %s: not done after %u s (watchdog): the peer stopped answering?\n",
		 prog, mode, seconds);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

/*
 * Latencies go into a log-linear histogram: exact below 64 ns, then 64
 * buckets per power of two, so any percentile is within 1/64 (1.6%) of the
 * true value, in constant memory however long the run.
 */
#define HIST_SUB_BITS	6
#define HIST_SUB	BIT(HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t	count;
	uint64_t	bucket[HIST_BUCKETS];
};

static unsigned int hist_index(uint64_t v)
{
	unsigned int msb;

	if (v < HIST_SUB)
		return v;
	msb = 63 - __builtin_clzll(v);
	return (msb - HIST_SUB_BITS + 1) * HIST_SUB +
	       ((v >> (msb - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The middle of bucket @idx. */
static double hist_value(unsigned int idx)
{
	unsigned int group = idx / HIST_SUB, sub = idx % HIST_SUB;
	uint64_t low, width;

	if (!group)
		return idx;
	low = (uint64_t)(HIST_SUB + sub) << (group - 1);
	width = 1ULL << (group - 1);
	return low + (width - 1) / 2.0;
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
}

/* The value at or below which a fraction @q of the samples lie, in ns. */
static double hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	rank = (uint64_t)(q * h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return hist_value(i);
	}
	return hist_value(HIST_BUCKETS - 1);
}

static int bench_socket(const struct bench_opts *o)
{
	int fd = socket(o->family, SOCK_STREAM, 0);

	if (fd >= 0)
		return fd;
	if (errno == EAFNOSUPPORT) {
		fflush(stdout);
		fprintf(stderr, "%s: family %s (%d) is not available: %s%s\n",
			prog, o->family_name, o->family, strerror(errno),
			o->family == AF_INET ? "" : " (is the tcpx module loaded?)");
		exit(EXIT_NOFAMILY);
	}
	die_errno("socket(%d, SOCK_STREAM, 0)", o->family);
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* tcpx accepts level IPPROTO_TCP as a synonym of SOL_TCPX. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die_errno("setsockopt(TCP_NODELAY)");
}

static void parse_addr(const char *host, int port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (tcpx_parse_ip(host ?: "any", &sin->sin_addr))
		die("bad IPv4 address '%s'", host);
}

/* A connected blocking socket; @done is only for the error message. */
static int bench_connect(const struct bench_opts *o,
			 const struct sockaddr_in *sin, uint64_t done)
{
	int fd = bench_socket(o);

	if (!connect(fd, (const struct sockaddr *)sin, sizeof(*sin)))
		return fd;
	if (errno == EADDRNOTAVAIL)
		die("connect %s:%d: no local port left after %llu (TIME-WAIT): ip_local_port_range",
		    o->host, o->port, (unsigned long long)done);
	die_errno("connect %s:%d", o->host, o->port);
}

/* Send all of @len or die: blocking sockets, so short writes are signals. */
static void send_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("send (%s)", what);
		}
		p += n;
		len -= n;
	}
}

static void recv_all(int fd, void *buf, size_t len, const char *what)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("recv (%s)", what);
		}
		if (!n)
			die("recv (%s): the server closed the connection", what);
		p += n;
		len -= n;
	}
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= want)
		return;
	/* Root may raise the hard limit too, up to fs.nr_open. */
	if (rl.rlim_max < want) {
		struct rlimit hard = { .rlim_cur = want, .rlim_max = want };

		if (!setrlimit(RLIMIT_NOFILE, &hard))
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* stdin controls a run when it can close: a pipe, a socket or a terminal. */
static bool stdin_watched(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st))
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	       isatty(STDIN_FILENO);
}

/* ---------------------------------------------------------------- server */

enum conn_state {
	CONN_HDR,	/* waiting for the first bytes */
	CONN_ECHO,	/* rr, crr, idle */
	CONN_SINK,	/* stream, the client sends */
	CONN_SOURCE,	/* stream, the client receives */
};

enum ev_kind {
	EV_LISTEN,
	EV_STDIN,
	EV_CONN,
};

struct conn {
	enum ev_kind	kind;	/* first: epoll data points at any of these */
	int		fd;
	enum conn_state	state;
	unsigned char	hdr[BENCH_HDR_SOURCE];
	size_t		hdr_len;
	size_t		chunk;		/* source: bytes per send() */
	uint64_t	bytes;		/* sink: bytes after the op byte */
	uint64_t	echo_due;	/* echo: answers not yet sent */
	bool		want_out;
};

struct server {
	int		epfd;
	uint64_t	conns;		/* accepted in all */
	uint64_t	live;
	char		*buf;		/* shared I/O buffer */
};

static void conn_close(struct server *s, struct conn *c)
{
	close(c->fd);		/* also leaves the epoll set */
	free(c);
	s->live--;
}

static void conn_want_out(struct server *s, struct conn *c, bool on)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0),
		.data.ptr = c,
	};

	if (c->want_out == on)
		return;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		die_errno("epoll_ctl(MOD)");
	c->want_out = on;
}

/* Answer what is due; false when the connection is to be closed. */
static bool conn_echo_flush(struct server *s, struct conn *c)
{
	ssize_t n;

	while (c->echo_due) {
		n = send(c->fd, s->buf, c->echo_due < BENCH_MAX_SIZE ?
			 c->echo_due : BENCH_MAX_SIZE,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				conn_want_out(s, c, true);
				return true;
			}
			return false;
		}
		c->echo_due -= n;
	}
	conn_want_out(s, c, false);
	return true;
}

static bool conn_source(struct server *s, struct conn *c)
{
	ssize_t n;
	int i;

	for (i = 0; i < BENCH_BURST; i++) {
		n = send(c->fd, s->buf, c->chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
	}
	return true;
}

/* Sink reached EOF: tell the client how much arrived, then close. */
static void conn_sink_done(struct conn *c)
{
	uint64_t be = htobe64(c->bytes);

	/* The send buffer is empty in this direction: 8 bytes fit. */
	if (send(c->fd, &be, sizeof(be), MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    sizeof(be))
		fprintf(stderr, "%s: server: cannot report the byte count: %s\n",
			prog, strerror(errno));
}

/* The first bytes: choose what this connection is. */
static bool conn_hdr(struct server *s, struct conn *c)
{
	ssize_t n;
	uint32_t chunk;

	n = recv(c->fd, c->hdr + c->hdr_len, sizeof(c->hdr) - c->hdr_len,
		 MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (!n)
		return false;
	c->hdr_len += n;

	switch (c->hdr[0]) {
	case BENCH_OP_RR:
	case BENCH_OP_CRR:
	case BENCH_OP_IDLE:
		c->state = CONN_ECHO;
		c->echo_due = c->hdr_len;
		return conn_echo_flush(s, c);
	case BENCH_OP_SINK:
		c->state = CONN_SINK;
		c->bytes = c->hdr_len - 1;
		return true;
	case BENCH_OP_SOURCE:
		if (c->hdr_len < BENCH_HDR_SOURCE)
			return true;
		memcpy(&chunk, c->hdr + 1, sizeof(chunk));
		chunk = ntohl(chunk);
		if (!chunk || chunk > BENCH_MAX_SIZE)
			return false;
		c->chunk = chunk;
		c->state = CONN_SOURCE;
		conn_want_out(s, c, true);
		return true;
	default:
		return false;
	}
}

/* Readable: false when the connection is to be closed. */
static bool conn_readable(struct server *s, struct conn *c)
{
	ssize_t n;
	int i;

	if (c->state == CONN_HDR)
		return conn_hdr(s, c);

	for (i = 0; i < BENCH_BURST; i++) {
		n = recv(c->fd, s->buf, BENCH_MAX_SIZE, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (!n) {
			if (c->state == CONN_SINK)
				conn_sink_done(c);
			return false;
		}
		switch (c->state) {
		case CONN_ECHO:
			c->echo_due += n;
			if (!conn_echo_flush(s, c))
				return false;
			break;
		case CONN_SINK:
			c->bytes += n;
			break;
		default:
			/* source: the client sends nothing more */
			break;
		}
	}
	return true;
}

static void conn_event(struct server *s, struct conn *c, uint32_t events)
{
	bool ok = true;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		ok = conn_readable(s, c);
	if (ok && (events & EPOLLOUT)) {
		if (c->state == CONN_SOURCE)
			ok = conn_source(s, c);
		else if (c->state == CONN_ECHO)
			ok = conn_echo_flush(s, c);
	}
	if (!ok)
		conn_close(s, c);
}

static void server_accept(struct server *s, int lfd)
{
	struct epoll_event ev;
	struct conn *c;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE)
				die("accept: too many open files (raise ulimit -n)");
			die_errno("accept");
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			die("out of memory");
		c->kind = EV_CONN;
		c->fd = fd;
		c->state = CONN_HDR;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev))
			die_errno("epoll_ctl(ADD)");
		s->conns++;
		s->live++;
	}
}

static int run_server(const struct bench_opts *o)
{
	static enum ev_kind listen_kind = EV_LISTEN, stdin_kind = EV_STDIN;
	struct epoll_event ev, events[BENCH_EVENTS];
	struct server s = { 0 };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	bool watch_stdin;
	uint64_t deadline;
	int lfd, one = 1;
	int n, i, ms;

	raise_nofile(1 << 20);
	s.buf = calloc(1, BENCH_MAX_SIZE);
	if (!s.buf)
		die("out of memory");

	lfd = bench_socket(o);
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die_errno("setsockopt(SO_REUSEADDR)");
	parse_addr(o->bind, o->port, &sin);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)))
		die_errno("bind %s:%d", o->bind ? o->bind : "any", o->port);
	if (listen(lfd, BENCH_BACKLOG))
		die_errno("listen");
	if (getsockname(lfd, (struct sockaddr *)&sin, &len))
		die_errno("getsockname");

	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s.epfd < 0)
		die_errno("epoll_create1");
	/* Non-blocking, so that server_accept() can drain the queue. */
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK))
		die_errno("fcntl(O_NONBLOCK)");
	ev.events = EPOLLIN;
	ev.data.ptr = &listen_kind;
	if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, lfd, &ev))
		die_errno("epoll_ctl(listen)");
	watch_stdin = stdin_watched();
	if (watch_stdin) {
		ev.events = EPOLLIN;
		ev.data.ptr = &stdin_kind;
		if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev))
			die_errno("epoll_ctl(stdin)");
	}

	printf("listening family=%s port=%u max_seconds=%d stdin=%s\n",
	       o->family_name, ntohs(sin.sin_port), o->max_seconds,
	       watch_stdin ? "watched" : "ignored");
	fflush(stdout);

	deadline = now_ns() + (uint64_t)o->max_seconds * NSEC_PER_SEC;
	for (;;) {
		uint64_t now = now_ns();

		if (now >= deadline)
			break;
		ms = (deadline - now) / 1000000 + 1;
		n = epoll_wait(s.epfd, events, BENCH_EVENTS, ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			enum ev_kind *kind = events[i].data.ptr;
			char drain[256];
			ssize_t r;

			switch (*kind) {
			case EV_LISTEN:
				server_accept(&s, lfd);
				break;
			case EV_STDIN:
				r = read(STDIN_FILENO, drain, sizeof(drain));
				if (r <= 0 && !(r < 0 && errno == EINTR))
					goto out;
				break;
			case EV_CONN:
				conn_event(&s, events[i].data.ptr,
					   events[i].events);
				break;
			}
		}
	}
out:
	printf("mode=server family=%s port=%u connections=%llu open=%llu\n",
	       o->family_name, ntohs(sin.sin_port),
	       (unsigned long long)s.conns, (unsigned long long)s.live);
	printf("%s server: %llu connections served\n", o->family_name,
	       (unsigned long long)s.conns);
	/* Exit closes the rest. */
	return 0;
}

/* ---------------------------------------------------------------- clients */

static void tcp_retrans(int fd, char *out, size_t len)
{
	struct tcpx_info info;
	socklen_t ilen = sizeof(info);

	/* Same layout and level for both families (see the uapi header). */
	out[0] = '\0';
	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &ilen) &&
	    ilen >= offsetof(struct tcpx_info, tcpi_total_retrans) +
		    sizeof(info.tcpi_total_retrans))
		snprintf(out, len, " retrans=%u", info.tcpi_total_retrans);
}

static int run_stream(const struct bench_opts *o)
{
	uint64_t start, end, deadline, sent = 0, got = 0, be;
	unsigned char hdr[BENCH_HDR_SOURCE];
	struct sockaddr_in sin;
	char retrans[32] = "";
	double secs, gbps;
	uint32_t chunk;
	char *buf;
	ssize_t n;
	int fd;

	buf = malloc(o->size);
	if (!buf)
		die("out of memory");
	memset(buf, 'x', o->size);
	parse_addr(o->host, o->port, &sin);
	fd = bench_connect(o, &sin, 0);

	start = now_ns();
	deadline = start + (uint64_t)o->seconds * NSEC_PER_SEC;
	if (!o->recv) {
		hdr[0] = BENCH_OP_SINK;
		send_all(fd, hdr, 1, "stream header");
		do {
			n = send(fd, buf, o->size, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die_errno("send");
			}
			sent += n;
		} while (now_ns() < deadline);
		tcp_retrans(fd, retrans, sizeof(retrans));
		/* Goodput is what the server read, when it has read it all. */
		if (shutdown(fd, SHUT_WR))
			die_errno("shutdown");
		recv_all(fd, &be, sizeof(be), "byte count");
		end = now_ns();
		got = be64toh(be);
		if (got != sent)
			die("the server received %llu bytes of %llu sent",
			    (unsigned long long)got, (unsigned long long)sent);
	} else {
		hdr[0] = BENCH_OP_SOURCE;
		chunk = htonl(o->size);
		memcpy(hdr + 1, &chunk, sizeof(chunk));
		send_all(fd, hdr, sizeof(hdr), "stream header");
		do {
			n = recv(fd, buf, o->size, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die_errno("recv");
			}
			if (!n)
				die("recv: the server closed the connection");
			got += n;
		} while (now_ns() < deadline);
		end = now_ns();
	}
	close(fd);
	free(buf);

	secs = (end - start) / 1e9;
	gbps = got * 8 / secs / 1e9;
	printf("mode=stream family=%s direction=%s size=%zu seconds=%.3f bytes=%llu gbps=%.3f%s\n",
	       o->family_name, o->recv ? "recv" : "send", o->size, secs,
	       (unsigned long long)got, gbps, retrans);
	printf("%s stream %s: %.3f Gbit/s (%.1f MB in %.2f s, %zu-byte %s)\n",
	       o->family_name, o->recv ? "recv" : "send", gbps, got / 1e6,
	       secs, o->size, o->recv ? "reads" : "writes");
	return 0;
}

static void print_rr(const struct bench_opts *o, const struct hist *h,
		     uint64_t elapsed)
{
	double secs = elapsed / 1e9, tps = h->count / secs;
	double p50 = hist_quantile(h, 0.50) / 1e3;
	double p99 = hist_quantile(h, 0.99) / 1e3;

	printf("mode=%s family=%s seconds=%.3f transactions=%llu",
	       o->mode, o->family_name, secs, (unsigned long long)h->count);
	printf(" tps=%.0f p50_us=%.1f p99_us=%.1f\n", tps, p50, p99);
	printf("%s %s: %.0f transactions/s, latency p50 %.1f us, p99 %.1f us (%llu in %.2f s)\n",
	       o->family_name, o->mode, tps, p50, p99,
	       (unsigned long long)h->count, secs);
}

/*
 * rr: 1-byte requests and responses on one connection for --seconds; crr
 * (@per_conn): the same with a connection of its own per transaction.
 */
static int run_rr(const struct bench_opts *o, bool per_conn)
{
	unsigned char req = per_conn ? BENCH_OP_CRR : BENCH_OP_RR, resp;
	uint64_t start, t, deadline;
	struct sockaddr_in sin;
	struct hist *h;
	int fd = -1;

	h = calloc(1, sizeof(*h));
	if (!h)
		die("out of memory");
	parse_addr(o->host, o->port, &sin);
	if (!per_conn) {
		fd = bench_connect(o, &sin, 0);
		set_nodelay(fd);
	}

	start = now_ns();
	deadline = start + (uint64_t)o->seconds * NSEC_PER_SEC;
	t = start;
	do {
		uint64_t t0 = t;

		if (per_conn) {
			fd = bench_connect(o, &sin, h->count);
			set_nodelay(fd);
		}
		send_all(fd, &req, 1, "request");
		recv_all(fd, &resp, 1, "response");
		/* crr: the client closes first, for both families. */
		if (per_conn)
			close(fd);
		t = now_ns();
		hist_add(h, t - t0);
	} while (t < deadline);
	if (!per_conn)
		close(fd);

	print_rr(o, h, t - start);
	free(h);
	return 0;
}

static int run_idle(const struct bench_opts *o)
{
	unsigned char req = BENCH_OP_IDLE, resp;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	uint64_t start, connected, until, now;
	bool watch = stdin_watched();
	struct sockaddr_in sin[BENCH_MAX_HOSTS];
	char line[256], *hosts, *h, *save;
	int *fds, nhosts = 0;
	ssize_t r;
	int i;

	raise_nofile(o->count + 64);
	fds = calloc(o->count, sizeof(*fds));
	hosts = strdup(o->host);
	if (!fds || !hosts)
		die("out of memory");
	/* A list of addresses: one destination has room for ~64k ports. */
	for (h = strtok_r(hosts, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
		if (nhosts == BENCH_MAX_HOSTS)
			die("more than %d addresses in --host", BENCH_MAX_HOSTS);
		parse_addr(h, o->port, &sin[nhosts++]);
	}
	if (!nhosts)
		die("no address in --host");
	free(hosts);

	/* Lets the caller read the slab counters with this process set up. */
	if (o->wait) {
		printf("waiting\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			die("stdin closed before the go line");
	}

	start = now_ns();
	for (i = 0; i < o->count; i++) {
		fds[i] = bench_connect(o, &sin[i % nhosts], i);
		send_all(fds[i], &req, 1, "idle request");
	}
	/* An answer on each: the server has accepted and served them all. */
	for (i = 0; i < o->count; i++)
		recv_all(fds[i], &resp, 1, "idle response");
	connected = now_ns();
	printf("ready\n");
	fflush(stdout);

	/* Hold them until stdin closes, or for --max-seconds at most. */
	alarm(0);
	until = start + (uint64_t)o->max_seconds * NSEC_PER_SEC;
	while ((now = now_ns()) < until) {
		if (poll(watch ? &pfd : NULL, watch, (until - now) / 1000000 + 1) <= 0)
			continue;
		r = read(STDIN_FILENO, line, sizeof(line));
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	for (i = 0; i < o->count; i++)
		close(fds[i]);
	free(fds);

	printf("mode=idle family=%s count=%d connect_seconds=%.3f\n",
	       o->family_name, o->count, (connected - start) / 1e9);
	printf("%s idle: %d connections established in %.2f s, held, closed\n",
	       o->family_name, o->count, (connected - start) / 1e9);
	return 0;
}

/* ---------------------------------------------------------------- main */

static void __noreturn print_usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s --family tcpx|tcp|N MODE [options]\n"
		"modes:\n"
		"  server  --port P [--bind ADDR] [--max-seconds S]\n"
		"  stream  --host ADDR --port P [--seconds S] [--size BYTES] [--direction send|recv]\n"
		"  rr      --host ADDR --port P [--seconds S]\n"
		"  crr     --host ADDR --port P [--seconds S]\n"
		"  idle    --host ADDR[,ADDR...] --port P --count N [--wait] [--max-seconds S]\n"
		"defaults: --port %d --seconds %d --size %d --max-seconds %d\n"
		"exit: 0 ok, 1 error, 2 usage, 4 family not available\n",
		prog, BENCH_DEFAULT_PORT, BENCH_DEFAULT_SECONDS,
		BENCH_DEFAULT_SIZE, BENCH_MAX_SECONDS);
	exit(status);
}

static long parse_num(const char *opt, const char *arg, long min, long max)
{
	long v;

	if (tcpx_parse_int(arg, min, max, &v)) {
		fprintf(stderr, "%s: --%s takes a number from %ld to %ld\n",
			prog, opt, min, max);
		exit(EXIT_USAGE);
	}
	return v;
}

/* A byte count, K/M/G suffixes allowed. */
static long long parse_bytes(const char *opt, const char *arg, long long min,
			     long long max)
{
	long long v = tcpx_parse_size(arg);

	if (v < min || v > max) {
		fprintf(stderr, "%s: --%s takes a byte count from %lld to %lld (K, M suffixes too)\n",
			prog, opt, min, max);
		exit(EXIT_USAGE);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "family",	required_argument, NULL, 'f' },
		{ "port",	required_argument, NULL, 'p' },
		{ "bind",	required_argument, NULL, 'b' },
		{ "host",	required_argument, NULL, 'H' },
		{ "seconds",	required_argument, NULL, 's' },
		{ "size",	required_argument, NULL, 'z' },
		{ "direction",	required_argument, NULL, 'd' },
		{ "count",	required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "wait",	no_argument,	   NULL, 'w' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = {
		.port		= BENCH_DEFAULT_PORT,
		.seconds	= BENCH_DEFAULT_SECONDS,
		.max_seconds	= BENCH_MAX_SECONDS,
		.size		= BENCH_DEFAULT_SIZE,
	};
	int opt;

	/* Options may come before or after the mode. */
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o.family_name = optarg;
			break;
		case 'p':
			o.port = parse_num("port", optarg, 0, 65535);
			break;
		case 'b':
			o.bind = optarg;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 's':
			o.seconds = parse_num("seconds", optarg, 1, 3600);
			break;
		case 'z':
			o.size = parse_bytes("size", optarg, 1, BENCH_MAX_SIZE);
			break;
		case 'd':
			if (!strcmp(optarg, "recv"))
				o.recv = true;
			else if (strcmp(optarg, "send"))
				print_usage(EXIT_USAGE);
			break;
		case 'n':
			o.count = parse_num("count", optarg, 1, 1000000);
			break;
		case 'm':
			o.max_seconds = parse_num("max-seconds", optarg, 1,
						  86400);
			break;
		case 'w':
			o.wait = true;
			break;
		case 'h':
			print_usage(0);
		default:
			print_usage(EXIT_USAGE);
		}
	}
	if (optind != argc - 1 || !o.family_name)
		print_usage(EXIT_USAGE);
	o.mode = argv[optind];
	o.family = tcpx_family_of(o.family_name);
	if (o.family < 0) {
		fprintf(stderr, "%s: --family takes tcpx, tcp or a number\n",
			prog);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(o.mode, "server"))
		return run_server(&o);

	if (!o.host) {
		fprintf(stderr, "%s: %s needs --host\n", prog, o.mode);
		return EXIT_USAGE;
	}
	if (!o.port) {
		fprintf(stderr, "%s: %s needs a --port other than 0\n", prog,
			o.mode);
		return EXIT_USAGE;
	}
	if (!strcmp(o.mode, "stream")) {
		watchdog_arm(o.mode, o.seconds + BENCH_GRACE);
		return run_stream(&o);
	}
	if (!strcmp(o.mode, "rr")) {
		watchdog_arm(o.mode, o.seconds + BENCH_GRACE);
		return run_rr(&o, false);
	}
	if (!strcmp(o.mode, "crr")) {
		watchdog_arm(o.mode, o.seconds + BENCH_GRACE);
		return run_rr(&o, true);
	}
	if (!strcmp(o.mode, "idle")) {
		if (!o.count) {
			fprintf(stderr, "%s: idle needs --count\n", prog);
			return EXIT_USAGE;
		}
		watchdog_arm(o.mode, o.max_seconds);
		return run_idle(&o);
	}
	fprintf(stderr, "%s: unknown mode '%s'\n", prog, o.mode);
	print_usage(EXIT_USAGE);
}
