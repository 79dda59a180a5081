// SPDX-License-Identifier: GPL-2.0
/*
 * Input: what every family's receive entry shares, and the connection
 * state machine.
 *
 * The family's handler (tcpx_v4_rcv() in ipv4.c, tcpx_v6_rcv() in ipv6.c)
 * runs in softirq context: tcpx_rcv_begin() checks the header and the
 * checksum and fills the control block; the family looks the socket up in
 * ehash (established, request or TIME-WAIT sock); tcpx_rcv_sk() finds the
 * listener if there is none there, and hands the segment over under the
 * socket's spinlock, or to its backlog while a process owns the socket.
 *
 * tcpx_rcv_state_process() is RFC 9293 3.10.7 "SEGMENT ARRIVES" for the
 * SYN-SENT and synchronized states, step by step, with RFC 5961's checks
 * for RST, SYN and ACK, and RFC 7323's PAWS.  Data beyond rcv_nxt waits
 * in the out-of-order queue and draws an immediate duplicate ACK; in-order
 * data is ACKed for every second full segment or after the delayed-ACK
 * timeout.  ACKs drive RFC 6298 RTT estimation, loss recovery
 * (recovery.c) and congestion control (cong.c).
 */
#include <linux/filter.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/random.h>
#include <linux/security.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/xfrm.h>

#include "mib.h"
#include "trace.h"
#include "tcpx.h"

/*
 * RFC 9293 3.10.7.4, first check: is the segment in the receive window?
 * As TCP's tcp_sequence(): it ends at or after rcv_wup, the rcv_nxt our
 * last ACK carried, and starts at or before the right edge.  From rcv_wup:
 * an ACK or window update the peer sent before data that overtook it, our
 * ACK for that data still delayed, is news to process (old data in it is
 * trimmed and answered with a D-SACK), not a duplicate to drop.  The right
 * edge included: a probe there, a zero window's too, is taken for its ACK
 * ("special allowance should be made to accept valid ACKs"), and its text
 * dropped by tcpx_data_queue() with an answer at once, not a rate-limited
 * duplicate ACK.
 */
static u32 tcpx_rcv_wnd_end(const struct tcpx_sock *tsk)
{
	u32 wnd_end = tsk->rcv_wup + tsk->rcv_wnd;

	return tcpx_before(wnd_end, tsk->rcv_nxt) ? tsk->rcv_nxt : wnd_end;
}

static bool tcpx_seq_acceptable(const struct tcpx_sock *tsk, u32 seq,
				u32 end_seq)
{
	return !tcpx_before(end_seq, tsk->rcv_wup) &&
	       !tcpx_after(seq, tcpx_rcv_wnd_end(tsk));
}

/*
 * RFC 5961 3.2, as TCP extends it (tcp_reset_check()): after the peer's
 * FIN a RST may carry the FIN's sequence number, rcv_nxt - 1 -- even
 * though that lies left of the window.
 */
static bool tcpx_reset_after_fin(const struct sock *sk, u32 seq)
{
	return seq == tcpx_sk(sk)->rcv_nxt - 1 &&
	       (1 << sk->sk_state) & (TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING);
}

/*
 * Does an acceptable RST reset the connection?  At rcv_nxt (RFC 5961
 * 3.2), after a FIN as above, or, as tcp_validate_incoming() has it, at
 * the right end of the highest SACK block we report: the peer reset
 * after data we hold out of order.  Else it draws a challenge ACK.
 */
static bool tcpx_reset_acceptable(const struct sock *sk, u32 seq)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	bool any = false;
	u32 max_sack = 0;
	int i;

	if (seq == tsk->rcv_nxt || tcpx_reset_after_fin(sk, seq))
		return true;
	if (!tsk->sack_ok)
		return false;
	/* The blocks kept to report, not the queue: a pruned one is gone. */
	for (i = 0; i < tsk->sack_nr; i++) {
		const u32 *b = tsk->sack_blocks[i];

		if (tcpx_before(b[0], tsk->rcv_nxt))
			continue;	/* passed, no longer reported */
		if (!any || tcpx_after(b[1], max_sack))
			max_sack = b[1];
		any = true;
	}
	return any && seq == max_sack;
}

/*
 * RFC 2883: report [seq, end_seq) as a duplicate in the first SACK block of
 * the next ACK (output.c clears it once sent), as tcp_dsack_set().
 */
static void tcpx_dsack_set(struct tcpx_sock *tsk, u32 seq, u32 end_seq)
{
	if (!tsk->sack_ok || !tcpx_before(seq, end_seq))
		return;
	tsk->dsack = 1;
	tsk->dsack_seq = seq;
	tsk->dsack_end = end_seq;
}

/* Widen [*lo, *hi) by [seq, end_seq) if they touch, as tcp_sack_extend(). */
static bool tcpx_block_extend(u32 *lo, u32 *hi, u32 seq, u32 end_seq)
{
	if (tcpx_after(seq, *hi) || tcpx_after(*lo, end_seq))
		return false;
	if (tcpx_before(seq, *lo))
		*lo = seq;
	if (tcpx_after(end_seq, *hi))
		*hi = end_seq;
	return true;
}

/* Another duplicate: widen the block if it touches, as tcp_dsack_extend(). */
static void tcpx_dsack_extend(struct tcpx_sock *tsk, u32 seq, u32 end_seq)
{
	if (!tsk->dsack)
		tcpx_dsack_set(tsk, seq, end_seq);
	else
		tcpx_block_extend(&tsk->dsack_seq, &tsk->dsack_end, seq, end_seq);
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
	tcpx_done_with_error(sk, err);
}

/*
 * Drop what the peer acknowledged from the write queue, taking an RTT
 * sample from the newest segment sent only once (Karn's rule).  An ACK
 * may cover segments that go-back-N had queued for sending again:
 * send_head moves past them.
 */
