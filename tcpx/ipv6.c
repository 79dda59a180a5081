// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6, everything the family-neutral core asks of it, as ipv4.c is for
 * IPv4: a socket turning IPv6 (bind, connect, getname), connect's route
 * and addresses, the ISN and timestamp-offset hashes, the pseudo-header
 * checksum, the socket's icsk_af_ops (tcpx_ipv6_specific, and
 * tcpx_ipv6_mapped for an IPv6 socket talking to an IPv4 peer), a
 * request's (tcpx_request_sock_ipv6_ops), replies outside a connection and
 * the lookups of a received segment (tcpx_ipv6_skb_ops), ICMPv6 errors,
 * and the protocol handler for next header tcpx_ipproto.
 *
 * Every AF_TCPX socket is dual-stack, as an AF_INET6 TCP socket: its first
 * bind() or connect() with a sockaddr_in6, or its first SOL_IPV6 option,
 * makes it an IPv6 socket (inet_sk(sk)->pinet6 set); one with a
 * sockaddr_in an IPv4 one.  sk_family stays the tcpx family, so the
 * kernel's IPv6 lookups (which test it) are replaced by hash.c's; the
 * kernel's IPv4 lookups find v4-mapped socks and [::] listeners as they
 * find TCP's.
 */
#include <linux/icmpv6.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/addrconf.h>
#include <net/inet6_connection_sock.h>
#include <net/inet6_hashtables.h>
#include <net/inet_common.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/transp_v6.h>

#include "mib.h"
#include "tcpx.h"

static const struct inet_connection_sock_af_ops tcpx_ipv6_specific;
static const struct inet_connection_sock_af_ops tcpx_ipv6_mapped;

/*
 * An IPv6 socket's (a full sock, a TIME-WAIT one or a request's listener)?
 * Only a TIME-WAIT sock has a family other than tcpx's (tcpx_v6_tw_init()).
 */
bool tcpx_sk_v6(const struct sock *sk)
{
	if (sk->sk_state == TCP_NEW_SYN_RECV)
		sk = inet_reqsk(sk)->rsk_listener;
	else if (sk->sk_family != tcpx_family)
		return sk->sk_family == AF_INET6;
	return inet_sk(sk)->pinet6;
}

/* Booted with ipv6.disable=1: IPv6 has no tables, tcpx no IPv6 sockets. */
static bool tcpx_ipv6_on;

/*
 * An undecided socket turns IPv6, as inet6_create() makes one; a socket
 * whose family is set stays as it is.  The socket is locked.  False if
 * IPv6 is off.
 */
bool tcpx_v6_become(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct ipv6_pinfo *np = &tsk->inet6;
	struct net *net = sock_net(sk);

	if (tsk->family_set)
		return true;
	if (!READ_ONCE(tcpx_ipv6_on))
		return false;
	WRITE_ONCE(tsk->family_set, 1);
	np->hop_limit = -1;
	np->mcast_hops = IPV6_DEFAULT_MCASTHOPS;
	np->pmtudisc = IPV6_PMTUDISC_WANT;
	sk->sk_ipv6only = READ_ONCE(net->ipv6.sysctl.bindv6only);
	/* Unhashed and unbound: nothing looks at it from softirq yet. */
	WRITE_ONCE(inet_sk(sk)->pinet6, np);
	tcpx_inet6_init_flags(sk, READ_ONCE(net->ipv6.sysctl.flowlabel_reflect) &
				  FLOWLABEL_REFLECT_ESTABLISHED);
	inet_csk(sk)->icsk_af_ops = &tcpx_ipv6_specific;
	return true;
}

/* A SOL_IPV6 option names the socket's family as its address would. */
void tcpx_v6_sockopt_level(struct sock *sk, int level)
{
	if (level != SOL_IPV6 || READ_ONCE(tcpx_sk(sk)->family_set))
		return;
	lock_sock(sk);
	tcpx_v6_become(sk);
	release_sock(sk);
}

