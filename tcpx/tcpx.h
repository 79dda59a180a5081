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
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "uapi/tcpx.h"

struct tcpx_mib;
struct tcpx_request_sock_ops;
struct tcpx_skb_af_ops;

#define TCPX_HDR_LEN		20U	/* struct tcphdr, no options */
#define TCPX_MAX_HEADER		(MAX_TCP_HEADER)
#define TCPX_MAX_WIN		65535U	/* the header's field, unscaled */
#define TCPX_MAX_WSCALE		14U	/* RFC 7323 2.3 */
#define TCPX_TIMEOUT_INIT	((unsigned int)HZ)	/* RFC 6298 2.1 */
#define TCPX_RTO_MIN		((unsigned int)(HZ / 5))	/* as TCP_RTO_MIN */
#define TCPX_RTO_MAX		((unsigned int)(120 * HZ))
#define TCPX_DELACK_MIN		((unsigned int)(HZ / 25))	/* as TCP */
#define TCPX_DELACK_MAX		((unsigned int)(HZ / 5))	/* RFC 9293 3.8.6.3 */
#define TCPX_MAX_SACKS		4U	/* blocks an option can carry */
#define TCPX_SACK_WALK		32U	/* ofo skbs one ACK looks at */
#define TCPX_QUICKACKS		16U	/* segments ACKed at once on a new flow */
#define TCPX_PAWS_24DAYS	(60 * 60 * 24 * 24)	/* RFC 7323 5.5, s */
#define TCPX_PAWS_WINDOW	1	/* TSval below TS.Recent still taken */
/*
 * A RST whose timestamp is older is still taken once TS.Recent is this old
 * (s): the peer may have rebooted, its clock with it (tcp_paws_reject()).
 */
#define TCPX_PAWS_RST_AGE	60
#define TCPX_MSS_DEFAULT	536U	/* RFC 9293 3.7.1, until the peer says */
#define TCPX_MIN_MSS		88U	/* as TCP_MIN_MSS */
#define TCPX_MIN_SND_MSS	48	/* as TCP_MIN_SND_MSS: min_snd_mss floor */
#define TCPX_INVALID_RATELIMIT	((unsigned int)(HZ / 2))	/* as TCP's */
#define TCPX_INIT_CWND		10U	/* RFC 6928, segments */
#define TCPX_DUPTHRESH		3U	/* RFC 5681 3.2, duplicate ACKs */
#define TCPX_MAX_CWND		BIT(30)	/* bytes */
#define TCPX_INFINITE_SSTHRESH	0x7fffffff
#define TCPX_MAX_WINDOW		32767U	/* as MAX_TCP_WINDOW, bounds TCPX_MAXSEG */

/* Per-socket state beyond inet_connection_sock. */
struct tcpx_sock {
	struct inet_connection_sock	icsk;	/* must be first */
	struct hlist_node		node;	/* tcpx_pernet.sockets */

	/* Sequence space, RFC 9293 3.3.1 */
	u32				iss;		/* our initial sequence number */
	u32				irs;		/* the peer's */
	u32				snd_una;	/* oldest unacknowledged */
	u32				snd_nxt;	/* next to send */
	u32				snd_max;	/* highest ever sent */
	u64				bytes_acked;	/* snd_una's advance, as TCP's */
	/* tcp_info's counters (RFC 4898 names), for TCPX_INFO and ss */
	u64				bytes_received;	/* rcv_nxt's advance by data */
	u64				bytes_sent;	/* payload sent, resends too */
	u64				bytes_retrans;	/* payload resent */
	u32				segs_in;	/* segments taken in */
	u32				data_segs_in;	/* ... carrying data */
	u32				segs_out;	/* segments sent */
	u32				data_segs_out;	/* ... carrying data */
	u8				dupacks;	/* duplicate ACKs in a row */
	u8				ca_state;	/* TCP_CA_Open/Recovery/Loss */
	u8				loss_sack:1;	/* Loss resends from the scoreboard */
	u8				reord_seen:1;	/* the path reordered (RFC 8985) */
	u32				write_seq;	/* end of the send queue */
	u32				snd_wnd;	/* the peer's window */
	u32				max_window;	/* largest snd_wnd seen */
	u32				last_oow_ack_time; /* jiffies, RFC 5961 7 */
	u32				snd_wl1;	/* seq of the last window update */
	u32				rcv_nxt;	/* next expected */
	u32				copied_seq;	/* next to read */
	u32				rcv_wnd;	/* window last advertised */
	u32				rcv_wup;	/* rcv_nxt when it was advertised */
	struct sk_buff			*send_head;	/* first unsent skb */
	unsigned long			retrans_stamp;	/* jiffies: oldest unacked sent */
	u32				total_retrans;	/* segments retransmitted */
	u16				advmss;		/* the MSS we announce */

