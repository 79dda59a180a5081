// SPDX-License-Identifier: GPL-2.0
/*
 * The lookup tables, tcpx's own: the kernel's inet helpers use a
 * protocol's tables only with DCCP configured (tcp_or_dccp_get_hashinfo()),
 * and TCP's always from 6.16, so tcpx inserts and removes itself.
 *
 * - Ports: tcpx_bhash, one bucket per (namespace, port) in use, its owners
 *   the full and TIME-WAIT sockets on it (sk_bind_node), with TCP's bind
 *   rules (SO_REUSEADDR, bound devices).
 * - Connections: tcpx_hashinfo.ehash (established, request and TIME-WAIT
 *   socks), hashed as the kernel's IPv4 lookup expects (inet_ehashfn()),
 *   or for IPv6 as tcpx's own lookup (inet6_ehashfn()): the kernel's
 *   IPv6 lookups only take socks whose sk_family is AF_INET6.
 * - Listeners: tcpx_hashinfo.lhash2, by address and port as
 *   __inet_lookup_listener() and tcpx_v6_lookup_listener() search it.
 *
 * The namespace is part of every key, as for TCP.  Lock order: a port
 * bucket, then an ehash bucket.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "tcpx.h"

struct inet_hashinfo tcpx_hashinfo;
/* Sized as TCP's own tables are, by the memory the machine has. */
static unsigned int tcpx_bhash_entries;

/* A port in use in a namespace. */
struct tcpx_bind_bucket {
	possible_net_t		net;
	unsigned short		port;
	/* Taken by bind() or listen(): connect() picks no ephemeral port here. */
	bool			bound;
	struct hlist_node	node;
	struct hlist_head	owners;	/* full and TIME-WAIT socks */
};

struct tcpx_bind_head {
	spinlock_t		lock;	/* the chain and its buckets' owners */
	struct hlist_head	chain;
};

static struct tcpx_bind_head *tcpx_bhash;
static struct kmem_cache *tcpx_bucket_cachep;

static struct tcpx_bind_head *tcpx_bind_head(const struct net *net, u16 port)
{
	return &tcpx_bhash[(port + net_hash_mix(net)) &
			   (tcpx_bhash_entries - 1)];
}

static struct tcpx_bind_bucket *tcpx_bucket_find(struct tcpx_bind_head *head,
						 const struct net *net, u16 port)
{
	struct tcpx_bind_bucket *tb;

	hlist_for_each_entry(tb, &head->chain, node)
		if (tb->port == port && net_eq(read_pnet(&tb->net), net))
			return tb;
	return NULL;
}

static struct tcpx_bind_bucket *tcpx_bucket_get(struct tcpx_bind_head *head,
						struct net *net, u16 port)
{
	struct tcpx_bind_bucket *tb = tcpx_bucket_find(head, net, port);

	if (tb)
		return tb;
	tb = kmem_cache_alloc(tcpx_bucket_cachep, GFP_ATOMIC);
	if (!tb)
		return NULL;
	write_pnet(&tb->net, net);
	tb->port = port;
	tb->bound = false;
	INIT_HLIST_HEAD(&tb->owners);
	hlist_add_head(&tb->node, &head->chain);
	return tb;
}

static void tcpx_bucket_put(struct tcpx_bind_bucket *tb)
{
	if (!hlist_empty(&tb->owners))
		return;
	hlist_del(&tb->node);
	kmem_cache_free(tcpx_bucket_cachep, tb);
}

static void tcpx_bucket_add(struct sock *sk, struct tcpx_bind_bucket *tb)
{
	inet_sk(sk)->inet_num = tb->port;
	sk_add_bind_node(sk, &tb->owners);
	WRITE_ONCE(tcpx_sk(sk)->bind_bucket, tb);
}

/*
 * Do two socks' bound addresses overlap, as inet_rcv_saddr_equal() with
 * wildcards (for AF_INET6 sockets it calls ipv6_rcv_saddr_equal())?  An
 * IPv6 sock's v4-mapped address is its IPv4 one; [::] covers IPv4 too
 * unless IPV6_V6ONLY.
 */
