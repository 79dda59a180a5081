// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx-synflood: a SYN flood for tests and demos, and the real clients and
 * server that measure what it does to a listener.
 *
 *   tcpx-synflood flood --dst ADDR:PORT --src NET/LEN [--proto tcpx|tcp|N]
 *                       [--rate PPS] [--seconds S] [--count N] [--mss M]
 *   tcpx-synflood probe [--family tcpx|tcp|N] --dst ADDR:PORT [--count N]
 *                       [--timeout MS] [--bytes N] [--seconds S]
 *   tcpx-synflood serve [--family tcpx|tcp|N] --bind ADDR:PORT
 *                       [--backlog N] [--seconds S]
 *
 * flood writes SYNs with forged source addresses (random in NET/LEN) and
 * ports, random ISNs and an MSS option, through a raw IPv4 socket
 * (IPPROTO_RAW, the IP header ours), in IP protocol 253 (tcpx) or 6 (TCP):
 * the same flood hits either.  An IPv6 --dst ("[fd00::2]:80") takes an
 * IPv6 NET/LEN ("fd00:99::/64", LEN 8 to 126) and sends through a raw IPv6
 * socket (IPPROTO_RAW too), next header 253 or 6, the checksum over the
 * IPv6 pseudo-header.  --rate 0 sends as fast as the socket takes
 * them.  It stops by itself after --seconds (default 10, at most 3600) or
 * --count SYNs, whichever comes first (or at SIGINT/SIGTERM), and prints
 *   "flood sent=N dropped=N seconds=S rate=PPS"
 * (dropped: the local queue was full, ENOBUFS).  Keep NET/LEN inside the
 * test topology and route it somewhere harmless on the target: every SYN
 * the target answers sends a SYN+ACK to the forged source.
 *
 * probe is a real client: --count connections one after the other, each
 * given --timeout ms (default 3000) to connect (non-blocking connect and
 * poll, so the kernel's own SYN retransmissions happen inside it) and to
 * exchange --bytes bytes (default 64) with serve's echo.  --seconds bounds
 * the whole run.  It prints
 *   "probe ok=N fail=N p50_ms=X p99_ms=X max_ms=X"
 * with the connect times of the connections that made it.
 *
 * serve accepts and echoes each connection until its peer closes, one
 * connection at a time (2 s per connection at most), for --seconds
 * (default 600) or until stdin closes when it is a pipe.  probe and serve
 * take IPv6 addresses as well; --family tcp is then AF_INET6.
 *
 * Exit status: 0 ok, 1 error, 2 usage, 4 the family is not available.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

#define EXIT_USAGE	2
#define EXIT_NOFAMILY	4
#define MAX_SECONDS	3600
#define MAX_BYTES	65536
#define BURST		64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The forged sources: NET/LEN, an IPv4 or an IPv6 prefix. */
struct src_net {
	int family;
	uint32_t net, mask;			/* IPv4, host order */
	uint8_t net6[16], mask6[16];		/* IPv6 */
};

static int parse_net(const char *s, struct src_net *src)
{
	char buf[64], *len_str;
	struct in_addr a;
	long len;
	int i;

	len_str = tcpx_split(s, '/', buf, sizeof(buf));
	if (!len_str)
		return -1;
	if (strchr(buf, ':')) {
		if (tcpx_parse_int(len_str, 8, 126, &len) ||
		    inet_pton(AF_INET6, buf, src->net6) != 1)
			return -1;
		src->family = AF_INET6;
		for (i = 0; i < 16; i++) {
			src->mask6[i] = len >= 8 * (i + 1) ? 0xff :
					len <= 8 * i ? 0 : 0xff << (8 * (i + 1) - len);
			src->net6[i] &= src->mask6[i];
		}
		return 0;
	}
	if (tcpx_parse_int(len_str, 8, 30, &len) ||
	    inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	src->family = AF_INET;
	src->mask = len == 32 ? ~0U : ~((1U << (32 - len)) - 1);
	src->net = ntohl(a.s_addr) & src->mask;
	return 0;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

/* 32 bits of xorshift: the flood needs speed, not quality. */
static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s >> 16;
}

/* The SYN after the IP header: ports and ISN filled per packet. */
struct syn_seg {
	struct tcphdr	th;
	uint8_t		opt[4];
} __attribute__((packed));

struct syn_pkt {
	struct iphdr	ip;
	struct syn_seg	seg;
} __attribute__((packed));

struct syn6_pkt {
	struct ip6_hdr	ip6;
	struct syn_seg	seg;
} __attribute__((packed));

static void syn_seg_init(struct syn_seg *seg, uint16_t dport, int mss)
{
	seg->th.dest = dport;
	seg->th.doff = sizeof(*seg) / 4;
	seg->th.syn = 1;
	seg->th.window = htons(65535);
	seg->opt[0] = TCPOPT_MAXSEG;
	seg->opt[1] = TCPOLEN_MAXSEG;
	seg->opt[2] = mss >> 8;
	seg->opt[3] = mss & 0xff;
}

/* A random source port and ISN, and the checksum over @sum and the SYN. */
static void syn_seg_next(struct syn_seg *seg, uint32_t sum, uint64_t *seed)
{
	seg->th.source = htons(1024 + rnd(seed) % 64512);
	seg->th.seq = htonl(rnd(seed) << 16 ^ rnd(seed));
	seg->th.check = 0;
	sum = csum_add(sum, seg, sizeof(*seg));
	seg->th.check = htons(csum_fold(sum));
}

/* The next IPv4 SYN in @pkt: a random source in @src's NET/LEN. */
static void syn4_next(struct syn_pkt *pkt, const struct src_net *src,
		      int proto, uint64_t *seed)
{
	uint32_t host, sum;

	do {
		host = rnd(seed) & ~src->mask;
	} while (!host || host == ~src->mask);
	pkt->ip.saddr = htonl(src->net | host);
	pkt->ip.id = htons(rnd(seed));
	sum = csum_add(0, &pkt->ip.saddr, 8);
	sum += proto + sizeof(pkt->seg);
	syn_seg_next(&pkt->seg, sum, seed);
}

/* The same for IPv6: a source in NET/LEN other than NET itself. */
static void syn6_next(struct syn6_pkt *pkt, const struct src_net *src,
		      int proto, uint64_t *seed)
{
	uint8_t *a = pkt->ip6.ip6_src.s6_addr, host;
	uint32_t sum;
	int i;

	do {
		host = 0;
		for (i = 0; i < 16; i++) {
			a[i] = src->net6[i] | (rnd(seed) & ~src->mask6[i]);
			host |= a[i] & ~src->mask6[i];
		}
	} while (!host);
	/* Pseudo-header: addresses, upper-layer length, next header. */
	sum = csum_add(0, a, 32);
	sum += proto + sizeof(pkt->seg);
	syn_seg_next(&pkt->seg, sum, seed);
}

static int do_flood(const struct tcpx_sockaddr *dst, const struct src_net *src,
		    int proto, long rate, double seconds, long count, int mss)
{
	long sent = 0, dropped = 0, target;
	struct tcpx_sockaddr to = *dst;
	double start, t, end;
	struct syn6_pkt pkt6;
	struct syn_pkt pkt;
	bool v6 = dst->sa.sa_family == AF_INET6;
	const void *buf = v6 ? (const void *)&pkt6 : (const void *)&pkt;
	size_t len = v6 ? sizeof(pkt6) : sizeof(pkt);
	uint64_t seed;
	int fd, i;

	/* IPPROTO_RAW: the IP header is ours, for IPv6 as for IPv4. */
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket(SOCK_RAW)");
		return 1;
	}
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed) || !seed)
		seed = (uint64_t)time(NULL) * 2654435761U | 1;

	if (v6) {
		memset(&pkt6, 0, sizeof(pkt6));
		pkt6.ip6.ip6_flow = htonl(6 << 28);
		pkt6.ip6.ip6_plen = htons(sizeof(pkt6.seg));
		pkt6.ip6.ip6_nxt = proto;
		pkt6.ip6.ip6_hlim = 64;
		pkt6.ip6.ip6_dst = dst->sin6.sin6_addr;
		syn_seg_init(&pkt6.seg, dst->sin6.sin6_port, mss);
		/* A raw IPv6 socket takes sin6_port as its protocol: 0. */
		to.sin6.sin6_port = 0;
	} else {
		memset(&pkt, 0, sizeof(pkt));
		pkt.ip.version = 4;
		pkt.ip.ihl = 5;
		pkt.ip.tot_len = htons(sizeof(pkt));
		pkt.ip.ttl = 64;
		pkt.ip.protocol = proto;
		pkt.ip.daddr = dst->sin.sin_addr.s_addr;
		syn_seg_init(&pkt.seg, dst->sin.sin_port, mss);
	}

	/* SIGINT/SIGTERM end the flood early, the summary still printed. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = now();
	end = start + seconds;
	while (!stop && sent + dropped < count) {
		t = now();
		if (t >= end)
			break;
		target = rate ? (long)((t - start) * rate) + 1 : sent + dropped + BURST;
		if (target > count)
			target = count;
		if (sent + dropped >= target) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (i = 0; i < BURST && sent + dropped < target; i++) {
			if (v6)
				syn6_next(&pkt6, src, proto, &seed);
			else
				syn4_next(&pkt, src, proto, &seed);
			if (sendto(fd, buf, len, 0, &to.sa, to.len) < 0) {
				if (errno == EINTR)
					break;
				if (errno != ENOBUFS && errno != EAGAIN) {
					perror("sendto");
					close(fd);
					return 1;
				}
				dropped++;
			} else {
				sent++;
			}
		}
	}
	t = now() - start;
	printf("flood sent=%ld dropped=%ld seconds=%.2f rate=%.0f\n",
	       sent, dropped, t, t > 0 ? sent / t : 0);
	close(fd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Wait for fd to be ready for events, up to deadline; false on timeout. */