static void tcpx_clean_acked(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;
	bool freed = false;
	u32 tx_us = 0;

	while ((skb = skb_peek(&sk->sk_write_queue)) &&
	       !tcpx_after(TCPX_SKB_CB(skb)->end_seq, tsk->snd_una)) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		if (skb == tsk->send_head) {
			tsk->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
					 NULL : skb->next;
		} else if (!cb->retrans && !cb->sacked) {
			/*
			 * Not a SACKed one either: it arrived long before this
			 * ACK (a whole timeout before, after one), as in
			 * tcp_clean_rtx_queue().
			 */
			tx_us = cb->tx_us;
			tcpx_rack_advance(tsk, skb);
			tcpx_check_reordering(tsk, skb);
		}
		if (cb->sacked)
			tsk->sacked_out -= skb->len;
		if (cb->lost)
			tsk->lost_out -= skb->len;
		tcpx_sb_unlink(sk, skb);
		__skb_unlink(skb, &sk->sk_write_queue);
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		__kfree_skb(skb);
		freed = true;
	}
	if (tx_us)
		tcpx_rtt_sample(sk, tcpx_now_us() - tx_us);
	inet_csk(sk)->icsk_retransmits = 0;
	inet_csk(sk)->icsk_backoff = 0;
	if (tsk->snd_una == tsk->snd_max)
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_RETRANS);
	else
		tcpx_reset_rto(sk);
	if (freed) {
		tcpx_sndbuf_expand(sk);
		sk->sk_write_space(sk);
	}
}

/*
 * Window update, RFC 9293 3.10.7.4: only from newer segments.  As
 * tcp_may_update_window() judges them: one that acknowledges new data is
 * newer, whatever its sequence number (a retransmission sent after the
 * last update); at SND.WL1 the window may grow or close, not shrink (that
 * may be an older segment reordered).
 */
static bool tcpx_may_update_window(const struct tcpx_sock *tsk, u32 ack,
				   u32 seq, u32 win)
{
	return tcpx_after(ack, tsk->snd_una) || tcpx_after(seq, tsk->snd_wl1) ||
	       (seq == tsk->snd_wl1 && (win > tsk->snd_wnd || !win));
}

/* RFC 9293 3.10.7.4, fifth check, for the synchronized states. */
static void tcpx_ack(struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 ack = cb->ack_seq, acked;
	u32 win = (u32)ntohs(tcp_hdr(skb)->window) << tsk->snd_wscale;
	/* RFC 5961 5.2: an old ACK's window is old news too. */
	bool old_ack = tcpx_before(ack, tsk->snd_una);
	bool wnd_news = !old_ack &&
			tcpx_may_update_window(tsk, ack, cb->seq, win);
	u32 prior_una = tsk->snd_una, prior_sacked = tsk->sacked_out;
	s32 delivered;

	/*
	 * The peer is alive: probes (persist, keepalive) start over, and an
	 * ICMP error remembered for a timeout is forgotten, as in tcp_ack().
	 */
	inet_csk(sk)->icsk_probes_out = 0;
	if (READ_ONCE(sk->sk_err_soft))
		WRITE_ONCE(sk->sk_err_soft, 0);
	if (tsk->sack_ok && tsk->snd_una != tsk->snd_max)
		tcpx_sacktag(sk, skb);
	if (tcpx_after(ack, tsk->snd_una)) {
		acked = ack - tsk->snd_una;
		tsk->bytes_acked += acked;
		tsk->snd_una = ack;
		if (tcpx_before(tsk->snd_nxt, ack))
			tsk->snd_nxt = ack;
		tcpx_clean_acked(sk);
		if ((tsk->ca_state == TCP_CA_Recovery ||
		     tsk->ca_state == TCP_CA_Loss) &&
		    tcpx_try_undo(sk, cb)) {
			tcpx_cong_avoid(sk, acked);
		} else if (tsk->ca_state == TCP_CA_Recovery) {
			tcpx_recovery_ack(sk, acked);
		} else {
			tsk->dupacks = 0;
			if (tsk->ca_state == TCP_CA_Loss &&
			    !tcpx_before(ack, tsk->recover))
				tsk->ca_state = TCP_CA_Open;
			tcpx_cong_avoid(sk, acked);
		}
	} else if (ack == tsk->snd_una && cb->seq == cb->end_seq &&
		   tsk->snd_una != tsk->snd_max && win == tsk->snd_wnd) {
		tcpx_dupack(sk);
	}
	if (tsk->sack_ok && tcpx_rack_mark_lost(sk) &&
	    tsk->ca_state == TCP_CA_Open)
		tcpx_enter_recovery(sk);
	/* RFC 6937: delivered, newly ACKed or SACKed, paces the resends. */
	if (tsk->sack_ok && tsk->ca_state == TCP_CA_Recovery) {
		delivered = (s32)(tsk->snd_una - prior_una) +
			    (s32)(tsk->sacked_out - prior_sacked);
		tcpx_cong_prr(sk, max(delivered, 0), tsk->snd_una != prior_una);
	}
	if (wnd_news) {
		tsk->snd_wnd = win;
		/* A larger window may allow larger segments (output.c). */
		if (win > tsk->max_window) {
			tsk->max_window = win;
			tcpx_sync_mss(sk, inet_csk(sk)->icsk_pmtu_cookie);
		}
		tsk->snd_wl1 = cb->seq;
		/* The window opened: back to the RTO's own pace. */
		if (win && inet_csk(sk)->icsk_pending == ICSK_TIME_PROBE0)
			inet_csk(sk)->icsk_backoff = 0;
	}
}

/* Is our FIN sent and acknowledged? */
static bool tcpx_fin_acked(const struct sock *sk)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);

	return tsk->snd_una == tsk->write_seq && !tsk->send_head &&
	       (sk->sk_shutdown & SEND_SHUTDOWN);
}

/* RFC 9293 3.10.7.4, eighth check: the peer's FIN. */
static void tcpx_fin(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	WRITE_ONCE(tsk->rcv_nxt, tsk->rcv_nxt + 1);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	/*
	 * Nothing follows a FIN: data queued out of order beyond it is void,
	 * and so are the SACK blocks that report it (as tcp_fin()).
	 */
	tcpx_ofo_purge(sk);
	sk_mem_reclaim(sk);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcpx_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/*
		 * Acknowledged at once, a duplicate the FIN's segment brought
		 * reported with it (RFC 2883), as tcp_fin() sends this ACK
		 * before it forgets its SACK state.
		 */
		tcpx_send_ack(sk);
		tsk->dsack = 0;
		tcpx_set_state(sk, TCP_CLOSING);
		return;
	case TCP_FIN_WAIT2:
		tcpx_send_ack(sk);
		tsk->dsack = 0;
		tcpx_time_wait(sk, TCP_TIME_WAIT);
		return;
	}
	/* Here TCP delays the ACK and forgets the duplicate first. */
	tsk->dsack = 0;
	tcpx_send_ack(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	}
}

