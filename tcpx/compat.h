/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backfills for the kernels tcpx builds against (Debian's 6.1 and 6.12).
 * Force-included by Kbuild.  Features are probed in Kbuild by looking for
 * the symbol in the target tree's headers (TCPX_HAVE_*), not by version:
 * distribution kernels carry backports.
 */
#ifndef _TCPX_COMPAT_H
#define _TCPX_COMPAT_H

#include <linux/ipv6.h>
#include <linux/kconfig.h>
#include <linux/sysctl.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>

/* Every tcpx socket is dual-stack: the IPv6 glue is not optional. */
#if !IS_ENABLED(CONFIG_IPV6)
#error "tcpx needs a kernel with CONFIG_IPV6"
#endif

/* 6.6 passes the table's size; 6.1 relies on its empty sentinel. */
static inline struct ctl_table_header *
tcpx_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t n)
{
#ifdef TCPX_HAVE_REGISTER_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* inet_sock flag bits replaced bitfields (6.6). */
static inline void tcpx_inet_init_flags(struct sock *sk)
{
#ifdef TCPX_HAVE_INET_FLAGS
	inet_set_bit(IS_ICSK, sk);
	inet_clear_bit(NODEFRAG, sk);
	inet_set_bit(MC_LOOP, sk);
	inet_set_bit(MC_ALL, sk);
#else
	struct inet_sock *inet = inet_sk(sk);

	inet->is_icsk = 1;
	inet->nodefrag = 0;
	inet->mc_loop = 1;
	inet->mc_all = 1;
#endif
}

/* IP_RECVERR set on the socket. */
static inline bool tcpx_recverr(const struct sock *sk)
{
#ifdef TCPX_HAVE_INET_FLAGS
	return inet_test_bit(RECVERR, sk);
#else
	return inet_sk(sk)->recverr;
#endif
}

/* An IPv6 socket's flags, as inet6_create() sets them; bits from 6.6. */
static inline void tcpx_inet6_init_flags(struct sock *sk, bool repflow)
{
#ifdef TCPX_HAVE_INET6_FLAGS
	inet6_set_bit(MC6_LOOP, sk);
	inet6_set_bit(MC6_ALL, sk);
	inet6_assign_bit(REPFLOW, sk, repflow);
#else
	struct ipv6_pinfo *np = inet_sk(sk)->pinet6;

	np->mc_loop = 1;
	np->mc_all = 1;
	np->repflow = repflow;
#endif
}

/* IPV6_RECVERR set on the socket. */
static inline bool tcpx_recverr6(const struct sock *sk)
{
#ifdef TCPX_HAVE_INET6_FLAGS
	return inet6_test_bit(RECVERR6, sk);
#else
	return inet_sk(sk)->pinet6->recverr;
#endif
}

static inline void tcpx_set_recverr6(struct sock *sk, bool on)
{
#ifdef TCPX_HAVE_INET6_FLAGS
	inet6_assign_bit(RECVERR6, sk, on);
#else
	inet_sk(sk)->pinet6->recverr = on;
#endif
}

/*
 * A SOL_IPV6 option's bit: an inet6 (or inet) flag from 6.6, before that a
 * bit-field of ipv6_pinfo (or inet_sock), which the socket lock serializes,
 * named by TCPX_NP_<flag> (TCPX_INET_<flag>).
 */
#ifdef TCPX_HAVE_INET6_FLAGS
#define tcpx_inet6_assign(sk, flag, on)	inet6_assign_bit(flag, sk, on)
#else
#define TCPX_NP_MC6_LOOP		mc_loop
#define TCPX_NP_MC6_ALL			mc_all
#define TCPX_NP_RECVERR6_RFC4884	recverr_rfc4884
#define TCPX_NP_AUTOFLOWLABEL		autoflowlabel
#define TCPX_NP_AUTOFLOWLABEL_SET	autoflowlabel_set
#define TCPX_NP_DONTFRAG		dontfrag
#define TCPX_NP_RTALERT_ISOLATE		rtalert_isolate
#define TCPX_NP_SNDFLOW			sndflow
#define tcpx_inet6_assign(sk, flag, on)	\
	(inet_sk(sk)->pinet6->TCPX_NP_##flag = (on))
#endif

#ifdef TCPX_HAVE_INET_FLAGS
#define tcpx_inet_assign(sk, flag, on)	inet_assign_bit(flag, sk, on)
#else
#define TCPX_INET_TRANSPARENT		transparent
#define TCPX_INET_FREEBIND		freebind
#define tcpx_inet_assign(sk, flag, on)	\
	(inet_sk(sk)->TCPX_INET_##flag = (on))
#endif

/* IPV6_ADDR_PREFERENCES, the socket locked: 6.1 has a locked variant. */
#ifdef TCPX_HAVE___IP6_SOCK_SET_ADDR_PREFERENCES
#define tcpx_ip6_set_addr_preferences(sk, val) \
	__ip6_sock_set_addr_preferences(sk, val)
#else
#define tcpx_ip6_set_addr_preferences(sk, val) \
	ip6_sock_set_addr_preferences(sk, val)
#endif

/* IPV6_RECVERR off: 6.5 keeps the timestamps queued with the errors. */
#ifdef TCPX_HAVE_SKB_ERRQUEUE_PURGE
#define tcpx_errqueue_purge(q)	skb_errqueue_purge(q)
#else
#define tcpx_errqueue_purge(q)	skb_queue_purge(q)
#endif

/*
 * af_ops syn_recv_sock's last parameter in Debian's 6.1 and 6.12 (a stable
 * backport): a hook for a v4-mapped child's IPv6 options, which tcpx's
 * families set themselves.
 */
#ifdef TCPX_HAVE_OPT_CHILD_INIT
#define TCPX_SYN_RECV_SOCK_HOOK \
	, void (*opt_child_init)(struct sock *newsk, const struct sock *sk)
#else
#define TCPX_SYN_RECV_SOCK_HOOK
#endif

/* A connection's route, no address cached beside it. */
#ifdef TCPX_HAVE_IP6_DST_STORE_BOOL
#define tcpx_ip6_dst_store(sk, dst)	ip6_dst_store(sk, dst, NULL, false)
#else
#define tcpx_ip6_dst_store(sk, dst)	ip6_dst_store(sk, dst, NULL, NULL)
#endif

/* A clone's flow label list is the listener's until it drops it. */
static inline void tcpx_inet6_clear_fl_list(struct sock *sk)
{
#ifdef TCPX_HAVE_INET_FL_LIST
	RCU_INIT_POINTER(inet_sk(sk)->ipv6_fl_list, NULL);
#else
	RCU_INIT_POINTER(inet_sk(sk)->pinet6->ipv6_fl_list, NULL);
#endif
}

#endif /* _TCPX_COMPAT_H */
