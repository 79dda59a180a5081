// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4, everything the family-neutral core asks of it: connect's route
 * and addresses, the ISN and timestamp-offset hashes over its addresses,
 * the pseudo-header checksum, the socket's icsk_af_ops
 * (tcpx_ipv4_specific: transmit, a listener's SYN, the child's addresses
 * and route), a request sock's (tcpx_request_sock_ipv4_ops: its addresses,
 * SYN+ACK routes and send, the cookie's hash), replies outside a
 * connection and the lookups the core needs for a received segment
 * (tcpx_ipv4_skb_ops), the protocol handler for tcpx's IP protocol number
 * with its lookup in the IPv4 tables, and its registration.  What follows
 * the lookup is the family-neutral input.c.
 */
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/route.h>

#include "mib.h"
#include "tcpx.h"

/*
 * RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * M a 4 us-ish clock (ns / 64), F a keyed siphash with a per-namespace key.
 */
static u32 tcpx_v4_isn(const struct net *net, __be32 saddr, __be32 daddr,
		       __be16 sport, __be16 dport)
{
	const struct tcpx_pernet *pn = tcpx_pernet(net);
	u32 hash;

	hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport,
			    &pn->isn_key);
	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/*
 * RFC 7323 7.1: TSvals start at a random offset per pair of addresses, so
 * they leak no uptime and cannot be predicted -- the same for every
 * connection of the pair, as secure_tcp_ts_off(), so PAWS holds across a
 * recycled TIME-WAIT tuple.
 */
static u32 tcpx_v4_ts_off(const struct net *net, __be32 saddr, __be32 daddr)
{
	return siphash_2u32((__force u32)saddr, (__force u32)daddr,
			    &tcpx_pernet(net)->ts_key);
}

/* BPF pre-connect hooks call this for every inet-like socket. */
int tcpx_pre_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	if (addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	return 0;
}

/* RFC 9293 3.10.1 OPEN, active: pick a route and a port, send SYN. */
int tcpx_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct ip_options_rcu *inet_opt;
	__be16 orig_sport, orig_dport;
	u32 tw_isn;
	struct flowi4 *fl4;
	struct rtable *rt;
	__be32 daddr;
	int err;

	if (addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;

	daddr = usin->sin_addr.s_addr;
	orig_sport = inet->inet_sport;
	orig_dport = usin->sin_port;
	fl4 = &inet->cork.fl.u.ip4;
	rt = ip_route_connect(fl4, daddr, inet->inet_saddr,
			      sk->sk_bound_dev_if, sk->sk_protocol,
			      orig_sport, orig_dport, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}

	if (!inet->inet_saddr)
		inet->inet_saddr = fl4->saddr;
	sk_rcv_saddr_set(sk, inet->inet_saddr);
	inet->inet_dport = usin->sin_port;
	sk_daddr_set(sk, daddr);

	err = tcpx_connect_hash(sk, &tw_isn);
	if (err)
		goto failure;

	sk_set_txhash(sk);
	rt = ip_route_newports(fl4, rt, orig_sport, orig_dport,
			       inet->inet_sport, inet->inet_dport, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		rt = NULL;
		goto failure;
	}
	sk_setup_caps(sk, &rt->dst);
	/* IP options set before connect take room from every segment. */
	inet_opt = rcu_dereference_protected(inet->inet_opt,
					     lockdep_sock_is_held(sk));
	inet_csk(sk)->icsk_ext_hdr_len = inet_opt ? inet_opt->opt.optlen : 0;
	atomic_set(&inet->inet_id, get_random_u16());
	err = tcpx_connect_syn(sk, &rt->dst,
			       tw_isn ? : tcpx_v4_isn(sock_net(sk),
						      inet->inet_saddr,
						      inet->inet_daddr,
						      inet->inet_sport,
						      usin->sin_port),
			       tcpx_v4_ts_off(sock_net(sk), inet->inet_saddr,
					      inet->inet_daddr));
	rt = NULL;
	if (!err)
		return 0;

failure:
	ip_rt_put(rt);
	return tcpx_connect_fail(sk, err);
}