static bool tcpx_rcv_saddr_equal(const struct sock *sk, const struct sock *sk2)
{
	bool v6 = tcpx_sk_v6(sk), v6_2 = tcpx_sk_v6(sk2);
	int type, type2;

	if (!v6) {
		if (v6_2 && ipv6_only_sock(sk2))
			return false;
		return sk->sk_rcv_saddr == sk2->sk_rcv_saddr ||
		       !sk->sk_rcv_saddr || !sk2->sk_rcv_saddr;
	}
	type = ipv6_addr_type(&sk->sk_v6_rcv_saddr);
	type2 = v6_2 ? ipv6_addr_type(&sk2->sk_v6_rcv_saddr) : IPV6_ADDR_MAPPED;
	if (type == IPV6_ADDR_MAPPED && type2 == IPV6_ADDR_MAPPED)
		return !ipv6_only_sock(sk2) &&
		       (sk->sk_rcv_saddr == sk2->sk_rcv_saddr ||
			!sk->sk_rcv_saddr || !sk2->sk_rcv_saddr);
	if (type == IPV6_ADDR_ANY && type2 == IPV6_ADDR_ANY)
		return true;
	if (type2 == IPV6_ADDR_ANY &&
	    !(ipv6_only_sock(sk2) && type == IPV6_ADDR_MAPPED))
		return true;
	if (type == IPV6_ADDR_ANY &&
	    !(ipv6_only_sock(sk) && type2 == IPV6_ADDR_MAPPED))
		return true;
	return v6_2 && ipv6_addr_equal(&sk->sk_v6_rcv_saddr,
				       &sk2->sk_v6_rcv_saddr);
}

/*
 * Would sk bound to tb's port clash with an owner?  TCP's rules
 * (inet_csk_bind_conflict()): owners on other devices never clash; an
 * equal or wildcard address clashes unless both set SO_REUSEADDR and the
 * other does not listen.  relax is false for an ephemeral port, which
 * must be free of both.  SO_REUSEPORT plays no part: the socket layer
 * refuses it outside AF_INET and AF_INET6 (sk_is_inet()).
 */
static bool tcpx_bind_conflict(const struct sock *sk,
			       const struct tcpx_bind_bucket *tb, bool relax)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, &tb->owners) {
		if (sk2 == sk)
			continue;
		if (sk->sk_bound_dev_if && sk2->sk_bound_dev_if &&
		    sk->sk_bound_dev_if != sk2->sk_bound_dev_if)
			continue;
		if (relax && sk->sk_reuse && sk2->sk_reuse &&
		    sk2->sk_state != TCP_LISTEN)
			continue;
		if (tcpx_rcv_saddr_equal(sk, sk2))
			return true;
	}
	return false;
}

/* The bucket of a port, made if need be (NULL without memory), head locked. */
static struct tcpx_bind_bucket *tcpx_bucket_lock(struct net *net, u16 port,
						 struct tcpx_bind_head **headp)
	__acquires(&(*headp)->lock)
{
	*headp = tcpx_bind_head(net, port);
	spin_lock(&(*headp)->lock);
	return tcpx_bucket_get(*headp, net, port);
}

/* A walk over the ephemeral ports, from a random one on, one pass, as TCP's. */
struct tcpx_port_walk {
	int	low, high, off, i;
};

static void tcpx_port_walk_start(const struct sock *sk, struct tcpx_port_walk *w)
{
	inet_sk_get_local_port_range(sk, &w->low, &w->high);
	w->off = get_random_u32_below(w->high - w->low + 1);
	w->i = 0;
}

/* The walk's next port that is not reserved; 0 when it is over. */
static u16 tcpx_port_walk_next(struct net *net, struct tcpx_port_walk *w)
{
	u16 port;

	while (w->i <= w->high - w->low) {
		port = w->low + (w->off + w->i++) % (w->high - w->low + 1);
		if (!inet_is_local_reserved_port(net, port))
			return port;
	}
	return 0;
}

