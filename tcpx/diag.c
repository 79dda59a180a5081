// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag (inet_diag) for tcpx: SOCK_DIAG_BY_FAMILY requests for IP
 * protocol tcpx_ipproto on AF_INET and AF_INET6 answer as tcp_diag's do for
 * protocol 6 -- dumps with the state filter and bytecode, exact lookups,
 * INET_DIAG_INFO (struct tcpx_info), MEMINFO, SKMEMINFO, CONG -- and
 * SOCK_DESTROY aborts a connection as tcp_abort() (ss -K).
 *
 * The kernel's inet_diag_dump_icsk() and inet_sk_diag_fill() cannot serve:
 * they compare and report sk_family, the tcpx family for full sockets.  So
 * the walk (listeners in lhash2, then everything else in ehash, as
 * inet_diag_dump_icsk() walks TCP's) and the fill are tcpx's, and
 * each sock is reported with the family TCP reports it with: AF_INET6 for
 * an IPv6 socket (v4-mapped ones too), AF_INET for an IPv4 one
 * (tcpx_sk_v6()).  The kernel's inet_diag_bc_sk() runs the bytecode and
 * inet_diag_msg_common_fill() fills the message's id, both on a stand-in
 * sock with that family (tcpx_diag_view_get()).  An exact lookup goes
 * through tcpx's tables as a segment's does: inet_lookup() for IPv4 and
 * v4-mapped tuples, tcpx's own IPv6 lookups (the kernel's take only
 * AF_INET6 socks).
 *
 * inet_diag is a module on Debian's kernel: tcpx takes its functions with
 * symbol_request(), which loads it, so that tcpx.ko itself loads (insmod)
 * without it and works on kernels without CONFIG_INET_DIAG.
 */
#include <linux/inet_diag.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sock_diag.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/request_sock.h>
#include <net/sock.h>

#include "tcpx.h"

/*
 * A request or TIME-WAIT sock has no owner to tell: it goes at once.  The
 * caller keeps its reference; inet_twsk_deschedule_put() drops one of its
 * own, taken here.
 */
static void tcpx_abort_mini(struct sock *sk)
{
	local_bh_disable();
	if (sk->sk_state == TCP_TIME_WAIT) {
		sock_hold(sk);
		inet_twsk_deschedule_put(inet_twsk(sk));
	} else {
		tcpx_reqsk_drop(inet_reqsk(sk)->rsk_listener, inet_reqsk(sk));
	}
	local_bh_enable();
}

/* Which states owe the peer a RST when the connection is torn down. */
#define TCPX_ABORT_RST	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 | \
			 TCPF_FIN_WAIT2 | TCPF_SYN_RECV)

/*
 * A connection torn down: RST to the peer where TCP would send one, err
 * for the owner.  An orphan is left to finish on its own, as tcpx has
 * always left it (TCP on 6.1 and 6.12 resets orphans too).  BHs are held
 * off and the sock's spinlock taken so that no segment or timer ends it
 * meanwhile.
 */
static void tcpx_abort_conn(struct sock *sk, int err)
{
	local_bh_disable();
	bh_lock_sock(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		if ((1 << sk->sk_state) & TCPX_ABORT_RST)
			tcpx_send_active_reset(sk, GFP_ATOMIC);
		tcpx_done_with_error(sk, err);
	}
	bh_unlock_sock(sk);
	local_bh_enable();
	tcpx_write_queue_purge(sk);
}

/*
 * SOCK_DESTROY and ss -K, with tcp_abort()'s outcome: a listener stops
 * listening, a connection is reset, a request or TIME-WAIT sock goes, and
 * a socket ended already answers -ENOENT.  The socket lock keeps the
 * owner's close() from ending it at the same time.
 */
int tcpx_abort(struct sock *sk, int err)
{
	int ret = 0;

	if (!sk_fullsock(sk)) {
		tcpx_abort_mini(sk);
		return 0;
	}

	lock_sock(sk);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		ret = -ENOENT;
		break;
	case TCP_LISTEN:
		tcpx_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
		fallthrough;
	default:
		tcpx_abort_conn(sk, err);
	}
	release_sock(sk);
	return ret;
}

#if IS_ENABLED(CONFIG_INET_DIAG)

