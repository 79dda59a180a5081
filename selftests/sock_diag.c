// SPDX-License-Identifier: GPL-2.0
/*
 * tcpx's sock_diag (inet_diag for IP protocol 253), checked against TCP's
 * (protocol 6): every TEST_F runs on AF_TCPX with protocol 253 and on
 * AF_INET/AF_INET6 TCP with protocol 6, over IPv4, IPv6 and v4-mapped
 * addresses, through raw NETLINK_SOCK_DIAG messages.
 *
 * Covered: listeners, established pairs and TIME-WAIT socks in a dump
 * (family, state, ports, addresses, queues, timer, INET_DIAG_INFO's
 * tcpi_state, SKMEMINFO, CONG); neither protocol's dump lists the other's
 * sockets; the state filter; a bytecode address filter (IPv4, IPv6, and an
 * IPv4 prefix on v4-mapped addresses); an exact lookup by 4-tuple and
 * cookie, of a connection and of a listener; SOCK_DESTROY resets the peer;
 * a SYN-RECV request sock (TCP_DEFER_ACCEPT holds it); a dump of 10,000
 * tcpx sockets while others come and go lists each one that stays exactly
 * once (tcpx's own promise, not TCP's).  Not covered: the
 * addresses of an IPv4 request of a dual-stack listener, the lookup and
 * destruction of request and TIME-WAIT socks.
 *
 * Run as root with tcpx.ko loaded; without inet_diag (the debug kernel
 * has none) or without the module, the variants SKIP.  KTAP output.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcpx_test.h"

/* Records a dump may hold: TIME-WAITs of earlier tests are in it too. */
#define MAX_REC		32768
#define ALL_STATES	0xfff
#define EXT_ALL		((1 << (INET_DIAG_INFO - 1)) | \
			 (1 << (INET_DIAG_SKMEMINFO - 1)) | \
			 (1 << (INET_DIAG_CONG - 1)))

enum { V4, V6, MAPPED };

struct drec {
	struct inet_diag_msg	m;
	int			info_state;	/* -1: no INET_DIAG_INFO */
	bool			skmem;
	bool			cong;
};

struct query {
	int			type;		/* SOCK_DIAG_BY_FAMILY, SOCK_DESTROY */
	int			flags;		/* NLM_F_DUMP or 0 */
	int			proto;
	int			family;
	unsigned int		states;
	const struct inet_diag_sockid *id;
	const void		*bc;
	int			bclen;
};

/*
 * Sends q; fills out[] with the answers.  Their count, or -errno:
 * -ENOSPC if there were more than max.
 */
static int diag(const struct query *q, struct drec *out, int max)
{
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	r;
		char			bc[256];
	} req;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static char buf[65536];
	int fd, n = 0, ret = 0;
	bool over = false;
	size_t len = NLMSG_LENGTH(sizeof(req.r));

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = q->type;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | q->flags |
			      (q->type == SOCK_DESTROY ? NLM_F_ACK : 0);
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = q->family;
	req.r.sdiag_protocol = q->proto;
	req.r.idiag_states = q->states;
	req.r.idiag_ext = EXT_ALL;
	if (q->id)
		req.r.id = *q->id;
	else
		req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] =
			INET_DIAG_NOCOOKIE;
	if (q->bc) {
		struct nlattr *a = (void *)((char *)&req + NLMSG_ALIGN(len));

		a->nla_type = INET_DIAG_REQ_BYTECODE;
		a->nla_len = NLA_HDRLEN + q->bclen;
		memcpy((char *)a + NLA_HDRLEN, q->bc, q->bclen);
		len = NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
	}
	req.nlh.nlmsg_len = len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, len, 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (void *)buf;

		if (got < 0) {
			ret = -errno;
			goto out;
		}
		for (; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE) {
				int err = *(int *)NLMSG_DATA(h);

				ret = err < 0 ? err : over ? -ENOSPC : n;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				if (!ret)
					ret = n;
				goto out;
			}
			if (n == max) {
				over = true;
				continue;
			}
			memset(&out[n], 0, sizeof(out[n]));
			out[n].m = *m;
			out[n].info_state = -1;
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (void *)(m + 1); RTA_OK(a, alen);
			     a = RTA_NEXT(a, alen)) {
				if (a->rta_type == INET_DIAG_INFO)
					out[n].info_state =
						*(unsigned char *)RTA_DATA(a);
				else if (a->rta_type == INET_DIAG_SKMEMINFO)
					out[n].skmem = true;
				else if (a->rta_type == INET_DIAG_CONG)
					out[n].cong = true;
			}
			n++;
		}
		if (!(q->flags & NLM_F_DUMP)) {
			ret = n;
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}