/*
 * bind() of an IPv6 socket.  On failure __inet6_bind() resets the IPv6
 * address only of an AF_INET6 socket (inet_reset_saddr()): tcpx clears it.
 */
int tcpx_v6_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;
	int err = inet6_bind(sock, uaddr, addr_len);

	if (!err)
		return 0;
	lock_sock(sk);
	if (!inet_sk(sk)->inet_num) {
		inet_sk(sk)->pinet6->saddr = in6addr_any;
		sk->sk_v6_rcv_saddr = in6addr_any;
	}
	release_sock(sk);
	return err;
}

/*
 * A listener's child, just cloned: the listener's IPv6 state was copied
 * with it, pointers included; it gets its own, empty of options, lists
 * and queued packets, before anything can free it.
 */
void tcpx_v6_child_init(struct sock *newsk, const struct sock *sk)
{
	struct ipv6_pinfo *newnp = &tcpx_sk(newsk)->inet6;

	inet_sk(newsk)->pinet6 = newnp;
	RCU_INIT_POINTER(newnp->opt, NULL);
	RCU_INIT_POINTER(newnp->ipv6_mc_list, NULL);
	newnp->ipv6_ac_list = NULL;
	newnp->pktoptions = NULL;
	newnp->rxpmtu = NULL;
	tcpx_inet6_clear_fl_list(newsk);
}

/*
 * TIME-WAIT keeps the socket's IPv6 addresses, and its family as
 * tw_family: AF_INET6 for an IPv6 socket (v4-mapped ones too, as TCP's),
 * AF_INET for an IPv4 one.
 */
void tcpx_v6_tw_init(struct inet_timewait_sock *tw, const struct sock *sk)
{
	const struct ipv6_pinfo *np = inet_sk(sk)->pinet6;

	tw->tw_family = np ? AF_INET6 : AF_INET;
	tw->tw_v6_daddr = sk->sk_v6_daddr;
	tw->tw_v6_rcv_saddr = sk->sk_v6_rcv_saddr;
	tw->tw_ipv6only = sk->sk_ipv6only;
	if (np)
		tw->tw_tclass = np->tclass;
}

/* RFC 6528 over IPv6 addresses, as tcpx_v4_isn(). */
static u32 tcpx_v6_isn(const struct net *net, const struct in6_addr *saddr,
		       const struct in6_addr *daddr, __be16 sport,
		       __be16 dport)
{
	const struct {
		struct in6_addr saddr;
		struct in6_addr daddr;
		__be16 sport;
		__be16 dport;
	} __aligned(SIPHASH_ALIGNMENT) c = {
		.saddr = *saddr,
		.daddr = *daddr,
		.sport = sport,
		.dport = dport,
	};
	u32 hash = siphash(&c, offsetofend(typeof(c), dport),
			   &tcpx_pernet(net)->isn_key);

	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/* RFC 7323 7.1 over IPv6 addresses, as tcpx_v4_ts_off(). */
static u32 tcpx_v6_ts_off(const struct net *net, const struct in6_addr *saddr,
			  const struct in6_addr *daddr)
{
	const struct {
		struct in6_addr saddr;
		struct in6_addr daddr;
	} __aligned(SIPHASH_ALIGNMENT) c = {
		.saddr = *saddr,
		.daddr = *daddr,
	};

	return siphash(&c, sizeof(c), &tcpx_pernet(net)->ts_key);
}

/*
 * connect() to a v4-mapped address: the IPv4 connect, the socket's ops
 * IPv4's with IPv6 options (as tcp_v6_connect()).
 */
static int tcpx_v6_connect_mapped(struct sock *sk,
				  const struct sockaddr_in6 *usin)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = usin->sin6_port,
		.sin_addr.s_addr = usin->sin6_addr.s6_addr32[3],
	};
	int err;

	if (ipv6_only_sock(sk))
		return -ENETUNREACH;
	icsk->icsk_af_ops = &tcpx_ipv6_mapped;
	err = tcpx_v4_connect(sk, (struct sockaddr *)&sin, sizeof(sin));
	if (err) {
		icsk->icsk_af_ops = &tcpx_ipv6_specific;
		return err;
	}
	inet_sk(sk)->pinet6->saddr = sk->sk_v6_rcv_saddr;
	return 0;
}