/* inet_diag's functions, taken at init (inet_diag may be a module). */
static struct {
	int (*reg)(const struct inet_diag_handler *h);
	void (*unreg)(const struct inet_diag_handler *h);
	int (*attrs_fill)(struct sock *sk, struct sk_buff *skb,
			  struct inet_diag_msg *r, int ext,
			  struct user_namespace *user_ns, bool net_admin);
	void (*common_fill)(struct inet_diag_msg *r, struct sock *sk);
	int (*bc_sk)(const struct nlattr *bc, struct sock *sk);
} tcpx_inet_diag;

/*
 * inet_diag_bc_sk() and inet_diag_msg_common_fill() take the family from
 * sk_family, and with it which addresses to read: a tcpx full or request
 * sock has the tcpx family there.  So they are shown a stand-in, a sock
 * that has the family TCP would report and what those two read: state,
 * addresses, ports, bound device, cookie, and a full socket's userlocks,
 * mark and cgroup or a request's mark.  It is only ever read, never
 * locked, referenced or freed.  A TIME-WAIT sock needs none: its
 * tw_family is AF_INET or AF_INET6 (tcpx_v6_tw_init()).
 */
union tcpx_diag_view {
	struct sock			sk;
	struct inet_request_sock	req;
};

/* One stand-in a CPU: it is used with preemption off, from process context. */
static union tcpx_diag_view __percpu *tcpx_diag_views;

/* sk as TCP's inet_diag sees it, until tcpx_diag_view_put(). */
static struct sock *tcpx_diag_view_get(struct sock *sk)
{
	union tcpx_diag_view *v = get_cpu_ptr(tcpx_diag_views);
	struct sock *vsk = &v->sk;
	u32 cookie[2];

	if (sk->sk_state == TCP_TIME_WAIT)
		return sk;

	vsk->sk_state = sk->sk_state;
	vsk->sk_num = sk->sk_num;
	vsk->sk_dport = sk->sk_dport;
	vsk->sk_bound_dev_if = READ_ONCE(sk->sk_bound_dev_if);
	vsk->sk_rcv_saddr = sk->sk_rcv_saddr;
	vsk->sk_daddr = sk->sk_daddr;
	vsk->sk_v6_rcv_saddr = sk->sk_v6_rcv_saddr;
	vsk->sk_v6_daddr = sk->sk_v6_daddr;
	/* sk's own cookie (made now if it has none), not one for the stand-in. */
	sock_diag_save_cookie(sk, cookie);
	atomic64_set(&vsk->sk_cookie, (u64)cookie[1] << 32 | cookie[0]);
	/* A request sock has its listener's, as TCP reports it. */
	vsk->sk_family = tcpx_sk_v6(sk) ? AF_INET6 : AF_INET;

	if (sk_fullsock(sk)) {
		vsk->sk_userlocks = sk->sk_userlocks;
		vsk->sk_mark = READ_ONCE(sk->sk_mark);
		vsk->sk_cgrp_data = sk->sk_cgrp_data;
		return vsk;
	}

	v->req.ir_mark = inet_rsk(inet_reqsk(sk))->ir_mark;
	/* An IPv4 request of a dual-stack listener has IPv4 addresses only. */
	if (vsk->sk_family == AF_INET6 &&
	    inet_reqsk(sk)->rsk_ops->family != AF_INET6) {
		ipv6_addr_set_v4mapped(sk->sk_rcv_saddr, &vsk->sk_v6_rcv_saddr);
		ipv6_addr_set_v4mapped(sk->sk_daddr, &vsk->sk_v6_daddr);
	}
	return vsk;
}

static void tcpx_diag_view_put(void)
{
	put_cpu_ptr(tcpx_diag_views);
}

/*
 * The state tcp_diag filters a sock by: a TIME-WAIT one's substate.  A
 * full socket is never in TIME_WAIT (tcpx_time_wait()), so sk_fullsock()
 * tells the kinds apart.
 */
static int tcpx_diag_state(const struct sock *sk)
{
	if (sk_fullsock(sk))
		return inet_sk_state_load(sk);
	if (sk->sk_state == TCP_TIME_WAIT)
		return READ_ONCE(inet_twsk(sk)->tw_substate);
	return TCP_SYN_RECV;
}

/*
 * What inet_diag_dump_icsk() asks of a sock before it reports it; the
 * bytecode, which inet_diag checked when the dump started, is the
 * kernel's to run.
 */