static int dump(int proto, int family, unsigned int states,
		struct drec *out)
{
	struct query q = {
		.type = SOCK_DIAG_BY_FAMILY, .flags = NLM_F_DUMP,
		.proto = proto, .family = family, .states = states,
	};

	return diag(&q, out, MAX_REC);
}

/*
 * The record with local port sport and peer port dport: 0 for a listener.
 * Not a wildcard: another protocol's or family's sockets, the TIME-WAITs
 * of earlier tests among them, may have the same local port number.
 */
static struct drec *find(struct drec *r, int n, int sport, int dport)
{
	int i;

	for (i = 0; i < n; i++)
		if (ntohs(r[i].m.id.idiag_sport) == sport &&
		    ntohs(r[i].m.id.idiag_dport) == dport)
			return &r[i];
	return NULL;
}

FIXTURE(diag) {
	int family;		/* AF_TCPX's number, 0 for TCP */
	int proto, other;	/* this variant's protocol, the other's */
	const char *skip;
	struct drec *rec;	/* MAX_REC of them */
	int lfd, cfd, afd;	/* listener, client, accepted */
	int lport, cport;
	pid_t churn;		/* the churn test's child, killed at teardown */
};

FIXTURE_VARIANT(diag) {
	bool tcpx;
	int af;			/* V4, V6, MAPPED */
};

FIXTURE_VARIANT_ADD(diag, tcpx_ipv4) { .tcpx = true, .af = V4 };
FIXTURE_VARIANT_ADD(diag, tcpx_ipv6) { .tcpx = true, .af = V6 };
FIXTURE_VARIANT_ADD(diag, tcpx_mapped) { .tcpx = true, .af = MAPPED };
FIXTURE_VARIANT_ADD(diag, tcp_ipv4) { .af = V4 };
FIXTURE_VARIANT_ADD(diag, tcp_ipv6) { .af = V6 };
FIXTURE_VARIANT_ADD(diag, tcp_mapped) { .af = MAPPED };

static int mksock(struct __test_metadata *_metadata, int family, int af)
{
	int fd = socket(family ? family : af, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	return fd;
}

/* The listener's address: 127.0.0.1, ::1, or :: for v4-mapped peers. */
static socklen_t laddr(int af, struct sockaddr_storage *ss, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == V4) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (void *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (af == V6)
		sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

FIXTURE_SETUP(diag)
{
	struct drec r;
	struct query q = {
		.type = SOCK_DIAG_BY_FAMILY, .flags = NLM_F_DUMP,
		.family = AF_INET, .states = ALL_STATES,
	};
	int err;

	self->lfd = self->cfd = self->afd = -1;
	self->churn = 0;
	self->rec = calloc(MAX_REC, sizeof(*self->rec));
	ASSERT_NE(NULL, self->rec);
	self->proto = variant->tcpx ? IPPROTO_TCPX : IPPROTO_TCP;
	self->other = variant->tcpx ? IPPROTO_TCP : IPPROTO_TCPX;
	if (variant->tcpx) {
		self->family = tcpx_family();
		if (self->family < 0) {
			self->skip = TCPX_ABSENT;
			return;
		}
	}
	q.proto = self->proto;
	err = diag(&q, &r, 1);
	if (err < 0 && err != -ENOSPC)
		self->skip = "no inet_diag for this protocol (CONFIG_INET_DIAG?)";
}

FIXTURE_TEARDOWN(diag)
{
	if (self->afd >= 0)
		close(self->afd);
	if (self->cfd >= 0)
		close(self->cfd);
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->churn > 0) {
		kill(self->churn, SIGKILL);
		waitpid(self->churn, NULL, 0);
	}
	free(self->rec);
}

#define SKIP_IF_NEEDED() do {						\
	if (self->skip)							\
		SKIP(return, "%s", self->skip);				\
} while (0)

