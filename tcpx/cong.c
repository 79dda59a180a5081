// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: how much may be in flight.  RFC 5681's slow start,
 * congestion avoidance and halving on loss, RFC 3465's byte counting,
 * RFC 6582's NewReno inflation and deflation, and the window an undo
 * (RFC 3522) gives back.  recovery.c decides that a loss happened and what
 * to resend; this file only sizes the window for it.
 */
#include "tcpx.h"

/*
 * After a round of sending: the flight it left, and whether cwnd stopped
 * it.  Kept for one window of data (to snd_max when it began), as
 * tcp_cwnd_validate() keeps max_packets_out and is_cwnd_limited.
 */
void tcpx_cong_used(struct sock *sk, u32 flight, bool full)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (!tcpx_before(tsk->snd_una, tsk->cwnd_usage_seq)) {
		tsk->cwnd_usage_seq = tsk->snd_max;
		tsk->max_flight = flight;
		tsk->cwnd_limited = full;
	} else {
		tsk->max_flight = max(tsk->max_flight, flight);
		tsk->cwnd_limited |= full;
	}
}

/*
 * RFC 7661: cwnd grows only while it is what limits the sender -- in slow
 * start while the flight reached half of it (it doubles per round trip),
 * later while the flight filled it.  A sender held back by its
 * application or the peer's window would otherwise grow a window it never
 * tested, and send it all at once one day.
 */
static bool tcpx_cwnd_limited(const struct tcpx_sock *tsk)
{
	if (tsk->snd_cwnd < tsk->snd_ssthresh)
		return tsk->snd_cwnd < 2 * tsk->max_flight;
	return tsk->cwnd_limited;
}

/* RFC 5681 3.1: slow start below ssthresh, congestion avoidance above. */
void tcpx_cong_avoid(struct sock *sk, u32 acked)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = tsk->mss_cache;

	if (!tcpx_cwnd_limited(tsk))
		return;
	if (tsk->snd_cwnd < tsk->snd_ssthresh) {
		/* RFC 3465: count bytes, at most two segments an ACK. */
		tsk->snd_cwnd += min(acked, 2 * mss);
	} else {
		tsk->cwnd_acked += acked;
		if (tsk->cwnd_acked >= tsk->snd_cwnd) {
			tsk->cwnd_acked -= tsk->snd_cwnd;
			tsk->snd_cwnd += mss;
		}
	}
	tsk->snd_cwnd = min_t(u32, tsk->snd_cwnd, TCPX_MAX_CWND);
}

/*
 * Loss without a timeout: halve (RFC 5681 3.2, RFC 6582 3.2 step 1),
 * keeping what an undo restores.  NewReno counts the three duplicates
 * that left the network; with SACK the window stays at ssthresh and the
 * pipe (RFC 6675) paces the resends.
 */
void tcpx_cong_enter_recovery(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = tsk->mss_cache;

	tsk->prior_cwnd = tsk->snd_cwnd;
	tsk->prior_ssthresh = tsk->snd_ssthresh;
	tsk->snd_ssthresh = max(tcpx_flight(tsk) / 2, 2 * mss);
	tsk->cwnd_acked = 0;
	tsk->snd_cwnd = tsk->snd_ssthresh + (tsk->sack_ok ? 0 : 3 * mss);
	tsk->prr_delivered = 0;
	tsk->prr_out = 0;
	tsk->recover_fs = max(tcpx_flight(tsk), 1U);
}

/*
 * RFC 6937 proportional rate reduction, as tcp_cwnd_reduction(): during
 * SACK recovery each ACK lets out what it delivered times ssthresh over
 * the flight at the start, so the sending rate falls to ssthresh smoothly
 * instead of stopping and then bursting (the pipe may fall far below
 * ssthresh at once when much is marked lost).  Below ssthresh, the pipe
 * grows back to it as in slow start, one segment more than delivered
 * when the cumulative ACK advanced (PRR-SSRB).  The first loss goes at
 * once.  The window is what the pipe holds plus that.
 */
void tcpx_cong_prr(struct sock *sk, u32 delivered, bool una_advanced)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 pipe = tcpx_pipe(tsk), mss = tsk->mss_cache;
	s64 sndcnt;

	tsk->prr_delivered += delivered;
	if (pipe > tsk->snd_ssthresh) {
		sndcnt = DIV_ROUND_UP_ULL((u64)tsk->prr_delivered * tsk->snd_ssthresh,
					  tsk->recover_fs) - tsk->prr_out;
	} else {
		sndcnt = max_t(s64, (s64)tsk->prr_delivered - tsk->prr_out,
			       delivered) + (una_advanced ? mss : 0);
		sndcnt = min_t(s64, sndcnt, tsk->snd_ssthresh - pipe);
	}
	if (!tsk->prr_out)
		sndcnt = max_t(s64, sndcnt, mss);
	tsk->snd_cwnd = pipe + max_t(s64, sndcnt, 0);
}

/* RFC 6582 3.2 step 4: NewReno, one more segment has left per duplicate. */
void tcpx_cong_dupack(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (!tsk->sack_ok)
		tsk->snd_cwnd += tsk->mss_cache;
}

/*
 * An ACK for new data during fast recovery.  Full (RFC 6582 3.2 step 3):
 * cwnd is ssthresh, the step's second choice and tcp_end_cwnd_reduction()'s
 * -- not min(ssthresh, FlightSize + SMSS): a full ACK often leaves
 * nothing in flight, and each recovery would end in a slow start from
 * one or two segments, each round a delayed ACK long; true, recovery is
 * over.  Partial, NewReno only (step 3 too): deflate by what it acked,
 * add back one segment.
 */
bool tcpx_cong_recovery_ack(struct sock *sk, u32 acked)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = tsk->mss_cache;

	if (!tcpx_before(tsk->snd_una, tsk->recover)) {
		tsk->snd_cwnd = tsk->snd_ssthresh;
		return true;
	}
	if (!tsk->sack_ok) {
		tsk->snd_cwnd -= min(acked, tsk->snd_cwnd - mss);
		if (acked >= mss)
			tsk->snd_cwnd += mss;
	}
	return false;
}

/* The loss was not one (RFC 3522): the window from before it. */
void tcpx_cong_undo(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	tsk->snd_cwnd = max(tsk->snd_cwnd, tsk->prior_cwnd);
	tsk->snd_ssthresh = max(tsk->snd_ssthresh, tsk->prior_ssthresh);
}

/*
 * RFC 5681 3.1 (4): ssthresh once per loss episode, cwnd one segment; the
 * window an undo restores is kept unless fast recovery already keeps it.
 */
void tcpx_cong_rto(struct sock *sk, bool first)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);

	if (first && tsk->ca_state != TCP_CA_Recovery) {
		tsk->prior_cwnd = tsk->snd_cwnd;
		tsk->prior_ssthresh = tsk->snd_ssthresh;
	}
	if (first)
		tsk->snd_ssthresh = max(tcpx_flight(tsk) / 2,
					2 * tsk->mss_cache);
	tsk->snd_cwnd = tsk->mss_cache;
	tsk->cwnd_acked = 0;
}