/* The sum of the IPv4 pseudo-header (RFC 9293 3.1). */
static __wsum tcpx_v4_pseudo(const struct sk_buff *skb, __be32 saddr,
			     __be32 daddr)
{
	return csum_tcpudp_nofold(saddr, daddr,
				  skb->len - skb_transport_offset(skb),
				  tcpx_ipproto, 0);
}

/* A reply without a socket, summed here. */
static void __tcpx_v4_send_check(struct sk_buff *skb, __be32 saddr,
				 __be32 daddr)
{
	tcpx_csum_fill(skb, tcpx_v4_pseudo(skb, saddr, daddr));
}

/* A connection's segment, between the socket's addresses. */
void tcpx_v4_send_check(struct sock *sk, struct sk_buff *skb)
{
	const struct inet_sock *inet = inet_sk(sk);

	tcpx_csum_set(sk, skb, tcpx_v4_pseudo(skb, inet->inet_saddr,
					      inet->inet_daddr));
}

/* A request's addresses: the SYN's, swapped. */
static void tcpx_v4_init_req(struct request_sock *req,
			     const struct sk_buff *skb)
{
	sk_rcv_saddr_set(req_to_sk(req), ip_hdr(skb)->daddr);
	sk_daddr_set(req_to_sk(req), ip_hdr(skb)->saddr);
}

/* Our ISN for the connection a SYN opens. */
static u32 tcpx_v4_init_seq(const struct net *net, const struct sk_buff *skb)
{
	return tcpx_v4_isn(net, ip_hdr(skb)->daddr, ip_hdr(skb)->saddr,
			   tcp_hdr(skb)->dest, tcp_hdr(skb)->source);
}

static u32 tcpx_v4_init_ts_off(const struct net *net, const struct sk_buff *skb)
{
	return tcpx_v4_ts_off(net, ip_hdr(skb)->daddr, ip_hdr(skb)->saddr);
}

/* A SYN cookie's hash (syncookies.c), over the segment's addresses as sent. */
static u32 tcpx_v4_cookie_hash(const struct sk_buff *skb, u32 count,
			       const siphash_key_t *key)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th = tcp_hdr(skb);

	return siphash_4u32((__force u32)iph->saddr, (__force u32)iph->daddr,
			    (__force u32)th->source << 16 | (__force u32)th->dest,
			    count, key);
}

static struct dst_entry *tcpx_v4_route_req(const struct sock *sk,
					   struct flowi *fl,
					   struct request_sock *req)
{
	return inet_csk_route_req(sk, &fl->u.ip4, req);
}

/* A cookie's SYN+ACK: addresses swapped, the listener's bound device. */
static struct dst_entry *tcpx_v4_route_syn(const struct sock *sk,
					   struct flowi *fl,
					   struct sk_buff *syn)
{
	const struct iphdr *iph = ip_hdr(syn);
	const struct tcphdr *th = tcp_hdr(syn);
	struct rtable *rt;

	rt = ip_route_output_ports(sock_net(sk), &fl->u.ip4, NULL, iph->saddr,
				   iph->daddr, th->source, th->dest,
				   tcpx_ipproto, 0, inet_request_bound_dev_if(sk, syn));
	return IS_ERR(rt) ? NULL : &rt->dst;
}

/*
 * A SYN+ACK, its route set: from and to the addresses it was routed for
 * (the request's, or the SYN's swapped for a cookie).
 */
static int tcpx_v4_send_synack(const struct sock *sk, struct flowi *fl,
			       struct sk_buff *skb)
{
	const struct flowi4 *fl4 = &fl->u.ip4;

	__tcpx_v4_send_check(skb, fl4->saddr, fl4->daddr);
	return ip_build_and_send_pkt(skb, sk, fl4->saddr, fl4->daddr, NULL, 0);
}

static const struct tcpx_request_sock_ops tcpx_request_sock_ipv4_ops =
	TCPX_REQUEST_SOCK_OPS(v4, iphdr);