	/* Congestion state, RFC 5681 and RFC 6582, in bytes */
	u32				snd_cwnd;
	u32				snd_ssthresh;
	u32				cwnd_acked;	/* bytes toward the next +MSS */
	/* RFC 7661: how much of cwnd the flight used, this window */
	u32				max_flight;
	u32				cwnd_usage_seq;	/* snd_max: the window's end */
	u8				cwnd_limited:1;	/* the flight filled cwnd */
	u32				recover;	/* NewReno: snd_max at loss */
	unsigned long			lsndtime;	/* jiffies of the last send */

	/* RFC 6298 estimator, microseconds (srtt and rttvar unscaled) */
	u32				srtt_us;
	u32				rttvar_us;

	/* RFC 7323: window scaling, timestamps, PAWS */
	u8				snd_wscale;	/* the peer's shift */
	u8				rcv_wscale;	/* ours */
	u8				wscale_ok:1;
	u8				tstamp_ok:1;
	u8				sack_ok:1;	/* RFC 2018, both offered */
	u8				dsack:1;	/* dsack_seq..dsack_end to report */
	u32				ts_recent;	/* the peer's last TSval */
	u32				ts_recent_stamp; /* seconds, when saved */
	u32				ts_off;		/* added to our TSvals */
	u32				syn_ts;		/* clock at our first SYN */

	/* Receiver: out-of-order queue, ACK pacing, window sizing */
	struct rb_root			ofo_queue;	/* skbs keyed by seq */
	u32				ofo_segs;	/* skbs in ofo_queue */
	u16				rcv_mss;	/* largest segment seen */
	u16				rcv_ratio;	/* payload/truesize, /256 */
	u32				win_probes;	/* zero-window probes sent */
	/* RFC 2018 4: the blocks reported, the newest first */
	u32				sack_blocks[TCPX_MAX_SACKS][2];
	u8				sack_nr;	/* entries in sack_blocks */
	u32				dsack_seq;	/* RFC 2883: a duplicate, */
	u32				dsack_end;	/* reported on the next ACK */

	/* SACK scoreboard and RACK-style loss detection (RFC 8985) */
	/*
	 * The sent segments of the write queue, indexed so that no ACK walks
	 * the queue (recovery.c): the ones not SACKed by sequence number, for
	 * SACK blocks to find theirs; the ones in flight (neither SACKed nor
	 * lost) by send time, oldest first, for RACK; the lost ones to resend,
	 * by sequence number.  The lists run through tcp_tsorted_anchor, as
	 * TCP's tsorted_sent_queue.
	 */
	struct rb_root			rtx_index;
	struct list_head		tsorted;
	struct list_head		lost_queue;
	u32				sacked_out;	/* bytes SACKed above snd_una */
	u32				lost_out;	/* bytes marked lost, not resent */
	u32				rack_xmit_us;	/* newest send known delivered */
	u32				rack_rtt_us;	/* ... and its round trip */
	u32				sack_high;	/* highest end SACKed */
	u32				min_rtt_us;
	u8				reo_mult;	/* reordering window steps */
	/* RFC 6937 proportional rate reduction, in bytes, this recovery */
	u32				prr_delivered;	/* delivered since it began */
	u32				prr_out;	/* sent since it began */
	u32				recover_fs;	/* the flight when it began */

	/* Undo of a recovery that timestamps show was spurious (RFC 3522) */
	u32				prior_cwnd;
	u32				prior_ssthresh;
	u32				undo_tsval;	/* TSval of the first resend */

	int				linger2;	/* TCPX_LINGER2, jiffies */
	u32				mss_cache;	/* current send MSS */
	u16				mss_clamp;	/* the peer's MSS option */
	u32				mtu_info;	/* ICMP frag-needed MTU */
	unsigned long			deferred;	/* TCPX_*_DEFERRED */
	u32				user_mss;	/* TCPX_MAXSEG */
	u32				keepalive_time;	/* jiffies, 0: sysctl */
	u32				keepalive_intvl; /* jiffies, 0: sysctl */
	u8				keepalive_probes; /* 0: sysctl */
	u32				rcv_tstamp;	/* jiffies: last segment accepted */
	u8				nodelay:1;
	u8				cork:1;		/* TCPX_CORK */
	u32				window_clamp;	/* TCPX_WINDOW_CLAMP */
	u32				notsent_lowat;	/* TCPX_NOTSENT_LOWAT */

	/* Buffer autotuning (autotune.c) */
	u32				rcvq_space;	/* read in one RTT, most */
	u32				rcvq_seq;	/* copied_seq at the measure */
	u32				rcvq_time_us;	/* when it began */
	u32				rcv_rtt_us;	/* the receiver's RTT */
	unsigned long			rcv_rtt_stamp;	/* jiffies: its sample */
	u32				rcv_rtt_seq;	/* a window's end, to time */
	u32				rcv_rtt_time_us; /* when it was offered */
	u32				rcv_rtt_tsecr;	/* the last echo timed */
	/* listener: jiffies of the last cookie sent (syncookies=1) */
	unsigned long			synq_overflow;
	/* its port (hash.c); icsk_bind_hash is the kernel's, unused */
	struct tcpx_bind_bucket		*bind_bucket;
	/*
	 * Its address family is fixed by the first bind() or connect(): an
	 * IPv6 socket's inet_sk()->pinet6 points to inet6 (ipv6.c).
	 */
	u8				family_set;
	struct ipv6_pinfo		inet6;
};