/* RFC 9293 3.10.1 OPEN, active, over IPv6 (tcp_v6_connect()). */
int tcpx_v6_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in6 *usin = (struct sockaddr_in6 *)uaddr;
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	struct inet_sock *inet = inet_sk(sk);
	struct in6_addr *saddr = NULL, *final_p, final;
	struct ipv6_txoptions *opt;
	struct dst_entry *dst;
	struct flowi6 fl6;
	int addr_type, err;
	u32 tw_isn;

	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (usin->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;

	/* connect() to [::] means the loopback, as for TCP. */
	if (ipv6_addr_any(&usin->sin6_addr)) {
		if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),
					       &usin->sin6_addr);
		else
			usin->sin6_addr = in6addr_loopback;
	}
	addr_type = ipv6_addr_type(&usin->sin6_addr);
	if (addr_type & IPV6_ADDR_MULTICAST)
		return -ENETUNREACH;
	if (addr_type & IPV6_ADDR_LINKLOCAL) {
		if (addr_len >= sizeof(struct sockaddr_in6) &&
		    usin->sin6_scope_id) {
			if (!sk_dev_equal_l3scope(sk, usin->sin6_scope_id))
				return -EINVAL;
			sk->sk_bound_dev_if = usin->sin6_scope_id;
		}
		/* A link-local peer needs an interface. */
		if (!sk->sk_bound_dev_if)
			return -EINVAL;
	}
	sk->sk_v6_daddr = usin->sin6_addr;
	np->flow_label = 0;

	if (addr_type & IPV6_ADDR_MAPPED)
		return tcpx_v6_connect_mapped(sk, usin);
	inet_csk(sk)->icsk_af_ops = &tcpx_ipv6_specific;

	if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		saddr = &sk->sk_v6_rcv_saddr;
	memset(&fl6, 0, sizeof(fl6));
	fl6.flowi6_proto = tcpx_ipproto;
	fl6.daddr = sk->sk_v6_daddr;
	fl6.saddr = saddr ? *saddr : np->saddr;
	fl6.flowi6_oif = sk->sk_bound_dev_if;
	fl6.flowi6_mark = READ_ONCE(sk->sk_mark);
	fl6.fl6_dport = usin->sin6_port;
	fl6.fl6_sport = inet->inet_sport;
	fl6.flowi6_uid = sk->sk_uid;
	opt = rcu_dereference_protected(np->opt, lockdep_sock_is_held(sk));
	final_p = fl6_update_dst(&fl6, opt, &final);
	security_sk_classify_flow(sk, flowi6_to_flowi_common(&fl6));
	dst = ip6_dst_lookup_flow(sock_net(sk), sk, &fl6, final_p);
	if (IS_ERR(dst))
		return PTR_ERR(dst);

	if (!saddr) {
		saddr = &fl6.saddr;
		sk->sk_v6_rcv_saddr = *saddr;
	}
	np->saddr = *saddr;
	/* IPv4 lookups must never match an IPv6 connection. */
	inet->inet_rcv_saddr = LOOPBACK4_IPV6;
	inet->inet_saddr = LOOPBACK4_IPV6;
	inet->inet_daddr = LOOPBACK4_IPV6;
	tcpx_ip6_dst_store(sk, dst);
	inet_csk(sk)->icsk_ext_hdr_len = opt ? opt->opt_flen + opt->opt_nflen : 0;
	inet->inet_dport = usin->sin6_port;

	err = tcpx_connect_hash(sk, &tw_isn);
	if (!err) {
		sk_set_txhash(sk);
		err = tcpx_connect_syn(sk, dst,
				       tw_isn ? : tcpx_v6_isn(sock_net(sk),
							      &np->saddr,
							      &sk->sk_v6_daddr,
							      inet->inet_sport,
							      inet->inet_dport),
				       tcpx_v6_ts_off(sock_net(sk), &np->saddr,
						      &sk->sk_v6_daddr));
	}
	return err ? tcpx_connect_fail(sk, err) : 0;
}

