// SPDX-License-Identifier: GPL-2.0
/*
 * Timers: retransmission (RFC 6298: SRTT/RTTVAR, 1 s before the first
 * sample, a 200 ms floor like Linux, exponential backoff to 120 s, bounded
 * by syn_retries in SYN-SENT and retries2 afterwards, and by
 * TCPX_USER_TIMEOUT), the persist timer (zero-window probes, on the same
 * timer as ICSK_TIME_PROBE0), the keepalive timer (SO_KEEPALIVE probes,
 * and the orphaned FIN-WAIT-2 timeout), and the delayed ACK.  A handler
 * that finds the socket owned by a process tries again shortly, as TCP
 * does.
 */
#include <net/inet_connection_sock.h>

#include "mib.h"
#include "tcpx.h"

#define TCPX_TIMER_RETRY	(HZ / 20)

/*
 * RFC 6298 2.2-2.3 on a new sample R (Karn's rule is the caller's: no
 * sample from a retransmitted segment).  Like Linux, the floor bounds the
 * variance term: RTO = SRTT + max(4 * RTTVAR, 200 ms).
 */
void tcpx_rtt_sample(struct sock *sk, u32 rtt_us)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 rto_us, var;

	rtt_us = max(rtt_us, 1U);
	if (!tsk->min_rtt_us || rtt_us < tsk->min_rtt_us)
		tsk->min_rtt_us = rtt_us;
	if (!tsk->srtt_us) {
		tsk->srtt_us = rtt_us;
		tsk->rttvar_us = rtt_us / 2;
	} else {
		u32 delta = tsk->srtt_us > rtt_us ? tsk->srtt_us - rtt_us :
						    rtt_us - tsk->srtt_us;

		tsk->rttvar_us = (3 * tsk->rttvar_us + delta) / 4;
		tsk->srtt_us = (7 * tsk->srtt_us + rtt_us) / 8;
	}
	var = max(4 * tsk->rttvar_us, jiffies_to_usecs(TCPX_RTO_MIN));
	rto_us = tsk->srtt_us + var;
	inet_csk(sk)->icsk_rto = clamp_t(u32, usecs_to_jiffies(rto_us),
					 TCPX_RTO_MIN, TCPX_RTO_MAX);
}

/*
 * A sample from the timestamp echoed by an ACK of a segment that was sent
 * more than once (RFC 7323 4.1), as tcp_ack_update_rtt(): at least 1 ms.
 */
void tcpx_rtt_sample_tsecr(struct sock *sk, const struct tcpx_skb_cb *cb)
{
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 ms;

	if (!tsk->tstamp_ok || !cb->saw_tstamp || !cb->tsecr)
		return;
	ms = tcpx_ts_now() + tsk->ts_off - cb->tsecr;
	if (ms < INT_MAX / USEC_PER_MSEC)
		tcpx_rtt_sample(sk, max(ms, 1U) * USEC_PER_MSEC);
}

/*
 * TCPX_USER_TIMEOUT counts from the first transmission of the oldest
 * unacknowledged segment; as tcp_clamp_rto_to_user_timeout(), a backed-off
 * RTO does not overshoot it.
 */
static unsigned long tcpx_clamp_to_user(const struct sock *sk,
					unsigned long when)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	u32 user = READ_ONCE(icsk->icsk_user_timeout);
	long left;

	if (!user || !icsk->icsk_retransmits)
		return when;
	left = (long)(tcpx_sk(sk)->retrans_stamp + msecs_to_jiffies(user) -
		      jiffies);
	return clamp_t(long, left, 1, when);
}

void tcpx_reset_rto(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	unsigned long when;

	when = min_t(unsigned long,
		     (unsigned long)icsk->icsk_rto << icsk->icsk_backoff,
		     TCPX_RTO_MAX);
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
				  tcpx_clamp_to_user(sk, when), TCPX_RTO_MAX);
}

/* An orphan's peer still counts as alive while the backed-off RTO is
 * below its cap (tcp_write_timeout()'s and tcp_probe_timer()'s test).
 */
static bool tcpx_rto_alive(const struct sock *sk)
{
	return inet_csk_rto_backoff(inet_csk(sk), TCPX_RTO_MAX) < TCPX_RTO_MAX;
}

/* An orphan that ran out of retries or probes: gone, and counted. */
static void tcpx_timeout(struct sock *sk)
{
	if (sock_flag(sk, SOCK_DEAD))
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_ORPHANDROPS);
	tcpx_done_with_error(sk, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
}