/* bind() (snum 0: an ephemeral port), listen() and autobind: .get_port */
int tcpx_get_port(struct sock *sk, unsigned short snum)
{
	struct net *net = sock_net(sk);
	struct tcpx_port_walk walk;
	struct tcpx_bind_bucket *tb;
	struct tcpx_bind_head *head;
	int err = -EADDRINUSE;

	local_bh_disable();
	if (snum) {
		tb = tcpx_bucket_lock(net, snum, &head);
		if (tb && !tcpx_bind_conflict(sk, tb, true))
			goto found;
		if (tb)
			tcpx_bucket_put(tb);
		spin_unlock(&head->lock);
		goto out;
	}

	tcpx_port_walk_start(sk, &walk);
	while ((snum = tcpx_port_walk_next(net, &walk))) {
		tb = tcpx_bucket_lock(net, snum, &head);
		if (tb && !tcpx_bind_conflict(sk, tb, false))
			goto found;
		spin_unlock(&head->lock);
		if (!tb)
			break;
	}
	goto out;

found:
	tb->bound = true;
	if (!tcpx_sk(sk)->bind_bucket)
		tcpx_bucket_add(sk, tb);
	spin_unlock(&head->lock);
	err = 0;
out:
	local_bh_enable();
	return err;
}

/* The port goes back (.put_port): inet_num 0, as inet_put_port() leaves it. */
void tcpx_put_port(struct sock *sk)
{
	struct tcpx_bind_bucket *tb = tcpx_sk(sk)->bind_bucket;
	struct tcpx_bind_head *head;

	if (!tb)
		return;
	head = tcpx_bind_head(sock_net(sk), tb->port);
	spin_lock_bh(&head->lock);
	__sk_del_bind_node(sk);
	WRITE_ONCE(tcpx_sk(sk)->bind_bucket, NULL);
	inet_sk(sk)->inet_num = 0;
	tcpx_bucket_put(tb);
	spin_unlock_bh(&head->lock);
}

/*
 * A listener's child takes the port its request was for (softirq), in the
 * listener's bucket when the listener still holds that port, else in one
 * of its own; -ENOENT if the listener has no port any more (a disconnect
 * raced with the third ACK), as __inet_inherit_port().
 */
int tcpx_inherit_port(const struct sock *sk, struct sock *child)
{
	u16 port = inet_sk(child)->inet_num;
	struct net *net = sock_net(sk);
	struct tcpx_bind_bucket *tb;
	struct tcpx_bind_head *head;
	int err = 0;

	head = tcpx_bind_head(net, port);
	spin_lock(&head->lock);
	tb = READ_ONCE(tcpx_sk(sk)->bind_bucket);
	if (!tb) {
		err = -ENOENT;
		goto out;
	}
	/* Another port's bucket is under another lock: not looked into. */
	if (READ_ONCE(inet_sk(sk)->inet_num) != port) {
		tb = tcpx_bucket_get(head, net, port);
		if (!tb) {
			err = -ENOMEM;
			goto out;
		}
	}
	tcpx_bucket_add(child, tb);
out:
	spin_unlock(&head->lock);
	return err;
}

/* The connection's address, not the routed one, after a failed connect. */
void tcpx_reset_saddr(struct sock *sk)
{
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;

	if (sk->sk_userlocks & SOCK_BINDADDR_LOCK)
		return;
	inet_sk(sk)->inet_saddr = 0;
	sk->sk_rcv_saddr = 0;
	if (np) {
		np->saddr = in6addr_any;
		sk->sk_v6_rcv_saddr = in6addr_any;
	}
}

/* ehash: IPv6 connections by inet6_ehashfn(), IPv4 and v4-mapped by inet_ehashfn(). */
static u32 tcpx_ehashfn(const struct sock *sk)
{
	if (tcpx_sk_v6_wire(sk))
		return inet6_ehashfn(sock_net(sk), &sk->sk_v6_rcv_saddr,
				     sk->sk_num, &sk->sk_v6_daddr, sk->sk_dport);
	return inet_ehashfn(sock_net(sk), sk->sk_rcv_saddr, sk->sk_num,
			    sk->sk_daddr, sk->sk_dport);
}

