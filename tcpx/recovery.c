// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery: which segments are lost and what goes again.  The SACK
 * scoreboard (RFC 2018, RFC 6675: each queued segment SACKed, lost or
 * neither), RACK's time-based loss detection (RFC 8985), NewReno's
 * duplicate ACKs (RFC 5681 3.2, RFC 6582, RFC 5827's early retransmit),
 * the scoreboard after a timeout, and Eifel's undo (RFC 3522).  The window
 * these decisions shrink or restore is cong.c's.
 */
#include "mib.h"
#include "tcpx.h"

/*
 * A segment known delivered (ACKed or SACKed): RACK's newest send time
 * and its round trip (RFC 8985 6.2 step 2).  A resend delivered sooner
 * than the path's fastest round trip is ambiguous -- the original may be
 * what arrived -- and advances nothing, as in tcp_rack_advance().
 */
void tcpx_rack_advance(struct tcpx_sock *tsk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	u32 rtt = tcpx_now_us() - cb->tx_us;

	if (cb->retrans && rtt < tsk->min_rtt_us)
		return;
	if ((s32)(cb->tx_us - tsk->rack_xmit_us) > 0) {
		tsk->rack_xmit_us = cb->tx_us;
		tsk->rack_rtt_us = rtt;
	}
}

/*
 * The scoreboard's indexes (struct tcpx_sock): a segment enters them once
 * sent and leaves them when acknowledged, so that an ACK costs O(log n)
 * in the segments in flight, plus what it newly SACKs or marks lost --
 * never a walk of the write queue, which a receiver crafting SACK blocks
 * could make it take on every ACK.
 */
void tcpx_sb_init(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	/* Empty by now: a child's were copied from its listener's heads. */
	tsk->rtx_index = RB_ROOT;
	INIT_LIST_HEAD(&tsk->tsorted);
	INIT_LIST_HEAD(&tsk->lost_queue);
	tsk->sacked_out = 0;
	tsk->lost_out = 0;
	tsk->sack_high = 0;
	tsk->reord_seen = 0;
}

static struct sk_buff *tcpx_rtx_skb(struct rb_node *node)
{
	struct tcpx_skb_cb *cb = rb_entry(node, struct tcpx_skb_cb,
					  header.rtx_node);

	return container_of((void *)cb, struct sk_buff, cb);
}

static void tcpx_index_add(struct tcpx_sock *tsk, struct sk_buff *skb)
{
	struct rb_node **p = &tsk->rtx_index.rb_node, *parent = NULL;
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	while (*p) {
		parent = *p;
		if (tcpx_before(cb->seq, TCPX_SKB_CB(tcpx_rtx_skb(parent))->seq))
			p = &parent->rb_left;
		else
			p = &parent->rb_right;
	}
	rb_link_node(&cb->header.rtx_node, parent, p);
	rb_insert_color(&cb->header.rtx_node, &tsk->rtx_index);
	cb->indexed = 1;
}

static void tcpx_index_del(struct tcpx_sock *tsk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	if (!cb->indexed)
		return;
	rb_erase(&cb->header.rtx_node, &tsk->rtx_index);
	cb->indexed = 0;
}

/* The first segment not SACKed that ends after seq. */
static struct sk_buff *tcpx_index_find(struct tcpx_sock *tsk, u32 seq)
{
	struct rb_node *node = tsk->rtx_index.rb_node;
	struct sk_buff *found = NULL;

	while (node) {
		struct sk_buff *skb = tcpx_rtx_skb(node);

		if (tcpx_after(TCPX_SKB_CB(skb)->end_seq, seq)) {
			found = skb;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

/*
 * The lists share the skb's tcp_tsorted_anchor, which overlays its dst
 * and destructor: off a list, both are zero again, as an skb that is
 * freed or cloned needs them (tcp_skb_tsorted_anchor_cleanup()).
 */
static void tcpx_list_del(struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	if (!cb->listed)
		return;
	list_del(&skb->tcp_tsorted_anchor);
	skb->destructor = NULL;
	skb->_skb_refdst = 0UL;
	cb->listed = 0;
}

static void tcpx_list_add_tail(struct sk_buff *skb, struct list_head *head)
{
	tcpx_list_del(skb);
	list_add_tail(&skb->tcp_tsorted_anchor, head);
	TCPX_SKB_CB(skb)->listed = 1;
}

/*
 * Sent (again): in flight at the list's newest end, unless it is still
 * taken as lost (it stays to be resent) or SACKed (a go-back-N resend).
 */
void tcpx_sb_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	if (cb->sacked)
		return;
	if (!cb->indexed)
		tcpx_index_add(tsk, skb);
	if (!cb->lost)
		tcpx_list_add_tail(skb, &tsk->tsorted);
}

/* nskb, the tail cut from skb (tcpx_fragment()), takes skb's places. */
void tcpx_sb_split(struct sock *sk, struct sk_buff *skb, struct sk_buff *nskb)
{
	struct tcpx_skb_cb *ncb = TCPX_SKB_CB(nskb);

	ncb->indexed = 0;
	ncb->listed = 0;
	memset(&ncb->header, 0, sizeof(ncb->header));
	if (TCPX_SKB_CB(skb)->indexed)
		tcpx_index_add(tcpx_sk(sk), nskb);
	if (TCPX_SKB_CB(skb)->listed) {
		list_add(&nskb->tcp_tsorted_anchor, &skb->tcp_tsorted_anchor);
		ncb->listed = 1;
	}
}

/* skb leaves the write queue (acknowledged, purged, never filled). */
void tcpx_sb_unlink(struct sock *sk, struct sk_buff *skb)
{
	tcpx_index_del(tcpx_sk(sk), skb);
	tcpx_list_del(skb);
}

/*
 * The path reordered (RFC 8985 6.2 step 1): a segment sent once is
 * delivered after one above it was SACKed.
 */
void tcpx_check_reordering(struct tcpx_sock *tsk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	if (!cb->retrans && tsk->sacked_out &&
	    tcpx_before(cb->end_seq, tsk->sack_high))
		tsk->reord_seen = 1;
}

static void tcpx_mark_sacked(struct tcpx_sock *tsk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

	tcpx_check_reordering(tsk, skb);
	if (!tsk->sacked_out || tcpx_after(cb->end_seq, tsk->sack_high))
		tsk->sack_high = cb->end_seq;
	cb->sacked = 1;
	tsk->sacked_out += skb->len;
	if (cb->lost) {
		cb->lost = 0;
		tsk->lost_out -= skb->len;
	}
	tcpx_index_del(tsk, skb);
	tcpx_list_del(skb);
	tcpx_rack_advance(tsk, skb);
}

/*
 * Mark what the SACK blocks cover; D-SACKs and stale blocks are ignored.
 * Each block looks up its first segment in the index and visits only
 * segments not SACKed before: at most one on each edge that it does not
 * cover whole, the rest it SACKs and takes out of the index.
 */
void tcpx_sacktag(struct sock *sk, const struct sk_buff *ack)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 blocks[TCPX_MAX_SACKS][2];
	struct sk_buff *skb;
	int n, i;

	n = tcpx_sack_blocks(ack, blocks);
	for (i = 0; i < n; i++) {
		u32 start = blocks[i][0], end = blocks[i][1];

		if (!tcpx_before(start, end) || !tcpx_after(start, tsk->snd_una) ||
		    tcpx_after(end, tsk->snd_max))
			continue;
		skb = tcpx_index_find(tsk, start);
		while (skb) {
			struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
			struct rb_node *next = rb_next(&cb->header.rtx_node);

			if (!tcpx_before(cb->seq, end) ||
			    !tcpx_before(cb->seq, tsk->snd_max))
				break;
			if (!tcpx_before(cb->seq, start) &&
			    !tcpx_after(cb->end_seq, end))
				tcpx_mark_sacked(tsk, skb);
			skb = next ? tcpx_rtx_skb(next) : NULL;
		}
	}
}

/* Lost: off the flight, into the queue to resend, in sequence order. */
static void tcpx_mark_lost(struct tcpx_sock *tsk, struct sk_buff *skb)
{
	struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct sk_buff *pos;

	cb->lost = 1;
	tsk->lost_out += skb->len;
	tcpx_list_del(skb);
	/* Almost always the newest: the walk from the tail is short. */
	list_for_each_entry_reverse(pos, &tsk->lost_queue, tcp_tsorted_anchor)
		if (tcpx_before(TCPX_SKB_CB(pos)->seq, cb->seq))
			break;
	list_add(&skb->tcp_tsorted_anchor, &pos->tcp_tsorted_anchor);
	cb->listed = 1;
}

/*
 * RACK's reordering window (RFC 8985 6.2 step 4), as tcp_rack_reo_wnd():
 * none while the path has not reordered and a loss is as good as known --
 * in recovery already, or as many segments SACKed above a hole as the
 * duplicate ACK threshold (RFC 5681) asks.  Else a quarter of the fastest
 * round trip, never below a millisecond, and wider after each recovery an
 * undo showed was spurious, up to the smoothed round trip.
 */
static u32 tcpx_rack_reo_wnd(const struct tcpx_sock *tsk)
{
	u32 wnd = max(tsk->min_rtt_us / 4, 1000U);

	if (!tsk->reord_seen &&
	    (tsk->ca_state != TCP_CA_Open ||
	     tsk->sacked_out >= TCPX_DUPTHRESH * tsk->mss_cache))
		return 0;
	if (tsk->reo_mult > 1)
		wnd = max(min(wnd * tsk->reo_mult, tsk->srtt_us), wnd);
	return wnd;
}

/*
 * RACK (RFC 8985 6.2): a segment sent before one the peer has since
 * SACKed, and not delivered a round trip and a reordering window after
 * it was sent, is lost -- a retransmission included, which is what lets
 * a lost retransmission be repaired without a timeout.  The flight is in
 * send order: the walk ends at the first one sent after the newest
 * delivered, or still within its window; for that one the reordering
 * timer (6.3) is armed, to judge it when its time is up.
 */
u32 tcpx_rack_mark_lost(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 reo_wnd = tcpx_rack_reo_wnd(tsk), now = tcpx_now_us(), newly = 0;
	struct sk_buff *skb, *tmp;

	if (!tsk->sacked_out)
		return 0;
	list_for_each_entry_safe(skb, tmp, &tsk->tsorted, tcp_tsorted_anchor) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
		s32 left;

		if ((s32)(tsk->rack_xmit_us - cb->tx_us) <= 0)
			break;
		left = tsk->rack_rtt_us + reo_wnd - (now - cb->tx_us);
		if (left > 0) {
			/* A jiffy more: the timer wheel may fire that early. */
			inet_csk_reset_xmit_timer(sk, ICSK_TIME_REO_TIMEOUT,
						  usecs_to_jiffies(left) + 1,
						  TCPX_RTO_MAX);
			break;
		}
		/* A SYN or a bare FIN: nothing to count as lost. */
		if (!skb->len)
			continue;
		tcpx_mark_lost(tsk, skb);
		newly++;
	}
	return newly;
}

/*
 * The reordering timer fired (RFC 8985 6.3): what has waited its window
 * out is lost; recovery starts as on an ACK, the retransmission timer
 * runs again.
 */
void tcpx_rack_reo_timeout(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (tsk->snd_una == tsk->snd_max)
		return;
	if (tcpx_rack_mark_lost(sk) && tsk->ca_state == TCP_CA_Open)
		tcpx_enter_recovery(sk);
	if (tsk->ca_state == TCP_CA_Recovery)
		tcpx_cong_prr(sk, 0, false);
	tcpx_push_pending(sk);
	if (!inet_csk(sk)->icsk_pending)
		tcpx_reset_rto(sk);
}

/*
 * After marking segments lost in a walk of the write queue (a timeout, a
 * smaller path MTU): the queue to resend in sequence order again, in one
 * more walk -- once per such event, not per ACK.
 */
void tcpx_lost_rebuild(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (!tcpx_before(TCPX_SKB_CB(skb)->seq, tsk->snd_max))
			break;
		if (TCPX_SKB_CB(skb)->lost)
			tcpx_list_add_tail(skb, &tsk->lost_queue);
	}
}