static inline struct tcpx_sock *tcpx_sk(const struct sock *sk)
{
	return container_of(inet_csk(sk), struct tcpx_sock, icsk);
}

/*
 * Does a sock's connection run over IPv6 (a full, request or TIME-WAIT
 * sock)?  IPv4 ones, v4-mapped included, keep a v4-mapped or zero
 * sk_v6_daddr.
 */
static inline bool tcpx_sk_v6_wire(const struct sock *sk)
{
	return !ipv6_addr_any(&sk->sk_v6_daddr) &&
	       !ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

/* Bytes in flight: sent and not yet acknowledged. */
static inline u32 tcpx_flight(const struct tcpx_sock *tsk)
{
	return tsk->snd_max - tsk->snd_una;
}

/* A SYN-RCVD connection of a listener: a request sock, not a full one. */
struct tcpx_request_sock {
	struct inet_request_sock	ireq;	/* must be first */
	u32				rcv_isn;
	u32				snt_isn;
	u32				ts_recent;	/* the SYN's TSval */
	u32				ts_off;	/* added to our TSvals */
	u16				mss;	/* the peer's MSS option */
	u32				last_oow_ack_time; /* jiffies, RFC 5961 7 */
	u32				snt_synack_us;	/* the first SYN+ACK; 0: none */
	/* its family's, for the SYN+ACKs of its timer */
	const struct tcpx_request_sock_ops *af_specific;
};

static inline struct tcpx_request_sock *tcpx_rsk(const struct request_sock *req)
{
	return (struct tcpx_request_sock *)req;
}

/* TIME-WAIT: what is left of a connection once both FINs are through. */
struct tcpx_timewait_sock {
	struct inet_timewait_sock	tw_sk;	/* must be first */
	u32				rcv_nxt;
	u32				snd_nxt;
	u32				ts_recent;	/* RFC 7323: the peer's */
	u32				ts_recent_stamp; /* seconds; 0: no TS */
	u32				ts_off;		/* added to our TSvals */
	u32				last_oow_ack_time; /* jiffies, RFC 5961 7 */
	u16				rcv_win;	/* window field of our ACKs */
	struct tcpx_bind_bucket		*bind_bucket;	/* its port (hash.c) */
};

static inline struct tcpx_timewait_sock *tcpx_twsk(const struct sock *sk)
{
	return (struct tcpx_timewait_sock *)sk;
}

/*
 * Per-skb state.  The first bytes stay IPCB's: IP reads them on input, and
 * output clears them on the clone it transmits.
 */
struct tcpx_skb_cb {
	union {
		struct inet_skb_parm	h4;
		struct inet6_skb_parm	h6;
		/* output, queued: its place in rtx_index (cleared on a clone) */
		struct rb_node		rtx_node;
	} header;
	u32			seq;		/* first sequence number */
	u32			end_seq;	/* seq + SYN + data + FIN */
	union {
		u32		ack_seq;	/* input: SEG.ACK (0 without ACK) */
		u32		tw_isn;		/* input, SYN: ISN after TIME-WAIT */
		u32		tx_us;		/* output: last sent */
	};
	u8			flags;		/* TCPHDR_* */
	union {
		struct {			/* input: tcpx_parse_options() */
			u8	saw_tstamp:1;	/* TS option */
			u8	wscale_ok:1;	/* SYN: window scale option */
			u8	sack_ok:1;	/* SYN: SACK permitted */
			u8	wscale:4;	/* SYN: its shift, at most 14 */
		};
		struct {			/* output */
			u8	retrans:1;	/* sent twice */
			u8	sacked:1;	/* the peer SACKed it */
			u8	lost:1;		/* taken as lost */
			u8	indexed:1;	/* in rtx_index */
			u8	listed:1;	/* in tsorted or lost_queue */
		};
	};
	union {					/* input */
		u16		mss;		/* SYN: MSS option, 0: none */
		u16		sack_off;	/* no SYN: SACK option's offset
						 * in the header, 0: none
						 */
	};
	u32			tsval;		/* input: TS option */
	u32			tsecr;
};

#define TCPX_SKB_CB(skb)	((struct tcpx_skb_cb *)&((skb)->cb[0]))

/* Options a segment carries: MSS and window scale on SYNs, timestamps. */
struct tcpx_out_opts {
	u16	mss;		/* 0: none */
	u8	ws_ok:1;
	u8	ts_ok:1;
	u8	sack_perm:1;
	u8	ws;
	u8	nsack;
	u32	tsval;
	u32	tsecr;
	u32	sack[TCPX_MAX_SACKS][2];
};

/* RFC 7323 timestamp clock: milliseconds. */
static inline u32 tcpx_ts_now(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

static inline u32 tcpx_now_us(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/* Sequence arithmetic, RFC 9293 3.4 (modulo 2^32). */
static inline bool tcpx_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

#define tcpx_after(a, b)	tcpx_before(b, a)

static inline bool tcpx_between(u32 seq, u32 lo, u32 hi)
{
	return hi - lo >= seq - lo;
}

/* Per-namespace state, reached through net_generic(). */
struct tcpx_pernet {
	struct net			*net;
	struct ctl_table_header		*sysctl_hdr;
	struct ctl_table_header		*mem_hdr;	/* init_net only */
	struct tcpx_mib __percpu	*mib;

	/* Every full tcpx socket of the namespace, for /proc and cleanup. */
	spinlock_t			sockets_lock;
	struct hlist_head		sockets;

	/* TIME-WAIT sockets of the namespace; tw_refcount - 1 of them. */
	struct inet_timewait_death_row	death_row;

	siphash_key_t			isn_key;	/* RFC 6528 F() */
	siphash_key_t			ts_key;		/* RFC 7323 7.1 */

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
	int				min_snd_mss;
	int				challenge_ack_limit;	/* per second */
	int				max_orphans;
	int				orphan_retries;
	int				rmem[3];	/* min, default, max */
	int				wmem[3];
	u32				challenge_stamp;	/* seconds */
	u32				challenge_count;
	int				syncookie_period;	/* seconds */
	siphash_key_t			cookie_key[2];	/* syncookies.c */
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

/* How long an orphan waits in FIN-WAIT-2: TCPX_LINGER2, else the sysctl. */
static inline int tcpx_fin_timeout(const struct sock *sk)
{
	return READ_ONCE(tcpx_sk(sk)->linger2) ? :
	       READ_ONCE(tcpx_pernet(sock_net(sk))->fin_timeout) * HZ;
}

/* Keepalive (RFC 1122 4.2.3.6): per-socket values, else the sysctls. */
static inline u32 tcpx_keepalive_time_when(const struct sock *sk)
{
	return READ_ONCE(tcpx_sk(sk)->keepalive_time) ? :
	       READ_ONCE(tcpx_pernet(sock_net(sk))->keepalive_time) * HZ;
}

static inline u32 tcpx_keepalive_intvl_when(const struct sock *sk)
{
	return READ_ONCE(tcpx_sk(sk)->keepalive_intvl) ? :
	       READ_ONCE(tcpx_pernet(sock_net(sk))->keepalive_intvl) * HZ;
}

static inline int tcpx_keepalive_probes(const struct sock *sk)
{
	return READ_ONCE(tcpx_sk(sk)->keepalive_probes) ? :
	       READ_ONCE(tcpx_pernet(sock_net(sk))->keepalive_probes);
}

/* How long the peer has been silent, as keepalive_time_elapsed(). */
static inline u32 tcpx_keepalive_time_elapsed(const struct sock *sk)
{
	return tcp_jiffies32 - tcpx_sk(sk)->rcv_tstamp;
}

/* af.c: the socket family and its operations */
int tcpx_proto_init(void);
void tcpx_proto_exit(void);
void tcpx_sock_track(struct sock *sk);
void tcpx_sock_wait_all(void);
int tcpx_family_init(void);
void tcpx_family_exit(void);
void __tcpx_set_state(struct sock *sk, int state);
void tcpx_set_state(struct sock *sk, int state);
void tcpx_done(struct sock *sk);
void tcpx_destroy_dead(struct sock *sk);
void tcpx_done_with_error(struct sock *sk, int err);
void tcpx_init_sock_state(struct sock *sk);

/* stream.c: the byte stream seen from user space */
int tcpx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int tcpx_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len);
__poll_t tcpx_poll(struct file *file, struct socket *sock, poll_table *wait);
void tcpx_shutdown(struct sock *sk, int how);
void tcpx_close(struct sock *sk, long timeout);
int tcpx_disconnect(struct sock *sk, int flags);
void tcpx_cleanup_rbuf(struct sock *sk, int copied);
void tcpx_write_space(struct sock *sk);
void tcpx_write_queue_purge(struct sock *sk);
#ifdef TCPX_HAVE_SK_IOCTL
int tcpx_ioctl(struct sock *sk, int cmd, int *karg);
#else
int tcpx_ioctl(struct sock *sk, int cmd, unsigned long arg);
#endif
bool tcpx_stream_memory_free(const struct sock *sk, int wake);

/* conn.c: opening connections, actively and passively */
void tcpx_init_connection(struct sock *sk, const struct dst_entry *dst,
			  u32 iss);
int tcpx_connect_hash(struct sock *sk, u32 *tw_isn);
int tcpx_connect_fail(struct sock *sk, int err);
int tcpx_connect_syn(struct sock *sk, const struct dst_entry *dst, u32 iss,
		     u32 ts_off);
void tcpx_init_synced(struct sock *sk, u32 irs, u32 snd_wnd, u32 wl1,
		      u32 pmtu);
int tcpx_listen_rcv(struct sock *sk, struct sk_buff *skb);
void tcpx_child_rcv(struct sock *sk, struct sock *child, struct sk_buff *skb)
	__releases(child);
struct sock *tcpx_check_req(struct sock *sk, struct sk_buff *skb,
			    struct request_sock *req);
bool tcpx_reqsk_drop(struct sock *sk, struct request_sock *req);
void tcpx_reqsk_drop_and_put(struct sock *sk, struct request_sock *req);
/*
 * A family's part in a passive open, as TCP's tcp_request_sock_ops: the
 * request's addresses, ISN and timestamp offset from the segment that
 * opens it, and the route and send of a SYN+ACK.  send_synack sends to
 * the addresses the flow was routed for.  Both routes are NULL when there
 * is none, as the kernel's route_req.
 */
struct tcpx_request_sock_ops {
	void (*init_req)(struct request_sock *req, const struct sk_buff *skb);
	u32 (*init_seq)(const struct net *net, const struct sk_buff *skb);
	u32 (*init_ts_off)(const struct net *net, const struct sk_buff *skb);
	/*
	 * SYN cookies, which keep no request sock: a hash over the
	 * segment's addresses, the route of a SYN+ACK built from the SYN.
	 */
	struct {
		u32 (*hash)(const struct sk_buff *skb, u32 count,
			    const siphash_key_t *key);
		struct dst_entry *(*route)(const struct sock *sk,
					   struct flowi *fl,
					   struct sk_buff *syn);
	} cookie;
	struct dst_entry *(*route_req)(const struct sock *sk, struct flowi *fl,
				       struct request_sock *req);
	int (*send_synack)(const struct sock *sk, struct flowi *fl,
			   struct sk_buff *skb);
	/* its network header, for the SYN+ACK's MSS */
	u16 net_header_len;
};

/* A family's request ops: its functions are tcpx_<v>_<op>, hdr its header. */
#define TCPX_REQUEST_SOCK_OPS(v, hdr) {					\
	.init_req	= tcpx_##v##_init_req,				\
	.init_seq	= tcpx_##v##_init_seq,				\
	.init_ts_off	= tcpx_##v##_init_ts_off,			\
	.cookie		= {						\
		.hash	= tcpx_##v##_cookie_hash,			\
		.route	= tcpx_##v##_route_syn,				\
	},								\
	.route_req	= tcpx_##v##_route_req,				\
	.send_synack	= tcpx_##v##_send_synack,			\
	.net_header_len	= sizeof(struct hdr),				\
}

int tcpx_conn_request(struct request_sock_ops *rsk_ops,
		      const struct tcpx_request_sock_ops *af_ops,
		      struct sock *sk, struct sk_buff *skb);
void tcpx_init_req(const struct tcpx_request_sock_ops *af_ops,
		   const struct sock *sk, struct sk_buff *skb,
		   struct request_sock *req, u32 rcv_isn);
struct sock *tcpx_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				struct request_sock *req, bool hashed,
				bool *own_req);
struct sock *tcpx_create_openreq_child(const struct sock *sk,
				       struct request_sock *req);
struct sock *tcpx_syn_recv_child(const struct sock *sk, struct sk_buff *skb,
				 struct request_sock *req, struct sock *newsk,
				 struct dst_entry *dst,
				 struct request_sock *req_unhash, bool *own_req);
void tcpx_syn_ack_timeout(const struct request_sock *req);
void tcpx_reqsk_destructor(struct request_sock *req);

/* syncookies.c: SYN cookies */
void tcpx_cookie_synack(const struct tcpx_request_sock_ops *af_ops,
			struct sock *sk, struct sk_buff *syn, u16 mss);
bool tcpx_cookie_wanted(const struct sock *sk);
struct sock *tcpx_cookie_check(struct sock *sk, struct sk_buff *skb);

/* minisocks.c: TIME-WAIT */
extern struct timewait_sock_ops tcpx_timewait_sock_ops;
void tcpx_time_wait(struct sock *sk, int state);
void tcpx_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb);
void tcpx_purge_net(struct net *net);
u32 tcpx_tw_recycle(const struct sock *sk);