/* The variant's listener (backlog 7) and, with connect, a pair. */
static void setup_conn(struct __test_metadata *_metadata,
		       FIXTURE_DATA(diag) *self, int af, bool connect_too)
{
	struct sockaddr_storage ss;
	socklen_t len;

	self->lfd = mksock(_metadata, self->family, af == V4 ? AF_INET : AF_INET6);
	len = laddr(af, &ss, 0);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&ss, len));
	ASSERT_EQ(0, listen(self->lfd, 7));
	self->lport = local_port(self->lfd);
	if (!connect_too)
		return;
	/* The mapped case: an IPv4 client of the dual-stack listener. */
	self->cfd = mksock(_metadata, self->family, af == V6 ? AF_INET6 : AF_INET);
	len = laddr(af == MAPPED ? V4 : af, &ss, self->lport);
	ASSERT_EQ(0, connect(self->cfd, (struct sockaddr *)&ss, len));
	self->afd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->afd);
	self->cport = local_port(self->cfd);
}

static void check_addr(struct __test_metadata *_metadata,
		       const struct drec *r, int family, bool wild)
{
	const uint32_t *a = r->m.id.idiag_src;

	ASSERT_EQ(family, r->m.idiag_family);
	if (family == AF_INET) {
		ASSERT_EQ(htonl(INADDR_LOOPBACK), a[0]);
		ASSERT_EQ(htonl(INADDR_LOOPBACK), r->m.id.idiag_dst[0]);
	} else if (wild) {
		ASSERT_EQ(0U, a[0] | a[1] | a[2] | a[3]);
	} else if (a[2] == htonl(0xffff)) {	/* v4-mapped */
		ASSERT_EQ(0U, a[0] | a[1]);
		ASSERT_EQ(htonl(INADDR_LOOPBACK), a[3]);
		ASSERT_EQ(htonl(INADDR_LOOPBACK), r->m.id.idiag_dst[3]);
	} else {
		ASSERT_EQ(0, memcmp(a, &in6addr_loopback, 16));
		ASSERT_EQ(0, memcmp(r->m.id.idiag_dst, &in6addr_loopback, 16));
	}
}

TEST_F(diag, listener)
{
	int lfam = variant->af == V4 ? AF_INET : AF_INET6;
	struct drec *r;
	int n;

	SKIP_IF_NEEDED();
	setup_conn(_metadata, self, variant->af, false);
	n = dump(self->proto, lfam, ALL_STATES, self->rec);
	ASSERT_LE(0, n);
	r = find(self->rec, n, self->lport, 0);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(TCP_LISTEN, r->m.idiag_state);
	ASSERT_EQ(lfam, r->m.idiag_family);
	if (lfam == AF_INET)
		ASSERT_EQ(htonl(INADDR_LOOPBACK), r->m.id.idiag_src[0]);
	ASSERT_EQ(0, r->m.id.idiag_dport);
	ASSERT_EQ(0U, r->m.idiag_rqueue);
	ASSERT_EQ(7U, r->m.idiag_wqueue);
	ASSERT_EQ(TCP_LISTEN, r->info_state);
	ASSERT_TRUE(r->skmem);
	ASSERT_TRUE(r->cong);
	ASSERT_NE(0U, r->m.idiag_inode);
	/* Not in the other family's dump, nor in the other protocol's. */
	n = dump(self->proto, lfam == AF_INET ? AF_INET6 : AF_INET, ALL_STATES,
		 self->rec);
	ASSERT_LE(0, n);
	ASSERT_EQ(NULL, find(self->rec, n, self->lport, 0));
	n = dump(self->other, lfam, ALL_STATES, self->rec);
	if (n >= 0)
		ASSERT_EQ(NULL, find(self->rec, n, self->lport, 0));
}