/* Forget the scoreboard: the peer reneged, or no SACK to keep. */
static void tcpx_sack_clear(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		/* Out of every list: each goes back as it is sent again. */
		tcpx_list_del(skb);
		if (cb->sacked && tcpx_before(cb->seq, tsk->snd_max))
			tcpx_index_add(tsk, skb);
		cb->sacked = 0;
		cb->lost = 0;
	}
	tsk->sacked_out = 0;
	tsk->lost_out = 0;
}

/*
 * A retransmission timeout, as tcp_timeout_mark_lost(): with SACK, what
 * the peer SACKed stays SACKed (unless the head itself is: the peer
 * reneged) and the rest of the flight is lost, to be resent from the
 * scoreboard as the window grows again, the SACKed part not at all.
 * False for go-back-N instead: no SACK, or a SYN to send again.
 */
bool tcpx_timeout_mark_lost(struct sock *sk)
{
	struct sk_buff *skb, *head = skb_peek(&sk->sk_write_queue);
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->loss_sack = tsk->sack_ok && head &&
			 !(TCPX_SKB_CB(head)->flags & TCPHDR_SYN);
	if (!tsk->loss_sack || TCPX_SKB_CB(head)->sacked)
		tcpx_sack_clear(sk);
	if (!tsk->loss_sack)
		return false;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		if (!tcpx_before(cb->seq, tsk->snd_max))
			break;
		if (cb->sacked || cb->lost)
			continue;
		cb->lost = 1;
		tsk->lost_out += skb->len;
	}
	tcpx_lost_rebuild(sk);
	tsk->dupacks = 0;
	return true;
}

