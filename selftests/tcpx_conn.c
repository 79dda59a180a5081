// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_conn: whole connections for shell tests, over tcpx or TCP.
 *
 *   tcpx_conn [-f tcpx|tcp|N] server ADDR:PORT [OPTIONS]
 *   tcpx_conn [-f tcpx|tcp|N] client ADDR:PORT [OPTIONS]
 *
 * ADDR:PORT is IPv4 ("10.0.1.2:80") or IPv6 ("[::1]:80"); -f tcp is
 * AF_INET6 for an IPv6 one.  Addresses print the same way.
 *
 * A server listens on ADDR:PORT, prints "listening ADDR:PORT" and serves
 * --count connections one after the other.  A client makes --count
 * connections to ADDR:PORT one after the other.  On each connection both
 * sides run the same script:
 *
 *   1. send --bytes bytes (a fixed pattern); a server with --echo instead
 *      sends back everything it reads;
 *   2. waits for --hold-until's file, if given;
 *   3. with --first, this side ends its half first: shutdown(SHUT_WR) (at
 *      --shutdown-at, if given), then reads to EOF; without it, this side
 *      reads to EOF first;
 *   4. waits --delay ms, then close().
 *
 * What a side reads is checked: a client with a server that echoes expects
 * its own bytes back, otherwise it expects --expect bytes (if given) of the
 * pattern.  With --count 1 each side prints "connected LOCAL PEER state=N"
 * (N: tcpi_state from TCP_INFO/TCPX_INFO), after EOF "eof state=N", and
 * "closed" at the end.  The last line is always "ok N" (connections
 * completed) or "err STEP ERRNO-NAME" / "err STEP detail", exit status 1.
 *
 * Options:
 *   --count N          connections (default 1)
 *   --bytes N          bytes to send on each connection (default 0; N may
 *                      end in K, M or G)
 *   --expect N         bytes the peer must send on each connection (as N)
 *   --echo             server: send back what is read
 *   --first            this side shuts its sending half first
 *   --delay MS         wait before close() (default 0)
 *   --bind ADDR:PORT   client: bind first (with SO_REUSEADDR); of the
 *                      same IP version as the server's address
 *   --at T             client: connect at CLOCK_REALTIME T (seconds, may
 *                      have a fraction), to start two sides together
 *   --shutdown-at T    with --first: shutdown(SHUT_WR) at T
 *   --hold-until PATH  after sending, wait until PATH exists (the test
 *                      holds the connection up while it looks at it)
 *   --timeout S        SO_RCVTIMEO/SO_SNDTIMEO and accept timeout (10)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

struct conn_opts {
	int family;
	int server;
	struct tcpx_sockaddr addr;
	long count;
	long bytes;
	long expect;
	int echo;
	int first;
	int delay_ms;
	int bind_set;
	struct tcpx_sockaddr bind_addr;
	double at;
	double shutdown_at;
	const char *hold_until;
	int timeout;
};

/* Sleep until CLOCK_REALTIME t. */
static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* tcpi_state is the first byte of tcp_info and of tcpx_info alike. */
static int sock_state(int fd)
{
	unsigned char info[8] = { 0 };
	socklen_t len = sizeof(info);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len) || len < 1)
		return -1;
	return info[0];
}

static char pattern(long off)
{
	return (char)('a' + off % 26);
}

static int set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int send_pattern(int fd, long bytes)
{
	char buf[4096];
	long off = 0;
	size_t n, i;

	while (off < bytes) {
		n = sizeof(buf);
		if (bytes - off < (long)n)
			n = bytes - off;
		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		if (send_all(fd, buf, n))
			return -1;
		off += n;
	}
	return 0;
}

/*
 * Read to EOF.  Echo what arrives if asked; check it against the pattern
 * when check is set.  Returns the byte count, or -1 (errno set, or EBADMSG
 * for wrong bytes).
 */
static long drain(int fd, int echo, int check)
{
	char buf[4096];
	long total = 0;
	ssize_t n, i;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!n)
			return total;
		if (check)
			for (i = 0; i < n; i++)
				if (buf[i] != pattern(total + i)) {
					errno = EBADMSG;
					return -1;
				}
		if (echo && send_all(fd, buf, n))
			return -1;
		total += n;
	}
}

/* Steps 1-4 on a connected socket; closes it. */
static int run_conn(int fd, const struct conn_opts *o, int verbose)
{
	int check = !o->server || !o->echo;
	long want = -1, got;
	char l[TCPX_ADDRSTRLEN], p[64];

	if (verbose) {
		struct tcpx_sockaddr me, peer;
		socklen_t len = sizeof(me);

		if (getsockname(fd, &me.sa, &len))
			return tcpx_fail("getsockname");
		len = sizeof(peer);
		if (getpeername(fd, &peer.sa, &len))
			return tcpx_fail("getpeername");
		printf("connected %s %s state=%d\n",
		       tcpx_fmt_sockaddr(&me, l, sizeof(l)),
		       tcpx_fmt_sockaddr(&peer, p, sizeof(p)), sock_state(fd));
		fflush(stdout);
	}
	if (set_timeouts(fd, o->timeout))
		return tcpx_fail("setsockopt");
	if (!o->server && o->echo)
		want = o->bytes;
	else if (o->expect >= 0)
		want = o->expect;

	if (o->bytes && !(o->server && o->echo) && send_pattern(fd, o->bytes))
		return tcpx_fail("send");
	while (o->hold_until && access(o->hold_until, F_OK))
		sleep_ms(10);
	if (o->first) {
		if (o->shutdown_at > 0)
			sleep_until(o->shutdown_at);
		if (shutdown(fd, SHUT_WR))
			return tcpx_fail("shutdown");
	}
	got = drain(fd, o->server && o->echo, check);
	if (got < 0)
		return tcpx_fail("recv");
	if (want >= 0 && got != want) {
		snprintf(p, sizeof(p), "got %ld bytes, not %ld", got, want);
		return tcpx_fail_msg("recv", p);
	}
	if (verbose) {
		printf("eof state=%d\n", sock_state(fd));
		fflush(stdout);
	}
	if (o->delay_ms)
		sleep_ms(o->delay_ms);
	if (close(fd))
		return tcpx_fail("close");
	if (verbose) {
		printf("closed\n");
		fflush(stdout);
	}
	return 0;
}