TEST_F(diag, established)
{
	int cfam = variant->af == V6 ? AF_INET6 : AF_INET;
	int afam = variant->af == V4 ? AF_INET : AF_INET6;
	struct drec *r;
	int n, i;

	SKIP_IF_NEEDED();
	setup_conn(_metadata, self, variant->af, true);
	ASSERT_EQ(3, send(self->cfd, "abc", 3, 0));
	for (i = 0; i < 50; i++) {	/* until the 3 bytes are queued */
		n = dump(self->proto, afam, 1 << TCP_ESTABLISHED, self->rec);
		ASSERT_LE(0, n);
		r = find(self->rec, n, self->lport, self->cport);
		ASSERT_NE(NULL, r);
		if (r->m.idiag_rqueue == 3)
			break;
		usleep(20000);
	}
	ASSERT_EQ(TCP_ESTABLISHED, r->m.idiag_state);
	ASSERT_EQ(3U, r->m.idiag_rqueue);
	ASSERT_EQ(TCP_ESTABLISHED, r->info_state);
	check_addr(_metadata, r, afam, false);
	if (variant->af == MAPPED)
		ASSERT_EQ(htonl(0xffff), r->m.id.idiag_src[2]);

	n = dump(self->proto, cfam, 1 << TCP_ESTABLISHED, self->rec);
	ASSERT_LE(0, n);
	r = find(self->rec, n, self->cport, self->lport);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(TCP_ESTABLISHED, r->info_state);
	ASSERT_EQ(0U, r->m.idiag_wqueue);
	check_addr(_metadata, r, cfam, false);
	ASSERT_NE(0U, r->m.idiag_inode);

	/* The state filter: the listener is not established. */
	for (i = 0; i < n; i++)
		ASSERT_EQ(TCP_ESTABLISHED, self->rec[i].m.idiag_state);
	n = dump(self->proto, afam, 1 << TCP_LISTEN, self->rec);
	ASSERT_LE(0, n);
	ASSERT_NE(NULL, find(self->rec, n, self->lport, 0));
	ASSERT_EQ(NULL, find(self->rec, n, self->lport, self->cport));
	ASSERT_EQ(NULL, find(self->rec, n, self->cport, 0));

	/* The other protocol's dump has none of them. */
	n = dump(self->other, cfam, ALL_STATES, self->rec);
	if (n >= 0) {
		ASSERT_EQ(NULL, find(self->rec, n, self->cport, self->lport));
		ASSERT_EQ(NULL, find(self->rec, n, self->lport, self->cport));
	}
}

TEST_F(diag, exact_lookup)
{
	int cfam = variant->af == V6 ? AF_INET6 : AF_INET;
	int lfam = variant->af == V4 ? AF_INET : AF_INET6;
	struct inet_diag_sockid id;
	struct query q = {
		.type = SOCK_DIAG_BY_FAMILY, .family = cfam, .id = &id,
	};
	struct drec *r, one;
	int n;

	SKIP_IF_NEEDED();
	setup_conn(_metadata, self, variant->af, true);
	n = dump(self->proto, cfam, ALL_STATES, self->rec);
	ASSERT_LE(0, n);
	r = find(self->rec, n, self->cport, self->lport);
	ASSERT_NE(NULL, r);
	id = r->m.id;
	q.proto = self->proto;
	ASSERT_EQ(1, diag(&q, &one, 1));
	ASSERT_EQ(0, memcmp(&one.m.id, &r->m.id, sizeof(id)));
	ASSERT_EQ(r->m.idiag_inode, one.m.idiag_inode);
	ASSERT_EQ(TCP_ESTABLISHED, one.info_state);
	/* Without the cookie, by the 4-tuple alone. */
	id.idiag_cookie[0] = id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	ASSERT_EQ(1, diag(&q, &one, 1));
	ASSERT_EQ(r->m.idiag_inode, one.m.idiag_inode);
	/* A wrong cookie finds nothing, nor does the other protocol. */
	id.idiag_cookie[0] = r->m.id.idiag_cookie[0] + 1;
	id.idiag_cookie[1] = r->m.id.idiag_cookie[1];
	ASSERT_EQ(-ENOENT, diag(&q, &one, 1));
	id = r->m.id;
	q.proto = self->other;
	n = diag(&q, &one, 1);
	ASSERT_GT(0, n);
	/* The listener, by the id its dump gave. */
	n = dump(self->proto, lfam, 1 << TCP_LISTEN, self->rec);
	ASSERT_LE(0, n);
	r = find(self->rec, n, self->lport, 0);
	ASSERT_NE(NULL, r);
	id = r->m.id;
	q.family = lfam;
	q.proto = self->proto;
	ASSERT_EQ(1, diag(&q, &one, 1));
	ASSERT_EQ(r->m.idiag_inode, one.m.idiag_inode);
	ASSERT_EQ(TCP_LISTEN, one.info_state);
}

