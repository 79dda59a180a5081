// SPDX-License-Identifier: GPL-2.0
/*
 * story: one side of the demo's tcpx connection, driven one step at a time.
 *
 *   story server ADDR:PORT     socket, bind, listen, then wait for steps
 *   story client ADDR:PORT     socket, then wait for steps
 *
 * Steps come on stdin, one a line; each is answered by one line on stdout
 * once the call has returned ("ok ..." or "err ..."), so the script driving
 * both sides can look at /proc/net/tcpx between any two of them:
 *
 *   connect            (client) connect to ADDR:PORT
 *   accept             (server) accept one connection
 *   send TEXT          send TEXT (one send call)
 *   recv               one recv call; prints what came, or EOF
 *   shutdown           shutdown(SHUT_WR): our FIN, and we keep reading
 *   close              close the connection
 *   clock              write the CLOCK_REALTIME time into the trace
 *   quit               exit (closing whatever is left)
 *
 * Before each call it writes "story: SIDE: CALL" into the kernel's trace
 * buffer (the file descriptor named by $STORY_TRACE_FD, else
 * /sys/kernel/tracing/trace_marker), so the ladder can place the
 * application's calls among the kernel's tracepoints.  The family is read
 * from /sys/module/tcpx/parameters/family ($STORY_FAMILY overrides it: 2
 * runs the same story over TCP, for comparison).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

static const char *side;
static int trace_fd = -1;

static void mark(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (trace_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "story: %s: ", side);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(trace_fd, buf, n) < 0)
		trace_fd = -1;
}

static void reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int family(void)
{
	const char *env = getenv("STORY_FAMILY");

	return env ? atoi(env) : tcpx_sys_family();
}

static const char *addr_str(const struct sockaddr_in *sin)
{
	static char buf[32];
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(sin->sin_port));
	return buf;
}

static int err(const char *call)
{
	reply("err %s %s", call, strerror(errno));
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer, me;
	int fd, conn = -1, server, one = 1;
	char line[1024], buf[1024], *env;
	socklen_t len;
	ssize_t n;

	if (argc != 3 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) {
		fprintf(stderr, "usage: story client|server ADDR:PORT\n");
		return 2;
	}
	side = argv[1];
	server = !strcmp(side, "server");
	if (tcpx_parse_addr(argv[2], &peer)) {
		fprintf(stderr, "story: bad address %s\n", argv[2]);
		return 2;
	}

	env = getenv("STORY_TRACE_FD");
	trace_fd = env ? atoi(env) : open("/sys/kernel/tracing/trace_marker",
					  O_WRONLY | O_CLOEXEC);

	fd = socket(family(), SOCK_STREAM, 0);
	if (fd < 0)
		return err("socket"), 1;
	if (server) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		mark("bind(%s)", addr_str(&peer));
		if (bind(fd, (struct sockaddr *)&peer, sizeof(peer)))
			return err("bind"), 1;
		mark("listen()");
		if (listen(fd, 1))
			return err("listen"), 1;
		reply("ok listening on %s", addr_str(&peer));
	} else {
		conn = fd;
		fd = -1;
		reply("ok created");
	}

	while (fgets(line, sizeof(line), stdin)) {
		char *arg = strchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		if (arg)
			*arg++ = '\0';

		if (!strcmp(line, "connect")) {
			mark("connect(%s)", addr_str(&peer));
			if (connect(conn, (struct sockaddr *)&peer, sizeof(peer))) {
				err("connect");
				continue;
			}
			len = sizeof(me);
			getsockname(conn, (struct sockaddr *)&me, &len);
			reply("ok connected from %s", addr_str(&me));
		} else if (!strcmp(line, "accept")) {
			mark("accept()");
			len = sizeof(me);
			conn = accept(fd, (struct sockaddr *)&me, &len);
			if (conn < 0) {
				err("accept");
				continue;
			}
			mark("accept() = connection from %s", addr_str(&me));
			reply("ok accepted %s", addr_str(&me));
		} else if (!strcmp(line, "send") && arg) {
			mark("send(\"%s\")", arg);
			n = send(conn, arg, strlen(arg), 0);
			if (n < 0) {
				err("send");
				continue;
			}
			reply("ok sent %zd bytes", n);
		} else if (!strcmp(line, "recv")) {
			mark("recv()");
			n = recv(conn, buf, sizeof(buf) - 1, 0);
			if (n < 0) {
				err("recv");
				continue;
			}
			buf[n] = '\0';
			if (n) {
				mark("recv() = %zd \"%s\"", n, buf);
				reply("ok received \"%s\"", buf);
			} else {
				mark("recv() = 0 (end of stream)");
				reply("ok received end of stream (the peer's FIN)");
			}
		} else if (!strcmp(line, "shutdown")) {
			mark("shutdown(SHUT_WR)");
			if (shutdown(conn, SHUT_WR)) {
				err("shutdown");
				continue;
			}
			reply("ok shut down for writing");
		} else if (!strcmp(line, "close")) {
			mark("close()");
			close(conn);
			conn = -1;
			reply("ok closed");
		} else if (!strcmp(line, "clock")) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			mark("realtime %lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
			reply("ok");
		} else if (!strcmp(line, "quit")) {
			break;
		} else {
			reply("err unknown step \"%s\"", line);
		}
	}
	if (fd >= 0) {
		mark("close() the listener");
		close(fd);
	}
	if (conn >= 0)
		close(conn);
	return 0;
}
