// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer autotuning: a socket starts with rmem[1] and wmem[1] bytes of
 * buffer (net.tcpx.rmem, net.tcpx.wmem) and grows them toward rmem[2] and
 * wmem[2] as the connection shows it needs more, as TCP's dynamic
 * right-sizing and send buffer expansion do.  SO_RCVBUF and SO_SNDBUF
 * fix a buffer (SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK): then it never moves.
 *
 * Receive side: a window must cover what the sender can put in flight in
 * one round trip, and a sender in slow start doubles that every round
 * trip.  Once per receiver RTT the bytes the reader took are measured;
 * when they grow, the buffer grows to hold twice as much again, plus the
 * growth seen, in buffer bytes (the payload/truesize ratio of arriving
 * segments).  The receiver's RTT comes from echoed timestamps, or from
 * the time one advertised window takes to arrive: the least sample of
 * the last TCPX_RCV_RTT_WIN.
 *
 * Send side: while the congestion window, not the buffer, would limit the
 * sender, the buffer holds two congestion windows of data.
 */
#include "tcpx.h"

/* A longer "RTT" is an idle stretch or a bogus echo, not a round trip. */
#define TCPX_RCV_RTT_MAX_US	(60 * USEC_PER_SEC)
/* How long the least RTT sample stands before a later one replaces it. */
#define TCPX_RCV_RTT_WIN	(10 * HZ)

static const int *tcpx_rmem(const struct sock *sk)
{
	return tcpx_pernet(sock_net(sk))->rmem;
}

static const int *tcpx_wmem(const struct sock *sk)
{
	return tcpx_pernet(sock_net(sk))->wmem;
}

/* A new socket's buffers: the sysctls' defaults. */
void tcpx_init_buffers(struct sock *sk)
{
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(tcpx_rmem(sk)[1]));
	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(tcpx_wmem(sk)[1]));
}

/* The most the window scale chosen at the SYN should cover. */
int tcpx_rmem_max(const struct sock *sk)
{
	return READ_ONCE(tcpx_rmem(sk)[2]);
}

/*
 * Buffer bytes one queued segment of mss bytes takes: the skb with its
 * header room (kmalloc'd, so a power of two) and the page fragment.
 */
static u32 tcpx_seg_truesize(u32 mss)
{
	return roundup_pow_of_two(SKB_DATA_ALIGN(TCPX_MAX_HEADER) +
				  SKB_DATA_ALIGN(sizeof(struct skb_shared_info))) +
	       SKB_DATA_ALIGN(sizeof(struct sk_buff)) + mss;
}

/*
 * Send buffer expansion: room for two congestion windows of data (at least
 * the initial window of segments of the MSS we announce), in segments of
 * the MSS we send with, within wmem[2].  Each skb holds one segment, so a
 * peer announcing a tiny MSS costs an skb per few bytes: counted so, the
 * writer still gets as much data queued as on a normal path.  Not while
 * the buffer is fixed, the protocol is under pressure or past mem[0], or
 * the congestion window is already full (then more buffer would only
 * queue more).
 */
void tcpx_sndbuf_expand(struct sock *sk)
{
	const struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 mss = max_t(u32, tsk->mss_cache, 1);
	u32 in_flight = tsk->snd_max - tsk->snd_una;
	u64 data, want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK ||
	    tcpx_under_memory_pressure(sk) ||
	    atomic_long_read(&tcpx_memory_allocated) >= sk_prot_mem_limits(sk, 0) ||
	    (in_flight && in_flight >= tsk->snd_cwnd))
		return;
	data = 2ULL * max_t(u32, tsk->snd_cwnd, TCPX_INIT_CWND * tsk->advmss);
	want = DIV_ROUND_UP_ULL(data, mss) * tcpx_seg_truesize(mss);
	want = min_t(u64, want, READ_ONCE(tcpx_wmem(sk)[2]));
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, want);
}

