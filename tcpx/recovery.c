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

/* A segment known delivered (ACKed or SACKed): RACK's newest send time. */
void tcpx_rack_advance(struct tcpx_sock *tsk, const struct sk_buff *skb)
{
	u32 tx = TCPX_SKB_CB(skb)->tx_us;

	if ((s32)(tx - tsk->rack_xmit_us) > 0)
		tsk->rack_xmit_us = tx;
}

/* Mark what the SACK blocks cover; D-SACKs and stale blocks are ignored. */
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
		skb_queue_walk(&sk->sk_write_queue, skb) {
			struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

			if (!tcpx_before(cb->seq, end) ||
			    !tcpx_before(cb->seq, tsk->snd_max))
				break;
			if (cb->sacked || tcpx_before(cb->seq, start) ||
			    tcpx_after(cb->end_seq, end))
				continue;
			cb->sacked = 1;
			tsk->sacked_out += skb->len;
			if (cb->lost) {
				cb->lost = 0;
				tsk->lost_out -= skb->len;
			}
			tcpx_rack_advance(tsk, skb);
		}
	}
}

/*
 * RACK (RFC 8985 6.2): a segment sent a reordering window before one the
 * peer has since SACKed is lost -- a retransmission included, which is
 * what lets a lost retransmission be repaired without a timeout.
 */
u32 tcpx_rack_mark_lost(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 reo_wnd = max(tsk->min_rtt_us / 4, 1000U), newly = 0;
	struct sk_buff *skb;

	/* Reordering seen: widen the window, up to the smoothed RTT. */
	if (tsk->reo_mult > 1)
		reo_wnd = max(min(reo_wnd * tsk->reo_mult, tsk->srtt_us), reo_wnd);

	if (!tsk->sacked_out)
		return 0;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);

		if (!tcpx_before(cb->seq, tsk->snd_max))
			break;
		if (cb->sacked || cb->lost || !skb->len)
			continue;
		if ((s32)(tsk->rack_xmit_us - cb->tx_us) <= (s32)reo_wnd)
			continue;
		cb->lost = 1;
		tsk->lost_out += skb->len;
		newly++;
	}
	return newly;
}

/* Forget the scoreboard: the peer reneged, or no SACK to keep. */
static void tcpx_sack_clear(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		TCPX_SKB_CB(skb)->sacked = 0;
		TCPX_SKB_CB(skb)->lost = 0;
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
	    !TCPX_SKB_CB(head)->lost) {
		TCPX_SKB_CB(head)->lost = 1;
		tsk->lost_out += head->len;
	}
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
 * late, not lost.  Restore the window and tolerate more reordering.
 */
bool tcpx_try_undo(struct sock *sk, const struct tcpx_skb_cb *cb)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	struct sk_buff *skb;

	if (!tsk->tstamp_ok || !cb->saw_tstamp || !cb->tsecr ||
	    (s32)(cb->tsecr - tsk->undo_tsval) >= 0)
		return false;
	tcpx_cong_undo(sk);
	tsk->ca_state = TCP_CA_Open;
	tsk->dupacks = 0;
	tsk->reo_mult = min_t(u8, max_t(u8, tsk->reo_mult, 1) * 2, 64);
	skb_queue_walk(&sk->sk_write_queue, skb)
		TCPX_SKB_CB(skb)->lost = 0;
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
	thresh = 3;
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
