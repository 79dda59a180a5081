// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_fill: connections whose reader never reads, for the hostile-peer
 * tests (memory pressure, orphans), over tcpx or TCP.
 *
 *   tcpx_fill [-f tcpx|tcp|N] -l ADDR:PORT [-R RCVBUF]
 *   tcpx_fill [-f tcpx|tcp|N] -c ADDR:PORT [-S SNDBUF] [-n CONNS]
 *
 * The server listens (prints "listening PORT"), accepts every connection
 * and never reads from it, until it is killed (closing what it holds
 * unread then resets each connection).  -R: SO_RCVBUF of the listener,
 * which the connections inherit (a tiny one: a zero window at once).
 *
 * The client opens and fills CONNS connections (default 0), one after the
 * other, then takes commands on stdin, one a line:
 *   fill       open one more connection and fill it
 *   close I    close connection I (from 1): an orphan with data queued
 *   send I     one more non-blocking send of 64 KiB on connection I
 * and exits at EOF (closing what is still open).  Filling is non-blocking
 * writes until EAGAIN with no room coming within 200 ms.  Output:
 *   conn I port=LPORT sent=BYTES eagain=0|1 mem0=PAGES mem=PAGES press=P
 *   closed I state=N backoff=N probes=N rto=US outq=BYTES
 *   sent I bytes=N err=E
 * mem0 and mem: the "memory" column of the family's line in
 * /proc/net/protocols (TCP or TCPX; the protocol's pages, host-wide)
 * before and after the filling, press its "press" column after.  The last
 * line is "ok" or "err STEP ERRNO-NAME" (exit status 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpx_util.h"

#define CHUNK		(64 * 1024)
#define MAX_CONNS	1024

static int family;
static int conns[MAX_CONNS + 1], nconns;

/* The family's pages and pressure from /proc/net/protocols: -1 if none. */
static long proto_mem(char *press, size_t len)
{
	const char *want = family == AF_INET ? "TCP" : "TCPX";
	char line[512], name[32], pr[8];
	long size, socks, mem = -1;
	FILE *f = fopen("/proc/net/protocols", "re");

	snprintf(press, len, "?");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %ld %ld %ld %7s", name, &size, &socks, &mem, pr) == 5 &&
		    !strcmp(name, want)) {
			snprintf(press, len, "%s", pr);
			break;
		}
		mem = -1;
	}
	fclose(f);
	return mem;
}

/*
 * Non-blocking writes until the socket takes no more: EAGAIN, and no
 * room within 200 ms (or room that a send then refuses, ten times).
 */
static long long fill(int fd, int *eagain, int *err)
{
	static char buf[CHUNK];
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	long long sent = 0;
	int refused = 0;
	ssize_t n;

	*eagain = 0;
	*err = 0;
	for (;;) {
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			refused = 0;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			*err = errno;
			return sent;
		}
		*eagain = 1;
		if (++refused > 10 || poll(&p, 1, 200) <= 0 || (p.revents & POLLERR))
			return sent;
	}
}

static int open_and_fill(const struct sockaddr_in *peer, int sndbuf)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char press[8];
	long long sent;
	long mem0, mem;
	int fd, eagain, err;

	if (nconns == MAX_CONNS)
		return tcpx_fail_msg("fill", "too many connections");
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpx_fail("socket");
	if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		return tcpx_fail("SO_SNDBUF");
	if (connect(fd, (const struct sockaddr *)peer, sizeof(*peer)))
		return tcpx_fail("connect");
	getsockname(fd, (struct sockaddr *)&me, &len);
	conns[++nconns] = fd;
	mem0 = proto_mem(press, sizeof(press));
	sent = fill(fd, &eagain, &err);
	mem = proto_mem(press, sizeof(press));
	printf("conn %d port=%u sent=%lld eagain=%d mem0=%ld mem=%ld press=%s",
	       nconns, ntohs(me.sin_port), sent, eagain, mem0, mem, press);
	if (err)
		printf(" err=%s", strerrorname_np(err) ?: "?");
	printf("\n");
	return 0;
}