static bool tcpx_diag_wanted(struct sock *sk, const struct inet_diag_req_v2 *r,
			     const struct nlattr *bc)
{
	int state = tcpx_diag_state(sk);
	/* A request sock answers to TCPF_NEW_SYN_RECV, as in TCP's dump. */
	int bit = sk->sk_state == TCP_NEW_SYN_RECV ? TCP_NEW_SYN_RECV : state;
	struct sock *view;
	bool yes;

	/* A closed full socket is only bound, or on its way out. */
	if (state == TCP_CLOSE || !(r->idiag_states & (1 << bit)))
		return false;
	/* Listeners are not dumped when a peer port is asked for. */
	if (state == TCP_LISTEN && r->id.idiag_dport)
		return false;
	if (r->id.idiag_sport && r->id.idiag_sport != htons(sk->sk_num))
		return false;
	if (r->id.idiag_dport && r->id.idiag_dport != sk->sk_dport)
		return false;

	view = tcpx_diag_view_get(sk);
	yes = (r->sdiag_family == AF_UNSPEC ||
	       r->sdiag_family == view->sk_family) &&
	      tcpx_inet_diag.bc_sk(bc, view);
	tcpx_diag_view_put();
	return yes;
}

/* The message's family, addresses, ports and cookie, as TCP's. */
static void tcpx_diag_common(struct inet_diag_msg *r, struct sock *sk)
{
	tcpx_inet_diag.common_fill(r, tcpx_diag_view_get(sk));
	tcpx_diag_view_put();
}

/*
 * A full socket's pending timer, numbered as inet_diag numbers TCP's:
 * 1 retransmission, 2 keepalive, 4 zero-window probe.
 */
static void tcpx_diag_timer(struct sock *sk, struct inet_diag_msg *r)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	unsigned long when = icsk->icsk_timeout;

	switch (icsk->icsk_pending) {
	case ICSK_TIME_RETRANS:
	case ICSK_TIME_REO_TIMEOUT:
		r->idiag_timer = 1;
		r->idiag_retrans = icsk->icsk_retransmits;
		break;
	case ICSK_TIME_PROBE0:
		r->idiag_timer = 4;
		r->idiag_retrans = icsk->icsk_probes_out;
		break;
	default:
		if (!timer_pending(&icsk->icsk_keepalive_timer))
			return;
		r->idiag_timer = 2;
		r->idiag_retrans = icsk->icsk_probes_out;
		when = icsk->icsk_keepalive_timer.expires;
	}
	r->idiag_expires = jiffies_delta_to_msecs(when - jiffies);
}

/* tcp_diag_get_info()'s queues: a listener's are its accept queue. */
static void tcpx_diag_queues(struct sock *sk, struct inet_diag_msg *r)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);

	if (inet_sk_state_load(sk) == TCP_LISTEN) {
		r->idiag_rqueue = READ_ONCE(sk->sk_ack_backlog);
		r->idiag_wqueue = READ_ONCE(sk->sk_max_ack_backlog);
	} else {
		r->idiag_rqueue = max_t(int, READ_ONCE(tsk->rcv_nxt) -
					     READ_ONCE(tsk->copied_seq), 0);
		r->idiag_wqueue = READ_ONCE(tsk->write_seq) -
				  READ_ONCE(tsk->snd_una);
	}
}

/* Was attribute x (INET_DIAG_*) asked for in idiag_ext? */
#define TCPX_DIAG_EXT(ext, x)	((ext) & (1 << ((x) - 1)))

/*
 * A full socket's attributes, timer and queues, as inet_sk_diag_fill()
 * and tcp_diag_get_info() give TCP's.  It may sleep (tcpx_get_info()).
 */