/*
 * A source-address condition: the variant's loopback address, then the
 * one after it.  Over MAPPED it is an IPv4 prefix in an AF_INET6 dump,
 * which the accepted socket's v4-mapped address matches and the [::]
 * listener's does not.
 */
TEST_F(diag, bytecode)
{
	struct {
		struct inet_diag_bc_op		op;
		struct inet_diag_hostcond	c;
		uint32_t			addr[4];
	} bc = {
		.op = { .code = INET_DIAG_BC_S_COND, .yes = sizeof(bc),
			.no = sizeof(bc) + 4 },
		.c = { .family = AF_INET, .prefix_len = 32, .port = -1 },
	};
	int lfam = variant->af == V4 ? AF_INET : AF_INET6;
	struct query q = {
		.type = SOCK_DIAG_BY_FAMILY, .flags = NLM_F_DUMP,
		.family = lfam, .bc = &bc, .bclen = sizeof(bc),
	};
	bool v4 = variant->af != V6;
	uint32_t *last = &bc.addr[v4 ? 0 : 3];
	int n, i;

	SKIP_IF_NEEDED();
	setup_conn(_metadata, self, variant->af, true);
	q.proto = self->proto;
	if (v4) {
		bc.addr[0] = htonl(INADDR_LOOPBACK);
	} else {
		bc.c.family = AF_INET6;
		bc.c.prefix_len = 128;
		memcpy(bc.addr, &in6addr_loopback, sizeof(bc.addr));
	}
	for (i = 0; i < 2; i++) {
		q.states = 1 << TCP_LISTEN;
		n = diag(&q, self->rec, MAX_REC);
		ASSERT_LE(0, n);
		ASSERT_EQ(i == 0 && variant->af != MAPPED,
			  !!find(self->rec, n, self->lport, 0));
		q.states = 1 << TCP_ESTABLISHED;
		n = diag(&q, self->rec, MAX_REC);
		ASSERT_LE(0, n);
		ASSERT_EQ(i == 0, !!find(self->rec, n, self->lport,
					 self->cport));
		/* The client is in this dump unless it is the IPv4 one. */
		if (variant->af != MAPPED) {
			ASSERT_EQ(i == 0, !!find(self->rec, n, self->cport,
						 self->lport));
		}
		*last = htonl(ntohl(*last) + 1);
	}
}

TEST_F(diag, time_wait)
{
	int cfam = variant->af == V6 ? AF_INET6 : AF_INET;
	struct drec *r = NULL;
	char c;
	int n, i;

	SKIP_IF_NEEDED();
	setup_conn(_metadata, self, variant->af, true);
	/* The client closes first: its end waits in TIME-WAIT. */
	close(self->cfd);
	self->cfd = -1;
	ASSERT_EQ(0, recv(self->afd, &c, 1, 0));
	close(self->afd);
	self->afd = -1;
	for (i = 0; i < 50 && !r; i++) {
		n = dump(self->proto, cfam, 1 << TCP_TIME_WAIT, self->rec);
		ASSERT_LE(0, n);
		r = find(self->rec, n, self->cport, self->lport);
		if (!r)
			usleep(20000);
	}
	ASSERT_NE(NULL, r);
	ASSERT_EQ(TCP_TIME_WAIT, r->m.idiag_state);
	ASSERT_EQ(3, r->m.idiag_timer);
	ASSERT_EQ(-1, r->info_state);
	check_addr(_metadata, r, cfam, false);
	/* Not established any more, nor listed by the other protocol. */
	n = dump(self->proto, cfam, 1 << TCP_ESTABLISHED, self->rec);
	ASSERT_LE(0, n);
	ASSERT_EQ(NULL, find(self->rec, n, self->cport, self->lport));
	n = dump(self->other, cfam, ALL_STATES, self->rec);
	if (n >= 0)
		ASSERT_EQ(NULL, find(self->rec, n, self->cport, self->lport));
}

/*
 * A request sock: with TCP_DEFER_ACCEPT the listener drops the third ACK
 * while it carries no data, so the connection stays SYN-RECV on its side.
 */