/* The kernel's, for IPv4 requests: .family tells the LSMs their family. */
struct request_sock_ops tcpx_request_sock_ops __read_mostly = {
	.family		= PF_INET,
	.obj_size	= sizeof(struct tcpx_request_sock),
	.rtx_syn_ack	= tcpx_rtx_synack,
	.destructor	= tcpx_reqsk_destructor,
	.syn_ack_timeout = tcpx_syn_ack_timeout,
};

/* A SYN for a listener (af_ops), as tcp_v4_conn_request(). */
int tcpx_v4_conn_request(struct sock *sk, struct sk_buff *skb)
{
	/* A SYN to a broadcast or multicast address opens nothing (RFC 1122 4.2.3.10). */
	if (skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST)) {
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_LISTENDROPS);
		return 0;
	}
	return tcpx_conn_request(&tcpx_request_sock_ops,
				 &tcpx_request_sock_ipv4_ops, sk, skb);
}

/*
 * The child of a completed handshake on IPv4 (TCP's tcp_v4_syn_recv_sock()),
 * an IPv6 listener's of an IPv4 client too: conn.c's clone of the listener,
 * with the request's IPv4 addresses, no IP options, the multicast and TOS
 * of the segment that completes it, and a route of its own in *dst (NULL
 * if none: tcpx_syn_recv_child() drops the child).  Locked, or NULL.
 */
struct sock *tcpx_v4_child(const struct sock *sk, struct sk_buff *skb,
			   struct request_sock *req, struct dst_entry **dst)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct inet_sock *newinet;
	struct sock *newsk;

	newsk = tcpx_create_openreq_child(sk, req);
	if (!newsk)
		return NULL;
	__acquire(newsk);	/* returned locked */
	newinet = inet_sk(newsk);
	/* The setters keep sk_v6_*addr v4-mapped, as tcpx_sk_v6_wire() needs. */
	sk_daddr_set(newsk, ireq->ir_rmt_addr);
	sk_rcv_saddr_set(newsk, ireq->ir_loc_addr);
	newinet->inet_saddr = ireq->ir_loc_addr;
	RCU_INIT_POINTER(newinet->inet_opt, NULL);
	newinet->mc_index = inet_iif(skb);
	newinet->mc_ttl = ip_hdr(skb)->ttl;
	newinet->rcv_tos = ip_hdr(skb)->tos;
	atomic_set(&newinet->inet_id, get_random_u16());
	/* No IP options (inet_opt is NULL): none of the listener's. */
	inet_csk(newsk)->icsk_ext_hdr_len = 0;

	if (!*dst)
		*dst = inet_csk_route_child_sock(sk, newsk, req);
	if (*dst)
		sk_setup_caps(newsk, *dst);
	__release(newsk);	/* the caller's, still locked */
	return newsk;
}

/* af_ops syn_recv_sock: the child of an IPv4 listener (dst NULL from tcpx). */
static struct sock *tcpx_v4_syn_recv_sock(const struct sock *sk,
					  struct sk_buff *skb,
					  struct request_sock *req,
					  struct dst_entry *dst,
					  struct request_sock *req_unhash,
					  bool *own_req TCPX_SYN_RECV_SOCK_HOOK)
{
	struct sock *newsk = tcpx_v4_child(sk, skb, req, &dst);

	return newsk ? tcpx_syn_recv_child(sk, skb, req, newsk, dst,
					   req_unhash, own_req) : NULL;
}

/*
 * What the core asks of IPv4 for a full socket (as TCP's ipv4_specific):
 * every socket has it, a child from its listener's clone.
 */
const struct inet_connection_sock_af_ops tcpx_ipv4_specific =
	TCPX_AF_OPS(ip_queue_xmit, v4, iphdr, v4, ip_setsockopt, ip_getsockopt);

/*
 * A reply outside a connection (output.c's tcpx_reply()): from and to the
 * addresses of "in", swapped.  Without a sock to lend its mark, the
 * segment's is reflected when fwmark_reflect asks.
 */
