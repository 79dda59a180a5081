// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_sock: open one stream socket of a given family from a shell test,
 * bind/listen or connect it, report its port and hold it until stdin
 * closes.
 *
 *   tcpx_sock [-f tcpx|tcp|N] [-r] [-m MARK] [-b ADDR:PORT]
 *             [-l BACKLOG [-A]] [-c ADDR:PORT] [-H] [-R]
 *
 * -A accepts one connection after reporting, and holds it too.  -m sets
 * SO_MARK first; -R closes with a reset (SO_LINGER, zero time).  ADDR is
 * IPv4 or IPv6 ("[::1]:0"); -f tcp is AF_INET6 when the address given
 * (-b's, else -c's) is IPv6.
 * Prints "ok PORT" once set up, or "err ERRNO-NAME" and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpx_util.h"

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-f tcpx|tcp|N] [-r] [-m MARK] [-b ADDR:PORT] [-l BACKLOG [-A]] [-c ADDR:PORT] [-H] [-R]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	int family = tcpx_sys_family(), reuse = 0, backlog = -1, hold = 0;
	struct tcpx_sockaddr sa = { .len = 0 }, peer;
	socklen_t len = sizeof(sa);
	char *bind_to = NULL, *connect_to = NULL, buf[64];
	int opt, fd, afd = -1, do_accept = 0, mark = -1, rst = 0;

	while ((opt = getopt(argc, argv, "f:rm:b:l:c:AHR")) != -1) {
		switch (opt) {
		case 'f':
			family = tcpx_family_of(optarg);
			if (family < 0)
				return usage(argv[0]);
			break;
		case 'r':
			reuse = 1;
			break;
		case 'b':
			bind_to = optarg;
			break;
		case 'l':
			backlog = atoi(optarg);
			break;
		case 'H':
			hold = 1;
			break;
		case 'c':
			connect_to = optarg;
			break;
		case 'A':
			do_accept = 1;
			break;
		case 'm':
			mark = atoi(optarg);
			break;
		case 'R':
			rst = 1;
			break;
		default:
			return usage(argv[0]);
		}
	}

	if ((bind_to && tcpx_parse_addr46(bind_to, &sa)) ||
	    (connect_to && tcpx_parse_addr46(connect_to, &peer)))
		return 2;
	if (bind_to)
		family = tcpx_family_for(family, &sa);
	else if (connect_to)
		family = tcpx_family_for(family, &peer);
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpx_fail("socket");
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
				sizeof(reuse)))
		return tcpx_fail("setsockopt");
	if (mark >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		return tcpx_fail("SO_MARK");
	if (bind_to && bind(fd, &sa.sa, sa.len))
		return tcpx_fail("bind");
	if (backlog >= 0 && listen(fd, backlog))
		return tcpx_fail("listen");
	if (connect_to && connect(fd, &peer.sa, peer.len))
		return tcpx_fail("connect");
	if (getsockname(fd, &sa.sa, &len))
		return tcpx_fail("getsockname");
	printf("ok %u\n", tcpx_sockaddr_port(&sa));
	fflush(stdout);

	if (do_accept) {
		afd = accept(fd, NULL, NULL);
		if (afd < 0)
			return tcpx_fail("accept");
	}
	if (hold)
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(afd >= 0 ? afd : fd, SOL_SOCKET, SO_LINGER, &lg,
			       sizeof(lg)))
			return tcpx_fail("SO_LINGER");
	}
	if (afd >= 0)
		close(afd);
	close(fd);
	return 0;
}
