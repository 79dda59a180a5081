// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx_xfer: a checked bulk transfer for the reliability tests and
 * scripts/bench-loss, the same code for tcpx and TCP.
 *
 *   tcpx_xfer -l [-a ADDR] [-p PORT] [options]     server: accept one
 *   tcpx_xfer -c ADDR -p PORT [options]            client
 *
 * ADDR is IPv4 or IPv6 ("::1", with or without brackets); the server
 * listens on 0.0.0.0 without -a.
 *
 * Each side sends a pseudo-random stream (seed -s, the client's stream is
 * seed S, the server's S+1) while it receives the peer's, both directions
 * at once; the receiver checks every byte against the stream it expects
 * and both ends hash what they sent and what arrived (64-bit, word-wise),
 * so a script can compare one side's sent_hash with the other's recv_hash.
 *
 *   -f tcp|tcpx|N   family (default tcpx, read from sysfs); "tcp" is
 *                   AF_INET6 for an IPv6 ADDR
 *   -n BYTES        client->server bytes (K, M suffixes; default 1M)
 *   -m BYTES        server->client bytes (default: as -n)
 *   -d SECONDS      the client sends for this long instead of -n bytes
 *                   (give the server -d too: it then takes what comes)
 *   -r BYTES        the sender's pace, bytes per second (application-
 *                   limited traffic: no queues, for RTT measurements)
 *   -s SEED         stream seed (default 1)
 *   -R BYTES        SO_RCVBUF, -S BYTES SO_SNDBUF (before connect/listen)
 *   -P BYTES:MS     the reader stops for MS after BYTES, once
 *   -N              non-blocking writer: counts EAGAIN, waits in poll(),
 *                   reads SO_ERROR on POLLERR
 *   -u MS           TCP(X)_USER_TIMEOUT
 *   -i MS           sample TCP(X)_INFO and SO_MEMINFO every MS (default 50);
 *   -v              and print each sample
 *   -t SECONDS      give up after this long once connected (default 600;
 *                   also bounds the wait for it): the connection is shut
 *                   down and the result says timeout=1
 *                   (exit 3 if even that hangs)
 *
 * The server prints "listening PORT" once it listens.  Both print one
 * "result key=value ..." line and exit 0 when everything was sent, the
 * peer's stream arrived complete and intact, and no call failed; 1 if not.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_util.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define CHUNK	(128 * 1024)

static int family, is_tcpx, listen_mode, nonblock, verbose;
static const char *addr_str;
static int port;
static uint64_t seed = 1;
static long long bytes_c2s = 1 << 20, bytes_s2c = -1;
static double duration;
static long long pace;
static int rcvbuf, sndbuf, user_timeout, sample_ms = 50, max_seconds = 600;
static long long pause_at = -1;
static int pause_ms;

static struct timespec t0;

/* Results, written by one thread each, read at the end. */
static long long sent, rcvd;
static uint64_t sent_hash, recv_hash;
static int send_err, recv_err, so_error;
static long long eagain, stall_at, first_stall_at = -1;
static long stall_ms;
static long long first_bad = -1;

/* The sampler's view. */
static atomic_llong a_sent, a_rcvd;
static atomic_int done;
static long long max_mem, max_rmem, max_wmem;
static long long min_rtt = -1;
static long long min_snd_wnd = -1, max_probes, max_total_retrans;
static long long max_snd_mss;
static struct tcpx_info last_info;
static int eff_rcvbuf, eff_sndbuf, end_rcvbuf, end_sndbuf;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

/* splitmix64: word i of stream s, so any offset can be regenerated. */
static uint64_t stream_word(uint64_t s, uint64_t i)
{
	uint64_t z = s * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void stream_fill(uint64_t s, long long off, unsigned char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t w = stream_word(s, (off + i) / 8);
		unsigned int b = (off + i) % 8;

		if (!b && len - i >= 8) {
			memcpy(buf + i, &w, 8);
			i += 8;
			continue;
		}
		buf[i++] = (w >> (8 * b)) & 0xff;
	}
}

/* A 64-bit hash over bytes fed in any chunking, eight at a time. */
struct hasher {
	uint64_t h, acc;
	unsigned int n;
};

static void hash_init(struct hasher *hs)
{
	hs->h = 0xcbf29ce484222325ULL;
	hs->acc = 0;
	hs->n = 0;
}

static inline void hash_word(struct hasher *hs, uint64_t w)
{
	hs->h ^= w;
	hs->h *= 0x100000001b3ULL;
	hs->h ^= hs->h >> 29;
	hs->h *= 0xff51afd7ed558ccdULL;
}

