/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpx tracepoints: /sys/kernel/tracing/events/tcpx/.  Addresses come from
 * sock_common, so request and TIME-WAIT socks can be traced too.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tcpx

#if !defined(_TCPX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TCPX_TRACE_H

#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/tcp_states.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#ifndef _TCPX_TRACE_ONCE
#define _TCPX_TRACE_ONCE
/* What became of a SYN cookie (tcpx_syncookie's result). */
enum tcpx_cookie_result {
	TCPX_COOKIE_SENT,
	TCPX_COOKIE_ACCEPTED,
	TCPX_COOKIE_REJECTED,
};

/*
 * Addresses are kept as sockaddrs and printed with %pISc, as TCP's
 * tcp_probe keeps them, so the same events can carry IPv6 ones.
 */
static inline void tcpx_tp_store_v4(__u8 *p, __be32 addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)p;

	memset(p, 0, sizeof(struct sockaddr_in6));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
}

static inline void tcpx_tp_store_v6(__u8 *p, const struct in6_addr *addr)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)p;

	memset(p, 0, sizeof(struct sockaddr_in6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = *addr;
}

/* sin_port and sin6_port are at the same offset: one store for either. */
static inline void tcpx_tp_store_port(__u8 *p, __u16 port)
{
	((struct sockaddr_in *)p)->sin_port = htons(port);
}

/* A segment's payload: its sequence space less SYN and FIN. */
static inline u16 tcpx_tp_data_len(const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	return cb->end_seq - cb->seq - tcp_hdr(skb)->syn - tcp_hdr(skb)->fin;
}

/* The socket's cookie, made now if it has none, as sock_diag's. */
static inline u64 tcpx_tp_cookie(struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}
#endif

/*
 * Every event's first fields, their format and its arguments, as
 * sunrpc.h's SVC_XPRT_ENDPOINT_FIELDS are shared by its events.
 */
#define TCPX_TP_ADDR_FIELDS						\
	__array(__u8, saddr, sizeof(struct sockaddr_in6))		\
	__array(__u8, daddr, sizeof(struct sockaddr_in6))		\
	__field(__u16, sport)						\
	__field(__u16, dport)
#define TCPX_TP_ADDR_FMT	"saddr=%pISc sport=%u daddr=%pISc dport=%u"
#define TCPX_TP_ADDR_ARGS						\
	__entry->saddr, __entry->sport, __entry->daddr, __entry->dport

/*
 * A socket's (full, request or TIME-WAIT: all from sock_common); an IPv6
 * socket's as IPv6 addresses, v4-mapped ones too, as TCP's events.
 */
#define TCPX_TP_STORE_SK(sk_) do {					\
	const struct sock *__sk = (sk_);				\
									\
	if (tcpx_sk_v6(__sk)) {						\
		tcpx_tp_store_v6(__entry->saddr, &__sk->sk_v6_rcv_saddr); \
		tcpx_tp_store_v6(__entry->daddr, &__sk->sk_v6_daddr);	\
	} else {							\
		tcpx_tp_store_v4(__entry->saddr, __sk->sk_rcv_saddr);	\
		tcpx_tp_store_v4(__entry->daddr, __sk->sk_daddr);	\
	}								\
	__entry->sport = __sk->sk_num;					\
	__entry->dport = ntohs(__sk->sk_dport);				\
} while (0)

/* A segment's, its sender first. */
#define TCPX_TP_STORE_SKB(skb_) do {					\
	const struct sk_buff *__skb = (skb_);				\
									\
	if (__skb->protocol == htons(ETH_P_IPV6)) {			\
		tcpx_tp_store_v6(__entry->saddr, &ipv6_hdr(__skb)->saddr); \
		tcpx_tp_store_v6(__entry->daddr, &ipv6_hdr(__skb)->daddr); \
	} else {							\
		tcpx_tp_store_v4(__entry->saddr, ip_hdr(__skb)->saddr);	\
		tcpx_tp_store_v4(__entry->daddr, ip_hdr(__skb)->daddr);	\
	}								\
	__entry->sport = ntohs(tcp_hdr(__skb)->source);			\
	__entry->dport = ntohs(tcp_hdr(__skb)->dest);			\
} while (0)