/* At establishment: the first measure starts, sized for the initial window. */
void tcpx_init_buffer_space(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 now = tcpx_now_us();

	tsk->rcvq_space = min_t(u32, tsk->rcv_wnd ? : tsk->advmss,
				TCPX_INIT_CWND * tsk->advmss);
	tsk->rcvq_seq = tsk->copied_seq;
	tsk->rcvq_time_us = now;
	tsk->rcv_rtt_us = 0;
	tsk->rcv_rtt_stamp = jiffies;
	tsk->rcv_rtt_seq = tsk->rcv_nxt + tsk->rcv_wnd;
	tsk->rcv_rtt_time_us = now;
	tsk->rcv_rtt_tsecr = 0;
	tcpx_sndbuf_expand(sk);
}

/*
 * The estimate is the least sample of the last TCPX_RCV_RTT_WIN: a queue
 * the sender fills (a deep one, on a slow link) must not pass for a longer
 * path, or the buffer would grow with the queue it feeds; a path that got
 * longer shows within the window.
 */
static void tcpx_rcv_rtt_update(struct tcpx_sock *tsk, u32 sample)
{
	if (!tsk->rcv_rtt_us || sample <= tsk->rcv_rtt_us ||
	    time_after(jiffies, tsk->rcv_rtt_stamp + TCPX_RCV_RTT_WIN)) {
		tsk->rcv_rtt_us = sample;
		tsk->rcv_rtt_stamp = jiffies;
	}
}

/*
 * The receiver's RTT, from an in-order data segment: its timestamp echo
 * if it has a new one (a full-sized segment, sent when it was), else the
 * time the last advertised window took to arrive, which is an RTT or
 * more.
 */
void tcpx_rcv_rtt_measure(struct sock *sk, const struct sk_buff *skb)
{
	const struct tcpx_skb_cb *cb = TCPX_SKB_CB(skb);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 now, sample;

	if (tsk->tstamp_ok && cb->saw_tstamp && cb->tsecr &&
	    cb->tsecr != tsk->rcv_rtt_tsecr &&
	    tcpx_full_sized(tsk, skb->len)) {
		u32 ms = tcpx_ts_now() - (cb->tsecr - tsk->ts_off);

		tsk->rcv_rtt_tsecr = cb->tsecr;
		if (ms <= TCPX_RCV_RTT_MAX_US / USEC_PER_MSEC) {
			/* The clock ticks in ms: a sample under one is one. */
			sample = max_t(u32, ms, 1) * USEC_PER_MSEC;
			tcpx_rcv_rtt_update(tsk, sample);
		}
		return;
	}
	if (tcpx_before(tsk->rcv_nxt, tsk->rcv_rtt_seq))
		return;
	/* Read the clock once a window, not on every segment. */
	now = tcpx_now_us();
	sample = clamp_t(u32, now - tsk->rcv_rtt_time_us, 1, TCPX_RCV_RTT_MAX_US);
	tcpx_rcv_rtt_update(tsk, sample);
	tsk->rcv_rtt_seq = tsk->rcv_nxt + tsk->rcv_wnd;
	tsk->rcv_rtt_time_us = now;
}

/*
 * After the reader took data: once a receiver RTT has passed, compare what
 * it took in that RTT with the last measure, and grow sk_rcvbuf to hold
 * twice the new figure plus twice its growth, within rmem[2].
 */
void tcpx_rcv_space_adjust(struct sock *sk)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 now = tcpx_now_us(), copied;
	u64 want;

	if (!tsk->rcv_rtt_us || now - tsk->rcvq_time_us < tsk->rcv_rtt_us)
		return;
	copied = tsk->copied_seq - tsk->rcvq_seq;
	if (copied > tsk->rcvq_space) {
		if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
			u32 grown = copied - tsk->rcvq_space;

			want = 2ULL * copied + 2ULL * min(grown, copied);
			/* Payload to buffer bytes: tcpx_rcv_space() inverted. */
			want = div_u64(want * 256 * 8,
				       max_t(u32, tsk->rcv_ratio, 1) * 7);
			want = min_t(u64, want, READ_ONCE(tcpx_rmem(sk)[2]));
			if (want > READ_ONCE(sk->sk_rcvbuf))
				WRITE_ONCE(sk->sk_rcvbuf, want);
		}
		tsk->rcvq_space = copied;
	}
	tsk->rcvq_seq = tsk->copied_seq;
	tsk->rcvq_time_us = now;
}