/* The sum of the IPv6 pseudo-header (RFC 8200 8.1). */
static __wsum tcpx_v6_pseudo(const struct sk_buff *skb,
			     const struct in6_addr *saddr,
			     const struct in6_addr *daddr)
{
	int len = skb->len - skb_transport_offset(skb);

	return ~csum_unfold(csum_ipv6_magic(saddr, daddr, len, tcpx_ipproto, 0));
}

/* A reply without a socket, summed here. */
static void __tcpx_v6_send_check(struct sk_buff *skb,
				 const struct in6_addr *saddr,
				 const struct in6_addr *daddr)
{
	tcpx_csum_fill(skb, tcpx_v6_pseudo(skb, saddr, daddr));
}

static void tcpx_v6_send_check(struct sock *sk, struct sk_buff *skb)
{
	tcpx_csum_set(sk, skb, tcpx_v6_pseudo(skb, &inet_sk(sk)->pinet6->saddr,
					      &sk->sk_v6_daddr));
}

/* A request's addresses: the SYN's, swapped; a link-local peer's interface. */
static void tcpx_v6_init_req(struct request_sock *req,
			     const struct sk_buff *skb)
{
	struct inet_request_sock *ireq = inet_rsk(req);

	ireq->ir_v6_rmt_addr = ipv6_hdr(skb)->saddr;
	ireq->ir_v6_loc_addr = ipv6_hdr(skb)->daddr;
	if (!ireq->ir_iif &&
	    ipv6_addr_type(&ireq->ir_v6_rmt_addr) & IPV6_ADDR_LINKLOCAL)
		ireq->ir_iif = inet6_iif(skb);
}

static u32 tcpx_v6_init_seq(const struct net *net, const struct sk_buff *skb)
{
	return tcpx_v6_isn(net, &ipv6_hdr(skb)->daddr, &ipv6_hdr(skb)->saddr,
			   tcp_hdr(skb)->dest, tcp_hdr(skb)->source);
}

static u32 tcpx_v6_init_ts_off(const struct net *net, const struct sk_buff *skb)
{
	return tcpx_v6_ts_off(net, &ipv6_hdr(skb)->daddr, &ipv6_hdr(skb)->saddr);
}

/* A SYN cookie's hash (syncookies.c), over the segment's addresses as sent. */
static u32 tcpx_v6_cookie_hash(const struct sk_buff *skb, u32 count,
			       const siphash_key_t *key)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	const struct {
		struct in6_addr saddr;
		struct in6_addr daddr;
		__be16 sport;
		__be16 dport;
		u32 count;
	} __aligned(SIPHASH_ALIGNMENT) c = {
		.saddr = ip6h->saddr,
		.daddr = ip6h->daddr,
		.sport = th->source,
		.dport = th->dest,
		.count = count,
	};

	return siphash(&c, offsetofend(typeof(c), count), key);
}

static struct dst_entry *tcpx_v6_route_req(const struct sock *sk,
					   struct flowi *fl,
					   struct request_sock *req)
{
	return inet6_csk_route_req(sk, &fl->u.ip6, req, tcpx_ipproto);
}