#define tcpx_show_state(s)						\
	__print_symbolic(s,						\
		{ TCP_ESTABLISHED, "ESTABLISHED" },			\
		{ TCP_SYN_SENT, "SYN_SENT" },				\
		{ TCP_SYN_RECV, "SYN_RECV" },				\
		{ TCP_FIN_WAIT1, "FIN_WAIT1" },				\
		{ TCP_FIN_WAIT2, "FIN_WAIT2" },				\
		{ TCP_TIME_WAIT, "TIME_WAIT" },				\
		{ TCP_CLOSE, "CLOSE" },					\
		{ TCP_CLOSE_WAIT, "CLOSE_WAIT" },			\
		{ TCP_LAST_ACK, "LAST_ACK" },				\
		{ TCP_LISTEN, "LISTEN" },				\
		{ TCP_CLOSING, "CLOSING" },				\
		{ TCP_NEW_SYN_RECV, "NEW_SYN_RECV" })

DECLARE_EVENT_CLASS(tcpx_sock_class,
		    TP_PROTO(const struct sock *sk),
		    TP_ARGS(sk),
		    TP_STRUCT__entry(TCPX_TP_ADDR_FIELDS
				     __field(int, state)),
		    TP_fast_assign(TCPX_TP_STORE_SK(sk);
				   __entry->state = sk->sk_state;),
		    TP_printk(TCPX_TP_ADDR_FMT " state=%s",
			      TCPX_TP_ADDR_ARGS, tcpx_show_state(__entry->state))
);

DEFINE_EVENT(tcpx_sock_class, tcpx_send_reset,
	     TP_PROTO(const struct sock *sk),
	     TP_ARGS(sk)
);

DEFINE_EVENT(tcpx_sock_class, tcpx_receive_reset,
	     TP_PROTO(const struct sock *sk),
	     TP_ARGS(sk)
);

/*
 * As inet_sock_set_state, for full, request and TIME-WAIT socks: with the
 * socket's IP family (AF_INET6 for an IPv6 socket, v4-mapped too).
 */
TRACE_EVENT(tcpx_set_state,
	    TP_PROTO(const struct sock *sk, const int oldstate,
		     const int newstate),
	    TP_ARGS(sk, oldstate, newstate),
	    TP_STRUCT__entry(TCPX_TP_ADDR_FIELDS
			     __field(__u16, family)
			     __field(int, oldstate)
			     __field(int, newstate)),
	    TP_fast_assign(TCPX_TP_STORE_SK(sk);
			   __entry->family = tcpx_sk_v6(sk) ? AF_INET6 : AF_INET;
			   __entry->oldstate = oldstate;
			   __entry->newstate = newstate;),
	    TP_printk("family=%s " TCPX_TP_ADDR_FMT " oldstate=%s newstate=%s",
		      __print_symbolic(__entry->family, { AF_INET, "AF_INET" },
				       { AF_INET6, "AF_INET6" }),
		      TCPX_TP_ADDR_ARGS, tcpx_show_state(__entry->oldstate),
		      tcpx_show_state(__entry->newstate))
);

TRACE_EVENT(tcpx_retransmit,
	    TP_PROTO(const struct sock *sk, u32 seq),
	    TP_ARGS(sk, seq),
	    TP_STRUCT__entry(TCPX_TP_ADDR_FIELDS
			     __field(__u32, seq)
			     __field(int, state)),
	    TP_fast_assign(TCPX_TP_STORE_SK(sk);
			   __entry->seq = seq;
			   __entry->state = sk->sk_state;),
	    TP_printk(TCPX_TP_ADDR_FMT " seq=%u state=%s",
		      TCPX_TP_ADDR_ARGS, __entry->seq,
		      tcpx_show_state(__entry->state))
);

