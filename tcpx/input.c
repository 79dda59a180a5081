// SPDX-License-Identifier: GPL-2.0
/*
 * Input: the IPv4 protocol handler and the connection state machine.
 *
 * tcpx_v4_rcv() runs in softirq context: it checks the header and the
 * checksum, finds the socket (established or request sock in ehash, then
 * listener, TIME-WAIT), and hands the segment over under the socket's
 * spinlock, or to its backlog while a process owns the socket.
 *
 * tcpx_rcv_state_process() is RFC 9293 3.10.7 "SEGMENT ARRIVES" for the
 * SYN-SENT and synchronized states, step by step, with RFC 5961's checks
 * for RST, SYN and ACK.  Data is taken in order only (the out-of-order
 * queue belongs to the reliability work); a segment beyond rcv_nxt is
 * answered with a duplicate ACK.
 */
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

/*
 * Walk the options; a malformed list drops the segment (contract).  The
 * only option used so far is MSS, on SYNs.
 */
static int tcpx_parse_options(const struct tcphdr *th, u16 *mss)
{
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);

	while (len > 0) {
		u8 kind = *p, olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			return -EINVAL;
		olen = p[1];
		if (olen < 2 || olen > len)
			return -EINVAL;
		if (kind == TCPOPT_MSS) {
			if (olen != TCPOLEN_MSS)
				return -EINVAL;
			if (th->syn && mss)
				*mss = get_unaligned_be16(p + 2);
		}
		p += olen;
		len -= olen;
	}
	return 0;
}

int tcpx_parse_mss(const struct sk_buff *skb, u16 *mss)
{
	*mss = 0;
	return tcpx_parse_options(tcp_hdr(skb), mss);
}

/* RFC 9293 3.10.7.4, first check: is the segment in the receive window? */
static bool tcpx_seq_acceptable(const struct tcpx_sock *tsk, u32 seq,
				u32 end_seq)
{
	u32 wnd_end = tsk->rcv_wup + tsk->rcv_wnd;

	if (tcpx_before(wnd_end, tsk->rcv_nxt))
		wnd_end = tsk->rcv_nxt;
	if (seq == end_seq)
		return tcpx_between(seq, tsk->rcv_nxt, wnd_end);
	if (wnd_end == tsk->rcv_nxt)
		return false;
	return tcpx_between(seq, tsk->rcv_nxt, wnd_end - 1) ||
	       tcpx_between(end_seq - 1, tsk->rcv_nxt, wnd_end - 1) ||
	       (tcpx_before(seq, tsk->rcv_nxt) && tcpx_after(end_seq, wnd_end));
}

static void tcpx_reset(struct sock *sk)
{
	int err;

	trace_tcpx_receive_reset(sk);
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		err = ECONNRESET;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
	}
	tcpx_done(sk);
}

/* Drop what the peer acknowledged from the write queue. */
static void tcpx_clean_acked(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;
	bool freed = false;

	while ((skb = skb_peek(&sk->sk_write_queue)) &&
	       skb != tsk->send_head &&
	       !tcpx_after(TCPX_SKB_CB(skb)->end_seq, tsk->snd_una)) {
		__skb_unlink(skb, &sk->sk_write_queue);
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		__kfree_skb(skb);
		freed = true;
	}
	inet_csk(sk)->icsk_retransmits = 0;
	inet_csk(sk)->icsk_backoff = 0;
	if (tsk->snd_una == tsk->snd_nxt)
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_RETRANS);
	else
		tcpx_reset_rto(sk);
	if (freed)
		sk->sk_write_space(sk);
}

/* RFC 9293 3.10.7.4, fifth check, for the synchronized states. */
static void tcpx_ack(struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 ack = cb->ack_seq;

	if (tcpx_after(ack, tsk->snd_una)) {
		tsk->snd_una = ack;
		if (tcpx_before(tsk->snd_nxt, ack))
			tsk->snd_nxt = ack;
		tsk->dupacks = 0;
		tcpx_clean_acked(sk);
	} else if (ack == tsk->snd_una && cb->seq == cb->end_seq &&
		   tsk->snd_una != tsk->snd_max &&
		   ntohs(tcp_hdr(skb)->window) == tsk->snd_wnd &&
		   ++tsk->dupacks == 3) {
		/* RFC 5681 3.2: three duplicate ACKs mean a loss. */
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_FASTRETRANS);
		tcpx_go_back(sk);
	}
	/* Window update, RFC 9293 3.10.7.4: only from newer segments. */
	if (tcpx_before(tsk->snd_wl1, cb->seq) ||
	    (tsk->snd_wl1 == cb->seq && !tcpx_before(ack, tsk->snd_wl2))) {
		tsk->snd_wnd = ntohs(tcp_hdr(skb)->window);
		tsk->snd_wl1 = cb->seq;
		tsk->snd_wl2 = ack;
	}
}