/* A cookie's SYN+ACK: addresses swapped, the listener's bound device. */
static struct dst_entry *tcpx_v6_route_syn(const struct sock *sk,
					   struct flowi *fl,
					   struct sk_buff *syn)
{
	struct flowi6 *fl6 = &fl->u.ip6;
	struct dst_entry *dst;

	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = tcpx_ipproto;
	fl6->daddr = ipv6_hdr(syn)->saddr;
	fl6->saddr = ipv6_hdr(syn)->daddr;
	fl6->flowi6_oif = inet_request_bound_dev_if(sk, syn);
	if (!fl6->flowi6_oif && rt6_need_strict(&fl6->daddr))
		fl6->flowi6_oif = inet6_iif(syn);
	fl6->flowi6_mark = inet_request_mark(sk, syn);
	fl6->fl6_dport = tcp_hdr(syn)->source;
	fl6->fl6_sport = tcp_hdr(syn)->dest;
	fl6->flowi6_uid = sk->sk_uid;
	dst = ip6_dst_lookup_flow(sock_net(sk), sk, fl6, NULL);
	return IS_ERR(dst) ? NULL : dst;
}

/* A SYN+ACK, its route set: from and to the addresses it was routed for. */
static int tcpx_v6_send_synack(const struct sock *sk, struct flowi *fl,
			       struct sk_buff *skb)
{
	const struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	struct flowi6 *fl6 = &fl->u.ip6;
	int err;

	__tcpx_v6_send_check(skb, &fl6->saddr, &fl6->daddr);
	rcu_read_lock();
	err = ip6_xmit(sk, skb, fl6, skb->mark ? : READ_ONCE(sk->sk_mark),
		       rcu_dereference(np->opt), np->tclass,
		       READ_ONCE(sk->sk_priority));
	rcu_read_unlock();
	return err;
}

static const struct tcpx_request_sock_ops tcpx_request_sock_ipv6_ops =
	TCPX_REQUEST_SOCK_OPS(v6, ipv6hdr);

/* The kernel's, for IPv6 requests: IPv4's, slab included, but the family. */
struct request_sock_ops tcpx6_request_sock_ops __read_mostly;

/* A SYN for an IPv6 listener: IPv4 ones are IPv4's (v4-mapped children). */
static int tcpx_v6_conn_request(struct sock *sk, struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		return tcpx_v4_conn_request(sk, skb);
	if (!ipv6_unicast_destination(skb)) {
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_LISTENDROPS);
		return 0;
	}
	return tcpx_conn_request(&tcpx6_request_sock_ops,
				 &tcpx_request_sock_ipv6_ops, sk, skb);
}

/* An IPv6 listener's child of an IPv4 client: v4-mapped, IPv4's ops. */
static void tcpx_v6_mapped_child_init(struct sock *newsk)
{
	struct ipv6_pinfo *newnp = inet_sk(newsk)->pinet6;

	newnp->saddr = newsk->sk_v6_rcv_saddr;
	/* What IPv4 took from the segment that completes it. */
	newnp->mcast_oif = inet_sk(newsk)->mc_index;
	newnp->mcast_hops = inet_sk(newsk)->mc_ttl;
	inet_csk(newsk)->icsk_af_ops = &tcpx_ipv6_mapped;
}

/*
 * The child of a completed handshake on an IPv6 listener
 * (tcp_v6_syn_recv_sock()): an IPv4 client's is made by IPv4, v4-mapped;
 * an IPv6 one's takes the request's addresses, a copy of the listener's
 * IPv6 options and a route of its own.
 */