/*
 * The out-of-order queue is an rbtree keyed by sequence number, as TCP's:
 * a peer that sends tiny segments in any order makes each cost O(log n),
 * not a walk of all it has queued.
 */
static void tcpx_ofo_erase(struct tcpx_sock *tsk, struct sk_buff *skb)
{
	rb_erase(&skb->rbnode, &tsk->ofo_queue);
	tsk->ofo_segs--;
}

/* Link skb by its seq; nothing queued overlaps it. */
static void tcpx_ofo_link(struct tcpx_sock *tsk, struct sk_buff *skb)
{
	struct rb_node **link = &tsk->ofo_queue.rb_node, *parent = NULL;
	u32 seq = TCPX_SKB_CB(skb)->seq;

	while (*link) {
		parent = *link;
		if (tcpx_before(seq, TCPX_SKB_CB(rb_to_skb(parent))->seq))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, link);
	rb_insert_color(&skb->rbnode, &tsk->ofo_queue);
	tsk->ofo_segs++;
}

/* The last skb that starts at or before seq, or NULL. */
static struct sk_buff *tcpx_ofo_floor(const struct tcpx_sock *tsk, u32 seq)
{
	struct rb_node *n = tsk->ofo_queue.rb_node;
	struct sk_buff *floor = NULL;

	while (n) {
		struct sk_buff *p = rb_to_skb(n);

		if (tcpx_after(TCPX_SKB_CB(p)->seq, seq)) {
			n = n->rb_left;
		} else {
			floor = p;
			n = n->rb_right;
		}
	}
	return floor;
}

/*
 * Memory the receive side may hold: sk_rcvbuf, and a charge the protocol's
 * memory (net.tcpx.mem) grants.  An in-order segment that does not fit
 * first takes room from the out-of-order queue (newest first, as
 * tcp_prune_ofo_queue()): the hole it fills is worth more.  Under memory
 * pressure an out-of-order segment may take room from newer ones only.
 */
static bool tcpx_rmem_room(struct sock *sk, const struct sk_buff *skb,
			   bool in_order)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	struct sk_buff *victim;

	for (;;) {
		bool fits = atomic_read(&sk->sk_rmem_alloc) + skb->truesize <=
			    rcvbuf;

		if (fits && __sk_rmem_schedule(sk, skb->truesize,
					       skb_pfmemalloc(skb)))
			return true;
		victim = skb_rb_last(&tsk->ofo_queue);
		if (!in_order && (!fits || !victim ||
				  !tcpx_after(TCPX_SKB_CB(victim)->seq,
					      TCPX_SKB_CB(skb)->seq)))
			return false;
		/* Progress first: a lone segment always gets in. */
		if (in_order && skb_queue_empty(&sk->sk_receive_queue) &&
		    !victim)
			return tcpx_forced_mem_schedule(sk, skb->truesize,
							SK_MEM_RECV);
		if (victim) {
			tcpx_ofo_erase(tsk, victim);
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_OFOPRUNED);
			kfree_skb(victim);
			/* The blocks may report it: forget them, as TCP. */
			tsk->sack_nr = 0;
			continue;
		}
		if (fits)
			return false;	/* the protocol is out of memory */
		/*
		 * What the window promised is taken, within a quarter more
		 * than the buffer: small segments cost more truesize than
		 * the window estimate allowed, and refusing them would hold
		 * a window open that the sender can never fill.
		 */
		return !tcpx_after(TCPX_SKB_CB(skb)->seq + skb->len,
				   tsk->rcv_wup + tsk->rcv_wnd) &&
		       atomic_read(&sk->sk_rmem_alloc) + skb->truesize <=
		       rcvbuf + (rcvbuf >> 2) &&
		       __sk_rmem_schedule(sk, skb->truesize, skb_pfmemalloc(skb));
	}
}

/*
 * Append in-order data (skb->data at rcv_nxt, cb->end_seq set) to the
 * receive queue, into the tail skb when it fits.  Consumes the skb.
 */
static void tcpx_queue_in_order(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *tail;
	/* From the out-of-order queue it is charged already, and stays so. */
	bool charged = skb->sk == sk && skb->destructor == sock_rfree;
	bool fragstolen;
	int delta;

	if (!charged)
		skb_orphan(skb);
	skb_dst_drop(skb);
	/*
	 * As tcp_measure_rcv_mss(): the payload/truesize ratio is learnt from
	 * full-sized segments only, and never reaches 0 -- a run of tiny
	 * segments (telnet-style writes) would otherwise close the window
	 * for good.
	 */
	if (skb->truesize && tcpx_full_sized(tsk, skb->len))
		tsk->rcv_ratio = max_t(u32, (7 * tsk->rcv_ratio +
				min_t(u32, 256 * skb->len / skb->truesize, 256)) / 8, 1);
	WRITE_ONCE(tsk->rcv_nxt, tsk->rcv_nxt + skb->len);
	tsk->bytes_received += skb->len;
	tcpx_rcv_rtt_measure(sk, skb);
	tail = skb_peek_tail(&sk->sk_receive_queue);
	if (tail && skb_try_coalesce(tail, skb, &fragstolen, &delta)) {
		TCPX_SKB_CB(tail)->end_seq = cb->seq + skb->len;
		atomic_add(delta, &sk->sk_rmem_alloc);
		sk_mem_charge(sk, delta);
		kfree_skb_partial(skb, fragstolen);
	} else {
		cb->end_seq = cb->seq + skb->len;
		if (!charged)
			skb_set_owner_r(skb, sk);
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	}
}

/* Trim to [rcv_nxt, ...) of data; false if nothing new is left. */
static bool tcpx_trim_front(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	u32 rcv_nxt = tcpx_sk(sk)->rcv_nxt;

	if (tcpx_before(cb->seq, rcv_nxt)) {
		u32 dup = rcv_nxt - cb->seq;

		if (dup > skb->len || !pskb_pull(skb, dup))
			return false;
		cb->seq = rcv_nxt;
	}
	return true;
}

/*
 * RFC 2018 4: [seq, end_seq) just went into the out-of-order queue, or was
 * found there again: the block holding it is reported first, then the
 * blocks reported before it, newest first.  As tcp_sack_new_ofo_skb() and
 * tcp_sack_maybe_coalesce() keep selective_acks: the blocks it touches
 * fold into it, those rcv_nxt has passed go, the oldest past the last.
 */