/*
 * inet6_match() for tcpx's socks, whose sk_family is not AF_INET6: an
 * IPv6 segment from saddr to daddr, ports (theirs, ours), arriving on
 * dif/sdif.  IPv4 socks keep a v4-mapped or zero sk_v6_daddr, which no
 * IPv6 segment carries (tcpx_v6_rcv() drops v4-mapped ones).
 */
static bool tcpx_v6_match(const struct net *net, const struct sock *sk,
			  const struct in6_addr *saddr,
			  const struct in6_addr *daddr, __portpair ports,
			  int dif, int sdif)
{
	return net_eq(sock_net(sk), net) && sk->sk_portpair == ports &&
	       ipv6_addr_equal(&sk->sk_v6_daddr, saddr) &&
	       ipv6_addr_equal(&sk->sk_v6_rcv_saddr, daddr) &&
	       inet_sk_bound_dev_eq((struct net *)net, sk->sk_bound_dev_if,
				    dif, sdif);
}

/* Is sk's 4-tuple in the chain already (a connection, request or TIME-WAIT)? */
static bool tcpx_ehash_taken(const struct sock *sk, struct hlist_nulls_head *list)
{
	INET_ADDR_COOKIE(acookie, sk->sk_daddr, sk->sk_rcv_saddr);
	const __portpair ports = INET_COMBINED_PORTS(sk->sk_dport, sk->sk_num);
	const int dif = sk->sk_bound_dev_if;
	const struct hlist_nulls_node *node;
	struct net *net = sock_net(sk);
	bool v6 = tcpx_sk_v6_wire(sk);
	struct sock *esk;

	sk_nulls_for_each(esk, node, list) {
		if (esk->sk_hash != sk->sk_hash)
			continue;
		if (v6 ? tcpx_v6_match(net, esk, &sk->sk_v6_daddr,
				       &sk->sk_v6_rcv_saddr, ports, dif, dif) :
			 inet_match(net, esk, acookie, ports, dif, dif))
			return true;
	}
	return false;
}

/*
 * The connection, request or TIME-WAIT sock an IPv6 segment from
 * saddr:sport to daddr:hnum belongs to, a reference held, as
 * __inet6_lookup_established().
 */
struct sock *tcpx_v6_lookup_established(struct net *net,
					const struct in6_addr *saddr,
					__be16 sport,
					const struct in6_addr *daddr,
					u16 hnum, int dif, int sdif)
{
	const __portpair ports = INET_COMBINED_PORTS(sport, hnum);
	struct inet_hashinfo *h = &tcpx_hashinfo;
	const struct hlist_nulls_node *node;
	struct inet_ehash_bucket *head;
	unsigned int slot;
	struct sock *sk;
	u32 hash;

	hash = inet6_ehashfn(net, daddr, hnum, saddr, sport);
	slot = hash & h->ehash_mask;
	head = &h->ehash[slot];
begin:
	sk_nulls_for_each_rcu(sk, node, &head->chain) {
		if (sk->sk_hash != hash ||
		    !tcpx_v6_match(net, sk, saddr, daddr, ports, dif, sdif))
			continue;
		if (unlikely(!refcount_inc_not_zero(&sk->sk_refcnt)))
			return NULL;
		/* SLAB_TYPESAFE_BY_RCU: it may have been reused meanwhile. */
		if (unlikely(!tcpx_v6_match(net, sk, saddr, daddr, ports,
					    dif, sdif))) {
			sock_gen_put(sk);
			goto begin;
		}
		return sk;
	}
	/* Moved to another chain while we walked: walk again. */
	if (get_nulls_value(node) != slot)
		goto begin;
	return NULL;
}