/*
 * As tcp_probe: a segment a synchronized connection accepts, taken before
 * its ACK is processed.  Ports are kept in the sockaddrs too, for %pISpc.
 * snd_cwnd and ssthresh are in bytes (tcpx counts its window in bytes),
 * srtt in microseconds.
 */
TRACE_EVENT(tcpx_probe,
	    TP_PROTO(struct sock *sk, const struct sk_buff *skb),
	    TP_ARGS(sk, skb),
	    TP_STRUCT__entry(TCPX_TP_ADDR_FIELDS
			     __field(__u16, family)
			     __field(__u32, mark)
			     __field(__u16, data_len)
			     __field(__u32, snd_nxt)
			     __field(__u32, snd_una)
			     __field(__u32, snd_cwnd)
			     __field(__u32, ssthresh)
			     __field(__u32, snd_wnd)
			     __field(__u32, srtt)
			     __field(__u32, rcv_wnd)
			     __field(__u64, sock_cookie)),
	    TP_fast_assign(TCPX_TP_STORE_SK(sk);
			   tcpx_tp_store_port(__entry->saddr, __entry->sport);
			   tcpx_tp_store_port(__entry->daddr, __entry->dport);
			   __entry->family = tcpx_sk_v6(sk) ? AF_INET6 : AF_INET;
			   __entry->mark = skb->mark;
			   __entry->data_len = tcpx_tp_data_len(skb);
			   __entry->snd_nxt = tcpx_sk(sk)->snd_nxt;
			   __entry->snd_una = tcpx_sk(sk)->snd_una;
			   __entry->snd_cwnd = tcpx_sk(sk)->snd_cwnd;
			   __entry->ssthresh = tcpx_sk(sk)->snd_ssthresh;
			   __entry->snd_wnd = tcpx_sk(sk)->snd_wnd;
			   __entry->srtt = tcpx_sk(sk)->srtt_us;
			   __entry->rcv_wnd = tcpx_sk(sk)->rcv_wnd;
			   __entry->sock_cookie = tcpx_tp_cookie(sk);),
	    TP_printk("family=%s src=%pISpc dest=%pISpc mark=%#x data_len=%d snd_nxt=%#x snd_una=%#x snd_cwnd=%u ssthresh=%u snd_wnd=%u srtt=%u rcv_wnd=%u sock_cookie=%llx",
		      __print_symbolic(__entry->family, { AF_INET, "AF_INET" },
				       { AF_INET6, "AF_INET6" }),
		      __entry->saddr, __entry->daddr, __entry->mark,
		      __entry->data_len, __entry->snd_nxt, __entry->snd_una,
		      __entry->snd_cwnd, __entry->ssthresh, __entry->snd_wnd,
		      __entry->srtt, __entry->rcv_wnd, __entry->sock_cookie)
);

/*
 * A SYN cookie sent in a SYN+ACK, or an ACK's cookie accepted or rejected.
 * Addresses are the segment's (client first); mss is what the cookie
 * encodes (0 when rejected).  No socket: cookies keep none.
 */
TRACE_EVENT(tcpx_syncookie,
	    TP_PROTO(const struct sk_buff *skb, int result, u16 mss),
	    TP_ARGS(skb, result, mss),
	    TP_STRUCT__entry(TCPX_TP_ADDR_FIELDS
			     __field(int, result)
			     __field(__u16, mss)),
	    TP_fast_assign(TCPX_TP_STORE_SKB(skb);
			   __entry->result = result;
			   __entry->mss = mss;),
	    TP_printk(TCPX_TP_ADDR_FMT " %s mss=%u",
		      TCPX_TP_ADDR_ARGS,
		      __print_symbolic(__entry->result,
				       { TCPX_COOKIE_SENT, "sent" },
				       { TCPX_COOKIE_ACCEPTED, "accepted" },
				       { TCPX_COOKIE_REJECTED, "rejected" }),
		      __entry->mss)
);

#endif /* _TCPX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