/*
 * A socket's icsk_af_ops, as TCP's ipv4_specific, ipv6_specific and
 * ipv6_mapped are made: the family on the wire (w: transmit, checksum,
 * network header hdr, PMTU), the listener's family (l: a SYN, the child),
 * and the socket's options (setopt, getopt).
 */
#define TCPX_AF_OPS(xmit, w, hdr, l, setopt, getopt) {			\
	.queue_xmit	= xmit,						\
	.send_check	= tcpx_##w##_send_check,			\
	.conn_request	= tcpx_##l##_conn_request,			\
	.syn_recv_sock	= tcpx_##l##_syn_recv_sock,			\
	.net_header_len	= sizeof(struct hdr),				\
	.setsockopt	= setopt,					\
	.getsockopt	= getopt,					\
	.mtu_reduced	= tcpx_##w##_mtu_reduced,			\
}

/* ipv4.c: IPv4's connect, checksum, ops tables, replies, protocol handler */
int tcpx_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
bool tcpx_v4_ttl_below(const struct sock *sk, const struct sk_buff *skb);
void tcpx_v4_send_check(struct sock *sk, struct sk_buff *skb);
int tcpx_v4_conn_request(struct sock *sk, struct sk_buff *skb);
struct sock *tcpx_v4_child(const struct sock *sk, struct sk_buff *skb,
			   struct request_sock *req, struct dst_entry **dst);