/* As inet6's compute_score(): -1 for no match, higher for closer ones. */
static int tcpx_v6_listener_score(const struct sock *sk, const struct net *net,
				  u16 hnum, const struct in6_addr *daddr,
				  int dif, int sdif)
{
	if (!net_eq(sock_net(sk), net) || sk->sk_num != hnum ||
	    !tcpx_sk_v6(sk))
		return -1;
	if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr) &&
	    !ipv6_addr_equal(&sk->sk_v6_rcv_saddr, daddr))
		return -1;
	if (!inet_sk_bound_dev_eq((struct net *)net, sk->sk_bound_dev_if,
				  dif, sdif))
		return -1;
	return sk->sk_bound_dev_if ? 2 : 1;
}

static struct sock *tcpx_v6_lhash2_lookup(const struct net *net, u32 hash,
					  const struct in6_addr *daddr,
					  u16 hnum, int dif, int sdif)
{
	struct inet_listen_hashbucket *ilb2;
	const struct hlist_nulls_node *node;
	struct sock *sk, *result = NULL;
	int score, hiscore = 0;

	ilb2 = inet_lhash2_bucket(&tcpx_hashinfo, hash);
	sk_nulls_for_each_rcu(sk, node, &ilb2->nulls_head) {
		score = tcpx_v6_listener_score(sk, net, hnum, daddr, dif, sdif);
		if (score > hiscore) {
			result = sk;
			hiscore = score;
		}
	}
	return result;
}

/*
 * The IPv6 listener for a segment to daddr:hnum: one bound to daddr, else
 * one on [::], as inet6_lookup_listener().  No reference: listeners are
 * freed after an RCU grace period (SOCK_RCU_FREE).
 */
struct sock *tcpx_v6_lookup_listener(struct net *net,
				     const struct in6_addr *daddr, u16 hnum,
				     int dif, int sdif)
{
	struct sock *sk;

	sk = tcpx_v6_lhash2_lookup(net, ipv6_portaddr_hash(net, daddr, hnum),
				   daddr, hnum, dif, sdif);
	if (sk)
		return sk;
	return tcpx_v6_lhash2_lookup(net,
				     ipv6_portaddr_hash(net, &in6addr_any, hnum),
				     &in6addr_any, hnum, dif, sdif);
}

/*
 * Into ehash: in place of osk (the request sock a child completes), or
 * after a check that the 4-tuple is free when found_dup_sk asks for one.
 * False if osk was gone already or the 4-tuple taken.  BHs off.
 */
bool tcpx_ehash_insert(struct sock *sk, struct sock *osk, bool *found_dup_sk)
{
	struct inet_hashinfo *h = &tcpx_hashinfo;
	struct inet_ehash_bucket *head;
	spinlock_t *lock;	/* the ehash bucket's */
	bool ret = true;

	sk->sk_hash = tcpx_ehashfn(sk);
	head = inet_ehash_bucket(h, sk->sk_hash);
	lock = inet_ehash_lockp(h, sk->sk_hash);
	spin_lock(lock);
	if (osk) {
		ret = sk_nulls_del_node_init_rcu(osk);
	} else if (found_dup_sk) {
		*found_dup_sk = tcpx_ehash_taken(sk, &head->chain);
		ret = !*found_dup_sk;
	}
	if (ret)
		__sk_nulls_add_node_rcu(sk, &head->chain);
	spin_unlock(lock);
	return ret;
}

/*
 * A full connection into ehash; one that lost the race (osk gone, or the
 * 4-tuple taken) is destroyed here, as inet_ehash_nolisten() does.
 */
bool tcpx_ehash_nolisten(struct sock *sk, struct sock *osk, bool *found_dup_sk)
{
	if (tcpx_ehash_insert(sk, osk, found_dup_sk)) {
		sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
		return true;
	}
	this_cpu_inc(*sk->sk_prot->orphan_count);
	inet_sk_set_state(sk, TCP_CLOSE);
	sock_set_flag(sk, SOCK_DEAD);
	tcpx_destroy_dead(sk);
	return false;
}