/* Is our FIN sent and acknowledged? */
static bool tcpx_fin_acked(const struct sock *sk)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);

	return tsk->snd_una == tsk->write_seq && !tsk->send_head &&
	       (sk->sk_shutdown & SEND_SHUTDOWN);
}

/*
 * Queue in-order data.  Returns 1 if the skb was consumed (queued or merged
 * into the tail), 0 if it carried no new data, -ENOBUFS if it had to go.
 */
static int tcpx_queue_rcv(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *tail;
	bool fragstolen;
	int delta;

	__skb_pull(skb, tcp_hdrlen(skb));
	/* Old bytes at the front were delivered already. */
	if (tcpx_before(cb->seq, tsk->rcv_nxt)) {
		u32 dup = tsk->rcv_nxt - cb->seq;

		if (dup >= len)
			return 0;
		if (!pskb_pull(skb, dup))
			return -ENOBUFS;
		cb->seq += dup;
		len -= dup;
	}
	if (!len)
		return 0;
	if (pskb_trim(skb, len))
		return -ENOBUFS;
	/* Over the buffer only when nothing is queued: progress first. */
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	    READ_ONCE(sk->sk_rcvbuf) &&
	    !skb_queue_empty(&sk->sk_receive_queue))
		return -ENOBUFS;

	skb_dst_drop(skb);
	cb->end_seq = cb->seq + len;
	WRITE_ONCE(tsk->rcv_nxt, tsk->rcv_nxt + len);
	tail = skb_peek_tail(&sk->sk_receive_queue);
	if (tail && skb_try_coalesce(tail, skb, &fragstolen, &delta)) {
		TCPX_SKB_CB(tail)->end_seq = cb->end_seq;
		atomic_add(delta, &sk->sk_rmem_alloc);
		sk_mem_charge(sk, delta);
		kfree_skb_partial(skb, fragstolen);
	} else {
		skb_set_owner_r(skb, sk);
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	}
	return 1;
}

/* RFC 9293 3.10.7.4, eighth check: the peer's FIN. */
static void tcpx_fin(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	WRITE_ONCE(tsk->rcv_nxt, tsk->rcv_nxt + 1);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcpx_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		tcpx_send_ack(sk);
		tcpx_set_state(sk, TCP_CLOSING);
		return;
	case TCP_FIN_WAIT2:
		tcpx_send_ack(sk);
		tcpx_time_wait(sk, TCP_TIME_WAIT);
		return;
	}
	tcpx_send_ack(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	}
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static int tcpx_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	const struct tcphdr *th = tcp_hdr(skb);
	u16 mss;

	if (th->ack && (!tcpx_after(cb->ack_seq, tsk->iss) ||
			tcpx_after(cb->ack_seq, tsk->snd_max))) {
		if (!th->rst)
			tcpx_send_reset(sock_net(sk), skb);
		goto discard;
	}
	if (th->rst) {
		if (th->ack)
			tcpx_reset(sk);
		goto discard;
	}
	if (!th->syn)
		goto discard;
	if (tcpx_parse_mss(skb, &mss))
		goto discard;

	tsk->irs = cb->seq;
	tsk->rcv_nxt = cb->seq + 1;
	tsk->copied_seq = tsk->rcv_nxt;
	tsk->rcv_wup = tsk->rcv_nxt;
	tsk->snd_wnd = ntohs(th->window);
	tsk->snd_wl1 = cb->seq;
	tsk->snd_wl2 = cb->ack_seq;
	if (mss)
		tsk->mss_cache = min_t(u32, tsk->mss_cache, mss);
	else
		tsk->mss_cache = min_t(u32, tsk->mss_cache, TCPX_MSS_DEFAULT);

	if (th->ack) {
		tsk->snd_una = cb->ack_seq;
		tcpx_clean_acked(sk);
		tcpx_set_state(sk, TCP_ESTABLISHED);
		tcpx_send_ack(sk);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		}
		tcpx_push_pending(sk);
		goto discard;
	}

	/* Simultaneous open: our SYN goes again, now with an ACK. */
	tcpx_set_state(sk, TCP_SYN_RECV);
	tcpx_go_back(sk);