static void hash_feed(struct hasher *hs, const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && hs->n) {
		hs->acc |= (uint64_t)p[i++] << (8 * hs->n);
		if (++hs->n == 8) {
			hash_word(hs, hs->acc);
			hs->acc = 0;
			hs->n = 0;
		}
	}
	for (; len - i >= 8; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		hash_word(hs, w);
	}
	while (i < len) {
		hs->acc |= (uint64_t)p[i++] << (8 * hs->n);
		hs->n++;
	}
}

static uint64_t hash_final(struct hasher *hs, long long total)
{
	struct hasher t = *hs;

	if (t.n)
		hash_word(&t, t.acc);
	hash_word(&t, (uint64_t)total);
	return t.h;
}

static const char *err_name(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "0";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* A size argument (tcpx_parse_size()), or exit 2. */
static long long size_arg(const char *s)
{
	long long v = tcpx_parse_size(s);

	if (v < 0) {
		fprintf(stderr, "bad size %s\n", s);
		exit(2);
	}
	return v;
}

static int info_level(void)
{
	return is_tcpx ? SOL_TCPX : IPPROTO_TCP;
}

/* One sample: info and memory, folded into the maxima. */
static void sample(int fd)
{
	union {
		struct tcpx_info x;
		struct tcp_info t;
	} u;
	struct tcpx_info ti;
	__u32 mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(u);
	long long m = 0, r = 0, w = 0;
	__u32 snd_wnd;

	memset(&ti, 0, sizeof(ti));
	memset(&u, 0, sizeof(u));
	memset(mem, 0, sizeof(mem));
	/* The leading fields are common; snd_wnd sits in different places. */
	if (getsockopt(fd, info_level(), TCP_INFO, &u, &len) == 0) {
		ti = u.x;
		last_info = ti;
		/* The smoothed RTT's floor, once it had a second to settle. */
		if (ti.tcpi_rtt && now_s() >= 1.0 &&
		    (min_rtt < 0 || ti.tcpi_rtt < min_rtt))
			min_rtt = ti.tcpi_rtt;
		if (ti.tcpi_total_retrans > max_total_retrans)
			max_total_retrans = ti.tcpi_total_retrans;
		if (ti.tcpi_snd_mss > max_snd_mss)
			max_snd_mss = ti.tcpi_snd_mss;
	}
	len = sizeof(mem);
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0) {
		r = (long long)mem[SK_MEMINFO_RMEM_ALLOC] + mem[SK_MEMINFO_BACKLOG];
		w = mem[SK_MEMINFO_WMEM_QUEUED];
	}
	/* tcpx's own accounting too, should it differ from the socket's. */
	if (is_tcpx) {
		if (ti.tcpi_rmem_alloc > r)
			r = ti.tcpi_rmem_alloc;
		if (ti.tcpi_wmem_queued > w)
			w = ti.tcpi_wmem_queued;
		if (ti.tcpi_win_probes > max_probes)
			max_probes = ti.tcpi_win_probes;
	}
	m = r + w;
	if (m > max_mem)
		max_mem = m;
	if (r > max_rmem)
		max_rmem = r;
	if (w > max_wmem)
		max_wmem = w;
	snd_wnd = is_tcpx ? ti.tcpi_snd_wnd : u.t.tcpi_snd_wnd;
	if ((ti.tcpi_state == 1 || ti.tcpi_state == 8) &&
	    (min_snd_wnd < 0 || snd_wnd < min_snd_wnd))
		min_snd_wnd = snd_wnd;
	if (verbose)
		printf("sample t=%.3f sent=%lld rcvd=%lld state=%u rtt=%u rttvar=%u rto=%u cwnd=%u ssthresh=%u unacked=%u lost=%u retrans=%u total_retrans=%u rmem=%lld wmem=%lld snd_wnd=%u\n",
		       now_s(), atomic_load(&a_sent), atomic_load(&a_rcvd),
		       ti.tcpi_state, ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_rto,
		       ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh, ti.tcpi_unacked,
		       ti.tcpi_lost, ti.tcpi_retrans, ti.tcpi_total_retrans, r, w,
		       snd_wnd);
}

static void *sampler(void *arg)
{
	int fd = *(int *)arg;

	while (!atomic_load(&done)) {
		sample(fd);
		usleep(sample_ms * 1000);
	}
	return NULL;
}

static long long peer_bytes(void)
{
	return listen_mode ? bytes_c2s : bytes_s2c;
}

static long long my_bytes(void)
{
	return listen_mode ? bytes_s2c : bytes_c2s;
}

static uint64_t my_seed(void)
{
	return listen_mode ? seed + 1 : seed;
}

static uint64_t peer_seed(void)
{
	return listen_mode ? seed : seed + 1;
}