static void tcpx_sack_touch(struct tcpx_sock *tsk, u32 seq, u32 end_seq)
{
	u32 (*b)[2] = tsk->sack_blocks;
	u32 keep[TCPX_MAX_SACKS - 1][2];
	unsigned int i, n = 0;
	u8 folded = 0;
	bool more;

	do {
		more = false;
		for (i = 0; i < tsk->sack_nr; i++) {
			if (!(folded & BIT(i)) &&
			    tcpx_block_extend(&seq, &end_seq, b[i][0], b[i][1])) {
				folded |= BIT(i);
				more = true;
			}
		}
	} while (more);
	for (i = 0; i < tsk->sack_nr && n < ARRAY_SIZE(keep); i++)
		if (!(folded & BIT(i)) && !tcpx_before(b[i][0], tsk->rcv_nxt))
			memcpy(keep[n++], b[i], sizeof(keep[0]));
	b[0][0] = seq;
	b[0][1] = end_seq;
	memcpy(&b[1], keep, n * sizeof(keep[0]));
	tsk->sack_nr = n + 1;
}

/*
 * Hold data beyond rcv_nxt (RFC 9293 3.10.7.4, seventh check: "should"),
 * sorted by sequence number, without overlaps: what is already held is
 * trimmed from the new segment's front, what it covers completely goes,
 * and so does all that lies behind a FIN.  Returns false if the skb was
 * not kept.
 */
static bool tcpx_ofo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	bool fin = cb->flags & TCPHDR_FIN;
	struct sk_buff *prev, *next;
	bool fragstolen;
	u32 seq, end;
	int delta;

	prev = tcpx_ofo_floor(tsk, cb->seq);
	if (prev) {
		u32 pend = TCPX_SKB_CB(prev)->end_seq;

		if (!tcpx_before(pend, cb->end_seq)) {
			tcpx_dsack_set(tsk, cb->seq, cb->end_seq);
			/* RFC 2883 4.1: its block follows the D-SACK block. */
			tcpx_sack_touch(tsk, cb->seq, cb->end_seq);
			return false;	/* nothing new */
		}
		if (tcpx_after(pend, cb->seq)) {
			tcpx_dsack_set(tsk, cb->seq, pend);
			if (!pskb_pull(skb, pend - cb->seq))
				return false;
			cb->seq = pend;
		}
	}
	/*
	 * Segments the new one covers completely go.  Behind a FIN all go:
	 * nothing follows it, and what they held past it is void (as
	 * tcp_fin() purges once the FIN is reached); only the part before
	 * the new segment's end was received twice.
	 */
	for (;;) {
		u32 nseq, nend;

		next = prev ? skb_rb_next(prev) : skb_rb_first(&tsk->ofo_queue);
		if (!next)
			break;
		nseq = TCPX_SKB_CB(next)->seq;
		nend = TCPX_SKB_CB(next)->end_seq;
		if (!fin && tcpx_after(nend, cb->end_seq))
			break;
		if (tcpx_before(nseq, cb->end_seq))
			tcpx_dsack_extend(tsk, nseq,
					  tcpx_before(nend, cb->end_seq) ?
					  nend : cb->end_seq);
		tcpx_ofo_erase(tsk, next);
		kfree_skb(next);
	}
	if (next && tcpx_after(cb->end_seq, TCPX_SKB_CB(next)->seq)) {
		end = TCPX_SKB_CB(next)->seq;
		tcpx_dsack_extend(tsk, end, cb->end_seq);
		if (pskb_trim(skb, end - cb->seq))
			return false;
		cb->end_seq = end;
		cb->flags &= ~TCPHDR_FIN;
	}
	/* Between two queued skbs that touch: nothing new is left. */
	if (cb->seq == cb->end_seq)
		return false;
	/* The room it needs prunes only what lies above it: prev stays. */
	if (!tcpx_rmem_room(sk, skb, false))
		return false;
	skb_dst_drop(skb);
	seq = cb->seq;
	end = cb->end_seq;
	/*
	 * Right behind prev: into it where the data fits (as
	 * tcp_ooo_try_coalesce()), so a run of small segments is held, and
	 * charged, as few skbs.
	 */
	skb_orphan(skb);
	if (prev && TCPX_SKB_CB(prev)->end_seq == seq &&
	    !(TCPX_SKB_CB(prev)->flags & TCPHDR_FIN) &&
	    skb_try_coalesce(prev, skb, &fragstolen, &delta)) {
		TCPX_SKB_CB(prev)->end_seq = end;
		TCPX_SKB_CB(prev)->flags |= cb->flags & TCPHDR_FIN;
		atomic_add(delta, &sk->sk_rmem_alloc);
		sk_mem_charge(sk, delta);
		kfree_skb_partial(skb, fragstolen);
	} else {
		skb_set_owner_r(skb, sk);
		tcpx_ofo_link(tsk, skb);
	}
	tcpx_sack_touch(tsk, seq, end);
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_OFOQUEUE);
	return true;
}

/*
 * Move what the last segment made contiguous to the receive queue.
 * Returns true if that took a FIN (tcpx_fin() has acknowledged it).
 */
static bool tcpx_ofo_drain(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_rb_first(&tsk->ofo_queue)) &&
	       !tcpx_after(TCPX_SKB_CB(skb)->seq, tsk->rcv_nxt)) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
		bool fin = cb->flags & TCPHDR_FIN;

		/* What the in-order data brought already was received twice. */
		if (tcpx_before(cb->seq, tsk->rcv_nxt))
			tcpx_dsack_extend(tsk, cb->seq,
					  tcpx_before(cb->end_seq, tsk->rcv_nxt) ?
					  cb->end_seq : tsk->rcv_nxt);
		tcpx_ofo_erase(tsk, skb);
		if (!tcpx_trim_front(sk, skb)) {
			kfree_skb(skb);
			continue;
		}
		if (skb->len)
			tcpx_queue_in_order(sk, skb);
		else
			kfree_skb(skb);
		if (fin) {
			tcpx_fin(sk);
			return true;
		}
	}
	return false;
}

void tcpx_ofo_purge(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	/* skb_rbtree_purge() is not exported to modules. */
	while ((skb = skb_rb_first(&tsk->ofo_queue))) {
		tcpx_ofo_erase(tsk, skb);
		kfree_skb(skb);
	}
	tsk->sack_nr = 0;
}

