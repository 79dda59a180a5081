// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_ka: one connection for the keepalive tests, over tcpx or TCP.
 *
 *   tcpx_ka [-f tcpx|tcp|N] server ADDR:PORT [OPTIONS]
 *   tcpx_ka [-f tcpx|tcp|N] client ADDR:PORT [OPTIONS]
 *
 * ADDR:PORT is IPv4 or IPv6 ("[::1]:80"); -f tcp is AF_INET6 for an IPv6
 * one, and --close then watches /proc/net/tcpx6 (tcp6).
 *
 * The server accepts one connection, prints "connected LOCAL PEER", sends
 * --send-count bytes one at a time, --send-gap ms apart, and then holds the
 * connection until it is killed; SO_LINGER 0 makes that an abort, so a
 * killed server leaves no orphan behind.
 *
 * The client sets its options, connects, prints "connected LOCAL PEER",
 * then does one of:
 *   --hold S   sleep S seconds (reading what arrives), print
 *              "info state=N probes=N" (TCP_INFO/TCPX_INFO) and close;
 *   --wait     wait for the connection to end: a child process polls the
 *              socket (POLLIN, 100 ms at a time), printing
 *              "poll probes=N" whenever tcpi_probes changes and finally
 *              "poll revents=ERR,HUP,IN t=SECONDS"; the parent blocks in
 *              recv() and prints "recv ERRNO-NAME t=SECONDS" (or "recv eof");
 *   --close    close() at once, leaving an orphan in FIN-WAIT-2 while the
 *              server holds its end, and watch its line in /proc/net/tcpx
 *              (or tcp) every 10 ms: "orphan st=ST tr=TR when=TICKS" when it
 *              shows in FIN-WAIT-2 (05), "orphan gone t=SECONDS" (since the
 *              close) when it is no longer listed.
 * t counts from the connection's establishment.  The last line is "ok" or
 * "err STEP ERRNO-NAME" (exit status 1).
 *
 * Options (level IPPROTO_TCP, the same numbers as SOL_TCPX):
 *   --keepalive        SO_KEEPALIVE (client: before connect(), so it is armed
 *                      when the connection is established)
 *   --idle S, --intvl S, --cnt N      TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT
 *   --user-timeout MS  TCP_USER_TIMEOUT
 *   --linger2 S        TCP_LINGER2
 *   --keepalive-after MS   client: set SO_KEEPALIVE (and the options) only
 *                      MS after the connection is up (a live socket arms)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

struct ka_opts {
	int family;
	int server;
	struct tcpx_sockaddr addr;
	int keepalive;
	int keepalive_after;
	int idle, intvl, cnt, user_timeout, linger2;	/* KA_UNSET: not set */
	int send_count, send_gap;
	double hold;
	int wait, close_now;
};

#define KA_UNSET	INT_MIN

static double t0;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (long)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* tcpi_state and tcpi_probes: bytes 0 and 3 of tcp_info and tcpx_info. */
static int sock_info(int fd, int *state, int *probes)
{
	unsigned char info[8] = { 0 };
	socklen_t len = sizeof(info);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len) || len < 4)
		return -1;
	*state = info[0];
	*probes = info[3];
	return 0;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

/* The TCP-level options given, in this order, then SO_KEEPALIVE. */
static int set_keepalive(int fd, const struct ka_opts *o)
{
	const struct {
		int val, name;
		const char *what;
	} opts[] = {
		{ o->idle, TCP_KEEPIDLE, "TCP_KEEPIDLE" },
		{ o->intvl, TCP_KEEPINTVL, "TCP_KEEPINTVL" },
		{ o->cnt, TCP_KEEPCNT, "TCP_KEEPCNT" },
		{ o->user_timeout, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT" },
		{ o->linger2, TCP_LINGER2, "TCP_LINGER2" },
	};
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].val != KA_UNSET &&
		    set_int(fd, IPPROTO_TCP, opts[i].name, opts[i].val))
			return tcpx_fail(opts[i].what);
	if (o->keepalive && set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1))
		return tcpx_fail("SO_KEEPALIVE");
	return 0;
}