static void tcpx_v4_send_reply(struct net *net, const struct sock *sk,
			       const struct sk_buff *in, struct sk_buff *skb)
{
	u32 mark = IP4_REPLY_MARK(net, in->mark), prio;
	const struct iphdr *iph = ip_hdr(in);
	struct iphdr *niph;
	struct flowi4 fl4;
	struct rtable *rt;

	/* No RST to a broadcast or multicast address (tcp_v4_send_reset()). */
	if (tcp_hdr(skb)->rst && skb_rtable(in) &&
	    skb_rtable(in)->rt_type != RTN_LOCAL)
		goto drop;
	tcpx_reply_mark(sk, &mark, &prio);
	flowi4_init_output(&fl4, inet_iif(in), mark, 0, RT_SCOPE_UNIVERSE,
			   tcpx_ipproto, 0, iph->saddr, iph->daddr,
			   tcp_hdr(in)->source, tcp_hdr(in)->dest,
			   sock_net_uid(net, NULL));
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		goto drop;
	__tcpx_v4_send_check(skb, fl4.saddr, fl4.daddr);

	skb_push(skb, sizeof(*niph));
	skb_reset_network_header(skb);
	niph = ip_hdr(skb);
	niph->version = 4;
	niph->ihl = sizeof(*niph) / 4;
	niph->tos = 0;
	niph->tot_len = htons(skb->len);
	niph->frag_off = htons(IP_DF);
	niph->ttl = ip4_dst_hoplimit(&rt->dst);
	niph->protocol = tcpx_ipproto;
	niph->saddr = fl4.saddr;
	niph->daddr = fl4.daddr;
	skb->protocol = htons(ETH_P_IP);
	tcpx_reply_out(net, skb, &rt->dst, mark, prio);
	ip_select_ident(net, skb, NULL);
	ip_local_out(net, NULL, skb);
	return;
drop:
	kfree_skb(skb);
}

/* The listener of a segment (input.c, minisocks.c). */
static struct sock *tcpx_v4_skb_listener(struct net *net, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);

	return __inet_lookup_listener(net, &tcpx_hashinfo, skb, th->doff * 4,
				      ip_hdr(skb)->saddr, th->source,
				      ip_hdr(skb)->daddr, ntohs(th->dest),
				      inet_iif(skb), inet_sdif(skb));
}

/* IP_MINTTL (RFC 5082), as tcp_v4_rcv() applies it. */
bool tcpx_v4_ttl_below(const struct sock *sk, const struct sk_buff *skb)
{
	return ip_hdr(skb)->ttl < READ_ONCE(inet_sk(sk)->min_ttl);
}

/* What the core asks of IPv4 for a segment it received (tcpx_skb_af()). */
const struct tcpx_skb_af_ops tcpx_ipv4_skb_ops =
	TCPX_SKB_AF_OPS(v4, tcpx_request_sock_ops, tcpx_request_sock_ipv4_ops);

static int tcpx_v4_rcv(struct sk_buff *skb)
{
	const struct iphdr *iph;
	const struct tcphdr *th;

	if (!tcpx_rcv_begin(skb, inet_compute_pseudo))
		return 0;
	th = (const struct tcphdr *)skb->data;
	iph = ip_hdr(skb);
	return tcpx_rcv_sk(skb, __inet_lookup_established(dev_net(skb->dev),
							  &tcpx_hashinfo,
							  iph->saddr,
							  th->source,
							  iph->daddr,
							  ntohs(th->dest),
							  inet_iif(skb),
							  inet_sdif(skb)),
			   AF_INET);
}

static struct net_protocol tcpx_protocol = {
	.handler	= tcpx_v4_rcv,
	.err_handler	= tcpx_v4_err,
	.no_policy	= 1,
};

int tcpx_ipv4_init(void)
{
	BUILD_BUG_ON(sizeof(struct tcpx_skb_cb) > sizeof_field(struct sk_buff, cb));
	if (inet_add_protocol(&tcpx_protocol, tcpx_ipproto) < 0) {
		pr_err("IPv4 protocol %d is taken\n", tcpx_ipproto);
		return -EBUSY;
	}
	return 0;
}

void tcpx_ipv4_exit(void)
{
	inet_del_protocol(&tcpx_protocol, tcpx_ipproto);
	/* No handler may still run when the module text goes. */
	synchronize_net();
}