/* Wait for POLLOUT; the longest wait and where it started are the stall. */
static int wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	double start = now_s();
	long ms;
	int n;

	do {
		n = poll(&p, 1, 1000);
	} while (n == 0 || (n < 0 && errno == EINTR));
	ms = (long)((now_s() - start) * 1000);
	/* The first wait of a second or more: a stopped reader's, usually. */
	if (ms >= 1000 && first_stall_at < 0)
		first_stall_at = sent;
	if (ms > stall_ms) {
		stall_ms = ms;
		stall_at = sent;
	}
	if (p.revents & (POLLERR | POLLHUP)) {
		int e = 0;
		socklen_t l = sizeof(e);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e)
			so_error = e;
		if (p.revents & POLLERR)
			return -1;
	}
	return 0;
}

static void *sender(void *arg)
{
	int fd = *(int *)arg;
	unsigned char *buf = malloc(CHUNK);
	long long total = my_bytes();
	struct hasher hs;
	int timed = duration > 0 && !listen_mode;
	double end = now_s() + duration;

	hash_init(&hs);
	while (timed ? now_s() < end : sent < total) {
		size_t len = CHUNK;
		ssize_t n;

		if (pace) {
			double ahead = sent / (double)pace - now_s();

			if (ahead > 0)
				usleep(ahead * 1e6);
			if ((long long)len > pace / 20 + 1)
				len = pace / 20 + 1;
		}
		if (!timed && total - sent < (long long)len)
			len = total - sent;
		stream_fill(my_seed(), sent, buf, len);
		n = send(fd, buf, len, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			eagain++;
			if (wait_writable(fd) < 0) {
				send_err = so_error ? so_error : EIO;
				break;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			send_err = errno;
			break;
		}
		hash_feed(&hs, buf, n);
		sent += n;
		atomic_store(&a_sent, sent);
	}
	sent_hash = hash_final(&hs, sent);
	if (!send_err && shutdown(fd, SHUT_WR))
		send_err = errno;
	free(buf);
	return NULL;
}

static void receiver(int fd)
{
	unsigned char *buf = malloc(CHUNK), *exp = malloc(CHUNK);
	struct hasher hs;
	int paused = 0;

	hash_init(&hs);
	for (;;) {
		size_t want = CHUNK;
		ssize_t n;

		if (!paused && pause_at >= 0 && rcvd >= pause_at) {
			paused = 1;
			usleep(pause_ms * 1000);
		}
		if (!paused && pause_at >= 0 && pause_at - rcvd < (long long)want)
			want = pause_at - rcvd;
		if (!want)
			continue;
		n = recv(fd, buf, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			recv_err = errno;
			break;
		}
		if (n == 0)
			break;
		stream_fill(peer_seed(), rcvd, exp, n);
		if (first_bad < 0 && memcmp(buf, exp, n)) {
			ssize_t i = 0;

			while (buf[i] == exp[i])
				i++;
			first_bad = rcvd + i;
		}
		hash_feed(&hs, buf, n);
		rcvd += n;
		atomic_store(&a_rcvd, rcvd);
	}
	recv_hash = hash_final(&hs, rcvd);
	free(buf);
	free(exp);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -l [-a ADDR] [-p PORT] | -c ADDR -p PORT\n"
		"  [-f tcp|tcpx|N] [-n BYTES] [-m BYTES] [-d SECONDS] [-r BYTES/S] [-s SEED]\n"
		"  [-R RCVBUF] [-S SNDBUF] [-P BYTES:MS] [-N] [-u MS] [-i MS] [-v] [-t SECONDS]\n",
		prog);
	exit(2);
}

static volatile sig_atomic_t timed_out;
static volatile int alarm_fd = -1;

/*
 * Out of time: shut the connection down so that the blocked calls return
 * and the result line (ok=0 timeout=1, with what was measured) is still
 * printed; if even that hangs, give up 5 s later.
 */
