// SPDX-License-Identifier: GPL-2.0
/*
 * Output: building segments and handing them to IPv4.
 *
 * The write queue holds every segment not yet acknowledged, SYN and FIN
 * included, in sequence order; send_head is the first one not yet sent.
 * A segment is sent as a clone, so the original stays for retransmission.
 * Checksums are computed in software: no NIC offloads protocol 253.
 *
 * Segments that belong to no full socket (RST for a stray segment, ACK
 * from TIME-WAIT, SYN+ACK from a listener) are built from the segment that
 * caused them and routed on their own.
 */
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/route.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

#define TCPX_OPT_MSS_LEN	4

static void tcpx_csum(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct tcphdr *th = tcp_hdr(skb);
	int len = skb->len - skb_transport_offset(skb);

	th->check = 0;
	th->check = csum_tcpudp_magic(saddr, daddr, len, tcpx_ipproto,
				      skb_checksum(skb, skb_transport_offset(skb),
						   len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

/* Fill a header at skb->data (already pushed); options only on SYNs. */
static void tcpx_fill_header(struct sk_buff *skb, __be16 sport, __be16 dport,
			     u32 seq, u32 ack, u8 flags, u16 win, u16 mss)
{
	struct tcphdr *th;
	__be32 *opt;

	skb_reset_transport_header(skb);
	th = tcp_hdr(skb);
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = (flags & TCPHDR_ACK) ? htonl(ack) : 0;
	tcp_flag_byte(th) = flags;
	th->window = htons(win);
	th->doff = TCPX_HDR_LEN / 4;
	if (mss) {
		opt = (__be32 *)(th + 1);
		*opt = htonl((TCPOPT_MSS << 24) | (TCPOLEN_MSS << 16) | mss);
		th->doff += TCPX_OPT_MSS_LEN / 4;
	}
}

u16 tcpx_mss_for_mtu(u32 mtu)
{
	return clamp_t(u32, mtu - sizeof(struct iphdr) - TCPX_HDR_LEN,
		       TCPX_MIN_MSS, 65535U);
}

/*
 * The window to advertise: half the free receive buffer (room for skb
 * overhead), never moving the right edge back (RFC 9293 3.8.6).
 */
u32 tcpx_select_window(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u32 win = max(space, 0) / 2;
	u32 cur = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;

	if (tcpx_before(tsk->rcv_wup + tsk->rcv_wnd, tsk->rcv_nxt))
		cur = 0;
	win = min(max(win, cur), TCPX_MAX_WIN);
	tsk->rcv_wnd = win;
	tsk->rcv_wup = tsk->rcv_nxt;
	return win;
}

/* Send a clone of skb, which stays queued; or skb itself if not queued. */
static int __tcpx_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	u8 flags = cb->flags;
	u16 mss = 0;
	int err;

	if (clone) {
		/* An earlier clone may still be in flight: copy the header room. */
		if (skb_cloned(skb))
			skb = pskb_copy(skb, GFP_ATOMIC);
		else
			skb = skb_clone(skb, GFP_ATOMIC);
		if (!skb)
			return -ENOBUFS;
	}

	/* Everything but the first SYN of an active open carries an ACK. */
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TCPHDR_ACK;
	if (flags & TCPHDR_SYN)
		mss = tsk->advmss;

	skb_push(skb, TCPX_HDR_LEN + (mss ? TCPX_OPT_MSS_LEN : 0));
	tcpx_fill_header(skb, inet->inet_sport, inet->inet_dport, cb->seq,
			 tsk->rcv_nxt, flags, tcpx_select_window(sk), mss);
	tcpx_csum(skb, inet->inet_saddr, inet->inet_daddr);
	/*
	 * Not charged to the socket: a segment waiting in a qdisc or for ARP
	 * must not keep the socket (and its destructor, module text) alive
	 * after rmmod purged it.  The write queue is what sk_sndbuf bounds.
	 */
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));

	if (!clone || tcpx_after(cb->end_seq, tsk->snd_max))
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTSEGS);
	if (flags & TCPHDR_RST)
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTRSTS);
	err = ip_queue_xmit(sk, skb, &inet->cork.fl);
	return net_xmit_eval(err);
}

int tcpx_transmit_skb(struct sock *sk, struct sk_buff *skb)
{
	return __tcpx_transmit_skb(sk, skb, true);
}

