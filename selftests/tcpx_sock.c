// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_sock: open one stream socket of a given family from a shell test,
 * bind/listen it, report its port and hold it until stdin closes.
 *
 *   tcpx_sock [-f tcpx|tcp|N] [-r] [-b ADDR:PORT] [-l BACKLOG] [-H]
 *
 * Prints "ok PORT" once set up, or "err ERRNO-NAME" and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpx.h"

static int tcpx_family(void)
{
	FILE *f = fopen("/sys/module/tcpx/parameters/family", "r");
	int family = AF_TCPX;

	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = AF_TCPX;
		fclose(f);
	}
	return family;
}

static int fail(const char *what)
{
	printf("err %s %s\n", what, strerrorname_np(errno) ?: "?");
	return 1;
}

int main(int argc, char **argv)
{
	int family = tcpx_family(), reuse = 0, backlog = -1, hold = 0;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char *bind_to = NULL, *colon, buf[64];
	int opt, fd;

	while ((opt = getopt(argc, argv, "f:rb:l:H")) != -1) {
		switch (opt) {
		case 'f':
			if (!strcmp(optarg, "tcp"))
				family = AF_INET;
			else if (strcmp(optarg, "tcpx"))
				family = atoi(optarg);
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
		default:
			fprintf(stderr, "usage: %s [-f tcpx|tcp|N] [-r] [-b ADDR:PORT] [-l BACKLOG] [-H]\n",
				argv[0]);
			return 2;
		}
	}

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
				sizeof(reuse)))
		return fail("setsockopt");
	if (bind_to) {
		colon = strrchr(bind_to, ':');
		if (!colon)
			return 2;
		*colon = '\0';
		if (inet_pton(AF_INET, bind_to, &sin.sin_addr) != 1)
			return 2;
		sin.sin_port = htons(atoi(colon + 1));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
			return fail("bind");
	}
	if (backlog >= 0 && listen(fd, backlog))
		return fail("listen");
	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return fail("getsockname");
	printf("ok %u\n", ntohs(sin.sin_port));
	fflush(stdout);

	if (hold)
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
	close(fd);
	return 0;
}