int tcpx_pre_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
extern const struct inet_connection_sock_af_ops tcpx_ipv4_specific;
extern struct request_sock_ops tcpx_request_sock_ops;
extern const struct tcpx_skb_af_ops tcpx_ipv4_skb_ops;
int tcpx_ipv4_init(void);
void tcpx_ipv4_exit(void);

/* ipv6.c: IPv6's counterparts, the v4-mapped ops of IPv6 sockets */
bool tcpx_sk_v6(const struct sock *sk);
bool tcpx_v6_become(struct sock *sk);
void tcpx_v6_sockopt_level(struct sock *sk, int level);
int tcpx_v6_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len);
int tcpx_v6_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
bool tcpx_v6_ttl_below(const struct sock *sk, const struct sk_buff *skb);
void tcpx_v6_child_init(struct sock *newsk, const struct sock *sk);
void tcpx_v6_tw_init(struct inet_timewait_sock *tw, const struct sock *sk);
extern const struct tcpx_skb_af_ops tcpx_ipv6_skb_ops;
extern struct request_sock_ops tcpx6_request_sock_ops;
int tcpx_ipv6_init(void);
void tcpx_ipv6_exit(void);

/* icmp.c: ICMP errors about IPv4 segments, what ICMPv6's share */
int tcpx_v4_err(struct sk_buff *skb, u32 info);
void tcpx_v4_mtu_reduced(struct sock *sk);
void tcpx_icmp_mtu(struct sock *sk, u32 mtu);
void tcpx_pmtu_lowered(struct sock *sk, u32 mtu);
void tcpx_req_err(struct sock *sk, u32 seq, bool abort);
bool tcpx_icmp_in_flight(struct sock *sk, u32 seq);
void tcpx_icmp_report(struct sock *sk, int err, bool recverr);