TEST_F(diag, syn_recv)
{
	int lfam = variant->af == V4 ? AF_INET : AF_INET6;
	struct sockaddr_storage ss;
	struct drec *r = NULL;
	socklen_t len;
	int n, i;

	SKIP_IF_NEEDED();
	self->lfd = mksock(_metadata, self->family, lfam);
	len = laddr(variant->af, &ss, 0);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&ss, len));
	ASSERT_EQ(0, set_int(self->lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 30));
	ASSERT_EQ(0, listen(self->lfd, 7));
	self->lport = local_port(self->lfd);
	self->cfd = mksock(_metadata, self->family,
			   variant->af == V6 ? AF_INET6 : AF_INET);
	len = laddr(variant->af == MAPPED ? V4 : variant->af, &ss, self->lport);
	ASSERT_EQ(0, connect(self->cfd, (struct sockaddr *)&ss, len));
	self->cport = local_port(self->cfd);
	for (i = 0; i < 50 && !r; i++) {
		n = dump(self->proto, lfam, 1 << TCP_SYN_RECV, self->rec);
		ASSERT_LE(0, n);
		r = find(self->rec, n, self->lport, self->cport);
		if (!r)
			usleep(20000);
	}
	ASSERT_NE(NULL, r);
	ASSERT_EQ(TCP_SYN_RECV, r->m.idiag_state);
	ASSERT_EQ(lfam, r->m.idiag_family);
	ASSERT_EQ(1, r->m.idiag_timer);
	ASSERT_EQ(-1, r->info_state);
	if (variant->af != MAPPED)
		check_addr(_metadata, r, lfam, false);
	/* Not established, nor in the other protocol's dump. */
	n = dump(self->proto, lfam, 1 << TCP_ESTABLISHED, self->rec);
	ASSERT_LE(0, n);
	ASSERT_EQ(NULL, find(self->rec, n, self->lport, self->cport));
	n = dump(self->other, lfam, ALL_STATES, self->rec);
	if (n >= 0)
		ASSERT_EQ(NULL, find(self->rec, n, self->lport, self->cport));
}

TEST_F(diag, destroy)
{
	int afam = variant->af == V4 ? AF_INET : AF_INET6;
	struct inet_diag_sockid id;
	struct query q = { .type = SOCK_DESTROY, .family = afam, .id = &id };
	struct timeval tv = { .tv_sec = 5 };
	struct drec *r;
	char c;
	int n;

	SKIP_IF_NEEDED();
	setup_conn(_metadata, self, variant->af, true);
	n = dump(self->proto, afam, ALL_STATES, self->rec);
	ASSERT_LE(0, n);
	r = find(self->rec, n, self->lport, self->cport);
	ASSERT_NE(NULL, r);
	id = r->m.id;
	q.proto = self->proto;
	n = diag(&q, NULL, 0);
	if (n == -EOPNOTSUPP)
		SKIP(return, "no CONFIG_INET_DIAG_DESTROY");
	ASSERT_EQ(0, n);
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	/* The peer is reset, the owner's socket aborted. */
	ASSERT_EQ(-1, recv(self->cfd, &c, 1, 0));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, recv(self->afd, &c, 1, 0));
	ASSERT_EQ(ECONNABORTED, errno);
	n = dump(self->proto, afam, ALL_STATES, self->rec);
	ASSERT_LE(0, n);
	ASSERT_EQ(NULL, find(self->rec, n, self->lport, self->cport));
}

/* ---- a dump of 10,000 sockets while others come and go ----------------- */

#define CHURN_PAIRS	5000	/* 10,000 sockets and their listener */
#define CHURN_DUMPS	4

/* Closed with a RST: nothing left in TIME-WAIT for the tests after. */
static void close_rst(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * Until killed: connections to a listener of its own, each reset at once
 * by its accepted end, counted in *done.
 */
static void churn(int family, int af, volatile unsigned long *done)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int l, c, a, port;

	l = socket(family ? family : (af == V4 ? AF_INET : AF_INET6),
		   SOCK_STREAM, 0);
	len = laddr(af, &ss, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 64))
		_exit(1);
	port = local_port(l);
	for (;;) {
		c = socket(family ? family : (af == V4 ? AF_INET : AF_INET6),
			   SOCK_STREAM, 0);
		len = laddr(af, &ss, port);
		if (c < 0 || connect(c, (struct sockaddr *)&ss, len))
			_exit(1);
		a = accept(l, NULL, NULL);
		if (a < 0)
			_exit(1);
		close_rst(a);
		close(c);
		(*done)++;
	}
}