static bool tcpx_out_of_retries(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcpx_pernet *pn = tcpx_pernet(sock_net(sk));
	u32 user = READ_ONCE(icsk->icsk_user_timeout);
	int max;

	if (sk->sk_state == TCP_SYN_SENT)
		max = READ_ONCE(icsk->icsk_syn_retries) ? :
		      READ_ONCE(pn->syn_retries);
	else if (sock_flag(sk, SOCK_DEAD))
		max = tcpx_orphan_retries(sk, tcpx_rto_alive(sk));
	else
		max = READ_ONCE(pn->retries2);
	if (user && icsk->icsk_retransmits &&
	    time_after(jiffies, tcpx_sk(sk)->retrans_stamp +
				msecs_to_jiffies(user)))
		return true;
	return icsk->icsk_retransmits >= max;
}

/* The persist timer: window closed, nothing in flight, data waiting. */
void tcpx_arm_probe0(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	inet_csk_reset_xmit_timer(sk, ICSK_TIME_PROBE0,
				  min_t(unsigned long,
					(unsigned long)icsk->icsk_rto << icsk->icsk_backoff,
					TCPX_RTO_MAX),
				  TCPX_RTO_MAX);
}

/*
 * As tcp_probe_timer(): probing goes on while the peer answers (each ACK
 * resets icsk_probes_out); retries2 unanswered probes, or
 * TCPX_USER_TIMEOUT, end the connection.  An orphan is not kept forever
 * by a peer that answers with a shut window: once the backoff reaches the
 * RTO cap, orphan_retries of it end it, and it goes early when orphans or
 * memory run short.
 */
static void tcpx_probe_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	u32 user = READ_ONCE(icsk->icsk_user_timeout);
	int max = READ_ONCE(tcpx_pernet(sock_net(sk))->retries2);

	if (!tsk->send_head || tsk->snd_una != tsk->snd_max) {
		icsk->icsk_probes_out = 0;
		return;
	}
	if (!icsk->icsk_probes_out)
		tsk->retrans_stamp = jiffies;
	if (sock_flag(sk, SOCK_DEAD)) {
		bool alive = tcpx_rto_alive(sk);

		max = tcpx_orphan_retries(sk, alive);
		if (!alive && icsk->icsk_backoff >= max) {
			tcpx_timeout(sk);
			return;
		}
		if (tcpx_out_of_resources(sk, true))
			return;
	}
	if ((user && time_after(jiffies, tsk->retrans_stamp +
				msecs_to_jiffies(user))) ||
	    icsk->icsk_probes_out >= max) {
		tcpx_timeout(sk);
		return;
	}
	icsk->icsk_probes_out++;
	tcpx_probe_window(sk);
	if (sk->sk_state == TCP_CLOSE || tsk->snd_una != tsk->snd_max)
		return;
	if (icsk->icsk_backoff < 16)
		icsk->icsk_backoff++;
	tcpx_arm_probe0(sk);
}

static void tcpx_retransmit_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcpx_sock *tsk = tcpx_sk(sk);
	bool first;

	/*
	 * Nothing sent is unacknowledged (TCP's !packets_out).  Not "the
	 * head is unsent": after a go-back whose resend failed (no route)
	 * the head is send_head again, yet still outstanding, and the timer
	 * must go on to end the connection.
	 */
	if (skb_queue_empty(&sk->sk_write_queue) || tsk->snd_una == tsk->snd_max)
		return;
	if (sock_flag(sk, SOCK_DEAD)) {
		bool alive = tcpx_rto_alive(sk);

		if (tcpx_out_of_resources(sk, alive || icsk->icsk_retransmits <
				tcpx_orphan_retries(sk, alive)))
			return;
	}
	if (tcpx_out_of_retries(sk)) {
		tcpx_timeout(sk);
		return;
	}
	if (!icsk->icsk_retransmits) {
		struct sk_buff *head = skb_peek(&sk->sk_write_queue);
		u32 age = tcpx_now_us() - TCPX_SKB_CB(head)->tx_us;

		tsk->retrans_stamp = jiffies - usecs_to_jiffies(age);
	}
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_TIMEOUTS);
	/*
	 * ssthresh once per loss episode.  An undo (Eifel) needs an echo
	 * older than the episode's first resend, as TCP's retrans_stamp: a
	 * timeout during a recovery or after a partial ACK keeps it.
	 */
	first = tsk->ca_state != TCP_CA_Loss || !icsk->icsk_retransmits;
	if (tsk->ca_state == TCP_CA_Open)
		tsk->undo_tsval = tcpx_ts_now() + tsk->ts_off;
	tcpx_cong_rto(sk, first);
	tsk->ca_state = TCP_CA_Loss;
	tsk->recover = tsk->snd_max;
	icsk->icsk_retransmits++;
	if (tcpx_timeout_mark_lost(sk)) {
		/* Directly: a lost FIN alone adds nothing to lost_out. */
		tcpx_xmit_lost(sk);
		tcpx_push_pending(sk);
	} else {
		tcpx_go_back(sk);
	}
	if (icsk->icsk_backoff < 16)
		icsk->icsk_backoff++;
	tcpx_reset_rto(sk);
}