/* input.c: the family-neutral receive path, the state machine, ACKs */
/*
 * What the core asks of the family of a segment it received, where no
 * full socket's af_ops can answer: replies outside a connection (RST,
 * the ACKs of TIME-WAIT and request socks: skb, the TCP segment built,
 * is the family's to route, send or free), the listener of a segment
 * (one no connection took, or a SYN that ends a TIME-WAIT), and the
 * request ops the cookie check of an ACK to a listener needs -- what TCP's
 * tcp_v4_rcv() and tcp_v4_do_rcv() call themselves.
 */
struct tcpx_skb_af_ops {
	void (*send_reply)(struct net *net, const struct sock *sk,
			   const struct sk_buff *in, struct sk_buff *skb);
	struct sock *(*lookup_listener)(struct net *net, struct sk_buff *skb);
	/* IP_MINTTL or IPV6_MINHOPCOUNT (RFC 5082): below the socket's? */
	bool (*ttl_below)(const struct sock *sk, const struct sk_buff *skb);
	struct request_sock_ops *rsk_ops;
	const struct tcpx_request_sock_ops *req_ops;
};

/*
 * A family's: tcpx_<v>_send_reply, tcpx_<v>_skb_listener,
 * tcpx_<v>_ttl_below, its request ops.
 */
#define TCPX_SKB_AF_OPS(v, rsk, req) {					\
	.send_reply	= tcpx_##v##_send_reply,			\
	.lookup_listener = tcpx_##v##_skb_listener,			\
	.ttl_below	= tcpx_##v##_ttl_below,				\
	.rsk_ops	= &(rsk),					\
	.req_ops	= &(req),					\
}

/* A segment's family: the IP version it arrived with. */
static inline const struct tcpx_skb_af_ops *
tcpx_skb_af(const struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IPV6))
		return &tcpx_ipv6_skb_ops;
	return &tcpx_ipv4_skb_ops;
}

int tcpx_rcv_state_process(struct sock *sk, struct sk_buff *skb);
int tcpx_do_rcv(struct sock *sk, struct sk_buff *skb);
void tcpx_rcv_bad(struct sk_buff *skb);
bool tcpx_rcv_begin(struct sk_buff *skb,
		    __wsum pseudo(struct sk_buff *skb, int proto));
int tcpx_rcv_sk(struct sk_buff *skb, struct sock *sk, unsigned short family);
bool __tcpx_oow_rate_limited(struct net *net, int mib, u32 *last);
bool tcpx_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			   u32 *last);
bool tcpx_challenge_ack_allowed(struct net *net);
void tcpx_ofo_purge(struct sock *sk);

/*
 * A full-sized segment, as TCP's icsk_ack.rcv_mss judges one: at least the
 * largest seen, and at least min(advmss, mss_cache, 536) within
 * TCPX_MIN_MSS (tcp_initialize_rcv_mss()), so that telnet-style one-byte
 * segments never pass for full ones, and a peer's small MSS still does.
 */
static inline bool tcpx_full_sized(const struct tcpx_sock *tsk, u32 len)
{
	u32 floor = min_t(u32, min_t(u32, tsk->advmss, tsk->mss_cache),
			  TCPX_MSS_DEFAULT);

	return len >= max_t(u32, tsk->rcv_mss, max_t(u32, floor, TCPX_MIN_MSS));
}