static struct sock *tcpx_v6_syn_recv_sock(const struct sock *sk,
					  struct sk_buff *skb,
					  struct request_sock *req,
					  struct dst_entry *dst,
					  struct request_sock *req_unhash,
					  bool *own_req TCPX_SYN_RECV_SOCK_HOOK)
{
	const struct ipv6_pinfo *np = inet_sk(sk)->pinet6;
	struct inet_request_sock *ireq = inet_rsk(req);
	struct ipv6_txoptions *opt;
	struct inet_sock *newinet;
	struct ipv6_pinfo *newnp;
	struct sock *newsk;
	struct flowi6 fl6;

	if (skb->protocol == htons(ETH_P_IP)) {
		newsk = tcpx_v4_child(sk, skb, req, &dst);
		if (!newsk)
			return NULL;
		tcpx_v6_mapped_child_init(newsk);
		return tcpx_syn_recv_child(sk, skb, req, newsk, dst,
					   req_unhash, own_req);
	}

	newsk = tcpx_create_openreq_child(sk, req);
	if (!newsk)
		return NULL;
	__acquire(newsk);	/* returned locked */
	newinet = inet_sk(newsk);
	newnp = newinet->pinet6;
	newsk->sk_v6_daddr = ireq->ir_v6_rmt_addr;
	newsk->sk_v6_rcv_saddr = ireq->ir_v6_loc_addr;
	newnp->saddr = ireq->ir_v6_loc_addr;
	newsk->sk_bound_dev_if = ireq->ir_iif;
	/* IPv4 lookups must never match an IPv6 connection. */
	newinet->inet_daddr = LOOPBACK4_IPV6;
	newinet->inet_saddr = LOOPBACK4_IPV6;
	newinet->inet_rcv_saddr = LOOPBACK4_IPV6;
	RCU_INIT_POINTER(newinet->inet_opt, NULL);
	newnp->mcast_oif = inet6_iif(skb);
	newnp->mcast_hops = ipv6_hdr(skb)->hop_limit;
	newnp->rcv_flowinfo = ip6_flowinfo(ipv6_hdr(skb));

	/* The listener's IPv6 options, a copy charged to the child. */
	opt = rcu_dereference(np->opt);
	if (opt) {
		opt = ipv6_dup_options(newsk, opt);
		RCU_INIT_POINTER(newnp->opt, opt);
	}
	inet_csk(newsk)->icsk_ext_hdr_len = opt ? opt->opt_nflen +
						  opt->opt_flen : 0;

	if (!dst)
		dst = inet6_csk_route_req(sk, &fl6, req, tcpx_ipproto);
	if (dst)
		tcpx_ip6_dst_store(newsk, dst);
	__release(newsk);	/* the child's rest takes it locked */
	return tcpx_syn_recv_child(sk, skb, req, newsk, dst, req_unhash,
				   own_req);
}

/* IPv6's af_ops mtu_reduced: now, or from release_cb if the owner held sk. */
static void tcpx_v6_mtu_reduced(struct sock *sk)
{
	struct dst_entry *dst;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	dst = inet6_csk_update_pmtu(sk, READ_ONCE(tcpx_sk(sk)->mtu_info));
	if (!dst)
		return;
	if (inet_csk(sk)->icsk_pmtu_cookie > dst_mtu(dst))
		tcpx_pmtu_lowered(sk, dst_mtu(dst));
}

static const struct inet_connection_sock_af_ops tcpx_ipv6_specific =
	TCPX_AF_OPS(inet6_csk_xmit, v6, ipv6hdr, v6, tcpx_v6_setsockopt,
		    tcpx_v6_getsockopt);

/* An IPv6 socket connected to an IPv4 peer (TCP's ipv6_mapped). */
static const struct inet_connection_sock_af_ops tcpx_ipv6_mapped =
	TCPX_AF_OPS(ip_queue_xmit, v4, iphdr, v6, tcpx_v6_setsockopt,
		    tcpx_v6_getsockopt);

/*
 * A reply outside a connection (output.c's tcpx_reply()), as IPv4's: no
 * RST answers a segment to a multicast address; the traffic class is the
 * sock's.
 */