static int tcpx_diag_fill_full(struct sock *sk, struct sk_buff *skb,
			       struct inet_diag_msg *r,
			       struct netlink_callback *cb, int ext,
			       bool net_admin)
{
	struct inet_diag_meminfo *mem;
	struct nlattr *attr;

	/* After the family: it puts TCLASS and SKV6ONLY for AF_INET6. */
	if (tcpx_inet_diag.attrs_fill(sk, skb, r, ext,
				      sk_user_ns(NETLINK_CB(cb->skb).sk),
				      net_admin))
		return -EMSGSIZE;
	tcpx_diag_timer(sk, r);
	tcpx_diag_queues(sk, r);

	if (TCPX_DIAG_EXT(ext, INET_DIAG_MEMINFO)) {
		attr = nla_reserve(skb, INET_DIAG_MEMINFO, sizeof(*mem));
		if (!attr)
			return -EMSGSIZE;
		mem = nla_data(attr);
		mem->idiag_rmem = sk_rmem_alloc_get(sk);
		mem->idiag_wmem = READ_ONCE(sk->sk_wmem_queued);
		mem->idiag_fmem = sk_forward_alloc_get(sk);
		mem->idiag_tmem = sk_wmem_alloc_get(sk);
	}
	if (TCPX_DIAG_EXT(ext, INET_DIAG_SKMEMINFO) &&
	    sock_diag_put_meminfo(sk, skb, INET_DIAG_SKMEMINFO))
		return -EMSGSIZE;
	if (TCPX_DIAG_EXT(ext, INET_DIAG_INFO)) {
		attr = nla_reserve_64bit(skb, INET_DIAG_INFO,
					 sizeof(struct tcpx_info),
					 INET_DIAG_PAD);
		if (!attr)
			return -EMSGSIZE;
		tcpx_get_info(sk, nla_data(attr));
	}
	/* tcpx's congestion control is NewReno, TCP's "reno". */
	if (TCPX_DIAG_EXT(ext, INET_DIAG_CONG) &&
	    nla_put_string(skb, INET_DIAG_CONG, "reno"))
		return -EMSGSIZE;
	return 0;
}

/*
 * A request or TIME-WAIT sock's timer, and its mark for an admin, as
 * inet_req_diag_fill() and inet_twsk_diag_fill() give TCP's.
 */
static int tcpx_diag_fill_mini(struct sock *sk, struct sk_buff *skb,
			       struct inet_diag_msg *r, bool net_admin)
{
	unsigned long when;
	u32 mark;

	if (sk->sk_state == TCP_TIME_WAIT) {
		r->idiag_timer = 3;
		when = inet_twsk(sk)->tw_timer.expires;
		mark = inet_twsk(sk)->tw_mark;
	} else {
		r->idiag_timer = 1;
		r->idiag_retrans = inet_reqsk(sk)->num_retrans;
		when = inet_reqsk(sk)->rsk_timer.expires;
		mark = inet_rsk(inet_reqsk(sk))->ir_mark;
	}
	r->idiag_expires = jiffies_delta_to_msecs(when - jiffies);
	return net_admin ? nla_put_u32(skb, INET_DIAG_MARK, mark) : 0;
}

/* One message for sk; -EMSGSIZE, with nothing of it left, if skb is full. */
static int tcpx_diag_fill(struct sock *sk, struct sk_buff *skb,
			  struct netlink_callback *cb,
			  const struct inet_diag_req_v2 *req,
			  u16 nlmsg_flags, bool net_admin)
{
	struct inet_diag_msg *r;
	struct nlmsghdr *nlh;
	int err;

	nlh = nlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			cb->nlh->nlmsg_type, sizeof(*r), nlmsg_flags);
	if (!nlh)
		return -EMSGSIZE;
	r = nlmsg_data(nlh);
	memset(r, 0, sizeof(*r));
	tcpx_diag_common(r, sk);
	r->idiag_state = tcpx_diag_state(sk);

	if (sk_fullsock(sk))
		err = tcpx_diag_fill_full(sk, skb, r, cb, req->idiag_ext,
					  net_admin);
	else
		err = tcpx_diag_fill_mini(sk, skb, r, net_admin);
	if (err) {
		nlmsg_cancel(skb, nlh);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	return 0;
}

/* Socks are reported a batch at a time, referenced, outside the locks. */
#define TCPX_DIAG_BATCH	16

enum { TCPX_DIAG_LISTEN, TCPX_DIAG_EHASH, TCPX_DIAG_DONE };

/*
 * Where a dump goes on: cb->args[0] the phase, [1] the lhash2 or ehash
 * bucket, [2] the index in that bucket (0 but for a bucket too long for
 * one message buffer).
 */
struct tcpx_diag_batch {
	struct sock	*sk[TCPX_DIAG_BATCH];
	long		pos[TCPX_DIAG_BATCH];
	int		n;
};

/* Reports the batch; false, and where it stopped in *pos, if skb is full. */
static bool tcpx_diag_flush(struct tcpx_diag_batch *b, struct sk_buff *skb,
			    struct netlink_callback *cb,
			    const struct inet_diag_req_v2 *r, long *pos)
{
	bool net_admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	bool room = true;
	int i;

	for (i = 0; i < b->n; i++) {
		if (room && tcpx_diag_fill(b->sk[i], skb, cb, r,
					   NLM_F_MULTI, net_admin) < 0) {
			room = false;
			*pos = b->pos[i];
		}
		sock_gen_put(b->sk[i]);
	}
	return room;
}