/* options.c: the option list, walked once per segment */
int tcpx_parse_options(const struct tcphdr *th, struct tcpx_skb_cb *cb);
int tcpx_sack_blocks(const struct sk_buff *skb, u32 blocks[][2]);

/* recovery.c: loss recovery (SACK scoreboard, RACK, NewReno, undo) */
void tcpx_rack_advance(struct tcpx_sock *tsk, const struct sk_buff *skb);
void tcpx_sacktag(struct sock *sk, const struct sk_buff *ack);
u32 tcpx_rack_mark_lost(struct sock *sk);
void tcpx_rack_reo_timeout(struct sock *sk);
bool tcpx_timeout_mark_lost(struct sock *sk);
void tcpx_enter_recovery(struct sock *sk);
void tcpx_recovery_ack(struct sock *sk, u32 acked);
bool tcpx_try_undo(struct sock *sk, const struct tcpx_skb_cb *cb);
void tcpx_sb_init(struct sock *sk);
void tcpx_sb_sent(struct sock *sk, struct sk_buff *skb);
void tcpx_sb_split(struct sock *sk, struct sk_buff *skb, struct sk_buff *nskb);
void tcpx_sb_unlink(struct sock *sk, struct sk_buff *skb);
void tcpx_lost_rebuild(struct sock *sk);
void tcpx_dupack(struct sock *sk);
void tcpx_check_reordering(struct tcpx_sock *tsk, const struct sk_buff *skb);

/* cong.c: congestion control, the window's arithmetic */
void tcpx_cong_avoid(struct sock *sk, u32 acked);
void tcpx_cong_used(struct sock *sk, u32 flight, bool full);
void tcpx_cong_enter_recovery(struct sock *sk);
void tcpx_cong_dupack(struct sock *sk);
void tcpx_cong_prr(struct sock *sk, u32 delivered, bool una_advanced);
bool tcpx_cong_recovery_ack(struct sock *sk, u32 acked);
void tcpx_cong_undo(struct sock *sk);
void tcpx_cong_rto(struct sock *sk, bool first);

/* output.c: building and sending segments */
u32 tcpx_rcv_sws(const struct sock *sk);
u32 tcpx_select_window(struct sock *sk);
u32 tcpx_rcv_space(const struct sock *sk);
u8 tcpx_select_wscale(const struct sock *sk);
u16 tcpx_mss_for_mtu(u32 mtu, unsigned int hdrlen);
unsigned int tcpx_sync_mss(struct sock *sk, u32 pmtu);
void tcpx_set_mss_clamp(struct sock *sk, u16 peer_mss);
int tcpx_transmit_skb(struct sock *sk, struct sk_buff *skb);
/* How a push treats a last, short segment (Nagle, TCPX_CORK, MSG_MORE). */
enum {
	TCPX_PUSH_NORMAL,	/* held by Nagle or the cork */
	TCPX_PUSH_MORE,		/* held: the writer said MSG_MORE */
	TCPX_PUSH_FORCE,	/* sent: the writer waits, or just uncorked */
};

void __tcpx_push_pending(struct sock *sk, int how);
void tcpx_push_pending(struct sock *sk);
unsigned int tcpx_opts_len(const struct tcpx_out_opts *o);
void tcpx_reply_mark(const struct sock *sk, u32 *mark, u32 *prio);
void tcpx_csum_fill(struct sk_buff *skb, __wsum pseudo);
void tcpx_csum_set(struct sock *sk, struct sk_buff *skb, __wsum pseudo);
void tcpx_reply_out(struct net *net, struct sk_buff *skb,
		    struct dst_entry *dst, u32 mark, u32 prio);
void tcpx_fill_header(struct sk_buff *skb, __be16 sport, __be16 dport,
		      u32 seq, u32 ack, u8 flags, u16 win,
		      const struct tcpx_out_opts *o);
void tcpx_send_ack(struct sock *sk);
void tcpx_send_fin(struct sock *sk);
int tcpx_send_syn(struct sock *sk);
void tcpx_send_active_reset(struct sock *sk, gfp_t gfp);
void tcpx_send_reply(struct net *net, const struct sock *sk,
		     const struct sk_buff *in, u32 seq,
		     u32 ack, u8 flags, u16 win);
void tcpx_send_reset(struct net *net, const struct sock *sk,
		     const struct sk_buff *in);
void tcpx_tw_send_ack(struct inet_timewait_sock *tw, const struct sk_buff *in);
u32 tcpx_synack_window(const struct sock *sk);
void tcpx_reqsk_send_ack(const struct sock *sk, const struct sk_buff *in,
			 const struct request_sock *req);
int tcpx_rtx_synack(const struct sock *sk, struct request_sock *req);
int tcpx_send_synack(const struct sock *sk, struct request_sock *req);
int tcpx_send_cookie_synack(const struct tcpx_request_sock_ops *af_ops,
			    const struct sock *sk, struct sk_buff *syn,
			    u32 cookie);