/* A request sock out of ehash; false if it was out already. */
bool tcpx_reqsk_unlink(struct request_sock *req)
{
	struct sock *sk = req_to_sk(req);
	spinlock_t *lock;	/* the ehash bucket's */
	bool found;

	if (!sk_hashed(sk))
		return false;
	lock = inet_ehash_lockp(&tcpx_hashinfo, req->rsk_hash);
	spin_lock_bh(lock);
	found = __sk_nulls_del_node_init_rcu(sk);
	spin_unlock_bh(lock);
	return found;
}

/*
 * A listener's lhash2 bucket, by its address as its family knows it; the
 * hash of [::] and of a v4-mapped address is their IPv4 one, so IPv4
 * lookups find dual-stack listeners where they look.
 */
static struct inet_listen_hashbucket *tcpx_lhash2_bucket(const struct sock *sk)
{
	u32 hash;

	if (tcpx_sk_v6(sk))
		hash = ipv6_portaddr_hash(sock_net(sk), &sk->sk_v6_rcv_saddr,
					  sk->sk_num);
	else
		hash = ipv4_portaddr_hash(sock_net(sk), sk->sk_rcv_saddr,
					  sk->sk_num);
	return inet_lhash2_bucket(&tcpx_hashinfo, hash);
}

/* .hash: a listener into lhash2 (listen()); anything else into ehash. */
int tcpx_hash(struct sock *sk)
{
	struct inet_listen_hashbucket *ilb2;

	if (sk->sk_state == TCP_CLOSE)
		return 0;
	local_bh_disable();
	if (sk->sk_state != TCP_LISTEN) {
		tcpx_ehash_nolisten(sk, NULL, NULL);
		goto out;
	}
	ilb2 = tcpx_lhash2_bucket(sk);
	spin_lock(&ilb2->lock);
	__sk_nulls_add_node_rcu(sk, &ilb2->nulls_head);
	sock_set_flag(sk, SOCK_RCU_FREE);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	spin_unlock(&ilb2->lock);
out:
	local_bh_enable();
	return 0;
}

/* .unhash: out of lhash2 or ehash. */
void tcpx_unhash(struct sock *sk)
{
	spinlock_t *lock;	/* the ehash or lhash2 bucket's */

	if (sk_unhashed(sk))
		return;
	if (sk->sk_state == TCP_LISTEN) {
		struct inet_listen_hashbucket *ilb2 = tcpx_lhash2_bucket(sk);

		lock = &ilb2->lock;
	} else {
		lock = inet_ehash_lockp(&tcpx_hashinfo, sk->sk_hash);
	}
	spin_lock_bh(lock);
	if (!sk_unhashed(sk)) {
		__sk_nulls_del_node_init_rcu(sk);
		sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	}
	spin_unlock_bh(lock);
}

/*
 * The sock hashed on a connecting socket's own 4-tuple, in the table of
 * the family it speaks on the wire: a reference held, or NULL.  Under
 * RCU, BHs off.
 */
struct sock *tcpx_lookup_own(const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);

	if (tcpx_sk_v6_wire(sk))
		return tcpx_v6_lookup_established(net, &sk->sk_v6_daddr,
						  inet->inet_dport,
						  &sk->sk_v6_rcv_saddr,
						  inet->inet_num,
						  sk->sk_bound_dev_if, 0);
	return __inet_lookup_established(net, &tcpx_hashinfo, inet->inet_daddr,
					 inet->inet_dport,
					 inet->inet_rcv_saddr, inet->inet_num,
					 sk->sk_bound_dev_if, 0);
}

/*
 * connect(): a port, and the 4-tuple into ehash, unique.  A bound socket
 * keeps its port; otherwise an ephemeral one no bind() holds, as
 * __inet_hash_connect() picks it.  A TIME-WAIT sock of the tuple was
 * recycled before (tcpx_tw_recycle()); one that remains makes it taken.
 */