static void print_connected(int fd)
{
	struct tcpx_sockaddr me = { .len = 0 }, peer = { .len = 0 };
	socklen_t len = sizeof(me);
	char a[TCPX_ADDRSTRLEN], b[TCPX_ADDRSTRLEN];

	getsockname(fd, &me.sa, &len);
	len = sizeof(peer);
	getpeername(fd, &peer.sa, &len);
	printf("connected %s %s\n", tcpx_fmt_sockaddr(&me, a, sizeof(a)),
	       tcpx_fmt_sockaddr(&peer, b, sizeof(b)));
	fflush(stdout);
}

static int server(const struct ka_opts *o)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int lfd, fd, i;
	char c = 'k';

	lfd = socket(o->family, SOCK_STREAM, 0);
	if (lfd < 0)
		return tcpx_fail("socket");
	if (set_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1))
		return tcpx_fail("SO_REUSEADDR");
	if (bind(lfd, &o->addr.sa, o->addr.len))
		return tcpx_fail("bind");
	if (listen(lfd, 1))
		return tcpx_fail("listen");
	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return tcpx_fail("accept");
	close(lfd);
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		return tcpx_fail("SO_LINGER");
	print_connected(fd);
	for (i = 0; i < o->send_count; i++) {
		sleep_s(o->send_gap / 1000.0);
		if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
			return tcpx_fail("send");
	}
	for (;;)
		pause();
}

/* The child of --wait: poll until the connection ends. */
static int poll_child(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int state, probes, last = -1;

	for (;;) {
		if (poll(&pfd, 1, 100) < 0) {
			if (errno == EINTR)
				continue;
			return tcpx_fail("poll");
		}
		if (pfd.revents & (POLLERR | POLLHUP)) {
			printf("poll revents=%s%s%s t=%.3f\n",
			       pfd.revents & POLLERR ? "ERR," : "",
			       pfd.revents & POLLHUP ? "HUP," : "",
			       pfd.revents & POLLIN ? "IN" : "", now() - t0);
			fflush(stdout);
			return 0;
		}
		if (!sock_info(fd, &state, &probes) && probes != last) {
			printf("poll probes=%d t=%.3f\n", probes, now() - t0);
			fflush(stdout);
			last = probes;
		}
	}
}

static int client_wait(int fd)
{
	int status = 1;
	char buf[64];
	ssize_t n;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return tcpx_fail("fork");
	if (!pid)
		_exit(poll_child(fd));
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n == 0)
		printf("recv eof t=%.3f\n", now() - t0);
	else
		printf("recv %s t=%.3f\n", strerrorname_np(errno) ?: "?",
		       now() - t0);
	fflush(stdout);
	/* The child has seen it too by now, or never will. */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("err poll child\n");
		return 1;
	}
	return 0;
}

/* Our line of /proc/net/tcpx(6) or tcp(6): its st, tr and tm->when. */
static int proc_find(const char *path, unsigned int port, char *st, char *tr,
		     unsigned long *when)
{
	char line[512], loc[64], want[8], stb[8], timer[32], *p;
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%04X", port);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %63s %*s %7s %*s %31s", loc, stb, timer) != 3)
			continue;
		p = strrchr(loc, ':');
		if (!p || strcmp(p + 1, want))
			continue;
		snprintf(st, 8, "%s", stb);
		snprintf(tr, 8, "%.2s", timer);
		*when = strtoul(timer + 3, NULL, 16);
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

static int watch_orphan(const struct ka_opts *o, unsigned int port)
{
	bool v6 = o->addr.sa.sa_family == AF_INET6;
	const char *path = o->family == AF_INET || o->family == AF_INET6 ?
			   (v6 ? "/proc/net/tcp6" : "/proc/net/tcp") :
			   (v6 ? "/proc/net/tcpx6" : "/proc/net/tcpx");
	double start = now(), end = start + 30;
	char st[8], tr[8];
	unsigned long when;
	int seen = 0, r;

	while (now() < end) {
		r = proc_find(path, port, st, tr, &when);
		if (r < 0)
			return tcpx_fail("proc");
		if (r && !seen && !strcmp(st, "05")) {
			printf("orphan st=%s tr=%s when=%lu\n", st, tr, when);
			seen = 1;
		}
		if (!r && seen) {
			printf("orphan gone t=%.3f\n", now() - start);
			return 0;
		}
		sleep_s(0.01);
	}
	printf("err orphan %s\n", seen ? "stays" : "never in FIN-WAIT-2");
	return 1;
}