/*
 * Seventh and eighth checks: text and FIN.  skb->data is at the payload,
 * trimmed to len bytes.  Returns true if the skb was kept.
 */
static bool tcpx_data_queue(struct sock *sk, struct sk_buff *skb, bool fin)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	bool had_ofo = !RB_EMPTY_ROOT(&tsk->ofo_queue);
	u32 wnd_end = tcpx_rcv_wnd_end(tsk);

	if (skb->len)	/* tcpi_last_data_recv, as tcp_event_data_recv() */
		inet_csk(sk)->icsk_ack.lrcvtime = tcp_jiffies32;

	/*
	 * At or past the right edge (a probe, a zero window's included): its
	 * ACK was taken, its text is not; answer at once, as tcp_data_queue().
	 * A bare FIN at rcv_nxt needs no room and is taken, as TCP takes it.
	 */
	if (!tcpx_before(cb->seq, wnd_end) &&
	    (skb->len || cb->seq != tsk->rcv_nxt)) {
		tcpx_send_ack(sk);
		return false;
	}

	/*
	 * RFC 9293 3.10.7.4: what lies beyond the window we offered is not
	 * processed (a FIN there neither); the peer sends it again when the
	 * window opens.  Linux TCP keeps such a tail; see Documentation.
	 */
	if (skb->len && tcpx_after(wnd_end, cb->seq) &&
	    tcpx_after(cb->seq + skb->len, wnd_end)) {
		if (pskb_trim(skb, wnd_end - cb->seq)) {
			tcpx_send_ack(sk);
			return false;
		}
		/* Out of order, the segment is held as its cb says. */
		cb->end_seq = wnd_end;
		cb->flags &= ~TCPHDR_FIN;
		fin = false;
	}

	if (tcpx_after(cb->seq, tsk->rcv_nxt)) {
		bool kept = tcpx_ofo_insert(sk, skb);

		if (!kept)
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_OFODROPS);
		/* RFC 5681 4.2: a duplicate ACK at once, for fast retransmit. */
		tcpx_send_ack(sk);
		return kept;
	}
	/* Some of it came before: a duplicate to report (RFC 2883 4.1). */
	if (tcpx_before(cb->seq, tsk->rcv_nxt))
		tcpx_dsack_set(tsk, cb->seq,
			       tcpx_before(cb->end_seq, tsk->rcv_nxt) ?
			       cb->end_seq : tsk->rcv_nxt);
	if (!tcpx_trim_front(sk, skb) || (!skb->len && !fin)) {
		/* An old duplicate: the ACK it needs may have been lost. */
		tcpx_send_ack(sk);
		return false;
	}
	if (skb->len && !tcpx_rmem_room(sk, skb, true)) {
		/* No room: the peer sends it again. */
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_RCVQDROPS);
		tcpx_send_ack(sk);
		return false;
	}
	if (skb->len) {
		tsk->rcv_mss = max_t(u16, tsk->rcv_mss, min_t(u32, skb->len, U16_MAX));
		tcpx_queue_in_order(sk, skb);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
	} else {
		kfree_skb(skb);
	}
	if (fin) {
		tcpx_fin(sk);
		return true;
	}
	if (had_ofo) {
		/* Filled a hole: tell the sender at once (RFC 5681 4.2). */
		if (!tcpx_ofo_drain(sk))
			tcpx_send_ack(sk);
		return true;
	}
	tcpx_delack(sk);
	return true;
}

/*
 * The peer's SYN,ACK that completes a simultaneous open (RFC 9293 Figure
 * 7): it acknowledges our SYN and carries only its own SYN again.  TCP
 * takes it in SYN-RECEIVED (tcp_validate_incoming()); any other SYN there
 * draws a challenge ACK.
 */
static bool tcpx_simopen_synack(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	const struct tcpx_sock *tsk = tcpx_sk(sk);

	/* Our SYN unacknowledged: not a listener's child (TCP: no socket). */
	return sk->sk_state == TCP_SYN_RECV && tsk->snd_una == tsk->iss &&
	       tcp_hdr(skb)->ack &&
	       cb->end_seq == cb->seq + 1 && cb->end_seq == tsk->rcv_nxt &&
	       cb->ack_seq == tsk->snd_nxt;
}

/*
 * As tcp_disordered_ack(): a pure duplicate ACK at RCV.NXT that brings no
 * window news, its TSval older by less than an RTO, was overtaken by a
 * later segment (the peer stamped both as it sent them); it is no old
 * duplicate, and PAWS lets it through.
 */
static bool tcpx_disordered_ack(const struct sock *sk,
				const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 win = (u32)ntohs(tcp_hdr(skb)->window) << tsk->snd_wscale;

	return (cb->flags & TCPHDR_ACK) && cb->seq == cb->end_seq &&
	       cb->seq == tsk->rcv_nxt && cb->ack_seq == tsk->snd_una &&
	       !tcpx_may_update_window(tsk, cb->ack_seq, cb->seq, win) &&
	       (s32)(tsk->ts_recent - cb->tsval) <=
	       (s32)jiffies_to_msecs(inet_csk(sk)->icsk_rto);
}

/*
 * RFC 7323 5.3 R1 (PAWS): an old timestamp marks an old duplicate.  One
 * below TS.Recent by TCPX_PAWS_WINDOW or less passes, as TCP's
 * TCP_PAWS_WINDOW lets it, and so does a disordered ACK.
 */
static bool tcpx_paws_reject(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	const struct tcpx_sock *tsk = tcpx_sk(sk);

	if (!tsk->tstamp_ok || !cb->saw_tstamp || !tsk->ts_recent_stamp)
		return false;
	if ((s32)(tsk->ts_recent - cb->tsval) <= TCPX_PAWS_WINDOW)
		return false;
	/* TS.Recent older than 24 days is no longer valid (RFC 7323 5.5). */
	if ((u32)ktime_get_seconds() - tsk->ts_recent_stamp >= TCPX_PAWS_24DAYS)
		return false;
	return !tcpx_disordered_ack(sk, skb);
}

/* RFC 7323 4.3: TS.Recent follows the segment that Last.ACK.sent covers. */
static void tcpx_store_ts_recent(struct tcpx_sock *tsk,
				 const struct tcpx_skb_cb *cb)
{
	if (tsk->tstamp_ok && cb->saw_tstamp &&
	    !tcpx_after(cb->seq, tsk->rcv_wup) &&
	    (s32)(cb->tsval - tsk->ts_recent) >= 0) {
		tsk->ts_recent = cb->tsval;
		tsk->ts_recent_stamp = (u32)ktime_get_seconds();
	}
}