discard:
	kfree_skb(skb);
	return 0;
}

int tcpx_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	const struct tcphdr *th = tcp_hdr(skb);
	u32 seq = cb->seq, end_seq = cb->end_seq;
	bool fin = th->fin, queued = false;
	u32 len = end_seq - seq - fin;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		goto discard;
	case TCP_SYN_SENT:
		return tcpx_rcv_synsent(sk, skb);
	}

	/* First: sequence number. */
	if (!tcpx_seq_acceptable(tsk, seq, end_seq)) {
		if (!th->rst)
			tcpx_send_ack(sk);
		goto discard;
	}

	/* Second: RST (RFC 5961 3.2: exact match, else a challenge ACK). */
	if (th->rst) {
		if (seq == tsk->rcv_nxt)
			tcpx_reset(sk);
		else
			tcpx_send_ack(sk);
		goto discard;
	}

	/* Fourth: SYN in a synchronized state (RFC 5961 4.2). */
	if (th->syn) {
		tcpx_send_ack(sk);
		goto discard;
	}

	/* Fifth: ACK (RFC 5961 5.2: nothing beyond what was sent). */
	if (!th->ack)
		goto discard;
	if (tcpx_after(cb->ack_seq, tsk->snd_max)) {
		tcpx_send_ack(sk);
		goto discard;
	}
	if (sk->sk_state == TCP_SYN_RECV) {
		if (!tcpx_after(cb->ack_seq, tsk->snd_una)) {
			tcpx_send_reset(sock_net(sk), skb);
			goto discard;
		}
		tcpx_set_state(sk, TCP_ESTABLISHED);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		}
	}
	/* Accepted: the peer is alive (keepalive, timer.c). */
	tsk->rcv_tstamp = tcp_jiffies32;
	inet_csk(sk)->icsk_probes_out = 0;
	tcpx_ack(sk, skb);

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		if (tcpx_fin_acked(sk)) {
			tcpx_set_state(sk, TCP_FIN_WAIT2);
			if (sock_flag(sk, SOCK_DEAD))
				inet_csk_reset_keepalive_timer(sk, tcpx_fin_timeout(sk));
			else
				sk->sk_state_change(sk);
		}
		break;
	case TCP_CLOSING:
		if (tcpx_fin_acked(sk)) {
			tcpx_time_wait(sk, TCP_TIME_WAIT);
			goto discard;
		}
		break;
	case TCP_LAST_ACK:
		if (tcpx_fin_acked(sk)) {
			tcpx_done(sk);
			goto discard;
		}
		break;
	}

	/* Seventh: text, in order only; beyond rcv_nxt gets a duplicate ACK. */
	if (tcpx_after(seq, tsk->rcv_nxt)) {
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_OFODROPS);
		tcpx_send_ack(sk);
		goto discard;
	}
	if (len && (1 << sk->sk_state) &
		   (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) {
		/* Data for a socket that no longer reads: abort, as TCP. */
		if ((sk->sk_shutdown & RCV_SHUTDOWN) &&
		    sk->sk_state != TCP_ESTABLISHED &&
		    tcpx_after(end_seq - fin, tsk->rcv_nxt)) {
			tcpx_send_active_reset(sk, GFP_ATOMIC);
			tcpx_reset(sk);
			goto discard;
		}
		switch (tcpx_queue_rcv(sk, skb, len)) {
		case 1:
			queued = true;
			if (!sock_flag(sk, SOCK_DEAD))
				sk->sk_data_ready(sk);
			break;
		case 0:
			break;
		default:
			/* No room: the peer sends it again. */
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_RCVQDROPS);
			tcpx_send_ack(sk);
			goto discard;
		}
	}

	/* Eighth: FIN, once everything before it is in. */
	if (fin && end_seq - 1 == tsk->rcv_nxt &&
	    (1 << sk->sk_state) & (TCPF_SYN_RECV | TCPF_ESTABLISHED |
				   TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2))
		tcpx_fin(sk);
	else if (end_seq != seq)
		tcpx_send_ack(sk);

	if (sk->sk_state != TCP_CLOSE)
		tcpx_push_pending(sk);
discard:
	if (!queued)
		kfree_skb(skb);
	return 0;
}

int tcpx_v4_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_state == TCP_LISTEN)
		return tcpx_listen_rcv(sk, skb);
	return tcpx_rcv_state_process(sk, skb);
}