static int client(const struct ka_opts *o)
{
	struct tcpx_sockaddr me = { .len = 0 };
	socklen_t len = sizeof(me);
	int fd, state, probes;
	char buf[64];
	double end;

	fd = socket(o->family, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpx_fail("socket");
	if (!o->keepalive_after && set_keepalive(fd, o))
		return 1;
	if (connect(fd, &o->addr.sa, o->addr.len))
		return tcpx_fail("connect");
	t0 = now();
	print_connected(fd);
	if (o->keepalive_after) {
		sleep_s(o->keepalive_after / 1000.0);
		if (set_keepalive(fd, o))
			return 1;
	}
	if (o->wait) {
		if (client_wait(fd))
			return 1;
	} else if (o->hold > 0) {
		end = t0 + o->hold;
		while (now() < end) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (poll(&pfd, 1, (int)((end - now()) * 1000) + 1) > 0 &&
			    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0 &&
			    errno != EAGAIN)
				return tcpx_fail("recv");
		}
		if (sock_info(fd, &state, &probes))
			return tcpx_fail("TCP_INFO");
		printf("info state=%d probes=%d\n", state, probes);
	}
	if (getsockname(fd, &me.sa, &len))
		return tcpx_fail("getsockname");
	close(fd);
	if (o->close_now && watch_orphan(o, tcpx_sockaddr_port(&me)))
		return 1;
	printf("ok\n");
	return 0;
}

/* The usage line on stderr; 2, the exit status of a usage error. */
static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-f tcpx|tcp|N] server|client ADDR:PORT [options]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keepalive", no_argument, NULL, 'k' },
		{ "keepalive-after", required_argument, NULL, 'K' },
		{ "idle", required_argument, NULL, 'i' },
		{ "intvl", required_argument, NULL, 'v' },
		{ "cnt", required_argument, NULL, 'n' },
		{ "user-timeout", required_argument, NULL, 'u' },
		{ "linger2", required_argument, NULL, 'l' },
		{ "send-count", required_argument, NULL, 's' },
		{ "send-gap", required_argument, NULL, 'g' },
		{ "hold", required_argument, NULL, 'h' },
		{ "wait", no_argument, NULL, 'w' },
		{ "close", no_argument, NULL, 'c' },
		{ }
	};
	struct ka_opts o = {
		.family = tcpx_sys_family(),
		.idle = KA_UNSET, .intvl = KA_UNSET, .cnt = KA_UNSET,
		.user_timeout = KA_UNSET, .linger2 = KA_UNSET,
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.family = tcpx_family_of(optarg);
			if (o.family < 0)
				return usage(argv[0]);
			break;
		case 'k':
			o.keepalive = 1;
			break;
		case 'K':
			o.keepalive = 1;
			o.keepalive_after = atoi(optarg);
			break;
		case 'i':
			o.idle = atoi(optarg);
			break;
		case 'v':
			o.intvl = atoi(optarg);
			break;
		case 'n':
			o.cnt = atoi(optarg);
			break;
		case 'u':
			o.user_timeout = atoi(optarg);
			break;
		case 'l':
			o.linger2 = atoi(optarg);
			break;
		case 's':
			o.send_count = atoi(optarg);
			break;
		case 'g':
			o.send_gap = atoi(optarg);
			break;
		case 'h':
			o.hold = atof(optarg);
			break;
		case 'w':
			o.wait = 1;
			break;
		case 'c':
			o.close_now = 1;
			break;
		default:
			return usage(argv[0]);
		}
	}
	if (argc - optind != 2 || tcpx_parse_addr46(argv[optind + 1], &o.addr))
		return usage(argv[0]);
	o.family = tcpx_family_for(o.family, &o.addr);
	o.server = !strcmp(argv[optind], "server");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return o.server ? server(&o) : client(&o);
}