static struct sk_buff *tcpx_alloc_ctl_skb(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(TCPX_MAX_HEADER, gfp);

	if (skb)
		skb_reserve(skb, TCPX_MAX_HEADER);
	return skb;
}

/* A segment that is not queued: a pure ACK or RST, seq = snd_nxt. */
static void tcpx_send_ctl(struct sock *sk, u8 flags, gfp_t gfp)
{
	struct sk_buff *skb = tcpx_alloc_ctl_skb(sk, gfp);
	struct tcpx_skb_cb *cb;

	if (!skb)
		return;
	cb = TCPX_SKB_CB(skb);
	cb->seq = tcpx_sk(sk)->snd_nxt;
	cb->end_seq = cb->seq;
	cb->flags = flags;
	__tcpx_transmit_skb(sk, skb, false);
}

void tcpx_send_ack(struct sock *sk)
{
	if (sk->sk_state == TCP_CLOSE)
		return;
	inet_csk(sk)->icsk_ack.pending = 0;
	tcpx_send_ctl(sk, TCPHDR_ACK, GFP_ATOMIC);
}

/* RFC 9293 3.10.7.1: abort a synchronized connection with RST. */
void tcpx_send_active_reset(struct sock *sk, gfp_t gfp)
{
	trace_tcpx_send_reset(sk);
	tcpx_send_ctl(sk, TCPHDR_RST | TCPHDR_ACK, gfp);
}

static void tcpx_queue_skb(struct sock *sk, struct sk_buff *skb)
{
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	if (!tcpx_sk(sk)->send_head)
		tcpx_sk(sk)->send_head = skb;
}

/* The SYN of an active open (or of a simultaneous one). */
int tcpx_send_syn(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	skb = alloc_skb_fclone(TCPX_MAX_HEADER, sk->sk_allocation);
	if (!skb)
		return -ENOBUFS;
	skb_reserve(skb, TCPX_MAX_HEADER);
	TCPX_SKB_CB(skb)->seq = tsk->iss;
	TCPX_SKB_CB(skb)->end_seq = tsk->iss + 1;
	TCPX_SKB_CB(skb)->flags = TCPHDR_SYN;
	tsk->write_seq = tsk->iss + 1;
	tcpx_queue_skb(sk, skb);
	tcpx_push_pending(sk);
	return 0;
}

/* Queue a FIN: on the last unsent segment if there is one. */
void tcpx_send_fin(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (skb && tsk->send_head) {
		TCPX_SKB_CB(skb)->flags |= TCPHDR_FIN;
	} else {
		skb = alloc_skb_fclone(TCPX_MAX_HEADER,
				       sk->sk_allocation | __GFP_NOFAIL);
		skb_reserve(skb, TCPX_MAX_HEADER);
		TCPX_SKB_CB(skb)->seq = tsk->write_seq;
		TCPX_SKB_CB(skb)->end_seq = tsk->write_seq;
		TCPX_SKB_CB(skb)->flags = TCPHDR_FIN;
		tcpx_queue_skb(sk, skb);
	}
	TCPX_SKB_CB(skb)->end_seq++;
	tsk->write_seq++;
	tcpx_push_pending(sk);
}

/*
 * Send what the peer's window allows from send_head on.  Nagle (RFC 896):
 * a short segment waits while data is in flight, unless TCPX_NODELAY.
 */
void tcpx_push_pending(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;
	bool sent = false;

	while ((skb = tsk->send_head)) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		if (skb->len &&
		    tcpx_after(cb->seq + skb->len, tsk->snd_una + tsk->snd_wnd))
			break;
		if (!tsk->nodelay && skb->len && skb->len < tsk->mss_cache &&
		    tsk->snd_nxt != tsk->snd_una &&
		    !(cb->flags & TCPHDR_FIN) &&
		    skb_queue_is_last(&sk->sk_write_queue, skb))
			break;
		if (skb_queue_is_last(&sk->sk_write_queue, skb) && skb->len)
			cb->flags |= TCPHDR_PSH;
		if (!tcpx_after(cb->end_seq, tsk->snd_max)) {
			trace_tcpx_retransmit(sk, cb->seq);
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_RETRANSSEGS);
			tsk->total_retrans++;
		}
		if (tcpx_transmit_skb(sk, skb))
			break;
		tsk->snd_nxt = cb->end_seq;
		if (tcpx_after(cb->end_seq, tsk->snd_max))
			tsk->snd_max = cb->end_seq;
		tsk->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				 NULL : skb->next;
		sent = true;
	}
	if (sent && !inet_csk(sk)->icsk_pending)
		tcpx_reset_rto(sk);
}