void tcpx_go_back(struct sock *sk);
void tcpx_go_forward(struct sock *sk);
u32 tcpx_pipe(const struct tcpx_sock *tsk);
void tcpx_xmit_lost(struct sock *sk);
void tcpx_resend_oversized(struct sock *sk);
void tcpx_retransmit_head(struct sock *sk);
void tcpx_probe_window(struct sock *sk);
void tcpx_delack(struct sock *sk);
int tcpx_send_probe(struct sock *sk);
/* Bits of tcpx_sock.deferred: work for release_cb, the owner held sk. */
#define TCPX_MTU_REDUCED_DEFERRED	0
void tcpx_release_cb(struct sock *sk);

/* timer.c: RTO, persist, keepalive, delayed ACK */
void tcpx_rtt_sample(struct sock *sk, u32 rtt_us);
void tcpx_rtt_sample_tsecr(struct sock *sk, const struct tcpx_skb_cb *cb);
void tcpx_init_xmit_timers(struct sock *sk);
void tcpx_reset_rto(struct sock *sk);
void tcpx_arm_probe0(struct sock *sk);
void tcpx_set_keepalive(struct sock *sk, int val);

/* mem.c: protocol memory, pressure, orphans */
extern atomic_long_t tcpx_memory_allocated;
extern struct percpu_counter tcpx_sockets_allocated;
extern unsigned long tcpx_memory_pressure;
extern long tcpx_sysctl_mem[3];
DECLARE_PER_CPU(unsigned int, tcpx_orphan_count);
DECLARE_PER_CPU(int, tcpx_memory_per_cpu_fw_alloc);
void tcpx_enter_memory_pressure(struct sock *sk);
void tcpx_leave_memory_pressure(struct sock *sk);
bool tcpx_under_memory_pressure(const struct sock *sk);

/* autotune.c */
void tcpx_init_buffers(struct sock *sk);
int tcpx_rmem_max(const struct sock *sk);
void tcpx_sndbuf_expand(struct sock *sk);
void tcpx_init_buffer_space(struct sock *sk);
void tcpx_rcv_rtt_measure(struct sock *sk, const struct sk_buff *skb);
void tcpx_rcv_space_adjust(struct sock *sk);
bool tcpx_forced_mem_schedule(struct sock *sk, int size, int kind);
bool tcpx_orphan_oom(struct sock *sk);
bool tcpx_out_of_resources(struct sock *sk, bool do_reset);
int tcpx_orphan_retries(const struct sock *sk, bool alive);
int tcpx_mem_init(void);
void tcpx_mem_exit(void);

/* hash.c: the lookup tables: ports, connections, listeners */
struct tcpx_bind_bucket;
int tcpx_get_port(struct sock *sk, unsigned short snum);
void tcpx_put_port(struct sock *sk);
int tcpx_inherit_port(const struct sock *sk, struct sock *child);
void tcpx_reset_saddr(struct sock *sk);
bool tcpx_ehash_insert(struct sock *sk, struct sock *osk, bool *found_dup_sk);
bool tcpx_ehash_nolisten(struct sock *sk, struct sock *osk, bool *found_dup_sk);
bool tcpx_ehash_nolisten_unique(struct sock *sk);
bool tcpx_reqsk_unlink(struct request_sock *req);
int tcpx_hash(struct sock *sk);
void tcpx_unhash(struct sock *sk);
int tcpx_hash_connect(struct sock *sk);
struct sock *tcpx_lookup_own(const struct sock *sk);
struct sock *tcpx_v6_lookup_established(struct net *net,
					const struct in6_addr *saddr,
					__be16 sport,
					const struct in6_addr *daddr,
					u16 hnum, int dif, int sdif);
struct sock *tcpx_v6_lookup_listener(struct net *net,
				     const struct in6_addr *daddr, u16 hnum,
				     int dif, int sdif);
void tcpx_twsk_hashdance(struct inet_timewait_sock *tw, struct sock *sk,
			 int timeo);
void tcpx_twsk_unbind(struct inet_timewait_sock *tw);
int tcpx_hash_init(void);
void tcpx_hash_exit(void);

/* pernet.c: namespaces and sysctls */
int tcpx_pernet_init(void);
void tcpx_pernet_exit(void);
void tcpx_pernet_link_sock(struct sock *sk);
void tcpx_pernet_unlink_sock(struct sock *sk);

/* diag.c: sock_diag (inet_diag) for ipproto, SOCK_DESTROY */
int tcpx_abort(struct sock *sk, int err);
int tcpx_diag_init(void);
void tcpx_diag_exit(void);

/* proc.c: /proc/net/tcpx */
int tcpx_proc_init_net(struct net *net);
void tcpx_proc_exit_net(struct net *net);

/* sockopt.c: socket options */
int tcpx_v6_setsockopt(struct sock *sk, int level, int optname,
		       sockptr_t optval, unsigned int optlen);
int tcpx_v6_getsockopt(struct sock *sk, int level, int optname,
		       char __user *optval, int __user *optlen);
int tcpx_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int tcpx_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);
void tcpx_get_info(struct sock *sk, struct tcpx_info *info);

#endif /* _TCPX_H */