static void tcpx_diag_add(struct tcpx_diag_batch *b, struct sock *sk, long pos)
{
	if (!refcount_inc_not_zero(&sk->sk_refcnt))
		return;
	b->sk[b->n] = sk;
	b->pos[b->n++] = pos;
}

/*
 * One bucket's socks of this namespace, from index cb->args[2]; false
 * when skb is full.  A bucket goes into one buffer whole where it can: if
 * it does not fit behind what skb holds, its messages are taken back and
 * the next buffer starts it again.  So a sock that stays while others come
 * and go is reported once, which a resumed index cannot promise.  Two
 * cases still go by index, as inet_diag_dump_icsk() always does: a bucket
 * of more than TCPX_DIAG_BATCH socks, taken under its lock a batch at a
 * time, and a bucket too long for a buffer of its own (one that held no
 * more than @base when this call began).  Churn in such a bucket may
 * report a sock twice or not at all.
 */
static bool tcpx_diag_dump_chain(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 const struct inet_diag_req_v2 *r,
				 const struct nlattr *bc, unsigned int base,
				 struct hlist_nulls_head *chain, spinlock_t *lock)
{
	struct net *net = sock_net(skb->sk);
	unsigned int start = skb->len;
	struct tcpx_diag_batch b;
	struct hlist_nulls_node *node;
	struct sock *sk;
	long i;

	do {
		b.n = 0;
		i = 0;
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, chain) {
			if (!net_eq(sock_net(sk), net))
				continue;
			if (i++ < cb->args[2] || !tcpx_diag_wanted(sk, r, bc))
				continue;
			tcpx_diag_add(&b, sk, i - 1);
			if (b.n == TCPX_DIAG_BATCH)
				break;
		}
		spin_unlock_bh(lock);
		cb->args[2] = i;
		if (!tcpx_diag_flush(&b, skb, cb, r, &cb->args[2])) {
			if (start > base) {
				skb_trim(skb, start);
				cb->args[2] = 0;
			}
			return false;
		}
		cond_resched();
	} while (b.n == TCPX_DIAG_BATCH);
	cb->args[2] = 0;
	return true;
}

/* Listeners, from lhash2 bucket cb->args[1]; false when skb is full. */
static bool tcpx_diag_dump_listen(struct sk_buff *skb,
				  struct netlink_callback *cb,
				  const struct inet_diag_req_v2 *r,
				  const struct nlattr *bc, unsigned int base)
{
	struct inet_listen_hashbucket *ilb2;

	for (; cb->args[1] <= tcpx_hashinfo.lhash2_mask; cb->args[1]++) {
		ilb2 = &tcpx_hashinfo.lhash2[cb->args[1]];
		if (hlist_nulls_empty(&ilb2->nulls_head))
			continue;
		if (!tcpx_diag_dump_chain(skb, cb, r, bc, base,
					  &ilb2->nulls_head, &ilb2->lock))
			return false;
	}
	return true;
}

/* Every other sock, from ehash bucket cb->args[1]; false when skb is full. */
static bool tcpx_diag_dump_ehash(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 const struct inet_diag_req_v2 *r,
				 const struct nlattr *bc, unsigned int base)
{
	struct inet_ehash_bucket *head;

	for (; cb->args[1] <= tcpx_hashinfo.ehash_mask; cb->args[1]++) {
		head = &tcpx_hashinfo.ehash[cb->args[1]];
		if (hlist_nulls_empty(&head->chain))
			continue;
		if (!tcpx_diag_dump_chain(skb, cb, r, bc, base, &head->chain,
					  inet_ehash_lockp(&tcpx_hashinfo,
							   cb->args[1])))
			return false;
	}
	return true;
}