static void tcpx_v6_send_reply(struct net *net, const struct sock *sk,
			       const struct sk_buff *in, struct sk_buff *skb)
{
	u32 mark = IP6_REPLY_MARK(net, in->mark), prio;
	const struct ipv6hdr *ip6h = ipv6_hdr(in);
	struct ipv6hdr *nip6h;
	struct dst_entry *dst;
	struct flowi6 fl6;
	u8 tclass = 0;

	/* A backlogged segment may have lost its route (skb_dst_force()). */
	if (tcp_hdr(skb)->rst && skb_dst(in) && !ipv6_unicast_destination(in))
		goto drop;
	tcpx_reply_mark(sk, &mark, &prio);
	if (sk && sk->sk_state == TCP_TIME_WAIT)
		tclass = inet_twsk(sk)->tw_tclass;
	else if (sk && inet_sk(sk)->pinet6)
		tclass = inet_sk(sk)->pinet6->tclass;
	memset(&fl6, 0, sizeof(fl6));
	fl6.daddr = ip6h->saddr;
	fl6.saddr = ip6h->daddr;
	fl6.flowi6_proto = tcpx_ipproto;
	if (rt6_need_strict(&fl6.daddr))
		fl6.flowi6_oif = inet6_iif(in);
	fl6.flowi6_mark = mark;
	fl6.fl6_dport = tcp_hdr(in)->source;
	fl6.fl6_sport = tcp_hdr(in)->dest;
	fl6.flowi6_uid = sock_net_uid(net, NULL);
	dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
	if (IS_ERR(dst))
		goto drop;
	__tcpx_v6_send_check(skb, &fl6.saddr, &fl6.daddr);

	skb_push(skb, sizeof(*nip6h));
	skb_reset_network_header(skb);
	nip6h = ipv6_hdr(skb);
	ip6_flow_hdr(nip6h, tclass, 0);
	nip6h->payload_len = htons(skb->len - sizeof(*nip6h));
	nip6h->nexthdr = tcpx_ipproto;
	nip6h->hop_limit = ip6_dst_hoplimit(dst);
	nip6h->saddr = fl6.saddr;
	nip6h->daddr = fl6.daddr;
	skb->protocol = htons(ETH_P_IPV6);
	tcpx_reply_out(net, skb, dst, mark, prio);
	ip6_local_out(net, NULL, skb);
	return;
drop:
	kfree_skb(skb);
}

/* The listener of a segment (input.c, minisocks.c). */
static struct sock *tcpx_v6_skb_listener(struct net *net, struct sk_buff *skb)
{
	return tcpx_v6_lookup_listener(net, &ipv6_hdr(skb)->daddr,
				       ntohs(tcp_hdr(skb)->dest),
				       inet6_iif(skb), inet6_sdif(skb));
}

/* IPV6_MINHOPCOUNT (RFC 5082), as tcp_v6_rcv() applies it. */
bool tcpx_v6_ttl_below(const struct sock *sk, const struct sk_buff *skb)
{
	const struct ipv6_pinfo *np = inet_sk(sk)->pinet6;

	return np && ipv6_hdr(skb)->hop_limit < READ_ONCE(np->min_hopcount);
}

const struct tcpx_skb_af_ops tcpx_ipv6_skb_ops =
	TCPX_SKB_AF_OPS(v6, tcpx6_request_sock_ops, tcpx_request_sock_ipv6_ops);