/*
 * Loss without a timeout: the window halves (cong.c).  NewReno resends the
 * head at once; with SACK the head is marked lost and the lost segments go
 * as the pipe allows, from tcpx_push_pending().
 */
void tcpx_enter_recovery(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *head;

	tcpx_inc_stats(sock_net(sk), TCPX_MIB_FASTRETRANS);
	tsk->undo_tsval = tcpx_ts_now() + tsk->ts_off;
	tsk->recover = tsk->snd_max;
	tsk->ca_state = TCP_CA_Recovery;
	tcpx_cong_enter_recovery(sk);
	if (!tsk->sack_ok) {
		tcpx_retransmit_head(sk);
		return;
	}
	head = skb_peek(&sk->sk_write_queue);
	if (head && head != tsk->send_head && !TCPX_SKB_CB(head)->sacked &&
	    !TCPX_SKB_CB(head)->lost)
		tcpx_mark_lost(tsk, head);
}

/*
 * RFC 6582 3.2: an ACK for new data during fast recovery.  A full one ends
 * it; after a partial one NewReno resends the next hole at once (with SACK
 * the scoreboard says what is lost: tcpx_rack_mark_lost()).
 */
void tcpx_recovery_ack(struct sock *sk, u32 acked)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (tcpx_cong_recovery_ack(sk, acked)) {
		tsk->ca_state = TCP_CA_Open;
		tsk->dupacks = 0;
		return;
	}
	if (!tsk->sack_ok)
		tcpx_retransmit_head(sk);
}