/* As inet_diag_dump_icsk(): listeners, then ehash, each if asked for. */
static void tcpx_diag_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct inet_diag_req_v2 *r)
{
	struct inet_diag_dump_data *cb_data = cb->data;
	const struct nlattr *bc = cb_data->inet_diag_nla_bc;
	struct inet_diag_req_v2 req = *r;
	unsigned int base = skb->len;	/* what this buffer held before */

	/* SYN-RECV asks for request socks too, as in TCP's dump. */
	if (req.idiag_states & TCPF_SYN_RECV)
		req.idiag_states |= TCPF_NEW_SYN_RECV;

	if (cb->args[0] == TCPX_DIAG_LISTEN) {
		if ((req.idiag_states & TCPF_LISTEN) && !req.id.idiag_dport &&
		    !tcpx_diag_dump_listen(skb, cb, &req, bc, base))
			return;
		cb->args[0] = TCPX_DIAG_EHASH;
		cb->args[1] = 0;
		cb->args[2] = 0;
	}
	if (cb->args[0] == TCPX_DIAG_EHASH) {
		if ((req.idiag_states & ~TCPF_LISTEN) &&
		    !tcpx_diag_dump_ehash(skb, cb, &req, bc, base))
			return;
		cb->args[0] = TCPX_DIAG_DONE;
	}
}

/*
 * The sock of an IPv6 4-tuple: a connection, request or TIME-WAIT sock,
 * else the listener the tuple's segments would reach.  Under RCU.
 */
static struct sock *tcpx_diag_lookup6(struct net *net,
				      const struct inet_diag_sockid *id)
{
	const struct in6_addr *src = (const struct in6_addr *)id->idiag_src;
	const struct in6_addr *dst = (const struct in6_addr *)id->idiag_dst;
	u16 hnum = ntohs(id->idiag_sport);
	struct sock *sk;

	sk = tcpx_v6_lookup_established(net, dst, id->idiag_dport, src, hnum,
					id->idiag_if, 0);
	if (sk)
		return sk;
	/* Listeners are freed after a grace period: a reference may fail. */
	sk = tcpx_v6_lookup_listener(net, src, hnum, id->idiag_if, 0);
	return sk && refcount_inc_not_zero(&sk->sk_refcnt) ? sk : NULL;
}

/*
 * As inet_diag_find_one_icsk() finds TCP's: the sock of a 4-tuple in
 * tcpx's tables, referenced, and only if it has the cookie asked for.  An
 * AF_INET6 request whose two addresses are v4-mapped is an IPv4 lookup,
 * which finds IPv4 and v4-mapped IPv6 sockets alike.
 */
static struct sock *tcpx_diag_find(struct net *net,
				   const struct inet_diag_req_v2 *req)
{
	const struct inet_diag_sockid *id = &req->id;
	int word = 0;	/* where an IPv4 address is */
	struct sock *sk;

	if (req->sdiag_family == AF_INET6) {
		if (!ipv6_addr_v4mapped((const struct in6_addr *)id->idiag_src) ||
		    !ipv6_addr_v4mapped((const struct in6_addr *)id->idiag_dst)) {
			rcu_read_lock();
			sk = tcpx_diag_lookup6(net, id);
			rcu_read_unlock();
			goto found;
		}
		word = 3;
	} else if (req->sdiag_family != AF_INET) {
		return ERR_PTR(-EINVAL);
	}
	rcu_read_lock();
	sk = inet_lookup(net, &tcpx_hashinfo, NULL, 0, id->idiag_dst[word],
			 id->idiag_dport, id->idiag_src[word], id->idiag_sport,
			 id->idiag_if);
	rcu_read_unlock();
found:
	if (!sk)
		return ERR_PTR(-ENOENT);
	if (sock_diag_check_cookie(sk, id->idiag_cookie)) {
		sock_gen_put(sk);
		return ERR_PTR(-ENOENT);
	}
	return sk;
}

/* The answer to an exact lookup: one message, sent on its own. */
static int tcpx_diag_dump_one(struct netlink_callback *cb,
			      const struct inet_diag_req_v2 *req)
{
	struct net *net = sock_net(cb->skb->sk);
	struct sk_buff *rep;
	struct sock *sk;
	int err;

	sk = tcpx_diag_find(net, req);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	rep = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	err = rep ? tcpx_diag_fill(sk, rep, cb, req, 0,
				   netlink_net_capable(cb->skb, CAP_NET_ADMIN)) :
		    -ENOMEM;
	sock_gen_put(sk);
	if (err) {
		/* One sock's message always fits in NLMSG_GOODSIZE. */
		WARN_ON_ONCE(err == -EMSGSIZE);
		nlmsg_free(rep);
		return err;
	}
	return nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(cb->skb).portid);
}

