// SPDX-License-Identifier: GPL-2.0
/*
 * Timers: retransmission (RFC 6298: exponential backoff from 1 s, bounded
 * by syn_retries in SYN-SENT and retries2 afterwards, and by
 * TCPX_USER_TIMEOUT), the orphaned FIN-WAIT-2 timeout on the keepalive
 * timer, and the delayed ACK.  A handler that finds the socket owned by a
 * process tries again shortly, as TCP does.
 */
#include <net/inet_connection_sock.h>

#include "mib.h"
#include "tcpx.h"

#define TCPX_TIMER_RETRY	(HZ / 20)

void tcpx_reset_rto(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
				  min_t(unsigned long,
					(unsigned long)icsk->icsk_rto << icsk->icsk_backoff,
					TCPX_RTO_MAX),
				  TCPX_RTO_MAX);
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
	else
		max = READ_ONCE(pn->retries2);
	if (user && icsk->icsk_retransmits &&
	    time_after(jiffies, (unsigned long)tcpx_sk(sk)->retrans_stamp +
				msecs_to_jiffies(user)))
		return true;
	return icsk->icsk_retransmits >= max;
}

static void tcpx_retransmit_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (skb_queue_empty(&sk->sk_write_queue) ||
	    skb_peek(&sk->sk_write_queue) == tcpx_sk(sk)->send_head)
		return;
	if (tcpx_out_of_retries(sk)) {
		WRITE_ONCE(sk->sk_err, sk->sk_err_soft ? : ETIMEDOUT);
		sk_error_report(sk);
		tcpx_done(sk);
		return;
	}
	if (!icsk->icsk_retransmits)
		tcpx_sk(sk)->retrans_stamp = (u32)jiffies;
	tcpx_inc_stats(sock_net(sk), TCPX_MIB_TIMEOUTS);
	icsk->icsk_retransmits++;
	tcpx_go_back(sk);
	if (icsk->icsk_backoff < 16)
		icsk->icsk_backoff++;
	tcpx_reset_rto(sk);
}

static void tcpx_write_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_retransmit_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk)) {
		sk_reset_timer(sk, &icsk->icsk_retransmit_timer,
			       jiffies + TCPX_TIMER_RETRY);
	} else if (sk->sk_state != TCP_CLOSE && icsk->icsk_pending) {
		if (time_after(icsk->icsk_timeout, jiffies)) {
			sk_reset_timer(sk, &icsk->icsk_retransmit_timer,
				       icsk->icsk_timeout);
		} else {
			icsk->icsk_pending = 0;
			tcpx_retransmit_timer(sk);
		}
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

static void tcpx_delack_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_delack_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		sk_reset_timer(sk, &icsk->icsk_delack_timer,
			       jiffies + TCPX_TIMER_RETRY);
	else if (icsk->icsk_ack.pending & ICSK_ACK_TIMER)
		tcpx_send_ack(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* The keepalive timer: an orphan's FIN-WAIT-2 ends after fin_timeout. */
static void tcpx_keepalive_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_keepalive_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		inet_csk_reset_keepalive_timer(sk, TCPX_TIMER_RETRY);
	else if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD))
		tcpx_done(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

void tcpx_init_xmit_timers(struct sock *sk)
{
	inet_csk_init_xmit_timers(sk, tcpx_write_timer, tcpx_delack_timer,
				  tcpx_keepalive_timer);
}