int tcpx_hash_connect(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct tcpx_port_walk walk;
	struct tcpx_bind_bucket *tb;
	struct tcpx_bind_head *head;
	int err = -EADDRNOTAVAIL;
	bool dup;
	u16 port;

	local_bh_disable();
	if (inet->inet_num) {
		if (tcpx_ehash_nolisten_unique(sk))
			err = 0;
		goto out;
	}
	tcpx_port_walk_start(sk, &walk);
	while ((port = tcpx_port_walk_next(net, &walk))) {
		tb = tcpx_bucket_lock(net, port, &head);
		if (!tb) {
			spin_unlock(&head->lock);
			err = -ENOMEM;
			break;
		}
		inet->inet_num = port;
		inet->inet_sport = htons(port);
		if (!tb->bound && tcpx_ehash_insert(sk, NULL, &dup)) {
			sk_add_bind_node(sk, &tb->owners);
			WRITE_ONCE(tcpx_sk(sk)->bind_bucket, tb);
			sock_prot_inuse_add(net, sk->sk_prot, 1);
			spin_unlock(&head->lock);
			err = 0;
			break;
		}
		inet->inet_num = 0;
		inet->inet_sport = 0;
		tcpx_bucket_put(tb);
		spin_unlock(&head->lock);
	}
out:
	local_bh_enable();
	return err;
}

/* A bound socket's connection into ehash, if its 4-tuple is free. */
bool tcpx_ehash_nolisten_unique(struct sock *sk)
{
	bool dup;

	if (!tcpx_ehash_insert(sk, NULL, &dup))
		return false;
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	return true;
}

/*
 * TIME-WAIT takes sk's place: on its port (released by the TIME-WAIT
 * sock's destructor) and in ehash, its timer armed before it can be found:
 * 6.1's inet_twsk_deschedule_put() only stops the timer, so a sock found
 * first would stay.  Two references: ehash's and the timer's; the
 * kernel's inet_twsk_kill() finds no bind bucket of its own to drop.
 */
void tcpx_twsk_hashdance(struct inet_timewait_sock *tw, struct sock *sk,
			 int timeo)
{
	struct tcpx_bind_bucket *tb = tcpx_sk(sk)->bind_bucket;
	struct inet_hashinfo *h = &tcpx_hashinfo;
	struct tcpx_bind_head *head;
	spinlock_t *lock;	/* the ehash bucket's */

	/* Not the kernel's buckets: inet_twsk_kill() leaves them alone. */
	tw->tw_tb = NULL;
	tw->tw_tb2 = NULL;
	tcpx_twsk((struct sock *)tw)->bind_bucket = NULL;
	local_bh_disable();
	if (tb) {
		head = tcpx_bind_head(sock_net(sk), tb->port);
		spin_lock(&head->lock);
		sk_add_bind_node((struct sock *)tw, &tb->owners);
		tcpx_twsk((struct sock *)tw)->bind_bucket = tb;
		spin_unlock(&head->lock);
	}
	lock = inet_ehash_lockp(h, sk->sk_hash);
	spin_lock(lock);
	refcount_set(&tw->tw_refcnt, 2);
	/* An early expiry waits for this lock in inet_twsk_kill(). */
	__inet_twsk_schedule(tw, timeo, false);
	/* The count and the timer before the sock can be found. */
	smp_wmb();
	hlist_nulls_add_head_rcu(&tw->tw_node,
				 &inet_ehash_bucket(h, sk->sk_hash)->chain);
	if (__sk_nulls_del_node_init_rcu(sk))
		sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	spin_unlock(lock);
	local_bh_enable();
}

/* The TIME-WAIT sock is freed: its port goes back. */
void tcpx_twsk_unbind(struct inet_timewait_sock *tw)
{
	struct tcpx_timewait_sock *ttw = tcpx_twsk((struct sock *)tw);
	struct tcpx_bind_bucket *tb = ttw->bind_bucket;
	struct tcpx_bind_head *head;

	if (!tb)
		return;
	head = tcpx_bind_head(twsk_net(tw), tb->port);
	spin_lock_bh(&head->lock);
	__sk_del_bind_node((struct sock *)tw);
	ttw->bind_bucket = NULL;
	tcpx_bucket_put(tb);
	spin_unlock_bh(&head->lock);
}