/* The request sock of a listener got a segment: maybe the third ACK. */
static int tcpx_rcv_req(struct sk_buff *skb, struct request_sock *req)
{
	struct sock *lsk = req->rsk_listener;
	struct sock *child;

	if (unlikely(lsk->sk_state != TCP_LISTEN)) {
		inet_csk_reqsk_queue_drop_and_put(lsk, req);
		goto discard;
	}
	sock_hold(lsk);
	child = tcpx_check_req(lsk, skb, req);
	if (!child) {
		reqsk_put(req);
		sock_put(lsk);
		goto discard;
	}
	/* The lookup's reference on req went to the accept queue with it. */
	__acquire(child);	/* inet_csk_clone_lock() returned it locked */

	/* The child comes locked; the ACK makes it ESTABLISHED. */
	if (!sock_owned_by_user(child)) {
		tcpx_rcv_state_process(child, skb);
	} else if (sk_add_backlog(child, skb, READ_ONCE(child->sk_rcvbuf))) {
		bh_unlock_sock(child);
		sock_put(child);
		sock_put(lsk);
		goto discard;
	}
	bh_unlock_sock(child);
	sock_put(child);
	lsk->sk_data_ready(lsk);
	sock_put(lsk);
	return 0;
discard:
	kfree_skb(skb);
	return 0;
}

static int tcpx_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct tcphdr *th;
	const struct iphdr *iph;
	struct tcpx_skb_cb *cb;
	bool refcounted;
	struct sock *sk;
	int ret = 0;

	tcpx_inc_stats(net, TCPX_MIB_INSEGS);

	if (skb->pkt_type != PACKET_HOST)
		goto discard;
	if (!pskb_may_pull(skb, sizeof(struct tcphdr)))
		goto bad;
	th = (const struct tcphdr *)skb->data;
	if (th->doff < sizeof(struct tcphdr) / 4)
		goto bad;
	if (!pskb_may_pull(skb, th->doff * 4))
		goto bad;
	if (skb_checksum_init(skb, tcpx_ipproto, inet_compute_pseudo) ||
	    skb_checksum_complete(skb)) {
		tcpx_inc_stats(net, TCPX_MIB_INCSUMERRORS);
		goto bad;
	}
	th = (const struct tcphdr *)skb->data;
	if (tcpx_parse_options(th, NULL))
		goto bad;
	iph = ip_hdr(skb);

	cb = TCPX_SKB_CB(skb);
	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + skb->len - th->doff * 4;
	cb->ack_seq = ntohl(th->ack_seq);
	cb->flags = tcp_flag_byte(th);

	sk = __inet_lookup_established(net, &tcpx_hashinfo, iph->saddr,
				       th->source, iph->daddr, ntohs(th->dest),
				       inet_iif(skb), inet_sdif(skb));
	refcounted = true;
	if (!sk) {
		sk = __inet_lookup_listener(net, &tcpx_hashinfo, skb,
					    th->doff * 4, iph->saddr,
					    th->source, iph->daddr,
					    ntohs(th->dest), inet_iif(skb),
					    inet_sdif(skb));
		refcounted = false;
	}
	if (!sk) {
		tcpx_inc_stats(net, TCPX_MIB_NOPORT);
		tcpx_send_reset(net, skb);
		goto discard;
	}

	if (sk->sk_state == TCP_TIME_WAIT) {
		tcpx_tw_rcv(inet_twsk(sk), skb);
		return 0;
	}
	if (sk->sk_state == TCP_NEW_SYN_RECV)
		return tcpx_rcv_req(skb, inet_reqsk(sk));

	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		ret = tcpx_v4_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		tcpx_inc_stats(net, TCPX_MIB_BACKLOGDROPS);
		bh_unlock_sock(sk);
		if (refcounted)
			sock_put(sk);
		goto discard;
	}
	bh_unlock_sock(sk);
	if (refcounted)
		sock_put(sk);
	return ret;

bad:
	tcpx_inc_stats(net, TCPX_MIB_INERRS);
discard:
	kfree_skb(skb);
	return 0;
}

static struct net_protocol tcpx_protocol = {
	.handler	= tcpx_v4_rcv,
	.no_policy	= 1,
};

int tcpx_input_init(void)
{
	if (inet_add_protocol(&tcpx_protocol, tcpx_ipproto) < 0) {
		pr_err("IPv4 protocol %d is taken\n", tcpx_ipproto);
		return -EBUSY;
	}
	return 0;
}

void tcpx_input_exit(void)
{
	inet_del_protocol(&tcpx_protocol, tcpx_ipproto);
	/* No handler may still run when the module text goes. */
	synchronize_net();
}