/*
 * Eifel detection (RFC 3522): an ACK for new data that echoes a timestamp
 * older than our first resend was caused by an original segment -- it was
 * late, not lost.  Restore the window; after a fast recovery, tolerate
 * more reordering.  After a timeout with the SACK scoreboard (RFC 4015's
 * response, as tcp_try_undo_loss()) the segment was delayed, not
 * reordered: the window comes back and the marks go, nothing more.
 * Without SACK the window comes back too, and go-back-N stops
 * (tcpx_go_forward()); the Loss state lasts until what was outstanding
 * at the timeout is acknowledged, so that duplicates of what it did
 * resend start no fast retransmit (tcpx_dupack()), as TCP's.
 */
bool tcpx_try_undo(struct sock *sk, const struct tcpx_skb_cb *cb)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	if (!tsk->tstamp_ok || !cb->saw_tstamp || !cb->tsecr ||
	    (s32)(cb->tsecr - tsk->undo_tsval) >= 0)
		return false;
	if (tsk->ca_state == TCP_CA_Loss && !tsk->loss_sack) {
		tcpx_cong_undo(sk);
		tcpx_go_forward(sk);
		tsk->dupacks = 0;
		if (!tcpx_before(tsk->snd_una, tsk->recover))
			tsk->ca_state = TCP_CA_Open;
		return true;
	}
	if (tsk->ca_state == TCP_CA_Recovery) {
		tsk->reo_mult = min_t(u8, max_t(u8, tsk->reo_mult, 1) * 2, 64);
		tsk->reord_seen = 1;
	}
	tcpx_cong_undo(sk);
	tsk->ca_state = TCP_CA_Open;
	tsk->dupacks = 0;
	/*
	 * Not lost after all: in flight again, before the rest -- they were
	 * marked for having been sent before them.
	 */
	list_for_each_entry(skb, &tsk->lost_queue, tcp_tsorted_anchor)
		TCPX_SKB_CB(skb)->lost = 0;
	list_splice_init(&tsk->lost_queue, &tsk->tsorted);
	tsk->lost_out = 0;
	return true;
}

/* RFC 5681 3.2 and RFC 6582 3.2: the third duplicate ACK, and later ones. */
void tcpx_dupack(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = tsk->mss_cache, thresh, segs;

	if (tsk->ca_state == TCP_CA_Recovery) {
		tcpx_cong_dupack(sk);
		return;
	}
	/*
	 * RFC 5827 early retransmit: with fewer than four segments out and
	 * nothing new to send, three duplicates can never come.
	 */
	thresh = TCPX_DUPTHRESH;
	segs = DIV_ROUND_UP(tcpx_flight(tsk), mss);
	if (!tsk->send_head && segs < 4)
		thresh = max(segs, 2U) - 1;
	if (++tsk->dupacks < thresh || tsk->sack_ok)
		return;	/* with SACK, RACK decides (tcpx_rack_mark_lost()) */
	/* Duplicates of what go-back-N resent after a timeout are no news. */
	if (tsk->ca_state == TCP_CA_Loss && tcpx_before(tsk->snd_una, tsk->recover))
		return;
	tcpx_enter_recovery(sk);
}