/* ICMPv6 errors (tcp_v6_err()): the quoted header names the connection. */
static int tcpx_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
		       u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *hdr = (const struct ipv6hdr *)skb->data;
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + offset);
	struct net *net = dev_net(skb->dev);
	struct sock *sk;
	bool fatal;
	int err;
	u32 seq;

	sk = tcpx_v6_lookup_established(net, &hdr->daddr, th->dest,
					&hdr->saddr, ntohs(th->source),
					skb->dev->ifindex, inet6_sdif(skb));
	if (!sk) {
		__ICMP6_INC_STATS(net, __in6_dev_get(skb->dev),
				  ICMP6_MIB_INERRORS);
		return -ENOENT;
	}
	if (sk->sk_state == TCP_TIME_WAIT) {
		inet_twsk_put(inet_twsk(sk));
		return 0;
	}
	seq = ntohl(th->seq);
	fatal = icmpv6_err_convert(type, code, &err);
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		tcpx_req_err(sk, seq, fatal);
		return 0;
	}

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk) && type != ICMPV6_PKT_TOOBIG)
		tcpx_inc_stats(net, TCPX_MIB_LOCKDROPPEDICMPS);
	if (sk->sk_state == TCP_CLOSE)
		goto out;
	/* The ICMPv6 packet's own hop limit, as tcp_v6_err(). */
	if (unlikely(ipv6_hdr(skb)->hop_limit <
		     READ_ONCE(inet_sk(sk)->pinet6->min_hopcount))) {
		tcpx_inc_stats(net, TCPX_MIB_MINTTLDROP);
		goto out;
	}
	if (!tcpx_icmp_in_flight(sk, seq))
		goto out;

	if (type == NDISC_REDIRECT) {
		if (!sock_owned_by_user(sk)) {
			struct dst_entry *dst = __sk_dst_check(sk,
						inet_sk(sk)->pinet6->dst_cookie);

			if (dst)
				dst->ops->redirect(dst, sk, skb);
		}
		goto out;
	}
	if (type == ICMPV6_PKT_TOOBIG) {
		u32 mtu = ntohl(info);

		/* An MTU below IPv6's minimum is a lie (RFC 8201 4). */
		if (sk->sk_state != TCP_LISTEN && ip6_sk_accept_pmtu(sk) &&
		    mtu >= IPV6_MIN_MTU)
			tcpx_icmp_mtu(sk, mtu);
	} else {
		tcpx_icmp_report(sk, err, tcpx_recverr6(sk));
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

static int tcpx_v6_rcv(struct sk_buff *skb)
{
	const struct ipv6hdr *hdr;
	const struct tcphdr *th;

	if (!tcpx_rcv_begin(skb, ip6_compute_pseudo))
		return 0;
	hdr = ipv6_hdr(skb);
	/*
	 * No IPv4 peer hides behind a v4-mapped address on the wire (RFC
	 * 4038 4.2); IPv4 socks keep v4-mapped sk_v6_daddr.
	 */
	if (ipv6_addr_v4mapped(&hdr->saddr) ||
	    ipv6_addr_v4mapped(&hdr->daddr)) {
		tcpx_rcv_bad(skb);
		return 0;
	}
	th = (const struct tcphdr *)skb->data;
	return tcpx_rcv_sk(skb, tcpx_v6_lookup_established(dev_net(skb->dev),
							   &hdr->saddr,
							   th->source,
							   &hdr->daddr,
							   ntohs(th->dest),
							   inet6_iif(skb),
							   inet6_sdif(skb)),
			   AF_INET6);
}

static const struct inet6_protocol tcpx_v6_protocol = {
	.handler	= tcpx_v6_rcv,
	.err_handler	= tcpx_v6_err,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

int tcpx_ipv6_init(void)
{
	if (!ipv6_mod_enabled()) {
		pr_info("IPv6 is disabled: IPv4 sockets only\n");
		return 0;
	}
	/* After proto_register(), which made the IPv4 requests' slab. */
	tcpx6_request_sock_ops = tcpx_request_sock_ops;
	tcpx6_request_sock_ops.family = AF_INET6;
	if (inet6_add_protocol(&tcpx_v6_protocol, tcpx_ipproto) < 0) {
		pr_err("IPv6 next header %d is taken\n", tcpx_ipproto);
		return -EBUSY;
	}
	WRITE_ONCE(tcpx_ipv6_on, true);
	return 0;
}

void tcpx_ipv6_exit(void)
{
	if (!tcpx_ipv6_on)
		return;
	inet6_del_protocol(&tcpx_v6_protocol, tcpx_ipproto);
	synchronize_net();
}