/*
 * CHURN_PAIRS connections on one listener stay while a child opens and
 * closes others: every dump completes, and lists each of the 10,001
 * sockets that stay exactly once, whatever came and went meanwhile.  Only
 * tcpx promises it: TCP's dump resumes inside a hash bucket at an index.
 */
TEST_F_TIMEOUT(diag, churn, 300)
{
	int fam = variant->af == V4 ? AF_INET : AF_INET6;
	static unsigned char seen_c[65536], seen_a[65536];
	struct rlimit rl = { 2 * CHURN_PAIRS + 64, 2 * CHURN_PAIRS + 64 };
	volatile unsigned long *done;
	unsigned long before;
	struct timespec t0, t1;
	int *fds, i, d, n, status;
	pid_t pid;

	SKIP_IF_NEEDED();
	if (!variant->tcpx || variant->af == MAPPED)
		SKIP(return, "tcpx's promise, tested over IPv4 and IPv6");
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	fds = calloc(2 * CHURN_PAIRS, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	setup_conn(_metadata, self, variant->af, false);
	for (i = 0; i < CHURN_PAIRS; i++) {
		struct sockaddr_storage ss;
		socklen_t len = laddr(variant->af, &ss, self->lport);

		fds[2 * i] = mksock(_metadata, self->family, fam);
		ASSERT_EQ(0, connect(fds[2 * i], (struct sockaddr *)&ss, len))
			TH_LOG("connection %d: %s", i, strerror(errno));
		fds[2 * i + 1] = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, fds[2 * i + 1]);
	}

	done = mmap(NULL, sizeof(*done), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, done);
	*done = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		churn(self->family, variant->af, done);
	self->churn = pid;
	while (*done < 10)	/* the churn is under way */
		usleep(10000);
	before = *done;

	for (d = 0; d < CHURN_DUMPS; d++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* TIME-WAITs are walked over, not listed: they are many. */
		n = dump(self->proto, fam,
			 1 << TCP_ESTABLISHED | 1 << TCP_LISTEN, self->rec);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ASSERT_LE(0, n) TH_LOG("dump %d: %s", d, strerror(-n));
		memset(seen_c, 0, sizeof(seen_c));
		memset(seen_a, 0, sizeof(seen_a));
		for (i = 0; i < n; i++) {
			const struct inet_diag_msg *m = &self->rec[i].m;
			int sp = ntohs(m->id.idiag_sport);
			int dp = ntohs(m->id.idiag_dport);

			if (dp == self->lport && seen_c[sp] < 255)
				seen_c[sp]++;
			else if (sp == self->lport && seen_a[dp] < 255)
				seen_a[dp]++;
		}
		ASSERT_EQ(1, seen_a[0]) TH_LOG("dump %d: the listener", d);
		for (i = 0; i < CHURN_PAIRS; i++) {
			int cp = local_port(fds[2 * i]);

			ASSERT_EQ(1, seen_c[cp])
				TH_LOG("dump %d: client %d listed %d times",
				       d, cp, seen_c[cp]);
			ASSERT_EQ(1, seen_a[cp])
				TH_LOG("dump %d: accepted %d listed %d times",
				       d, cp, seen_a[cp]);
		}
		TH_LOG("dump %d: %d records in %ld ms, %lu churned so far", d,
		       n, (t1.tv_sec - t0.tv_sec) * 1000 +
		       (t1.tv_nsec - t0.tv_nsec) / 1000000, *done);
	}
	/* The churn went on during the dumps. */
	ASSERT_LT(before, *done);
	kill(pid, SIGKILL);
	self->churn = 0;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("the churn failed");
	for (i = 0; i < 2 * CHURN_PAIRS; i++)
		close_rst(fds[i]);
	free(fds);
	munmap((void *)done, sizeof(*done));
}

TEST_HARNESS_MAIN