static void on_alarm(int sig)
{
	static const char msg[] = "result ok=0 timeout=1 hung=1\n";

	(void)sig;
	if (!timed_out && alarm_fd >= 0) {
		timed_out = 1;
		shutdown(alarm_fd, SHUT_RDWR);
		alarm(5);
		return;
	}
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

int main(int argc, char **argv)
{
	struct tcpx_sockaddr sa;
	pthread_t st, sm;
	int fd, cfd, opt, one = 1, ok;
	socklen_t len;
	const char *ms;

	family = tcpx_sys_family();
	while ((opt = getopt(argc, argv, "lc:a:p:f:n:m:d:r:s:R:S:P:Nu:i:vt:")) != -1) {
		switch (opt) {
		case 'l': listen_mode = 1; break;
		case 'c': addr_str = optarg; break;
		case 'a': addr_str = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'f':
			family = tcpx_family_of(optarg);
			if (family < 0)
				usage(argv[0]);
			break;
		case 'n': bytes_c2s = size_arg(optarg); break;
		case 'm': bytes_s2c = size_arg(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'r': pace = size_arg(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'R': rcvbuf = size_arg(optarg); break;
		case 'S': sndbuf = size_arg(optarg); break;
		case 'P':
			pause_at = tcpx_parse_size_end(optarg, &ms);
			if (pause_at < 0 || *ms != ':')
				usage(argv[0]);
			pause_ms = atoi(ms + 1);
			break;
		case 'N': nonblock = 1; break;
		case 'u': user_timeout = atoi(optarg); break;
		case 'i': sample_ms = atoi(optarg); break;
		case 'v': verbose = 1; break;
		case 't': max_seconds = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (!listen_mode && !addr_str)
		usage(argv[0]);
	if (bytes_s2c < 0)
		bytes_s2c = bytes_c2s;
	is_tcpx = family != AF_INET;
	if (tcpx_parse_ip46(addr_str ?: "any", &sa))
		usage(argv[0]);
	tcpx_sockaddr_set_port(&sa, port);
	family = tcpx_family_for(family, &sa);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(max_seconds);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("result socket_err=%s\n", err_name(errno));
		return errno == EAFNOSUPPORT ? 4 : 1;
	}
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		perror("SO_RCVBUF");
	if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		perror("SO_SNDBUF");
	if (user_timeout &&
	    setsockopt(fd, info_level(), TCP_USER_TIMEOUT, &user_timeout,
		       sizeof(user_timeout)))
		perror("USER_TIMEOUT");

	if (listen_mode) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, &sa.sa, sa.len) || listen(fd, 4)) {
			printf("result listen_err=%s\n", err_name(errno));
			return 1;
		}
		len = sa.len;
		getsockname(fd, &sa.sa, &len);
		printf("listening %u\n", tcpx_sockaddr_port(&sa));
		cfd = accept(fd, NULL, NULL);
		if (cfd < 0) {
			printf("result accept_err=%s\n", err_name(errno));
			return 1;
		}
		close(fd);
		fd = cfd;
	} else if (connect(fd, &sa.sa, sa.len)) {
		printf("result connect_err=%s elapsed_ms=%ld\n", err_name(errno),
		       (long)(now_s() * 1000));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* -t is for the transfer: process start-up can take seconds. */
	alarm(max_seconds);
	alarm_fd = fd;
	len = sizeof(eff_rcvbuf);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &eff_rcvbuf, &len);
	len = sizeof(eff_sndbuf);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &eff_sndbuf, &len);

	pthread_create(&sm, NULL, sampler, &fd);
	pthread_create(&st, NULL, sender, &fd);
	receiver(fd);
	pthread_join(st, NULL);
	sample(fd);
	atomic_store(&done, 1);
	pthread_join(sm, NULL);

	/* What autotuning made of the buffers. */
	len = sizeof(end_rcvbuf);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &end_rcvbuf, &len);
	len = sizeof(end_sndbuf);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &end_sndbuf, &len);

	ok = !timed_out && !send_err && !recv_err && first_bad < 0 &&
	     ((duration > 0 && !listen_mode) || sent == my_bytes()) &&
	     ((duration > 0 && listen_mode) || rcvd == peer_bytes());
	printf("result ok=%d timeout=%d family=%s elapsed_ms=%ld sent=%lld sent_hash=%016" PRIx64
	       " rcvd=%lld recv_hash=%016" PRIx64 " first_bad=%lld"
	       " send_err=%s recv_err=%s so_error=%s eagain=%lld stall_ms=%ld stall_at=%lld"
	       " first_stall_at=%lld"
	       " rcvbuf=%d sndbuf=%d max_mem=%lld max_rmem=%lld max_wmem=%lld"
	       " min_snd_wnd=%lld win_probes=%lld rtt=%u min_rtt=%lld rttvar=%u rto=%u cwnd=%u"
	       " total_retrans=%lld snd_mss=%u max_snd_mss=%lld pmtu=%u"
	       " end_rcvbuf=%d end_sndbuf=%d rcv_rtt=%u rcv_space=%u\n",
	       ok, timed_out, is_tcpx ? "tcpx" : "tcp", (long)(now_s() * 1000),
	       sent, sent_hash, rcvd, recv_hash, first_bad,
	       err_name(send_err), err_name(recv_err), err_name(so_error),
	       eagain, stall_ms, stall_at, first_stall_at, eff_rcvbuf, eff_sndbuf,
	       max_mem, max_rmem, max_wmem, min_snd_wnd, max_probes,
	       last_info.tcpi_rtt, min_rtt, last_info.tcpi_rttvar, last_info.tcpi_rto,
	       last_info.tcpi_snd_cwnd, max_total_retrans, last_info.tcpi_snd_mss,
	       max_snd_mss, last_info.tcpi_pmtu, end_rcvbuf, end_sndbuf,
	       last_info.tcpi_rcv_rtt, last_info.tcpi_rcv_space);
	close(fd);
	return ok ? 0 : 1;
}