/* RFC 7323: what the SYN exchange agreed, from the peer's SYN's options. */
static void tcpx_synsent_options(struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *opt = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (tsk->wscale_ok && opt->wscale_ok) {
		tsk->snd_wscale = opt->wscale;
	} else {
		tsk->wscale_ok = 0;
		tsk->snd_wscale = 0;
		tsk->rcv_wscale = 0;
	}
	tsk->sack_ok &= opt->sack_ok;
	if (tsk->tstamp_ok && opt->saw_tstamp) {
		tsk->ts_recent = opt->tsval;
		tsk->ts_recent_stamp = (u32)ktime_get_seconds();
	} else {
		tsk->tstamp_ok = 0;
	}
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static int tcpx_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	const struct tcphdr *th = tcp_hdr(skb);

	/*
	 * An ACK of something we did not send, or (as TCP checks it in
	 * tcp_rcv_synsent_state_process()) one echoing a timestamp from
	 * before our first SYN or from the future: no answer to our SYN.
	 */
	if (th->ack) {
		bool bad_ack = !tcpx_after(cb->ack_seq, tsk->iss) ||
			       tcpx_after(cb->ack_seq, tsk->snd_max);
		bool bad_ts = cb->saw_tstamp && cb->tsecr &&
			      cb->tsecr - tsk->ts_off - tsk->syn_ts >
			      tcpx_ts_now() - tsk->syn_ts;

		if (!bad_ack && bad_ts)
			tcpx_inc_stats(sock_net(sk), TCPX_MIB_PAWSDROPS);
		if (bad_ack || bad_ts) {
			if (!th->rst)
				tcpx_send_reset(sock_net(sk), sk, skb);
			goto discard;
		}
	}
	if (th->rst) {
		if (th->ack)
			tcpx_reset(sk);
		goto discard;
	}
	if (!th->syn)
		goto discard;

	tcpx_set_mss_clamp(sk, cb->mss);
	tcpx_synsent_options(sk, skb);
	/* The SYN's window is never scaled. */
	tcpx_init_synced(sk, cb->seq, ntohs(th->window), cb->seq,
			 inet_csk(sk)->icsk_pmtu_cookie);

	if (th->ack) {
		tsk->bytes_acked += cb->ack_seq - tsk->snd_una;
		tsk->snd_una = cb->ack_seq;
		tcpx_clean_acked(sk);
		tcpx_set_state(sk, TCP_ESTABLISHED);
		security_inet_conn_established(sk, skb);
		inet_csk(sk)->icsk_ack.quick = TCPX_QUICKACKS;
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

/*
 * A reply at most every TCPX_INVALID_RATELIMIT per connection, as
 * __tcp_oow_rate_limited(); last is the full, request or TIME-WAIT
 * sock's, read and written without its lock as TCP's.
 */
bool __tcpx_oow_rate_limited(struct net *net, int mib, u32 *last)
{
	u32 val = READ_ONCE(*last);

	if (val && (s32)(tcp_jiffies32 - val) >= 0 &&
	    (s32)(tcp_jiffies32 - val) < (s32)TCPX_INVALID_RATELIMIT) {
		tcpx_inc_stats(net, mib);
		return true;
	}
	WRITE_ONCE(*last, tcp_jiffies32);
	return false;
}

/*
 * A duplicate ACK for a segment outside the window: data is always
 * answered, a segment without (or a SYN) only at that rate -- two ends
 * that disagree about the window must not ACK each other in a loop.
 */
bool tcpx_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			   u32 *last)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	if (cb->seq != cb->end_seq && !(cb->flags & TCPHDR_SYN))
		return false;
	return __tcpx_oow_rate_limited(net, TCPX_MIB_ACKSKIPPEDOOW, last);
}

/* RFC 5961 7: at most challenge_ack_limit a second in the namespace. */
bool tcpx_challenge_ack_allowed(struct net *net)
{
	struct tcpx_pernet *pn = tcpx_pernet(net);
	u32 limit, now, count;

	limit = READ_ONCE(pn->challenge_ack_limit);
	if (limit != INT_MAX) {
		now = jiffies / HZ;
		if (now != READ_ONCE(pn->challenge_stamp)) {
			WRITE_ONCE(pn->challenge_stamp, now);
			WRITE_ONCE(pn->challenge_count, limit ?
				   (limit + 1) / 2 + get_random_u32() % limit : 0);
		}
		count = READ_ONCE(pn->challenge_count);
		if (!count)
			return false;
		WRITE_ONCE(pn->challenge_count, count - 1);
	}
	tcpx_inc_stats(net, TCPX_MIB_CHALLENGEACKS);
	return true;
}

/*
 * RFC 5961 3.2, 4.2 and 5.2: a challenge ACK, within section 7's limits --
 * one per socket every half second, and challenge_ack_limit per second in
 * the namespace (no limit by default, as TCP since CVE-2016-5696).
 */
static void tcpx_send_challenge_ack(struct sock *sk)
{
	if (__tcpx_oow_rate_limited(sock_net(sk), TCPX_MIB_ACKSKIPPEDCHALLENGE,
				    &tcpx_sk(sk)->last_oow_ack_time))
		return;
	if (tcpx_challenge_ack_allowed(sock_net(sk)))
		tcpx_send_ack(sk);
}

/*
 * The duplicate ACK for an unacceptable segment, as tcp_send_dupack(): old
 * data in it is reported in a D-SACK block (RFC 2883 4.1).
 */
static void tcpx_send_dupack(struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (cb->seq != cb->end_seq && tcpx_before(cb->seq, tsk->rcv_nxt))
		tcpx_dsack_set(tsk, cb->seq,
			       tcpx_after(cb->end_seq, tsk->rcv_nxt) ?
			       tsk->rcv_nxt : cb->end_seq);
	tcpx_send_ack(sk);
}

/*
 * A segment PAWS or the window check refused: a SYN draws the challenge
 * ACK any SYN does here (RFC 5961 4.2), anything else a duplicate ACK at
 * the out-of-window rate (RFC 9293 3.10.7.4), as tcp_validate_incoming().
 */