static bool wait_fd(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left;

	for (;;) {
		left = deadline - now();
		if (left <= 0)
			return false;
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0)
			return true;
	}
}

/* One probe connection; its connect time in *ms.  0 ok, -1 failed. */
static int probe_one(int family, const struct tcpx_sockaddr *dst,
		     int timeout_ms, int bytes, double *ms)
{
	static char out[MAX_BYTES], in[MAX_BYTES];
	double t0 = now(), deadline = t0 + timeout_ms / 1000.0;
	int fd, err = 0, got = 0, done = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, &dst->sa, dst->len) &&
	    errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, deadline) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		goto fail;
	*ms = (now() - t0) * 1000;
	for (int i = 0; i < bytes; i++)
		out[i] = 'a' + i % 26;
	while (done < bytes) {
		if (!wait_fd(fd, POLLOUT, deadline))
			goto fail;
		n = send(fd, out + done, bytes - done, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			goto fail;
		if (n > 0)
			done += n;
	}
	while (got < bytes) {
		if (!wait_fd(fd, POLLIN, deadline))
			goto fail;
		n = recv(fd, in + got, bytes - got, 0);
		if (n <= 0 && !(n < 0 && errno == EAGAIN))
			goto fail;
		if (n > 0)
			got += n;
	}
	if (memcmp(in, out, bytes))
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int do_probe(int family, const struct tcpx_sockaddr *dst, long count,
		    int timeout_ms, int bytes, double seconds)
{
	double *ms, end = now() + seconds, p50 = 0, p99 = 0, max = 0;
	long ok = 0, fail = 0, i;
	int fd;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return errno == EAFNOSUPPORT ? EXIT_NOFAMILY : 1;
	}
	close(fd);
	ms = calloc(count, sizeof(*ms));
	if (!ms)
		return 1;
	for (i = 0; i < count && now() < end; i++) {
		if (probe_one(family, dst, timeout_ms, bytes, &ms[ok]))
			fail++;
		else
			ok++;
	}
	fail += count - i;	/* not tried: out of time */
	if (ok) {
		qsort(ms, ok, sizeof(*ms), cmp_double);
		p50 = ms[(ok - 1) / 2];
		p99 = ms[(ok * 99 + 99) / 100 - 1];
		max = ms[ok - 1];
	}
	printf("probe ok=%ld fail=%ld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	       ok, fail, p50, p99, max);
	free(ms);
	return 0;
}

static bool stdin_closed(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	struct stat st;
	char c;

	if (fstat(0, &st) || !S_ISFIFO(st.st_mode))
		return false;
	return poll(&p, 1, 0) > 0 && read(0, &c, 1) <= 0;
}

static int do_serve(int family, const struct tcpx_sockaddr *addr, int backlog,
		    double seconds)
{
	double end = now() + seconds;
	struct timeval tv = { 2, 0 };
	char buf[4096];
	int one = 1, lfd, fd;
	ssize_t n;

	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("socket");
		return errno == EAFNOSUPPORT ? EXIT_NOFAMILY : 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, &addr->sa, addr->len) ||
	    listen(lfd, backlog)) {
		perror("bind/listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (now() < end && !stdin_closed()) {
		if (!wait_fd(lfd, POLLIN, now() + 0.2))
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (send(fd, buf, n, MSG_NOSIGNAL) != n)
				break;
		close(fd);
	}
	close(lfd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tcpx-synflood flood --dst ADDR:PORT --src NET/LEN [--proto tcpx|tcp|N]\n"
		"                           [--rate PPS] [--seconds S] [--count N] [--mss M]\n"
		"       tcpx-synflood probe [--family tcpx|tcp|N] --dst ADDR:PORT [--count N]\n"
		"                           [--timeout MS] [--bytes N] [--seconds S]\n"
		"       tcpx-synflood serve [--family tcpx|tcp|N] --bind ADDR:PORT\n"
		"                           [--backlog N] [--seconds S]\n");
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "bind", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },
		{ "proto", required_argument, NULL, 'p' },
		{ "family", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'n' },
		{ "mss", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "backlog", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 }
	};
	const char *fam = "tcpx", *mode;
	long rate = 0, count = -1;
	int mss = 1460, timeout_ms = 3000, bytes = 64, backlog = 128, opt;
	int family, proto;
	bool have_dst = false, have_src = false;
	double seconds = -1;
	struct tcpx_sockaddr dst;
	struct src_net src = { .family = AF_UNSPEC };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (tcpx_parse_addr46(optarg, &dst))
				usage();
			have_dst = true;
			break;
		case 's':
			if (parse_net(optarg, &src))
				usage();
			have_src = true;
			break;
		case 'p':
		case 'f':
			fam = optarg;
			break;
		case 'r':
			rate = atol(optarg);
			break;
		case 'S':
			seconds = atof(optarg);
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 'm':
			mss = atoi(optarg);
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'b':
			bytes = atoi(optarg);
			break;
		case 'B':
			backlog = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !have_dst || rate < 0 || mss < 0 || mss > 65535 ||
	    timeout_ms < 1 || bytes < 1 || bytes > MAX_BYTES || backlog < 1 ||
	    seconds > MAX_SECONDS)
		usage();

	if (!strcmp(mode, "flood")) {
		proto = tcpx_proto_of(fam);
		if (!have_src || proto < 0 || src.family != dst.sa.sa_family)
			usage();
		if (seconds < 0)
			seconds = 10;
		if (count < 0)
			count = rate ? (long)(rate * seconds) : 1L << 40;
		return do_flood(&dst, &src, proto, rate, seconds, count, mss);
	}
	family = tcpx_family_of(fam);
	if (family < 0)
		usage();
	family = tcpx_family_for(family, &dst);
	if (!strcmp(mode, "probe"))
		return do_probe(family, &dst, count < 0 ? 100 : count,
				timeout_ms, bytes, seconds < 0 ? 600 : seconds);
	if (!strcmp(mode, "serve"))
		return do_serve(family, &dst, backlog,
				seconds < 0 ? 600 : seconds);
	usage();
	return EXIT_USAGE;
}