/* "close I": TCP(X)_INFO's leading fields, the same in both, first. */
static int close_conn(int i)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int outq = -1;

	if (i < 1 || i > nconns || conns[i] < 0)
		return tcpx_fail_msg("close", "no such connection");
	memset(&ti, 0, sizeof(ti));
	getsockopt(conns[i], IPPROTO_TCP, TCP_INFO, &ti, &len);
	ioctl(conns[i], SIOCOUTQ, &outq);
	close(conns[i]);
	conns[i] = -1;
	printf("closed %d state=%u backoff=%u probes=%u rto=%u outq=%d\n", i,
	       ti.tcpi_state, ti.tcpi_backoff, ti.tcpi_probes, ti.tcpi_rto, outq);
	return 0;
}

static int send_more(int i)
{
	static char buf[CHUNK];
	ssize_t n;

	if (i < 1 || i > nconns || conns[i] < 0)
		return tcpx_fail_msg("send", "no such connection");
	n = send(conns[i], buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
	printf("sent %d bytes=%zd err=%s\n", i, n > 0 ? n : 0,
	       n >= 0 ? "0" : strerrorname_np(errno) ?: "?");
	return 0;
}

static int client(const struct sockaddr_in *peer, int sndbuf, int n)
{
	char line[64];
	int i;

	while (n--)
		if (open_and_fill(peer, sndbuf))
			return 1;
	while (fgets(line, sizeof(line), stdin)) {
		int rc = 0;

		if (!strcmp(line, "fill\n"))
			rc = open_and_fill(peer, sndbuf);
		else if (sscanf(line, "close %d", &i) == 1)
			rc = close_conn(i);
		else if (sscanf(line, "send %d", &i) == 1)
			rc = send_more(i);
		else
			rc = tcpx_fail_msg("command", "unknown");
		if (rc)
			return rc;
	}
	printf("ok\n");
	return 0;
}

static int server(const struct sockaddr_in *addr, int rcvbuf)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return tcpx_fail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		return tcpx_fail("SO_RCVBUF");
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		return tcpx_fail("bind");
	if (listen(fd, 128))
		return tcpx_fail("listen");
	getsockname(fd, (struct sockaddr *)&me, &len);
	printf("listening %u\n", ntohs(me.sin_port));
	/* Accepted connections stay open, unread, until the process ends. */
	for (;;)
		if (accept(fd, NULL, NULL) < 0 && errno != EINTR)
			return tcpx_fail("accept");
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-f tcpx|tcp|N] -l ADDR:PORT [-R RCVBUF]\n"
		"       %s [-f tcpx|tcp|N] -c ADDR:PORT [-S SNDBUF] [-n CONNS]\n",
		prog, prog);
	return 2;
}

int main(int argc, char **argv)
{
	int opt, listen_mode = -1, rcvbuf = 0, sndbuf = 0, n = 0;
	struct sockaddr_in sin;
	const char *addr = NULL;

	family = tcpx_sys_family();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "f:l:c:R:S:n:")) != -1) {
		switch (opt) {
		case 'f':
			family = tcpx_family_of(optarg);
			if (family < 0)
				return usage(argv[0]);
			break;
		case 'l':
		case 'c':
			listen_mode = opt == 'l';
			addr = optarg;
			break;
		case 'R': rcvbuf = tcpx_parse_size(optarg); break;
		case 'S': sndbuf = tcpx_parse_size(optarg); break;
		case 'n': n = atoi(optarg); break;
		default: return usage(argv[0]);
		}
	}
	if (!addr || tcpx_parse_addr(addr, &sin) || rcvbuf < 0 || sndbuf < 0 || n < 0)
		return usage(argv[0]);
	return listen_mode ? server(&sin, rcvbuf) : client(&sin, sndbuf, n);
}
