/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpx internals shared by every file of the module.
 *
 * A tcpx socket is an inet_connection_sock whose sk_family is the tcpx
 * family (so SO_DOMAIN reports it) and whose sk_protocol is the IPv4
 * protocol number tcpx rides in.  Sockets of every namespace share one
 * inet_hashinfo (the netns is part of every key, as for TCP); everything
 * else per namespace lives in struct tcpx_pernet.
 */
#ifndef _TCPX_H
#define _TCPX_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "uapi/tcpx.h"

struct tcpx_mib;

#define TCPX_MSS_DEFAULT	536U	/* RFC 9293 3.7.1, until the peer says */
#define TCPX_MIN_MSS		88U	/* as TCP_MIN_MSS */
#define TCPX_INIT_CWND		10U	/* RFC 6928 */
#define TCPX_INFINITE_SSTHRESH	0x7fffffff
#define TCPX_MAX_WINDOW		32767U	/* as MAX_TCP_WINDOW, bounds TCPX_MAXSEG */

/* Per-socket state beyond inet_connection_sock. */
struct tcpx_sock {
	struct inet_connection_sock	icsk;	/* must be first */
	struct hlist_node		node;	/* tcpx_pernet.sockets */

	/* Sequence space, RFC 9293 3.3.1 */
	u32				snd_una;	/* oldest unacknowledged */
	u32				snd_nxt;	/* next to send */
	u32				write_seq;	/* end of the send queue */
	u32				rcv_nxt;	/* next expected */
	u32				copied_seq;	/* next to read */

	/* Congestion state, RFC 5681 */
	u32				snd_cwnd;	/* segments */
	u32				snd_ssthresh;	/* segments */

	int				linger2;	/* TCPX_LINGER2, jiffies */
	u32				mss_cache;	/* current send MSS */
	u32				user_mss;	/* TCPX_MAXSEG */
	u32				keepalive_time;	/* jiffies, 0: sysctl */
	u32				keepalive_intvl; /* jiffies, 0: sysctl */
	u8				keepalive_probes; /* 0: sysctl */
	u8				nodelay:1;
};

static inline struct tcpx_sock *tcpx_sk(const struct sock *sk)
{
	return container_of(inet_csk(sk), struct tcpx_sock, icsk);
}

/* Per-namespace state, reached through net_generic(). */
struct tcpx_pernet {
	struct net			*net;
	struct ctl_table_header		*sysctl_hdr;
	struct tcpx_mib __percpu	*mib;

	/* Every full tcpx socket of the namespace, for /proc and cleanup. */
	spinlock_t			sockets_lock;
	struct hlist_head		sockets;

	/* TIME-WAIT sockets of the namespace; tw_refcount - 1 of them. */
	struct inet_timewait_death_row	death_row;

	/* sysctls: /proc/sys/net/tcpx/ */
	int				syncookies;
	int				max_syn_backlog;
	int				syn_retries;
	int				synack_retries;
	int				msl;
	int				fin_timeout;
	int				keepalive_time;
	int				keepalive_intvl;
	int				keepalive_probes;
	int				retries2;
};

extern unsigned int tcpx_pernet_id;
extern int tcpx_family;
extern int tcpx_ipproto;
extern struct proto tcpx_prot;
extern struct inet_hashinfo tcpx_hashinfo;

static inline struct tcpx_pernet *tcpx_pernet(const struct net *net)
{
	return net_generic(net, tcpx_pernet_id);
}

/* af.c: the socket family and its operations */
int tcpx_proto_init(void);
void tcpx_proto_exit(void);
int tcpx_family_init(void);
void tcpx_family_exit(void);
void tcpx_set_state(struct sock *sk, int state);

/* hash.c: the shared lookup tables */
int tcpx_hash_init(void);
void tcpx_hash_exit(void);

/* pernet.c: namespaces and sysctls */
int tcpx_pernet_init(void);
void tcpx_pernet_exit(void);
void tcpx_pernet_link_sock(struct sock *sk);
void tcpx_pernet_unlink_sock(struct sock *sk);

/* proc.c: /proc/net/tcpx */
int tcpx_proc_init_net(struct net *net);
void tcpx_proc_exit_net(struct net *net);

/* input.c: the IPv4 protocol handler */
int tcpx_input_init(void);
void tcpx_input_exit(void);

/* sockopt.c */
int tcpx_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int tcpx_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);

#endif /* _TCPX_H */