/* For inet_diag's other callers; the queues, as tcp_diag_get_info(). */
static void tcpx_diag_get_info(struct sock *sk, struct inet_diag_msg *r,
			       void *info)
{
	if (!sk_fullsock(sk))
		return;
	tcpx_diag_queues(sk, r);
	if (info)
		tcpx_get_info(sk, info);
}

#ifdef CONFIG_INET_DIAG_DESTROY
static int tcpx_diag_destroy(struct sk_buff *in_skb,
			     const struct inet_diag_req_v2 *req)
{
	struct sock *sk;
	int err;

	sk = tcpx_diag_find(sock_net(in_skb->sk), req);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	/* CAP_NET_ADMIN in the socket's namespace; tcpx_prot's diag_destroy. */
	err = sock_diag_destroy(sk, ECONNABORTED);
	sock_gen_put(sk);
	return err;
}
#endif

/* idiag_type is set at init: tcpx's protocol number is a parameter. */
static struct inet_diag_handler tcpx_diag_handler = {
#ifdef TCPX_HAVE_INET_DIAG_OWNER
	.owner			= THIS_MODULE,
#endif
	.dump			= tcpx_diag_dump,
	.dump_one		= tcpx_diag_dump_one,
	.idiag_get_info		= tcpx_diag_get_info,
#ifdef CONFIG_INET_DIAG_DESTROY
	.destroy		= tcpx_diag_destroy,
#endif
	.idiag_info_size	= sizeof(struct tcpx_info),
};

static bool tcpx_diag_registered;

static void tcpx_diag_put_symbols(void)
{
	if (tcpx_inet_diag.reg)
		symbol_put(inet_diag_register);
	if (tcpx_inet_diag.unreg)
		symbol_put(inet_diag_unregister);
	if (tcpx_inet_diag.attrs_fill)
		symbol_put(inet_diag_msg_attrs_fill);
	if (tcpx_inet_diag.common_fill)
		symbol_put(inet_diag_msg_common_fill);
	if (tcpx_inet_diag.bc_sk)
		symbol_put(inet_diag_bc_sk);
	memset(&tcpx_inet_diag, 0, sizeof(tcpx_inet_diag));
}

static bool tcpx_diag_get_symbols(void)
{
	tcpx_inet_diag.reg = symbol_request(inet_diag_register);
	tcpx_inet_diag.unreg = symbol_get(inet_diag_unregister);
	tcpx_inet_diag.attrs_fill = symbol_get(inet_diag_msg_attrs_fill);
	tcpx_inet_diag.common_fill = symbol_get(inet_diag_msg_common_fill);
	tcpx_inet_diag.bc_sk = symbol_get(inet_diag_bc_sk);
	return tcpx_inet_diag.reg && tcpx_inet_diag.unreg &&
	       tcpx_inet_diag.attrs_fill && tcpx_inet_diag.common_fill &&
	       tcpx_inet_diag.bc_sk;
}

/*
 * Without inet_diag (not built, or its module missing) tcpx goes on
 * without sock_diag, as it does when another handler holds the protocol.
 */
int tcpx_diag_init(void)
{
	int err;

	if (!tcpx_diag_get_symbols()) {
		pr_info("no inet_diag: no sock_diag for tcpx\n");
		goto none;
	}
	tcpx_diag_views = alloc_percpu(union tcpx_diag_view);
	if (!tcpx_diag_views) {
		tcpx_diag_put_symbols();
		return -ENOMEM;
	}

	tcpx_diag_handler.idiag_type = tcpx_ipproto;
	err = tcpx_inet_diag.reg(&tcpx_diag_handler);
	if (err) {
		pr_warn("inet_diag handler for protocol %d: %d, no sock_diag\n",
			tcpx_ipproto, err);
		free_percpu(tcpx_diag_views);
		tcpx_diag_views = NULL;
		goto none;
	}
	tcpx_diag_registered = true;
	return 0;

none:
	tcpx_diag_put_symbols();
	return 0;
}

/* After unregistering no request runs: the views can go. */
void tcpx_diag_exit(void)
{
	if (tcpx_diag_registered)
		tcpx_inet_diag.unreg(&tcpx_diag_handler);
	tcpx_diag_registered = false;
	free_percpu(tcpx_diag_views);
	tcpx_diag_views = NULL;
	tcpx_diag_put_symbols();
}

#else /* !CONFIG_INET_DIAG */

int tcpx_diag_init(void)
{
	return 0;
}

void tcpx_diag_exit(void)
{
}

#endif /* CONFIG_INET_DIAG */