/*
 * Loss: send everything unacknowledged again, from snd_una, as the window
 * allows (go-back-N).  The receiver keeps no out-of-order data yet, so
 * whatever followed a lost segment was dropped too.
 */
void tcpx_go_back(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == tsk->send_head)
		return;
	tsk->send_head = skb;
	tsk->snd_nxt = tsk->snd_una;
	tsk->dupacks = 0;
	tcpx_push_pending(sk);
}

/*
 * A reply to segment "in" with no full socket behind it: RST for a stray
 * segment, ACK from TIME-WAIT.  Addresses and ports are in's, swapped.
 */
void tcpx_send_reply(struct net *net, const struct sk_buff *in, u32 seq,
		     u32 ack, u8 flags, u16 win)
{
	const struct tcphdr *th = tcp_hdr(in);
	const struct iphdr *iph = ip_hdr(in);
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;
	struct iphdr *niph;

	rt = ip_route_output_ports(net, &fl4, NULL, iph->saddr, iph->daddr,
				   th->source, th->dest, tcpx_ipproto, 0,
				   inet_iif(in));
	if (IS_ERR(rt))
		return;
	skb = alloc_skb(TCPX_MAX_HEADER, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(skb, TCPX_MAX_HEADER);
	skb_push(skb, TCPX_HDR_LEN);
	tcpx_fill_header(skb, th->dest, th->source, seq, ack, flags, win, 0);

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
	skb_dst_set(skb, &rt->dst);
	ip_select_ident(net, skb, NULL);
	skb->protocol = htons(ETH_P_IP);
	tcpx_csum(skb, niph->saddr, niph->daddr);

	tcpx_inc_stats(net, TCPX_MIB_OUTSEGS);
	if (flags & TCPHDR_RST)
		tcpx_inc_stats(net, TCPX_MIB_OUTRSTS);
	ip_local_out(net, NULL, skb);
}

/* RFC 9293 3.10.7.1: the reset for a segment that finds no connection. */
void tcpx_send_reset(struct net *net, const struct sk_buff *in)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(in);

	if (cb->flags & TCPHDR_RST)
		return;
	if (cb->flags & TCPHDR_ACK)
		tcpx_send_reply(net, in, cb->ack_seq, 0, TCPHDR_RST, 0);
	else
		tcpx_send_reply(net, in, 0, cb->end_seq,
				TCPHDR_RST | TCPHDR_ACK, 0);
}

/* SYN+ACK of a request sock, or of a SYN cookie. */
int tcpx_send_synack(const struct sock *sk, struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	struct tcpx_request_sock *treq = tcpx_rsk(req);
	struct dst_entry *dst;
	struct sk_buff *skb;
	struct flowi4 fl4;
	int err;

	dst = inet_csk_route_req(sk, &fl4, req);
	if (!dst)
		return -EHOSTUNREACH;
	skb = alloc_skb(TCPX_MAX_HEADER, GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	skb_reserve(skb, TCPX_MAX_HEADER);
	skb_push(skb, TCPX_HDR_LEN + TCPX_OPT_MSS_LEN);
	tcpx_fill_header(skb, htons(ireq->ir_num), ireq->ir_rmt_port,
			 treq->snt_isn, treq->rcv_isn + 1,
			 TCPHDR_SYN | TCPHDR_ACK,
			 min(READ_ONCE(sk->sk_rcvbuf) / 2, (int)TCPX_MAX_WIN),
			 tcpx_mss_for_mtu(dst_mtu(dst)));
	tcpx_csum(skb, ireq->ir_loc_addr, ireq->ir_rmt_addr);
	skb_dst_set(skb, dst);

	tcpx_inc_stats(sock_net(sk), TCPX_MIB_OUTSEGS);
	err = ip_build_and_send_pkt(skb, sk, ireq->ir_loc_addr,
				    ireq->ir_rmt_addr, NULL, 0);
	return net_xmit_eval(err);
}

/*
 * A SYN+ACK again (rsk_ops: the request's timer, a duplicate SYN).  The
 * first goes by tcpx_send_synack(): the timer's first resend runs with
 * num_timeout still 0, so only this path knows it is a retransmission.
 */
int tcpx_rtx_synack(const struct sock *sk, struct request_sock *req)
{
	int err = tcpx_send_synack(sk, req);

	if (!err)
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_RETRANSSEGS);
	return err;
}