/*
 * One spin_lock_init() site per table: lockdep tells lock classes apart by
 * init site.  bhash and bhash2 of tcpx_hashinfo stay empty: the kernel's
 * inet_twsk_kill() takes one lock of each for every TIME-WAIT sock.
 */
static void tcpx_bhash_init(struct inet_hashinfo *h)
{
	unsigned int i;

	for (i = 0; i < tcpx_bhash_entries; i++) {
		spin_lock_init(&tcpx_bhash[i].lock);
		INIT_HLIST_HEAD(&tcpx_bhash[i].chain);
	}
	spin_lock_init(&h->bhash[0].lock);
	INIT_HLIST_HEAD(&h->bhash[0].chain);
	spin_lock_init(&h->bhash2[0].lock);
	INIT_HLIST_HEAD(&h->bhash2[0].chain);
}

int tcpx_hash_init(void)
{
	const struct inet_hashinfo *tcp = init_net.ipv4.tcp_death_row.hashinfo;
	struct inet_hashinfo *h = &tcpx_hashinfo;
	unsigned int i, ehash_entries;
	int err;

	/*
	 * TCP's tables are powers of two sized by alloc_large_system_hash()
	 * at boot (thash_entries=, or one ehash slot per 128 KB of memory);
	 * a port never needs more than 65536 bind buckets.
	 */
	ehash_entries = tcp->ehash_mask + 1;
	tcpx_bhash_entries = clamp_t(unsigned int,
				     rounddown_pow_of_two(tcp->bhash_size),
				     1024, 65536);
	err = inet_hashinfo2_init_mod(h);
	if (err)
		return err;

	err = -ENOMEM;
	tcpx_bucket_cachep = kmem_cache_create("tcpx_bind_bucket",
					       sizeof(struct tcpx_bind_bucket),
					       0, SLAB_HWCACHE_ALIGN, NULL);
	if (!tcpx_bucket_cachep)
		goto err_lhash2;
	tcpx_bhash = kvmalloc_array(tcpx_bhash_entries, sizeof(*tcpx_bhash),
				    GFP_KERNEL);
	if (!tcpx_bhash)
		goto err_cache;

	h->ehash = kvmalloc_array(ehash_entries, sizeof(*h->ehash), GFP_KERNEL);
	if (!h->ehash)
		goto err_bhash;
	h->ehash_mask = ehash_entries - 1;
	for (i = 0; i < ehash_entries; i++)
		INIT_HLIST_NULLS_HEAD(&h->ehash[i].chain, i);
	if (inet_ehash_locks_alloc(h))
		goto err_ehash;

	h->bhash_size = 1;
	h->bhash = kvmalloc_array(1, sizeof(*h->bhash), GFP_KERNEL);
	if (!h->bhash)
		goto err_locks;
	h->bhash2 = kvmalloc_array(1, sizeof(*h->bhash2), GFP_KERNEL);
	if (!h->bhash2)
		goto err_kbhash;
	tcpx_bhash_init(h);
	h->pernet = false;
	return 0;

err_kbhash:
	kvfree(h->bhash);
err_locks:
	inet_ehash_locks_free(h);
err_ehash:
	kvfree(h->ehash);
err_bhash:
	kvfree(tcpx_bhash);
err_cache:
	kmem_cache_destroy(tcpx_bucket_cachep);
err_lhash2:
	inet_hashinfo2_free_mod(h);
	memset(h, 0, sizeof(*h));
	return err;
}

void tcpx_hash_exit(void)
{
	struct inet_hashinfo *h = &tcpx_hashinfo;

	kvfree(h->bhash2);
	kvfree(h->bhash);
	inet_ehash_locks_free(h);
	kvfree(h->ehash);
	kvfree(tcpx_bhash);
	kmem_cache_destroy(tcpx_bucket_cachep);
	inet_hashinfo2_free_mod(h);
}