static void tcpx_answer_unacceptable(struct sock *sk, const struct sk_buff *skb)
{
	if (tcp_hdr(skb)->syn)
		tcpx_send_challenge_ack(sk);
	else if (!tcpx_oow_rate_limited(sock_net(sk), skb,
					&tcpx_sk(sk)->last_oow_ack_time))
		tcpx_send_dupack(sk, skb);
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

	/*
	 * PAWS first (RFC 7323 5.3); a RST is judged by its sequence only.
	 * A SYN draws a challenge ACK, as TCP since 6.12, not a duplicate
	 * ACK with a D-SACK.
	 */
	if (!th->rst && tcpx_paws_reject(sk, skb)) {
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_PAWSDROPS);
		tcpx_answer_unacceptable(sk, skb);
		goto discard;
	}

	/* First: sequence number. */
	if (!tcpx_seq_acceptable(tsk, seq, end_seq)) {
		if (th->rst) {
			if (tcpx_reset_after_fin(sk, seq))
				tcpx_reset(sk);
			goto discard;
		}
		tcpx_answer_unacceptable(sk, skb);
		goto discard;
	}

	/* Second: RST (RFC 5961 3.2: exact match, else a challenge ACK). */
	if (th->rst) {
		if (tcpx_reset_acceptable(sk, seq))
			tcpx_reset(sk);
		else
			tcpx_send_challenge_ack(sk);
		goto discard;
	}

	/* Fourth: SYN in a synchronized state (RFC 5961 4.2). */
	if (th->syn && !tcpx_simopen_synack(sk, skb)) {
		tcpx_send_challenge_ack(sk);
		goto discard;
	}

	/*
	 * Fifth: ACK.  RFC 5961 5.2: acceptable only within
	 * [SND.UNA - MAX.SND.WND, SND.NXT]; anything else, data included,
	 * is dropped with a challenge ACK (a blind attacker's guess).  As
	 * TCP narrows it, no further back than we were ever acknowledged:
	 * no ACK for bytes we never sent.
	 */
	if (!th->ack)
		goto discard;
	/*
	 * SYN-RECEIVED: only an ACK of our SYN, else a reset (RFC 9293).  A
	 * listener's child is born with its SYN acknowledged (SND.UNA is
	 * ISS + 1), a simultaneous open's socket is not.
	 */
	if (sk->sk_state == TCP_SYN_RECV &&
	    (!tcpx_after(cb->ack_seq, tsk->iss) ||
	     tcpx_after(cb->ack_seq, tsk->snd_max))) {
		tcpx_send_reset(sock_net(sk), sk, skb);
		goto discard;
	}
	if (tcpx_after(cb->ack_seq, tsk->snd_max) ||
	    tcpx_before(cb->ack_seq, tsk->snd_una -
			min_t(u64, tsk->max_window, tsk->bytes_acked))) {
		tcpx_send_challenge_ack(sk);
		goto discard;
	}
	if (sk->sk_state == TCP_SYN_RECV) {
		/*
		 * A simultaneous open sent its SYN twice, so Karn's rule
		 * takes no sample from it: time the handshake by the echoed
		 * timestamp, as tcp_ack_update_rtt() does (RFC 7323 4.1).
		 */
		if (!tsk->srtt_us)
			tcpx_rtt_sample_tsecr(sk, cb);
		tcpx_set_state(sk, TCP_ESTABLISHED);
		inet_csk(sk)->icsk_ack.quick = TCPX_QUICKACKS;
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		}
	}
	tcpx_store_ts_recent(tsk, cb);
	/* Accepted: the peer is alive (keepalive, timer.c). */
	tsk->rcv_tstamp = tcp_jiffies32;
	inet_csk(sk)->icsk_probes_out = 0;
	/* As tcp_probe: the state this ACK finds, before it acts. */
	trace_tcpx_probe(sk, skb);
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

	/*
	 * Seventh and eighth: text and FIN, while the peer may still send.
	 * After the peer's FIN (CLOSE-WAIT, CLOSING, LAST-ACK) text at or
	 * beyond it is ignored, without an answer (RFC 9293 3.10.7.4); a
	 * segment from before the FIN that carries new data past it is data
	 * after a close, as TCP takes it (tcp_rcv_state_process()).
	 */
	if ((len || fin) && (1 << sk->sk_state) &
	    (TCPF_CLOSE_WAIT | TCPF_CLOSING | TCPF_LAST_ACK) &&
	    !tcpx_before(seq, tsk->rcv_nxt))
		goto push;
	if ((len || fin) && (1 << sk->sk_state) &
	    (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
	     TCPF_CLOSE_WAIT | TCPF_CLOSING | TCPF_LAST_ACK)) {
		/*
		 * Data for a socket that no longer reads: abort with a reset
		 * that answers the segment, as TCP (RFC 1122 4.2.2.13).
		 */
		if (len && (sk->sk_shutdown & RCV_SHUTDOWN) &&
		    sk->sk_state != TCP_ESTABLISHED &&
		    tcpx_after(end_seq - fin, tsk->rcv_nxt)) {
			tcpx_send_reset(sock_net(sk), sk, skb);
			tcpx_reset(sk);
			goto discard;
		}
		if (!((1 << sk->sk_state) &
		      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2))) {
			/* Nothing new: the duplicate's ACK, with its D-SACK. */
			tcpx_send_dupack(sk, skb);
			goto push;
		}
		__skb_pull(skb, tcp_hdrlen(skb));
		if (pskb_trim(skb, len)) {
			tcpx_send_ack(sk);
			goto discard;
		}
		queued = tcpx_data_queue(sk, skb, fin);
	} else if (end_seq != seq) {
		tcpx_send_ack(sk);
	}

push:
	if (sk->sk_state != TCP_CLOSE)
		tcpx_push_pending(sk);
discard:
	if (!queued)
		kfree_skb(skb);
	return 0;
}

int tcpx_do_rcv(struct sock *sk, struct sk_buff *skb)
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
		tcpx_reqsk_drop_and_put(lsk, req);
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
	tcpx_child_rcv(lsk, child, skb);
	sock_put(lsk);
	return 0;
discard:
	kfree_skb(skb);
	return 0;
}

/*
 * As tcp_filter(): conntrack is done with the segment, and the socket's
 * filter (SO_ATTACH_FILTER/BPF) and security_sock_rcv_skb() judge it.  A
 * filter may trim the payload, never the header: the end is counted
 * again.  True if the segment is to be dropped.
 */