/* A timer's handler lets the socket go, and the armed timer's reference. */
static void tcpx_timer_unlock(struct sock *sk)
	__releases(&sk->sk_lock.slock)
{
	bh_unlock_sock(sk);
	sock_put(sk);
}

/*
 * A timer's handler takes the socket's spinlock: true if it may run now,
 * false if the owner holds the socket (the timer tries again shortly).
 */
static bool tcpx_timer_lock(struct sock *sk, struct timer_list *timer)
	__acquires(&sk->sk_lock.slock)
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		return true;
	sk_reset_timer(sk, timer, jiffies + TCPX_TIMER_RETRY);
	return false;
}

static void tcpx_write_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_retransmit_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	if (tcpx_timer_lock(sk, t) && sk->sk_state != TCP_CLOSE &&
	    icsk->icsk_pending) {
		if (time_after(icsk->icsk_timeout, jiffies)) {
			sk_reset_timer(sk, &icsk->icsk_retransmit_timer,
				       icsk->icsk_timeout);
		} else {
			int event = icsk->icsk_pending;

			icsk->icsk_pending = 0;
			if (event == ICSK_TIME_PROBE0)
				tcpx_probe_timer(sk);
			else if (event == ICSK_TIME_REO_TIMEOUT)
				tcpx_rack_reo_timeout(sk);
			else
				tcpx_retransmit_timer(sk);
		}
	}
	tcpx_timer_unlock(sk);
}

static void tcpx_delack_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_delack_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	if (tcpx_timer_lock(sk, t) &&
	    icsk->icsk_ack.pending & ICSK_ACK_TIMER &&
	    sk->sk_state != TCP_CLOSE) {
		tcpx_inc_stats(sock_net(sk), TCPX_MIB_DELAYEDACKS);
		tcpx_send_ack(sk);
	}
	tcpx_timer_unlock(sk);
}

/* SO_KEEPALIVE, as tcp_set_keepalive(): arms the timer on a connection. */
void tcpx_set_keepalive(struct sock *sk, int val)
{
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (val && !sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_reset_keepalive_timer(sk, tcpx_keepalive_time_when(sk));
	else if (!val)
		inet_csk_delete_keepalive_timer(sk);
}

/*
 * The peer stayed silent through keepalive_time and the probes: RST, and
 * ETIMEDOUT for the application, as tcp_write_err().
 */
static void tcpx_keepalive_expire(struct sock *sk)
{
	tcpx_send_active_reset(sk, GFP_ATOMIC);
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_KEEPALIVETIMEOUTS);
	tcpx_done_with_error(sk, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
}

/*
 * The keepalive timer, as tcp_keepalive_timer(): an orphan's FIN-WAIT-2
 * ends after fin_timeout; otherwise, with SO_KEEPALIVE, a connection idle
 * for keepalive_time gets a probe every keepalive_intvl, and is dropped
 * after keepalive_probes unanswered ones, or once TCPX_USER_TIMEOUT has
 * passed with a probe out.  Any segment accepted resets rcv_tstamp and
 * icsk_probes_out (input.c).
 */
static void tcpx_keepalive_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_keepalive_timer);
	struct sock *sk = &icsk->icsk_inet.sk;
	u32 elapsed, user_timeout;

	if (!tcpx_timer_lock(sk, t))
		goto out;
	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		tcpx_done(sk);
		goto out;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT | TCPF_LISTEN)))
		goto out;

	/* Data in flight or waiting: the retransmission timer watches. */
	elapsed = tcpx_keepalive_time_when(sk);
	if (!skb_queue_empty(&sk->sk_write_queue))
		goto resched;

	elapsed = tcpx_keepalive_time_elapsed(sk);
	if (elapsed < tcpx_keepalive_time_when(sk)) {
		elapsed = tcpx_keepalive_time_when(sk) - elapsed;
		goto resched;
	}
	user_timeout = READ_ONCE(icsk->icsk_user_timeout);
	if ((user_timeout && elapsed >= msecs_to_jiffies(user_timeout) &&
	     icsk->icsk_probes_out > 0) ||
	    (!user_timeout &&
	     icsk->icsk_probes_out >= tcpx_keepalive_probes(sk))) {
		tcpx_keepalive_expire(sk);
		goto out;
	}
	if (tcpx_send_probe(sk) <= 0) {
		icsk->icsk_probes_out++;
		elapsed = tcpx_keepalive_intvl_when(sk);
	} else {
		/* Dropped by local congestion: try again soon. */
		elapsed = TCP_RESOURCE_PROBE_INTERVAL;
	}
resched:
	inet_csk_reset_keepalive_timer(sk, elapsed);
out:
	tcpx_timer_unlock(sk);
}

void tcpx_init_xmit_timers(struct sock *sk)
{
	inet_csk_init_xmit_timers(sk, tcpx_write_timer, tcpx_delack_timer,
				  tcpx_keepalive_timer);
}