static int run_server(const struct conn_opts *o)
{
	struct tcpx_sockaddr sa;
	socklen_t len = sizeof(sa);
	int fd, cfd, one = 1;
	struct pollfd pfd;
	char a[TCPX_ADDRSTRLEN];
	long i;

	fd = socket(o->family, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpx_fail("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return tcpx_fail("setsockopt");
	if (bind(fd, &o->addr.sa, o->addr.len))
		return tcpx_fail("bind");
	if (listen(fd, 16))
		return tcpx_fail("listen");
	if (getsockname(fd, &sa.sa, &len))
		return tcpx_fail("getsockname");
	printf("listening %s\n", tcpx_fmt_sockaddr(&sa, a, sizeof(a)));
	fflush(stdout);

	for (i = 0; i < o->count; i++) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		errno = 0;
		if (poll(&pfd, 1, o->timeout * 1000) != 1) {
			errno = errno ? : ETIMEDOUT;
			return tcpx_fail("accept");
		}
		cfd = accept(fd, NULL, NULL);
		if (cfd < 0)
			return tcpx_fail("accept");
		if (run_conn(cfd, o, o->count == 1))
			return 1;
	}
	close(fd);
	printf("ok %ld\n", i);
	return 0;
}

static int run_client(const struct conn_opts *o)
{
	int fd, one = 1;
	long i;

	if (o->at > 0)
		sleep_until(o->at);
	for (i = 0; i < o->count; i++) {
		fd = socket(o->family, SOCK_STREAM, 0);
		if (fd < 0)
			return tcpx_fail("socket");
		if (o->bind_set) {
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)))
				return tcpx_fail("setsockopt");
			if (bind(fd, &o->bind_addr.sa, o->bind_addr.len))
				return tcpx_fail("bind");
		}
		if (set_timeouts(fd, o->timeout))
			return tcpx_fail("setsockopt");
		if (connect(fd, &o->addr.sa, o->addr.len))
			return tcpx_fail("connect");
		if (run_conn(fd, o, o->count == 1))
			return 1;
	}
	printf("ok %ld\n", i);
	return 0;
}

/* The usage line on stderr; 2, the exit status of a usage error. */
static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-f tcpx|tcp|N] server|client ADDR:PORT [--count N] [--bytes N]\n"
		"       [--expect N] [--echo] [--first] [--delay MS] [--bind ADDR:PORT]\n"
		"       [--at T] [--shutdown-at T] [--hold-until PATH] [--timeout S]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "expect", required_argument, NULL, 'e' },
		{ "echo", no_argument, NULL, 'E' },
		{ "first", no_argument, NULL, '1' },
		{ "delay", required_argument, NULL, 'd' },
		{ "bind", required_argument, NULL, 'B' },
		{ "at", required_argument, NULL, 'a' },
		{ "shutdown-at", required_argument, NULL, 's' },
		{ "hold-until", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct conn_opts o = {
		.family = tcpx_sys_family(),
		.count = 1,
		.expect = -1,
		.timeout = 10,
	};
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "+f:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o.family = tcpx_family_of(optarg);
			if (o.family < 0)
				return usage(argv[0]);
			break;
		default:
			return usage(argv[0]);
		}
	}
	if (argc - optind < 2)
		return usage(argv[0]);
	if (!strcmp(argv[optind], "server"))
		o.server = 1;
	else if (strcmp(argv[optind], "client"))
		return usage(argv[0]);
	if (tcpx_parse_addr46(argv[optind + 1], &o.addr)) {
		fprintf(stderr, "bad address %s\n", argv[optind + 1]);
		return 2;
	}
	o.family = tcpx_family_for(o.family, &o.addr);
	optind += 2;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			o.count = atol(optarg);
			break;
		case 'b':
			o.bytes = tcpx_parse_size(optarg);
			break;
		case 'e':
			o.expect = tcpx_parse_size(optarg);
			if (o.expect < 0)
				return usage(argv[0]);
			break;
		case 'E':
			o.echo = 1;
			break;
		case '1':
			o.first = 1;
			break;
		case 'd':
			o.delay_ms = atoi(optarg);
			break;
		case 'B':
			if (tcpx_parse_addr46(optarg, &o.bind_addr)) {
				fprintf(stderr, "bad address %s\n", optarg);
				return 2;
			}
			o.bind_set = 1;
			break;
		case 'a':
			o.at = atof(optarg);
			break;
		case 's':
			o.shutdown_at = atof(optarg);
			break;
		case 'H':
			o.hold_until = optarg;
			break;
		case 't':
			o.timeout = atoi(optarg);
			break;
		default:
			return usage(argv[0]);
		}
	}
	if (o.count < 1 || o.bytes < 0 || o.timeout < 1 || optind != argc)
		return usage(argv[0]);
	return o.server ? run_server(&o) : run_client(&o);
}