static bool tcpx_filter(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	nf_reset_ct(skb);
	if (sk_filter_trim_cap(sk, skb, th->doff * 4))
		return true;
	cb->end_seq = cb->seq + th->syn + th->fin + skb->len - th->doff * 4;
	return false;
}

/*
 * As tcp_add_backlog(): the receive queue and a full window more in the
 * backlog while the reader copies, and room for the ACKs of our sends.
 */
static u32 tcpx_backlog_limit(const struct sock *sk)
{
	u64 limit = ((u64)READ_ONCE(sk->sk_rcvbuf) << 1) +
		    (READ_ONCE(sk->sk_sndbuf) >> 1) + 64 * 1024;

	return min_t(u64, limit, UINT_MAX);
}

/*
 * The header of an arriving segment, before its checksum: the fixed part
 * and the options pulled into the linear area, a sane data offset.
 */
static bool tcpx_rcv_pull(struct sk_buff *skb)
{
	const struct tcphdr *th;

	if (!pskb_may_pull(skb, sizeof(struct tcphdr)))
		return false;
	th = (const struct tcphdr *)skb->data;
	if (th->doff < sizeof(struct tcphdr) / 4)
		return false;
	return pskb_may_pull(skb, th->doff * 4);
}

/* The control block of a checksummed segment; false: malformed options. */
static bool tcpx_rcv_fill_cb(struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb->data;
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	if (tcpx_parse_options(th, cb))
		return false;
	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + skb->len - th->doff * 4;
	cb->ack_seq = th->ack ? ntohl(th->ack_seq) : 0;
	cb->flags = tcp_flag_byte(th);
	return true;
}

/* A malformed segment of either family: counted and freed. */
void tcpx_rcv_bad(struct sk_buff *skb)
{
	tcpx_inc_stats(dev_net(skb->dev), TCPX_MIB_INERRS);
	kfree_skb(skb);
}

/*
 * What a family's handler does first, before its lookup: count the
 * segment, pull and check its header, verify the checksum over the
 * family's pseudo-header, fill the control block.  False: the segment
 * is gone, counted.
 */
bool tcpx_rcv_begin(struct sk_buff *skb,
		    __wsum pseudo(struct sk_buff *skb, int proto))
{
	struct net *net = dev_net(skb->dev);

	tcpx_inc_stats(net, TCPX_MIB_INSEGS);
	if (skb->pkt_type != PACKET_HOST) {
		kfree_skb(skb);
		return false;
	}
	if (!tcpx_rcv_pull(skb))
		goto bad;
	if (skb_checksum_init(skb, tcpx_ipproto, pseudo) ||
	    skb_checksum_complete(skb)) {
		tcpx_inc_stats(net, TCPX_MIB_INCSUMERRORS);
		goto bad;
	}
	if (tcpx_rcv_fill_cb(skb))
		return true;
bad:
	tcpx_rcv_bad(skb);
	return false;
}

/* As tcp_segs_in(): segments a full socket takes, at its lock. */
static void tcpx_segs_in(struct tcpx_sock *tsk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	u32 data = cb->end_seq - cb->seq -
		   !!(cb->flags & TCPHDR_SYN) - !!(cb->flags & TCPHDR_FIN);

	tsk->segs_in++;
	if (data)
		tsk->data_segs_in++;
}

/*
 * A segment and what the family's lookup in ehash found for it (sk, a
 * reference held), or its listener (no reference), or none: the policy
 * checks, then the TIME-WAIT sock, the request sock, the listener or the
 * full socket takes it.
 */
int tcpx_rcv_sk(struct sk_buff *skb, struct sock *sk, unsigned short family)
{
	struct net *net = dev_net(skb->dev);
	bool refcounted = true;
	int ret = 0;

	if (!sk) {
		sk = tcpx_skb_af(skb)->lookup_listener(net, skb);
		refcounted = false;
	}

	if (!sk) {
		if (!xfrm_policy_check(NULL, XFRM_POLICY_IN, skb, family))
			goto discard;
		tcpx_inc_stats(net, TCPX_MIB_NOPORT);
		tcpx_send_reset(net, NULL, skb);
		goto discard;
	}

	if (sk->sk_state == TCP_TIME_WAIT) {
		if (!xfrm_policy_check(NULL, XFRM_POLICY_IN, skb, family)) {
			inet_twsk_put(inet_twsk(sk));
			goto discard;
		}
		tcpx_tw_rcv(inet_twsk(sk), skb);
		return 0;
	}
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		struct request_sock *req = inet_reqsk(sk);

		if (tcpx_filter(req->rsk_listener, skb)) {
			reqsk_put(req);
			goto discard;
		}
		return tcpx_rcv_req(skb, req);
	}
	/*
	 * IP_MINTTL, IPV6_MINHOPCOUNT: before the policy, as tcp_v4_rcv().
	 * Every segment asks: a direct call, not a retpoline.
	 */
	if (unlikely(INDIRECT_CALL_2(tcpx_skb_af(skb)->ttl_below,
				     tcpx_v4_ttl_below, tcpx_v6_ttl_below,
				     sk, skb))) {
		tcpx_inc_stats(net, TCPX_MIB_MINTTLDROP);
		if (refcounted)
			sock_put(sk);
		goto discard;
	}
	/*
	 * The administrator's policy, as tcp_v4_rcv() applies it: IPsec
	 * input policy (per socket: the protocol is .no_policy), conntrack
	 * let go, then the socket's filter and LSM (sk_filter()).
	 */
	if (!xfrm_policy_check(sk, XFRM_POLICY_IN, skb, family) ||
	    tcpx_filter(sk, skb)) {
		if (refcounted)
			sock_put(sk);
		goto discard;
	}
	/*
	 * Listeners run without the socket lock, as TCP's: a SYN queued to
	 * the backlog of a listener a process holds would be processed by
	 * release_sock() with BHs on, inserting into ehash under a lock that
	 * softirq takes too.
	 */
	if (sk->sk_state == TCP_LISTEN) {
		ret = tcpx_listen_rcv(sk, skb);
		if (refcounted)
			sock_put(sk);
		return ret;
	}

	bh_lock_sock_nested(sk);
	tcpx_segs_in(tcpx_sk(sk), skb);
	if (!sock_owned_by_user(sk)) {
		ret = tcpx_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, tcpx_backlog_limit(sk))) {
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

discard:
	kfree_skb(skb);
	return 0;
}
